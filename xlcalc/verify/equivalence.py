"""Is a surviving mutant equivalent to the original workbook?

A mutant the verifier did not kill is either *equivalent* (it computes the same values as the
original everywhere) or a gap in the verifier. The check runs the original and the mutant side
by side in the formulas engine (fast plan) and compares the value of every formula cell of
every sheet (not only the sheets the verifier reads) on:

1. every case the verifier ran; then
2. values at and around each number written in the mutated formula (``E6>0`` → ``E6>1``: 0,
   0.5, 0.99, 1, 1.01, 1.5, 2…), each input in turn within its declared range; then
3. a sweep of the inputs: starting from each filled case of a few, every input cell of every
   unit is set, one at a time, to each value that input took anywhere in the cases (blank
   included), up to ``max_values`` distinct values per input, spread over their range.

The mutant is called equivalent when no value differs anywhere; otherwise the first difference
is returned as evidence. This is a bounded search, not a proof: the sweep covers each input's
observed values (which include the generated boundary probes) one at a time, not every
combination; the report says "equivalent (checked on N evaluations)".
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xlcalc.cells import Role
from xlcalc.engines.formulas_book import _node_values
from xlcalc.engines.formulas_engine import FormulasBook, FormulasEngine
from xlcalc.scorer import UnitInputs, resolve_params
from xlcalc.verify.cases import Case, past_validation
from xlcalc.verify.runner import Runner
from xlcalc.verify.target import Target

__all__ = ["Equivalence", "Reference", "check_equivalence", "formula_numbers"]


@dataclass
class Equivalence:
    equivalent: bool
    evaluations: int
    evidence: str = ""


def _snapshot(book: FormulasBook) -> dict[str, Any]:
    """Values of every formula cell (by formulas node id), after recalculating pending writes."""
    sol = book._ensure_solution()
    return {node: _node_values(sol.get(node)) for node in book._formula_cells}


def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _differs(a: Any, b: Any) -> bool:
    for ra, rb in zip(a or [], b or [], strict=False):
        for x, y in zip(ra, rb, strict=False):
            if _number(x) and _number(y):  # formulas keeps 5 from a constant, 5.0 from arithmetic
                if not math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-9):
                    return True
            elif type(x) is not type(y) or x != y:
                return True
    return (a is None) != (b is None)


def _order(v: Any) -> tuple[int, float, str]:
    return (1, 0.0, v) if isinstance(v, str) else (0, float(v), "")


def _spread(values: list[Any], limit: int) -> list[Any]:
    """At most ``limit`` values, spread evenly over the sorted distinct ones (blank kept)."""
    distinct = sorted({v for v in values if v is not None}, key=_order)
    if len(distinct) > limit - 1:
        step = (len(distinct) - 1) / max(1, limit - 2)
        distinct = [distinct[round(i * step)] for i in range(limit - 1)]
    return [None, *distinct]


class Reference:
    """The original workbook's side of every equivalence check of one mutation run.

    Each evaluation writes a whole case (and perhaps one input) before recalculating, so the
    original's values for an evaluation depend only on what it writes, which its label names
    (``第3例``, ``基准例0，staff[0]=5.0``): they are computed once, with the original parsed
    once, and reused for every survivor (on 安庆 that halves a check and saves a 17 s parse per
    survivor).
    """

    def __init__(self, target: Target):
        self.target = target
        self._book: FormulasBook | None = None
        self._runner: Runner | None = None
        self._snapshots: dict[str, dict[str, Any]] = {}

    def values(self, k: str, write: Callable[[Runner], None]) -> dict[str, Any]:
        """The original's formula values for the evaluation labelled ``k`` (``write`` sets its inputs)."""
        if k not in self._snapshots:
            if self._runner is None:
                self._book = FormulasEngine().open(self.target.path)
                self._runner = Runner(self.target, self._book, "formulas", Path("."))
            write(self._runner)
            self._snapshots[k] = _snapshot(self._runner.book)
        return self._snapshots[k]

    def close(self) -> None:
        if self._book is not None:
            self._book.close()
            self._book = self._runner = None


def _around(near: tuple[float, ...], spec: Any, input_id: str) -> list[Any]:
    """One step past each end of the input's range and a text (a user can type past a cell's
    validation), then values at and around each number in ``near`` within the range."""
    inp = next((i for i in spec.inputs if i.id == input_id), None)
    if inp is None or not inp.is_number:
        return []
    lo = inp.lo if inp.lo is not None else -math.inf
    hi = inp.hi if inp.hi is not None else math.inf
    whole = inp.type == "integer"
    out = past_validation(inp)
    for c in near:
        for v in (c - 1, c - 0.5, c - 0.01, c, c + 0.01, c + 0.5, c + 1):
            if lo <= v <= hi and (not whole or float(v).is_integer()) and v not in out:
                out.append(float(v))
    return out


def formula_numbers(*formulas: object) -> tuple[float, ...]:
    """The numeric constants written in formulas (not the row numbers of references)."""
    found: list[float] = []
    for f in formulas:
        for m in _NUMBER.finditer(str(f)):
            v = float(m.group(0))
            if v not in found:
                found.append(v)
    return tuple(found)


_NUMBER = re.compile(r"(?<![A-Za-z$\d.!:_])\d+(?:\.\d+)?(?![\d(])")


def check_equivalence(
    target: Target,
    mutant_path: Path,
    cases: list[Case],
    max_values: int = 6,
    bases: int = 2,
    max_evaluations: int = 300,
    reference: Reference | None = None,
    near: tuple[float, ...] = (),
) -> Equivalence:
    """Compare the original workbook and a mutant on the cases and an input sweep (see module doc).

    Pass the same ``reference`` to every check of one run with the same ``cases``. ``near``: the
    numbers in the mutated formula (both versions); each numeric input is also set to values at
    and around each of them, where a flipped comparison or a changed constant shows.
    """
    own = reference is None
    ref = reference if reference is not None else Reference(target)
    mutant = FormulasEngine().open(mutant_path)
    runner = Runner(target, mutant, "formulas", Path("."))
    evaluations = 0

    def compare(label: str, write: Callable[[Runner], None]) -> str:
        nonlocal evaluations
        a = ref.values(label, write)
        evaluations += 1
        write(runner)
        b = _snapshot(mutant)
        for node, va in a.items():
            if _differs(va, b.get(node)):
                return f"{node}：原工作簿 {va!r}，变异 {b.get(node)!r}（{label}）"
        return ""

    def case_writer(rows: list[Any], params: Any) -> Callable[[Runner], None]:
        def write(r: Runner) -> None:
            r.write_case(rows, params)

        return write

    try:
        for k, case in enumerate(cases):
            rows = [
                target.scorer.normalize(UnitInputs(n, u), keep_invalid=True)
                for n, u in zip(target.units, case.units, strict=True)
            ]
            params = resolve_params(target.spec, case.params)
            if found := compare(f"第{k}例", case_writer(rows, params)):
                return Equivalence(False, evaluations, found)
        inputs = target.layout.role_cells[Role.INPUT]
        observed: dict[str, list[Any]] = {c.id: [] for c in inputs}
        for case in cases:
            for unit in case.units:
                for c in inputs:
                    v = unit.get(c.id)
                    if not isinstance(v, list):
                        observed[c.id].append(v)
        filled = [c for c in cases if any(c.units[0].values())][:bases]
        lay = target.layout
        # Values around the mutated formula's numbers first (all inputs), then the observed ones.
        sweep = [(k, c, v) for k, c in enumerate(inputs) for v in _around(near, target.spec, c.id)]
        sweep += [(k, c, v) for k, c in enumerate(inputs) for v in _spread(observed[c.id], max_values)]
        for b, base in enumerate(filled):
            params = resolve_params(target.spec, base.params)
            units = sorted({0, lay.n_units - 1})  # first and last unit (ranks see the others)
            for _, c, value in sweep:
                for u in units:
                    if evaluations >= max_evaluations:
                        return Equivalence(True, evaluations, "（输入扫描达到上限）")
                    # the unit's inputs with this one changed, written as a whole case (the
                    # runner knows where each input sits, in every layout)
                    swept = [dict(x) for x in base.units]
                    swept[u][c.id] = value
                    rows = [
                        target.scorer.normalize(UnitInputs(n, x), keep_invalid=True)
                        for n, x in zip(target.units, swept, strict=True)
                    ]
                    if found := compare(f"基准例{b}，{c.id}[{u}]={value!r}", case_writer(rows, params)):
                        return Equivalence(False, evaluations, found)
        return Equivalence(True, evaluations)
    finally:
        mutant.close()
        if own:
            ref.close()
