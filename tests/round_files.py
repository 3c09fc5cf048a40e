"""Per-unit workbooks of a 安庆 round for the fast tests: distributed, then filled by openpyxl (the
engine test types them in LibreOffice instead)."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import openpyxl
from conftest import ANQING, ROOT

from xlcalc.cells import Role
from xlcalc.inputs import load_inputs
from xlcalc.round.unitbook import UnitTemplate, unit_template
from xlcalc.scorer import Scorer, resolve_params
from xlcalc.spec.loader import load_spec
from xlcalc.spec.model import Spec
from xlcalc.workbook.layout import SHEET_NAMES

EXAMPLE = ROOT / "examples" / "anqing_2023_units.yaml"


@functools.cache
def spec() -> Spec:
    return load_spec(ANQING)


@functools.cache
def template() -> UnitTemplate:
    return unit_template(spec(), resolve_params(spec()))


@functools.cache
def example_values() -> dict[str, dict[str, Any]]:
    scorer = Scorer(spec())
    return {u.name: scorer.normalize(u) for u in load_inputs(EXAMPLE)}


def fill(path: Path, values: dict[str, Any], edit=None) -> Path:
    """Type the values into a per-unit workbook with openpyxl; ``edit(wb)`` tampers before saving."""
    lay = template().compiled.layout
    wb = openpyxl.load_workbook(path)
    ws = wb[SHEET_NAMES[Role.INPUT]]
    for cell in lay.role_cells[Role.INPUT]:
        ws.cell(*lay.row_col(cell.id, 0)).value = values.get(cell.id)
    for li in lay.graph.lists:
        items = wb[lay.list_range(li.id, 0)[0]]
        for k, item in enumerate(values.get(li.id) or []):
            items.cell(row=4, column=2 + k).value = item
    if edit:
        edit(wb)
    wb.save(path)
    return path


def unit_file(folder: Path, unit: str, values: dict[str, Any] | None = None, edit=None) -> Path:
    """One unit's distributed file, filled with its example values (or ``values``)."""
    path = folder / f"{unit}.xlsx"
    path.write_bytes(template().package(unit))
    return fill(path, example_values()[unit] if values is None else values, edit)
