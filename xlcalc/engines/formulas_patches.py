"""Swapping replacements into ``formulas`` for the duration of a block, one named correction at a time.

A :class:`Correction` adds its replacements (a function in a table, a module attribute) to a
patch set. A :class:`Switch` builds every correction of its list on first use, each on its own:
one that fails to build after an upstream upgrade (a function renamed, a table moved) is logged
by name and left out while the others still apply; :meth:`Switch.failures` lists them. Entering
the switch applies the sets, leaving restores the originals, so formulas is changed only inside.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)


class _AttrTarget:
    def __init__(self, obj: Any) -> None:
        self.obj = obj


class Patches:
    """Swappable replacements: (mapping or object, key, new value) triples applied/restored as a set."""

    _MISSING = object()

    def __init__(self) -> None:
        self.entries: list[tuple[Any, str, Any]] = []
        self.saved: list[tuple[Any, str, Any]] = []

    def item(self, mapping: Any, key: str, value: Any) -> None:
        self.entries.append((mapping, key, value))

    def attr(self, obj: Any, name: str, value: Any) -> None:
        self.entries.append((_AttrTarget(obj), name, value))

    def apply(self) -> None:
        self.saved = []
        for target, key, value in self.entries:
            if isinstance(target, _AttrTarget):
                old = getattr(target.obj, key, self._MISSING)
                setattr(target.obj, key, value)
            else:
                old = dict.get(target, key, self._MISSING)
                dict.__setitem__(target, key, value)
            self.saved.append((target, key, old))

    def restore(self) -> None:
        for target, key, old in reversed(self.saved):
            if isinstance(target, _AttrTarget):
                if old is self._MISSING:
                    with contextlib.suppress(AttributeError):
                        delattr(target.obj, key)
                else:
                    setattr(target.obj, key, old)
            elif old is self._MISSING:
                dict.pop(target, key, None)
            else:
                dict.__setitem__(target, key, old)
        self.saved = []


@dataclass(frozen=True)
class Correction:
    """One named replacement: ``build(patches, env)`` adds its entries (``env``: formulas' modules, and
    ``env.built``: the patch sets of the corrections built before this one)."""

    name: str
    build: Callable[[Patches, Any], None]


class Switch:
    """Corrections applied together inside ``with switch():`` (re-entrant; one thread at a time)."""

    def __init__(self, corrections: Sequence[Correction], env: Callable[[], Any]) -> None:
        self._corrections = tuple(corrections)
        self._env = env
        self._lock = threading.RLock()
        self._depth = 0
        self._sets: list[Patches] | None = None
        self._failures: dict[str, str] = {}

    def failures(self) -> dict[str, str]:
        """Corrections that could not be built, by name, with the reason (empty when all apply)."""
        with self._lock:
            self._build()
            return dict(self._failures)

    def _build(self) -> list[Patches]:
        if self._sets is None:
            env = self._env()
            sets: list[Patches] = []
            env.built = sets  # a later correction may wrap what an earlier one put in place
            for c in self._corrections:
                p = Patches()
                try:
                    c.build(p, env)
                except Exception as exc:  # an upstream change this correction did not expect
                    self._failures[c.name] = f"{type(exc).__name__}: {exc}"
                    log.warning("formulas correction %r not applied: %s", c.name, exc)
                    continue
                sets.append(p)
            self._sets = sets
        return self._sets

    @contextlib.contextmanager
    def __call__(self) -> Iterator[None]:
        with self._lock:
            sets = self._build()
            if self._depth == 0:
                for p in sets:
                    p.apply()
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if self._depth == 0:
                    for p in reversed(sets):
                        p.restore()
