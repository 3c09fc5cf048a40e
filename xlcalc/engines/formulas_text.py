"""Corrections of ``formulas``' text functions: number → text as Excel's General format (``&``,
CONCATENATE, LEN, …), TEXT, ISNUMBER, N, VALUE and TRIM (see formulas_corrections.py); and a
memo of text → number conversion for criteria (speed only)."""

from __future__ import annotations

import contextlib
import datetime
import functools
import re
from collections.abc import Callable
from typing import Any

import numpy as np

from xlcalc.xlruntime import excel_round, number_text

from .formulas_patches import Patches
from .formulas_scalar import QUIET_TYPES, element_reader

_REAL_TYPES = frozenset({int, float, np.float64, np.int64})
_NOT_REAL_TYPES = frozenset({bool, np.bool_, str})


def _is_real_number(v: Any) -> bool:
    t = type(v)  # the common types answered by one set lookup (ISNUMBER and compare call this a lot)
    if t in _REAL_TYPES:
        return True
    if t in _NOT_REAL_TYPES:
        return False
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))


def _xl_str(v: Any) -> str:
    """Excel's implicit value → text conversion (used by ``&`` and the text functions)."""

    if isinstance(v, (bool, np.bool_)):
        return "TRUE" if v else "FALSE"
    if _is_real_number(v):
        return number_text(float(v))
    return str(v)


def _split_sections(fmt: str) -> list[str]:
    """Split a number format on ``;`` outside quotes, brackets and backslash escapes."""
    out, cur, i, quote, bracket = [], [], 0, False, False
    while i < len(fmt):
        ch = fmt[i]
        if ch == "\\" and not quote and i + 1 < len(fmt):
            cur.append(fmt[i : i + 2])
            i += 2
            continue
        if ch == '"':
            quote = not quote
        elif ch == "[" and not quote:
            bracket = True
        elif ch == "]" and not quote:
            bracket = False
        elif ch == ";" and not quote and not bracket:
            out.append("".join(cur))
            cur = []
            i += 1
            continue
        cur.append(ch)
        i += 1
    out.append("".join(cur))
    return out


def _number_text(p: Patches, e: Any) -> None:
    """Number -> text with 15 significant digits (&, CONCATENATE, LEN, LEFT, ...)."""
    fops, ftext = e.fops, e.ftext

    p.attr(ftext, "_str", _xl_str)
    p.attr(fops, "_str", _xl_str)


def _text_function(p: Patches, e: Any) -> None:
    """TEXT: round halves away from zero; "@" and "General"."""
    sh, XlError, wrap_ufunc, ftext, funcs = e.sh, e.XlError, e.wrap_ufunc, e.ftext, e.funcs

    up_format_number = ftext._format_number

    def format_number(value: Any, codes: Any, types: Any, fstr: str, mul: Any) -> Any:
        m = re.fullmatch(r",?\.(\d+)f", fstr)
        if m and _is_real_number(value):
            v = excel_round(float(value) * mul, int(m.group(1)))
            return up_format_number(v, codes, types, fstr, 1)
        return up_format_number(value, codes, types, fstr, mul)

    p.attr(ftext, "_format_number", format_number)

    def xtext(value: Any, format_code: Any) -> Any:
        if isinstance(value, XlError):
            return value
        if isinstance(format_code, str) and format_code.strip().upper() in ("@", "GENERAL", "G/通用格式"):
            if value is sh.EMPTY:
                return ""
            return _xl_str(value)
        sections = _split_sections(format_code) if isinstance(format_code, str) else []
        if len(sections) > 1 and not any(re.search(r"\[[<>=]", sec) for sec in sections):
            # upstream picks the wrong section for "pos;neg;zero;text" formats
            num = value
            if isinstance(value, str):
                try:
                    num = ftext.xvalue(value)
                except (ValueError, TypeError, AssertionError):
                    return sections[3].replace("@", value) if len(sections) > 3 else value
            if value is sh.EMPTY:
                num = 0.0
            if isinstance(num, (bool, np.bool_)):
                return "TRUE" if num else "FALSE"
            num = float(num)
            if num > 0 or (num == 0 and len(sections) < 3):
                sec, num = sections[0], num
            elif num < 0:
                sec, num = sections[1], -num
            else:
                sec = sections[2]
            return ftext.xtext(num, sec) if sec else ""
        return ftext.xtext(value, format_code)

    p.item(funcs, "TEXT", wrap_ufunc(xtext, input_parser=lambda *a: a))


def _isnumber(p: Patches, e: Any) -> None:
    """ISNUMBER: text is never a number."""
    ffunc, finfo, funcs = e.ffunc, e.finfo, e.funcs

    p.item(
        funcs,
        "ISNUMBER",
        ffunc.wrap_ranges_func(
            functools.partial(finfo.iserror, check=_is_real_number, array=finfo.FalseArray)
        ),
    )


def _n_value_trim(p: Patches, e: Any) -> None:
    """N, VALUE, TRIM."""
    Error, XlError, replace_empty, wrap_ufunc, ftext, funcs = (
        e.Error,
        e.XlError,
        e.replace_empty,
        e.wrap_ufunc,
        e.ftext,
        e.funcs,
    )

    def xn(v: Any) -> Any:
        if isinstance(v, XlError):
            return v
        if isinstance(v, (bool, np.bool_)):
            return float(v)
        if _is_real_number(v):
            return float(v)
        return 0.0

    p.item(
        funcs, "N", wrap_ufunc(xn, input_parser=lambda *a: a, args_parser=lambda *a: map(replace_empty, a))
    )

    def xvalue(v: Any) -> Any:
        if isinstance(v, str) and not isinstance(v, XlError):
            t = v.strip().replace(",", "")
            pct = 0
            while t.endswith("%"):
                t, pct = t[:-1].rstrip(), pct + 1
            if pct:
                try:
                    return float(t) / 100**pct
                except ValueError:
                    return Error.errors["#VALUE!"]
            if t != v:
                with contextlib.suppress(ValueError):
                    return float(t)
        return ftext.xvalue(v)

    p.item(funcs, "VALUE", wrap_ufunc(xvalue, input_parser=lambda *a: a))

    p.item(
        funcs,
        "TRIM",
        wrap_ufunc(
            lambda t: re.sub(" {2,}", " ", t).strip(" "),
            input_parser=lambda t: [_xl_str(t)],
            args_parser=lambda *a: map(functools.partial(replace_empty, empty=""), a),
        ),
    )


def memo_text2num(text2num_one: Callable[[Any], Any]) -> Callable[..., Any]:
    """formulas' ``text2num`` (element-wise ``_text2num``) remembering what each text became.

    COUNTIF with a number converts every cell of its range, and a text that is not a number
    ("待填", "") goes through dateutil's parser each time: 2,600 conversions per 安庆 case. A
    text's conversion depends only on the text and, for a partial date ("3月5日"), on the current
    year, so the memo is keyed by text and emptied when the day changes (or when it grows large).
    """
    cache: dict[str, Any] = {}
    day: list[datetime.date | None] = [None]

    def one(value: Any) -> Any:
        if type(value) is not str:  # numbers, blanks, and errors (a str subclass)
            return text2num_one(value)
        found = cache.get(value, cache)
        if found is cache:
            if len(cache) >= 10_000:
                cache.clear()
            found = cache[value] = text2num_one(value)
        return found

    vectorized = np.vectorize(one, otypes=[object])

    def text2num(*args: Any, **kwargs: Any) -> Any:
        today = datetime.date.today()
        if today != day[0]:
            cache.clear()
            day[0] = today
        return vectorized(*args, **kwargs)

    return text2num


def concat_shortcut(amp: Callable[..., Any]) -> Callable[..., Any]:
    """``a & b & c …`` in one call: what ``amp(amp(a, b), c)…`` (formulas' ``&``, left to right)
    returns, for operands that are one value each.

    Each ``&`` gives the first error among its two operands, else their texts joined (a blank is
    ""), in a 1×1 array when an operand is 1×1, else 0-d; so the chain gives the first error
    among all operands, else all their texts joined, 1×1 when any operand is. Anything else (a
    range, an odd element, an exception) is left to the chain of ``amp`` calls itself.
    """
    import schedula as sh
    from formulas.functions import Array, XlError
    from formulas.functions import operators as fops

    EMPTY, obj, element = sh.EMPTY, object, element_reader()

    def chained(args: tuple[Any, ...]) -> Any:
        return functools.reduce(amp, args)

    def concat(*args: Any) -> Any:
        elems = []
        seen_array = False
        for v in args:
            e, one_cell = element(v)
            if type(e) not in QUIET_TYPES and e is not EMPTY and not isinstance(e, XlError):
                return chained(args)  # a range, or an odd element
            elems.append("" if e is EMPTY else e)
            seen_array = seen_array or one_cell
        try:
            error = next((e for e in elems if isinstance(e, XlError)), None)
            text = error if error is not None else "".join(fops._str(e) for e in elems)
        except Exception:  # formulas' wrappers turn these into error values: let them
            return chained(args)
        out = Array((1, 1) if seen_array else (), obj)
        out[(0, 0) if seen_array else ()] = text
        return out

    return functools.update_wrapper(concat, amp)
