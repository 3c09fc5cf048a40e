"""Banded per-person penalties (P4): each listed item deducts by the band its value falls in."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from xlcalc import ir, xlruntime
from xlcalc.rules.base import (
    Lowered,
    Probe,
    ProbeSolver,
    Rule,
    parse_common,
    read_amount,
    register,
)
from xlcalc.yamlread import Reader

if TYPE_CHECKING:
    from xlcalc.lowering import Lowering
    from xlcalc.spec.model import Node


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
    LABEL = "区间扣分"
    PATTERNS = ("P4",)
    FIELDS_DOC = "`list`, `bands: [{min, max, per, label}]`, `pool_param`, `unit`"
    SCORE_DOC = "−Σ per × items in band (no points of its own; deducted from the node `pool_param` picks)"
    PARAM_FIELDS = ("pool_param",)
    ZERO_POINTS = True
    list: str
    bands: tuple[Band, ...]
    pool_param: str = ""
    unit: str = "人"

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
