"""Excel semantics in Python: the runtime the generated reference scorer calls.

Everything that differs between Python and a spreadsheet lives here, so the reference scorer and
the workbook agree to the cent:

* ``ROUND`` rounds half away from zero on the value as Excel sees it (15 significant digits),
  not on the binary double (``round(2.675, 2)`` is 2.67 in Python, 2.68 in Excel).
* ``INT`` and ``ROUNDUP`` first snap to 15 significant digits, as LibreOffice and Excel do, so
  ``INT((1-0.9)*100/5)`` is 2, not 1 (the generated formulas also ROUND before stepping).
* Number-to-text uses Excel's General format (up to 15 significant digits, no trailing zeros).
* Aggregates (SUM, MIN, COUNT...) over ranges skip text and blanks.

References: https://support.microsoft.com/office/round-function-c018c5d8-40fb-4053-90b1-b3e7f61a213c
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal

Value = float | str | bool | None


def _dec(x: float) -> Decimal:
    """The decimal Excel works with: the double rounded to 15 significant digits."""
    return Decimal(format(x, ".15g"))


def xl_round(x: float, digits: float) -> float:
    d = int(digits)
    q = Decimal(1).scaleb(-d)
    v = _dec(x)
    r = abs(v).quantize(q, rounding=ROUND_HALF_UP)
    return float(-r if v < 0 else r)


def xl_roundup(x: float, digits: float) -> float:
    d = int(digits)
    q = Decimal(1).scaleb(-d)
    v = _dec(x)
    r = abs(v).quantize(q, rounding=ROUND_CEILING)
    return float(-r if v < 0 else r)


def xl_int(x: float) -> float:
    return float(_dec(x).to_integral_value(rounding=ROUND_FLOOR))


def isnumber(x: Value) -> bool:
    return isinstance(x, float | int) and not isinstance(x, bool)


def numbers(values: Iterable[Value]) -> list[float]:
    return [float(v) for v in values if isnumber(v)]


def _flatten(args: Sequence[Value | list[Value]]) -> list[Value]:
    out: list[Value] = []
    for a in args:
        if isinstance(a, list):
            out.extend(a)
        else:
            out.append(a)
    return out


def xl_sum(*args: Value | list[Value]) -> float:
    return math.fsum(numbers(_flatten(args)))


def xl_min(*args: Value | list[Value]) -> float:
    nums = numbers(_flatten(args))
    return min(nums) if nums else 0.0


def xl_max(*args: Value | list[Value]) -> float:
    nums = numbers(_flatten(args))
    return max(nums) if nums else 0.0


def xl_count(*args: Value | list[Value]) -> float:
    return float(len(numbers(_flatten(args))))


def xl_average(*args: Value | list[Value]) -> float:
    nums = numbers(_flatten(args))
    if not nums:
        raise ZeroDivisionError("AVERAGE of no numbers")
    return math.fsum(nums) / len(nums)


_OPS = ("<=", ">=", "<>", "<", ">", "=")


def _criterion(crit: Value):
    """Excel criteria ("">=90"", 5, "待填") as a predicate over one cell value."""
    if isinstance(crit, str):
        for op in _OPS:
            if crit.startswith(op):
                rest = crit[len(op) :]
                try:
                    target: Value = float(rest)
                except ValueError:
                    target = rest
                return _compare_pred(op, target)
        return _compare_pred("=", crit)
    return _compare_pred("=", crit)


def _compare_pred(op: str, target: Value):
    def pred(v: Value) -> bool:
        if isinstance(target, str):
            if not isinstance(v, str):
                return op == "<>"
            return compare(op, v, target)
        if not isnumber(v):
            return op == "<>"
        return compare(op, float(v), float(target))  # type: ignore[arg-type]

    return pred


def xl_countif(rng: list[Value], crit: Value) -> float:
    pred = _criterion(crit)
    return float(sum(1 for v in rng if pred(v)))


def xl_countifs(*args: Value | list[Value]) -> float:
    pairs = [(args[i], _criterion(args[i + 1])) for i in range(0, len(args), 2)]
    n = len(pairs[0][0])  # type: ignore[arg-type]
    return float(sum(1 for k in range(n) if all(pred(rng[k]) for rng, pred in pairs)))  # type: ignore[index]


def xl_sumifs(sum_range: list[Value], *args: Value | list[Value]) -> float:
    pairs = [(args[i], _criterion(args[i + 1])) for i in range(0, len(args), 2)]
    total = [
        float(sum_range[k])  # type: ignore[arg-type]
        for k in range(len(sum_range))
        if isnumber(sum_range[k]) and all(pred(rng[k]) for rng, pred in pairs)  # type: ignore[index]
    ]
    return math.fsum(total)


def xl_rank_eq(x: float, rng: list[Value], order: float = 0) -> float:
    nums = numbers(rng)
    if order == 0:
        return float(1 + sum(1 for v in nums if v > x))
    return float(1 + sum(1 for v in nums if v < x))


def compare(op: str, a: Value, b: Value) -> bool:
    """Excel comparison; text compares case-insensitively, numbers below text."""
    if isinstance(a, str) or isinstance(b, str):
        if not (isinstance(a, str) and isinstance(b, str)):
            # A number is always less than text in Excel.
            key_a, key_b = (0, 0) if isinstance(a, str) == isinstance(b, str) else (
                (1, 0) if isinstance(a, str) else (0, 1)
            )
            a, b = key_a, key_b  # type: ignore[assignment]
        else:
            a, b = a.lower(), b.lower()
    elif a is None or b is None:
        a = 0.0 if a is None else a
        b = 0.0 if b is None else b
    match op:
        case "=":
            return a == b
        case "<>":
            return a != b
        case "<":
            return a < b  # type: ignore[operator]
        case "<=":
            return a <= b  # type: ignore[operator]
        case ">":
            return a > b  # type: ignore[operator]
        case ">=":
            return a >= b  # type: ignore[operator]
    raise ValueError(op)


def general_text(x: float) -> str:
    """Number to text as Excel's General format does in ``x&""`` (15 significant digits)."""
    if x == 0:
        return "0"
    text = format(_dec(x), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def num_text(x: float, decimals: int) -> str:
    """``ROUND(x, decimals)&""``."""
    return general_text(xl_round(x, decimals))


def pct_text(x: float, decimals: int) -> str:
    """``TEXT(x, "0.0%")`` and friends: half away from zero, fixed decimals."""
    return fixed_text(float(_dec(x) * 100), decimals) + "%"


def fixed_text(x: float, decimals: int) -> str:
    """``TEXT(x, "0.0")`` and friends: half away from zero, fixed decimals."""
    q = Decimal(1).scaleb(-decimals)
    v = _dec(x)
    r = abs(v).quantize(q, rounding=ROUND_HALF_UP)
    return f"{(-r if v < 0 and r != 0 else r):f}"


def text_of(v: Value) -> str:
    """The text a cell shows when concatenated: numbers in General format."""
    if isinstance(v, str):
        return v
    if v is None:
        return ""
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    return general_text(float(v))
