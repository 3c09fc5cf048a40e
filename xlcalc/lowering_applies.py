"""Lowering of ``applies_when`` (issue 13, item 13): a node that does not apply to a unit shows
不适用 (never 待填, never 0), and its points are excluded or reallocated as the spec states.

- A node applies when every condition of its own and of its ancestors holds; while an attribute is
  blank (or not one of its values) the node's rules are 待填.
- ``excluded``: the root (or the ancestor ``excluded_from`` names) is converted back to its points
  over the points that apply: 得分 = 适用指标得分合计 ÷ 适用指标满分 × 分值 (the ``N__max`` cell).
- ``reallocated``: the parent gains the node's points at the scoring rate of the target siblings,
  ``ROUND(Σ得分 × 本项分值 ÷ Σ满分, score_decimals)`` (the ``N__share`` cell).

Only specs using ``applies_when`` get these cells: every other workbook is unchanged.
"""

from __future__ import annotations

import dataclasses

from xlcalc import ir, xlruntime
from xlcalc.lowering_context import PARAM_DECIMALS, LoweringContext
from xlcalc.spec.applicability import accepted_values, excluded_from, reallocation_targets
from xlcalc.spec.model import Node

NOT_APPLICABLE = "不适用"

Conditions = tuple[tuple[str, tuple[str, ...]], ...]


class ApplicabilityLowering(LoweringContext):
    """The applicability cells and wrappers :class:`xlcalc.lowering.Lowering` calls."""

    def conditions(self, node: Node) -> Conditions:
        """The node's own conditions and its ancestors' (a node under a 不适用 node is 不适用)."""
        out = list(node.applies_when)
        for a in self.spec.ancestors(node.id):
            out += a.applies_when
        return tuple(out)

    def _valid(self, conds: Conditions) -> ir.Expr:
        """Every attribute the conditions read holds one of its values (not blank, not mistyped)."""
        attrs = dict.fromkeys(a for a, _ in conds)
        return ir.and_(*(self._one_of(a, accepted_values(self.spec, a) or ()) for a in attrs))

    def _holds(self, conds: Conditions) -> ir.Expr:
        return ir.and_(*(self._one_of(a, values) for a, values in conds))

    def _one_of(self, attr: str, values: tuple[str, ...]) -> ir.Expr:
        return ir.or_(*(ir.Ref(attr).cmp("=", v) for v in values))

    def applies(self, node: Node) -> ir.Expr | None:
        """Known to apply (None: the node always applies)."""
        conds = self.conditions(node)
        return ir.and_(self._valid(conds), self._holds(conds)) if conds else None

    def not_applies(self, node: Node) -> ir.Expr | None:
        """Known not to apply (None: the node always applies)."""
        conds = self.conditions(node)
        return ir.and_(self._valid(conds), ir.call("NOT", self._holds(conds))) if conds else None

    # ---- leaves ---------------------------------------------------------------------------
    def wrap_leaf(self, node: Node) -> None:
        """Score, deduction and explanation of a leaf: 不适用 where the node does not apply."""
        conds = self.conditions(node)
        if not conds:
            return
        valid, holds = self._valid(conds), self._holds(conds)
        score = ir.Ref(node.id)
        attrs = list(dict.fromkeys(a for a, _ in conds))
        why_na = ir.concat(
            "不适用（",
            *[
                part
                for k, a in enumerate(attrs)
                for part in (("，" if k else ""), self.label(a), "：", ir.Ref(a))
            ],
            "）",
            self._points_text(node),
        )
        blank = ir.concat("待填：请填写", "、".join(self.label(a) for a in attrs))
        self._rewrite(node.id, lambda e: ir.if_(valid, ir.if_(holds, e, NOT_APPLICABLE), ir.PENDING))
        self._rewrite(f"{node.id}__ded", lambda e: ir.if_(score.cmp("=", NOT_APPLICABLE), NOT_APPLICABLE, e))
        self._rewrite(f"{node.id}__why", lambda e: ir.if_(valid, ir.if_(holds, e, why_na), blank))

    def _points_text(self, node: Node) -> str:
        owner = next((n for n in (node, *self.spec.ancestors(node.id)) if n.applies_when), node)
        points = xlruntime.num_text(owner.points, 2)
        if owner.not_applicable == "reallocated":
            names = "、".join(t.label for t in reallocation_targets(self.spec, owner))
            return f"，{owner.label}的{points}分按“{names}”的得分率计入上级指标"
        top = self.spec.node(excluded_from(self.spec, owner)).label
        return f"，{owner.label}的{points}分不计入满分，{top}按适用指标的满分折算"

    def _rewrite(self, cell_id: str, wrap) -> None:  # noqa: ANN001 - a one-line lambda
        for k, cell in enumerate(self.cells):
            if cell.id == cell_id and cell.expr is not None:
                self.cells[k] = dataclasses.replace(cell, expr=wrap(cell.expr))
                return

    # ---- indicators -------------------------------------------------------------------------
    def wrap_indicator(self, node: Node, score: ir.Expr) -> ir.Expr:
        na = self.not_applies(node)
        return score if na is None else ir.if_(na, NOT_APPLICABLE, score)

    def share_terms(self, node: Node) -> list[ir.Expr]:
        """The points of children reallocated to their siblings, one cell each."""
        out: list[ir.Expr] = []
        for child in node.children:
            na = self.not_applies(child)
            if na is None or not child.applies_when or child.not_applicable != "reallocated":
                continue
            targets = reallocation_targets(self.spec, child)
            rate = (
                ir.call("SUM", *(ir.Ref(t.id) for t in targets))
                * child.points
                / sum(t.points for t in targets)
            )
            share = ir.if_(
                na,
                ir.if_(
                    ir.and_(*(ir.isnum(ir.Ref(t.id)) for t in targets)),
                    ir.round_(rate, self.param(PARAM_DECIMALS)),
                    ir.PENDING,
                ),
                0,
            )
            out.append(self.helper(child, "share", "不适用分值按得分率转入", share))
        return out

    def scale_excluded(self, node: Node, total: ir.Expr) -> ir.Expr:
        """An indicator's sum over the points that apply to the unit, converted back to its points
        (the root, or the ancestor ``excluded_from`` names)."""
        excluded = [
            n
            for n in self.spec.nodes()
            if n.applies_when and n.not_applicable == "excluded" and excluded_from(self.spec, n) == node.id
        ]
        if not excluded:
            return total
        terms: list[ir.Expr] = []
        for n in excluded:
            na = self.not_applies(n)
            parent = self.spec.parent_of(n.id)
            above = self.not_applies(parent) if parent is not None else None
            if above is not None and na is not None:
                na = ir.and_(na, ir.call("NOT", above))
            terms.append(ir.if_(na, n.points, 0))
        most = self.helper(node, "max", "适用指标满分", node.points - ir.call("SUM", *terms))
        return ir.if_(most.cmp(">", 0), total * node.points / most, 0)
