"""Reading a built (and possibly user-filled) workbook back: its embedded spec's text, its units,
inputs and parameters, through any cell reader (the bounded reader of returned files, an engine
Book, xlwings).

Every workbook carries its spec's YAML text in the hidden sheet ``_规格`` so it can be
re-scored and checked without the original file; that text is untrusted (see
:mod:`xlcalc.workbook.embedded`). Reading never writes to the workbook.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import range_boundaries

from xlcalc.cells import Role
from xlcalc.errors import InputError
from xlcalc.lowering import lower
from xlcalc.scorer import UnitInputs, normalize_value
from xlcalc.spec.model import Spec
from xlcalc.workbook.layout import FIRST_ROW, PARAM_SHEET, SHEET_NAMES, SPEC_SHEET, Layout  # noqa: F401  (SPEC_SHEET re-exported)
from xlcalc.workbook.untrusted import Limits

# read(sheet, "A1:C9") -> rows of values (numbers as float, text as str, blank as None)
CellReader = Callable[[str, str], list[list[Any]]]


@dataclass
class CellProblem:
    sheet: str
    cell: str
    message: str

    def __str__(self) -> str:
        return f"{self.sheet}!{self.cell}：{self.message}"


@dataclass
class ReadBack:
    units: list[UnitInputs]
    params: dict[str, Any]
    problems: list[CellProblem] = field(default_factory=list)


def embedded_spec_text(read: CellReader, used_rows: int, origin: str, limits: Limits | None = None) -> str:
    """The YAML text of a workbook's hidden ``_规格`` sheet, at most ``limits.spec_lines`` rows and
    ``limits.spec_chars`` characters (the sheet's claimed size is not trusted)."""
    lim = limits or Limits()
    if used_rows > lim.spec_lines:
        raise InputError(f"{origin}!{SPEC_SHEET}：内嵌规格超过 {lim.spec_lines} 行，超出检查上限")
    rows = read(SPEC_SHEET, f"A1:A{max(used_rows, 1)}")
    text = (
        "\n".join("" if not r or r[0] is None else str(r[0])[: lim.cell_chars] for r in rows).rstrip() + "\n"
    )
    if len(text) > lim.spec_chars:
        raise InputError(f"{origin}!{SPEC_SHEET}：内嵌规格超过 {lim.spec_chars} 个字符，超出检查上限")
    return text


def make_layout(spec: Spec, n_units: int) -> Layout:

    return Layout(lower(spec), spec.meta.ranked, n_units, spec=spec)


def read_inputs(spec: Spec, layout: Layout, read: CellReader) -> ReadBack:
    """Inputs of every unit and the parameter values, with located problems for bad cells."""
    problems: list[CellProblem] = []
    inputs = {i.id: i for i in spec.inputs}
    input_sheet = SHEET_NAMES[Role.INPUT]
    names: list[str]
    if layout.ranked:
        col = read(input_sheet, f"A{FIRST_ROW}:A{FIRST_ROW + layout.n_units - 1}")
        names = [str(r[0]) if r and r[0] not in (None, "") else f"第{k + 1}行单位" for k, r in enumerate(col)]
    else:
        names = [spec.meta.unit_kind or "本项目"]
    cells = layout.role_cells[Role.INPUT]
    block = _block(read, input_sheet, layout, [c.id for c in cells])
    units: list[UnitInputs] = []
    for u, name in enumerate(names):
        values: dict[str, Any] = {}
        for k, cell in enumerate(cells):
            raw = block[u][k]
            addr = layout.address(cell.id, u)
            try:
                normalize_value(inputs[cell.id], raw, f"{input_sheet}!{addr}")
                values[cell.id] = raw
            except InputError as exc:
                problems.append(CellProblem(input_sheet, addr, str(exc).split("：", 1)[-1]))
        for li in layout.graph.lists:
            sheet, rng = layout.list_range(li.id, u)
            items = [v for row in read(sheet, rng) for v in row if v not in (None, "")]
            try:
                normalize_value(inputs[li.id], items, f"{sheet}!{rng}")
                values[li.id] = items
            except InputError as exc:
                problems.append(CellProblem(sheet, rng, str(exc).split("：", 1)[-1]))
        units.append(UnitInputs(name, values))
    return ReadBack(units, read_params(spec, read, problems), problems)


def _block(read: CellReader, sheet: str, layout: Layout, ids: list[str]) -> list[list[Any]]:
    """Input values as [unit][field], read in one rectangle."""
    if not ids:
        return [[] for _ in range(layout.n_units)]
    if layout.input_positions:  # the national form: inputs scattered over the form's cells
        where = [layout.row_col(i, 0) for i in ids]
        r1, c1 = min(r for r, _ in where), min(c for _, c in where)
        r2, c2 = max(r for r, _ in where), max(c for _, c in where)
        rows = read(sheet, f"{get_column_letter(c1)}{r1}:{get_column_letter(c2)}{r2}")

        def at(r: int, c: int) -> Any:
            line = rows[r - r1] if r - r1 < len(rows) else []
            return line[c - c1] if c - c1 < len(line) else None

        return [[at(r, c) for r, c in where]]
    first = layout.address(ids[0], 0)
    last = layout.address(ids[-1], layout.n_units - 1)
    rows = read(sheet, f"{first}:{last}")
    if layout.ranked:
        return [list(r) + [None] * (len(ids) - len(r)) for r in rows]
    return [[r[0] if r else None for r in rows]]


def read_params(spec: Spec, read: CellReader, problems: list[CellProblem]) -> dict[str, Any]:
    """Parameter values from the 参数 sheet (labels of column A identify rows)."""
    rows = read(PARAM_SHEET, f"A{FIRST_ROW}:B{FIRST_ROW + len(spec.params) + 1}")
    by_label = {p.label: p for p in spec.params}
    out: dict[str, Any] = {}
    for k, row in enumerate(rows):
        if not row or row[0] is None:
            continue
        p = by_label.get(str(row[0]))
        if p is None:
            continue
        value = row[1] if len(row) > 1 else None
        if p.is_choice:
            if value not in [label for _, label in p.choices]:
                problems.append(
                    CellProblem(
                        PARAM_SHEET, f"B{FIRST_ROW + k}", f"参数“{p.label}”的取值“{value}”不在可选值中"
                    )
                )
                continue
        elif not isinstance(value, int | float) or isinstance(value, bool):
            problems.append(
                CellProblem(PARAM_SHEET, f"B{FIRST_ROW + k}", f"参数“{p.label}”应为数字，得到“{value}”")
            )
            continue
        out[p.name] = value
    return out


def n_units_from_index(index_rows: list[list[Any]], cap: int | None = None) -> int:
    """Number of unit rows, from the first ranged block of the formula index (at most ``cap``,
    default :attr:`Limits.units`: the index is part of an untrusted file)."""
    cap = cap or Limits().units
    for row in index_rows:
        if row and len(row) > 1 and isinstance(row[1], str) and ":" in row[1]:
            try:
                _, min_row, _, max_row = range_boundaries(row[1])
            except (ValueError, TypeError):
                return 1
            return max(1, min(int(max_row or 0) - int(min_row or 0) + 1, cap))
    return 1
