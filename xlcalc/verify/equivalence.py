"""Is a surviving mutant equivalent to the original workbook?

A mutant the verifier did not kill is either *equivalent* (it computes the same values as the
original everywhere) or a gap in the verifier. The check runs the original and the mutant side
by side in the formulas engine (fast plan) and compares the mutated cells (the first and the
rows of its block edited alike). That is enough: every other formula is the same in both, so
where the mutated cells agree every cell agrees. They are compared

1. on every case the verifier ran, once per distinct set of values of the inputs the cell reads
   (:mod:`xlcalc.verify.reads`: the inputs reached through its references, of every unit); then
2. on a sweep of those inputs, from a filled case for each setting of the parameters the
   mutated formula names (the first filled case under a setting no case used), and per other
   parameter setting up to ``bases`` in all. Each input's
   values are: one step past each end of its range and a text (typed past validation), values
   at and around each number written in the mutated formula (``E6>0`` → ``E6>1``: 0, 0.5,
   0.99, 1, 1.01, 1.5, 2…), and up to ``max_values`` of the values
   it took in the cases (blank included), spread over their range. When every combination of
   those values fits in ``max_evaluations``, all are tried (``exhaustive``); otherwise each input
   in turn, then random combinations of the same values up to the cap (``sampled``); a sweep
   the cap stops before every input has had each of its values says ``cut``.

The mutant is called equivalent when the cell never differs; otherwise the first difference is
returned as evidence. This is a bounded search, not a proof: it covers chosen values of each
input, not every number; the report says how far the sweep went and how many evaluations it took.
"""

from __future__ import annotations

import itertools
import math
import random
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from xlcalc.cells import Role
from xlcalc.engines.base import parse_cell
from xlcalc.engines.formulas_book import _node_values, _to_python
from xlcalc.engines.formulas_engine import FormulasBook, FormulasEngine
from xlcalc.scorer import UnitInputs, resolve_params
from xlcalc.verify.cases import Case, CaseGenerator, past_validation
from xlcalc.verify.reads import InputCell, Reads
from xlcalc.verify.runner import Runner
from xlcalc.verify.target import Target

__all__ = ["Equivalence", "Reference", "check_equivalence", "formula_numbers"]


@dataclass
class Equivalence:
    equivalent: bool
    evaluations: int
    evidence: str = ""
    # how far the input sweep went: "exhaustive" (every combination of the values chosen for
    # the inputs the cell reads), "sampled" (each in turn, then random combinations up to the
    # cap), or "cut" (the cap came first)
    sweep: str = ""
    inputs_read: int = 0

    def describe(self) -> str:
        """How the verdict was reached, for the user (in Chinese)."""
        how = {
            "exhaustive": f"所读{self.inputs_read}个输入的取值全组合",
            "sampled": f"所读{self.inputs_read}个输入逐个取值并随机组合",
            "cut": "输入扫描达到上限，未扫完",
        }.get(self.sweep, "")
        return f"{how}，{self.evaluations}次计算中处处相同" if how else f"{self.evaluations}次计算中处处相同"


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
        self._reads: Reads | None = None

    @property
    def reads(self) -> Reads:
        """Which inputs each formula cell reads (built once per run)."""
        if self._reads is None:
            self._reads = Reads(self.target)
        return self._reads

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


_PARAM = re.compile(r"\bP_(\w+)")  # a rubric parameter's defined name (layout.param_name)
_NUMBER = re.compile(r"(?<![A-Za-z$\d.!:_])\d+(?:\.\d+)?(?![\d(])")


def check_equivalence(
    target: Target,
    mutant_path: Path,
    cell: tuple[str, str],
    formulas: tuple[object, object],
    cases: list[Case],
    max_values: int = 6,
    bases: int = 2,
    max_evaluations: int = 300,
    reference: Reference | None = None,
    rows: tuple[str, ...] = (),
) -> Equivalence:
    """Compare the original workbook and a mutant at ``cell`` (sheet, A1), whose formula was
    ``formulas[0]`` and is ``formulas[1]`` in the mutant, and at ``rows`` (more A1 cells of the
    sheet edited alike), on the cases and a sweep of the inputs the cell reads (see module doc).
    ``max_evaluations`` bounds the sweep, not the cases.

    Pass the same ``reference`` to every check of one run with the same ``cases``.
    """
    own = reference is None
    ref = reference if reference is not None else Reference(target)
    mutant = FormulasEngine().open(mutant_path)
    runner = Runner(target, mutant, "formulas", Path("."))
    sheet, first = cell
    nodes = {addr: mutant._node(mutant._title(sheet), *parse_cell(addr)) for addr in (first, *rows)}
    read = ref.reads.of_formula(sheet, formulas[0]) | ref.reads.of_formula(sheet, formulas[1])
    near = formula_numbers(*formulas)
    lay = target.layout
    evaluations = 0

    def compare(label: str, units: list[dict[str, Any]], params: dict[str, Any]) -> str:
        nonlocal evaluations
        normalized = [
            target.scorer.normalize(UnitInputs(n, u), keep_invalid=True)
            for n, u in zip(target.units, units, strict=True)
        ]
        write = partial(Runner.write_case, rows=normalized, params=params)
        original = ref.values(label, write)
        evaluations += 1
        write(runner)
        for addr, node in nodes.items():
            before = (original.get(node) or [[None]])[0][0]
            after = mutant.read(sheet, addr)[0][0]
            if _differs([[before]], [[after]]):
                return f"{sheet}!{addr}：原工作簿 {_to_python(before)!r}，变异 {after!r}（{label}）"
        return ""

    def verdict(equivalent: bool, how: str, evidence: str = "") -> Equivalence:
        return Equivalence(equivalent, evaluations, evidence, how, len(read))

    try:
        # 1. the cases, once per distinct set of values of the inputs the cell reads
        seen: set[str] = set()
        for k, case in enumerate(cases):
            key = repr([[case.units[u].get(i) for i, u in sorted(read)], sorted(case.params.items())])
            if key in seen:
                continue
            seen.add(key)
            params = resolve_params(target.spec, case.params)
            if found := compare(f"第{k}例", case.units, params):
                return verdict(False, "", found)
        # 2. the sweep of the (single-value) inputs the cell reads
        scalar = {ci.id for ci in lay.role_cells[Role.INPUT]}
        swept = sorted((i, u) for i, u in read if i in scalar)
        observed: dict[str, list[Any]] = {i: [] for i, _ in swept}
        for case in cases:
            for unit in case.units:
                for i in observed:
                    observed[i].append(unit.get(i))
        choices = {
            (i, u): _unique(_around(near, target.spec, i) + _spread(observed[i], max_values))
            for i, u in swept
        }
        # A filled case for each setting of the parameters the mutated formula names (a branch on
        # P_period_mode is only swept under each mode), else for each setting at all.
        named = sorted(set(_PARAM.findall(f"{formulas[0]} {formulas[1]}")))
        filled = [c for c in cases if any(c.units[0].values())]
        labels = [f"基准例{b}" for b in range(len(filled))]
        if filled:
            # Each setting of a named parameter that no case used (a short run): the first
            # filled case under it. (Labels name what is written: the original's values are
            # cached by label across the checks of a run.)
            used = {repr([c.params.get(n) for n in named]) for c in filled}
            for variant in CaseGenerator(target.spec, lay.n_units).param_variants()[1:]:
                key = repr([variant.get(n) for n in named])
                if set(variant) <= set(named) and key not in used:
                    used.add(key)
                    filled.append(Case(filled[0].units, variant))
                    labels.append("基准例0（" + "，".join(f"{k}={v}" for k, v in variant.items()) + "）")
        by_named: dict[str, int] = {}
        by_params: dict[str, int] = {}
        for b, base in enumerate(filled):
            by_named.setdefault(repr([base.params.get(n) for n in named]), b)
            by_params.setdefault(repr(sorted(base.params.items())), b)
        first = list(by_named.values()) if named else []
        picked = (first + [b for b in by_params.values() if b not in first])[: max(bases, len(first))]
        combos = math.prod(len(v) for v in choices.values()) * len(picked)
        exhaustive = combos <= max_evaluations
        budget = max_evaluations + len(seen)

        def sweep_from(b: int, changes: list[tuple[InputCell, Any]]) -> str:
            units = [dict(x) for x in filled[b].units]
            for (i, u), value in changes:
                units[u][i] = value
            label = f"{labels[b]}，" + "，".join(f"{i}[{u}]={v!r}" for (i, u), v in changes)
            return compare(label, units, resolve_params(target.spec, filled[b].params))

        for b in picked:
            for changes in _sweep(choices, exhaustive):
                if evaluations >= budget:
                    return verdict(True, "cut")
                if found := sweep_from(b, changes):
                    return verdict(False, "", found)
        if exhaustive:
            return verdict(True, "exhaustive")
        # One at a time keeps the base's other inputs, which may leave the cell on a guard (a
        # 完成档次 left blank hides a self-score typed past validation): random combinations of
        # the same values fill the rest of the cap.
        rng = random.Random(0)
        for _ in range(3 * max_evaluations):
            if evaluations >= budget or not choices or not picked:
                break
            b = rng.choice(picked)
            if found := sweep_from(b, [(c, rng.choice(v)) for c, v in choices.items()]):
                return verdict(False, "", found)
        return verdict(True, "sampled")
    finally:
        mutant.close()
        if own:
            ref.close()


def _sweep(choices: dict[InputCell, list[Any]], exhaustive: bool) -> Iterator[list[tuple[InputCell, Any]]]:
    """Every combination of the choices, or each input's choices one at a time."""
    cells = list(choices)
    if exhaustive:
        for values in itertools.product(*(choices[c] for c in cells)):
            yield list(zip(cells, values, strict=True))
    else:
        for c in cells:
            for v in choices[c]:
                yield [(c, v)]


def _unique(values: list[Any]) -> list[Any]:
    out: list[Any] = []
    for v in values:
        if not any(type(v) is type(w) and v == w for w in out):
            out.append(v)
    return out
