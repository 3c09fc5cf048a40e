"""Open a returned workbook (a built template a user filled and saved) against its trusted spec and
check what it is made of: sheets, links, the embedded spec and every formula. ``xlcalc check``,
``xlcalc verify`` on a workbook and the Excel bridge all open returned workbooks this one way.

The file is untrusted: it is read with the bounded reader (:mod:`xlcalc.workbook.untrusted`), only at
the cells the spec's layout names; see :mod:`xlcalc.workbook.embedded` for how its spec is found.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl.utils.cell import get_column_letter, range_boundaries

from xlcalc.cells import Role
from xlcalc.errors import XlcalcError
from xlcalc.spec.model import Spec
from xlcalc.workbook.build import Compiled, build_workbook
from xlcalc.workbook.embedded import meta_id, same_spec, trusted_spec
from xlcalc.workbook.layout import FIRST_ROW, FORMULA_SHEET, PARAM_SHEET, SHEET_NAMES, Layout
from xlcalc.workbook.readback import SPEC_SHEET
from xlcalc.workbook.sheets import param_rows
from xlcalc.workbook.untrusted import Limits, UntrustedBook, cells_of

_STRING = re.compile(r'"(?:[^"]|"")*"')
# written by the bridge into a checked copy (校验) and by collect into the cohort workbook
OPTIONAL_SHEETS = {"校验", "汇总", "问题清单"}


@dataclass
class CheckReport:
    path: str
    structure_problems: list[str] = field(default_factory=list)
    formula_problems: list[str] = field(default_factory=list)
    input_formula_problems: list[str] = field(default_factory=list)
    input_problems: list[str] = field(default_factory=list)
    param_problems: list[str] = field(default_factory=list)
    value_problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def sections(self) -> tuple[tuple[str, list[str]], ...]:
        return (
            ("文件结构与规格来源", self.structure_problems),
            ("公式被修改或覆盖", self.formula_problems),
            ("输入单元格含公式", self.input_formula_problems),
            ("输入不合规", self.input_problems),
            ("参数与规格默认值或评价机关设定的值不同", self.param_problems),
            ("保存的得分与参考评分不一致", self.value_problems),
        )

    @property
    def ok(self) -> bool:
        return not any(items for _, items in self.sections())

    @property
    def unsafe(self) -> list[str]:
        """Findings that make the file unfit to open in a spreadsheet engine for re-scoring."""
        return self.structure_problems + self.input_formula_problems

    def render(self) -> str:
        lines = [f"检查 {self.path}"]
        for title, items in self.sections():
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


# Formula texts repeat across the files of a round (collect checks thousands against one expected
# workbook, each saved by the same application): normalized once. Only short texts are cached, so a
# hostile file's 32,767-character formulas cannot make the cache large (at most ~32 MB).
_normalized = functools.lru_cache(maxsize=1 << 13)(normalize_formula)
_CACHED_CHARS = 1000


def _same_formula(got: str, want: str) -> bool:
    if got == want:
        return True
    if len(got) > _CACHED_CHARS:
        return normalize_formula(got) == _normalized(want)
    return _normalized(got) == _normalized(want)


def _canon(code: str) -> str:
    return code.replace("'", "").replace(" ", "").replace("_xlfn.", "").upper()


@dataclass
class Returned:
    """A returned workbook opened against its trusted spec: what check, verify and the bridge share."""

    book: UntrustedBook
    spec: Spec
    expected: Compiled  # the workbook the trusted spec compiles to, with as many unit rows
    report: CheckReport
    formulas: dict[tuple[str, str], str] = field(default_factory=dict)  # expected cells: file's text

    @property
    def layout(self) -> Layout:
        return self.expected.layout


def open_returned(
    path: str | Path, spec: Spec | None = None, *, use_embedded: bool = False, limits: Limits | None = None
) -> Returned:
    """Open a returned workbook, resolve its trusted spec, and check its structure and formulas."""
    path = Path(path)
    book = UntrustedBook(path, limits)
    report = CheckReport(str(path))
    names = set(book.sheet_names)
    if spec is None and not {SPEC_SHEET, FORMULA_SHEET} <= names:
        missing = SPEC_SHEET if SPEC_SHEET not in names else FORMULA_SHEET
        raise XlcalcError(f"{path}：缺少隐藏工作表“{missing}”，不是 xlcalc 生成的工作簿")
    embedded = book.spec_text(SPEC_SHEET) if SPEC_SHEET in names else ""
    spec, how = trusted_spec(embedded, f"{path}!{SPEC_SHEET}", spec, use_embedded)
    report.notes.append(how)
    if SPEC_SHEET in names and not same_spec(spec, embedded):
        other = meta_id(embedded)
        report.structure_problems.append(
            f"{SPEC_SHEET}!A1：工作簿内嵌的规格与所用规格（{spec.meta.id}）内容不同"
            + (f"（内嵌规格为“{other}”）" if other and other != spec.meta.id else "")
            + "，工作簿可能来自另一规格或被修改"
        )
    n = _unit_count(book, spec, report)
    expected = build_workbook(spec, [f"u{k}" for k in range(n)])
    returned = Returned(book, spec, expected, report)
    check_structure(returned)
    return returned


def _unit_count(book: UntrustedBook, spec: Spec, report: CheckReport) -> int:
    """Unit rows of a ranked workbook: the ``_公式`` index's claim, bounded by the stated maximum and
    by the rows the 填报 sheet really has."""
    if not spec.meta.ranked:
        return 1
    cap = book.limits.units
    claim = 0
    if FORMULA_SHEET in book.sheet_names:
        for k, row in enumerate(book.read(FORMULA_SHEET, "A2:B61")):
            if isinstance(row[1], str) and ":" in row[1]:
                try:
                    _, r1, _, r2 = range_boundaries(row[1])
                except (ValueError, TypeError):
                    report.structure_problems.append(f"{FORMULA_SHEET}!B{k + 2}：公式索引区域“{row[1]}”无效")
                    break
                claim = int(r2 or 0) - int(r1 or 0) + 1
                if claim > cap:
                    report.structure_problems.append(
                        f"{FORMULA_SHEET}!B{k + 2}：公式索引声称有{claim}个单位，超过上限{cap}，只检查前{cap}行"
                    )
                break
    input_sheet = SHEET_NAMES[Role.INPUT]
    want = min(max(claim, 1), cap) if claim else cap
    book.read(input_sheet, f"A{FIRST_ROW}:A{FIRST_ROW + want - 1}")
    real = max(book.rows_seen.get(input_sheet, 0) - FIRST_ROW + 1, 0)
    if claim and real < min(claim, cap):
        report.structure_problems.append(
            f"{FORMULA_SHEET}!B2：公式索引声称有{claim}个单位，但“{input_sheet}”表只有{real}行单位"
        )
    return max(1, min(real, want))


def check_structure(r: Returned) -> None:
    """Sheets, links and formulas of a returned workbook opened against a given expected workbook
    (``collect`` checks many files against one it built once)."""
    _check_sheets(r)
    _check_links(r)
    _check_formulas(r)


def _check_sheets(r: Returned) -> None:
    want = r.expected.workbook.sheetnames
    have = r.book.sheet_names
    missing = [s for s in want if s not in have]
    extra = [s for s in have if s not in want and s not in OPTIONAL_SHEETS]
    for s in missing:
        k = want.index(s)
        renamed = have[k] if k < len(have) and have[k] in extra else None
        if renamed:
            r.report.structure_problems.append(f"{s}：工作表被改名为“{renamed}”")
            extra.remove(renamed)
        else:
            r.report.structure_problems.append(f"{s}：工作表被删除（或改名）")
    r.report.structure_problems += [f"{s}：多出的工作表（模板中没有）" for s in extra]
    for info in r.book.sheets:
        if info.name in want and info.part is None:
            r.report.structure_problems.append(f"{info.name}：工作表的内容部件缺失")


def _check_links(r: Returned) -> None:
    book, report = r.book, r.report
    for target in book.external_links:
        report.structure_problems.append(f"{book.workbook_part}：含有指向其他文件的外部链接（{target}）")
    want = r.expected.workbook.defined_names
    for name, dn in want.items():
        got = book.defined_names.get(name)
        if got is None or normalize_formula(got) != normalize_formula(dn.attr_text or ""):
            report.structure_problems.append(
                f"名称 {name}：应指向 {dn.attr_text}，文件中为 {got if got is not None else '（已删除）'}"
            )


def _input_coords(r: Returned) -> dict[str, set[tuple[int, int]]]:
    """Cells a user types values into: inputs, list items, unit names, parameter values."""
    lay, spec = r.layout, r.spec
    out: dict[str, set[tuple[int, int]]] = {}
    input_sheet = SHEET_NAMES[Role.INPUT]
    for u in range(lay.n_units):
        for cell in lay.role_cells[Role.INPUT]:
            out.setdefault(input_sheet, set()).add(lay.row_col(cell.id, u))
        for li in lay.graph.lists:
            sheet, rng = lay.list_range(li.id, u)
            out.setdefault(sheet, set()).update(cells_of(rng))
        if lay.ranked:
            out[input_sheet].add((FIRST_ROW + u, 1))
    rows = param_rows(spec, r.expected.params_used)
    out.setdefault(PARAM_SHEET, set()).update((row, 2) for row in rows.values())
    return out


def _check_formulas(r: Returned) -> None:
    book, report = r.book, r.report
    present = set(book.sheet_names)
    wanted: dict[str, set[tuple[int, int]]] = {}
    expected: list[tuple[str, int, int, str]] = []
    for sheet, row, col, text in r.expected.formula_cells:
        if sheet in present:
            expected.append((sheet, row, col, text))
            wanted.setdefault(sheet, set()).add((row, col))
    inputs = _input_coords(r)
    for sheet, coords in inputs.items():
        if sheet in present:
            wanted.setdefault(sheet, set()).update(coords)
    param_count = len(r.spec.params) + 2
    wanted.setdefault(PARAM_SHEET, set()).update(cells_of(f"A{FIRST_ROW}:B{FIRST_ROW + param_count}"))
    book.load(wanted)
    for sheet, row, col, want in expected:
        addr = f"{_col(col)}{row}"
        got = book.formula(sheet, row, col)
        if got is None:
            report.formula_problems.append(f"{sheet}!{addr}：公式被覆盖或删除（应为 {want}）")
        else:
            r.formulas[(sheet, addr)] = got
            if not _same_formula(got, want):
                report.formula_problems.append(f"{sheet}!{addr}：公式被修改为 {got}（应为 {want}）")
    for sheet, coords in inputs.items():
        for row, col in sorted(coords):
            if sheet in present and (f := book.formula(sheet, row, col)) is not None:
                report.input_formula_problems.append(
                    f"{sheet}!{_col(col)}{row}：输入单元格应填写数值，却含有公式 {f}"
                )
    for sheet, cell, message in book.problems:
        report.structure_problems.append(f"{sheet}!{cell}：{message}")


def _col(col: int) -> str:
    return get_column_letter(col)
