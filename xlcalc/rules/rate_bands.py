"""Rate-by-band bonuses (P10): points per whole unit of an increase, at a rate set by bands of the
increase (每增加1万元加1分；超过6万元的部分每1万元加1.5分；超过10万元的部分每1万元加1.2分)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from xlcalc import ir, xlruntime
from xlcalc.rules.base import (
    Lowered,
    Probe,
    ProbeSolver,
    Rule,
    clean_number,
    parse_common,
    read_amount,
    read_amount_or_id,
    register,
)
from xlcalc.yamlread import Reader

if TYPE_CHECKING:
    from xlcalc.lowering import Lowering
    from xlcalc.spec.model import Node

MODES = ("marginal", "whole")
PARTIALS = ("whole", "exact")


@dataclass(frozen=True)
class RateBand:
    """From where the increase exceeds ``above`` (in the value's unit): ``per`` points per unit."""

    above: float
    per: float
    label: str = ""


@register
@dataclass(frozen=True)
class BandedBonus(Rule):
    """Points for each whole ``unit_size`` by which ``value`` exceeds ``base``. ``mode: marginal``
    (default) pays each band's rate on the part of the increase inside it; ``mode: whole`` pays the
    rate of the highest band the increase exceeds on the whole increase. ``partial: whole`` (default,
    as 每增加1万元 reads) counts whole units only; ``partial: exact`` counts fractions of a unit."""

    KIND = "banded_bonus"
    LABEL = "分档加分"
    PATTERNS = ("P10",)
    FIELDS_DOC = (
        "`value`, `base` (number or id; 0), `unit_size` (1), `bands: [{above, per, label}]`, "
        "`mode: marginal\\|whole`, `partial: whole\\|exact`, `unit`"
    )
    SCORE_DOC = (
        "Σ per × units of the increase over `base` inside each band (`marginal`), or the rate of the "
        "highest band the increase exceeds × all its units (`whole`); units from "
        "`INT(ROUND(increase/unit_size, 9))`"
    )
    value: str
    base: float | str
    unit_size: float
    bands: tuple[RateBand, ...]
    mode: str = "marginal"
    partial: str = "whole"
    unit: str = ""

    @classmethod
    def parse(cls, r: Reader) -> BandedBonus:
        value = r.get("value", str) or ""
        read = read_amount_or_id(r, "base", 0.0)
        base: float | str = 0.0 if read is None else read
        size = read_amount(r, "unit_size", 1.0, required=False)
        if size is None or size <= 0:
            r.error("'unit_size' must be positive", "unit_size")
            size = 1.0
        bands: list[RateBand] = []
        for b in r.readers("bands", required=True):
            band = RateBand(
                read_amount(b, "above", 0.0, required=False) or 0.0,
                read_amount(b, "per") or 0.0,
                b.get("label", str, ""),
            )
            if band.per < 0:
                b.error("a bonus band's 'per' must not be negative", "per")
            if bands and band.above <= bands[-1].above:
                b.error("bands are listed from the lowest 'above' up, each above the one before", "above")
            if band.above < 0:
                b.error("'above' must not be negative", "above")
            bands.append(band)
            b.finish()
        mode = r.choice("mode", MODES, "marginal") or "marginal"
        partial = r.choice("partial", PARTIALS, "whole") or "whole"
        unit = r.get("unit", str, "")
        return cls(value, base, size, tuple(bands), mode, partial, unit, **parse_common(r))

    def refs(self) -> list[str]:
        return [self.value] + ([self.base] if isinstance(self.base, str) else [])

    # ---- arithmetic shared by the bounds and the probes (the formulas below say the same) ----
    def units_of(self, increase: float) -> float:
        units = round(max(0.0, increase) / self.unit_size, 9)
        return math.floor(units) if self.partial == "whole" else units

    def edges(self) -> list[float]:
        """Each band's lower edge in units."""
        return [b.above / self.unit_size for b in self.bands]

    def points_for(self, increase: float) -> float:
        """The raw bonus of an increase, as the workbook computes it (before rounding)."""
        n = self.units_of(increase)
        if self.mode == "whole":
            reached = [b for b in self.bands if round(max(0.0, increase), 9) > b.above]
            return reached[-1].per * n if reached else 0.0
        edges = self.edges() + [math.inf]
        return sum(b.per * max(0.0, min(n, edges[i + 1]) - edges[i]) for i, b in enumerate(self.bands))

    def probes(self, pm: ProbeSolver, points: float) -> list[Probe]:
        size = self.unit_size
        incs = {0.0, size / 2, size, 1.5 * size}
        for b in self.bands:
            incs |= {b.above - size, b.above, b.above + size / 2, b.above + size, b.above + 2 * size}
        top = self.bands[-1]
        if top.per > 0:  # far enough to pass any cap
            incs.add(top.above + size * math.ceil(max(points, 1) / top.per + 1))
        base_probe: Probe = {}
        base = 0.0
        if isinstance(self.base, str):
            lo = getattr(pm.inputs.get(self.base), "lo", None)
            base = lo if lo is not None else 0.0
            found = pm.set_value(self.base, base)
            if found is None:
                return []
            base_probe = found
        elif isinstance(self.base, int | float):
            base = float(self.base)
        out = []
        for x in sorted(incs):
            p = pm.set_value(self.value, clean_number(base + x)) if x >= 0 else None
            if p is not None:
                out.append({**base_probe, **p})
        return out

    def lower(self, lw: Lowering, node: Node) -> Lowered:
        deps = tuple(self.refs())
        ready = lw.ready(list(deps))

        def guarded(e: ir.Expr) -> ir.Expr:
            return ir.if_(ready, e, ir.PENDING) if ready is not None else e

        v = lw.val(self.value)
        base = lw.val(self.base) if isinstance(self.base, str) else ir.Num(self.base)
        diff = v - base if isinstance(self.base, str) or self.base else v
        # ROUND(…, 9) before comparing and stepping: 16.3 − 10.3 is 6.000000000000002 in binary.
        inc = lw.helper(node, "inc", "增加额", guarded(ir.max_(0, ir.round_(diff, 9))))
        per_unit = ir.round_(inc / self.unit_size, 9) if self.unit_size != 1 else inc
        units = lw.helper(
            node,
            "units",
            "计分单位数",
            ir.if_(
                ir.isnum(inc), ir.call("INT", per_unit) if self.partial == "whole" else per_unit, ir.PENDING
            ),
        )
        unit = self.unit or lw.unit(self.value)
        size = xlruntime.general_text(self.unit_size)
        each = f"每{size}{unit}"
        if self.mode == "whole":
            raw, notes = self._whole(inc, units, each, unit)
        else:
            raw, notes = self._marginal(lw, node, units, each, unit)
        head: list[ir.ExprLike] = [lw.label(self.value), lw.show(self.value)]
        if isinstance(self.base, str) or self.base:
            shown_base = (
                lw.show(self.base) if isinstance(self.base, str) else lw.show_literal(self.value, self.base)
            )
            head += ["，较基数", shown_base, "增加", ir.num_text(inc, 2), unit]
        if self.partial == "whole":
            counted = self._amount(units)
            head.append(ir.if_(inc.cmp(">", counted), ir.concat("（不足", size, unit, "的部分不计）"), ""))
        why = ir.concat(*head, *notes, ir.if_(inc.cmp(">", 0), "", "，不加分"))
        hi = self._highest(lw)
        return Lowered(ir.if_(ir.isnum(units), raw, ir.PENDING), why, deps, lo=0.0, hi=hi)

    def _marginal(
        self, lw: Lowering, node: Node, units: ir.Expr, each: str, unit: str
    ) -> tuple[ir.Expr, list[ir.ExprLike]]:
        edges = self.edges()
        raw: ir.Expr | None = None
        notes: list[ir.ExprLike] = []
        for i, b in enumerate(self.bands):
            upper = edges[i + 1] if i + 1 < len(edges) else None
            share: ir.Expr = units if upper is None else ir.min_(units, upper)
            if edges[i]:
                share = ir.max_(0, share - edges[i])
            label = b.label or self._band_label(i, unit)
            n = lw.helper(node, f"band{i + 1}", f"{label}单位数", ir.if_(ir.isnum(units), share, ir.PENDING))
            term = ir.Num(b.per) * n
            raw = term if raw is None else raw + term
            notes.append(
                ir.if_(
                    n.cmp(">", 0),
                    ir.concat(
                        "；",
                        label,
                        ir.num_text(self._amount(n), 2),
                        unit,
                        "，",
                        each,
                        "加",
                        ir.num_text(b.per, 2),
                        "分，加",
                        ir.num_text(n * b.per, 2),
                        "分",
                    ),
                    "",
                )
            )
        assert raw is not None
        return raw, notes

    def _whole(self, inc: ir.Expr, units: ir.Expr, each: str, unit: str) -> tuple[ir.Expr, list[ir.ExprLike]]:
        rate: ir.Expr = ir.Num(0)
        note: ir.Expr = ir.Str("")
        for i, b in enumerate(self.bands):
            label = b.label or self._band_label(i, unit, whole=True)
            said = ir.concat(
                "；增加额属“",
                label,
                "”档，",
                each,
                "加",
                ir.num_text(b.per, 2),
                "分，计",
                ir.num_text(self._amount(units), 2),
                unit,
                "，加",
                ir.num_text(units * b.per, 2),
                "分",
            )
            rate = ir.if_(inc.cmp(">", b.above), b.per, rate)
            note = ir.if_(inc.cmp(">", b.above), said, note)
        return rate * units, [note]

    def _amount(self, units: ir.Expr) -> ir.Expr:
        """Units back in the value's unit (no ×1 in the formula when a unit is 1)."""
        return units if self.unit_size == 1 else units * self.unit_size

    def _band_label(self, i: int, unit: str, whole: bool = False) -> str:
        """超过6万元至10万元部分 (marginal) or 超过6万元 (whole), from the band edges."""
        part = "" if whole else "部分"
        lo = xlruntime.general_text(self.bands[i].above)
        if i + 1 < len(self.bands):
            hi = xlruntime.general_text(self.bands[i + 1].above)
            return f"{hi}{unit}以内{part}" if not self.bands[i].above else f"超过{lo}{unit}至{hi}{unit}{part}"
        return ("计" if not whole else "每增加") if not self.bands[i].above else f"超过{lo}{unit}{part}"

    def _highest(self, lw: Lowering) -> float | None:
        """The largest raw bonus over the value's and the base's declared ranges (the whole mode is not
        monotone: 1.5 × 10 above 6万 beats 1.2 × 11 above 10万), from every band edge and the top."""
        _, v_hi = lw.value_range(self.value)
        b_lo = lw.value_range(self.base)[0] if isinstance(self.base, str) else self.base
        if v_hi is None or b_lo is None:
            return None
        most = max(0.0, v_hi - b_lo)
        return max(self.points_for(x) for x in [most] + [b.above for b in self.bands if b.above <= most])
