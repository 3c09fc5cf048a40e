"""Deductions: per unit short (P2, P11), per step of percentage points (P3), banded per-person
penalties (P4) and capped per-item bonuses (P10)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from xlcalc import ir, xlruntime
from xlcalc.rules.base import (
    Lowered,
    Probe,
    ProbeSolver,
    Rule,
    clean_number,
    number_or_percent,
    parse_common,
    read_amount,
    register,
)
from xlcalc.yamlread import Reader

if TYPE_CHECKING:
    from xlcalc.lowering import Lowering
    from xlcalc.spec.model import Node

PARTIAL_STEP_PARAM = "partial_step"


def _target(r: Reader, key: str) -> float | str | None:
    """A target that is either a literal amount or the id of another quantity."""
    r.used.add(key)
    raw = r.data.get(key)
    if isinstance(raw, str) and number_or_percent(raw) is None:
        return raw
    return read_amount(r, key)


@register
@dataclass(frozen=True)
class Deduction(Rule):
    """Full marks minus ``per`` for each unit short of a target, each incident counted, or each
    required item not done (每少1件扣0.5分 / 每发现1起扣1分 / 每少1项扣0.5分)."""

    KIND = "deduction"
    PATTERNS = ("P2", "P11", "P21")
    FIELDS_DOC = "`per`, and `shortfall: {value, target}` \\| `count: id` \\| `count_false: [ids]`, `unit`"
    SCORE_DOC = "points − per × (units short / incidents / items not done)"
    per: float
    value: str = ""
    target: float | str | None = None
    count: str = ""
    count_false: tuple[str, ...] = ()
    unit: str = ""
    penalties: tuple = ()
    vetoes: tuple = ()
    floor: str = "param"

    @classmethod
    def parse(cls, r: Reader) -> Deduction:
        per = read_amount(r, "per") or 0.0
        unit = r.get("unit", str, "")
        value, target, count, flags = "", None, "", ()
        if r.has("shortfall"):
            s = r.child("shortfall")
            assert s is not None
            value = s.get("value", str) or ""
            target = _target(s, "target")
            s.finish()
        elif r.has("count"):
            count = r.get("count", str) or ""
        elif r.has("count_false"):
            flags = tuple(str(x) for x, _, _ in r.items("count_false"))
        else:
            r.error("a deduction needs one of 'shortfall', 'count' or 'count_false'")
        return cls(per, value, target, count, flags, unit, **parse_common(r))

    def refs(self) -> list[str]:
        out = [x for x in (self.value, self.count) if x]
        if isinstance(self.target, str):
            out.append(self.target)
        return out + list(self.count_false)

    def probes(self, pm: ProbeSolver, points: float) -> list[Probe]:
        # n0 units short take the score to exactly 0; one more goes below the floor.
        n0 = int(round(points / self.per)) if self.per else 1
        shorts = (0, 1, 2, n0 - 1, n0, n0 + 1, 4 * n0)
        if self.value and isinstance(self.target, str):
            # Target is another input: fix it and move the value around it.
            base = 50.0
            return [
                {**a, **b}
                for k in shorts
                if (a := pm.set_value(self.target, base)) and (b := pm.set_value(self.value, base - k))
            ]
        if self.value and isinstance(self.target, int | float):
            probes = [p for k in shorts if (p := pm.set_value(self.value, self.target - k))]
            lo = pm.inputs[self.value].lo if self.value in pm.inputs else None
            if lo is not None and (p := pm.set_value(self.value, lo)):
                probes.append(p)
            return probes
        if self.count:
            return [p for k in shorts if k >= 0 and (p := pm.set_value(self.count, k))]
        if self.count_false:
            return [{f: v for f in self.count_false} for v in ("是", "否")] + [{self.count_false[0]: "否"}]
        return []

    def stated_threshold(self) -> tuple[str, float] | None:
        return (">=", float(self.target)) if self.value and isinstance(self.target, int | float) else None

    def counts_incidents(self) -> bool:
        return bool(self.count)

    def lower(self, lw: Lowering, node: Node) -> Lowered:
        per = ir.Num(self.per)
        unit = self.unit
        if self.value:
            target = lw.val(self.target) if isinstance(self.target, str) else ir.Num(self.target or 0.0)
            n = lw.helper(
                node,
                "short",
                "差额",
                ir.if_(lw.ready(self.refs()), ir.max_(0, target - lw.val(self.value)), ir.PENDING),
            )
            target_text = (
                lw.show(self.target)
                if isinstance(self.target, str)
                else lw.show_literal(self.value, self.target or 0.0)
            )
            why = ir.concat(
                lw.label(self.value),
                lw.show(self.value),
                "，目标",
                target_text,
                ir.if_(
                    n.cmp(">", 0),
                    ir.concat(
                        "，少",
                        ir.num_text(n, 2),
                        unit,
                        "，每少1",
                        unit,
                        "扣",
                        ir.num_text(per, 2),
                        "分，扣",
                        ir.num_text(n * per, 2),
                        "分",
                    ),
                    "，已达到",
                ),
            )
        elif self.count:
            n = lw.val(self.count)
            why = ir.concat(
                lw.label(self.count),
                ir.num_text(n, 2),
                unit,
                ir.if_(
                    n.cmp(">", 0),
                    ir.concat(
                        "，每",
                        unit or "次",
                        "扣",
                        ir.num_text(per, 2),
                        "分，扣",
                        ir.num_text(n * per, 2),
                        "分",
                    ),
                    "，不扣分",
                ),
            )
        else:
            hits = [ir.if_(ir.Ref(f).cmp("=", "否"), 1, 0) for f in self.count_false]
            n = lw.helper(
                node,
                "missing",
                "未完成事项数",
                ir.if_(lw.ready(self.refs()), ir.call("SUM", *hits), ir.PENDING),
                "0",
            )
            notes = [
                ir.if_(ir.Ref(f).cmp("=", "否"), ir.concat("；", lw.label(f), "：否"), "")
                for f in self.count_false
            ]
            why = ir.concat(
                "未完成事项",
                n,
                "项",
                *notes,
                ir.if_(
                    n.cmp(">", 0),
                    ir.concat("；每项扣", ir.num_text(per, 2), "分，扣", ir.num_text(n * per, 2), "分"),
                    "",
                ),
            )
        return Lowered(
            node.points - per * n, why, tuple(self.refs()), lo=self._lowest(lw, node), hi=node.points
        )

    def _lowest(self, lw: Lowering, node: Node) -> float | None:
        if self.value:
            lo, _ = lw.value_range(self.value)
            if lo is None or not isinstance(self.target, int | float):
                return None
            most = max(0.0, self.target - lo)
        elif self.count:
            _, most_n = lw.value_range(self.count)
            if most_n is None:
                return None
            most = most_n
        else:
            most = float(len(self.count_false))
        return node.points - self.per * most


@register
@dataclass(frozen=True)
class StepDeduction(Rule):
    """Full marks at the threshold, minus ``per_step`` for each ``step`` below it (每降低五个百分点
    扣0.5分). Partial steps follow the rubric parameter ``partial_step``."""

    KIND = "step_deduction"
    PATTERNS = ("P3",)
    FIELDS_DOC = "`value`, `threshold`, `step`, `per_step`, `direction: below\\|above`, `full_marks`"
    SCORE_DOC = "points − per_step × steps; steps from `ROUND((threshold − value)/step, 9)` by `partial_step`"
    value: str
    threshold: float
    step: float
    per_step: float
    direction: str = "below"
    full: float | None = None
    penalties: tuple = ()
    vetoes: tuple = ()
    floor: str = "param"

    @classmethod
    def parse(cls, r: Reader) -> StepDeduction:
        rule = cls(
            value=r.get("value", str) or "",
            threshold=read_amount(r, "threshold") or 0.0,
            step=read_amount(r, "step") or 1.0,
            per_step=read_amount(r, "per_step") or 0.0,
            direction=r.choice("direction", ("below", "above"), "below") or "below",
            full=read_amount(r, "full_marks", None, required=False),
            **parse_common(r),
        )
        if rule.step <= 0:
            r.error("'step' must be positive", "step")
        return rule

    def refs(self) -> list[str]:
        return [self.value]

    def full_marks(self) -> float | None:
        return self.full

    def probes(self, pm: ProbeSolver, points: float) -> list[Probe]:
        probes = []
        for k in (0, 1, 2, 3, 0.5, 1.5, 4, 10, 20):
            v = (
                self.threshold - k * self.step
                if self.direction == "below"
                else self.threshold + k * self.step
            )
            p = pm.set_value(self.value, clean_number(v))
            if p is not None:
                probes.append(p)
        return probes

    def stated_threshold(self) -> tuple[str, float] | None:
        return (">=" if self.direction == "below" else "<=", self.threshold)

    def lower(self, lw: Lowering, node: Node) -> Lowered:
        a = lw.val(self.value)
        t = ir.Num(self.threshold)
        diff = (t - a) if self.direction == "below" else (a - t)
        # ROUND(...,9) before stepping: (1-0.9)/0.05 is 1.9999999999999996 in binary.
        gap = lw.helper(
            node,
            "gap",
            "差距档数（未取整）",
            ir.if_(lw.ready([self.value]), ir.max_(0, ir.round_(diff / self.step, 9)), ir.PENDING),
        )
        p = PARTIAL_STEP_PARAM
        steps_expr = ir.if_(
            lw.param_is(p, "floor"),
            ir.call("INT", gap),
            ir.if_(
                lw.param_is(p, "ceil"),
                ir.call("ROUNDUP", gap, 0),
                ir.if_(lw.param_is(p, "proportional"), gap, ir.round_(gap, 0)),
            ),
        )
        steps = lw.helper(node, "steps", "扣分档数", ir.if_(ir.isnum(gap), steps_expr, ir.PENDING))
        full = self.full if self.full is not None else node.points
        raw = full - ir.Num(self.per_step) * steps
        pct = lw.is_percent(self.value)
        word = "低于" if self.direction == "below" else "高于"
        if pct:
            gap_text = ir.concat(ir.fixed_text(gap * (self.step * 100), 1), "个百分点")
            step_text = f"每{xlruntime.general_text(self.step * 100)}个百分点"
        else:
            unit = lw.unit(self.value)
            gap_text = ir.concat(ir.num_text(gap * self.step, 2), unit)
            step_text = f"每{xlruntime.general_text(self.step)}{unit}"
        why = ir.concat(
            lw.label(self.value),
            lw.show(self.value),
            ir.if_(
                gap.cmp(">", 0),
                ir.concat(
                    "，",
                    word,
                    lw.show_literal(self.value, self.threshold),
                    "共",
                    gap_text,
                    "，按",
                    step_text,
                    "扣",
                    ir.num_text(self.per_step, 2),
                    "分计（",
                    lw.param(p),
                    "），扣",
                    ir.num_text(steps * self.per_step, 2),
                    "分",
                ),
                ir.concat(
                    "，",
                    "达到" if self.direction == "below" else "未超过",
                    lw.show_literal(self.value, self.threshold),
                ),
            ),
        )
        lo_v, hi_v = lw.value_range(self.value)
        far = (
            (self.threshold - lo_v)
            if self.direction == "below" and lo_v is not None
            else ((hi_v - self.threshold) if self.direction == "above" and hi_v is not None else None)
        )
        lowest = None if far is None else full - self.per_step * max(0.0, far / self.step)
        return Lowered(raw, why, (self.value,), lo=lowest, hi=full)


@dataclass(frozen=True)
class Band:
    lo: float
    hi: float | None
    per: float
    label: str


@register
@dataclass(frozen=True)
class BandedPenalty(Rule):
    """A pure penalty with no points of its own: ``per`` for each list item inside a band
    (年承办90-149件的每人次扣1.5分). The parameter ``pool_param`` chooses which indicator absorbs it."""

    KIND = "banded_penalty"
    PATTERNS = ("P4",)
    FIELDS_DOC = "`list`, `bands: [{min, max, per, label}]`, `pool_param`, `unit`"
    SCORE_DOC = "−Σ per × items in band (no points of its own; deducted from the node `pool_param` picks)"
    PARAM_FIELDS = ("pool_param",)
    ZERO_POINTS = True
    list: str
    bands: tuple[Band, ...]
    pool_param: str = ""
    unit: str = "人"
    penalties: tuple = ()
    vetoes: tuple = ()
    floor: str = "none"

    @classmethod
    def parse(cls, r: Reader) -> BandedPenalty:
        lst = r.get("list", str) or ""
        bands = []
        for b in r.readers("bands", required=True):
            bands.append(
                Band(
                    read_amount(b, "min") or 0.0,
                    read_amount(b, "max", None, required=False),
                    read_amount(b, "per") or 0.0,
                    b.get("label", str, ""),
                )
            )
            b.finish()
        pool = r.get("pool_param", str, "")
        unit = r.get("unit", str, "人")
        common = parse_common(r)
        common["floor"] = "none"
        return cls(lst, tuple(bands), pool, unit, **common)

    def refs(self) -> list[str]:
        return [self.list]

    def probes(self, pm: ProbeSolver, points: float) -> list[Probe]:
        edges: list[float] = []
        for b in self.bands:
            edges += [b.lo - 1, b.lo] + ([b.hi, b.hi + 1] if b.hi is not None else [])
        full = pm.inputs[self.list].capacity if self.list in pm.inputs else 20
        heaviest = max(self.bands, key=lambda b: b.per).lo
        # Every band edge; a few in one band; a full list in the heaviest band (a penalty large
        # enough to empty whatever indicator absorbs it).
        return [
            {self.list: [e for e in edges if e >= 0]},
            {self.list: [edges[1]] * 7},
            {self.list: [heaviest] * full},
            {self.list: []},
        ]

    def lower(self, lw: Lowering, node: Node) -> Lowered:
        rng = lw.val(self.list)
        if self.pool_param:
            lw.pool(node, self.pool_param)
        counts = []
        notes: list[ir.ExprLike] = []
        for i, b in enumerate(self.bands):
            crit: list[ir.ExprLike] = [rng, ">=" + xlruntime.general_text(b.lo)]
            if b.hi is not None:
                crit += [rng, "<=" + xlruntime.general_text(b.hi)]
            label = b.label or (
                f"{xlruntime.general_text(b.lo)}-{xlruntime.general_text(b.hi)}"
                if b.hi is not None
                else f"{xlruntime.general_text(b.lo)}以上"
            )
            n = lw.helper(node, f"band{i + 1}", f"{label}人数", ir.call("COUNTIFS", *crit), "0")
            counts.append((n, b))
            notes.append(
                ir.if_(
                    n.cmp(">", 0),
                    ir.concat(label, n, self.unit, "，每", self.unit, "扣", ir.num_text(b.per, 2), "分；"),
                    "",
                )
            )
        penalty: ir.Expr = ir.Num(counts[0][1].per) * counts[0][0]
        for n, b in counts[1:]:
            penalty = penalty + ir.Num(b.per) * n
        why = ir.concat(lw.label(self.list), "共", ir.call("COUNT", rng), "项；", *notes)
        return Lowered(-penalty, why, (self.list,), clamp=False)


@register
@dataclass(frozen=True)
class Bonus(Rule):
    """``per`` points for each item, up to ``cap`` (每采用一篇得0.4分，总分2分)."""

    KIND = "bonus"
    PATTERNS = ("P10",)
    FIELDS_DOC = "`count`, `per`, `cap`, `unit`"
    SCORE_DOC = "min(cap, per × count)"
    count: str
    per: float
    cap: float | None = None
    unit: str = "篇"
    penalties: tuple = ()
    vetoes: tuple = ()
    floor: str = "zero"

    @classmethod
    def parse(cls, r: Reader) -> Bonus:
        return cls(
            r.get("count", str) or "",
            read_amount(r, "per") or 0.0,
            read_amount(r, "cap", None, required=False),
            r.get("unit", str, "篇"),
            **parse_common(r),
        )

    def refs(self) -> list[str]:
        return [self.count]

    def probes(self, pm: ProbeSolver, points: float) -> list[Probe]:
        cap = self.cap if self.cap is not None else 2
        n = int(round(cap / self.per)) if self.per else 1
        return [p for k in (0, 1, n - 1, n, n + 1) if (p := pm.set_value(self.count, k))]

    def lower(self, lw: Lowering, node: Node) -> Lowered:
        n = lw.val(self.count)
        cap = self.cap if self.cap is not None else node.points
        why = ir.concat(
            lw.label(self.count),
            n,
            self.unit,
            "，每",
            self.unit,
            "得",
            ir.num_text(self.per, 2),
            "分",
            ir.if_(
                (n * self.per).cmp(">", cap), ir.concat("，以", ir.num_text(ir.Num(cap), 2), "分为限"), ""
            ),
        )
        # A count is not always non-negative (a derived difference can fall below zero): the lowest
        # score follows from the count's declared range.
        least, _ = lw.value_range(self.count)
        lo = None if least is None else min(cap, least * self.per)
        return Lowered(ir.min_(cap, n * self.per), why, (self.count,), lo=lo, hi=cap)
