"""The lowering context the rule kinds call back into (values, labels, readiness, ranges, cells);
the graph builder itself is :class:`xlcalc.lowering.Lowering`, a subclass."""

from __future__ import annotations

from xlcalc import ir, xlruntime
from xlcalc.cells import Cell, ListInput, Role
from xlcalc.spec.model import DerivedDef, Node, Spec

PARAM_NEGATIVE = "negative_scores"
PARAM_DECIMALS = "score_decimals"
NEGATIVE_CLAMP = "不低于0分"
STATUS = "status"
PENDING_COUNT = "pending_count"
GRADE = "grade"
INVALID_MARK = "（填写无效）"  # after an input name in a 待填 message: typed past validation


class LoweringContext:
    """What a rule kind asks while it is lowered: values, labels, units, readiness, ranges, and
    adding its cells. :class:`xlcalc.lowering.Lowering` builds the graph on top of it."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.cells: list[Cell] = []
        self.lists: list[ListInput] = []
        self.inputs = {i.id: i for i in spec.inputs}
        self.derived = {d.id: d for d in spec.derived}
        self.params = {p.name: p for p in spec.params}
        self.pooled: dict[str, str] = {}  # pure-penalty rule node id -> parameter choosing its pool
        self.lowest: dict[str, float | None] = {}  # node id -> lowest possible score (None: unbounded)
        self.highest: dict[str, float | None] = {}  # node id -> highest possible score (None: unbounded)
        # node id -> bounds of the rule's raw score over every valid input, before floor and cap
        # (None: unbounded or unknown); lint reports a stated range the rule can never reach.
        self.raw_bounds: dict[str, tuple[float | None, float | None]] = {}

    # ---- values -------------------------------------------------------------------------
    def val(self, ref: str) -> ir.Expr:
        if ref in self.inputs and self.inputs[ref].is_list:
            return ir.ListRange(ref)
        return ir.Ref(ref)

    def param(self, name: str) -> ir.Param:
        if name not in self.params:
            raise KeyError(f"unknown parameter {name}")
        return ir.Param(name)

    def param_is(self, name: str, code: str) -> ir.Expr:
        """``参数 = 某选项`` (the workbook holds the Chinese label of the choice)."""
        return self.param(name).cmp("=", self.params[name].label_of(code))

    def label(self, ref: str) -> str:
        if ref in self.inputs:
            return self.inputs[ref].label
        if ref in self.derived:
            return self.derived[ref].label
        return ref

    def unit(self, ref: str) -> str:
        if ref in self.inputs:
            return "" if self.inputs[ref].type in ("percent", "bool", "text") else self.inputs[ref].unit
        if ref in self.derived:
            return "" if self.derived[ref].percent else self.derived[ref].unit
        return ""

    def is_percent(self, ref: str) -> bool:
        return (ref in self.inputs and self.inputs[ref].is_percent) or (
            ref in self.derived and self.derived[ref].percent
        )

    def show(self, ref: str | ir.Expr, like: str | None = None) -> ir.Expr:
        """Text of a quantity as explanations show it: 92.0% or 105.3件."""
        key = ref if isinstance(ref, str) else like
        value = self.val(ref) if isinstance(ref, str) else ref
        if key is not None and self.is_percent(key):
            return ir.pct_text(value, 1)
        return ir.concat(ir.num_text(value, 2), self.unit(key) if key else "")

    def show_against(self, ref: str, than: ir.Expr) -> ir.Expr:
        """``show(ref)``, with more digits where the usual ones would make it look equal to what it is
        compared with (0.3999 is not shown as "0.4元，未达到0.4元")."""
        value = self.val(ref)
        if self.is_percent(ref):
            usual, digits = 3, ir.concat(ir.num_text(value * 100, 6), "%")
        else:
            usual, digits = 2, ir.concat(ir.num_text(value, 8), self.unit(ref))
        looks_equal = ir.round_(value, usual).cmp("=", ir.round_(than, usual))
        return ir.if_(looks_equal, digits, self.show(ref))

    def show_literal(self, like: str, value: float) -> ir.Expr:
        if self.is_percent(like):
            return ir.Str(xlruntime.pct_text(value, 1).replace(".0%", "%"))
        return ir.Str(xlruntime.general_text(value) + self.unit(like))

    def filled(self, ref: str) -> ir.Expr | None:
        """``ref`` filled in with a valid value: a number within the input's declared range (a whole
        number where one is required), 是/否 answered, a list non-empty (None: text, which is never
        required). A value typed past the cell's validation (98 into a percent cell) is not filled:
        both back ends score the rule 待填 and say the value is invalid (see ``missing_text``)."""
        spec_input = self.inputs.get(ref)
        if spec_input is not None and spec_input.is_list:
            return ir.call("COUNT", ir.ListRange(ref)).cmp(">", 0)
        x = ir.Ref(ref)
        if spec_input is not None and spec_input.is_bool:
            return ir.or_(x.cmp("=", "是"), x.cmp("=", "否"))
        if spec_input is not None and spec_input.is_text:
            return None
        checks: list[ir.ExprLike] = []
        if spec_input is not None:
            if spec_input.lo is not None:
                checks.append(x.cmp(">=", spec_input.lo))
            if spec_input.hi is not None:
                checks.append(x.cmp("<=", spec_input.hi))
            if spec_input.type == "integer":
                checks.append(x.cmp("=", ir.round_(x, 0)))
        if not checks:
            return ir.isnum(x)
        # Inside IF(ISNUMBER(..)), never beside it in one AND: Excel's AND evaluates every argument,
        # and ROUND of a text typed into the cell is #VALUE!. The else-branch is 0, not FALSE: Calc
        # saves the constant FALSE as FALSE(), which would read as an edited formula.
        return ir.if_(ir.isnum(x), ir.and_(*checks), 0)

    def ready(self, deps: list[str] | tuple[str, ...]) -> ir.Expr | None:
        """All of ``deps`` filled in."""
        checks = [c for c in (self.filled(d) for d in dict.fromkeys(deps)) if c is not None]
        return ir.and_(*checks) if checks else None

    def missing_text(self, deps: list[str]) -> ir.Expr:
        """ "待填：请填写甲、乙", naming only the inputs still blank (no TEXTJOIN: each name carries its
        "、" when a name before it is shown)."""
        names = [
            d
            for d in dict.fromkeys(self.base_inputs(deps))
            if (d in self.inputs or d in self.derived) and self.filled(d) is not None
        ]
        parts: list[ir.ExprLike] = ["待填：请填写"]
        blanks: list[ir.Expr] = []
        for d in names:
            blank = ir.call("NOT", self.filled(d))
            sep: ir.ExprLike = ir.if_(ir.or_(*blanks), "、", "") if blanks else ""
            parts.append(ir.if_(blank, ir.concat(sep, self.label(d), self._invalid_mark(d)), ""))
            blanks.append(blank)
        return ir.concat(*parts)

    def _invalid_mark(self, ref: str) -> ir.ExprLike:
        """ "（填写无效）" after the name of an input holding something that is not a valid value."""
        spec_input = self.inputs.get(ref)
        if spec_input is None or spec_input.is_list:
            return ""
        return ir.if_(ir.Ref(ref).cmp("<>", ""), INVALID_MARK, "")

    def value_range(self, ref: str) -> tuple[float | None, float | None]:
        """Smallest and largest value a quantity can take given the declared input ranges (None: no
        bound known). Derived quantities follow by interval arithmetic, never by assumption."""
        if ref in self.inputs:
            inp = self.inputs[ref]
            if inp.is_list:
                return (0.0, float(inp.capacity))
            return (inp.lo, inp.hi)
        d = self.derived.get(ref)
        if d is None:
            return (None, None)
        ranges = [self.value_range(a) for a in d.args]
        lo: float | None
        hi: float | None
        match d.kind:
            case "ratio":
                (a_lo, _), (b_lo, _) = ranges
                nonneg = a_lo is not None and a_lo >= 0 and b_lo is not None and b_lo >= 0
                lo, hi = (0.0 if nonneg else None), None
                if d.on_zero != "pending" and lo is not None:
                    lo = min(lo, float(d.on_zero))
            case "mean":
                inp = self.inputs.get(d.args[0])
                lo, hi = (inp.lo, inp.hi) if inp is not None else (None, None)
            case "count" | "count_between":
                lo, hi = ranges[0] if ranges else (None, None)
            case "sum":
                lo = None if any(r[0] is None for r in ranges) else sum(r[0] for r in ranges)  # type: ignore[misc]
                hi = None if any(r[1] is None for r in ranges) else sum(r[1] for r in ranges)  # type: ignore[misc]
            case "difference":
                (a_lo, a_hi), (b_lo, b_hi) = ranges
                lo = None if a_lo is None or b_hi is None else a_lo - b_hi
                hi = None if a_hi is None or b_lo is None else a_hi - b_lo
            case "min":
                los, his = [r[0] for r in ranges], [r[1] for r in ranges if r[1] is not None]
                lo = None if any(x is None for x in los) else min(los)  # type: ignore[type-var]
                hi = min(his) if his else None
            case "max":
                los, his = [r[0] for r in ranges if r[0] is not None], [r[1] for r in ranges]
                lo = max(los) if los else None
                hi = None if any(x is None for x in his) else max(his)  # type: ignore[type-var]
            case "clamp":  # MIN(hi, MAX(lo, x))
                (x_lo, x_hi) = ranges[0]
                known_lo = [v for v in (d.lo, x_lo) if v is not None]
                known_hi = [v for v in (d.hi, x_hi) if v is not None]
                lo = max(known_lo) if known_lo else None
                hi = min(known_hi) if known_hi else None
                lo = min(lo, d.hi) if lo is not None and d.hi is not None else lo
                hi = max(hi, d.lo) if hi is not None and d.lo is not None else hi
            case "piecewise":
                bounds = self._piece_ranges(d, ranges[0])
                los = [b[0] for b in bounds]
                his = [b[1] for b in bounds]
                lo = None if any(x is None for x in los) else min(los)  # type: ignore[type-var]
                hi = None if any(x is None for x in his) else max(his)  # type: ignore[type-var]
            case _:
                lo, hi = None, None
        if d.cap is not None:  # MIN(cap, value)
            lo = None if lo is None else min(lo, d.cap)
            hi = d.cap if hi is None else min(hi, d.cap)
        return (lo, hi)

    def _piece_ranges(
        self, d: DerivedDef, x_range: tuple[float | None, float | None]
    ) -> list[tuple[float | None, float | None]]:
        """Each piece's values: a piece showing the tested quantity shows it only between its
        bound and the bound of the piece before."""
        out: list[tuple[float | None, float | None]] = []
        above: float | None = None
        for bound, value in d.pieces:
            if value == d.args[0]:
                lo = (
                    x_range[0]
                    if bound is None
                    else max(bound, x_range[0] if x_range[0] is not None else bound)
                )
                hi = (
                    x_range[1]
                    if above is None
                    else min(above, x_range[1] if x_range[1] is not None else above)
                )
                out.append((lo, hi))
            elif isinstance(value, str):
                out.append(self.value_range(value))
            else:
                out.append((value, value))
            above = bound
        return out

    def base_inputs(self, deps: list[str]) -> list[str]:
        """The inputs behind a list of quantities (derived ones expanded), for 待填 messages."""
        out: list[str] = []
        for d in deps:
            if d in self.derived:
                out.extend(self.base_inputs(list(self.derived[d].args)))
            else:
                out.append(d)
        return out

    def add(self, cell: Cell) -> ir.Ref:
        self.cells.append(cell)
        return ir.Ref(cell.id)

    def helper(
        self, node: Node, suffix: str, label: str, expr: ir.Expr, fmt: str = "0.00", role: Role = Role.DERIVED
    ) -> ir.Ref:
        return self.add(
            Cell(f"{node.id}__{suffix}", role, f"{node.label}：{label}", expr, fmt, node.id, "helper")
        )

    def pool(self, node: Node, param: str) -> None:
        """Declare a pure-penalty rule whose deduction lands on the node a parameter picks."""
        self.pooled[node.id] = param
