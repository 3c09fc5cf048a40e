"""Input cases for verification: random within each input's declared range, plus the rules'
boundary probes (``verify/probes.py``) under every parameter value, grade-boundary cohorts
(``verify/boundary.py``), and extreme, sparse, invalid, one-blank and tied units.
"""

from __future__ import annotations

import copy
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from xlcalc import ir
from xlcalc.errors import InputError
from xlcalc.lowering import lower
from xlcalc.rules.base import Probe
from xlcalc.scorer import normalize_value
from xlcalc.spec.model import InputDef, Spec

from .boundary import boundary_cohorts
from .probes import rule_probes


@dataclass
class Case:
    """One recalculation: every unit row's inputs and the parameter values (by code or label)."""

    units: list[dict[str, Any]]
    params: dict[str, Any] = field(default_factory=dict)
    label: str = ""


def past_validation(inp: InputDef) -> list[Any]:
    """What a user can type into a number's cell past its validation and the verifier tries: one
    step past each end of its range (where a validity bound written 10001 for 10000 shows) and
    a text (Excel compares text above any number, where a guard reading the wrong cell shows).
    A text cell with a drop-down list gets a text not on it (pasted past the list)."""
    if inp.is_text and inp.values:
        return ["其他"]
    if not inp.is_number:
        return []
    ends = (inp.lo - 1 if inp.lo is not None else None, inp.hi + 1 if inp.hi is not None else None)
    return [v for v in ends if v is not None] + ["无"]


# Probe cases before the grade-boundary cohorts (鄂州's probes fill ~280 cases, 安庆's ~130).
BOUNDARIES_AFTER = 10


class CaseGenerator:
    """Deterministic (seeded) stream of cases for one spec and cohort size."""

    def __init__(self, spec: Spec, n_units: int, seed: int = 0) -> None:
        self.spec = spec
        self.n = n_units
        self.seed = seed
        self.rng = random.Random(seed)
        self.probes = rule_probes(spec)
        self._sibling: CaseGenerator | None = None
        self._blanked = 0  # inputs blanked so far by one_blank_unit
        self._past_validation: set[int] = set()  # probes (by id) to lay over a unit unvalidated

    @property
    def sibling(self) -> CaseGenerator:
        """The same generator with its own random stream (for searches that must not shift this
        generator's cases)."""
        if self._sibling is None:
            self._sibling = copy.copy(self)
            self._sibling.rng = random.Random(f"sibling-{self.seed}")
        return self._sibling

    def random_value(self, inp: InputDef, blank_rate: float = 0.03) -> Any:
        rng = self.rng
        if rng.random() < blank_rate:
            return [] if inp.is_list else None
        if inp.is_bool:
            return rng.choice(("是", "是", "否"))
        if inp.is_text and inp.values:  # a unit attribute (applies_when): one of its values
            return rng.choice(inp.values)
        if inp.is_text:
            return rng.choice(("", "原因说明"))
        lo = inp.lo if inp.lo is not None else 0.0
        hi = inp.hi if inp.hi is not None else lo + 1000
        if inp.is_list:
            k = rng.randint(0, inp.capacity)
            return [self._number(lo, hi, inp.item_type == "integer") for _ in range(k)]
        return self._number(lo, hi, inp.type == "integer", percent=inp.is_percent)

    def _number(self, lo: float, hi: float, integer: bool, percent: bool = False) -> float:
        rng = self.rng
        if integer and lo >= 0 and rng.random() < 0.4:
            # Real counts are mostly 0 or small (no complaints, one notice...): draw those often.
            return float(min(hi, lo + rng.choice((0, 0, 1, 2, 3))))
        # Log-uniform over wide ranges so small, typical values are drawn as often as large ones.
        if hi - lo > 1000 and lo >= 0:
            x = math.exp(rng.uniform(0, math.log(hi - lo + 1))) - 1 + lo
        else:
            x = rng.uniform(lo, hi)
        if integer:
            return float(min(hi, max(lo, round(x))))
        return round(x, 4 if percent else 2)

    def random_unit(self) -> dict[str, Any]:
        unit = {i.id: self.random_value(i) for i in self.spec.inputs}
        return self._coherent(unit)

    def valid(self, unit: dict[str, Any]) -> dict[str, Any]:
        """Replace any value a probe pushed outside its input's declared range."""
        for inp in self.spec.inputs:
            try:
                normalize_value(inp, unit.get(inp.id), "")
            except InputError:
                unit[inp.id] = self.random_value(inp, blank_rate=0)
        return unit

    def _coherent(self, unit: dict[str, Any]) -> dict[str, Any]:
        """Random units whose ratios mostly stay within 0..120% (numerators drawn near their denominators)."""
        for d in self.spec.derived:
            if d.kind == "ratio" and d.percent and self.rng.random() < 0.8:
                num, den = d.args
                if isinstance(unit.get(den), float) and num in unit and unit.get(num) is not None:
                    share = self.rng.choice((1.0, 1.0, 0.95, 0.9, 0.8, 0.75, 0.5, self.rng.uniform(0.3, 1.2)))
                    inp = next(i for i in self.spec.inputs if i.id == num)
                    v = unit[den] * share
                    unit[num] = float(round(v)) if inp.type == "integer" else round(v, 2)
                    if inp.hi is not None:
                        unit[num] = min(unit[num], inp.hi)
        return unit

    def param_variants(self) -> list[dict[str, Any]]:
        """Defaults first, then each parameter moved to each of its other values."""
        out: list[dict[str, Any]] = [{}]
        for p in self.spec.params:
            if p.is_choice:
                out += [{p.name: code} for code, _ in p.choices if code != p.default]
            elif p.lo is not None and p.hi is not None:
                for v in {p.lo, p.hi}:
                    if v != p.default:
                        out.append({p.name: v})
        return out

    def invalid_unit(self) -> dict[str, Any]:
        """A valid unit with one to three inputs holding what a user can type past a cell's
        validation (98 into a percent cell, a count of -1, 2.5 people, text, 对 for 是/否): both back
        ends must score the rules reading them 待填 and call the value invalid."""
        unit = self.valid(self.random_unit())
        scalars = [i for i in self.spec.inputs if not i.is_list and not i.is_text]
        for inp in self.rng.sample(scalars, k=min(len(scalars), self.rng.randint(1, 3))):
            unit[inp.id] = self.invalid_value(inp)
        return unit

    def invalid_value(self, inp: InputDef) -> Any:
        if inp.is_bool:
            return self.rng.choice(("对", "0.5", "是的"))
        options: list[Any] = ["无", "待统计"]
        if inp.hi is not None:
            options.append(98.0 if inp.is_percent and inp.hi < 98 else inp.hi + 1)
        if inp.lo is not None:
            options.append(inp.lo - 1)
        if inp.type == "integer":
            options.append((inp.lo or 0) + 2.5)
        return self.rng.choice(options)

    def one_blank_unit(self) -> dict[str, Any]:
        """A valid unit with exactly one input blank, each input in turn: the 待填 text then
        names that input alone (a wrong "、" or a validity test reading the wrong cell shows)."""
        unit = self.valid(self.random_unit())
        for inp in self.spec.inputs:  # filled everywhere else
            if unit.get(inp.id) in (None, []):
                unit[inp.id] = self.random_value(inp, blank_rate=0)
        inp = self.spec.inputs[self._blanked % len(self.spec.inputs)]
        self._blanked += 1
        unit[inp.id] = [] if inp.is_list else None
        return unit

    def sparse_unit(self) -> dict[str, Any]:
        """A unit with a fifth of its inputs left blank (待填 paths)."""
        unit = self.random_unit()
        for inp in self.spec.inputs:
            if self.rng.random() < 0.2:
                unit[inp.id] = [] if inp.is_list else None
        return unit

    def extreme_unit(self) -> dict[str, Any]:
        """Every numeric input at an end of its range (penalties at their largest, rates at 0):
        the units that drive raw scores below zero and exercise every floor."""
        unit = self.random_unit()
        for inp in self.spec.inputs:
            if inp.is_bool:
                unit[inp.id] = self.rng.choice(("是", "否"))
            elif inp.is_list:
                end = inp.hi if self.rng.random() < 0.5 and inp.hi is not None else (inp.lo or 0.0)
                unit[inp.id] = [end] * inp.capacity
            elif not inp.is_text and self.rng.random() < 0.5:
                end = inp.lo if self.rng.random() < 0.5 else inp.hi
                if end is not None:
                    unit[inp.id] = end
        return self._coherent(unit)

    def related_params(self) -> dict[str, set[str]]:
        """Parameters each rule's cells (or its ancestors' cells) read."""

        graph = lower(self.spec)
        by_node: dict[str, set[str]] = {}
        for cell in graph.cells:
            if cell.node is not None and cell.expr is not None:
                names = {n.name for n in ir.walk(cell.expr) if isinstance(n, ir.Param)}
                by_node.setdefault(cell.node, set()).update(names)
        out: dict[str, set[str]] = {}
        for node in self.spec.nodes():
            if node.rule is None:
                continue
            chain = [node.id] + [a.id for a in self.spec.ancestors(node.id)]
            out[node.id] = set().union(*(by_node.get(n, set()) for n in chain))
        return out

    def tasks(self) -> list[tuple[Probe, dict[str, Any]]]:
        """Every probe under the default parameters and under each other value of each parameter
        its rule reads, then the probes of every input (at 0, past validation, blank) and of every
        self-score, interleaved so that a short run still covers every parameter value and kind."""
        related = self.related_params()
        groups: dict[tuple, list[tuple[Probe, dict[str, Any]]]] = {}
        for node, probe in self.probes:
            groups.setdefault((), []).append((probe, {}))
            for variant in self.param_variants()[1:]:
                ((name, _),) = variant.items()
                if name in related.get(node, set()):
                    groups.setdefault(tuple(variant.items()), []).append((probe, variant))
        # Each number that can be 0 at 0, alone: the guards against dividing by it (a form's
        # 执行率 shows "" for a budget of 0) are read by no rule's own probes.
        groups[("zero",)] = [
            ({inp.id: 0.0}, {})
            for inp in self.spec.inputs
            if inp.is_number and (inp.lo or 0) <= 0 <= (inp.hi if inp.hi is not None else 1)
        ]
        groups[("audit",)] = [(p, {}) for p in self.audit_probes()]
        # Each number as typed past the cell's validation (laid over a unit unrepaired, see cases).
        past = [{inp.id: v} for inp in self.spec.inputs for v in past_validation(inp)]
        self._past_validation = {id(p) for p in past}
        groups[("past",)] = [(p, {}) for p in past]
        # ... and in a row left otherwise empty: the 待填 text then names every input, and the
        # "、" before or after the invalid one turns on its validity test (a bound there reading
        # the next column showed only with two inputs invalid at once).
        empty = {inp.id: [] if inp.is_list else None for inp in self.spec.inputs}
        alone = [{**empty, **p} for p in past]
        self._past_validation |= {id(p) for p in alone}
        groups[("past_alone",)] = [(p, {}) for p in alone]
        # Each number at each end of its range (valid): a validity bound flipped (<=5 → <5)
        # shows there only.
        groups[("ends",)] = [
            ({inp.id: float(end)}, {})
            for inp in self.spec.inputs
            if inp.is_number and not inp.is_list
            for end in (inp.lo, inp.hi)
            if end is not None
        ]
        # Each input blank alone: its 待填 text names it alone, and display cells that guard
        # against a blank (执行率 without an 执行数) turn.
        groups[("blank",)] = [({inp.id: [] if inp.is_list else None}, {}) for inp in self.spec.inputs]
        # The other parameter values share one turn: with one turn each, huidong's seven
        # variants left a 1,000-case run a tenth of its turns for the inputs' own probes, and
        # the values past validation of its later inputs were never typed.
        variants = [q for key, q in groups.items() if key and key[0] not in _OWN_GROUPS]
        queues = [groups.get((), []), _round_robin(variants)]
        queues += [q for key, q in groups.items() if key and key[0] in _OWN_GROUPS]
        return _round_robin(queues)

    def audit_probes(self) -> list[Probe]:
        """Each self-assigned score at the item's full marks and half a point either side, with its
        偏差原因 blank and filled: where the audit's "below full marks without a reason" and
        "above the maximum" tests turn."""
        out: list[Probe] = []
        for node in self.spec.nodes():
            if not node.self_score:
                continue
            reason = node.reason
            for score in (node.points, node.points - 0.5, node.points + 0.5):
                for text in ("", "原因说明") if reason else (None,):
                    probe: Probe = {node.self_score: score}
                    if reason:
                        probe[reason] = text
                    out.append(probe)
        return out

    def cases(self, count: int, scorer: Any = None) -> Iterator[Case]:
        """The empty case; then every boundary probe under every parameter value its rule reads
        (units of one case share the case's parameters), with extreme and sparse units beside
        them, with cohorts on and just below each grade boundary (given ``scorer``) after the
        first ``BOUNDARIES_AFTER`` probe cases, so that short runs reach both; then random
        cases: ``count`` in all, deterministic."""
        made = 0
        yield Case([{} for _ in range(self.n)], {}, "全部为空")
        made += 1
        pending = self.tasks()
        variants = self.param_variants()
        boundaries_due = scorer is not None  # computed only by runs long enough to reach them
        while made < count:
            if boundaries_due and (not pending or made > BOUNDARIES_AFTER):  # the grade boundaries
                boundaries_due = False
                for label, units in boundary_cohorts(self, scorer):
                    if made >= count:
                        return
                    yield Case(units, {}, label)
                    made += 1
                continue
            if pending:
                params = pending[0][1]
                batch = [t for t in pending if t[1] == params][: max(1, self.n - 1 if self.n > 1 else 1)]
                for t in batch:
                    pending.remove(t)
            else:
                params = variants[(made // 2) % len(variants)] if made % 2 else {}
                batch = []
            units = []
            for u in range(self.n):
                if u < len(batch):
                    probe = batch[u][0]
                    if id(probe) in self._past_validation:  # repaired first, so the probe stays
                        units.append({**self.valid(self.random_unit()), **probe})
                    else:
                        units.append(self.valid({**self.random_unit(), **probe}))
                elif self.rng.random() < 0.25:
                    units.append(self.valid(self.extreme_unit()))
                elif self.rng.random() < 0.2:
                    units.append(self.valid(self.sparse_unit()))
                elif self.rng.random() < 0.1:
                    units.append(self.invalid_unit())
                elif self.rng.random() < 0.15:
                    units.append(self.one_blank_unit())
                else:
                    units.append(self.valid(self.random_unit()))
            if self.n > 2 and self.rng.random() < 0.3:
                # Tied ranks: copy one unit's inputs onto others.
                src = self.rng.randrange(self.n)
                for dst in self.rng.sample(range(self.n), k=min(3, self.n)):
                    units[dst] = dict(units[src])
            yield Case(units, params, f"第{made}例")
            made += 1


_OWN_GROUPS = ("zero", "audit", "past", "past_alone", "ends", "blank")


def _round_robin(queues: list[list[Any]]) -> list[Any]:
    """One item of each queue in turn, until all are empty."""
    out: list[Any] = []
    queues = [list(q) for q in queues]
    while any(queues):
        for q in queues:
            if q:
                out.append(q.pop(0))
    return out
