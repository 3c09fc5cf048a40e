"""Code generation for the fast formulas plan: one formula cell's inner dispatcher as Python lines.

formulas compiles each cell's formula into a small dispatcher (a node per sub-expression). The
plan replaces it with straight-line code calling the same function objects in dependency order
(:class:`CellInliner`), with two savings that do not change any value:

* **Constant folding.** A sub-expression whose inputs are all constants of the formula
  (``1-0.9``, ``"是"&"否"``) is computed once, when the plan is built, by formulas' own
  element-wise function (those are pure: ``wrap_ufunc``).
* **Lazy IF.** formulas evaluates both branches of every IF; Excel evaluates one. In a rubric's
  explanation texts the branch not taken is most of the work. IF's value depends on the branch
  not taken only through its shape (broadcasting), so when the condition is one cell and the
  other branch is known when the plan is built to be one value (a constant, one cell, or an
  element-wise function of such), only the chosen branch is computed and the other is passed
  as ``""``. Which branch IF takes is asked of IF itself (with two marker texts), so formulas'
  own rules for text, blank and error conditions decide it; IF's value is then built from the
  taken branch (:mod:`.formulas_if`).
"""

from __future__ import annotations

import collections
import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from .formulas_if import branch_taken, taken_value
from .formulas_order import Unsupported, topo
from .formulas_scalar import faster_filter, scalar_shortcut
from .formulas_text import concat_shortcut

__all__ = ["UNSET", "CellInliner", "Source", "join_args"]

UNSET = object()
_PLAIN_FUNC_KEYS = frozenset({"type", "inputs", "outputs", "function", "wait_inputs", "index", "solve_cycle"})
_PLAIN_DATA_KEYS = frozenset({"type", "wait_inputs", "index", "filters"})
# Functions whose value is one value whatever their arguments, and element-wise ones beyond the
# wrap_ufunc family (the IS functions; parentheses compile to schedula's bypass).
_REDUCTIONS = frozenset({"AND", "OR", "SUM", "MAX", "MIN", "COUNT", "COUNTA", "AVERAGE", "PRODUCT"})
_ELEMENTWISE = frozenset({"ISNUMBER", "ISTEXT", "ISBLANK", "ISERROR", "ISERR", "ISLOGICAL", "NOT"})


class Source:
    """Accumulates generated source lines and the constants they refer to (``K[i]``)."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.consts: list[Any] = []
        self._ids: dict[int, int] = {}
        self._faster: dict[int, Any] = {}
        self._names = 0

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

    def name(self) -> str:
        """A fresh local variable name."""
        self._names += 1
        return f"t{self._names}"


def join_args(template: Any, values: tuple[Any, ...]) -> Any:
    """``formulas.cell.Cell._args`` for one inner input fed by several outer nodes."""
    from formulas.ranges import Ranges

    out = Ranges(template.ranges)
    for v in values:
        try:
            out.values.update(v.values)
        except AttributeError:  # a reference value, not a range
            out = v
    return out


@dataclass
class _Cell:
    """One formula's inner graph while its code is generated."""

    inodes: Mapping[Any, dict[str, Any]]
    producer: Mapping[Any, Any]  # inner data node -> the function node computing it
    single: Mapping[Any, bool]  # inner data node -> known to be one value
    lines: list[str]
    uses: Mapping[Any, int]  # inner data node -> how many function inputs read it


class CellInliner:
    """Generates the lines computing ``x`` (a cell's value) from its inner dispatcher.

    Args:
        src: The plan's source being generated.
        ref: Outer node → expression reading its value.
        outer_filters: Outer node → its data-node filters.
        fast: formulas function object → the object to call (a shortcut or itself).
    """

    def __init__(
        self,
        src: Source,
        ref: Callable[[Any], str],
        outer_filters: Mapping[Any, tuple[Any, ...]],
        fast: Callable[[Any], Any],
    ):
        from formulas.functions.logic import FUNCTIONS

        self.src = src
        self.ref = ref
        self.outer_filters = outer_filters
        self.fast = fast
        from formulas.functions.operators import OPERATORS

        self.if_fn = FUNCTIONS["IF"]["function"]
        self.amp = OPERATORS["&"]
        self.concat = concat_shortcut(fast(self.amp))
        self.decide = branch_taken(fast(self.if_fn))
        self.taken_value = taken_value(fast(self.if_fn))
        self.lazy_ifs = 0

    def lines(self, wrapper: Any, attr: dict[str, Any]) -> list[str] | None:
        """The cell's lines, or None when the cell must be called through its own wrapper."""
        import schedula as sh

        cell = getattr(getattr(wrapper, "parse_args", None), "__self__", None)
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
        if any(k is sh.SELF or not isinstance(k, str) for k in pipe.inputs) or len(pipe.outputs) != 1:
            return None
        cell_lines = self._inputs(cell, pipe, inodes)
        if cell_lines is None:
            return None
        lines, local, single = cell_lines
        known: dict[Any, Any] = {}  # inner nodes whose value is a constant of the formula
        for k, d in idefaults.items():
            if k in local:
                continue
            value = d["value"]
            for filt in inodes[k].get("filters", ()) or ():
                value = filt(value)
            local[k] = self.src.const(value)
            known[k] = value
            single[k] = _one_value(value)
        ifuncs = [k for k, n in inodes.items() if n["type"] == "function"]
        try:
            order, shadowed = topo(inodes, inner.dmap.succ, set(local), ifuncs)
        except Unsupported:
            return None
        if shadowed:
            return None
        producer: dict[Any, Any] = {}
        for f in order:
            n = inodes[f]
            if len(n["outputs"]) != 1:
                return None
            (o,) = n["outputs"]
            producer[o] = f
            folded = UNSET
            if all(i in known for i in n["inputs"]):
                folded = _fold(n["function"], [known[i] for i in n["inputs"]], inodes[o])
            if folded is not UNSET:
                known[o] = folded
                local[o] = self.src.const(folded)
            single[o] = single.get(o, False) or self._one_value_out(f, n, single)
        final = pipe.outputs[0]
        if final not in local and final not in producer:
            return None
        uses = collections.Counter(i for f in order for i in inodes[f]["inputs"])
        uses[final] += 1  # the cell reads it
        name = self._emit(final, _Cell(inodes, producer, single, lines, uses), local, "")
        lines.append(f"x = {name}")
        return lines

    # ------------------------------------------------------------------ inputs and shapes
    def _inputs(
        self, cell: Any, pipe: Any, inodes: Mapping[Any, dict[str, Any]]
    ) -> tuple[list[str], dict[Any, str], dict[Any, bool]] | None:
        """Lines reading the cell's inputs (``a0``, ``a1``...), their names, and which are one cell."""
        import schedula as sh

        # Inner inputs: Cell._args joins the outer values linked to each inner input.
        links: dict[Any, list[Any]] = collections.defaultdict(list)
        for outer, keys in cell.inputs.items():
            for k in keys:
                links[k].append(outer)
        local: dict[Any, str] = {}
        single: dict[Any, bool] = {}
        lines: list[str] = []
        for j, (k, template) in enumerate(pipe.inputs.items()):
            name = f"a{j}"
            outers = links.get(k, [])
            if template is sh.NONE or template is None:
                return None
            if not hasattr(template, "ranges"):
                if len(outers) != 1:
                    return None
                expr = self.ref(outers[0])
            elif len(outers) == 1 and same_range(template, outers[0], self.outer_filters.get(outers[0], ())):
                expr = self.ref(outers[0])
            else:
                joined = "".join(self.ref(o) + ", " for o in outers)
                expr = f"{self.src.const(join_args)}({self.src.const(template)}, ({joined}))"
            lines.append(f"{name} = {self.src.filtered(expr, inodes[k].get('filters'))}")
            local[k] = name
            single[k] = _one_cell(template)
        return lines, local, single

    def _one_value_out(self, key: Any, n: dict[str, Any], single: Mapping[Any, bool]) -> bool:
        """Known at build time to be one value: a reduction (``SUM(B4:B13)``), or an element-wise
        function of one-value inputs. formulas names an inner function node after its function
        (``AND``, ``AND<1>``, ``ISNUMBER<0>``)."""
        import schedula as sh

        name = str(key).split("<")[0]
        if name in _REDUCTIONS:
            return True
        fn = n["function"]
        elementwise = name in _ELEMENTWISE or fn is sh.bypass or scalar_shortcut(fn) is not None
        return elementwise and all(single.get(i, False) for i in n["inputs"])

    # ------------------------------------------------------------------ emission
    def _emit(self, node: Any, cell: _Cell, local: dict[Any, str], indent: str) -> str:
        """Emit (into ``lines``, at ``indent``) what computes ``node``; return its expression.

        ``local`` holds what is computed in this scope and the enclosing ones; a branch of a lazy
        IF gets a copy, so what it computes is not visible after the IF (computed again if needed).
        """
        if node in local:
            return local[node]
        n = cell.inodes[cell.producer[node]]
        inputs = n["inputs"]
        call_fn = self.src.const(self.fast(n["function"]))
        if n["function"] is self.if_fn and len(inputs) == 3:
            cond = self._emit(inputs[0], cell, local, indent)
            x_node, y_node = inputs[1], inputs[2]
            pending = x_node not in local or y_node not in local
            if pending and cell.single.get(x_node, False) and cell.single.get(y_node, False):
                return self._lazy_if(node, (cond, x_node, y_node), cell, local, indent)
        if n["function"] is self.amp:
            inputs = self._joined(node, cell, local)
            if len(inputs) > 2:
                call_fn = self.src.const(self.concat)
        args = ", ".join(self._emit(i, cell, local, indent) for i in inputs)
        name = self.src.name()
        call = self.src.filtered(f"{call_fn}({args})", cell.inodes[node].get("filters"))
        cell.lines.append(f"{indent}{name} = {call}")
        local[node] = name
        return name

    def _joined(self, node: Any, cell: _Cell, local: Mapping[Any, str]) -> list[Any]:
        """The operands of a chain of ``&`` ending at ``node`` (``"得"&D19&"分"`` parses as
        ``("得"&D19)&"分"``), through inner results read only by the next ``&``, unfiltered and
        not computed yet; :func:`.formulas_text.concat_shortcut` joins them in one call."""
        operands: list[Any] = []
        stack = list(reversed(cell.inodes[cell.producer[node]]["inputs"]))
        while stack:
            x = stack.pop()
            f = cell.producer.get(x)
            if (
                f is None
                or x in local
                or cell.inodes[f]["function"] is not self.amp
                or cell.uses.get(x, 0) != 1
                or cell.inodes[x].get("filters")
            ):
                operands.append(x)
            else:
                stack.extend(reversed(cell.inodes[f]["inputs"]))
        return operands

    def _lazy_if(
        self,
        node: Any,
        args: tuple[str, Any, Any],
        cell: _Cell,
        local: dict[Any, str],
        indent: str,
    ) -> str:
        """IF computing only the branch its condition takes (see the module doc)."""
        cond, x_node, y_node = args
        lines = cell.lines
        self.lazy_ifs += 1
        taken = self.src.name()
        lines.append(f"{indent}{taken} = {self.src.const(self.decide)}({cond})")
        branch_values = []
        for which, branch in ((1, x_node), (2, y_node)):
            var = self.src.name()
            lines.append(f"{indent}if {taken} == {which} or {taken} == 0:")
            scope = dict(local)
            value = self._emit(branch, cell, scope, indent + "    ")
            lines.append(f"{indent}    {var} = {value}")
            lines.append(f"{indent}else:")
            lines.append(f'{indent}    {var} = ""')
            branch_values.append(var)
        name = self.src.name()
        call = f"{self.src.const(self.taken_value)}({taken}, {cond}, {branch_values[0]}, {branch_values[1]})"
        lines.append(f"{indent}{name} = {self.src.filtered(call, cell.inodes[node].get('filters'))}")
        local[node] = name
        return name


def _one_cell(template: Any) -> bool:
    ranges = getattr(template, "ranges", None)
    if not ranges or len(ranges) != 1:
        return False
    r = ranges[0]
    return str(r.get("r1")) == str(r.get("r2")) and r.get("n1") == r.get("n2") and r.get("n1") is not None


def _one_value(value: Any) -> bool:
    if isinstance(value, np.ndarray):
        return value.size == 1 and value.ndim in (0, 2)
    return isinstance(value, (bool, int, float, str, np.bool_, np.float64, np.int64))


def same_range(template: Any, outer: Any, outer_filters: tuple[Any, ...]) -> bool:
    """True when the inner input is exactly the one cell/range the outer node holds (the node
    of that cell, or a defined name standing for it).

    The outer value is then a ``Ranges`` with the same single range, so it can be passed as it
    is instead of being copied into a new ``Ranges`` (what ``Cell._args`` does).
    """
    from formulas.cell import format_output

    if len(template.ranges) != 1 or len(outer_filters) != 1:
        return False
    filt = outer_filters[0]
    if not (isinstance(filt, functools.partial) and filt.func is format_output):
        return False
    inner, held = template.ranges[0], filt.args[0]
    if inner.get("name") != held.get("name"):
        return False
    # a cell node is named after its range; a defined name (P_score_decimals) holds the very range
    return outer == inner.get("name") or inner == held


def _fold(fn: Any, values: list[Any], out_node: dict[str, Any]) -> Any:
    """The value of an inner node all of whose inputs are constants of the formula (``"是"&"否"``,
    ``1-0.9``), computed once when the plan is built, or ``UNSET``.

    Only element-wise functions (``wrap_ufunc``: pure by construction) are folded; impure ones
    (NOW, RAND, INDEX's references) and anything that raises are left to run every time.
    """
    if scalar_shortcut(fn) is None:
        return UNSET
    try:
        with np.errstate(divide="ignore", invalid="ignore"):
            value = fn(*values)
            for filt in out_node.get("filters", ()) or ():
                value = filt(value)
    except Exception:  # noqa: BLE001 - evaluated every time instead, where formulas decides
        return UNSET
    return value
