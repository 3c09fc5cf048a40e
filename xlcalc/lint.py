"""``xlcalc lint``: structural checks beyond what loading enforces.

Errors make a spec unusable (children not summing to their parent, total not equal to the
declared total, duplicate ids); warnings flag what a reviewer should look at (duplicate labels,
a rule whose stated full marks exceed its points or whose inputs' ranges keep it from reaching its
full marks or its stated floor, implied maxima, unused inputs and parameters).
"""

from __future__ import annotations

from collections.abc import Callable

from xlcalc.errors import Diagnostic, SpecError
from xlcalc.lowering import Lowering
from xlcalc.spec.model import Node, Spec
from xlcalc.spec.params import STANDARD_PARAMS
from xlcalc.workbook.build import build_workbook, used_params

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
            # A rule deducting from a pool, and a bonus item with a cap, have no points of their own.
            own = node.rule.ZERO_POINTS or node.rule.pool or node.cap is not None
            if node.points == 0 and not own and not scoreless:
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
        used.update(attr for attr, _ in node.applies_when)  # unit attributes (applies_when)
    for d in spec.derived:
        if d.id in used:
            used.update(d.args)
    for inp in spec.inputs:
        if inp.id not in used:
            out.append(Diagnostic("warning", f"输入项“{inp.label}”（{inp.id}）未被任何规则使用", file))
    _unreachable(spec, warn)
    try:  # Excel's limits (formula and text length, sheet size) show only in the compiled workbook
        build_workbook(spec)
    except SpecError as exc:
        out.extend(exc.diagnostics)
    return out


def _unreachable(spec: Spec, warn: Callable[[str, Node | None], None]) -> None:
    """Stated ranges a rule can never reach (bounds from the inputs' declared ranges), and
    parameters no rule reads."""
    lowering = Lowering(spec)
    graph = lowering.build()
    for node in spec.nodes():
        rule = node.rule
        if rule is None or node.points <= 0:
            continue
        lo, hi = lowering.raw_bounds.get(node.id, (None, None))
        if rule.floor != "none" and lo is not None and lo > TOLERANCE:
            warn(
                f"“{node.label}”最低只能得{lo:g}分：按输入项的取值范围，扣分扣不到0分"
                "（请核对每项扣分、扣分次数的上限）",
                node,
            )
        if hi is not None and hi < node.points - TOLERANCE:
            warn(f"“{node.label}”最高只能得{hi:g}分，达不到分值{node.points:g}分", node)
    _caps_and_pools(spec, lowering, warn)
    used = used_params(graph)
    standard = {p.name for p in STANDARD_PARAMS}  # offered to every rubric: unused is normal
    for p in spec.params:
        if p.name not in used and p.name not in standard:
            warn(f"参数“{p.label}”（{p.name}）未被任何规则使用", None)


def exit_status(diags: list[Diagnostic]) -> int:
    """0 clean, 1 warnings only, 2 errors."""
    if any(d.level == "error" for d in diags):
        return 2
    return 1 if diags else 0


def _caps_and_pools(spec: Spec, lowering: Lowering, warn: Callable[[str, Node | None], None]) -> None:
    """A ``cap`` below the points or out of reach, and a pooled deduction that can never deduct."""
    for node in spec.nodes():
        if node.cap is not None:
            if node.cap < node.points - TOLERANCE:
                warn(f"“{node.label}”的上限{node.cap:g}分低于其分值{node.points:g}分", node)
            high = lowering.highest.get(node.id)
            if high is not None and high < node.cap - TOLERANCE:
                warn(
                    f"“{node.label}”的上限{node.cap:g}分达不到：按输入项的取值范围最高只能得{high:g}分",
                    node,
                )
        if node.rule is not None and node.rule.pool:
            lo, _ = lowering.raw_bounds.get(node.id, (None, None))
            if lo is not None and lo >= -TOLERANCE:
                warn(f"“{node.label}”从上级指标中扣分，但按输入项的取值范围永远扣不到分", node)
