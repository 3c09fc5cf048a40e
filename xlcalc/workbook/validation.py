"""Data validation of input cells: what a user may type and the message shown before typing.

Every input cell carries an input message (label, unit, valid range, 数据来源 and, on forms,
the 年度指标值), so a user learns the rules before an error; errors name the unit too. Text
inputs accept any text up to ``TEXT_LIMIT`` characters; self-scores are limited to the row's
points.
"""

from __future__ import annotations

import dataclasses

from openpyxl.worksheet.datavalidation import DataValidation

from xlcalc.spec.model import InputDef, Node, Spec

TEXT_LIMIT = 1000
PROMPT_LIMIT = 255  # Excel refuses longer input messages
TITLE_LIMIT = 32


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(float(x))


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclasses.dataclass(frozen=True)
class InputRole:
    """How one input relates to the indicator rows that use it."""

    node: Node | None = None
    is_self_score: bool = False
    is_reason: bool = False


def input_roles(spec: Spec) -> dict[str, InputRole]:
    """For each input the indicator it belongs to: as its self-score, reason or rule input."""
    roles: dict[str, InputRole] = {}
    ids = {i.id for i in spec.inputs}
    for node in spec.nodes():
        if node.self_score:
            roles[node.self_score] = InputRole(node, is_self_score=True)
        if node.reason:
            roles[node.reason] = InputRole(node, is_reason=True)
        if node.rule is not None and dataclasses.is_dataclass(node.rule):
            for f in dataclasses.fields(node.rule):
                value = getattr(node.rule, f.name)
                for v in value if isinstance(value, tuple | list) else (value,):
                    if isinstance(v, str) and v in ids and v not in roles:
                        roles[v] = InputRole(node)
    return roles


def unit_text(inp: InputDef) -> str:
    if inp.is_bool:
        return "是/否"
    if inp.is_percent:
        return "%"
    return inp.unit


def bounds(inp: InputDef, role: InputRole | None) -> tuple[float | None, float | None]:
    lo, hi = inp.lo, inp.hi
    if role is not None and role.is_self_score and role.node is not None and role.node.points > 0:
        points = role.node.stated_points if role.node.stated_points is not None else role.node.points
        hi = points if hi is None else min(hi, points)
    return lo, hi


def range_text(inp: InputDef, lo: float | None, hi: float | None) -> str:
    if inp.is_percent:
        a = f"{_num((lo or 0) * 100)}%" if lo is not None else ""
        b = f"{_num(hi * 100)}%" if hi is not None else ""
    else:
        unit = inp.unit or ""
        a = f"{_num(lo)}{unit}" if lo is not None else ""
        b = f"{_num(hi)}{unit}" if hi is not None else ""
    if a and b:
        return f"{a}至{b}"
    return f"不小于{a}" if a else (f"不大于{b}" if b else "")


def prompt_text(inp: InputDef, role: InputRole | None, lo: float | None, hi: float | None) -> str:
    parts: list[str] = []
    node = role.node if role is not None else None
    if node is not None and node.target:
        parts.append(f"年度指标值：{node.target}")
    if role is not None and role.is_reason:
        parts.append("填写文字；自评得分低于分值时必填")
    elif inp.is_text and inp.values:
        parts.append(f"从下拉列表选择：{'、'.join(inp.values)}")
    elif inp.is_text:
        parts.append(f"填写文字（不超过{TEXT_LIMIT}字）")
    elif inp.is_bool:
        parts.append("从下拉列表选择“是”或“否”")
    elif inp.is_percent:
        parts.append("按百分比填写，如 98% 或 0.98")
    else:
        unit = unit_text(inp)
        kind = "整数" if inp.type == "integer" else "数字"
        parts.append(f"填写{kind}" + (f"，单位：{unit}" if unit else ""))
    if role is not None and role.is_self_score and node is not None and node.points > 0:
        parts.append(f"本行分值{_num(hi if hi is not None else node.points)}分")
    rng = "" if inp.is_text or inp.is_bool else range_text(inp, lo, hi)
    if rng:
        parts.append(f"有效范围：{rng}")
    if inp.source:
        parts.append(f"数据来源：{inp.source}")
    if inp.note:
        parts.append(inp.note)
    return _clip("；".join(parts), PROMPT_LIMIT)


def input_validation(inp: InputDef, role: InputRole | None = None) -> DataValidation:
    """The validation of one input's cells, with its input message and a unit-naming error."""
    lo, hi = bounds(inp, role)
    if inp.is_bool:
        dv = DataValidation(type="list", formula1='"是,否"', allow_blank=True)
        dv.error = "请从下拉列表选择“是”或“否”"
    elif inp.is_text and inp.values:
        dv = DataValidation(type="list", formula1='"' + ",".join(inp.values) + '"', allow_blank=True)
        dv.error = f"请从下拉列表选择：{'、'.join(inp.values)}"
    elif inp.is_text:
        dv = DataValidation(
            type="textLength", operator="between", formula1="0", formula2=str(TEXT_LIMIT), allow_blank=True
        )
        dv.error = f"文字不能超过{TEXT_LIMIT}字"
    else:
        kind = "whole" if inp.type == "integer" else "decimal"
        lo_v = lo if lo is not None else -1e15
        hi_v = hi if hi is not None else 1e15
        dv = DataValidation(
            type=kind, operator="between", formula1=_num(lo_v), formula2=_num(hi_v), allow_blank=True
        )
        what = "整数" if inp.type == "integer" else "数字"
        rng = range_text(inp, lo, hi) or "有效范围内"
        if inp.is_percent:
            dv.error = f"请输入{rng}之间的百分比（如 98% 或 0.98）"
        else:
            dv.error = f"请输入{rng}之间的{what}" + (f"（单位：{inp.unit}）" if inp.unit else "")
    dv.errorTitle = "输入无效"
    dv.showErrorMessage = True
    dv.promptTitle = _clip(inp.label.split("：")[-1], TITLE_LIMIT)
    dv.prompt = prompt_text(inp, role, lo, hi)
    dv.showInputMessage = True
    dv.error = _clip(dv.error, PROMPT_LIMIT)
    return dv


def list_validation(
    label: str, unit: str, lo: float | None, hi: float | None, integer: bool
) -> DataValidation:
    """Validation of a list sheet's item cells (one number per cell)."""
    inp = InputDef(id="item", label=label, unit=unit, type="integer" if integer else "number", lo=lo, hi=hi)
    dv = input_validation(inp)
    dv.prompt = _clip("每个单元格填一项；" + dv.prompt, PROMPT_LIMIT)
    return dv
