"""年度指标值 and 实际完成值 as printed on a 自评表 ("≥12次", "≦10万", "前三", "2021年12月底前完成")
parsed into an operator, a number and a unit, with the typos noticed on the way."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Full-width and IME variants: 《》 are what < > become with a Chinese input method.
_OPS = (
    ("大于等于", ">="),
    ("小于等于", "<="),
    ("不低于", ">="),
    ("不少于", ">="),
    ("不小于", ">="),
    ("至少", ">="),
    ("不高于", "<="),
    ("不超过", "<="),
    ("不多于", "<="),
    ("不大于", "<="),
    (">=", ">="),
    ("＞=", ">="),
    ("》=", ">="),
    ("<=", "<="),
    ("＜=", "<="),
    ("《=", "<="),
    ("≥", ">="),
    ("≧", ">="),
    ("≤", "<="),
    ("≦", "<="),
    (">", ">"),
    ("＞", ">"),
    ("》", ">"),
    ("<", "<"),
    ("＜", "<"),
    ("《", "<"),
    ("＝", "="),
    ("=", "="),
)
# Longest first, so 个工作日 wins over 个 and 场次 over 场.
UNITS = (
    "个工作日",
    "工作日",
    "平方米",
    "万人次",
    "万元",
    "万册",
    "万人",
    "场次",
    "人次",
    "件次",
    "课时",
    "小时",
    "公里",
    "万",
    "元",
    "次",
    "场",
    "件",
    "人",
    "个",
    "天",
    "日",
    "册",
    "部",
    "篇",
    "期",
    "份",
    "家",
    "项",
    "名",
    "户",
    "所",
    "条",
    "本",
    "套",
    "台",
    "辆",
    "米",
    "吨",
    "周",
)
COUNT_UNITS = frozenset(
    [
        "次",
        "场次",
        "人次",
        "件次",
        "场",
        "件",
        "人",
        "个",
        "册",
        "部",
        "篇",
        "期",
        "份",
        "家",
        "项",
        "名",
        "户",
        "所",
        "条",
        "本",
        "套",
        "台",
        "辆",
    ]
)
_CN_DIGITS = {
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
    "十": 10,
}
_NUM = re.compile(r"\d+(?:[.,，]\d+)*(?:\.\d+)?")
_DATE = re.compile(r"(\d{4}年)?\d{1,2}月(底|末|中旬|上旬|下旬|\d{1,2}日)?(前|之前|以前)?|年底前|年内")
_RANK = re.compile(r"^(?:前|第)?([0-9]+|[一二两三四五六七八九十]+)(?:名)?$")


@dataclass(frozen=True)
class Target:
    """One parsed figure. ``kind``: number, percent, rank, date or text; ``value`` is a fraction
    for percent ("85%" → 0.85); ``problems`` lists typos noticed (a doubled unit, an unknown one)."""

    text: str
    kind: str
    op: str | None = None
    value: float | None = None
    unit: str = ""
    rest: str = ""
    problems: tuple[str, ...] = ()

    @property
    def numeric(self) -> bool:
        return self.kind in ("number", "percent", "rank")

    @property
    def integer_unit(self) -> bool:
        return self.unit in COUNT_UNITS


def _cn_number(text: str) -> int | None:
    if text.isdigit():
        return int(text)
    if text == "十":
        return 10
    if len(text) == 1:
        return _CN_DIGITS.get(text)
    if len(text) == 2 and text[0] == "十":
        return 10 + _CN_DIGITS.get(text[1], 0)
    if len(text) in (2, 3) and text[1] == "十":
        return _CN_DIGITS.get(text[0], 0) * 10 + (_CN_DIGITS.get(text[2], 0) if len(text) == 3 else 0)
    return None


def _strip_op(text: str) -> tuple[str | None, str]:
    for word, op in _OPS:
        if text.startswith(word):
            return op, text[len(word) :].strip()
    return None, text


def _rank(text: str, op: str | None) -> Target | None:
    t = text.replace("并列", "").replace("以内", "").replace("内", "")
    if not t.startswith(("前", "第")):  # "100名" counts people; a rank says 前 or 第
        return None
    m = _RANK.match(t)
    if m is None:
        return None
    n = _cn_number(m[1])
    if n is None:
        return None
    # "前三", "第一", "≤第12名": 名次 no worse than n.
    return Target(text, "rank", "<=" if op in (None, "<=", "<", "=") else op, float(n), "名")


def parse_target(text: str) -> Target:
    """Parse a printed figure; never raises (unreadable text is kind "text")."""
    raw = str(text).strip()
    compact = re.sub(r"\s+", "", raw)
    if not compact:
        return Target(raw, "text")
    op, body = _strip_op(compact)
    rank = _rank(body, op)
    if rank is not None:
        return Target(raw, rank.kind, rank.op, rank.value, rank.unit)
    if _DATE.search(body):
        return Target(raw, "date", op)
    m = _NUM.match(body)
    if m is None:
        return Target(raw, "text", op)
    number = m[0].replace(",", "").replace("，", "")
    try:
        value = float(number)
    except ValueError:
        return Target(raw, "text", op)
    tail = body[m.end() :]
    if tail.startswith(("%", "％")):
        rest = tail[1:]
        problems = (f"“{raw}”的“%”后还有文字“{rest}”",) if rest else ()
        return Target(raw, "percent", op, value / 100, "%", rest, problems)
    unit = next((u for u in UNITS if tail.startswith(u)), "")
    rest = tail[len(unit) :]
    problems: list[str] = []
    if unit and rest.startswith(unit):
        problems.append(f"“{raw}”中单位“{unit}”重复")
        rest = rest[len(unit) :]
    if unit == "万":
        unit = "万元"
    if not unit and rest:
        problems.append(f"“{raw}”的单位“{rest}”不在常用单位中")
    elif rest.startswith("/"):
        unit, rest = unit + rest, ""
    return Target(raw, "number", op, value, unit, rest, tuple(problems))


def parse_actual(text: str) -> Target:
    """An 实际完成值: like a target; two figures ("接话满意率99%，办案满意率100%") read as the
    smaller, flagged by the caller through ``problems``."""
    raw = str(text).strip()
    figures = re.findall(r"\d+(?:\.\d+)?\s*[%％]", raw)
    if len(figures) >= 2:
        values = [float(re.sub(r"[%％\s]", "", f)) / 100 for f in figures]
        note = f"“{raw}”含{len(figures)}个数值，取最小值{min(values) * 100:g}%"
        return Target(raw, "percent", None, min(values), "%", "", (note,))
    t = parse_target(raw)
    if t.kind in ("number", "percent") and t.rest and not t.rest.startswith("/"):
        # "12次（含线上）": the figure is readable, the remark is not part of it.
        return Target(t.text, t.kind, t.op, t.value, t.unit, t.rest, t.problems)
    return t


def format_percent(value: float) -> str:
    return f"{round(value * 100, 6):g}%"


def format_number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value
