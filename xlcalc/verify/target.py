"""What is being verified: a spec (built to a temporary workbook) or a built workbook."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from xlcalc.cells import CellGraph, Role
from xlcalc.errors import XlcalcError
from xlcalc.scorer import Scorer
from xlcalc.spec.loader import load_spec
from xlcalc.spec.model import Spec
from xlcalc.workbook.build import build_workbook, default_units, used_params, write_workbook
from xlcalc.workbook.layout import FIRST_ROW, SHEET_NAMES, Layout
from xlcalc.workbook.returned import open_returned
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


def load_target(
    path: str | Path,
    workdir: Path | None = None,
    units: list[str] | None = None,
    *,
    spec: Spec | None = None,
    use_embedded: bool = False,
) -> Target:
    """A spec (.yaml) is compiled into a temporary workbook; a workbook (untrusted) is read as it is,
    against ``spec`` or the trusted spec its embedded ``meta.id`` names."""
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
    return _workbook_target(path, spec, use_embedded)


def _workbook_target(path: Path, spec: Spec | None, use_embedded: bool) -> Target:
    """A built workbook, read with the bounded reader against its trusted spec (see
    :mod:`xlcalc.workbook.embedded`); a workbook whose structure, links or embedded spec are wrong
    cannot be verified and is refused with its located problems."""

    returned = open_returned(path, spec, use_embedded=use_embedded)
    unsafe = returned.report.unsafe
    if unsafe:
        shown = "\n  ".join(unsafe[:20]) + (f"\n  …另有{len(unsafe) - 20}处" if len(unsafe) > 20 else "")
        raise XlcalcError(f"{path}：工作簿不能用于校验：\n  {shown}")
    lay = returned.layout
    if lay.ranked:
        col = returned.book.read(SHEET_NAMES[Role.INPUT], f"A{FIRST_ROW}:A{FIRST_ROW + lay.n_units - 1}")
        names = [str(r[0]) if r[0] not in (None, "") else f"第{k + 1}行单位" for k, r in enumerate(col)]
    else:
        names = default_units(returned.spec)
    return Target(returned.spec, lay, path, names, returned.formulas)
