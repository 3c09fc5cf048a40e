"""Python back end: the cell graph as one compiled Python function (the reference scorer's core).

Each IR node kind has one method here (``num``, ``binop``...), the twin of
:class:`xlcalc.excelgen.ExcelGenerator`. The generated function evaluates every cell of every
unit with Excel semantics from :mod:`xlcalc.xlruntime`; generating source once and compiling it
keeps scoring fast (tens of thousands of units per second).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from xlcalc import ir, xlruntime
from xlcalc.cells import CellGraph, Role

_FN = {
    "MIN": "xl_min",
    "MAX": "xl_max",
    "ROUND": "xl_round",
    "ROUNDUP": "xl_roundup",
    "INT": "xl_int",
    "ABS": "abs",
    "ISNUMBER": "isnumber",
    "SUM": "xl_sum",
    "COUNT": "xl_count",
    "COUNTIF": "xl_countif",
    "COUNTIFS": "xl_countifs",
    "SUMIFS": "xl_sumifs",
    "AVERAGE": "xl_average",
    "RANK.EQ": "xl_rank_eq",
}

_NUMERIC_FUNCS = frozenset(_FN) - {"ISNUMBER"}
_ARITHMETIC = frozenset("+-*/")
# Every operator the IR may carry, spelled in Python; anything else is refused, never pasted.
_COMPARISON = {"=": "==", "<>": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}


class PythonGenerator:
    """IR → Python expression source, one method per IR node kind."""

    def __init__(self, local_names: dict[str, str], scores: list[str], param_slots: dict[str, str]) -> None:
        self.local_names = local_names
        self.scores = scores
        # Parameter names are spec text: the generated code names them by slot (p0, p1...), never by
        # pasting the name into an identifier; the name itself only appears as a repr() literal.
        self.param_slots = param_slots

    def gen(self, e: ir.Expr) -> str:
        method = getattr(self, type(e).__name__.lower(), None)
        if method is None:
            raise NotImplementedError(f"Unsupported IR node type {type(e).__name__}")
        return method(e)

    def num(self, e: ir.Num) -> str:
        return repr(float(e.value))

    def str(self, e: ir.Str) -> str:
        return repr(e.value)

    def bool(self, e: ir.Bool) -> str:
        return repr(e.value)

    def ref(self, e: ir.Ref) -> str:
        return self.local_names.get(e.cell) or f"v[{e.cell!r}]"

    def param(self, e: ir.Param) -> str:
        return self.param_slots[e.name]

    def column(self, e: ir.Column) -> str:
        return f"COL[{e.cell!r}]"

    def columnprefix(self, e: ir.ColumnPrefix) -> str:
        return f"Prefix(COL[{e.cell!r}], i)"

    def listrange(self, e: ir.ListRange) -> str:
        return f"u[{e.input!r}]"

    def unitscores(self, e: ir.UnitScores) -> str:
        return "[" + ", ".join(self.ref(ir.Ref(k)) for k in self.scores) + "]"

    def neg(self, e: ir.Neg) -> str:
        return f"(-{self.gen(e.operand)})"

    def numtext(self, e: ir.NumText) -> str:
        return f"num_text({self.gen(e.value)}, {int(e.decimals)})"

    def pcttext(self, e: ir.PctText) -> str:
        return f"pct_text({self.gen(e.value)}, {int(e.decimals)})"

    def fixedtext(self, e: ir.FixedText) -> str:
        return f"fixed_text({self.gen(e.value)}, {int(e.decimals)})"

    def binop(self, e: ir.BinOp) -> str:
        if e.op != "&" and e.op not in _ARITHMETIC and e.op not in _COMPARISON:
            raise NotImplementedError(f"Unsupported operator {e.op!r}")
        a, b = self.gen(e.left), self.gen(e.right)
        if e.op == "&":
            return f"({self._text(e.left, a)} + {self._text(e.right, b)})"
        if e.op in _ARITHMETIC:
            return f"({a} {e.op} {b})"
        if e.op in ("=", "<>") and (isinstance(e.left, ir.Str) or isinstance(e.right, ir.Str)):
            # A blank cell equals "" in every spreadsheet (and never equals other text).
            a = a if isinstance(e.left, ir.Str) else f"blank_text({a})"
            b = b if isinstance(e.right, ir.Str) else f"blank_text({b})"
        if e.op in ("=", "<>") or _numeric(e.left) or _numeric(e.right):
            py = _COMPARISON[e.op]
            return f"({a} {py} {b})"
        return f"compare({e.op!r}, {a}, {b})"

    def call(self, e: ir.Call) -> str:
        args = [self.gen(a) for a in e.args]
        match e.fn:
            case "IF":
                return f"({args[1]} if {args[0]} else {args[2]})"
            case "AND":
                return "(" + " and ".join(f"bool({a})" for a in args) + ")"
            case "OR":
                return "(" + " or ".join(f"bool({a})" for a in args) + ")"
            case "NOT":
                return f"(not {args[0]})"
        if e.fn == "ISNUMBER":
            # Every number a cell holds is a float (inputs are normalised, literals are floats).
            return f"(type({args[0]}) is float)"
        if e.fn in ("MIN", "MAX") and not any(_is_range(a) for a in e.args):
            # Scalar arguments are numbers by construction (guarded by ISNUMBER): builtins suffice.
            return f"{e.fn.lower()}({', '.join(args)})"
        return f"{_FN[e.fn]}({', '.join(args)})"

    @staticmethod
    def _text(node: ir.Expr, src: str) -> str:
        textual = isinstance(node, ir.Str | ir.NumText | ir.PctText | ir.FixedText) or (
            isinstance(node, ir.BinOp) and node.op == "&"
        )
        return src if textual else f"text_of({src})"


def _param_names(exprs: Iterable[ir.Expr]) -> set[str]:
    return {n.name for e in exprs for n in ir.walk(e) if isinstance(n, ir.Param)}


def _runtime_namespace() -> dict[str, Any]:
    """The globals generated code runs with: the Excel-semantics runtime's public names."""
    return {name: getattr(xlruntime, name) for name in dir(xlruntime) if not name.startswith("_")}


def _is_range(e: ir.Expr) -> bool:
    return isinstance(e, ir.ListRange | ir.Column | ir.ColumnPrefix | ir.UnitScores)


def _numeric(e: ir.Expr) -> bool:
    if isinstance(e, ir.Num):
        return True
    if isinstance(e, ir.BinOp):
        return e.op in _ARITHMETIC
    if isinstance(e, ir.Call):
        return e.fn in _NUMERIC_FUNCS
    return isinstance(e, ir.Neg)


def generate_source(graph: CellGraph, skip_roles: frozenset[Role] = frozenset()) -> str:
    """Python source of ``run(U, P) -> list[dict]`` evaluating every cell of every unit.

    ``skip_roles`` leaves out cells nothing else reads (explanations, when only scores are wanted).
    """
    exprs = (c.expr for c in graph.cells if c.expr is not None)
    param_slots = {name: f"p{k}" for k, name in enumerate(sorted(_param_names(exprs)))}
    lines = [
        "def run(U, P):",
        "    n = len(U)",
        "    V = [dict() for _ in range(n)]",
        "    COL = {}",
        "    reset_cache()",
        *[f"    {slot} = P[{name!r}]" for name, slot in param_slots.items()],
    ]
    computed: set[str] = set()
    for stratum in graph.strata:
        needed_cols = sorted(
            {c for cell in stratum if cell.expr is not None for c in ir.column_refs(cell.expr)}
        )
        for col in needed_cols:
            lines.append(f"    COL[{col!r}] = [V[j][{col!r}] for j in range(n)]")
        lines.append("    for i in range(n):")
        lines.append("        u = U[i]")
        lines.append("        v = V[i]")
        local: dict[str, str] = {}
        gen = PythonGenerator(local, graph.counted_scores(), param_slots)
        stored: list[str] = []
        for k, cell in enumerate(stratum):
            if cell.role in skip_roles:
                continue
            name = f"c{k}"
            src = f"u.get({cell.id!r})" if cell.expr is None else gen.gen(cell.expr)
            lines.append(f"        {name} = {src}")
            stored.append(f"{cell.id!r}: {name}")
            local[cell.id] = name
            computed.add(cell.id)
        lines.append("        v.update({" + ", ".join(stored) + "})")
    lines.append("    return V")
    return "\n".join(lines) + "\n"


def compile_graph(
    graph: CellGraph, skip_roles: frozenset[Role] = frozenset()
) -> Callable[[list[dict[str, Any]], dict[str, Any]], list[dict[str, Any]]]:
    """Compile the cell graph into a callable ``run(units_inputs, params)``."""
    for cell in graph.cells:
        if cell.role in skip_roles:
            continue
        local, cross = graph.deps(cell)
        needed = [d for d in local | cross if graph.by_id[d].role in skip_roles]
        if needed:
            raise ValueError(f"cell {cell.id} reads skipped cells {needed}")
    source = generate_source(graph, skip_roles)
    namespace = _runtime_namespace()
    namespace["SCORES"] = graph.counted_scores()
    code = compile(source, "<xlcalc scorer>", "exec")
    exec(code, namespace)  # noqa: S102 - source generated from the validated cell graph
    run = namespace["run"]
    run.__source__ = source  # type: ignore[attr-defined]
    return run


def compile_expressions(exprs: list[ir.Expr]) -> Callable[[dict[str, Any], dict[str, Any]], list[Any]]:
    """Compile expressions over one unit's cell values (display cells that show graph cells on
    another sheet) into ``show(v, P) -> [value of each expression]``, with the scorer's runtime.
    Cross-unit references (columns, unit scores) are not supported here."""
    param_slots = {name: f"p{k}" for k, name in enumerate(sorted(_param_names(exprs)))}
    gen = PythonGenerator({}, [], param_slots)
    lines = [
        "def show(v, P):",
        *[f"    {slot} = P[{name!r}]" for name, slot in param_slots.items()],
        "    return [",
        *[f"        {gen.gen(e)}," for e in exprs],
        "    ]",
    ]
    namespace = _runtime_namespace()
    exec(compile("\n".join(lines) + "\n", "<xlcalc display cells>", "exec"), namespace)  # noqa: S102
    return namespace["show"]
