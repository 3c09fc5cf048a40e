"""Input cases for verification: random within each input's declared range, plus boundary
probes derived from the rule tree (every threshold and one step either side, exact step
boundaries, floors, caps, vetoes, tied ranks, empty inputs, every parameter value).

A probe is a partial assignment of inputs aimed at one rule; it is laid over a random unit. For
derived quantities the probe solves for the inputs behind them (a ratio hitting exactly 80%
picks a denominator that makes the numerator a whole number when it must be one).
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
from xlcalc.rules.base import Probe, clean_number
from xlcalc.scorer import normalize_value
from xlcalc.spec.applicability import accepted_values
from xlcalc.spec.model import DerivedDef, InputDef, Spec

from .boundary import boundary_cohorts


@dataclass
class Case:
    """One recalculation: every unit row's inputs and the parameter values (by code or label)."""

    units: list[dict[str, Any]]
    params: dict[str, Any] = field(default_factory=dict)
    label: str = ""


class ProbeMaker:
    """Solves "make quantity X equal v" into input assignments."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.inputs = {i.id: i for i in spec.inputs}
        self.derived = {d.id: d for d in spec.derived}

    def set_value(self, ref: str, value: float) -> Probe | None:
        if ref in self.inputs:
            inp = self.inputs[ref]
            if inp.type == "integer" and value != int(value):
                return None
            if (inp.lo is not None and value < inp.lo) or (inp.hi is not None and value > inp.hi):
                return None
            return {ref: value if inp.type != "integer" else int(value)}
        d = self.derived.get(ref)
        if d is None:
            return None
        return self._solve_derived(d, value)

    def _solve_derived(self, d: DerivedDef, value: float) -> Probe | None:
        if d.kind == "ratio":
            num, den = d.args
            for base in (100000, 10000, 1000, 200, 100, 40, 20, 10, 1):
                n = value * base / d.scale
                n_r = round(n, 9)
                a = self.set_value(den, base)
                b = self.set_value(num, n_r if abs(n_r - round(n_r)) > 1e-9 else round(n_r))
                if a is not None and b is not None:
                    return {**a, **b}
            return None
        if d.kind == "mean" and d.args[0] in self.inputs:
            return {d.args[0]: [value] * max(1, min(20, self.inputs[d.args[0]].capacity))}
        if d.kind == "clamp":
            inside = (d.lo is None or value >= d.lo) and (d.hi is None or value <= d.hi)
            return self.set_value(d.args[0], value) if inside else None
        if d.kind in ("min", "max"):  # every operand at the value
            out: Probe = {}
            for a in d.args:
                p = self.set_value(a, value)
                if p is None:
                    return None
                out.update(p)
            return out
        if d.kind == "piecewise":
            return self._solve_piecewise(d, value)
        return None

    def _solve_piecewise(self, d: DerivedDef, value: float) -> Probe | None:
        """The tested quantity at ``value`` if that selects a piece showing the quantity itself,
        else at the bound of a numeric piece equal to ``value``."""
        x = d.args[0]
        for bound, piece in d.pieces:
            if piece == x and (bound is None or value >= bound):
                chosen = next(p for b, p in d.pieces if b is None or value >= b)
                return self.set_value(x, value) if chosen == x else None
            if piece == value and bound is not None:
                return self.set_value(x, bound)
        return None

    def breakpoints(self, d: DerivedDef) -> list[Probe]:
        """The tested quantity of a clamp or piecewise quantity at and around every bound."""
        x = d.args[0] if d.args else ""
        bounds: list[float] = []
        if d.kind == "clamp":
            bounds = [b for b in (d.lo, d.hi) if b is not None]
        elif d.kind == "piecewise":
            bounds = [b for b, _ in d.pieces if b is not None]
        return [p for b in bounds for p in self.near(x, b, self.resolution(x))]

    def near(self, ref: str, threshold: float, step: float) -> list[Probe]:
        out = []
        for v in (threshold, threshold - step, threshold + step, threshold - step / 2, threshold - 2 * step):
            p = self.set_value(ref, clean_number(v))
            if p is not None:
                out.append(p)
        return out

    def resolution(self, ref: str) -> float:
        """The smallest meaningful change of a quantity (1 for counts, 1pp for rates)."""
        if ref in self.inputs:
            return 1.0 if self.inputs[ref].type in ("integer", "list") else 0.01
        d = self.derived.get(ref)
        return 0.01 if d is not None and d.percent else 1.0


def rule_probes(spec: Spec) -> list[tuple[str, Probe]]:
    """(node id, probe) for every rule, plus its penalties and vetoes."""
    pm = ProbeMaker(spec)
    out: list[tuple[str, Probe]] = []
    for node in spec.nodes():
        rule = node.rule
        if rule is None:
            continue
        out += [(node.id, p) for p in rule.probes(pm, node.max_score)]
        for pen in rule.penalties:
            n0 = int(round(node.points / pen.per)) if pen.per else 1
            out += [(node.id, p) for k in (0, 1, 2, n0, n0 + 1, 20) if (p := pm.set_value(pen.count, k))]
        for v in rule.vetoes:
            out.append((node.id, {v.flag: "是"}))
    for node in spec.nodes():  # applies_when: each value of each attribute, and blank
        for attr, _ in node.applies_when:
            values = accepted_values(spec, attr) or ()
            out += [(node.id, {attr: v}) for v in (*values, None)]
    for d in spec.derived:
        out += [(f"derived:{d.id}", p) for p in pm.breakpoints(d)]
    return out + limit_probes(spec, out)


def limit_probes(spec: Spec, probes: list[tuple[str, Probe]]) -> list[tuple[str, Probe]]:
    """Probes of every rule under a node with a ``cap`` or taking pooled deductions, laid together
    (the k-th probe of each, cycling, counted from the first and from the last: a kind's probes run
    from its threshold out to its extremes): the sum crosses the cap, or the deductions reach the
    floor, only when several rules are near their limits at once."""
    pools = {n.rule.pool for n in spec.nodes() if n.rule is not None and n.rule.pool}
    out: list[tuple[str, Probe]] = []
    for node in spec.nodes():
        if node.is_leaf or (node.cap is None and node.id not in pools):
            continue
        under = {n.id for n in node.walk() if n.rule is not None}
        lists = [[p for nid, p in probes if nid == leaf] for leaf in sorted(under)]
        lists = [ps for ps in lists if ps]
        for k in range(max((len(ps) for ps in lists), default=0)):
            for pick in (k, -1 - k):
                merged: Probe = {}
                for ps in lists:
                    merged.update(ps[pick % len(ps)])
                out.append((node.id, merged))
    return out


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
        its rule reads, interleaved so that a short run still covers every parameter value."""
        related = self.related_params()
        groups: dict[tuple, list[tuple[Probe, dict[str, Any]]]] = {}
        for node, probe in self.probes:
            groups.setdefault((), []).append((probe, {}))
            for variant in self.param_variants()[1:]:
                ((name, _),) = variant.items()
                if name in related.get(node, set()):
                    groups.setdefault(tuple(variant.items()), []).append((probe, variant))
        out: list[tuple[Probe, dict[str, Any]]] = []
        queues = list(groups.values())
        while any(queues):
            for q in queues:
                if q:
                    out.append(q.pop(0))
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
                    base = self.random_unit()
                    base.update(batch[u][0])
                    units.append(self.valid(base))
                elif self.rng.random() < 0.25:
                    units.append(self.valid(self.extreme_unit()))
                elif self.rng.random() < 0.2:
                    units.append(self.valid(self.sparse_unit()))
                elif self.rng.random() < 0.1:
                    units.append(self.invalid_unit())
                else:
                    units.append(self.valid(self.random_unit()))
            if self.n > 2 and self.rng.random() < 0.3:
                # Tied ranks: copy one unit's inputs onto others.
                src = self.rng.randrange(self.n)
                for dst in self.rng.sample(range(self.n), k=min(3, self.n)):
                    units[dst] = dict(units[src])
            yield Case(units, params, f"第{made}例")
            made += 1
