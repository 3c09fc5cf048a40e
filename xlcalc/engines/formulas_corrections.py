"""Excel-faithful replacements for the functions ``formulas`` gets wrong, one named correction each.

formulas 1.3.4 gives wrong answers for several functions (see ``shared/ENGINES.md``). The
replacements live in :func:`corrected_formulas`, a context manager that swaps them into
``formulas``' function/operator tables (and a few module globals used at run time) and restores
the originals on exit; each is built on its own (formulas_patches.py), so one that no longer fits
an upgraded formulas is named in the log while the others still apply. Books load *and* calculate inside it, so this module does not change
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
import math
import operator as _op
import sys
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import numpy as np

from xlcalc.xlruntime import excel_round

from .formulas_criteria import single_condition
from .formulas_patches import Correction, Patches, Switch
from .formulas_scalar import faster_replace_empty
from .formulas_text import (
    _is_real_number,
    _isnumber,
    _n_value_trim,
    _number_text,
    _text_function,
    memo_text2num,
)

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


def _round_fn(x: float, d: float = 0, mode: str = "half") -> float:
    return excel_round(x, d, mode)


def _round(p: Patches, e: Any) -> None:
    """ROUND family: decimal rounding of the 15-significant-digit value."""
    wrap_ufunc, funcs = e.wrap_ufunc, e.funcs

    for name, mode in (("ROUND", "half"), ("ROUNDUP", "up"), ("ROUNDDOWN", "down")):
        p.item(funcs, name, wrap_ufunc(functools.partial(_round_fn, mode=mode)))


def _int_floor_ceiling(p: Patches, e: Any) -> None:
    """INT / FLOOR / CEILING: snap the quotient to 15 significant digits first."""
    Error, wrap_ufunc, fmath, funcs = e.Error, e.wrap_ufunc, e.fmath, e.funcs

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


def _mround(p: Patches, e: Any) -> None:
    """MROUND: halves away from zero (on the raw quotient, like Excel and LibreOffice)."""
    Error, wrap_ufunc, funcs = e.Error, e.wrap_ufunc, e.funcs

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


def _approx_comparisons(p: Patches, e: Any) -> None:
    """Comparisons (approxEqual on numbers) and + / - (approxAdd/approxSub)."""
    fops = e.fops

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


def _aggregates(p: Patches, e: Any) -> None:
    """SUM / MIN / MAX / AVERAGE / PRODUCT: ranges contribute numbers only."""
    ffunc, sh, FoundError, Error, XlError, wrap_func, funcs = (
        e.ffunc,
        e.sh,
        e.FoundError,
        e.Error,
        e.XlError,
        e.wrap_func,
        e.funcs,
    )

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


def _criteria(p: Patches, e: Any) -> None:
    """Criteria (COUNTIF & co): "<>x" counts every other cell, "=" matches blanks."""
    ffunc, sh, XlError = e.ffunc, e.sh, e.XlError

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


def _speed_only(p: Patches, e: Any) -> None:
    """Speed only (same answers): replace_empty without numpy's `in` test on single values; the
    criteria's text → number conversion remembered (formulas_text.memo_text2num); the criteria
    functions without a vectorizer around one condition (formulas_criteria)."""
    p.attr(e.ffunc, "text2num", memo_text2num(e.ffunc._text2num))
    p.item(e.ffunc.__dict__, "_xfilter", single_condition(e.ffunc.__dict__["_xfilter"]))
    replace_empty = e.replace_empty

    fast_replace_empty = faster_replace_empty(replace_empty)
    for module in list(sys.modules.values()):
        name = getattr(module, "__name__", "")
        if name.startswith("formulas.") and getattr(module, "replace_empty", None) is replace_empty:
            p.attr(module, "replace_empty", fast_replace_empty)


def _double_minus(p: Patches, e: Any) -> None:
    """`--x`: upstream's tokenizer folds "--" into "+"; make it a numeric conversion."""
    wrap_ufunc, fops, ftok = e.wrap_ufunc, e.fops, e.ftok

    p.item(fops.OPERATORS, "U--", wrap_ufunc(lambda x: x))
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


def _xlfn_prefixes(p: Patches, e: Any) -> None:
    """_xlfn. prefixes: prefixed names work, bare future-function names give #NAME?."""
    Error, wrap_func, funcs, up = e.Error, e.wrap_func, e.funcs, e.up

    name_error = wrap_func(lambda *a, **k: Error.errors["#NAME?"])
    # Replacements made by the corrections before this one: a prefixed name gets the corrected one.
    patched = {key: value for q in e.built for target, key, value in q.entries if target is funcs}
    for fname in FUTURE_FUNCTIONS:
        impl = patched.get(fname) or up.get(fname) or up.get("_XLFN." + fname)
        prefixed = ("_XLFN._XLWS." if fname in _XLWS_FUNCTIONS else "_XLFN.") + fname
        if impl is not None:
            p.item(funcs, prefixed, impl)
        p.item(funcs, fname, name_error)


def _quiet_tqdm(p: Patches, e: Any) -> None:
    """formulas draws a tqdm progress bar on stderr while compiling; silence it."""
    real = e.fexcel.tqdm

    class _Quiet:
        @staticmethod
        def tqdm(*args: Any, **kwargs: Any) -> Any:
            kwargs["disable"] = True
            return real.tqdm(*args, **kwargs)

    p.attr(e.fexcel, "tqdm", _Quiet)


def _env() -> SimpleNamespace:
    """formulas' modules and tables the corrections patch (imported on first use: formulas is heavy)."""
    import formulas.excel as fexcel
    import formulas.functions as ffunc
    import schedula as sh
    from formulas.errors import FoundError
    from formulas.functions import Error, XlError, get_functions, replace_empty, wrap_func, wrap_ufunc
    from formulas.functions import info as finfo
    from formulas.functions import math as fmath
    from formulas.functions import operators as fops
    from formulas.functions import text as ftext
    from formulas.tokens import operator as ftok

    funcs = get_functions()
    return SimpleNamespace(
        ffunc=ffunc, sh=sh, FoundError=FoundError, Error=Error, XlError=XlError,
        replace_empty=replace_empty, wrap_func=wrap_func, wrap_ufunc=wrap_ufunc, finfo=finfo,
        fmath=fmath, fops=fops, ftext=ftext, ftok=ftok, fexcel=fexcel,
        funcs=funcs, up=dict(funcs),  # up: the upstream implementations
    )  # fmt: skip


#: Every correction, in the order they are applied (restored in reverse).
CORRECTIONS: tuple[Correction, ...] = (
    Correction("ROUND family", _round),
    Correction("INT / FLOOR / CEILING", _int_floor_ceiling),
    Correction("MROUND", _mround),
    Correction("comparisons (approxEqual on numbers) and + / - (approxAdd/approxSub)", _approx_comparisons),
    Correction("number -> text with 15 significant digits (&, CONCATENATE, LEN, LEFT, ...)", _number_text),
    Correction("TEXT", _text_function),
    Correction("ISNUMBER", _isnumber),
    Correction("N, VALUE, TRIM", _n_value_trim),
    Correction("SUM / MIN / MAX / AVERAGE / PRODUCT", _aggregates),
    Correction("criteria (COUNTIF & co)", _criteria),
    Correction("speed only (same answers)", _speed_only),
    Correction("`--x`", _double_minus),
    Correction("_xlfn. prefixes", _xlfn_prefixes),
)

#: Swaps the corrections into formulas inside ``with corrected_formulas():`` (compile and calculate
#: there); re-entrant, and one thread at a time. ``corrected_formulas.failures()`` names any that
#: could not be built.
corrected_formulas = Switch(CORRECTIONS, _env)

#: formulas' progress bar, silenced while compiling, corrected or not.
quiet_formulas = Switch((Correction("tqdm progress bar", _quiet_tqdm),), _env)
