"""What is being verified: a spec (built to a temporary workbook) or a built workbook."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl import load_workbook

from xlcalc.cells import CellGraph, Role
from xlcalc.errors import XlcalcError
from xlcalc.scorer import Scorer
from xlcalc.spec.loader import load_spec
from xlcalc.spec.model import Spec
from xlcalc.workbook.build import build_workbook, default_units, used_params, write_workbook
from xlcalc.workbook.layout import FIRST_ROW, FORMULA_SHEET, SHEET_NAMES, Layout
from xlcalc.workbook.readback import SPEC_SHEET, make_layout, n_units_from_index, spec_from_workbook
from xlcalc.workbook.sheets import param_rows


@dataclass
class Target:
    spec: Spec
    layout: Layout
    path: Path
    units: list[str]
    formulas: dict[tuple[str, str], str] = field(repr=False, default_factory=dict)
    scorer: Scorer = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.scorer = Scorer(self.spec)

    @property
    def graph(self) -> CellGraph:
        return self.layout.graph

    @property
    def param_rows(self) -> dict[str, int]:
        return param_rows(self.spec, used_params(self.graph))

    @property
    def name(self) -> str:
        return self.spec.meta.id


def load_target(path: str | Path, workdir: Path | None = None, units: list[str] | None = None) -> Target:
    """A spec (.yaml) is compiled into a temporary workbook; a workbook is read as it is."""
    path = Path(path)
    if path.suffix.lower() in (".yaml", ".yml"):
        spec = load_spec(path)
        compiled = build_workbook(spec, units or default_units(spec))
        out_dir = workdir or Path(tempfile.mkdtemp(prefix="xlcalc-verify-"))
        xlsx = write_workbook(compiled, out_dir / f"{spec.meta.id}.xlsx")
        formulas = {
            (ws.title, c.coordinate): c.value
            for ws in compiled.workbook.worksheets
            for row in ws.iter_rows()
            for c in row
            if isinstance(c.value, str) and c.value.startswith("=")
        }
        return Target(spec, compiled.layout, xlsx, compiled.units, formulas)
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        raise XlcalcError(f"{path}：应为规格文件（.yaml）或工作簿（.xlsx/.xlsm）")
    try:
        wb = load_workbook(path, keep_vba=False)
    except Exception as exc:  # openpyxl raises many types for damaged files
        raise XlcalcError(f"{path}：无法打开工作簿（{exc}）") from exc
    for required in (SPEC_SHEET, FORMULA_SHEET):
        if required not in wb.sheetnames:
            raise XlcalcError(f"{path}：缺少隐藏工作表“{required}”，不是 xlcalc 生成的工作簿")

    def read(sheet: str, rng: str) -> list[list]:
        return [[c.value for c in row] for row in wb[sheet][rng]]

    spec = spec_from_workbook(read, wb[SPEC_SHEET].max_row, str(path))
    n = n_units_from_index(read(FORMULA_SHEET, f"A2:C{max(2, wb[FORMULA_SHEET].max_row)}"))
    layout = make_layout(spec, n)
    formulas = {
        (ws.title, c.coordinate): c.value
        for ws in wb.worksheets
        for row in ws.iter_rows()
        for c in row
        if isinstance(c.value, str) and c.value.startswith("=")
    }
    if spec.meta.ranked:
        col = read(SHEET_NAMES[Role.INPUT], f"A{FIRST_ROW}:A{FIRST_ROW + n - 1}")
        names = [str(r[0]) if r[0] not in (None, "") else f"第{k + 1}行单位" for k, r in enumerate(col)]
    else:
        names = default_units(spec)
    return Target(spec, layout, path, names, formulas)
