"""The self-evaluation audit's cells in the compiled graph (a lowering pass): per self-scored row the
difference from the rule's score and its flags; for the table the self-assigned total both ways,
the arithmetic and the verdict on the published total.

They are cells, not report code, so the 审核 sheet of the workbook and ``xlcalc audit`` show the
same values and the verifier checks them in every engine. The pass sits below the lowering (it
needs only the IR, the spec and the rule kinds) so that the compiler core never imports the audit
application (xlcalc/audit.py), which reports these cells.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from xlcalc import ir, xlruntime
from xlcalc.cells import Cell, Role
from xlcalc.rules.manual import QUALITATIVE_BANDS
from xlcalc.spec.model import Node, Spec

if TYPE_CHECKING:
    from xlcalc.lowering import Lowering

REASON_OVER = "reason_when_over"  # spec parameter of the 广西 profile (xlcalc/selfeval/profiles.py)
OVER_COMPLETION = 1.3  # 完成值达到指标值的130%及以上：指标值可能偏低（国家规定“按照偏离度适度调减分值”）

# Cell ids of the table-level audit cells.
SUM = "audit__sum"
NET = "audit__net"
ARITH = "audit__arith"
VERDICT = "audit__verdict"
GAP = "audit__gap"
RULE_GAP = "audit__rule_gap"


def diff_id(node_id: str) -> str:
    return f"{node_id}__selfdiff"


def flag_id(node_id: str) -> str:
    return f"{node_id}__audit"


# ---- which rows carry self-scores ---------------------------------------------------------
def self_scored(spec: Spec) -> list[Node]:
    """Indicators with a self-assigned score, the root (its published total) excluded."""
    return [n for n in spec.nodes() if n.self_score and n is not spec.root]


def frontier(spec: Spec) -> list[Node]:
    """Self-scored indicators no ancestor of which is self-scored: together they make the total."""
    out = []
    for n in self_scored(spec):
        if not any(a.self_score for a in spec.ancestors(n.id) if a is not spec.root):
            out.append(n)
    return out


def reason_of(node: Node) -> str:
    if node.reason:
        return node.reason
    return node.rule.reason_input() if node.rule is not None else ""


# ---- cells of the compiled graph -------------------------------------------------------------
def lower_audit(lw: Lowering) -> None:
    """Add the audit cells (on 扣分说明): per self-scored row its difference and flags, then the
    self-assigned total both ways, the arithmetic and the verdict on the published total."""
    spec = lw.spec
    for node in self_scored(spec):
        own = ir.Ref(node.self_score)
        score = ir.Ref(node.id)
        diff = lw.add(
            Cell(
                diff_id(node.id),
                Role.EXPLAIN,
                f"{node.label}：自评分−规则得分",
                ir.if_(ir.and_(ir.isnum(own), ir.isnum(score)), ir.round_(own - score, 6), ""),
                "0.00",
                node.id,
                "audit",
            )
        )
        flags = ir.concat(*_row_flags(lw, node, own, score, diff))
        lw.add(
            Cell(
                flag_id(node.id),
                Role.EXPLAIN,
                f"{node.label}：审核标记",
                ir.if_(ir.isnum(own), flags, "未填自评分；"),
                "@",
                node.id,
                "audit",
            )
        )
    rows = frontier(spec)
    if not rows:
        return
    root = spec.root
    total_sum = lw.add(
        Cell(
            SUM,
            Role.EXPLAIN,
            "自评分：各项相加",
            ir.round_(ir.call("SUM", *(ir.Ref(n.self_score) for n in rows)), 6),
            "0.00",
            root.id,
            "audit",
        )
    )
    base = root.base_points
    # SUM(x) reads a blank self-score as 0 in every engine (plain "−x" fails in the reference scorer).
    lost = [n.points - ir.call("SUM", ir.Ref(n.self_score)) for n in rows]
    net = lw.add(
        Cell(
            NET,
            Role.EXPLAIN,
            "自评分：满分减各项扣分",
            ir.round_(base - ir.call("SUM", *lost), 6),
            "0.00",
            root.id,
            "audit",
        )
    )
    terms: list[ir.ExprLike] = [xlruntime.general_text(base)]
    for n in rows:
        own = ir.Ref(n.self_score)
        pts = xlruntime.general_text(n.points)
        terms.append(
            ir.if_(
                ir.isnum(own),
                ir.if_(ir.round_(own - n.points, 6).cmp("=", 0), "", ir.concat(" − (", pts, "−", own, ")")),
                f" − ({pts}−未填)",
            )
        )
    lw.add(
        Cell(
            ARITH,
            Role.EXPLAIN,
            "自评分：满分减扣分算式",
            ir.concat(*terms, " = ", ir.num_text(net, 4)),
            "@",
            root.id,
            "audit",
        )
    )
    chosen = net if root.aggregate == "deductions" else total_sum
    how = "满分减扣分" if root.aggregate == "deductions" else "各项相加"
    other, other_how = (total_sum, "各项相加") if root.aggregate == "deductions" else (net, "满分减扣分")
    disagree = ir.if_(
        ir.round_(total_sum - net, 6).cmp("=", 0),
        "",
        ir.concat("；按", other_how, "为", ir.num_text(other, 4), "，两种算法不一致"),
    )
    if not root.self_score:
        lw.add(
            Cell(
                VERDICT,
                Role.EXPLAIN,
                "自评总分核对",
                ir.concat("按本表计分方式（", how, "）自评总分为", ir.num_text(chosen, 4), disagree),
                "@",
                root.id,
                "audit",
            )
        )
        return
    pub = ir.Ref(root.self_score)
    gap = lw.add(
        Cell(
            GAP,
            Role.EXPLAIN,
            "公布总分−自评分合计",
            ir.if_(ir.isnum(pub), ir.round_(pub - chosen, 6), ""),
            "0.00",
            root.id,
            "audit",
        )
    )
    verdict = ir.concat(
        "公布总分",
        pub,
        ir.if_(
            gap.cmp("=", 0),
            ir.concat("，与按本表计分方式（", how, "）计算的自评分合计一致"),
            ir.concat(
                "，按本表计分方式（",
                how,
                "）计算的自评分合计为",
                ir.num_text(chosen, 4),
                "，相差",
                ir.num_text(gap, 4),
            ),
        ),
        disagree,
    )
    lw.add(
        Cell(
            VERDICT,
            Role.EXPLAIN,
            "自评总分核对",
            ir.if_(ir.isnum(pub), verdict, "未填公布总分"),
            "@",
            root.id,
            "audit",
        )
    )
    rule_total = ir.Ref(root.id)
    lw.add(
        Cell(
            RULE_GAP,
            Role.EXPLAIN,
            "公布总分−规则计算总分",
            ir.if_(ir.and_(ir.isnum(pub), ir.isnum(rule_total)), ir.round_(pub - rule_total, 6), ""),
            "0.00",
            root.id,
            "audit",
        )
    )


def _row_flags(lw: Lowering, node: Node, own: ir.Expr, score: ir.Expr, diff: ir.Expr) -> list[ir.ExprLike]:
    """The flags of one self-scored row, each ending with "；"."""
    pts = xlruntime.general_text(node.points)
    flags: list[ir.ExprLike] = [
        ir.if_(ir.round_(own - node.points, 6).cmp(">", 0), f"自评分超过分值{pts}分；", ""),
        ir.if_(
            ir.isnum(score),
            ir.if_(
                diff.cmp(">", 0),
                ir.concat("自评分高于规则得分", ir.num_text(diff, 4), "分；"),
                ir.if_(diff.cmp("<", 0), ir.concat("自评分低于规则得分", ir.num_text(-diff, 4), "分；"), ""),
            ),
            "规则得分待填，无法核对；",
        ),
    ]
    reason = reason_of(node)
    if reason:
        missing = ir.BinOp("&", ir.Ref(reason), ir.Str("")).cmp("=", "")
        flags.append(
            ir.if_(
                ir.and_(ir.round_(own - node.points, 6).cmp("<", 0), missing), "低于满分未填偏差原因；", ""
            )
        )
    tier = node.rule.tier_input() if node.rule is not None else ""
    if tier:
        flags.append(_tier_flag(node, ir.Ref(tier), own))
    ratio = node.rule.completion_ratio(lw) if node.rule is not None else None
    if ratio is not None:
        over = ir.and_(ir.isnum(ratio), ratio.cmp(">=", OVER_COMPLETION))
        flags.append(
            ir.if_(over, ir.concat("完成值为指标值的", ir.pct_text(ratio, 0), "，指标值可能偏低；"), "")
        )
        if reason and REASON_OVER in lw.params:  # 广西: over-completion needs its 偏差原因 too
            missing = ir.BinOp("&", ir.Ref(reason), ir.Str("")).cmp("=", "")
            flags.append(
                ir.if_(
                    ir.and_(lw.param_is(REASON_OVER, "yes"), over, missing),
                    "完成值达到指标值130%及以上，未填偏差原因；",
                    "",
                )
            )
    return flags


def _tier_flag(node: Node, tier: ir.Expr, own: ir.Expr) -> ir.Expr:
    """National bands, 80% and 60% in the upper band: 达成 [0.8w, w], 部分达成 [0.6w, 0.8w), 未达成 [0, 0.6w).

    The range is written out in words: a "[" in a string literal followed later by a quoted sheet
    name makes the ``formulas`` engine read an external-workbook reference.
    """
    w = node.points
    out: ir.Expr = ir.Str("")
    for name, a, b in reversed(QUALITATIVE_BANDS):
        lo, hi = xlruntime.xl_round(w * a, 2), xlruntime.xl_round(w * b, 2)
        upper_closed = b == 1.0
        outside = ir.or_(own.cmp("<", lo), own.cmp(">" if upper_closed else ">=", hi))
        lo_t, hi_t = xlruntime.general_text(lo), xlruntime.general_text(hi)
        if upper_closed:
            allowed = f"{lo_t}至{hi_t}分"
        elif lo == 0:
            allowed = f"低于{hi_t}分"
        else:
            allowed = f"不低于{lo_t}分且低于{hi_t}分"
        out = ir.if_(
            tier.cmp("=", name), ir.if_(outside, f"自评分不在“{name}”档的分值区间（{allowed}）；", ""), out
        )
    return out
