"""``xlcalc lint``: structural checks beyond what loading enforces.

Errors make a spec unusable (children not summing to their parent, total not equal to the
declared total, duplicate ids); warnings flag what a reviewer should look at (duplicate labels,
a rule whose stated full marks exceed its points, implied maxima, unused inputs).
"""

from __future__ import annotations

from xlcalc.errors import Diagnostic, SpecError
from xlcalc.spec.model import Node, Spec
from xlcalc.workbook.build import build_workbook

TOLERANCE = 1e-9


def lint(spec: Spec) -> list[Diagnostic]:
    out: list[Diagnostic] = list(spec.warnings)
    file = spec.file

    def err(msg: str, node: Node | None = None) -> None:
        out.append(Diagnostic("error", msg, file, node.line if node else None, node.path if node else ""))

    def warn(msg: str, node: Node | None = None) -> None:
        out.append(Diagnostic("warning", msg, file, node.line if node else None, node.path if node else ""))

    root = spec.root
    if abs(root.points - spec.meta.total) > TOLERANCE:
        err(f"总分 {root.points:g} 与声明的总分 meta.total={spec.meta.total:g} 不一致", root)
    for node in spec.nodes():
        if node.children:
            total = sum(c.points for c in node.children)
            if abs(total - node.points) > TOLERANCE:
                parts = "+".join(f"{c.points:g}" for c in node.children)
                err(f"“{node.label}”的下级分值之和 {parts}={total:g}，与其分值 {node.points:g} 不一致", node)
        if node.rule is not None:
            full = node.rule.full_marks()
            if full is not None and full > node.points + TOLERANCE:
                warn(
                    f"“{node.label}”的规则满分 {full:g} 分超过指标分值 {node.points:g} 分；得分以指标分值为限",
                    node,
                )
            scoreless = node.rule.SCORELESS or getattr(node, "duplicate_of", "")
            if node.points == 0 and not node.rule.ZERO_POINTS and not scoreless:
                warn(f"“{node.label}”分值为0，只有扣分项才应为0分", node)
        if node.extra.get("implied"):
            parent = spec.parent_of(node.id)
            if parent is not None:
                rest = sum(c.points for c in parent.children if c.id != node.id)
                if abs(parent.points - rest - node.points) > TOLERANCE:
                    err(
                        f"“{node.label}”声明为推定分值 {node.points:g}，但上级分值减去其他细则为 {parent.points - rest:g}",
                        node,
                    )
    labels: dict[tuple[str, str], Node] = {}
    for node in spec.nodes():
        parent = spec.parent_of(node.id)
        key = (parent.id if parent else "", node.label)
        if key in labels:
            warn(f"同一上级下有重复的指标名称“{node.label}”", node)
        labels[key] = node
    used: set[str] = set()
    for node in spec.nodes():
        if node.rule is not None:
            used.update(node.rule.refs())
            used.update(p.count for p in node.rule.penalties)
            used.update(v.flag for v in node.rule.vetoes)
    for node in spec.nodes():
        # Self-assigned scores and their reasons are read by the audit, not by a rule.
        used.update(x for x in (getattr(node, "self_score", ""), getattr(node, "reason", "")) if x)
    for d in spec.derived:
        if d.id in used:
            used.update(d.args)
    for inp in spec.inputs:
        if inp.id not in used:
            out.append(Diagnostic("warning", f"输入项“{inp.label}”（{inp.id}）未被任何规则使用", file))
    try:  # Excel's limits (formula and text length, sheet size) show only in the compiled workbook
        build_workbook(spec)
    except SpecError as exc:
        out.extend(exc.diagnostics)
    return out


def exit_status(diags: list[Diagnostic]) -> int:
    """0 clean, 1 warnings only, 2 errors."""
    if any(d.level == "error" for d in diags):
        return 2
    return 1 if diags else 0
