"""One raw input value → the value a workbook cell holds, read as a Chinese office user writes it.

Two kinds of raw values arrive here:

- typed values (numbers and booleans from workbook cells, from the Python API): a number is what
  the cell holds, so a percent input's 1.2 is 120% (the cell shows 120%);
- text (everything in an inputs file — YAML, JSON and CSV scalars are read as text — and text
  cells of a workbook): read by fixed rules and refused when it could mean two things, never
  guessed. “1.234,5” and “1,5” (decimal comma or thousands?), “80%” in a 万元 input and a bare
  “5” in a percent input (5% or 500%?) are refused with a message saying what to write.

Every refusal is an :class:`~xlcalc.errors.InputError` whose message starts with ``where``.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from typing import Any

from xlcalc.errors import InputError
from xlcalc.spec.model import BOOL_FALSE, BOOL_TRUE, InputDef

# Magnitudes a cell can hold exactly enough to score (Excel keeps 15 significant digits).
MAX_MAGNITUDE = 1e15
# Digits a written number may carry (leading zeros not counted); longer strings are refused unread.
MAX_DIGITS = 30
MAX_NUMBER_CHARS = 64
MAX_TEXT_CHARS = 32_767  # what one Excel cell holds

_NUMERIC = frozenset(("number", "integer", "percent"))

# Full-width ASCII (Ｕ+FF01–FF5E) as typed by a Chinese IME, the ideographic space and the minus sign.
_HALF = {0xFF01 + k: 0x21 + k for k in range(94)} | {0x3000: 0x20, 0x2212: 0x2D}

_SIMPLE = re.compile(r"-?\d{1,15}(?:\.\d{1,15})?", re.ASCII)
# A plain decimal: digits with an optional point, or a point with digits; optional exponent.
_PLAIN = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d{1,3})?", re.ASCII)
# Thousands separators only in the well-formed pattern 1,234,567.89.
_GROUPED = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?", re.ASCII)
# List items in one text: semicolons (either width), 顿号 and line breaks. Never commas.
_LIST_SEP = re.compile(r"[;；、\r\n]")

_TRUE = frozenset((BOOL_TRUE, "√", "✓", "✔", "有", "true", "y", "yes", "1"))
_FALSE = frozenset((BOOL_FALSE, "×", "✗", "✘", "无", "false", "n", "no", "0"))


def normalize_value(inp: InputDef, raw: Any, where: str) -> Any:
    """One raw input value → the value a workbook cell holds (None when blank, [] for a blank list).

    Raises InputError naming ``where`` when the value has the wrong type, is out of range or
    could be read two ways.
    """
    t = type(raw)
    if (t is float or t is int) and inp.type in _NUMERIC:
        # Fast path: a typed number, finite, within range (the chained test is False for NaN/inf).
        value = float(raw) if t is float or -(10**15) < raw < 10**15 else math.inf
        if (
            -MAX_MAGNITUDE < value < MAX_MAGNITUDE
            and (inp.lo is None or value >= inp.lo)
            and (inp.hi is None or value <= inp.hi)
            and (inp.type != "integer" or value.is_integer())
        ):
            return value
    if t is list and inp.is_list and len(raw) <= inp.capacity:
        lo = -MAX_MAGNITUDE if inp.lo is None else inp.lo
        hi = MAX_MAGNITUDE if inp.hi is None else inp.hi
        whole = inp.item_type == "integer"
        if all(
            (type(x) is float or type(x) is int) and lo <= x <= hi and (not whole or x == int(x)) for x in raw
        ):
            return [float(x) for x in raw]
    if raw is None or (t is str and not raw.strip()):
        return [] if inp.is_list else None
    if inp.is_bool:
        return _bool(inp, raw, where)
    if inp.is_text:
        return _text(inp, raw, where)
    if inp.is_list:
        return _list(inp, raw, where)
    return _number(inp, raw, where, inp.type == "integer")


def show(raw: Any) -> str:
    """A raw value as quoted in a message: short, and never str() of a container (it may nest deeply)."""
    if isinstance(raw, dict):
        return "（映射）"
    if isinstance(raw, list | tuple):
        return f"（{len(raw)}项的列表）"
    if isinstance(raw, int) and not -(10**40) < raw < 10**40:
        return "（位数过多的整数）"  # str() of a 5,000-digit int raises ValueError
    text = raw if isinstance(raw, str) else str(raw)
    return text if len(text) <= 40 else text[:40] + "…"


def _bool(inp: InputDef, raw: Any, where: str) -> str:
    if raw is True or (type(raw) in (int, float) and raw == 1):
        return BOOL_TRUE
    if raw is False or (type(raw) in (int, float) and raw == 0):
        return BOOL_FALSE
    if isinstance(raw, str) and len(raw) <= 10:
        if raw in _TRUE:  # the common spellings, exactly as written
            return BOOL_TRUE
        if raw in _FALSE:
            return BOOL_FALSE
        key = raw.translate(_HALF).strip().lower()
        if key in _TRUE:
            return BOOL_TRUE
        if key in _FALSE:
            return BOOL_FALSE
    raise InputError(f"{where}：“{inp.label}”应填“是”或“否”（也可写√/×、有/无、Y/N、1/0），得到“{show(raw)}”")


def _text(inp: InputDef, raw: Any, where: str) -> str:
    if isinstance(raw, dict | list | tuple) or (isinstance(raw, int) and not -(10**40) < raw < 10**40):
        raise InputError(f"{where}：“{inp.label}”应为文字，得到{show(raw)}")
    text = str(raw)
    if len(text) > MAX_TEXT_CHARS:
        raise InputError(f"{where}：“{inp.label}”过长（{len(text)}字，单元格最多{MAX_TEXT_CHARS}字）")
    if inp.values and text.strip() and text.strip() not in inp.values:
        raise InputError(f"{where}：“{inp.label}”应为{'、'.join(inp.values)}之一，得到“{show(text)}”")
    return text.strip() if inp.values else text


def _list(inp: InputDef, raw: Any, where: str) -> list[float]:
    whole = inp.item_type == "integer"
    if isinstance(raw, str):
        items = [x for x in (x.strip() for x in _LIST_SEP.split(raw)) if x]
        if "," in raw or "，" in raw:
            k, x = next((k, x) for k, x in enumerate(items) if "," in x or "，" in x)
            raise InputError(
                f"{where}第{k + 1}项：“{inp.label}”的“{show(x)}”含逗号，含义不明："
                "各项请用分号（;）、顿号（、）或换行分隔，数字不要写千位分隔符"
            )
    elif isinstance(raw, list | tuple):
        items = list(raw)
    else:
        raise InputError(f"{where}：“{inp.label}”应为数字列表，得到“{show(raw)}”")
    if len(items) > inp.capacity:
        raise InputError(f"{where}：“{inp.label}”最多{inp.capacity}项，得到{len(items)}项")
    lo = -MAX_MAGNITUDE if inp.lo is None else inp.lo
    hi = MAX_MAGNITUDE if inp.hi is None else inp.hi
    out = []
    for k, x in enumerate(items):
        if type(x) is str and _SIMPLE.fullmatch(x):  # fast path: a plain decimal within range
            value = float(x)
            if lo <= value <= hi and (not whole or value.is_integer()):
                out.append(value)
                continue
        try:
            out.append(_number(inp, x, where, whole))
        except InputError:
            _number(inp, x, f"{where}第{k + 1}项", whole)  # the message names the item only when needed
            raise
    return out


def _number(inp: InputDef, raw: Any, where: str, integer: bool) -> float:
    t = type(raw)
    if t is float or t is int:
        value = float(raw) if t is float or -(10**15) < raw < 10**15 else math.inf
        if not -MAX_MAGNITUDE < value < MAX_MAGNITUDE:
            what = "不是有效数字" if value != value else f"超出可计算范围（绝对值应小于{MAX_MAGNITUDE:.0e}）"
            raise InputError(f"{where}：“{inp.label}”{what}，得到“{show(raw)}”")
    elif t is str:
        text = raw.strip()
        # Most written values are plain decimals (≤ 15 + 15 digits): no further question to ask.
        value = (
            float(text) if _SIMPLE.fullmatch(text) and inp.type != "percent" else _written(inp, text, where)
        )
    else:
        raise InputError(f"{where}：“{inp.label}”应为数字，得到“{show(raw)}”")
    if integer and not value.is_integer():
        raise InputError(f"{where}：“{inp.label}”应为整数，得到 {show(raw)}")
    if inp.lo is not None and value < inp.lo or inp.hi is not None and value > inp.hi:
        if inp.is_percent:
            bounds = f"{_fmt(inp.lo, 2)}%–{_fmt(inp.hi, 2)}%"
            raise InputError(f"{where}：“{inp.label}”={show(raw)} 超出允许范围 {bounds}")
        unit = inp.unit
        raise InputError(
            f"{where}：“{inp.label}”={show(raw)}{unit} 超出允许范围 {_fmt(inp.lo)}–{_fmt(inp.hi)}{unit}"
        )
    return value


def _written(inp: InputDef, text: str, where: str) -> float:
    """A number written as text: refused unless it has exactly one reading."""

    def refuse(why: str) -> InputError:
        return InputError(f"{where}：“{inp.label}”{why}，得到“{show(text)}”")

    if len(text) > MAX_NUMBER_CHARS:
        raise refuse(f"应为数字（不超过{MAX_NUMBER_CHARS}个字符）")
    s = text.translate(_HALF)
    percent = s.endswith("%")
    if percent:
        s = s[:-1].rstrip()
        if not inp.is_percent:
            unit = f"（单位：{inp.unit}）" if inp.unit else ""
            raise refuse(f"{unit}不是百分比，不能带“%”：请直接填数值")
    elif inp.unit and inp.unit != "%" and s.endswith(inp.unit):
        s = s[: -len(inp.unit)].rstrip()  # “80万元” in a 万元 input: the unit the header names
    if "," in s:
        if "." in s and s.rfind(",") > s.rfind("."):
            raise refuse("含义不明（“,”在“.”之后：小数点还是千位分隔符？）：请写成1234.5的形式")
        if not _GROUPED.fullmatch(s):
            raise refuse(
                "含义不明（逗号是小数点还是千位分隔符？）：小数请用“.”，千位分隔只写成1,234,567的形式"
            )
        s = s.replace(",", "")
    if not _PLAIN.fullmatch(s):
        raise refuse("应为数字")
    mantissa = s.split("e")[0].split("E")[0]
    if len(mantissa.lstrip("+-0.").replace(".", "")) > MAX_DIGITS:
        raise refuse(f"有效数字过多（超过{MAX_DIGITS}位）")
    points = percent or (inp.is_percent and inp.percent_points)
    value = float(Decimal(s).scaleb(-2)) if points else float(s)
    if not -MAX_MAGNITUDE < value < MAX_MAGNITUDE:
        raise refuse(f"超出可计算范围（绝对值应小于{MAX_MAGNITUDE:.0e}）")
    if inp.is_percent and not points and abs(value) > 1:
        fraction = Decimal(s).scaleb(-2).normalize()
        hundred = Decimal(s).scaleb(2).normalize()
        raise refuse(
            f"是百分比，不带“%”的{s}含义不明（{s}%还是{hundred:f}%？）：请写{s}%或{fraction:f}，或写明{hundred:f}%"
        )
    return value


def _fmt(x: float | None, shift: int = 0) -> str:
    """A bound as written in a message; ``shift=2`` shows a fraction as percent points."""
    if x is None:
        return "∞"
    return f"{Decimal(repr(x)).scaleb(shift).normalize():f}"
