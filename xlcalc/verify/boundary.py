"""Cohorts in which one unit's total lands on a grade boundary, or just below it.

A grade formula (``IF(total>=80,"良",…)``) is only proven at its boundary by a unit whose total
is exactly 80 (``>=`` against ``>``) and one whose total is in [79, 80) (80 against 79). Random
units almost never land there: on 安庆 their totals cluster around 30-55, and a unit's total
depends on the other units through the ranking items, so a single unit cannot be searched alone.

:func:`boundary_cohorts` searches whole cohorts with the reference scorer: it starts the unit
from the candidate whose total is nearest the goal, then moves one input at a time (to a
value a rule's probe uses, or a random one) and keeps a move when the total gets closer. The
search is seeded and bounded (``budget`` cohort evaluations per goal); a goal it cannot reach is
left out, and the verifier's other cases still run.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from xlcalc.lowering_context import PENDING_COUNT
from xlcalc.scorer import UnitInputs, resolve_params
from xlcalc.xlruntime import isnumber

if TYPE_CHECKING:
    from .cases import CaseGenerator

__all__ = ["Goal", "boundary_cohorts", "goals"]

Unit = dict[str, Any]
_FOUND: dict[tuple[str, int, int, int], list[tuple[str, list[Unit]]]] = {}
Goal = tuple[str, float, float]  # (description, low, high): a total in [low, high) — low == high: exactly


def goals(thresholds: list[float]) -> list[tuple[Goal, ...]]:
    """For each grade threshold: a total exactly on it (else, second best, in the point above
    it), and one in the point below it."""
    out: list[tuple[Goal, ...]] = []
    for t in sorted(thresholds, reverse=True):
        out.append(((f"总分恰为{t:g}", t, t), (f"总分略高于{t:g}", t, t + 1)))
        out.append(((f"总分略低于{t:g}", t - 1, t),))
    return out


def boundary_cohorts(gen: CaseGenerator, scorer: Any, budget: int = 160) -> list[tuple[str, list[Unit]]]:
    """Cohorts (with a description) reaching each grade-boundary goal the search can reach."""
    thresholds = [g.min for g in gen.spec.meta.grades if g.min > 0]
    if not thresholds:
        return []
    key = (hashlib.sha256(gen.spec.source_text.encode()).hexdigest(), gen.n, gen.seed, budget)
    if key in _FOUND:  # the search costs seconds on a ten-unit cohort; its answer is fixed
        return [(label, [dict(u) for u in units]) for label, units in _FOUND[key]]
    rng = random.Random(f"boundary-{gen.seed}")
    values = _probe_values(gen)
    params = resolve_params(gen.spec)
    root = gen.spec.root.id
    n = gen.n

    def totals(units: list[Unit]) -> list[Any]:
        """Each unit's total, or its :class:`Pending` count (no grade is given while an item is
        pending, so the search first fills what is pending)."""
        rows = [scorer.normalize(UnitInputs(str(k), u), keep_invalid=True) for k, u in enumerate(units)]
        out: list[Any] = []
        for cells in scorer.evaluate(rows, params):
            pending = cells.get(PENDING_COUNT)
            out.append(Pending(pending) if pending else cells[root])
        return out

    sib = gen.sibling
    move = lambda: _move(gen, rng, values)  # noqa: E731
    # One cohort for every goal, the last unit searched; each search may start from the units
    # earlier searches ended with (a unit near 90 is a good start for 80).
    # A second round gives the goals missed in the first the units later searches ended with.
    others = [_filled(sib, sib.random_unit()) for _ in range(n - 1)]
    ended: list[Unit] = []
    reached_by_goal: dict[int, tuple[str, list[Unit]]] = {}
    for _round in range(2):
        for number, choices in enumerate(goals(thresholds)):
            if number in reached_by_goal:
                continue
            for label, low, high in choices:
                starts = [_filled(sib, sib.extreme_unit()) for _ in range(4)]
                starts += [_filled(sib, sib.random_unit()) for _ in range(2)] + ended
                cohort = [*(dict(u) for u in others), starts[0]]
                reached, last = _search(cohort, n - 1, starts, (low, high), totals, move, sib.valid, budget)
                ended.append(last)
                if reached is not None:
                    reached_by_goal[number] = (label, reached)
                    break
    found = [reached_by_goal[k] for k in sorted(reached_by_goal)]
    _FOUND[key] = found
    return [(label, [dict(u) for u in units]) for label, units in found]


@dataclass(frozen=True)
class Pending:
    """A unit's pending-item count, in place of a total that gives no grade."""

    count: Any


def _distance(total: Any, low: float, high: float) -> float:
    if isinstance(total, Pending) and isinstance(total.count, (int, float)):
        return 1e6 + total.count  # farther than any total; fewer pending items is nearer
    if not isinstance(total, (int, float)):
        return float("inf")
    if low == high:
        return abs(total - low)
    if low <= total < high:
        return 0.0
    # outside [low, high): never within the exact goal's tolerance, high itself included
    return low - total if total < low else total - high + 0.01


def _search(
    cohort: list[Unit],
    who: int,
    starts: list[Unit],
    goal: tuple[float, float],
    totals: Callable[[list[Unit]], list[Any]],
    move: Callable[[], Unit],
    valid: Callable[[Unit], Unit],
    budget: int,
) -> tuple[list[Unit] | None, Unit]:
    """Local search on unit ``who`` of ``cohort``: the cohort reaching the goal (or None), and
    the unit the search ended with."""
    low, high = goal
    best, best_total, best_d = dict(cohort[who]), None, float("inf")
    spent = 0
    for start in starts:  # begin at the candidate nearest the goal
        cohort[who] = start
        total = totals(cohort)[who]
        spent += 1
        if (d := _distance(total, low, high)) < best_d:
            best, best_total, best_d = start, total, d
    while spent < budget and best_d > 1e-9:
        step = move()
        trial = valid({**best, **step})
        cohort[who] = trial
        total = totals(cohort)[who]
        spent += 1
        (key,) = step if len(step) == 1 else (None,)
        if key is not None and _straddles(best_total, total, low) and _numeric(best.get(key), trial.get(key)):
            # the goal lies between two values of one input: bisect on it
            trial, total, used = _bisect(
                cohort, who, (best, best_total), key, trial[key], low, totals, budget - spent
            )
            spent += used
        if (d := _distance(total, low, high)) < best_d:
            best, best_total, best_d = trial, total, d
    cohort[who] = best
    return ([dict(u) for u in cohort] if best_d <= 1e-9 else None), best


def _probe_values(gen: CaseGenerator) -> list[Unit]:
    """The values the rules' probes put in inputs (each probe as the moves it allows)."""
    return [dict(p) for _, p in gen.probes]


def _move(gen: CaseGenerator, rng: random.Random, probes: list[Unit]) -> Unit:
    """One step: a probe's values, a whole extreme unit's value for one input, or a random value."""
    sib = gen.sibling
    r = rng.random()  # the main generator's stream is left as it was
    if probes and r < 0.5:
        return dict(rng.choice(probes))
    inp = rng.choice(gen.spec.inputs)
    if r < 0.7:
        return {inp.id: sib.extreme_unit().get(inp.id)}
    return {inp.id: sib.random_value(inp, blank_rate=0)}


def _straddles(a: Any, b: Any, goal: float) -> bool:
    return isnumber(a) and isnumber(b) and (a - goal) * (b - goal) < 0


def _numeric(a: Any, b: Any) -> bool:
    return isnumber(a) and isnumber(b)


def _bisect(
    cohort: list[Unit],
    who: int,
    base_and_total: tuple[Unit, Any],
    key: str,
    other: float,
    goal: float,
    totals: Callable[[list[Unit]], list[Any]],
    budget: int,
) -> tuple[Unit, Any, int]:
    """Bisect input ``key`` between ``base[key]`` (whose total is known) and ``other`` for a
    total equal to ``goal`` (whole numbers stay whole); the nearest unit found, its total and the
    evaluations used."""
    base, lo_t = base_and_total
    lo_v, hi_v = float(base[key]), float(other)
    whole = lo_v.is_integer() and hi_v.is_integer()
    used = 0
    best_unit, best_total = {**base, key: other}, None
    while used < min(budget, 23):
        mid = (lo_v + hi_v) / 2
        if whole:
            mid = float(round(mid))
            if mid in (lo_v, hi_v):
                break
        unit = {**base, key: mid}
        cohort[who] = unit
        t = totals(cohort)[who]
        used += 1
        if not isinstance(t, (int, float)):
            break
        if best_total is None or abs(t - goal) < abs(best_total - goal):
            best_unit, best_total = unit, t
        if abs(t - goal) <= 1e-9:
            break
        if (t - goal) * (lo_t - goal) > 0:
            lo_v, lo_t = mid, t
        else:
            hi_v = mid
    return best_unit, best_total, used


def _filled(sib: CaseGenerator, unit: Unit) -> Unit:
    """``unit`` with every blank input given a value (a grade needs every item scored)."""
    for inp in sib.spec.inputs:
        if unit.get(inp.id) in (None, "", []):
            unit[inp.id] = sib.random_value(inp, blank_rate=0)
    return sib.valid(unit)
