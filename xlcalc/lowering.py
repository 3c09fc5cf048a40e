"""Lowering: the typed rubric tree → the cell graph both back ends consume.

Per leaf indicator N the graph holds ``N__raw`` (the rule's arithmetic before floors and caps,
on 中间计算), ``N`` (its score on 评分), ``N__ded`` (points lost) and ``N__why`` (the Chinese
explanation) on 扣分说明. Indicators sum their children, apply their floor, and the vetoes and
pooled penalties that parameters assign to them. The root adds the status and the grade.
"""

from __future__ import annotations

from xlcalc import ir
from xlcalc.audit_cells import lower_audit
from xlcalc.cells import Cell, CellGraph, ListInput, Role
from xlcalc.lowering_applies import ApplicabilityLowering
from xlcalc.lowering_context import (  # noqa: F401  (re-exported: scorer, bridge, tests)
    GRADE,
    INVALID_MARK,
    NEGATIVE_CLAMP,
    PARAM_DECIMALS,
    PARAM_NEGATIVE,
    PENDING_COUNT,
    STATUS,
    LoweringContext,
)
from xlcalc.rules import REGISTRY
from xlcalc.rules.base import Lowered, Rule
from xlcalc.spec.model import DerivedDef, InputDef, Node, Spec


class Lowering(ApplicabilityLowering):
    """Builds the cell graph for one spec; rule kinds call back into it (see LoweringContext)."""

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
        """Cells only some rubrics have: each kind's summary over its rows (the monitoring conclusion),
        then the self-evaluation audit."""
        for kind in REGISTRY.values():
            kind.lower_summary(self)
        if any(n.self_score for n in self.spec.nodes()):
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

    def _piece_value(self, value: float | str) -> ir.Expr:
        return self.val(value) if isinstance(value, str) else ir.Num(value)

    def _node(self, node: Node) -> None:
        for child in node.children:
            self._node(child)
        if node.rule is not None:
            self._leaf(node, node.rule)
            self.wrap_leaf(node)
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
        # A rule deducting from a pool keeps its negative score (the pool's floor applies) and
        # never adds; a node with a ``cap`` may score above its points up to the cap.
        pooled = bool(rule.pool)
        clamp = low.clamp and not pooled
        top = 0.0 if pooled else node.max_score
        can_go_negative = clamp and rule.floor != "none" and (lo is None or lo < 0)
        can_exceed = (clamp or pooled) and (low.hi is None or low.hi > top)
        capped: ir.Expr = raw
        if can_go_negative:
            if rule.floor == "zero":
                capped = ir.max_(0, capped)
            else:
                capped = ir.if_(self.param_is(PARAM_NEGATIVE, "clamp"), ir.max_(0, capped), capped)
        if can_exceed:
            capped = ir.min_(top, capped)
        self.highest[node.id] = (top if low.hi is None else min(top, low.hi)) if clamp or pooled else low.hi
        if pooled:
            self.lowest[node.id] = None if lo is None else min(0.0, lo)
        elif not low.clamp:
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
        ded = (-score_ref) if not clamp else (node.points - score_ref)
        if clamp and node.cap is not None:  # a score above the points is no deduction
            ded = ir.max_(0, ded)
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
            word = "，以本项上限" if node.cap is not None else "，以本项分值"
            limit = ir.concat(word, ir.num_text(ir.Num(top)), "分为限")
            parts.append(ir.if_(raw.cmp(">", top), "，本项只扣分不加分" if pooled else limit, ""))
        if rule.SCORELESS:
            pass  # a monitoring rule states a status, not a score
        elif pooled:
            pool = self.spec.node(rule.pool).label
            parts.append(
                ir.if_(score_ref.cmp("<", 0), ir.concat("，从“", pool, "”中扣", -score_ref, "分"), "，不扣分")
            )
        elif low.clamp:
            # The score is already rounded to score_decimals: shown as it is (General format).
            parts += ["，得", score_ref, "分"]
        else:
            parts += ["共扣", -score_ref, "分"]
        pending = rule.pending_text(self, node, deps)
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
        highs: list[float | None] = []
        for child in node.children:
            if child.id not in self.pooled and (child.rule is None or child.rule.pool in ("", node.id)):
                terms.append(ir.Ref(child.id))
                lows.append(self.lowest.get(child.id))
                highs.append(self.highest.get(child.id))
        for rule_id, param in self.pooled.items():
            if node.id in self.params[param].choices_codes() and any(n.id == rule_id for n in node.walk()):
                terms.append(ir.if_(self.param_is(param, node.id), ir.Ref(rule_id), 0))
                lows.append(None)
                highs.append(None)
        for leaf in node.walk():  # rules below the children deducting from this node (``pool``)
            if leaf.rule is not None and leaf.rule.pool == node.id and leaf not in node.children:
                terms.append(ir.Ref(leaf.id))
                lows.append(self.lowest.get(leaf.id))
                highs.append(self.highest.get(leaf.id))
        shares = self.share_terms(node)
        terms += shares
        lows += [None] * len(shares)
        highs += [None] * len(shares)
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
        highest = None if any(x is None for x in highs) else sum(x for x in highs if x is not None) + offset
        # Capped only where a ``cap`` below lets a child exceed its points (or the node has its own).
        if any(n.cap is not None for n in node.walk()) and (highest is None or highest > node.max_score):
            total = ir.min_(node.max_score, total)
            highest = node.max_score
        self.lowest[node.id] = lowest
        self.highest[node.id] = highest
        # Children carry at most score_decimals decimals, so rounding the sum there only removes
        # binary noise (89.99999999999999 must compare as 90 for the grade in every engine).
        score: ir.Expr = ir.round_(self.scale_excluded(node, total), self.param(PARAM_DECIMALS))
        for leaf in node.walk():
            if leaf.rule is None:
                continue
            for v in leaf.rule.vetoes:
                if v.scope_param and node.id in self.params[v.scope_param].choices_codes():
                    hit = ir.and_(ir.Ref(v.flag).cmp("=", "是"), self.param_is(v.scope_param, node.id))
                    score = ir.if_(hit, 0, score)
        score = self.wrap_indicator(node, score)
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
