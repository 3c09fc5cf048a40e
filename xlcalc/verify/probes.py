"""Boundary probes derived from the rule tree: every threshold and one step either side, exact
step boundaries, floors, caps, vetoes, tied ranks, empty inputs.

A probe is a partial assignment of inputs aimed at one rule; it is laid over a random unit. For
derived quantities the probe solves for the inputs behind them (a ratio hitting exactly 80%
picks a denominator that makes the numerator a whole number when it must be one).
"""

from __future__ import annotations

from xlcalc.rules.base import Probe, clean_number
from xlcalc.spec.applicability import accepted_values
from xlcalc.spec.model import DerivedDef, Spec

__all__ = ["ProbeMaker", "limit_probes", "rule_probes"]


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
