"""Build every template: ``<id>.xlsx`` (live formulas, no macro) and ``<id>.xlsm`` beside it."""

from __future__ import annotations

from pathlib import Path

from xlcalc.paths import inside
from xlcalc.spec.model import Spec
from xlcalc.workbook.build import build_workbook, template_name, write_workbook
from xlcalc.workbook.layout import GUIDE_SHEET
from xlcalc.workbook.sheets import BUTTON_CELL
from xlcalc.xlsm import make_xlsm

SPEC_DIR = Path("rubric_specs")
TEMPLATE_DIR = Path("templates")


def build_specs(specs: list[Spec], out: Path, xlsm: bool = True, xlwings: bool = False) -> list[Path]:
    """Each spec's ``.xlsx`` and (``xlsm``) ``.xlsm``; ``xlwings`` embeds xlwings' VBA in the
    ``.xlsm`` (one-click 校验 in desktop Excel; LibreOffice then runs none of its macros)."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for spec in specs:
        xlsx = write_workbook(build_workbook(spec), inside(out, template_name(spec)))
        written.append(xlsx)
        if xlsm:
            target = xlsx.with_suffix(".xlsm")
            tmp = target.with_name(target.name + ".tmp")
            make_xlsm(xlsx, tmp, button_sheet=GUIDE_SHEET, button_cell=BUTTON_CELL, xlwings=xlwings)
            tmp.replace(target)
            written.append(target)
    return written


def spec_paths(spec_dir: Path = SPEC_DIR) -> list[Path]:
    return sorted(spec_dir.glob("*.yaml"))
