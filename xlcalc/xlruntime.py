"""Excel semantics in Python: the runtime the generated reference scorer calls.

Everything that differs between Python and a spreadsheet lives here, so the reference scorer and
the workbook agree to the cent:

* ``ROUND`` rounds half away from zero on the value as Excel sees it (15 significant digits),
  not on the binary double (``round(2.675, 2)`` is 2.67 in Python, 2.68 in Excel).
* ``INT`` and ``ROUNDUP`` first snap to 15 significant digits, as LibreOffice and Excel do, so
  ``INT((1-0.9)*100/5)`` is 2, not 1 (the generated formulas also ROUND before stepping).
* Number-to-text uses Excel's General format (up to 15 significant digits, no trailing zeros).
* Aggregates (SUM, MIN, COUNT...) over ranges skip text and blanks.

It is the one implementation of these semantics: the formulas engine's corrections call it too.
It stays one module (a little over 400 lines) because the generated scorer's namespace is exactly
this module's public names (pygen.compile_graph).

References: https://support.microsoft.com/office/round-function-c018c5d8-40fb-4053-90b1-b3e7f61a213c
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from decimal import ROUND_DOWN, ROUND_FLOOR, ROUND_HALF_UP, ROUND_UP, Context, Decimal, InvalidOperation
from functools import lru_cache

Value = float | str | bool | None


def _dec(x: float) -> Decimal:
    """The decimal Excel works with: the double rounded to 15 significant digits."""
    return Decimal(format(x, ".15g"))


# Rounding to a digit count far beyond a double's needs more than the default 28 digits.
_DEC_CTX = Context(prec=60)


_POW10 = [10.0**k for k in range(23)]
_floor = math.floor


def xl_round(x: float, digits: float) -> float:
    d = int(digits)
    if 0 <= d <= 15:
        # Fast path: away from a .5 tie the binary error cannot change the result. Values whose
        # 15-significant-digit form may sit on a tie (a window relative to y, since y's own
        # precision shrinks as it grows) take the exact decimal path below.
        p = _POW10[d]
        y = x * p if x >= 0 else -x * p
        if y < 1e15:
            f = _floor(y)
            frac = y - f
            window = 1e-9 + y * 1e-14
            if frac < 0.5 - window or frac > 0.5 + window:
                r = (f + 1.0 if frac > 0.5 else f) / p
                return r if x >= 0 else -r
    # The sign is taken off and put back so that a negative value rounding to zero stays -0.0.
    r = excel_round(-x if x < 0 else x, d)
    return -r if x < 0 else r


def xl_roundup(x: float, digits: float) -> float:
    r = excel_round(-x if x < 0 else x, digits, "up")
    return -r if x < 0 else r


def _dec15(x: float) -> Decimal:
    return Decimal(f"{x:.15g}") if math.isfinite(x) else Decimal(0)


def excel_round(x: float, digits: float = 0, mode: str = "half") -> float:
    """Excel's ROUND/ROUNDUP/ROUNDDOWN: decimal rounding of the 15-significant-digit value.

    Args:
        x: Number to round.
        digits: Decimal places (negative rounds to tens, hundreds, ...); truncated to an int.
        mode: ``"half"`` (halves away from zero), ``"up"`` (away from zero) or ``"down"``
            (toward zero).

    Returns:
        The rounded number: ``excel_round(1.005, 2) == 1.01``, ``excel_round(-2.5) == -3``.
    """
    if not math.isfinite(x):
        raise ValueError("cannot round a non-finite number")
    d = int(digits)  # Excel truncates the digits argument
    if x == 0:
        return 0.0
    rounding = {"half": ROUND_HALF_UP, "up": ROUND_UP, "down": ROUND_DOWN}[mode]
    dec = _dec15(x)
    if d < -400:
        return 0.0
    if d > 400:
        return float(dec)
    try:
        q = dec.quantize(Decimal(1).scaleb(-d), rounding=rounding, context=_DEC_CTX)
    except InvalidOperation:
        return float(dec)
    return float(q) + 0.0  # + 0.0 turns -0.0 into 0.0


def xl_int(x: float) -> float:
    f = math.floor(x)
    window = 1e-9 + abs(x) * 1e-14
    if x - f > window and f + 1 - x > window:
        return float(f)
    return float(_dec(x).to_integral_value(rounding=ROUND_FLOOR))


def isnumber(x: Value) -> bool:
    t = type(x)
    return t is float or t is int


def numbers(values: Iterable[Value]) -> list[float]:
    return [v for v in values if type(v) is float or type(v) is int]  # type: ignore[misc]


def _flatten(args: Sequence[Value | list[Value]]) -> list[Value]:
    if len(args) == 1 and type(args[0]) is list:
        return args[0]  # type: ignore[return-value]
    out: list[Value] = []
    for a in args:
        if type(a) is list:
            out.extend(a)  # type: ignore[arg-type]
        else:
            out.append(a)  # type: ignore[arg-type]
    return out


def xl_sum(*args: Value | list[Value]) -> float:
    # Text and blanks are skipped, as SUM does for references and ranges.
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


@lru_cache(maxsize=4096)
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
    if not isinstance(target, str):
        t = float(target)  # type: ignore[arg-type]
        fast = {"=": t.__eq__, "<>": t.__ne__, "<": t.__gt__, "<=": t.__ge__, ">": t.__lt__, ">=": t.__le__}[
            op
        ]

        def numeric_pred(v: Value) -> bool:
            tv = type(v)
            if tv is float or tv is int:
                return fast(v)  # type: ignore[arg-type]
            return op == "<>"

        return numeric_pred

    def pred(v: Value) -> bool:
        if isinstance(target, str):
            if not isinstance(v, str):
                return op == "<>"
            return compare(op, v, target)
        if not isnumber(v):
            return op == "<>"
        return compare(op, float(v), float(target))  # type: ignore[arg-type]

    return pred


class Prefix:
    """The range from a column's first unit down to unit ``i`` (``$B$4:B9``), without copying.

    Ranking formulas read such ranges once per unit; materialising each slice would make the
    reference scorer quadratic in the number of units, so COUNTIF answers equality criteria on a
    prefix from a per-column index instead (same result, linear total cost).
    """

    __slots__ = ("column", "i")

    def __init__(self, column: list[Value], i: int) -> None:
        self.column = column
        self.i = i

    def values(self) -> list[Value]:
        return self.column[: self.i + 1]


_CACHE: dict[tuple[str, int], tuple[object, object]] = {}


def reset_cache() -> None:
    _CACHE.clear()


def _cached(kind: str, obj: list, build):
    hit = _CACHE.get((kind, id(obj)))
    if hit is not None and hit[0] is obj:
        return hit[1]
    data = build(obj)
    _CACHE[(kind, id(obj))] = (obj, data)
    return data


def _occurrences(column: list[Value]) -> list[int]:
    """For each position, how many times its value occurred up to and including it."""
    seen: dict[object, int] = {}
    out = []
    for v in column:
        key = ("n", float(v)) if isnumber(v) else ("s", v.lower() if isinstance(v, str) else v)
        seen[key] = seen.get(key, 0) + 1
        out.append(seen[key])
    return out


def xl_countif(rng: list[Value] | Prefix, crit: Value) -> float:
    if isinstance(rng, Prefix):
        own = rng.column[rng.i]
        if isnumber(crit) and isnumber(own) and float(crit) == float(own):
            return float(_cached("occ", rng.column, _occurrences)[rng.i])
        rng = rng.values()
    pred = _criterion(crit)
    return float(sum(1 for v in rng if pred(v)))


def xl_countifs(*args: Value | list[Value]) -> float:
    pairs = [(args[i], _criterion(args[i + 1])) for i in range(0, len(args), 2)]
    n = len(pairs[0][0])  # type: ignore[arg-type]
    return float(sum(1 for k in range(n) if all(pred(rng[k]) for rng, pred in pairs)))  # type: ignore[index]


def _greater_sums(pair: tuple[list[Value], list[Value]]):
    """Sorted numeric keys and suffix sums of the matching sum values, for ``">"&x`` criteria."""
    sums, keys = pair
    items = sorted(
        (float(k), float(s) if isnumber(s) else 0.0) for k, s in zip(keys, sums, strict=True) if isnumber(k)
    )
    ks = [k for k, _ in items]
    suffix = [0.0] * (len(items) + 1)
    for j in range(len(items) - 1, -1, -1):
        suffix[j] = suffix[j + 1] + items[j][1]
    return ks, suffix


def xl_sumifs(sum_range: list[Value], *args: Value | list[Value]) -> float:
    if (
        len(args) == 2
        and isinstance(args[1], str)
        and args[1].startswith(">")
        and not args[1].startswith(">=")
    ):
        try:
            x = float(args[1][1:])
        except ValueError:
            x = None
        if x is not None and isinstance(args[0], list):
            ks, suffix = _greater_cached((sum_range, args[0]))
            return suffix[bisect_right(ks, x)]
    pairs = [(args[i], _criterion(args[i + 1])) for i in range(0, len(args), 2)]
    total = [
        float(sum_range[k])  # type: ignore[arg-type]
        for k in range(len(sum_range))
        if isnumber(sum_range[k]) and all(pred(rng[k]) for rng, pred in pairs)  # type: ignore[index]
    ]
    return math.fsum(total)


def _greater_cached(key: tuple[list[Value], list[Value]]):
    sums, keys = key
    hit = _CACHE.get(("gt", id(keys)))
    if hit is not None and hit[0] is keys and hit[1][0] is sums:  # type: ignore[index]
        return hit[1][1]  # type: ignore[index]
    data = _greater_sums(key)
    _CACHE[("gt", id(keys))] = (keys, (sums, data))
    return data


def xl_rank_eq(x: float, rng: list[Value], order: float = 0) -> float:
    ordered = _cached("sorted", rng, lambda r: sorted(numbers(r)))
    if order == 0:
        return float(1 + len(ordered) - bisect_right(ordered, x))
    return float(1 + bisect_left(ordered, x))


def compare(op: str, a: Value, b: Value) -> bool:
    """Excel comparison; text compares case-insensitively, numbers below text."""
    if isinstance(a, str) or isinstance(b, str):
        if not (isinstance(a, str) and isinstance(b, str)):
            # A number is always less than text in Excel.
            key_a, key_b = (
                (0, 0)
                if isinstance(a, str) == isinstance(b, str)
                else ((1, 0) if isinstance(a, str) else (0, 1))
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
    """Text of a number as Excel's ``&`` (and ``x&""``) shows it: General format, 15 significant digits.

    Integers print without ``.0``; magnitudes from 1e15 (and below 1e-19) use ``E+nn``/``E-nn``,
    as Excel and LibreOffice do (``=1E15&""`` is "1E+15"). The one implementation: the Python
    scorer calls it and so do the formulas engine's corrections.

    Args:
        x: The number.

    Returns:
        e.g. ``"8.025"`` for 8.025 (not 8.024999999999999), ``"0.3"`` for 0.1+0.2, ``"5"`` for 5.0.
    """
    if x == 0:
        return "0"
    if not math.isfinite(x):
        return "#NUM!"
    mant, exp_s = f"{x:.14e}".split("e")
    exp = int(exp_s)
    neg = mant.startswith("-")
    digits = mant.lstrip("-").replace(".", "").rstrip("0") or "0"
    sign = "-" if neg else ""
    if exp >= 15 or exp < -19:
        body = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{sign}{body}E{'+' if exp >= 0 else '-'}{abs(exp):02d}"
    if exp >= 0:
        if len(digits) <= exp + 1:
            return sign + digits + "0" * (exp + 1 - len(digits))
        return f"{sign}{digits[: exp + 1]}.{digits[exp + 1 :]}"
    return f"{sign}0.{'0' * (-exp - 1)}{digits}"


# The formulas engine's corrections call it by this name.
number_text = general_text


def num_text(x: float, decimals: int) -> str:
    """``ROUND(x, decimals)&""``."""
    return general_text(xl_round(x, decimals))


def pct_text(x: float, decimals: int) -> str:
    """``TEXT(x, "0.0%")`` and friends: half away from zero, fixed decimals."""
    return (
        fixed_text(float(_dec(x) * 100), decimals) + "%"
        if abs(x) >= 1e11
        else fixed_text(_times100(x), decimals) + "%"
    )


def _times100(x: float) -> float:
    """x×100 as the decimal Excel sees (0.0055×100 is 0.55, not 0.5499999999999999)."""
    y = x * 100
    return float(format(y, ".15g"))


def fixed_text(x: float, decimals: int) -> str:
    """``TEXT(x, "0.0")`` and friends: half away from zero, fixed decimals."""
    if abs(x) < 1e13:
        r = xl_round(x, decimals)
        return f"{r + 0.0:.{decimals}f}" if r != 0 else f"{0.0:.{decimals}f}"
    q = Decimal(1).scaleb(-decimals)
    v = _dec(x)
    r = abs(v).quantize(q, rounding=ROUND_HALF_UP)
    return f"{(-r if v < 0 and r != 0 else r):f}"


def blank_text(v: Value) -> Value:
    """A blank cell compared with text reads as "" (``A1=""`` is TRUE for an empty A1)."""
    return "" if v is None else v


def text_of(v: Value) -> str:
    """The text a cell shows when concatenated: numbers in General format."""
    if isinstance(v, str):
        return v
    if v is None:
        return ""
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    return general_text(float(v))
