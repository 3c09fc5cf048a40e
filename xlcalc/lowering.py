"""Lowering: the typed rubric tree → the cell graph both back ends consume.

Per leaf indicator N the graph holds ``N__raw`` (the rule's arithmetic before floors and caps,
on 中间计算), ``N`` (its score on 评分), ``N__ded`` (points lost) and ``N__why`` (the Chinese
explanation) on 扣分说明. Indicators sum their children, apply their floor, and the vetoes and
pooled penalties that parameters assign to them. The root adds the status and the grade.
"""

from __future__ import annotations

from xlcalc import ir, xlruntime
from xlcalc.cells import Cell, CellGraph, ListInput, Role
from xlcalc.rules.base import Lowered, Rule
from xlcalc.spec.model import DerivedDef, InputDef, Node, Spec

PARAM_NEGATIVE = "negative_scores"
PARAM_DECIMALS = "score_decimals"
NEGATIVE_CLAMP = "不低于0分"
STATUS = "status"
PENDING_COUNT = "pending_count"
GRADE = "grade"
INVALID_MARK = "（填写无效）"  # after an input name in a 待填 message: typed past validation


class Lowering:
    """Builds the cell graph for one spec; rule kinds call back into it."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.cells: list[Cell] = []
        self.lists: list[ListInput] = []
        self.inputs = {i.id: i for i in spec.inputs}
        self.derived = {d.id: d for d in spec.derived}
        self.params = {p.name: p for p in spec.params}
        self.pooled: dict[str, str] = {}  # pure-penalty rule node id -> parameter choosing its pool
        self.lowest: dict[str, float | None] = {}  # node id -> lowest possible score (None: unbounded)
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

    # ---- graph ----------------------------------------------------------------------------
    def build(self) -> CellGraph:
        for inp in self.spec.inputs:
            self._input(inp)
        for d in self.spec.derived:
            self._derived(d)
        self._node(self.spec.root)
        self._root_summary()
        self._summaries()
        return CellGraph(self.cells, self.lists)

    def _summaries(self) -> None:
        """Cells only some rubrics have: the monitoring conclusion, the self-evaluation audit."""
        if any(c.kind == "monitor" for c in self.cells):
            from xlcalc.rules.monitor import lower_summary

            lower_summary(self)
        if any(n.self_score for n in self.spec.nodes()):
            from xlcalc.audit import lower_audit

            lower_audit(self)

    def _input(self, inp: InputDef) -> None:
        if inp.is_list:
            self.lists.append(
                ListInput(
                    inp.id, inp.label, inp.unit, inp.capacity, inp.lo, inp.hi, inp.item_type == "integer"
                )
            )
            return
        fmt = {"percent": "0.0%", "integer": "0", "number": "0.00"}.get(inp.type, "@")
        self.add(Cell(inp.id, Role.INPUT, inp.label, None, fmt, None, inp.type))

    def _derived(self, d: DerivedDef) -> None:
        args = [self.val(a) for a in d.args]
        deps = list(d.args)
        guard: ir.Expr | None = None
        match d.kind:
            case "ratio":
                num, den = args
                value: ir.Expr = ir.round_(num / den * d.scale if d.scale != 1 else num / den, d.decimals)
                guard = den.cmp("<>", 0)
            case "mean":
                value = ir.round_(ir.call("AVERAGE", args[0]), d.decimals)
            case "count":
                value = ir.call("COUNT", args[0])
            case "count_between":
                rng = args[0]
                crit: list[ir.ExprLike] = [rng, ir.concat(">=", ir.num_text(ir.Num(d.lo or 0), 6))]
                if d.hi is not None:
                    crit += [rng, ir.concat("<=", ir.num_text(ir.Num(d.hi), 6))]
                value = ir.call("COUNTIFS", *crit)
            case "sum":
                value = ir.round_(ir.call("SUM", *args), d.decimals)
            case "difference":
                value = ir.round_(args[0] - args[1], d.decimals)
            case "min":
                value = ir.min_(*args)
            case "max":
                value = ir.max_(*args)
            case "clamp":
                value = args[0]
                if d.lo is not None:
                    value = ir.max_(d.lo, value)
                if d.hi is not None:
                    value = ir.min_(d.hi, value)
            case "piecewise":
                value = self._piece_value(d.pieces[-1][1])
                for bound, piece in reversed(d.pieces[:-1]):
                    value = ir.if_(args[0].cmp(">=", bound), self._piece_value(piece), value)
            case _:
                raise ValueError(f"unknown derived kind {d.kind}")
        if d.cap is not None:
            value = ir.min_(d.cap, value)
        ready = self.ready(deps)
        if guard is not None:
            on_zero: ir.Expr = ir.Str(ir.PENDING) if d.on_zero == "pending" else ir.Num(float(d.on_zero))
            value = ir.if_(guard, value, on_zero)
        expr = ir.if_(ready, value, ir.PENDING) if ready is not None else value
        fmt = "0.0%" if d.percent else ("0" if d.kind in ("count", "count_between") else "0.00")
        self.add(Cell(d.id, Role.DERIVED, d.label, expr, fmt, None, "derived"))

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

    def _piece_value(self, value: float | str) -> ir.Expr:
        return self.val(value) if isinstance(value, str) else ir.Num(value)

    def _node(self, node: Node) -> None:
        for child in node.children:
            self._node(child)
        if node.rule is not None:
            self._leaf(node, node.rule)
        else:
            self._indicator(node)

    def _leaf(self, node: Node, rule: Rule) -> None:
        low: Lowered = rule.lower(self, node)
        extra = [p.count for p in rule.penalties] + [v.flag for v in rule.vetoes]
        deps = list(low.deps) + extra
        ready = self.ready(deps)
        if low.decided is not None and ready is not None:
            own = self.ready(list(low.deps))
            ready = (
                ir.and_(self.ready(extra), ir.or_(own, low.decided)) if extra else ir.or_(own, low.decided)
            )
        if low.ready is not None:
            ready = ir.and_(ready, low.ready) if ready is not None else low.ready
        raw_expr = low.raw
        for p in rule.penalties:
            raw_expr = raw_expr - ir.Num(p.per) * ir.Ref(p.count)
        raw = self.helper(
            node,
            "raw",
            "原始得分（未计下限与上限）",
            ir.if_(ready, raw_expr, ir.PENDING) if ready else raw_expr,
        )
        lo = None if rule.penalties else low.lo
        self.raw_bounds[node.id] = (lo, low.hi)
        can_go_negative = low.clamp and rule.floor != "none" and (lo is None or lo < 0)
        can_exceed = low.clamp and (low.hi is None or low.hi > node.points)
        capped: ir.Expr = raw
        if can_go_negative:
            if rule.floor == "zero":
                capped = ir.max_(0, capped)
            else:
                capped = ir.if_(self.param_is(PARAM_NEGATIVE, "clamp"), ir.max_(0, capped), capped)
        if can_exceed:
            capped = ir.min_(node.points, capped)
        if not low.clamp:
            self.lowest[node.id] = None
        elif can_go_negative:
            self.lowest[node.id] = 0.0 if rule.floor == "zero" else None
        else:
            self.lowest[node.id] = lo
        score: ir.Expr = ir.round_(capped, self.param(PARAM_DECIMALS))
        veto_texts: list[ir.Expr] = []
        for v in rule.vetoes:
            hit = ir.Ref(v.flag).cmp("=", "是")
            what = v.label or self.label(v.flag)
            if v.scope_param:
                here = self.param_is(v.scope_param, node.id)
                score = ir.if_(ir.and_(hit, here), 0, score)
                # The veto may act on an ancestor (a parameter decides): say so, never "本项不得分，得20分".
                veto_texts.append(
                    ir.if_(
                        hit,
                        ir.if_(
                            here,
                            ir.concat("；", what, "，本项不得分"),
                            ir.concat("；", what, "，上级指标整项不得分"),
                        ),
                        "",
                    )
                )
            else:
                score = ir.if_(hit, 0, score)
                veto_texts.append(ir.if_(hit, ir.concat("；", what, "，本项不得分"), ""))
        score_ref = self.add(
            Cell(
                node.id,
                Role.SCORE,
                node.label,
                ir.if_(ir.isnum(raw), score, ir.PENDING),
                "0.00",
                node.id,
                "score",
                node.points,
            )
        )
        ded = (-score_ref) if not low.clamp else (node.points - score_ref)
        self.add(
            Cell(
                f"{node.id}__ded",
                Role.EXPLAIN,
                f"{node.label}：扣分",
                ir.if_(ir.isnum(score_ref), ded, ir.PENDING),
                "0.00",
                node.id,
                "deduction",
            )
        )
        parts: list[ir.ExprLike] = [low.why]
        for p in rule.penalties:
            cnt = ir.Ref(p.count)
            parts.append(
                ir.if_(
                    cnt.cmp(">", 0),
                    ir.concat(
                        "；",
                        p.label or self.label(p.count),
                        cnt,
                        p.unit,
                        "，扣",
                        ir.num_text(cnt * p.per, 2),
                        "分",
                    ),
                    "",
                )
            )
        parts.extend(veto_texts)
        if can_go_negative:
            clamped = raw.cmp("<", 0)
            if rule.floor != "zero":
                clamped = ir.and_(clamped, self.param_is(PARAM_NEGATIVE, "clamp"))
            parts.append(ir.if_(clamped, "，扣完为止", ""))
        if can_exceed:
            parts.append(
                ir.if_(
                    raw.cmp(">", node.points),
                    ir.concat("，以本项分值", ir.num_text(ir.Num(node.points)), "分为限"),
                    "",
                )
            )
        if getattr(rule, "SCORELESS", False):
            pass  # a monitoring rule states a status, not a score
        elif low.clamp:
            # The score is already rounded to score_decimals: shown as it is (General format).
            parts += ["，得", score_ref, "分"]
        else:
            parts += ["共扣", -score_ref, "分"]
        pending_text = getattr(rule, "pending_text", None)
        pending: ir.ExprLike = (
            pending_text(self, node) if pending_text is not None else self.missing_text(deps)
        )
        self.add(
            Cell(
                f"{node.id}__why",
                Role.EXPLAIN,
                f"{node.label}：说明",
                ir.if_(ir.isnum(score_ref), ir.concat(*parts), pending),
                "@",
                node.id,
                "explanation",
            )
        )

    def _indicator(self, node: Node) -> None:
        terms: list[ir.Expr] = []
        lows: list[float | None] = []
        for child in node.children:
            if child.id not in self.pooled:
                terms.append(ir.Ref(child.id))
                lows.append(self.lowest.get(child.id))
        for rule_id, param in self.pooled.items():
            if node.id in self.params[param].choices_codes() and any(n.id == rule_id for n in node.walk()):
                terms.append(ir.if_(self.param_is(param, node.id), ir.Ref(rule_id), 0))
                lows.append(None)
        total: ir.Expr = ir.call("SUM", *terms)
        # 总分 = 满分 − Σ扣分 (national self-evaluation tables): differs from Σ scores only when the
        # printed full marks are not the sum of the children's points.
        offset = (
            node.base_points - sum(c.points for c in node.children) if node.aggregate == "deductions" else 0
        )
        if offset:
            total = total + offset
        lowest = None if any(x is None for x in lows) else sum(x for x in lows if x is not None) + offset
        if node.floor is not None and (lowest is None or lowest < node.floor):
            total = ir.max_(node.floor, total)
            lowest = node.floor
        self.lowest[node.id] = lowest
        # Children carry at most score_decimals decimals, so rounding the sum there only removes
        # binary noise (89.99999999999999 must compare as 90 for the grade in every engine).
        score: ir.Expr = ir.round_(total, self.param(PARAM_DECIMALS))
        for leaf in node.walk():
            if leaf.rule is None:
                continue
            for v in leaf.rule.vetoes:
                if v.scope_param and node.id in self.params[v.scope_param].choices_codes():
                    hit = ir.and_(ir.Ref(v.flag).cmp("=", "是"), self.param_is(v.scope_param, node.id))
                    score = ir.if_(hit, 0, score)
        self.add(Cell(node.id, Role.SCORE, node.label, score, "0.00", node.id, "indicator", node.base_points))

    def _root_summary(self) -> None:
        root = self.spec.root
        pending = self.add(
            Cell(
                PENDING_COUNT,
                Role.DERIVED,
                "待填项数",
                ir.call("COUNTIF", ir.UnitScores(), ir.PENDING),
                "0",
                None,
                "status",
            )
        )
        self.add(
            Cell(
                STATUS,
                Role.SCORE,
                "填报状态",
                ir.if_(pending.cmp("=", 0), "完整", ir.concat("不完整：", pending, "项待填")),
                "@",
                root.id,
                "status",
            )
        )
        if self.spec.meta.grades:
            grade: ir.Expr = ir.Str(self.spec.meta.grades[-1].label)
            for g in reversed(self.spec.meta.grades[:-1]):
                grade = ir.if_(ir.Ref(root.id).cmp(">=", g.min), g.label, grade)
            self.add(
                Cell(
                    GRADE,
                    Role.SCORE,
                    "等级",
                    ir.if_(pending.cmp("=", 0), grade, ir.PENDING),
                    "@",
                    root.id,
                    "grade",
                )
            )


def lower(spec: Spec) -> CellGraph:
    return Lowering(spec).build()
