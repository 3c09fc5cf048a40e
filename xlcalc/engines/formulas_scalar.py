"""Single-value shortcuts for ``formulas``' element-wise function wrappers.

Nearly every function and operator in ``formulas`` is ``wrap_ranges_func(wrap_ufunc(body))``:
Ranges are turned into arrays, arguments are parsed, and ``np.vectorize(safe_eval)`` maps the
body over the broadcast arguments. In a rubric workbook almost every call is on single cells,
where building a vectorizer per call costs ~50 times the body. :func:`scalar_shortcut` returns a
callable that does the same for 1×1 arguments: the *same* ``safe_eval`` (error checks, body,
NaN check) on the same elements, the same output type and ``return_func``, and hands anything
else (ranges, 0-d values, ≥ 32 arguments, unusual element types) to the original wrapper.
"""

from __future__ import annotations

import functools
import inspect
import math
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = [
    "NOT_ONE",
    "PLAIN_TYPES",
    "QUIET_TYPES",
    "element_reader",
    "faster_filter",
    "faster_replace_empty",
    "ranges_shortcut",
    "scalar_shortcut",
]

PLAIN_TYPES = frozenset({float, int, bool, str})  # a cell's value as Python holds it


_NUMPY_SCALARS = frozenset({np.bool_, np.float64, np.int64})
# Element types no error check can mistake for an error or an array.
QUIET_TYPES = PLAIN_TYPES | _NUMPY_SCALARS


NOT_ONE = object()  # what element_reader gives for an argument that is not one value


def element_reader() -> Callable[[Any], tuple[Any, bool]]:
    """``element(v)``: the element a one-value argument holds, as ``np.vectorize`` hands it to a
    function's body next to a 1×1 argument (a numpy scalar as its Python value, a blank as
    ``sh.EMPTY``), and whether the argument was 1×1; ``NOT_ONE`` for a range or an array held
    in a cell. For shortcuts that build a result from their arguments' elements (IF, ``&``)."""
    from formulas.ranges import Ranges

    ndarray, obj = np.ndarray, object

    def element(v: Any) -> tuple[Any, bool]:
        if isinstance(v, Ranges):
            v = v.value
        t = type(v)
        if t in PLAIN_TYPES:
            return v, False
        if t in _NUMPY_SCALARS:
            return v.item(), False
        if isinstance(v, ndarray) and v.shape in ((1, 1), ()):
            e = (v if v.dtype == obj else v.astype(obj))[(0, 0) if v.shape else ()]
            return (NOT_ONE, False) if isinstance(e, ndarray) else (e, bool(v.shape))
        return NOT_ONE, False

    return element


@functools.cache
def _codes() -> tuple[Any, Any, Any]:
    from formulas.functions import wrap_func, wrap_ranges_func, wrap_ufunc

    # wrap_func returns wrap_ranges_func(its own wrapper); wrap_ufunc returns wrap_func(its own wrapper)
    ranges = wrap_ranges_func(lambda: 0).__code__
    func = _closure(wrap_func(lambda: 0))["func"].__code__
    layer = wrap_ufunc(abs)
    while layer.__code__ in (ranges, func):
        layer = _closure(layer)["func"]
    return ranges, func, layer.__code__


@functools.cache
def _ufunc_defaults() -> tuple[Any, Any]:
    """The default ``args_parser`` and ``return_func`` objects of ``wrap_ufunc``."""

    from formulas.functions import wrap_ufunc

    params = inspect.signature(wrap_ufunc).parameters
    return params["args_parser"].default, params["return_func"].default


@functools.cache
def _blank_parsers() -> dict[Any, Any]:
    """``args_parser`` objects that only replace blanks, element by element, with what each puts
    in a blank's place (``sh.EMPTY``: kept): the default (0), the comparison operators' (none)
    and ``&``'s (""). Known by identity, taken from formulas itself."""
    import schedula as sh
    from formulas.functions.operators import OPERATORS, logic_wrap

    ranges_code, func_code, ufunc_code = _codes()
    layer = OPERATORS["&"]
    while getattr(layer, "__code__", None) in (ranges_code, func_code):
        layer = _closure(layer)["func"]
    parsers = {_ufunc_defaults()[0]: 0, logic_wrap.keywords["args_parser"]: sh.EMPTY}
    if getattr(layer, "__code__", None) is ufunc_code:
        parsers[_closure(layer)["args_parser"]] = ""
    return parsers


@functools.cache
def _quiet_checks() -> tuple[Any, ...]:
    """``check_error`` functions known to find nothing when no argument is an error or an array.

    ``get_error`` (the default) and IF's check look for an XlError among the values;
    IFERROR's check is always False.
    """
    from formulas.functions import get_error
    from formulas.functions.logic import FUNCTIONS

    checks: list[Any] = [get_error]
    for name in ("IF", "IFERROR"):
        layer = FUNCTIONS[name]["function"]
        while getattr(layer, "__code__", None) is not None and "safe_eval" not in layer.__code__.co_freevars:
            layer = _closure(layer).get("func")
        if layer is not None:
            checks.append(_closure(_closure(layer)["safe_eval"])["check_error"])
    return tuple(checks)


def _direct_eval(safe_eval: Any) -> Callable[..., Any]:
    """``safe_eval`` without its error scan when every value is a plain number, text or bool.

    The scan (``check_error`` → ``flatten`` over the values) finds nothing for such values when
    the check is one of :func:`_quiet_checks`; the rest is ``safe_eval``'s own code.
    """
    cl = _closure(safe_eval)
    if cl.get("check_error") not in _quiet_checks():
        return safe_eval
    func, input_parser, check_nan = cl["func"], cl["input_parser"], cl["check_nan"]
    from formulas.errors import FoundError
    from formulas.functions import Error, XlError, convert_nan, convert_noshp

    value_error = Error.errors["#VALUE!"]
    quiet = QUIET_TYPES
    # convert_nan is ``value if np.isfinite(value) else default``: on a Python float or bool
    # (a comparison's result), math's isfinite gives the same answer in a tenth of the time
    (not_finite,) = convert_nan.__defaults__ or (None,)
    finite = math.isfinite

    def direct(*vals: Any) -> Any:
        for v in vals:
            if type(v) not in quiet:  # XlError, EMPTY, numpy scalars, arrays: the full path
                return safe_eval(*vals)
        try:
            r = convert_noshp(func(*input_parser(*vals)))
            if check_nan and not isinstance(r, (XlError, str)):
                if type(r) in (float, bool) and not_finite is not None:
                    r = r if finite(r) else not_finite
                else:
                    r = convert_nan(r)
        except FoundError as ex:
            r = ex.err
        except (ValueError, TypeError):
            r = value_error
        return r

    return direct


def _closure(fn: Any) -> dict[str, Any]:
    return dict(zip(fn.__code__.co_freevars, (c.cell_contents for c in fn.__closure__ or ()), strict=True))


def scalar_shortcut(fn: Any) -> Callable[..., Any] | None:
    """A faster equivalent of a function made of ``wrap_ranges_func``/``wrap_func`` around ``wrap_ufunc``.

    Args:
        fn: A function object from a compiled formula (a node of a cell's inner dispatcher).

    Returns:
        The shortcut, or None when ``fn`` is not of that shape (it is then called as it is).
        The shortcut calls ``fn`` itself for anything but 1×1 arguments and whenever the
        single-value path raises, so formulas' own wrappers decide every unusual case.
    """
    ranges_code, func_code, ufunc_code = _codes()
    layer = fn
    while getattr(layer, "__code__", None) in (ranges_code, func_code):
        cl = _closure(layer)
        if layer.__code__ is ranges_code and cl.get("n_out") != 1:
            return None
        layer = cl.get("func")
    if getattr(layer, "__code__", None) is not ufunc_code or layer is fn:
        return None
    u = _closure(layer)
    if u.get("kw") != {"otypes": [object]}:
        return None  # other np.vectorize options: keep formulas' path
    safe_eval, args_parser = _direct_eval(u["safe_eval"]), u["args_parser"]
    otype, return_func = u["otype"], u["return_func"]

    import schedula as sh
    from formulas.ranges import Ranges

    ndarray, empty, obj = np.ndarray, np.empty, object

    _, default_return = _ufunc_defaults()
    blanks = _blank_parsers()
    plain_args = args_parser in blanks and return_func is default_return
    EMPTY = sh.EMPTY
    blank = blanks.get(args_parser, EMPTY)  # what the parser puts in place of a blank element

    def evaluated(elems: list[Any], seen_array: bool, numpy_at: list[tuple[int, Any]]) -> Any:
        """``safe_eval`` on the elements, shaped as np.vectorize shapes it: 1×1 when an argument
        is 1×1, else (scalars, 0-d arrays) 0-d, numpy scalars then kept as they are."""
        if not seen_array:
            for i, raw in numpy_at:
                elems[i] = raw
        res = empty((1, 1) if seen_array else (), obj)
        res[(0, 0) if seen_array else ()] = safe_eval(*elems)
        return res

    def simple(args: tuple[Any, ...]) -> Any:
        # an args_parser that only replaces blanks (by ``blank``) and the identity return_func
        elems = []
        seen_array = False
        numpy_at: list[tuple[int, Any]] = []
        for v in args:
            if isinstance(v, Ranges):
                v = v.value
            if type(v) in PLAIN_TYPES:
                elems.append(v)
            elif type(v) in _NUMPY_SCALARS:
                elems.append(v.item())  # what np.vectorize's object cast makes of it next to a 1×1
                numpy_at.append((len(elems) - 1, v))
            elif isinstance(v, ndarray) and v.shape == (1, 1):
                e = v[0, 0] if v.dtype == obj else v.astype(obj)[0, 0]
                elems.append(blank if e is EMPTY else e)
                seen_array = True
            elif isinstance(v, ndarray) and v.shape == ():  # a constant sub-result: broadcast
                e = v[()] if v.dtype == obj else v.astype(obj)[()]
                elems.append(blank if e is EMPTY else e)
            else:
                return fn(*args)
        if len(elems) >= 32:
            return fn(*args)
        return evaluated(elems, seen_array, numpy_at).view(otype)

    def single(args: tuple[Any, ...]) -> Any:
        plain = tuple(v.value if isinstance(v, Ranges) else v for v in args)
        if len(plain) >= 32:
            return fn(*args)
        parsed = tuple(args_parser(*plain))
        elems = []
        seen_array = False
        numpy_at: list[tuple[int, Any]] = []
        for a in parsed:
            if type(a) in PLAIN_TYPES:
                elems.append(a)
            elif type(a) in _NUMPY_SCALARS:
                elems.append(a.item())
                numpy_at.append((len(elems) - 1, a))
            elif isinstance(a, ndarray) and a.shape == (1, 1):
                elems.append(a[0, 0] if a.dtype == obj else a.astype(obj)[0, 0])
                seen_array = True
            elif isinstance(a, ndarray) and a.shape == ():  # a constant sub-result: broadcast
                elems.append(a[()] if a.dtype == obj else a.astype(obj)[()])
            else:
                return fn(*args)
        return return_func(evaluated(elems, seen_array, numpy_at).view(otype), *parsed)

    path = simple if plain_args else single

    def shortcut(*args: Any) -> Any:
        try:
            return path(args)
        except Exception:  # formulas' wrappers turn exceptions into error values: let them
            return fn(*args)

    return functools.update_wrapper(shortcut, fn)


def faster_filter(filt: Any) -> Any:
    """An equivalent, cheaper version of a data-node filter formulas puts on every cell, or ``filt``.

    * ``replace_empty`` (EMPTY → 0) on a 1×1 array holding a plain value returns it unchanged
      without numpy's element-wise ``in`` test.
    * ``wrap_ranges_func(f)`` (formulas puts ``bypass`` so on a formula's inner results) as
      :func:`ranges_shortcut`.
    * ``format_output(rng, value)`` builds the cell's ``Ranges``; for a one-cell range whose
      bounds are in canonical form, its ``.value`` (computed lazily by splitting ranges) is the
      stored array itself, so it is set at once.
    """
    from formulas.cell import format_output
    from formulas.functions import replace_empty

    if (lean := ranges_shortcut(filt)) is not None:
        return lean
    ndarray, obj = np.ndarray, object
    if filt is replace_empty:

        def keep_plain(x: Any) -> Any:
            if (
                isinstance(x, ndarray)
                and x.shape == (1, 1)
                and x.dtype == obj
                and type(x[0, 0]) in PLAIN_TYPES
            ):
                return x
            return replace_empty(x)

        return keep_plain
    if isinstance(filt, functools.partial) and filt.func is format_output and not filt.keywords:
        (rng,) = filt.args
        canonical = (
            isinstance(rng.get("r1"), (str, int))  # str from a formula's range, int for a blank cell
            and str(rng.get("r1")) == str(rng.get("r2"))
            and isinstance(rng.get("n1"), int)
            and rng.get("n1") == rng.get("n2")
        )
        if not canonical:
            return filt
        name = rng["name"]
        from formulas.functions import Array
        from formulas.ranges import Ranges

        def one_cell(value: Any) -> Any:
            if isinstance(value, Array) and value.shape == (1, 1):
                # set_value's own steps for a 1×1 Array into a one-cell range, without its
                # keyword unpacking and shape arithmetic
                out = Ranges((rng,))
                stored = np.reshape(value, (1, 1))
                out.values[name] = (rng, stored)
                out._value = stored
                return out
            out = format_output(rng, value)
            stored = out.values.get(name)
            if (
                len(out.ranges) == 1
                and len(out.values) == 1
                and stored is not None
                and stored[1].shape == (1, 1)
            ):
                out._value = stored[1]
            return out

        return one_cell
    return filt


def faster_replace_empty(replace_empty: Callable[..., Any]) -> Callable[..., Any]:
    """``replace_empty`` (EMPTY → ``empty``) that skips numpy's element-wise test on a 1×1 array
    holding a plain value (which it returns unchanged, as the original does)."""
    ndarray, obj, quiet = np.ndarray, object, QUIET_TYPES

    def fast(x: Any, empty: Any = 0) -> Any:
        if isinstance(x, ndarray) and x.shape == (1, 1) and x.dtype == obj and type(x[0, 0]) in quiet:
            return x
        return replace_empty(x, empty)

    return functools.update_wrapper(fast, replace_empty)


def _logical_reduce(xand: Any) -> Callable[..., Any] | None:
    """AND / OR on single numbers or booleans without formulas' two flatten passes and numpy's
    reduce; None for any other function (XOR included)."""
    from formulas.functions.logic import xand as formulas_xand

    if xand is formulas_xand:
        reduce = all
    elif (
        isinstance(xand, functools.partial)
        and xand.func is formulas_xand
        and not xand.args
        and xand.keywords == {"func": np.logical_or.reduce}
    ):
        reduce = any
    else:
        return None
    ndarray, bool_ = np.ndarray, np.bool_
    logical = (bool, float, int, bool_, np.float64, np.int64)

    def scalar(values: list[Any]) -> Any:
        elems = []
        for v in values:
            if not (isinstance(v, ndarray) and v.shape == (1, 1)):
                return None
            e = v[0, 0]
            if type(e) not in logical:  # text, blanks and errors: formulas' own rules
                return None
            elems.append(e)
        # np.logical_and.reduce / logical_or.reduce over the same values: a numpy bool
        return bool_(reduce(elems))

    return scalar


def ranges_shortcut(fn: Any) -> Callable[..., Any] | None:
    """A cheaper equivalent of ``wrap_ranges_func(f)`` (one output): the same ``f`` on the
    arguments' values, without ``parse_ranges``' tuple and keyword rebuilding; AND and OR on
    single numbers or booleans computed directly. Anything unusual (an exception, a range value
    that cannot be read) is handed to ``fn`` itself, so formulas decides it.
    """
    ranges_code, func_code, _ = _codes()
    if getattr(fn, "__code__", None) is not ranges_code:
        return None
    cl = _closure(fn)
    if cl.get("n_out") != 1:
        return None
    inner = cl["func"]
    body = _closure(inner).get("func") if getattr(inner, "__code__", None) is func_code else None
    logical = _logical_reduce(body) if body is not None else None

    from formulas.ranges import Ranges

    def lean(*args: Any) -> Any:
        try:
            values = [a.value if isinstance(a, Ranges) else a for a in args]
            if logical is not None and (out := logical(values)) is not None:
                return out
            return inner(*values)
        except Exception:  # formulas' wrappers turn these into error values or bypasses
            return fn(*args)

    return functools.update_wrapper(lean, fn)
