"""Deductions per unit short of a target, per incident or per item not done (P2, P11).

The other deduction kinds have their own modules: step.py (per step of percentage points, P3),
banded.py (banded per-person penalties, P4), bonus.py (capped per-item bonuses, P10).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from xlcalc import ir
from xlcalc.rules.base import (
    Lowered,
    Probe,
    ProbeSolver,
    Rule,
    parse_common,
    read_amount,
    read_amount_or_id,
    register,
)
from xlcalc.yamlread import Reader

if TYPE_CHECKING:
    from xlcalc.lowering import Lowering
    from xlcalc.spec.model import Node


@register
@dataclass(frozen=True)
class Deduction(Rule):
    """Full marks minus ``per`` for each unit short of a target, each incident counted, or each
    required item not done (每少1件扣0.5分 / 每发现1起扣1分 / 每少1项扣0.5分)."""

    KIND = "deduction"
    LABEL = "按项扣分"
    PATTERNS = ("P2", "P11", "P21")
    FIELDS_DOC = "`per`, and `shortfall: {value, target}` \\| `count: id` \\| `count_false: [ids]`, `unit`"
    SCORE_DOC = "points − per × (units short / incidents / items not done)"
    per: float
    value: str = ""
    target: float | str | None = None
    count: str = ""
    count_false: tuple[str, ...] = ()
    unit: str = ""

    @classmethod
    def parse(cls, r: Reader) -> Deduction:
        per = read_amount(r, "per") or 0.0
        unit = r.get("unit", str, "")
        value, target, count, flags = "", None, "", ()
        if r.has("shortfall"):
            s = r.child("shortfall")
            assert s is not None
            value = s.get("value", str) or ""
            target = read_amount_or_id(s, "target", required=True)
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
