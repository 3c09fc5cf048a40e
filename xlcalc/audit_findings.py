"""Structural findings of a self-evaluation table, from the spec alone: a rule promising more
than its weight, duplicated rows, weights that do not add up, a printed target that disagrees with
the rule's threshold or direction, a ‰/% mismatch between a label and its target."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from xlcalc import xlruntime
from xlcalc.rules.base import Rule
from xlcalc.spec.model import Node, Spec

TOL = 1e-9


# ---- structural findings (the table itself) ------------------------------------------------
@dataclass(frozen=True)
class Finding:
    """A problem of the table as written: ``kind`` is full_marks, duplicate, weights, target or unit."""

    node: str
    kind: str
    message: str


def shown_points(node: Node) -> float:
    """The weight the table prints for a node."""
    return node.stated_points if node.stated_points is not None else node.points


def node_path(spec: Spec, node: Node) -> str:
    chain = [a.label for a in reversed(spec.ancestors(node.id)) if a is not spec.root]
    return " › ".join([*chain, node.label])


def structural_findings(spec: Spec) -> list[Finding]:
    out: list[Finding] = []
    out += _full_marks(spec)
    out += _duplicates(spec)
    out += _weights(spec)
    out += _targets(spec)
    return out


def _g(x: float) -> str:
    return xlruntime.general_text(x)


def _full_marks(spec: Spec) -> Iterator[Finding]:
    for n in spec.nodes():
        if n.rule is None or n.rule.SCORELESS or n.duplicate_of:
            continue
        full = n.rule.full_marks()
        if full is not None and full > n.points + TOL:
            yield Finding(
                n.id,
                "full_marks",
                f"评分标准写明满分{_g(full)}分，超过指标分值{_g(n.points)}分（得分以指标分值为限）",
            )


def _norm(text: str) -> str:
    table = str.maketrans("（）％‰", "()%‰")
    return re.sub(r"\s+", "", text.translate(table))


def _duplicates(spec: Spec) -> Iterator[Finding]:
    seen: dict[tuple[str, str], Node] = {}
    for n in spec.nodes():
        if n.duplicate_of:
            other = spec.node(n.duplicate_of)
            yield Finding(
                n.id,
                "duplicate",
                f"与“{node_path(spec, other)}”重复（原表权重{_g(shown_points(n))}，按{_g(n.points)}分计）",
            )
            continue
        if n.children:
            continue
        key = (_norm(n.label), _norm(n.text))
        if key in seen and key[1]:
            yield Finding(
                n.id, "duplicate", f"与“{node_path(spec, seen[key])}”名称和评分标准相同，疑为重复行"
            )
        seen.setdefault(key, n)


def _weights(spec: Spec) -> Iterator[Finding]:
    root = spec.root
    for n in spec.nodes():
        if not n.children:
            continue
        parts = [shown_points(c) for c in n.children]
        total = sum(parts)
        shown = shown_points(n)
        if abs(total - shown) > TOL:
            terms = "+".join(_g(p) for p in parts)
            where = "表列总分" if n is root else "表列权重"
            msg = (
                f"{where}{_g(shown)}，下级权重之和 {terms} = {_g(total)}"
                if len(parts) > 1
                else f"{where}{_g(shown)}，下级权重为{_g(total)}"
            )
            if n.stated_points is not None and abs(n.points - shown) > TOL:
                how = "满分减扣分" if n.aggregate == "deductions" else "下级得分相加"
                msg += f"（本规格按下级计{_g(n.points)}分；{how}）"
            yield Finding(n.id, "weights", msg)


_TARGET = re.compile(
    r"^(?P<op>≥|>=|＞=|≤|<=|＜=|>|＞|<|＜|=)?\s*(?P<num>\d+(?:\.\d+)?)\s*(?P<pct>%|％|‰)?(?P<rest>.*)$"
)
_OPS = {
    "≥": ">=",
    ">=": ">=",
    "＞=": ">=",
    "≤": "<=",
    "<=": "<=",
    "＜=": "<=",
    ">": ">",
    "＞": ">",
    "<": "<",
    "＜": "<",
    "=": "=",
}


def parse_target(text: str) -> tuple[str | None, float, str] | None:
    """ "≥60%" → (">=", 0.6, "%"); "1次" → (None, 1.0, ""); "前三" → None."""
    m = _TARGET.match(text.strip())
    if m is None:
        return None
    value = float(m["num"])
    unit = {"％": "%"}.get(m["pct"] or "", m["pct"] or "")
    if unit == "%":
        value /= 100
    elif unit == "‰":
        value /= 1000
    return (_OPS[m["op"]] if m["op"] else None), value, unit


def rule_threshold(rule: Rule | None) -> tuple[str, float] | None:
    """The operator and threshold a rule tests its actual against, when it has a single one."""
    return rule.stated_threshold() if rule is not None else None


_OP_TEXT = {">=": "≥", ">": ">", "<=": "≤", "<": "<", "=": "="}


def _targets(spec: Spec) -> Iterator[Finding]:
    for n in spec.nodes():
        if not n.target or n.duplicate_of:
            continue
        stated = parse_target(n.target)
        label_unit = "‰" if "‰" in n.label else ("%" if re.search(r"[(（]%[)）]", n.label) else "")
        if stated is not None and label_unit and stated[2] and stated[2] != label_unit:
            yield Finding(
                n.id, "unit", f"指标名称的单位为{label_unit}，表列指标值“{n.target}”的单位为{stated[2]}"
            )
        if stated is None:
            continue
        op, value, _ = stated
        rt = rule_threshold(n.rule)
        if rt is None:
            if n.rule is not None and n.rule.counts_incidents():
                yield Finding(
                    n.id, "target", f"表列指标值“{n.target}”是比率，评分标准按件数扣分，未使用该指标值"
                )
            continue
        r_op, r_value = rt
        shown = xlruntime.pct_text(r_value, 1).replace(".0%", "%") if stated[2] == "%" else _g(r_value)
        if abs(value - r_value) > TOL * max(1.0, abs(r_value)):
            yield Finding(
                n.id, "target", f"表列指标值“{n.target}”与评分标准的阈值{_OP_TEXT[r_op]}{shown}不一致"
            )
        elif op is not None and op != r_op and {op, r_op} != {">=", "="}:
            yield Finding(
                n.id, "target", f"表列指标值“{n.target}”的方向与评分标准（{_OP_TEXT[r_op]}{shown}）相反"
            )
