"""Excel back end: IR → formula text, one method per IR node kind.

Formula text is emitted in one pass that knows Excel's operator precedence, so no generated
formula is ever patched with string replacement. Functions newer than Excel 2007 carry the
``_xlfn.`` prefix the file format requires (without it LibreOffice and Excel show #NAME?).
"""

from __future__ import annotations

from typing import Protocol

from xlcalc import ir

# Functions stored with the _xlfn. prefix in the file (Excel 2010+ names).
XLFN = frozenset({"RANK.EQ"})
# Functions the generator itself emits for text nodes (beyond the IR's call set).
EMITTED_FUNCTIONS = frozenset({"TEXT", "ROUND"})

# Excel operator precedence, higher binds tighter.
_PREC = {"&": 2, "=": 1, "<>": 1, "<": 1, "<=": 1, ">": 1, ">=": 1, "+": 3, "-": 3, "*": 4, "/": 4}
_NEG_PREC = 6


class AddressResolver(Protocol):
    """What the generator needs from a workbook layout."""

    def ref(self, cell: str) -> str: ...
    def column(self, cell: str) -> str: ...
    def column_prefix(self, cell: str) -> str: ...
    def list_range(self, input_id: str) -> str: ...
    def unit_scores(self) -> str: ...
    def param(self, name: str) -> str: ...


def format_number(x: float) -> str:
    """A numeric literal as Excel writes it (shortest round-trip form, no trailing .0)."""
    if x == int(x) and abs(x) < 1e15:
        return str(int(x))
    return repr(float(x))


MAX_LITERAL = 255  # characters in one string literal of a formula (Excel's limit)
MAX_FORMULA = 8192  # characters in one formula (Excel's limit)


def _utf16_pieces(text: str, limit: int) -> list[str]:
    """``text`` cut into pieces of at most ``limit`` UTF-16 code units (Excel counts those)."""
    pieces, start, units = [], 0, 0
    for k, ch in enumerate(text):
        width = 2 if ord(ch) > 0xFFFF else 1
        if units + width > limit:
            pieces.append(text[start:k])
            start, units = k, 0
        units += width
    pieces.append(text[start:])
    return pieces


class ExcelGenerator:
    """IR → Excel formula text (without the leading ``=``)."""

    def __init__(self, resolver: AddressResolver) -> None:
        self.r = resolver

    def formula(self, e: ir.Expr) -> str:
        return "=" + self.gen(e)

    def gen(self, e: ir.Expr, parent_prec: int = 0) -> str:
        method = getattr(self, type(e).__name__.lower(), None)
        if method is None:
            raise NotImplementedError(f"Unsupported IR node type {type(e).__name__}")
        if isinstance(e, ir.BinOp | ir.Neg | ir.Num):
            return method(e, parent_prec)
        return method(e)

    def num(self, e: ir.Num, parent_prec: int = 0) -> str:
        text = format_number(e.value)
        return f"({text})" if e.value < 0 and parent_prec > 0 else text

    def str(self, e: ir.Str) -> str:
        # Excel refuses a string literal longer than 255 characters: longer text is joined from pieces.
        pieces = _utf16_pieces(e.value, MAX_LITERAL)
        quoted = ['"' + p.replace('"', '""') + '"' for p in pieces]
        return quoted[0] if len(quoted) == 1 else "(" + "&".join(quoted) + ")"

    def bool(self, e: ir.Bool) -> str:
        return "TRUE" if e.value else "FALSE"

    def ref(self, e: ir.Ref) -> str:
        return self.r.ref(e.cell)

    def param(self, e: ir.Param) -> str:
        return self.r.param(e.name)

    def column(self, e: ir.Column) -> str:
        return self.r.column(e.cell)

    def columnprefix(self, e: ir.ColumnPrefix) -> str:
        return self.r.column_prefix(e.cell)

    def listrange(self, e: ir.ListRange) -> str:
        return self.r.list_range(e.input)

    def unitscores(self, e: ir.UnitScores) -> str:
        return self.r.unit_scores()

    def neg(self, e: ir.Neg, parent_prec: int = 0) -> str:
        return "-" + self.gen(e.operand, _NEG_PREC)

    def numtext(self, e: ir.NumText) -> str:
        # ROUND(x,d)&"" gives Excel's General format: no trailing zeros, 15 digits.
        return f'ROUND({self.gen(e.value)},{e.decimals})&""'

    def pcttext(self, e: ir.PctText) -> str:
        fmt = "0" + ("." + "0" * e.decimals if e.decimals else "") + "%"
        # ROUND first: TEXT alone rounds the binary double in LibreOffice (0.0055 → "0.5%"),
        # ROUND rounds the decimal value in every engine, as the reference scorer does.
        return f'TEXT(ROUND({self.gen(e.value)},{e.decimals + 2}),"{fmt}")'

    def fixedtext(self, e: ir.FixedText) -> str:
        fmt = "0" + ("." + "0" * e.decimals if e.decimals else "")
        return f'TEXT(ROUND({self.gen(e.value)},{e.decimals}),"{fmt}")'

    def binop(self, e: ir.BinOp, parent_prec: int = 0) -> str:
        prec = _PREC[e.op]
        if e.op == "&":
            # & is associative and converts numbers itself: ROUND(x,2) needs no &"" inside it.
            left, right = self._concat_operand(e.left, prec), self._concat_operand(e.right, prec)
            text = f"{left}&{right}"
            return f"({text})" if prec < parent_prec else text
        left = self.gen(e.left, prec)
        # Right operand of a left-associative operator needs parentheses at equal precedence.
        right = self.gen(e.right, prec + 1)
        text = f"{left}{e.op}{right}"
        return f"({text})" if prec < parent_prec else text

    def _concat_operand(self, e: ir.Expr, prec: int) -> str:
        if isinstance(e, ir.NumText):
            return f"ROUND({self.gen(e.value)},{e.decimals})"
        return self.gen(e, prec)

    def call(self, e: ir.Call) -> str:
        name = ("_xlfn." + e.fn) if e.fn in XLFN else e.fn
        return f"{name}({','.join(self.gen(a) for a in e.args)})"
