"""Multi-period rules (P13): one rule applied to each period, its deductions summed.

惠东 2020-2022: "该项指标2020-2022年期间每有1次未达标的，仍按本标准扣分". The indicator is scored
once per year by the rule the row states (a step deduction, tiers, a count) and the years'
deductions add up: ``score = full − Σ_year (full − score_year)``, each year's score kept within
``0..full`` and the total floored like any rule.

The per-period rule is written once, under ``each``, in terms of *slots*: names that each period
maps to its own inputs (``rate: good_rate_2021``). A proxy of the lowering context substitutes
the period's inputs for the slots, so any rule kind can serve as the per-period rule without
knowing it is repeated. An optional ``pooled`` mapping evaluates the rule once on the whole
period's figure instead, when the parameter ``mode_param`` chooses 合并计算.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from xlcalc import ir
from xlcalc.rules.base import REGISTRY, Lowered, Probe, ProbeSolver, Rule, parse_common, register
from xlcalc.yamlread import Reader

if TYPE_CHECKING:
    from xlcalc.lowering import Lowering
    from xlcalc.spec.model import Node

PERIOD_MODE_PER = "per_period"
PERIOD_MODE_POOLED = "pooled"


@dataclass(frozen=True)
class Period:
    """One period: its label (2021年) and the input each slot stands for."""

    label: str
    slots: tuple[tuple[str, str], ...]

    def mapping(self) -> dict[str, str]:
        return dict(self.slots)

    @classmethod
    def parse(cls, r: Reader) -> Period:
        label = str(r.get("period", (str, int), ""))
        slots = []
        for key in r.data:
            if key == "period":
                continue
            slots.append((str(key), r.get(str(key), str, "")))
        r.finish()
        return cls(label, tuple(slots))


class SlotLowering:
    """The lowering context as one period's rule sees it: slot names read that period's inputs."""

    def __init__(self, lw: Lowering, slots: dict[str, str]) -> None:
        self._lw = lw
        self._slots = slots

    def __getattr__(self, name: str) -> Any:
        return getattr(self._lw, name)

    def _map(self, ref: Any) -> Any:
        return self._slots.get(ref, ref) if isinstance(ref, str) else ref

    def val(self, ref: str) -> ir.Expr:
        return self._lw.val(self._map(ref))

    def label(self, ref: str) -> str:
        return self._lw.label(self._map(ref))

    def unit(self, ref: str) -> str:
        return self._lw.unit(self._map(ref))

    def is_percent(self, ref: str) -> bool:
        return self._lw.is_percent(self._map(ref))

    def value_range(self, ref: str) -> tuple[float | None, float | None]:
        return self._lw.value_range(self._map(ref))

    def show(self, ref: str | ir.Expr, like: str | None = None) -> ir.Expr:
        return self._lw.show(self._map(ref), self._map(like))

    def show_literal(self, like: str, value: float) -> ir.Expr:
        return self._lw.show_literal(self._map(like), value)

    def show_against(self, ref: str, than: ir.Expr) -> ir.Expr:
        return self._lw.show_against(self._map(ref), than)

    def filled(self, ref: str) -> ir.Expr | None:
        return self._lw.filled(self._map(ref))

    def missing_text(self, deps: list[str]) -> ir.Expr:
        return self._lw.missing_text([self._map(d) for d in deps])

    def ready(self, deps: list[str] | tuple[str, ...]) -> ir.Expr | None:
        return self._lw.ready([self._map(d) for d in deps])

    def base_inputs(self, deps: list[str]) -> list[str]:
        return self._lw.base_inputs([self._map(d) for d in deps])


@register
@dataclass(frozen=True)
class PerPeriod(Rule):
    """``each`` applied to every period of ``periods``; deductions summed (每有1次未达标的，仍按本标准扣分)."""

    KIND = "per_period"
    LABEL = "按期计分"
    PATTERNS = ("P13",)
    FIELDS_DOC = (
        "`each` (a rule written with slot names), `periods: [{period: 2021年, <slot>: input id, …}]`, "
        "`pooled: {period, <slot>: id}` (optional), `mode_param` (chooses per period or pooled)"
    )
    SCORE_DOC = "deductions of `each` summed over the periods (or `each` on the pooled figure)"
    PARAM_FIELDS = ("mode_param",)
    each: Rule
    periods: tuple[Period, ...]
    pooled: Period | None = None
    mode_param: str = ""

    @classmethod
    def parse(cls, r: Reader) -> PerPeriod:
        each = _parse_each(r)
        periods = tuple(Period.parse(p) for p in r.readers("periods", required=True))
        pooled_r = r.child("pooled") if r.has("pooled") else None
        pooled = Period.parse(pooled_r) if pooled_r is not None else None
        mode_param = r.get("mode_param", str, "")
        common = parse_common(r)
        if not periods:
            r.error("'periods' needs at least one period", "periods")
        slots = {k for p in periods for k, _ in p.slots}
        for k, p in enumerate(periods):
            if {s for s, _ in p.slots} != slots:
                r.error(f"every period must map the same slots ({', '.join(sorted(slots))})", f"periods[{k}]")
        if pooled is not None and {s for s, _ in pooled.slots} != slots:
            r.error(f"'pooled' must map the same slots as the periods ({', '.join(sorted(slots))})", "pooled")
        if pooled is not None and not mode_param:
            r.error(
                "'pooled' needs 'mode_param', the parameter choosing per-period or pooled evaluation",
                "pooled",
            )
        if mode_param and pooled is None:
            r.error("'mode_param' is only meaningful with 'pooled'", "mode_param")
        if each is None:
            each = _Placeholder()
        return cls(each, periods, pooled, mode_param, **common)

    # ---- what it reads ------------------------------------------------------------------
    def _mapped(self, period: Period) -> list[str]:
        slots = period.mapping()
        return [slots.get(x, x) for x in self.each.refs()]

    def period_refs(self) -> list[str]:
        return list(dict.fromkeys(x for p in self.periods for x in self._mapped(p)))

    def pooled_refs(self) -> list[str]:
        return self._mapped(self.pooled) if self.pooled is not None else []

    def refs(self) -> list[str]:
        return list(dict.fromkeys(self.period_refs() + self.pooled_refs()))

    def full_marks(self) -> float | None:
        return self.each.full_marks()

    # ---- lowering -----------------------------------------------------------------------
    def _one(
        self, lw: Lowering, node: Node, period: Period, suffix: str, full: float
    ) -> tuple[ir.Ref, ir.Expr, ir.Expr]:
        """(deduction cell, readiness, explanation) of the rule applied to one period."""
        proxy = SlotLowering(lw, period.mapping())
        sub = dataclasses.replace(
            node, id=f"{node.id}__{suffix}", label=f"{node.label}（{period.label}）", rule=self.each
        )
        low = self.each.lower(proxy, sub)  # type: ignore[arg-type]
        ready = proxy.ready(list(low.deps))
        if low.ready is not None:
            ready = ir.and_(ready, low.ready) if ready is not None else low.ready
        kept = ir.min_(full, ir.max_(0, low.raw))
        value = ir.round_(full - kept, 6)
        ded = lw.helper(
            node, f"{suffix}_ded", f"{period.label}扣分", ir.if_(ready, value, ir.PENDING) if ready else value
        )
        why = ir.concat(period.label, "：", low.why, "（本期扣", ir.num_text(ded, 4), "分）")
        return ded, ready if ready is not None else ir.Bool(True), why

    def probes(self, pm: ProbeSolver, points: float) -> list[Probe]:
        """The rule's boundary probes for each period alone, for every period on the same boundary
        at once (their deductions add up), and for the pooled figure."""
        full = self.full_marks() or 10.0

        def made(slots: dict[str, str]) -> list[Probe]:
            probes = self.each.probes(_SlotProbeMaker(pm, slots), full)
            return [{slots.get(k, k): v for k, v in p.items()} for p in probes]

        per = [made(p.mapping()) for p in self.periods]
        out = [probe for probes in per for probe in probes]
        out += [{k: v for probe in combo for k, v in probe.items()} for combo in zip(*per, strict=False)]
        if self.pooled is not None:
            out += made(self.pooled.mapping())
        return out

    def stated_threshold(self) -> tuple[str, float] | None:
        return self.each.stated_threshold()

    def counts_incidents(self) -> bool:
        return self.each.counts_incidents()

    def lower(self, lw: Lowering, node: Node) -> Lowered:
        full = self.full_marks() if self.full_marks() is not None else node.points
        assert full is not None
        deds, readies, whys = [], [], []
        for k, p in enumerate(self.periods):
            ded, ready, why = self._one(lw, node, p, f"p{k + 1}", full)
            deds.append(ded)
            readies.append(ready)
            whys += [why, "；"]
        total_ded: ir.Expr = ir.call("SUM", *deds)
        raw: ir.Expr = full - total_ded
        why_all = ir.concat(*whys, "各期合计扣", ir.num_text(total_ded, 4), "分")
        lo = full - full * len(self.periods)
        if self.pooled is None:
            return Lowered(raw, why_all, tuple(self.period_refs()), ready=ir.and_(*readies), lo=lo, hi=full)
        pded, pready, pwhy = self._one(lw, node, self.pooled, "all", full)
        pooled = lw.param_is(self.mode_param, PERIOD_MODE_POOLED)
        raw = ir.if_(pooled, full - pded, raw)
        why = ir.if_(pooled, ir.concat("合并计算，", pwhy), ir.concat("逐期计算，", why_all))
        ready = ir.if_(pooled, pready, ir.and_(*readies))
        return Lowered(raw, why, (), ready=ready, lo=lo, hi=full)

    def pending_text(self, lw: Lowering, node: Node, deps: list[str]) -> ir.Expr:
        """待填 message naming the inputs of the evaluation mode in force."""

        def names(refs: list[str]) -> str:
            return "、".join(lw.label(x) for x in dict.fromkeys(lw.base_inputs(refs)))

        per = ir.Str(f"待填：请填写{names(self.period_refs())}")
        if self.pooled is None:
            return per
        return ir.if_(
            lw.param_is(self.mode_param, PERIOD_MODE_POOLED), f"待填：请填写{names(self.pooled_refs())}", per
        )


@dataclass(frozen=True)
class _Placeholder(Rule):
    """Stands in for an ``each`` that failed to parse (the load reports the error)."""

    def probes(self, pm: ProbeSolver, points: float) -> list[Probe]:
        return []


def _parse_each(r: Reader) -> Rule | None:
    er = r.child("each")
    if er is None:
        return None
    kind = er.get("kind", str) or ""
    cls = REGISTRY.get(kind)
    if cls is None or cls is PerPeriod:
        er.error(f"unknown per-period rule kind '{kind}'", "kind")
        return None
    rule = cls.parse(er)
    er.finish()
    if rule.penalties or rule.vetoes:
        er.error("a per-period rule cannot carry penalties or vetoes; put them on the per_period rule")
    return rule


# ---- verifier -------------------------------------------------------------------------------
class _SlotProbeMaker:
    """The verifier's probe maker as one period's rule sees it (slot names set that period's inputs)."""

    def __init__(self, pm: Any, slots: dict[str, str]) -> None:
        self._pm = pm
        self._slots = slots

    def __getattr__(self, name: str) -> Any:
        return getattr(self._pm, name)

    def set_value(self, ref: str, value: float) -> dict[str, Any] | None:
        return self._pm.set_value(self._slots.get(ref, ref), value)

    def near(self, ref: str, threshold: float, step: float) -> list[dict[str, Any]]:
        return self._pm.near(self._slots.get(ref, ref), threshold, step)

    def resolution(self, ref: str) -> float:
        return self._pm.resolution(self._slots.get(ref, ref))
