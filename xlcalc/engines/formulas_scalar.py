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
from collections.abc import Callable
from typing import Any

__all__ = ["scalar_shortcut"]

_PLAIN = (float, int, bool, str)


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
    import inspect

    from formulas.functions import wrap_ufunc

    params = inspect.signature(wrap_ufunc).parameters
    return params["args_parser"].default, params["return_func"].default


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
    safe_eval, args_parser = u["safe_eval"], u["args_parser"]
    otype, return_func = u["otype"], u["return_func"]

    import numpy as np
    import schedula as sh
    from formulas.ranges import Ranges

    ndarray, empty, obj = np.ndarray, np.empty, object

    default_parse, default_return = _ufunc_defaults()
    plain_args = args_parser is default_parse and return_func is default_return
    EMPTY = sh.EMPTY

    def simple(args: tuple[Any, ...]) -> Any:
        # default args_parser (replace_empty: EMPTY -> 0) and return_func (identity), element-wise
        elems = []
        seen_array = False
        for v in args:
            if isinstance(v, Ranges):
                v = v.value
            if type(v) in _PLAIN:
                elems.append(v)
            elif isinstance(v, ndarray) and v.shape == (1, 1):
                e = v[0, 0] if v.dtype == obj else v.astype(obj)[0, 0]
                elems.append(0 if e is EMPTY else e)
                seen_array = True
            else:
                return fn(*args)
        if not seen_array or len(elems) >= 32:
            return fn(*args)
        res = empty((1, 1), obj)
        res[0, 0] = safe_eval(*elems)
        return res.view(otype)

    def single(args: tuple[Any, ...]) -> Any:
        plain = tuple(v.value if isinstance(v, Ranges) else v for v in args)
        if len(plain) >= 32:
            return fn(*args)
        parsed = tuple(args_parser(*plain))
        elems = []
        seen_array = False
        for a in parsed:
            if type(a) in _PLAIN:
                elems.append(a)
            elif isinstance(a, ndarray) and a.shape == (1, 1):
                elems.append(a[0, 0] if a.dtype == obj else a.astype(obj)[0, 0])
                seen_array = True
            else:
                return fn(*args)
        if not seen_array:
            return fn(*args)  # 0-d results take another branch in wrap_ufunc
        res = empty((1, 1), obj)
        res[0, 0] = safe_eval(*elems)
        return return_func(res.view(otype), *parsed)

    path = simple if plain_args else single

    def shortcut(*args: Any) -> Any:
        try:
            return path(args)
        except Exception:  # formulas' wrappers turn exceptions into error values: let them
            return fn(*args)

    return functools.update_wrapper(shortcut, fn)
