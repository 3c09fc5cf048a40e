"""The formula IR: a tiny expression tree that both back ends consume.

Every rule kind lowers to cells whose values are IR expressions. The Python back end
(:mod:`xlcalc.pygen`) turns them into Python source evaluated with Excel semantics
(:mod:`xlcalc.xlruntime`); the Excel back end (:mod:`xlcalc.excelgen`) turns them into formula
text. Nodes are frozen; builders below keep lowering code short and readable.
"""

from __future__ import annotations

from dataclasses import dataclass

from xlcalc import xlruntime

PENDING = "待填"
"""Value of a cell whose inputs are not all filled in."""


class Expr:
    """Base class of IR nodes; operator overloads build BinOp nodes."""

    def __add__(self, other: ExprLike) -> Expr:
        return BinOp("+", self, lift(other))

    def __radd__(self, other: ExprLike) -> Expr:
        return BinOp("+", lift(other), self)

    def __sub__(self, other: ExprLike) -> Expr:
        return BinOp("-", self, lift(other))

    def __rsub__(self, other: ExprLike) -> Expr:
        return BinOp("-", lift(other), self)

    def __mul__(self, other: ExprLike) -> Expr:
        return BinOp("*", self, lift(other))

    def __rmul__(self, other: ExprLike) -> Expr:
        return BinOp("*", lift(other), self)

    def __truediv__(self, other: ExprLike) -> Expr:
        return BinOp("/", self, lift(other))

    def __neg__(self) -> Expr:
        return Neg(self)

    def cmp(self, op: str, other: ExprLike) -> Expr:
        """Comparison node; ``op`` is one of = <> < <= > >=."""
        return BinOp(op, self, lift(other))


ExprLike = Expr | float | int | str | bool


@dataclass(frozen=True, eq=True)
class Num(Expr):
    value: float


@dataclass(frozen=True, eq=True)
class Str(Expr):
    value: str


@dataclass(frozen=True, eq=True)
class Bool(Expr):
    value: bool


@dataclass(frozen=True, eq=True)
class Ref(Expr):
    """The value of another cell of the same unit (input, derived, score...)."""

    cell: str


@dataclass(frozen=True, eq=True)
class Param(Expr):
    """A rubric parameter, a defined name in the workbook."""

    name: str


@dataclass(frozen=True, eq=True)
class Column(Expr):
    """The range of one cell across every unit (for ranking)."""

    cell: str


@dataclass(frozen=True, eq=True)
class ColumnPrefix(Expr):
    """The range of one cell from the first unit down to the current unit."""

    cell: str


@dataclass(frozen=True, eq=True)
class ListRange(Expr):
    """The items of a list-shaped input for the current unit."""

    input: str


@dataclass(frozen=True, eq=True)
class UnitScores(Expr):
    """Every score cell of the current unit (to count pending ones)."""


@dataclass(frozen=True, eq=True)
class Call(Expr):
    fn: str
    args: tuple[Expr, ...]


@dataclass(frozen=True, eq=True)
class BinOp(Expr):
    op: str
    left: Expr
    right: Expr


@dataclass(frozen=True, eq=True)
class Neg(Expr):
    operand: Expr


@dataclass(frozen=True, eq=True)
class NumText(Expr):
    """A number as text, rounded to ``decimals`` and shown without trailing zeros."""

    value: Expr
    decimals: int


@dataclass(frozen=True, eq=True)
class PctText(Expr):
    """A fraction shown as a percentage with fixed decimals, e.g. 0.92 → "92.0%"."""

    value: Expr
    decimals: int


@dataclass(frozen=True, eq=True)
class FixedText(Expr):
    """A number shown with fixed decimals, e.g. 8 → "8.0" (Excel ``TEXT(x,"0.0")``)."""

    value: Expr
    decimals: int


NODE_TYPES: tuple[type[Expr], ...] = (
    Num,
    Str,
    Bool,
    Ref,
    Param,
    Column,
    ColumnPrefix,
    ListRange,
    UnitScores,
    Call,
    BinOp,
    Neg,
    NumText,
    PctText,
    FixedText,
)

# Functions a back end must implement: all evaluate identically in Excel 2010+, WPS and
# LibreOffice. Nothing newer (XLOOKUP, LET, IFS, TEXTJOIN, MAXIFS) is allowed.
FUNCTIONS = frozenset(
    {
        "IF",
        "AND",
        "OR",
        "NOT",
        "MIN",
        "MAX",
        "ROUND",
        "ROUNDUP",
        "INT",
        "ABS",
        "ISNUMBER",
        "SUM",
        "COUNT",
        "COUNTIF",
        "COUNTIFS",
        "SUMIFS",
        "AVERAGE",
        "RANK.EQ",
    }
)


def lift(value: ExprLike) -> Expr:
    """Turn a Python literal into an IR node."""
    if isinstance(value, Expr):
        return value
    if isinstance(value, bool):
        return Bool(value)
    if isinstance(value, int | float):
        return Num(float(value))
    if isinstance(value, str):
        return Str(value)
    raise TypeError(f"cannot lift {value!r} into the formula IR")


def call(fn: str, *args: ExprLike) -> Call:
    if fn not in FUNCTIONS:
        raise ValueError(f"function {fn} is not in the portable function set")
    return Call(fn, tuple(lift(a) for a in args))


def if_(cond: ExprLike, then: ExprLike, other: ExprLike) -> Call:
    return call("IF", cond, then, other)


def _flat(fn: str, conds: tuple[ExprLike, ...]) -> list[Expr]:
    """Operands of a nested AND/OR, flattened; a repeated operand adds nothing and is dropped."""
    out: list[Expr] = []
    for c in conds:
        node = lift(c)
        for arg in node.args if isinstance(node, Call) and node.fn == fn else (node,):
            if arg not in out:
                out.append(arg)
    return out


def and_(*conds: ExprLike) -> Expr:
    flat = _flat("AND", conds)
    return flat[0] if len(flat) == 1 else Call("AND", tuple(flat))


def or_(*conds: ExprLike) -> Expr:
    flat = _flat("OR", conds)
    return flat[0] if len(flat) == 1 else Call("OR", tuple(flat))


def max_(*args: ExprLike) -> Call:
    return call("MAX", *args)


def min_(*args: ExprLike) -> Call:
    return call("MIN", *args)


def round_(value: ExprLike, digits: ExprLike) -> Call:
    return call("ROUND", value, digits)


def isnum(value: ExprLike) -> Call:
    return call("ISNUMBER", value)


def concat(*parts: ExprLike) -> Expr:
    """Text concatenation with ``&``; adjacent literal strings are merged."""
    merged: list[Expr] = []
    flat: list[Expr] = []
    for part in parts:
        flat.extend(_concat_operands(lift(part)))
    for node in flat:
        if isinstance(node, Str) and merged and isinstance(merged[-1], Str):
            merged[-1] = Str(merged[-1].value + node.value)
        elif not (isinstance(node, Str) and node.value == ""):
            merged.append(node)
    if not merged:
        return Str("")
    out = merged[0]
    for node in merged[1:]:
        out = BinOp("&", out, node)
    return out


def _concat_operands(node: Expr) -> list[Expr]:
    if isinstance(node, BinOp) and node.op == "&":
        return _concat_operands(node.left) + _concat_operands(node.right)
    return [node]


def num_text(value: ExprLike, decimals: int = 2) -> Expr:
    """Number as text; a literal folds to its text at compile time."""
    node = lift(value)
    if isinstance(node, Num):
        return Str(xlruntime.num_text(node.value, decimals))
    return NumText(node, decimals)


def pct_text(value: ExprLike, decimals: int = 1) -> Expr:
    node = lift(value)
    if isinstance(node, Num):
        return Str(xlruntime.pct_text(node.value, decimals))
    return PctText(node, decimals)


def fixed_text(value: ExprLike, decimals: int = 1) -> Expr:
    node = lift(value)
    if isinstance(node, Num):
        return Str(xlruntime.fixed_text(node.value, decimals))
    return FixedText(node, decimals)


def walk(expr: Expr) -> list[Expr]:
    """Every node of an expression, parents first (an explicit stack: nested generators made this
    the hot spot of compiling large specs)."""
    out: list[Expr] = []
    stack = [expr]
    while stack:
        e = stack.pop()
        out.append(e)
        if isinstance(e, Call):
            stack.extend(reversed(e.args))
        elif isinstance(e, BinOp):
            stack.append(e.right)
            stack.append(e.left)
        elif isinstance(e, Neg):
            stack.append(e.operand)
        elif isinstance(e, NumText | PctText | FixedText):
            stack.append(e.value)
    return out


def refs(expr: Expr) -> set[str]:
    """Cells of the same unit an expression reads."""
    return {n.cell for n in walk(expr) if isinstance(n, Ref)}


def column_refs(expr: Expr) -> set[str]:
    """Cells an expression reads across every unit."""
    return {n.cell for n in walk(expr) if isinstance(n, Column | ColumnPrefix)}
