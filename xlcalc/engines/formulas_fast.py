"""A fast scheduler for a compiled ``formulas`` model: straight-line Python instead of schedula.

Profiling one recalculation of a compiled rubric workbook shows about two thirds of the time in
schedula's scheduling (the workbook dispatcher plus a small dispatcher inside every formula cell);
the function bodies are about 1%. :class:`FastPlan` keeps ``formulas`` as parser and function
library and replaces only the scheduler: once per workbook it orders the function nodes (the
outer cells and the nodes inside every cell's formula) and generates one Python function that
calls, in that order, the very function objects ``formulas`` compiled (with the project's
corrections, as they are patched in while compiling), applying the same data-node filters.

It does not try to be a general schedula: whatever it does not recognise is left to formulas.

* At build time (:class:`Unsupported`): a formulas version other than the tested one, a node
  fed by two producers, circular references (no topological order), inputs that need the
  dispatcher itself (OFFSET/INDIRECT).
* Per cell: a formula cell whose inner dispatcher has node attributes other than the plain ones
  is called through its own ``formulas`` wrapper (formulas' evaluation of that cell).
* Per recalculation (:class:`Fallback`): writing a node that feeds an "inverse" function
  (a range written whole that formulas would split back into its cells, a defined name written
  instead of its cell), or any exception raised by a function. The caller then dispatches
  with formulas itself and logs why.
"""

from __future__ import annotations

import collections
import functools
import logging
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np

from .formulas_lookup import index_shortcut
from .formulas_scalar import faster_filter, ranges_shortcut, scalar_shortcut

# The formulas release the corrections (formulas_engine.py) and the fast plan were written and tested
# against (pinned in pyproject.toml).
TESTED_VERSION = "1.3.4"

__all__ = ["Fallback", "FastPlan", "Unsupported"]

log = logging.getLogger(__name__)

_PLAIN_FUNC_KEYS = frozenset({"type", "inputs", "outputs", "function", "wait_inputs", "index", "solve_cycle"})
_PLAIN_DATA_KEYS = frozenset({"type", "wait_inputs", "index", "filters"})
_UNSET = object()


class Unsupported(Exception):
    """The model uses something the fast plan does not handle; use formulas' dispatcher."""


class Fallback(Exception):
    """This recalculation must be done by formulas' dispatcher (the message says why)."""


class _Solution(Mapping[str, Any]):
    """Read-only name → value view of the slot list (what RangesAssembler reads as ``dsp.solution``)."""

    def __init__(self, slots: dict[str, int], values: list[Any]):
        self._slots = slots
        self._values = values

    def __getitem__(self, key: str) -> Any:
        v = self._values[self._slots[key]]
        if v is _UNSET:
            raise KeyError(key)
        return v

    def __contains__(self, key: object) -> bool:
        i = self._slots.get(key)  # type: ignore[call-overload]
        return i is not None and self._values[i] is not _UNSET

    def __iter__(self) -> Iterator[str]:
        import schedula as sh

        return (
            k
            for k, i in self._slots.items()
            if self._values[i] is not _UNSET and isinstance(k, str) and not isinstance(k, sh.Token)
        )

    def __len__(self) -> int:
        return sum(1 for _ in self)


class _SelfStandIn:
    """Stands in for the dispatcher passed as ``sh.SELF``: only ``.solution`` is used by formulas."""

    def __init__(self, solution: _Solution):
        self.solution = solution


def _topo(
    nodes: Mapping[Any, dict[str, Any]],
    succ: Mapping[Any, Any],
    sources: set[Any],
    functions: list[Any],
) -> tuple[list[Any], list[Any]]:
    """Order the function nodes that fire from ``sources``; also return the shadowed ones.

    A function fires once all its inputs are set; a function whose outputs are all set already
    (an inverse node: range → cells, defined name → cell) is shadowed and never called.
    """
    pending = {f: len(set(nodes[f]["inputs"])) for f in functions}
    ready = collections.deque(f for f in functions if pending[f] == 0)
    done: set[Any] = set(sources)
    for s in sources:
        for f in succ.get(s, ()):
            if f in pending:
                pending[f] -= 1
                if pending[f] == 0:
                    ready.append(f)
    order: list[Any] = []
    shadowed: list[Any] = []
    while ready:
        f = ready.popleft()
        outs = nodes[f]["outputs"]
        new = [o for o in outs if o not in done]
        if not new:
            shadowed.append(f)
            continue
        if len(new) != len(outs):
            raise Unsupported(f"function {f!r} would set only part of its outputs")
        order.append(f)
        for o in outs:
            done.add(o)
            for g in succ.get(o, ()):
                if g in pending:
                    pending[g] -= 1
                    if pending[g] == 0:
                        ready.append(g)
    return order, shadowed


class _Gen:
    """Accumulates generated source lines and the constants they refer to (``K[i]``)."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.consts: list[Any] = []
        self._ids: dict[int, int] = {}
        self._faster: dict[int, Any] = {}

    def const(self, obj: Any) -> str:
        key = id(obj)
        if key not in self._ids:
            self._ids[key] = len(self.consts)
            self.consts.append(obj)
        return f"K[{self._ids[key]}]"

    def filtered(self, expr: str, filters: Any) -> str:
        for f in filters or ():
            if id(f) not in self._faster:
                self._faster[id(f)] = faster_filter(f)
            expr = f"{self.const(self._faster[id(f)])}({expr})"
        return expr


def _join_args(template: Any, values: tuple[Any, ...]) -> Any:
    """``formulas.cell.Cell._args`` for one inner input fed by several outer nodes."""
    from formulas.ranges import Ranges

    out = Ranges(template.ranges)
    for v in values:
        try:
            out.values.update(v.values)
        except AttributeError:  # a reference value, not a range
            out = v
    return out


class FastPlan:
    """Straight-line evaluation of a compiled ``formulas`` ExcelModel.

    Args:
        dsp: ``model.dsp`` of a finished ``formulas.ExcelModel``.

    Raises:
        Unsupported: If the model needs formulas' own dispatcher.
    """

    def __init__(self, dsp: Any):
        import formulas
        import schedula as sh

        if formulas.__version__ != TESTED_VERSION:
            raise Unsupported(
                f"formulas {formulas.__version__} (the fast plan is tested on {TESTED_VERSION})"
            )
        self._sh = sh
        nodes = dsp.nodes
        defaults = dsp.default_values
        data = [k for k, n in nodes.items() if n["type"] == "data"]
        funcs = [k for k, n in nodes.items() if n["type"] == "function"]
        if any(nodes[k]["type"] not in ("data", "function") for k in nodes):
            raise Unsupported("sub-dispatchers in the model")
        self.slots: dict[str, int] = {k: i for i, k in enumerate(data)}
        self.names: list[Any] = data
        succ = dsp.dmap.succ
        order, shadowed = _topo(nodes, succ, set(defaults), funcs)
        unfired = len(funcs) - len(order) - len(shadowed)
        if unfired:
            raise Unsupported(f"{unfired} formula nodes never become ready (circular references?)")
        for f in order:
            fn = nodes[f]["function"]
            if sh.SELF in nodes[f]["inputs"] and type(fn).__name__ != "RangesAssembler":
                raise Unsupported(f"{f!r} needs the dispatcher itself")
        # Written nodes that feed a shadowed (inverse) function change which value wins: formulas.
        self.inverse_inputs: set[Any] = {i for f in shadowed for i in nodes[f]["inputs"]}
        self.producer: dict[Any, Any] = {}
        for f in order:
            for o in nodes[f]["outputs"]:
                self.producer[o] = f
        self._init = [_UNSET] * len(data)
        for k, d in defaults.items():
            value = d["value"]
            if k is sh.SELF:
                continue
            for filt in nodes[k].get("filters", ()) or ():
                value = filt(value)
            if value is not sh.NONE:
                self._init[self.slots[k]] = value
        self._self_slot = self.slots.get(sh.SELF)
        self._filters = {k: tuple(nodes[k].get("filters", ()) or ()) for k in data}
        self._input_filters = {k: tuple(faster_filter(f) for f in v) for k, v in self._filters.items() if v}
        self._shortcuts: dict[int, tuple[Any, Any]] = {}
        self.inline_cells = 0
        self.called_cells = 0
        gen = _Gen()
        for f in order:
            self._emit(gen, f, nodes[f])
        src = "def run(V, I, K, S):\n" + ("\n".join(gen.lines) or "    pass") + "\n"
        namespace: dict[str, Any] = {}
        exec(compile(src, "<xlcalc formulas plan>", "exec"), namespace)  # noqa: S102 - our own generated code
        self.source = src
        self._run: Callable[..., None] = namespace["run"]
        self._consts = tuple(gen.consts)

    # ------------------------------------------------------------------ code generation
    def _ref(self, node: Any) -> str:
        if node is self._sh.SELF:
            return "S"
        return f"V[{self.slots[node]}]"

    def _emit(self, gen: _Gen, fid: Any, attr: dict[str, Any]) -> None:
        (out,) = attr["outputs"] if len(attr["outputs"]) == 1 else (None,)
        if out is None:
            raise Unsupported(f"function {fid!r} has {len(attr['outputs'])} outputs")
        fn = attr["function"]
        slot = self.slots[out]
        gen.lines.append(f"    if {slot} not in I:  # {str(out)[:60]!s}".replace("\n", " "))
        body = self._inline_cell(gen, fn, attr) if type(fn).__name__ == "CellWrapper" else None
        if body is None:
            self.called_cells += 1
            args = [self._ref(i) for i in attr["inputs"]]
            body = [f"x = {gen.const(fn)}({', '.join(args)})"]
        else:
            self.inline_cells += 1
        gen.lines.extend("        " + line for line in body)
        filters = [*(attr.get("filters") or ()), *self._filters[out]]
        result = gen.filtered("x", filters)
        gen.lines.append(f"        V[{slot}] = {result}")

    def _inline_cell(self, gen: _Gen, wrapper: Any, attr: dict[str, Any]) -> list[str] | None:
        """Lines computing ``x`` from the cell's inner dispatcher, or None to call the wrapper."""
        sh = self._sh
        cell_args = getattr(wrapper, "parse_args", None)
        cell = getattr(cell_args, "__self__", None)
        pipe = wrapper.func
        inner = getattr(pipe, "dsp", None)
        if cell is None or inner is None or list(attr["inputs"]) != list(cell.inputs):
            return None
        inodes = inner.nodes
        idefaults = inner.default_values
        for n in inodes.values():
            keys = _PLAIN_FUNC_KEYS if n["type"] == "function" else _PLAIN_DATA_KEYS
            # extra inputs (INDEX's "compiling" flag) are plain when they are constants of the cell
            extra = n.get("extra_inputs") or {}
            if n["type"] not in ("data", "function") or not set(n) - {"extra_inputs"} <= keys:
                return None
            if any(k not in idefaults for k in extra):
                return None
        if any(k is sh.SELF or not isinstance(k, str) for k in pipe.inputs):
            return None
        if len(pipe.outputs) != 1:
            return None
        # Inner inputs: Cell._args joins the outer values linked to each inner input.
        links: dict[Any, list[Any]] = collections.defaultdict(list)
        for outer, keys in cell.inputs.items():
            for k in keys:
                links[k].append(outer)
        local: dict[Any, str] = {}
        lines: list[str] = []
        for j, (k, template) in enumerate(pipe.inputs.items()):
            name = f"a{j}"
            outers = links.get(k, [])
            if template is sh.NONE or template is None:
                return None
            if not hasattr(template, "ranges"):
                if len(outers) != 1:
                    return None
                expr = self._ref(outers[0])
            elif len(outers) == 1 and _same_range(template, outers[0], self._filters.get(outers[0], ())):
                expr = self._ref(outers[0])
            else:
                expr = f"{gen.const(_join_args)}({gen.const(template)}, ({''.join(self._ref(o) + ', ' for o in outers)}))"
            lines.append(f"{name} = {gen.filtered(expr, inodes[k].get('filters'))}")
            local[k] = name
        for k, d in idefaults.items():
            if k in local:
                continue
            value = d["value"]
            for filt in inodes[k].get("filters", ()) or ():
                value = filt(value)
            local[k] = gen.const(value)
        ifuncs = [k for k, n in inodes.items() if n["type"] == "function"]
        try:
            order, shadowed = _topo(inodes, inner.dmap.succ, set(local), ifuncs)
        except Unsupported:
            return None
        if shadowed:
            return None
        for t, f in enumerate(order):
            n = inodes[f]
            if len(n["outputs"]) != 1 or any(i not in local for i in n["inputs"]):
                return None
            (o,) = n["outputs"]
            call = f"{gen.const(self._fast(n['function']))}({', '.join(local[i] for i in n['inputs'])})"
            lines.append(f"t{t} = {gen.filtered(call, inodes[o].get('filters'))}")
            local[o] = f"t{t}"
        final = pipe.outputs[0]
        if final not in local:
            return None
        lines.append(f"x = {local[final]}")
        return lines

    def _fast(self, fn: Any) -> Any:
        key = id(fn)
        if key not in self._shortcuts:
            self._shortcuts[key] = (fn, scalar_shortcut(fn) or ranges_shortcut(fn) or index_shortcut(fn) or fn)
        return self._shortcuts[key][1]

    # ------------------------------------------------------------------ running
    def run(self, inputs: Mapping[str, Any]) -> Mapping[str, Any]:
        """Evaluate the model with ``inputs`` (node → raw value, as ``model.calculate`` takes them).

        Returns:
            Node → value, like formulas' solution (Ranges for cells and ranges).

        Raises:
            Fallback: If this recalculation needs formulas' own dispatcher.
        """
        values = list(self._init)
        written: set[int] = set()
        for node, raw in inputs.items():
            slot = self.slots.get(node)
            if slot is None:
                raise Fallback(f"written node {node!r} is not in the model")
            if node in self.inverse_inputs:
                raise Fallback(f"written node {node!r} feeds an inverse function")
            value = raw
            for filt in self._input_filters.get(node, ()):
                value = filt(value)
            values[slot] = value
            written.add(slot)
        solution = _Solution(self.slots, values)
        stand_in = _SelfStandIn(solution)

        try:
            # formulas evaluates element-wise functions under this errstate (it only silences warnings)
            with np.errstate(divide="ignore", invalid="ignore"):
                self._run(values, written, self._consts, stand_in)
        except Exception as exc:  # a function raised: formulas' dispatcher decides what that means
            raise Fallback(f"{type(exc).__name__}: {exc}") from exc
        return solution


def _same_range(template: Any, outer: Any, outer_filters: tuple[Any, ...]) -> bool:
    """True when the inner input is exactly the one cell/range the outer node holds.

    The outer value is then a ``Ranges`` with the same single range, so it can be passed as it
    is instead of being copied into a new ``Ranges`` (what ``Cell._args`` does).
    """
    from formulas.cell import format_output

    if len(template.ranges) != 1 or len(outer_filters) != 1:
        return False
    filt = outer_filters[0]
    if not (isinstance(filt, functools.partial) and filt.func is format_output):
        return False
    return template.ranges[0].get("name") == filt.args[0].get("name") == outer
