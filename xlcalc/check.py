"""``xlcalc check FILLED.xlsx``: audit a workbook a user filled and saved in Excel, WPS or
LibreOffice, without modifying it.

Reports, in Chinese: formulas overwritten or edited (against what the embedded spec compiles to),
inputs outside their declared ranges or of the wrong type, and scores the spreadsheet saved that
differ from what the reference scorer computes from the same inputs.
"""

from __future__ import annotations

import argparse
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from xlcalc.errors import XlcalcError
from xlcalc.scorer import Scorer, resolve_params
from xlcalc.verify.target import load_target
from xlcalc.workbook.build import build_workbook
from xlcalc.workbook.readback import read_inputs

_STRING = re.compile(r'"(?:[^"]|"")*"')


@dataclass
class CheckReport:
    path: str
    formula_problems: list[str] = field(default_factory=list)
    input_problems: list[str] = field(default_factory=list)
    value_problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.formula_problems or self.input_problems or self.value_problems)

    def render(self) -> str:
        lines = [f"检查 {self.path}"]
        sections = (
            ("公式被修改或覆盖", self.formula_problems),
            ("输入不合规", self.input_problems),
            ("保存的得分与参考评分不一致", self.value_problems),
        )
        for title, items in sections:
            lines.append(f"{title}：{len(items)}处" if items else f"{title}：无")
            lines += [f"  {x}" for x in items[:50]]
            if len(items) > 50:
                lines.append(f"  …另有{len(items) - 50}处")
        lines += self.notes
        lines.append("结论：" + ("通过" if self.ok else "发现问题"))
        return "\n".join(lines)


def normalize_formula(formula: str) -> str:
    """Formula text as engines may re-save it: sheet-name quotes, case, spaces and the _xlfn. prefix
    outside string literals do not matter."""
    parts: list[str] = []
    pos = 0
    for m in _STRING.finditer(formula):
        parts.append(_canon(formula[pos : m.start()]))
        parts.append(m.group(0))
        pos = m.end()
    parts.append(_canon(formula[pos:]))
    return "".join(parts)


def _canon(code: str) -> str:
    return code.replace("'", "").replace(" ", "").replace("_xlfn.", "").upper()


def _same_value(expected: Any, saved: Any) -> bool:
    if isinstance(expected, str) or expected is None:
        return (saved or "") == (expected or "")
    if isinstance(saved, bool) or not isinstance(saved, int | float):
        return False
    return math.isclose(float(expected), float(saved), rel_tol=1e-9, abs_tol=1e-9)


def check_workbook(path: str | Path) -> CheckReport:
    path = Path(path)
    target = load_target(path)  # embedded spec, layout and the file's formulas; never writes
    report = CheckReport(str(path))
    expected_wb = build_workbook(target.spec, [f"u{k}" for k in range(target.layout.n_units)]).workbook
    for ws in expected_wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                want = c.value
                if not (isinstance(want, str) and want.startswith("=")):
                    continue
                got = target.formulas.get((ws.title, c.coordinate))
                if got is None:
                    report.formula_problems.append(
                        f"{ws.title}!{c.coordinate}：公式被覆盖或删除（应为 {want}）"
                    )
                elif normalize_formula(got) != normalize_formula(want):
                    report.formula_problems.append(
                        f"{ws.title}!{c.coordinate}：公式被修改为 {got}（应为 {want}）"
                    )
    try:
        values_wb = load_workbook(path, data_only=True, read_only=False)
    except Exception as exc:  # openpyxl raises many kinds for damaged files
        raise XlcalcError(f"{path}：无法读取保存的计算结果（{exc}）") from exc

    def read(sheet: str, rng: str) -> list[list[Any]]:
        return [[c.value for c in row] for row in values_wb[sheet][rng]]

    back = read_inputs(target.spec, target.layout, read)
    report.input_problems += [str(p) for p in back.problems]
    scorer = Scorer(target.spec)
    params = resolve_params(target.spec, back.params)
    rows = []
    for u in back.units:
        try:
            rows.append(scorer.normalize(u))
        except XlcalcError:
            rows.append({i.id: None for i in target.spec.inputs})
    cells = scorer.evaluate(rows, params)
    lay = target.layout
    any_cached = False
    for cid in lay.positions:
        cell = target.graph.by_id[cid]
        if cell.expr is None or cell.kind not in ("score", "indicator", "grade", "status"):
            continue
        sheet = lay.sheet_of(cid)
        for u in range(lay.n_units):
            addr = lay.address(cid, u)
            saved = values_wb[sheet][addr].value
            if saved is None:
                continue
            any_cached = True
            if not _same_value(cells[u][cid], saved):
                report.value_problems.append(
                    f"{sheet}!{addr}（{cell.label}，{back.units[u].name}）：文件保存的值 {saved!r}，参考评分 {cells[u][cid]!r}"
                )
    if not any_cached:
        report.notes.append(
            "注意：文件未保存计算结果（未在 Excel/WPS/LibreOffice 中打开并保存过），只检查了公式与输入。"
        )
    return report


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "check", help="check a filled workbook: edited formulas, bad inputs, saved scores (read-only)"
    )
    p.add_argument("workbooks", nargs="+")
    p.set_defaults(func=cmd_check)


def cmd_check(args: argparse.Namespace) -> int:
    status = 0
    for wb in args.workbooks:
        report = check_workbook(wb)
        print(report.render())
        status = max(status, 0 if report.ok else 1)
    return status
