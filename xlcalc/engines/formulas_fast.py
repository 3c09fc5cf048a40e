"""A fast scheduler for a compiled ``formulas`` model: straight-line Python instead of schedula.

Profiling one recalculation of a compiled rubric workbook shows about two thirds of the time in
schedula's scheduling (the workbook dispatcher plus a small dispatcher inside every formula cell);
the function bodies are about 1%. :class:`FastPlan` keeps ``formulas`` as parser and function
library and replaces only the scheduler: once per workbook it orders the function nodes (the
outer cells and the nodes inside every cell's formula) and generates one Python function that
calls, in that order, the very function objects ``formulas`` compiled (with the project's
corrections, as they are patched in while compiling), applying the same data-node filters.

It does not try to be a general schedula: whatever it does not recognise is left to formulas.

* At build time (:class:`Unsupported`): a formulas version other than the tested one, a node
  fed by two producers, circular references (no topological order), inputs that need the
  dispatcher itself (OFFSET/INDIRECT).
* Per cell: a formula cell whose inner dispatcher has node attributes other than the plain ones
  is called through its own ``formulas`` wrapper (formulas' evaluation of that cell).
* Per recalculation (:class:`Fallback`): writing a node that feeds an "inverse" function
  (a range written whole that formulas would split back into its cells, a defined name written
  instead of its cell), or any exception raised by a function. The caller then dispatches
  with formulas itself and logs why.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np

from .formulas_inline import UNSET, CellInliner, Source
from .formulas_lookup import index_shortcut
from .formulas_order import Unsupported, topo
from .formulas_scalar import faster_filter, ranges_shortcut, scalar_shortcut

# The formulas release the corrections (formulas_engine.py) and the fast plan were written and tested
# against (pinned in pyproject.toml).
TESTED_VERSION = "1.3.4"

__all__ = ["Fallback", "FastPlan", "Unsupported"]

log = logging.getLogger(__name__)


class Fallback(Exception):
    """This recalculation must be done by formulas' dispatcher (the message says why)."""


class _Solution(Mapping[str, Any]):
    """Read-only name → value view of the slot list (what RangesAssembler reads as ``dsp.solution``)."""

    def __init__(self, slots: dict[str, int], values: list[Any]):
        self._slots = slots
        self._values = values

    def __getitem__(self, key: str) -> Any:
        v = self._values[self._slots[key]]
        if v is UNSET:
            raise KeyError(key)
        return v

    def __contains__(self, key: object) -> bool:
        i = self._slots.get(key)  # type: ignore[call-overload]
        return i is not None and self._values[i] is not UNSET

    def __iter__(self) -> Iterator[str]:
        import schedula as sh

        return (
            k
            for k, i in self._slots.items()
            if self._values[i] is not UNSET and isinstance(k, str) and not isinstance(k, sh.Token)
        )

    def __len__(self) -> int:
        return sum(1 for _ in self)


class _SelfStandIn:
    """Stands in for the dispatcher passed as ``sh.SELF``: only ``.solution`` is used by formulas."""

    def __init__(self, solution: _Solution):
        self.solution = solution


class FastPlan:
    """Straight-line evaluation of a compiled ``formulas`` ExcelModel.

    Args:
        dsp: ``model.dsp`` of a finished ``formulas.ExcelModel``.

    Raises:
        Unsupported: If the model needs formulas' own dispatcher.
    """

    def __init__(self, dsp: Any):
        import formulas
        import schedula as sh

        if formulas.__version__ != TESTED_VERSION:
            raise Unsupported(
                f"formulas {formulas.__version__} (the fast plan is tested on {TESTED_VERSION})"
            )
        self._sh = sh
        nodes = dsp.nodes
        defaults = dsp.default_values
        data = [k for k, n in nodes.items() if n["type"] == "data"]
        funcs = [k for k, n in nodes.items() if n["type"] == "function"]
        if any(nodes[k]["type"] not in ("data", "function") for k in nodes):
            raise Unsupported("sub-dispatchers in the model")
        self.slots: dict[str, int] = {k: i for i, k in enumerate(data)}
        self.names: list[Any] = data
        succ = dsp.dmap.succ
        order, shadowed = topo(nodes, succ, set(defaults), funcs)
        unfired = len(funcs) - len(order) - len(shadowed)
        if unfired:
            raise Unsupported(f"{unfired} formula nodes never become ready (circular references?)")
        for f in order:
            fn = nodes[f]["function"]
            if sh.SELF in nodes[f]["inputs"] and type(fn).__name__ != "RangesAssembler":
                raise Unsupported(f"{f!r} needs the dispatcher itself")
        # Written nodes that feed a shadowed (inverse) function change which value wins: formulas.
        self.inverse_inputs: set[Any] = {i for f in shadowed for i in nodes[f]["inputs"]}
        self.producer: dict[Any, Any] = {}
        for f in order:
            for o in nodes[f]["outputs"]:
                self.producer[o] = f
        self._init = [UNSET] * len(data)
        for k, d in defaults.items():
            value = d["value"]
            if k is sh.SELF:
                continue
            for filt in nodes[k].get("filters", ()) or ():
                value = filt(value)
            if value is not sh.NONE:
                self._init[self.slots[k]] = value
        self._self_slot = self.slots.get(sh.SELF)
        self._filters = {k: tuple(nodes[k].get("filters", ()) or ()) for k in data}
        self._input_filters = {k: tuple(faster_filter(f) for f in v) for k, v in self._filters.items() if v}
        self._shortcuts: dict[int, tuple[Any, Any]] = {}
        self.inline_cells = 0
        self.called_cells = 0
        gen = Source()
        self._inliner = CellInliner(gen, self._ref, self._filters, self._fast)
        for f in order:
            self._emit(gen, f, nodes[f])
        src = "def run(V, I, K, S):\n" + ("\n".join(gen.lines) or "    pass") + "\n"
        namespace: dict[str, Any] = {}
        exec(compile(src, "<xlcalc formulas plan>", "exec"), namespace)  # noqa: S102 - our own generated code
        self.source = src
        self._run: Callable[..., None] = namespace["run"]
        self._consts = tuple(gen.consts)

    # ------------------------------------------------------------------ code generation
    def _ref(self, node: Any) -> str:
        if node is self._sh.SELF:
            return "S"
        return f"V[{self.slots[node]}]"

    def _emit(self, gen: Source, fid: Any, attr: dict[str, Any]) -> None:
        (out,) = attr["outputs"] if len(attr["outputs"]) == 1 else (None,)
        if out is None:
            raise Unsupported(f"function {fid!r} has {len(attr['outputs'])} outputs")
        fn = attr["function"]
        slot = self.slots[out]
        gen.lines.append(f"    if {slot} not in I:  # {str(out)[:60]!s}".replace("\n", " "))
        body = self._inliner.lines(fn, attr) if type(fn).__name__ == "CellWrapper" else None
        if body is None:
            self.called_cells += 1
            args = [self._ref(i) for i in attr["inputs"]]
            body = [f"x = {gen.const(fn)}({', '.join(args)})"]
        else:
            self.inline_cells += 1
        gen.lines.extend("        " + line for line in body)
        filters = [*(attr.get("filters") or ()), *self._filters[out]]
        result = gen.filtered("x", filters)
        gen.lines.append(f"        V[{slot}] = {result}")

    def _fast(self, fn: Any) -> Any:
        key = id(fn)
        if key not in self._shortcuts:
            self._shortcuts[key] = (
                fn,
                scalar_shortcut(fn) or ranges_shortcut(fn) or index_shortcut(fn) or fn,
            )
        return self._shortcuts[key][1]

    # ------------------------------------------------------------------ running
    def run(self, inputs: Mapping[str, Any]) -> Mapping[str, Any]:
        """Evaluate the model with ``inputs`` (node → raw value, as ``model.calculate`` takes them).

        Returns:
            Node → value, like formulas' solution (Ranges for cells and ranges).

        Raises:
            Fallback: If this recalculation needs formulas' own dispatcher.
        """
        values = list(self._init)
        written: set[int] = set()
        for node, raw in inputs.items():
            slot = self.slots.get(node)
            if slot is None:
                raise Fallback(f"written node {node!r} is not in the model")
            if node in self.inverse_inputs:
                raise Fallback(f"written node {node!r} feeds an inverse function")
            value = raw
            for filt in self._input_filters.get(node, ()):
                value = filt(value)
            values[slot] = value
            written.add(slot)
        solution = _Solution(self.slots, values)
        stand_in = _SelfStandIn(solution)

        try:
            # formulas evaluates element-wise functions under this errstate (it only silences warnings)
            with np.errstate(divide="ignore", invalid="ignore"):
                self._run(values, written, self._consts, stand_in)
        except Exception as exc:  # a function raised: formulas' dispatcher decides what that means
            raise Fallback(f"{type(exc).__name__}: {exc}") from exc
        return solution
