"""The ``formulas`` pure-Python engine (1.3.x), with Excel-faithful replacements for its wrong functions.

``formulas`` compiles a workbook into a dependency graph: ``ExcelModel().loads(path).finish()``;
:meth:`FormulasBook.recalc` dispatches it once per write batch with every written cell as an
input. Its node names look like ``'[book.xlsx]SHEETNAME'!B2`` (sheet upper-cased); the book
hides them behind sheet/A1 addressing.

formulas 1.3.4 gives wrong answers for several functions (see ``shared/ENGINES.md``). The
replacements live in :func:`corrected_formulas`, a context manager that swaps them into
``formulas``' function/operator tables (and a few module globals used at run time) and restores
the originals on exit. Books load *and* calculate inside it, so this module does not change
``formulas`` for other code; the same context manager makes the upstream and corrected answers
easy to compare. What it corrects (Excel semantics; LibreOffice agrees unless noted):

* ROUND/ROUNDUP/ROUNDDOWN: on the value rounded to 15 significant digits, halves away from
  zero (ROUND(1.005,2)=1.01, ROUND(0.285,2)=0.29; upstream rounds the binary value).
* MROUND: halves away from zero (MROUND(2.5,1)=3; upstream rounds halves to even).
* INT, FLOOR, CEILING (+ .MATH/.PRECISE): the quotient is rounded to 15 significant digits
  first, like LibreOffice: INT((1-0.9)*100/5)=2 (upstream 1).
* ``=``, ``<>``, ``<``, ``>``, ``<=``, ``>=``: numbers that agree to ~15 digits are equal
  (LibreOffice's approxEqual): 0.1+0.2=0.3 is TRUE. ``+``/``-`` return 0 when the result is
  only rounding noise (0.5-0.4-0.1=0, LibreOffice's approxAdd/approxSub).
* Number → text (``&``, CONCATENATE, LEN, LEFT, ...): 15 significant digits like Excel's
  General format: ``"v="&(0.1+0.2)`` → ``"v=0.3"``, LEN(1/3)=17.
* TEXT: rounds halves away from zero on the 15-digit value (TEXT(0.125,"0.00")="0.13");
  ``"@"`` and ``"General"`` give the General text of a number.
* ISNUMBER("5") is FALSE (also for a cell holding the text "5").
* ``--x`` converts to a number (upstream's parser folds ``--`` into a no-op unary plus, so
  SUMPRODUCT(--(range>x)) summed booleans to 0).
* SUM/MIN/MAX/AVERAGE/PRODUCT ignore text (also numeric text) and booleans in ranges;
  upstream counted the text "5" in a range (MAX(range)="5").
* COUNTIF/COUNTIFS/SUMIF(S)/AVERAGEIF(S) criteria ``"<>x"`` also count cells of other types
  and blanks; ``"="`` matches empty cells.
* Functions that Excel stores with an ``_xlfn.`` prefix (RANK.EQ, XLOOKUP, IFS, IFNA, CONCAT,
  TEXTJOIN, ...) give ``#NAME?`` when written without it, as in Excel and LibreOffice
  (upstream accepted them, hiding a missing prefix).
* TRIM collapses inner runs of spaces; VALUE accepts percentages ("5.5%"); N(TRUE)=1.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import math
import operator as _op
import re
import shutil
import sys
import tempfile
import threading
import weakref
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl

from xlcalc.xlruntime import excel_round, number_text

from .base import (
    Book,
    CellRange,
    Engine,
    EngineError,
    EngineUnavailable,
    ErrorValue,
    cell_name,
    normalize_rows,
    parse_cell,
    parse_range,
)
from .formulas_fast import TESTED_VERSION, Fallback, FastPlan, Unsupported
from .formulas_scalar import faster_replace_empty

__all__ = [
    "FUTURE_FUNCTIONS",
    "FormulasBook",
    "FormulasEngine",
    "approx_equal",
    "corrected_formulas",
    "excel_round",
    "number_text",
    "round15",
]

log = logging.getLogger(__name__)

INSTALL_HINT = "install it with `pip install formulas==1.3.4`"

#: Functions Excel writes to files with an ``_xlfn.`` prefix (``_xlfn._xlws.`` for FILTER/SORT).
#: Without the prefix Excel and LibreOffice show #NAME?. (List as in XlsxWriter 3.3.)
FUTURE_FUNCTIONS: tuple[str, ...] = (
    "ACOT", "ACOTH", "AGGREGATE", "ANCHORARRAY", "ARABIC", "ARRAYTOTEXT", "BASE", "BETA.DIST",
    "BETA.INV", "BINOM.DIST", "BINOM.DIST.RANGE", "BINOM.INV", "BITAND", "BITLSHIFT", "BITOR",
    "BITRSHIFT", "BITXOR", "BYCOL", "BYROW", "CEILING.MATH", "CEILING.PRECISE", "CHISQ.DIST",
    "CHISQ.DIST.RT", "CHISQ.INV", "CHISQ.INV.RT", "CHISQ.TEST", "CHOOSECOLS", "CHOOSEROWS",
    "COMBINA", "CONCAT", "CONFIDENCE.NORM", "CONFIDENCE.T", "COT", "COTH", "COVARIANCE.P",
    "COVARIANCE.S", "CSC", "CSCH", "DAYS", "DECIMAL", "DROP", "ERF.PRECISE", "ERFC.PRECISE",
    "EXPAND", "EXPON.DIST", "F.DIST", "F.DIST.RT", "F.INV", "F.INV.RT", "F.TEST", "FILTER",
    "FILTERXML", "FLOOR.MATH", "FLOOR.PRECISE", "FORECAST.ETS", "FORECAST.ETS.CONFINT",
    "FORECAST.ETS.SEASONALITY", "FORECAST.ETS.STAT", "FORECAST.LINEAR", "FORMULATEXT", "GAMMA",
    "GAMMA.DIST", "GAMMA.INV", "GAMMALN.PRECISE", "GAUSS", "HSTACK", "HYPGEOM.DIST", "IFNA", "IFS",
    "IMAGE", "IMCOSH", "IMCOT", "IMCSC", "IMCSCH", "IMSEC", "IMSECH", "IMSINH", "IMTAN", "ISFORMULA",
    "ISOMITTED", "ISOWEEKNUM", "LOGNORM.DIST", "LOGNORM.INV", "MAKEARRAY", "MAP", "MAXIFS",
    "MINIFS", "MODE.MULT", "MODE.SNGL", "MUNIT", "NEGBINOM.DIST", "NORM.DIST", "NORM.INV",
    "NORM.S.DIST", "NORM.S.INV", "NUMBERVALUE", "PDURATION", "PERCENTILE.EXC", "PERCENTILE.INC",
    "PERCENTRANK.EXC", "PERCENTRANK.INC", "PERMUTATIONA", "PHI", "POISSON.DIST", "QUARTILE.EXC",
    "QUARTILE.INC", "QUERYSTRING", "RANDARRAY", "RANK.AVG", "RANK.EQ", "REDUCE", "RRI", "SCAN",
    "SEC", "SECH", "SEQUENCE", "SHEET", "SHEETS", "SINGLE", "SKEW.P", "SORT", "SORTBY", "STDEV.P",
    "STDEV.S", "SWITCH", "T.DIST", "T.DIST.2T", "T.DIST.RT", "T.INV", "T.INV.2T", "T.TEST", "TAKE",
    "TEXTAFTER", "TEXTBEFORE", "TEXTJOIN", "TEXTSPLIT", "TOCOL", "TOROW", "UNICHAR", "UNICODE",
    "UNIQUE", "VALUETOTEXT", "VAR.P", "VAR.S", "VSTACK", "WEBSERVICE", "WEIBULL.DIST", "WRAPCOLS",
    "WRAPROWS", "XLOOKUP", "XMATCH", "XOR", "Z.TEST",
)  # fmt: skip
_XLWS_FUNCTIONS = ("FILTER", "SORT")

# ============================================================================ numeric helpers

_EPS48 = 1.0 / (16777216.0 * 16777216.0)  # 2**-48, LibreOffice's rtl::math::approxEqual tolerance


def round15(x: float) -> float:
    """Round a float to 15 significant digits (how Excel and LibreOffice see a binary value).

    Args:
        x: Any float.

    Returns:
        The nearest float to ``x`` printed with 15 significant digits.
    """
    if x == 0 or not math.isfinite(x):
        return x
    return float(f"{x:.15g}")


def approx_equal(a: float, b: float) -> bool:
    """LibreOffice's ``rtl::math::approxEqual``: equal when they differ by less than 2**-48 relative."""
    if a == b:
        return True
    diff = abs(a - b)
    return diff < abs(a) * _EPS48 and diff < abs(b) * _EPS48


def _approx_add(x: float, y: float) -> float:
    if ((x < 0 < y) or (y < 0 < x)) and approx_equal(x, -y):
        return 0.0
    return x + y


def _approx_sub(x: float, y: float) -> float:
    if ((x < 0 and y < 0) or (x > 0 and y > 0)) and approx_equal(x, y):
        return 0.0
    return x - y


# ============================================================================ corrections


def _is_real_number(v: Any) -> bool:

    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))


def _xl_str(v: Any) -> str:
    """Excel's implicit value → text conversion (used by ``&`` and the text functions)."""

    if isinstance(v, (bool, np.bool_)):
        return "TRUE" if v else "FALSE"
    if _is_real_number(v):
        return number_text(float(v))
    return str(v)


class _Patches:
    """Swappable replacements: (mapping or object, key, new value) triples applied/restored as a set."""

    _MISSING = object()

    def __init__(self) -> None:
        self.entries: list[tuple[Any, str, Any]] = []
        self.saved: list[tuple[Any, str, Any]] = []

    def item(self, mapping: Any, key: str, value: Any) -> None:
        self.entries.append((mapping, key, value))

    def attr(self, obj: Any, name: str, value: Any) -> None:
        self.entries.append((_AttrTarget(obj), name, value))

    def apply(self) -> None:
        self.saved = []
        for target, key, value in self.entries:
            if isinstance(target, _AttrTarget):
                old = getattr(target.obj, key, self._MISSING)
                setattr(target.obj, key, value)
            else:
                old = dict.get(target, key, self._MISSING)
                dict.__setitem__(target, key, value)
            self.saved.append((target, key, old))

    def restore(self) -> None:
        for target, key, old in reversed(self.saved):
            if isinstance(target, _AttrTarget):
                if old is self._MISSING:
                    with contextlib.suppress(AttributeError):
                        delattr(target.obj, key)
                else:
                    setattr(target.obj, key, old)
            elif old is self._MISSING:
                dict.pop(target, key, None)
            else:
                dict.__setitem__(target, key, old)
        self.saved = []


class _AttrTarget:
    def __init__(self, obj: Any) -> None:
        self.obj = obj


def _build_patches() -> _Patches:  # noqa: C901 - one table of replacements, kept together on purpose
    import formulas.functions as ffunc
    import schedula as sh
    from formulas.errors import FoundError
    from formulas.functions import (
        Error,
        XlError,
        get_functions,
        replace_empty,
        wrap_func,
        wrap_ufunc,
    )
    from formulas.functions import info as finfo
    from formulas.functions import math as fmath
    from formulas.functions import operators as fops
    from formulas.functions import text as ftext
    from formulas.tokens import operator as ftok

    funcs = get_functions()
    up = dict(funcs)  # upstream implementations
    p = _Patches()

    # ---- ROUND family: decimal rounding of the 15-significant-digit value
    for name, mode in (("ROUND", "half"), ("ROUNDUP", "up"), ("ROUNDDOWN", "down")):
        p.item(funcs, name, wrap_ufunc(functools.partial(_round_fn, mode=mode)))

    # ---- INT / FLOOR / CEILING: snap the quotient to 15 significant digits first
    def snap_floor(q: float) -> int:
        return math.floor(round15(q))

    def snap_ceil(q: float) -> int:
        return math.ceil(round15(q))

    p.item(funcs, "INT", wrap_ufunc(lambda x: float(math.floor(round15(x)))))
    p.item(funcs, "CEILING", wrap_ufunc(functools.partial(fmath.xceiling, ceil=snap_ceil)))
    p.item(
        funcs,
        "FLOOR",
        wrap_ufunc(functools.partial(fmath.xceiling, ceil=snap_floor, dfl=Error.errors["#DIV/0!"])),
    )
    ceil_math = wrap_ufunc(functools.partial(fmath.xceiling_math, ceil=snap_ceil))
    floor_math = wrap_ufunc(functools.partial(fmath.xceiling_math, ceil=snap_floor))
    for name in ("CEILING.MATH", "CEILING.PRECISE", "ISO.CEILING"):
        p.item(funcs, name, ceil_math)
    for name in ("FLOOR.MATH", "FLOOR.PRECISE"):
        p.item(funcs, name, floor_math)

    # ---- MROUND: halves away from zero (on the raw quotient, like Excel and LibreOffice)
    def xmround(num: float, mult: float) -> Any:
        if isinstance(num, bool) or isinstance(mult, bool):
            return Error.errors["#VALUE!"]
        if mult == 0:
            return 0.0
        if (num < 0 < mult) or (mult < 0 < num):
            return Error.errors["#NUM!"]
        q = num / mult
        n = math.floor(abs(q) + 0.5)
        return math.copysign(n, q) * mult + 0.0

    p.item(funcs, "MROUND", wrap_ufunc(xmround))

    # ---- comparisons (approxEqual on numbers) and + / - (approxAdd/approxSub)
    ops = fops.OPERATORS
    num_type = 0  # formulas' _get_type_id for numbers

    def approx_cmp(
        op: Callable[[int, int], bool], raw: Callable[[Any, Any], bool]
    ) -> Callable[[Any, Any], bool]:
        def compare(x: Any, y: Any) -> bool:
            if isinstance(x, tuple):  # operator form: (type id, value)
                if x[0] == y[0] == num_type and _is_real_number(x[1]) and _is_real_number(y[1]):
                    a, b = float(x[1]), float(y[1])
                    return op(0 if approx_equal(a, b) else (-1 if a < b else 1), 0)
                return raw(x, y)
            if _is_real_number(x) and _is_real_number(y):  # criteria form: raw values
                a, b = float(x), float(y)
                return op(0 if approx_equal(a, b) else (-1 if a < b else 1), 0)
            return raw(x, y)

        return compare

    cmp_ops = {">=": _op.ge, "<=": _op.le, "<>": _op.ne, "<": _op.lt, ">": _op.gt, "=": _op.eq}
    for sym, op in cmp_ops.items():
        fn = approx_cmp(op, fops.LOGIC_OPERATORS[sym])
        p.item(ops, sym, fops.logic_wrap(fn))
        p.item(fops.LOGIC_OPERATORS, sym, fn)
    p.item(ops, "+", fops.numeric_wrap(_approx_add))
    p.item(ops, "-", fops.numeric_wrap(_approx_sub))

    # ---- number -> text with 15 significant digits (&, CONCATENATE, LEN, LEFT, ...)
    p.attr(ftext, "_str", _xl_str)
    p.attr(fops, "_str", _xl_str)

    # ---- TEXT: round halves away from zero; "@" and "General"
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

    # ---- ISNUMBER: text is never a number
    p.item(
        funcs,
        "ISNUMBER",
        ffunc.wrap_ranges_func(
            functools.partial(finfo.iserror, check=_is_real_number, array=finfo.FalseArray)
        ),
    )

    # ---- N, VALUE, TRIM
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

    # ---- SUM / MIN / MAX / AVERAGE / PRODUCT: ranges contribute numbers only
    def collect(args: tuple[Any, ...]) -> list[float]:
        out: list[float] = []
        for a in args:
            if isinstance(a, np.ndarray) and a.ndim > 0:
                for v in a.ravel().tolist():
                    if isinstance(v, XlError):
                        raise FoundError(err=v)
                    if _is_real_number(v):
                        out.append(float(v))
                continue
            if isinstance(a, np.ndarray):
                a = a.item()
            if isinstance(a, XlError):
                raise FoundError(err=a)
            if a is sh.EMPTY or a is None:
                continue
            if isinstance(a, (bool, np.bool_)):
                out.append(float(a))
            elif isinstance(a, str):
                try:
                    out.append(float(ffunc._text2num(a)))
                except (TypeError, ValueError):
                    raise FoundError(err=Error.errors["#VALUE!"]) from None
            else:
                out.append(float(a))
        return out

    def aggregate(reduce: Callable[[list[float]], Any]) -> Callable[..., Any]:
        def fn(*args: Any) -> Any:
            return reduce(collect(args))

        return fn

    def xcount(*args: Any) -> int:
        n = 0
        for a in args:
            if isinstance(a, np.ndarray) and a.ndim > 0:
                n += sum(1 for v in a.ravel().tolist() if _is_real_number(v))
                continue
            if isinstance(a, np.ndarray):
                a = a.item()
            if isinstance(a, (bool, np.bool_)) or _is_real_number(a):
                n += 1
            elif isinstance(a, str) and not isinstance(a, XlError) and a is not sh.EMPTY:
                with contextlib.suppress(TypeError, ValueError):
                    float(ffunc._text2num(a))
                    n += 1
        return n

    p.item(funcs, "COUNT", wrap_func(xcount))
    p.item(funcs, "SUM", wrap_func(aggregate(math.fsum)))
    p.item(funcs, "MAX", wrap_func(aggregate(lambda v: max(v) if v else 0.0)))
    p.item(funcs, "MIN", wrap_func(aggregate(lambda v: min(v) if v else 0.0)))
    p.item(funcs, "PRODUCT", wrap_func(aggregate(lambda v: math.prod(v) if v else 0.0)))
    p.item(
        funcs,
        "AVERAGE",
        wrap_func(aggregate(lambda v: math.fsum(v) / len(v) if v else Error.errors["#DIV/0!"])),
    )

    # ---- criteria (COUNTIF & co): "<>x" counts every other cell, "=" matches blanks
    up_xfilter = ffunc.__dict__["__xfilter"]

    def xfilter_cond(test_range: dict[str, Any], condition: Any) -> Any:
        if isinstance(condition, str) and not isinstance(condition, XlError):
            raw = test_range["raw"]
            if condition == "=":
                return np.vectorize(lambda v: v == "" or v is sh.EMPTY, otypes=[bool])(raw)
            if condition == "<>":
                return np.vectorize(lambda v: not (v == "" or v is sh.EMPTY), otypes=[bool])(raw)
            if condition.startswith("<>"):
                return ~up_xfilter(test_range, "=" + condition[2:])
        return up_xfilter(test_range, condition)

    p.item(ffunc.__dict__, "__xfilter", xfilter_cond)

    # ---- speed only (same answers): replace_empty without numpy's `in` test on single values

    fast_replace_empty = faster_replace_empty(replace_empty)
    for module in list(sys.modules.values()):
        name = getattr(module, "__name__", "")
        if name.startswith("formulas.") and getattr(module, "replace_empty", None) is replace_empty:
            p.attr(module, "replace_empty", fast_replace_empty)

    # ---- `--x`: upstream's tokenizer folds "--" into "+"; make it a numeric conversion
    p.item(ops, "U--", wrap_ufunc(lambda x: x))
    p.item(ftok.Operator._precedences, "u--", 7)
    p.item(ftok.Operator._n_args, "u--", 1)
    up_update_name = ftok.Operator.update_name
    up_set_expr = ftok.Operator.set_expr

    def update_name(self: Any, tokens: Any, stack: Any) -> None:
        up_update_name(self, tokens, stack)
        if self.name == "u+" and self.attr.get("sum_minus", "").count("-") >= 2:
            self.attr["name"] = "u--"

    def set_expr(self: Any, *tokens: Any) -> None:
        if self.name == "u--":
            self.attr["expr"] = "--{}".format(*[t.get_expr for t in tokens])
        else:
            up_set_expr(self, *tokens)

    p.attr(ftok.Operator, "update_name", update_name)
    p.attr(ftok.Operator, "set_expr", set_expr)

    # ---- _xlfn. prefixes: prefixed names work, bare future-function names give #NAME?
    name_error = wrap_func(lambda *a, **k: Error.errors["#NAME?"])
    patched = {key: value for target, key, value in p.entries if target is funcs}
    for fname in FUTURE_FUNCTIONS:
        impl = patched.get(fname) or up.get(fname) or up.get("_XLFN." + fname)
        prefixed = ("_XLFN._XLWS." if fname in _XLWS_FUNCTIONS else "_XLFN.") + fname
        if impl is not None:
            p.item(funcs, prefixed, impl)
        p.item(funcs, fname, name_error)
    return p


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


def _round_fn(x: float, d: float = 0, mode: str = "half") -> float:
    return excel_round(x, d, mode)


_patch_lock = threading.RLock()
_patch_depth = 0
_patches: _Patches | None = None


@contextlib.contextmanager
def corrected_formulas() -> Iterator[None]:
    """Swap the Excel-faithful replacements into ``formulas`` for the duration of the block.

    Both compiling (``ExcelModel().loads(...).finish()``) and calculating must happen inside.
    Re-entrant; holds a lock, so concurrent formulas work in other threads waits.

    Yields:
        None.
    """
    global _patch_depth, _patches
    with _patch_lock:
        if _patches is None:
            _patches = _build_patches()
        if _patch_depth == 0:
            _patches.apply()
        _patch_depth += 1
        try:
            yield
        finally:
            _patch_depth -= 1
            if _patch_depth == 0:
                _patches.restore()


@contextlib.contextmanager
def _quiet_tqdm() -> Iterator[None]:
    """formulas draws a tqdm progress bar on stderr while compiling; silence it."""
    import formulas.excel as fexcel

    real = fexcel.tqdm

    class _Quiet:
        @staticmethod
        def tqdm(*args: Any, **kwargs: Any) -> Any:
            kwargs["disable"] = True
            return real.tqdm(*args, **kwargs)

    fexcel.tqdm = _Quiet  # type: ignore[assignment]
    try:
        yield
    finally:
        fexcel.tqdm = real


# ============================================================================ engine


class FormulasEngine(Engine):
    """The ``formulas`` pure-Python engine with corrected Excel functions.

    Args:
        corrected: Apply :func:`corrected_formulas` (default). ``False`` gives upstream answers.
        fast: Recalculate with :class:`~xlcalc.engines.formulas_fast.FastPlan` (straight-line
            calls of formulas' own compiled functions), falling back to formulas' scheduler
            for what it does not handle (logged). ``False`` always uses formulas' scheduler.
    """

    name = "formulas"

    def __init__(self, corrected: bool = True, fast: bool = True):
        self.corrected = corrected
        self.fast = fast
        self._books: weakref.WeakSet[FormulasBook] = weakref.WeakSet()

    def available(self) -> tuple[bool, str]:
        """Check that ``formulas`` imports.

        Returns:
            ``(True, "")`` or ``(False, reason)``.
        """
        try:
            import formulas
        except Exception as exc:  # ImportError or a broken dependency
            return False, f"the formulas package cannot be imported ({exc}); {INSTALL_HINT}"
        version = getattr(formulas, "__version__", "?")
        if version != TESTED_VERSION:
            log.warning("formulas %s: corrections were written for %s", version, TESTED_VERSION)
        return True, ""

    def open(self, path: str | Path) -> FormulasBook:
        """Compile a workbook (a private copy) into a formulas model.

        Args:
            path: The .xlsx file.

        Returns:
            The open book.

        Raises:
            FileNotFoundError: If ``path`` does not exist.
            EngineUnavailable: If formulas cannot be imported.
        """
        ok, why = self.available()
        if not ok:
            raise EngineUnavailable(why)
        book = FormulasBook(Path(path), corrected=self.corrected, fast=self.fast)
        self._books.add(book)
        return book

    def close(self) -> None:
        """Close every open book."""
        for book in list(self._books):
            book.close()


_NODE_RE = re.compile(r"^'\[(?P<file>[^\]]+)\](?P<sheet>.*)'!(?P<ref>[A-Z$0-9:]+)$")


class FormulasBook(Book):
    """A workbook compiled by ``formulas``.

    Writes are kept as model inputs and evaluated in one dispatch on the next read/recalc.
    Writing a cell that the model does not know but that lies inside a range some formula
    uses (e.g. below the last filled row of ``B2:B201``) rebuilds the model from a copy of the
    file holding every value written so far (slow, ~1-2 s, but correct).
    """

    def __init__(self, path: Path, corrected: bool = True, fast: bool = True):
        if not path.is_file():
            raise FileNotFoundError(str(path))
        self.source = path
        self.corrected = corrected
        self.fast = fast
        self.fallbacks = 0  # recalculations the fast plan handed to formulas' scheduler
        self._cover: dict[tuple[str, int, int], tuple[str, ...]] = {}  # unknown cell -> range nodes
        self._tmp = Path(tempfile.mkdtemp(prefix="xlcalc-formulas-"))
        suffix = path.suffix.lower() if path.suffix.lower() in (".xlsx", ".xlsm") else ".xlsx"
        self._fname = "book" + suffix
        self._file = self._tmp / self._fname
        self._cleanup = weakref.finalize(self, shutil.rmtree, str(self._tmp), True)
        shutil.copyfile(path, self._file)
        self._inputs: dict[str, Any] = {}  # node id -> value written (sh.EMPTY for cleared)
        self._overlay: dict[tuple[str, int, int], Any] = {}  # written cells the model does not know
        self._overwritten: set[tuple[str, int, int]] = set()  # formula cells replaced by values
        self._solution: Mapping[str, Any] | None = None
        self._dirty = True
        self._closed = False
        self.rebuilds = 0
        self._load(self._file)

    # ------------------------------------------------------------------ loading
    def _ctx(self) -> contextlib.AbstractContextManager[None]:
        return corrected_formulas() if self.corrected else contextlib.nullcontext()

    def _load(self, file: Path) -> None:
        import formulas
        from formulas.excel import BOOK

        try:
            with self._ctx(), _quiet_tqdm():
                model = formulas.ExcelModel().loads(str(file)).finish()
        except Exception as exc:
            raise EngineError(f"formulas could not compile {self.source}: {exc}") from exc
        self.model = model
        self.plan: FastPlan | None = None
        if self.fast:
            try:
                with self._ctx():
                    self.plan = FastPlan(model.dsp)
            except Unsupported as exc:
                log.info("formulas: %s uses formulas' own scheduler (%s)", self.source.name, exc)
        self._wb = model.books[self._fname.upper()][BOOK]
        self._titles: list[str] = list(self._wb.sheetnames)
        self._by_upper = {t.upper(): t for t in self._titles}
        self._nodes: set[str] = {k for k in model.dsp.data_nodes if isinstance(k, str)}
        self._extent: dict[str, tuple[int, int]] = {t: (0, 0) for t in self._titles}
        self._ranges: dict[str, list[CellRange]] = {t: [] for t in self._titles}
        self._range_nodes: dict[str, list[tuple[CellRange, str]]] = {t: [] for t in self._titles}
        for node in self._nodes:
            m = _NODE_RE.match(node)
            if not m or m.group("file") != self._fname:
                continue
            title = self._by_upper.get(m.group("sheet"))
            if title is None:
                continue
            ref = m.group("ref").replace("$", "")
            try:
                rng = parse_range(ref)
            except ValueError:
                continue
            if ":" in ref:
                self._ranges[title].append(rng)
                self._range_nodes[title].append((rng, node))
            else:
                mr, mc = self._extent[title]
                self._extent[title] = (max(mr, rng.r1), max(mc, rng.c1))
        self._cover.clear()
        self._range_info: dict[str, tuple[CellRange, bool]] = {}  # range node -> (range, no known cell)
        self._formula_cells: dict[str, tuple[str, CellRange]] = {}
        for node, cell in model.cells.items():
            if getattr(cell, "func", None) is None or type(cell).__name__ == "Ref":
                continue
            m = _NODE_RE.match(node) if isinstance(node, str) else None
            if not m:
                continue
            title = self._by_upper.get(m.group("sheet"))
            if title is not None:
                self._formula_cells[node] = (title, parse_range(m.group("ref").replace("$", "")))

    def _rebuild(self) -> None:
        """Recompile from a copy of the file holding every value written so far."""

        wb = openpyxl.load_workbook(self._file)
        for node, value in self._inputs.items():
            m = _NODE_RE.match(node)
            if m:
                title = self._by_upper[m.group("sheet")]
                r, c = parse_cell(m.group("ref"))
                _set_openpyxl(wb[title].cell(r, c), value)
        for (title, r, c), value in self._overlay.items():
            _set_openpyxl(wb[title].cell(r, c), value)
        rebuilt = self._tmp / f"r{self.rebuilds + 1}"
        rebuilt.mkdir()
        target = rebuilt / self._fname
        wb.save(target)
        self._file = target
        self._inputs.clear()
        self._overlay.clear()
        self.rebuilds += 1
        self._load(target)

    # ------------------------------------------------------------------ book protocol
    @property
    def sheet_names(self) -> list[str]:
        """Names of the sheets, in order."""
        return list(self._titles)

    def write(self, sheet: str, top_left: str, rows: list[list[Any]]) -> None:
        """Record a block of values as model inputs (evaluated on the next read or recalc).

        Args:
            sheet: Sheet name (case-insensitive, like Excel).
            top_left: A1 address of the top-left cell.
            rows: Row-major values; None/"" clears a cell.
        """
        import schedula as sh

        block = normalize_rows(rows)
        title = self._title(sheet)
        r0, c0 = parse_cell(top_left)
        rebuild = False
        touched: set[str] = set()
        for i, row in enumerate(block):
            for j, value in enumerate(row):
                r, c = r0 + i, c0 + j
                node = self._node(title, r, c)
                v = sh.EMPTY if value is None else value
                if node in self._formula_cells:
                    self._overwritten.add((title, r, c))
                if node in self._nodes:
                    self._inputs[node] = v
                else:
                    self._overlay[(title, r, c)] = v
                    touched.update(self._covering(title, r, c))
        # A range made only of cells the model does not know (an input area left blank in the
        # template, such as a list row) is fed to the model as one range input: no rebuild.
        for rnode in touched:
            rng, unknown_only = self._range_info[rnode]
            if not unknown_only:
                rebuild = True
                continue
            assert rng.r2 is not None and rng.c2 is not None
            self._inputs[rnode] = [
                [self._overlay.get((title, r, c), sh.EMPTY) for c in range(rng.c1, rng.c2 + 1)]
                for r in range(rng.r1, rng.r2 + 1)
            ]
        self._dirty = True
        if rebuild:
            self._rebuild()

    def read(self, sheet: str, a1_range: str) -> list[list[Any]]:
        """Read a block of values (recalculating first if writes are pending).

        Args:
            sheet: Sheet name.
            a1_range: A1 range; whole columns/rows are trimmed to the used area.

        Returns:
            Rows of float/str/bool/None/ErrorValue.
        """
        title = self._title(sheet)
        rng = parse_range(a1_range)
        if rng.whole:
            rng = rng.trimmed(*self._used_extent(title))
        sol = self._ensure_solution()
        assert rng.r2 is not None and rng.c2 is not None
        return [
            [self._value(sol, title, r, c) for c in range(rng.c1, rng.c2 + 1)]
            for r in range(rng.r1, rng.r2 + 1)
        ]

    def recalc(self) -> None:
        """Evaluate the model once with every value written so far."""
        import schedula as sh

        inputs = {k: v if isinstance(v, list) else [[v]] for k, v in self._inputs.items()}
        with self._ctx():
            if self.plan is not None:
                try:
                    self._solution = self.plan.run(inputs)
                    self._dirty = False
                    return
                except Fallback as exc:
                    self.fallbacks += 1
                    if self.fallbacks == 1:
                        log.warning(
                            "formulas: %s recalculated by formulas' own scheduler (%s)", self.source.name, exc
                        )
            sol = self.model.calculate(inputs=inputs)
        self._solution = {k: v for k, v in sol.items() if isinstance(k, str) and not isinstance(k, sh.Token)}
        self._dirty = False

    def dispatch_solution(self) -> dict[str, Any]:
        """formulas' own evaluation of every value written so far (to check the fast plan against)."""
        import schedula as sh

        inputs = {k: v if isinstance(v, list) else [[v]] for k, v in self._inputs.items()}
        with self._ctx():
            sol = self.model.calculate(inputs=inputs)
        return {k: v for k, v in sol.items() if isinstance(k, str) and not isinstance(k, sh.Token)}

    def errors(self) -> list[tuple[str, str, str]]:
        """Every formula cell holding an error.

        Returns:
            ``(sheet, address, error text)`` in sheet order, then row, then column.
        """
        from formulas.functions import XlError

        sol = self._ensure_solution()
        found: list[tuple[int, int, int, str, str, str]] = []
        order = {t: i for i, t in enumerate(self._titles)}
        for node, (title, rng) in self._formula_cells.items():
            values = _node_values(sol.get(node))
            if values is None:
                continue
            assert rng.r2 is not None and rng.c2 is not None
            for i, row in enumerate(values):
                for j, v in enumerate(row):
                    r, c = rng.r1 + i, rng.c1 + j
                    if isinstance(v, XlError) and (title, r, c) not in self._overwritten:
                        found.append((order[title], r, c, title, cell_name(r, c), str(v)))
        found.sort()
        return [(t, a, e) for _, _, _, t, a, e in found]

    def formula(self, sheet: str, cell: str) -> str:
        """Formula text of a cell as stored in the file (``""`` if none or overwritten by a write)."""
        title = self._title(sheet)
        r, c = parse_cell(cell)
        if (title, r, c) in self._overwritten:
            return ""
        value = self._wb[title].cell(r, c).value
        text = getattr(value, "text", value)  # ArrayFormula
        if isinstance(text, str) and text.startswith("="):
            return text
        return ""

    def close(self) -> None:
        """Drop the model and delete the private copy."""
        if self._closed:
            return
        self._closed = True
        self._solution = None
        self.model = None  # type: ignore[assignment]
        self._cleanup()

    # ------------------------------------------------------------------ helpers
    def _title(self, sheet: str) -> str:
        if self._closed:
            raise EngineError("book is closed")
        if sheet in self._extent:
            return sheet
        title = self._by_upper.get(sheet.upper())
        if title is None:
            raise KeyError(f"no sheet {sheet!r}; sheets: {self._titles}")
        return title

    def _node(self, title: str, r: int, c: int) -> str:
        return f"'[{self._fname}]{title.upper()}'!{cell_name(r, c)}"

    def _covering(self, title: str, r: int, c: int) -> tuple[str, ...]:
        """Range nodes containing a cell the model does not know (cached: writes repeat cells)."""
        key = (title, r, c)
        found = self._cover.get(key)
        if found is None:
            found = self._cover[key] = tuple(n for rng, n in self._range_nodes[title] if _contains(rng, r, c))
            for n in found:
                if n not in self._range_info:
                    rng = next(x for x, m in self._range_nodes[title] if m == n)
                    assert rng.r2 is not None and rng.c2 is not None
                    cells = ((i, j) for i in range(rng.r1, rng.r2 + 1) for j in range(rng.c1, rng.c2 + 1))
                    self._range_info[n] = (
                        rng,
                        not any(self._node(title, i, j) in self._nodes for i, j in cells),
                    )
        return found

    def _used_extent(self, title: str) -> tuple[int, int]:
        mr, mc = self._extent[title]
        for t, r, c in self._overlay:
            if t == title:
                mr, mc = max(mr, r), max(mc, c)
        return max(mr, 1), max(mc, 1)

    def _ensure_solution(self) -> Mapping[str, Any]:
        if self._dirty or self._solution is None:
            self.recalc()
        assert self._solution is not None
        return self._solution

    def _value(self, sol: Mapping[str, Any], title: str, r: int, c: int) -> Any:
        node = self._node(title, r, c)
        if node in sol:
            values = _node_values(sol[node])
            if values is not None:
                return _to_python(values[0][0])
        if (title, r, c) in self._overlay:
            return _to_python(self._overlay[(title, r, c)])
        if node in self._inputs:
            return _to_python(self._inputs[node])
        return None


def _contains(rng: CellRange, r: int, c: int) -> bool:
    return rng.r1 <= r <= (rng.r2 or 1_048_576) and rng.c1 <= c <= (rng.c2 or 16_384)


def _node_values(value: Any) -> Any:
    """2-D values of a solution entry (a formulas ``Ranges``), or None."""
    if value is None:
        return None
    try:
        v = value.value if hasattr(value, "ranges") else value
    except Exception:  # RangeValueError: no value
        return None
    if hasattr(v, "tolist"):
        v = v.tolist()
    if not isinstance(v, list):
        return [[v]]
    if v and not isinstance(v[0], list):
        return [v]
    return v


def _to_python(v: Any) -> Any:
    import schedula as sh
    from formulas.functions import XlError

    if v is sh.EMPTY or v is None:
        return None
    if isinstance(v, XlError):
        return ErrorValue(str(v))
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, float, np.integer, np.floating)):
        return float(v)
    if isinstance(v, str):
        return str(v)
    if isinstance(v, np.ndarray):
        return _to_python(v.ravel()[0]) if v.size else None
    return v


def _set_openpyxl(cell: Any, value: Any) -> None:
    import schedula as sh

    if value is sh.EMPTY:
        cell.value = None
        return
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"  # never let text starting with "=" become a formula
