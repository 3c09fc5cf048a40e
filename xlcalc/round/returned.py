"""One returned file of a round, read and checked: the units it holds and every problem, located.

Kinds of file: a per-unit workbook from ``distribute`` (it has the ``_轮次`` sheet), the cohort
workbook ``xlcalc build`` makes (checked exactly as ``xlcalc check`` does), and CSV/YAML/JSON inputs
files. Workbooks are untrusted: they are read with the bounded reader, only at the cells the
spec's layout names, and a file that cannot be read at all gives one problem, never an exception.
A value with a problem is left out (blank), never corrected.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xlcalc import check
from xlcalc.cells import Role
from xlcalc.errors import XlcalcError
from xlcalc.inputs import load_inputs
from xlcalc.round.identity import Identity, read_identity
from xlcalc.round.unitbook import UnitTemplate
from xlcalc.spec.model import Spec
from xlcalc.values import normalize_value
from xlcalc.workbook.layout import SHEET_NAMES
from xlcalc.workbook.readback import SPEC_SHEET, read_inputs
from xlcalc.workbook.untrusted import Limits, UntrustedBook

WORKBOOK_SUFFIXES = {".xlsx", ".xlsm"}
INPUT_SUFFIXES = {".csv", ".yaml", ".yml", ".json"}
_LOCATED = re.compile(r"^(?P<where>[^：]{1,300})：(?P<message>.*)$", re.S)


@dataclass
class Problem:
    file: str
    sheet: str
    cell: str
    message: str
    unit: str = ""

    def row(self) -> list[str]:
        return [self.file, self.sheet, self.cell, self.message]


@dataclass
class FileResult:
    """What one file contributes: units with their accepted (normalized) values, and problems."""

    path: str
    kind: str  # unit / cohort / inputs / unreadable / foreign
    units: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def unreadable(self) -> bool:
        return self.kind == "unreadable"


def read_returned(path: Path, template: UnitTemplate, limits: Limits | None = None) -> FileResult:
    """Read and check one returned file; never raises for anything the file contains."""
    suffix = path.suffix.lower()
    try:
        if suffix in INPUT_SUFFIXES:
            return _inputs_file(path, template.spec)
        book = UntrustedBook(path, limits)
        ident = read_identity(book)
        if ident is None:
            return _cohort_workbook(path, template, limits)
        return _unit_workbook(path, book, ident, template)
    except XlcalcError as exc:
        return _unreadable(path, str(exc))
    except (RecursionError, MemoryError) as exc:  # a pathological file, still one problem
        return _unreadable(path, f"{path}：文件无法读取（{type(exc).__name__}）")


def _unreadable(path: Path, message: str) -> FileResult:
    sheet, cell, text = split_location(message, str(path))
    return FileResult(
        str(path), "unreadable", problems=[Problem(str(path), sheet, cell, f"无法读取：{text}")]
    )


def split_location(message: str, path: str = "") -> tuple[str, str, str]:
    """(sheet or part, cell, text) of a located message like ``评分!W4：…`` or ``path（part）：…``."""
    m = _LOCATED.match(message)
    if not m:
        return "", "", message
    where, text = m.group("where"), m.group("message")
    if path and where.startswith(path):
        where = where[len(path) :].strip("（）")
    if "!" in where:
        sheet, cell = where.rsplit("!", 1)
        return sheet, cell, text
    return where, "", text


def _report_problems(path: Path, report: check.CheckReport, unit: str) -> list[Problem]:
    out = []
    for title, items in report.sections():
        for item in items:
            sheet, cell, text = split_location(item, str(path))
            if title == "输入不合规":
                text += "；该项留空（待填）"
            out.append(Problem(str(path), sheet, cell, f"{title}：{text}", unit))
    return out


def _unit_workbook(path: Path, book: UntrustedBook, ident: Identity, template: UnitTemplate) -> FileResult:
    spec = template.spec
    if not ident.same_round(template.identity):
        if ident.spec_id != template.identity.spec_id:
            why = "来自另一评分标准，不是本轮的填报文件"
        elif ident.spec_hash != template.identity.spec_hash:
            why = "来自同一评分标准的另一版本（规格内容不同），不是本轮的填报文件"
        else:
            why = "来自另一轮（评价参数不同），不是本轮的填报文件"
        problem = Problem(str(path), "_轮次", "B2", f"{why}，未汇总", ident.unit)
        return FileResult(str(path), "foreign", problems=[problem])
    report = check.CheckReport(str(path))
    r = check.Returned(book, spec, template.compiled, report)
    check.check_structure(r)
    back = read_inputs(spec, r.layout, book.read)
    report.input_problems += [str(p) for p in back.problems]
    check._params(r, back.params, template.params, "评价机关下发的值")
    name = back.units[0].name if back.units else ""
    problems = _report_problems(path, report, ident.unit)
    if name != ident.unit:
        problems.append(
            Problem(
                str(path),
                SHEET_NAMES[Role.INPUT],
                f"A{r.layout.unit_row(0)}",
                f"单位名称被改为“{name}”，文件是为“{ident.unit}”生成的；按“{ident.unit}”汇总",
                ident.unit,
            )
        )
    values = _accepted(spec, back.units[0].values if back.units else {})
    at = r.layout.address
    problems += fixed_values(
        spec, ident.unit, values, str(path), SHEET_NAMES[Role.INPUT], lambda key: at(key, 0)
    )
    return FileResult(str(path), "unit", [(ident.unit, values)], problems)


def fixed_values(
    spec: Spec, unit: str, values: dict[str, Any], path: str, sheet: str, cell: Callable[[str], str]
) -> list[Problem]:
    """Values ``meta.units`` fixes for the unit (单位层级) replace what the file holds: a different
    value is a problem (a unit cannot move itself to other items), a blank is filled silently."""
    out: list[Problem] = []
    for key, value in spec.meta.fixed_values(unit).items():
        written = values.get(key)
        if written not in (None, "", value):
            label = spec.input(key).label
            message = f"“{label}”被改为“{written}”，评分标准中该单位为“{value}”；按“{value}”汇总"
            out.append(Problem(path, sheet, cell(key), message, unit))
        values[key] = value
    return out


def _accepted(spec: Spec, raw: dict[str, Any]) -> dict[str, Any]:
    """Raw values read_inputs accepted, as workbook cells hold them."""
    inputs = {i.id: i for i in spec.inputs}
    return {k: normalize_value(inputs[k], v, k) for k, v in raw.items() if k in inputs}


def _cohort_workbook(path: Path, template: UnitTemplate, limits: Limits | None) -> FileResult:
    """A cohort workbook (``xlcalc build``): every check of ``xlcalc check``, then its unit rows."""
    spec = template.spec
    report = check.check_workbook(path, spec, params=template.params, limits=limits)
    if any(p.startswith(f"{SPEC_SHEET}!A1") for p in report.structure_problems):
        problem = Problem(str(path), SPEC_SHEET, "A1", "工作簿的评分标准与本轮不同，未汇总")
        return FileResult(str(path), "foreign", problems=[problem])
    r = check.open_returned(path, spec, limits=limits)
    back = read_inputs(spec, r.layout, r.book.read)
    problems = _report_problems(path, report, "")
    units = []
    sheet, at = SHEET_NAMES[Role.INPUT], r.layout.address
    for k, u in enumerate(back.units):
        values = _accepted(spec, dict(u.values))
        fixed = set(spec.meta.fixed_values(u.name))
        if any(v not in (None, []) for key, v in values.items() if key not in fixed):  # filled rows only
            problems += fixed_values(spec, u.name, values, str(path), sheet, lambda key, k=k: at(key, k))
            units.append((u.name, values))
    return FileResult(str(path), "cohort", units, problems)


def _inputs_file(path: Path, spec: Spec) -> FileResult:
    """CSV/YAML/JSON inputs: each bad value is one problem and left blank; the rest is used."""
    units_in = load_inputs(path)
    inputs = {i.id: i for i in spec.inputs}
    result = FileResult(str(path), "inputs")
    for u in units_in:
        where = u.where.removeprefix(str(path)).lstrip(": ") if u.where else u.name
        values: dict[str, Any] = {}
        for key, raw in u.values.items():
            inp = inputs.get(str(key))
            if inp is None:
                result.problems.append(Problem(str(path), "", where, f"未知的输入项“{key}”，未汇总", u.name))
                continue
            try:
                values[inp.id] = normalize_value(inp, raw, "")
            except XlcalcError as exc:
                text = str(exc).lstrip("：")
                result.problems.append(
                    Problem(str(path), "", f"{where} {inp.id}", f"{text}；该项留空（待填）", u.name)
                )
        problems = fixed_values(
            spec, u.name, values, str(path), "", lambda key, where=where: f"{where} {key}"
        )
        result.problems += problems
        result.units.append((u.name, values))
    return result
