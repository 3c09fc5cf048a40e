"""xlcalc.bridge: the 校验 logic against real spreadsheets (LibreOffice), xlwings on Linux, the recalc macro.

What runs where:

* verify_book / write_check_sheet run through :class:`EngineBook` against the 安庆 workbook built
  by the compiler, filled with the example inputs and recalculated by LibreOffice (headless).
* :class:`XlwingsBook` runs against real ``xlwings.Book`` objects that xlwings builds without
  Excel (its "remote" engine, fed with the values LibreOffice computed) -- only where an xlwings
  licence key is set (``XLWINGS_LICENSE_KEY``; ``noncommercial`` is xlwings' key for
  non-commercial use), since that engine is part of xlwings PRO. The COM/appscript protection
  calls are tested against stand-in objects only: no Excel exists here.
* The recalculation macro (recalc.bas) runs in LibreOffice's VBA interpreter on a compiled
  workbook whose formulas were overwritten.
"""

from __future__ import annotations

import importlib
import os
import shutil
import subprocess
import sys
import warnings
from datetime import datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.utils import get_column_letter

import xlcalc.bridge as bridge
from xlcalc.bridge import (
    CHECK_HEADERS,
    CHECK_SHEET,
    BridgeError,
    BridgeReport,
    EngineBook,
    SheetProtectedError,
    XlwingsBook,
    values_match,
    verify_book,
    write_check_sheet,
)
from xlcalc.cells import Role
from xlcalc.engines.base import ErrorValue
from xlcalc.inputs import load_inputs
from xlcalc.scorer import Scorer, UnitInputs
from xlcalc.spec.loader import load_spec
from xlcalc.workbook.build import Compiled, build_workbook, write_workbook

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "rubric_specs" / "anqing_2023.yaml"
EXAMPLE = ROOT / "examples" / "anqing_2023_units.yaml"
FIXED_TIME = datetime(2024, 5, 6, 7, 8, 9)


def _clock() -> datetime:
    return FIXED_TIME


# ---------------------------------------------------------------------------------- pure logic


@pytest.mark.parametrize(
    ("workbook", "reference", "expected"),
    [
        (4.0, 4, True),
        (4.0 + 5e-10, 4.0, True),
        (4.0 + 1e-8, 4.0, False),
        (80.29, 80.29, True),
        ("待填", "待填", True),
        ("待填", 0.0, False),
        (0.0, "待填", False),
        (None, "", True),
        ("", None, True),
        (None, 0.0, False),
        ("得4分", "得4分 ", False),
        (ErrorValue("#DIV/0!"), "#DIV/0!", True),
        (ErrorValue("#VALUE!"), 3.0, False),
        (True, 1.0, False),  # a boolean in the sheet is never a score (as verify and check)
        (float("nan"), float("nan"), False),
    ],
)
def test_values_match(workbook: Any, reference: Any, expected: bool) -> None:
    assert values_match(workbook, reference) is expected


def test_report_summary_counts() -> None:
    ok = bridge.CheckRow("甲", 0, "a", "A", "评分!B4", 1.0, 1.0, True, "得1分", "得1分", "扣分说明!C4", True)
    bad_score = bridge.CheckRow("甲", 0, "b", "B", "评分!C4", 2.0, 1.0, False)
    bad_why = bridge.CheckRow("乙", 1, "a", "A", "评分!B5", 1.0, 1.0, True, "x", "y", "扣分说明!C5", False)
    report = BridgeReport("w.xlsx", "s", "t", 2, [ok, bad_score, bad_why])
    assert report.summary() == "共3项，2项不一致（得分不一致1项，说明不一致1项）"
    assert [r.node_id for r in report.failed_rows] == ["b", "a"]
    # Each differing cell is the comparison core's record: the score of b, the explanation of a.
    assert [(m.sheet, m.cell, m.cell_id, m.unit, m.expected, m.actual) for m in report.mismatches] == [
        ("评分", "C4", "b", "甲", 1.0, 2.0),
        ("扣分说明", "C5", "a__why", "乙", "x", "y"),
    ]
    assert report.mismatches[0].saved_line("工作簿的值") == "评分!C4（B，甲）：工作簿的值 2.0，参考评分 1.0"
    assert not report.ok


# ---------------------------------------------------------------------------------- Linux: xlwings entries


@pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="Excel may exist on this platform")
@pytest.mark.parametrize("entry", ["verify_caller", "main"])
def test_entries_fail_clearly_without_excel(entry: str) -> None:
    with pytest.raises(BridgeError) as caught:
        getattr(bridge, entry)()
    message = str(caught.value)
    assert message.startswith("校验只能从桌面 Excel（Windows 或 macOS）中运行")
    assert "python -m xlcalc.bridge check" in message
    # A clear error, not xlwings' own exception chained from deep inside it.
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


@pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="Excel may exist on this platform")
def test_bridge_imports_in_a_fresh_interpreter_and_says_why_it_cannot_run() -> None:
    """What a user sees running the entry outside Excel: one short traceback ending in Chinese."""
    done = subprocess.run(
        [sys.executable, "-c", "import xlcalc.bridge as b; b.verify_caller()"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 1
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("xlcalc.bridge.BridgeError: 校验只能从桌面 Excel（Windows 或 macOS）中运行")
    frames = [line for line in done.stderr.splitlines() if line.startswith('  File "')]
    assert all("xlwings" not in frame for frame in frames), frames  # no frame from inside xlwings
    assert "During handling of the above exception" not in done.stderr


def test_write_runner(tmp_path: Path) -> None:
    workbook = tmp_path / "anqing_2023.xlsx"
    workbook.write_bytes(b"")
    runner = bridge.write_runner(workbook)
    assert runner == tmp_path / "anqing_2023.py"
    sys.path.insert(0, str(tmp_path))
    try:
        module = importlib.import_module("anqing_2023")
        assert module.main is bridge.main
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("anqing_2023", None)
    with pytest.raises(BridgeError, match="模块名"):
        bridge.write_runner(tmp_path / "安庆 2023.xlsx")


# ---------------------------------------------------------------------------------- XlwingsBook: protection calls
# Stand-ins for sheet.api: the COM Worksheet on Windows and the appscript reference on macOS.
# They only record calls; whether real Excel accepts them was not tested (no Excel here).


class _ComSheetApi:
    def __init__(self, protected: bool) -> None:
        self.ProtectContents = protected
        self.calls: list[tuple[str, str]] = []

    def Unprotect(self, password: str) -> None:  # noqa: N802 - COM method name
        self.calls.append(("Unprotect", password))
        self.ProtectContents = False

    def Protect(self, password: str) -> None:  # noqa: N802 - COM method name
        self.calls.append(("Protect", password))
        self.ProtectContents = True


class _AppscriptProperty:
    def __init__(self, value: bool) -> None:
        self.value = value

    def get(self) -> bool:
        return self.value


class _MacSheetApi:
    def __init__(self, protected: bool) -> None:
        self.protect_contents = _AppscriptProperty(protected)
        self.calls: list[tuple[str, str]] = []

    def unprotect(self, password: str) -> None:
        self.calls.append(("unprotect", password))
        self.protect_contents.value = False

    def protect_worksheet(self, password: str) -> None:
        self.calls.append(("protect_worksheet", password))
        self.protect_contents.value = True


def _impl_from(module: str) -> object:
    return type("Book", (), {"__module__": module})()


class _Range:
    def __init__(self, api: Any) -> None:
        self.api = api
        self.written: Any = None

    @property
    def value(self) -> Any:
        return self.written

    @value.setter
    def value(self, rows: Any) -> None:
        protected = (
            self.api.ProtectContents
            if hasattr(self.api, "ProtectContents")
            else self.api.protect_contents.get()
        )
        if protected:  # Excel: run-time error 1004 for a locked cell of a protected sheet
            raise RuntimeError("(-2146827284, 'Microsoft Excel', 'The cell or chart ... is protected.')")
        self.written = rows


class _Sheet:
    def __init__(self, name: str, api: object) -> None:
        self.name = name
        self.api = api
        self.last = _Range(api)

    def range(self, address: str) -> _Range:
        return self.last


class _Sheets(dict):
    def __iter__(self):  # type: ignore[override]
        return iter(self.values())


class _FakeXwBook:
    def __init__(self, module: str, api: object) -> None:
        self.name = "w.xlsm"
        self.impl = _impl_from(module)
        self.sheets = _Sheets({CHECK_SHEET: _Sheet(CHECK_SHEET, api)})


@pytest.mark.parametrize(
    ("module", "api_type", "expected"),
    [
        ("xlwings._xlwindows", _ComSheetApi, [("Unprotect", ""), ("Protect", "")]),
        ("xlwings._xlmac", _MacSheetApi, [("unprotect", ""), ("protect_worksheet", "")]),
    ],
)
def test_xlwings_protection_calls(module: str, api_type: type, expected: list[tuple[str, str]]) -> None:
    api = api_type(protected=True)
    book = XlwingsBook(_FakeXwBook(module, api))
    assert book.is_protected(CHECK_SHEET)
    with pytest.raises(SheetProtectedError):
        book.write(CHECK_SHEET, "A1", [["x"]])
    book.unprotect(CHECK_SHEET)
    assert not book.is_protected(CHECK_SHEET)
    book.write(CHECK_SHEET, "A1", [["=1+1", "-3", 2.0, None]])
    assert book.book.sheets[CHECK_SHEET].last.value == [["'=1+1", "'-3", 2.0, None]]  # text stays text
    book.protect(CHECK_SHEET)
    assert book.is_protected(CHECK_SHEET)
    assert api.calls == expected


def test_xlwings_unprotect_with_password_is_a_clear_error() -> None:
    class Locked(_ComSheetApi):
        def Unprotect(self, password: str) -> None:  # noqa: N802
            raise RuntimeError(
                "(-2146827284, 'Microsoft Excel', 'The password you supplied is not correct.')"
            )

    book = XlwingsBook(_FakeXwBook("xlwings._xlwindows", Locked(protected=True)))
    with pytest.raises(BridgeError, match="密码保护"):
        book.unprotect(CHECK_SHEET)


# ---------------------------------------------------------------------------------- LibreOffice fixtures


@pytest.fixture(scope="module")
def engine() -> Any:
    from xlcalc.engines import get_engine

    lo = get_engine("libreoffice", shared=True)
    ok, why = lo.available()
    if not ok:
        pytest.skip(why)
    return lo


@pytest.fixture(scope="module")
def compiled() -> Compiled:
    return build_workbook(load_spec(SPEC))


@pytest.fixture(scope="module")
def example_units() -> list[UnitInputs]:
    return load_inputs(EXAMPLE)


def fill(book: Any, compiled: Compiled, units: list[UnitInputs]) -> None:
    """Type the units' inputs into the workbook as a user would (是/否, fractions for %, list sheets)."""
    scorer = Scorer(compiled.spec)
    layout = compiled.layout
    cells = layout.role_cells[Role.INPUT]
    rows = []
    for u, unit in enumerate(units):
        values = scorer.normalize(unit)
        rows.append([unit.name] + [values[cell.id] for cell in cells])
        for li in layout.graph.lists:
            sheet, rng = layout.list_range(li.id, u)
            items = list(values[li.id])
            book.write(sheet, rng.split(":")[0], [items + [None] * (li.capacity - len(items))])
    book.write("填报", f"A{layout.unit_row(0)}", rows)


@pytest.fixture(scope="module")
def filled(engine: Any, compiled: Compiled, example_units: list[UnitInputs], tmp_path_factory: Any) -> Path:
    """The 安庆 workbook with the ten example units typed in, recalculated and saved by LibreOffice."""
    folder = tmp_path_factory.mktemp("bridge")
    blank = write_workbook(compiled, folder / "anqing_2023.xlsx")
    with engine.open(blank) as book:
        fill(book, compiled, example_units)
        book.recalc()
        return EngineBook(book).save_as(folder / "filled.xlsx")


@pytest.fixture
def book(engine: Any, filled: Path) -> Any:
    with engine.open(filled) as opened:
        yield EngineBook(opened, name="filled.xlsx", clock=_clock)


def _nodes(compiled: Compiled) -> list[Any]:
    return list(compiled.spec.nodes())


def _ancestors(compiled: Compiled, node_id: str) -> set[str]:
    parents: dict[str, str] = {}
    for node in _nodes(compiled):
        for child in node.children:
            parents[child.id] = node.id
    out = set()
    while node_id in parents:
        node_id = parents[node_id]
        out.add(node_id)
    return out


# ---------------------------------------------------------------------------------- verify_book in LibreOffice


@pytest.mark.engine
def test_filled_workbook_matches_reference(
    book: EngineBook, compiled: Compiled, example_units: list[UnitInputs]
) -> None:
    report = verify_book(book)
    n_nodes = len(_nodes(compiled))
    assert report.spec_id == "anqing_2023" and report.n_units == 10
    assert report.problems == []
    assert report.total == 10 * (n_nodes + 2)  # every node, then 填报状态 and 等级
    assert report.mismatches == [], [m.describe() for m in report.mismatches[:5]]
    assert report.summary() == f"共{10 * (n_nodes + 2)}项，0项不一致"
    # The reference in the report is the scorer's own result on the example file (read back right).
    direct = Scorer(compiled.spec).score(example_units)
    totals = {(r.unit, r.reference_value) for r in report.rows if r.node_id == compiled.spec.root.id}
    assert totals == {(u.unit, u.total) for u in direct}
    # Explanations were compared too: every rule node has one, and they agree word for word.
    rules = [n.id for n in _nodes(compiled) if n.rule is not None]
    why = [r for r in report.rows if r.node_id in rules]
    assert len(why) == 10 * len(rules)
    assert all(r.explanation_match is True and r.reference_explanation for r in why)
    first = next(r for r in report.rows if r.unit == "迎江区" and r.node_id == "goals_1")
    assert first.cell == "评分!B4" and first.explanation_cell == "扣分说明!C4"


def _unit_away_from_grade_bounds(report: BridgeReport, root: str) -> tuple[int, float]:
    for row in report.rows:
        if row.node_id == root and all(abs(row.reference_value - b) > 1 for b in (60, 80, 90)):
            return row.unit_index, row.reference_value
    raise AssertionError("no unit away from the grade bounds")


@pytest.mark.engine
def test_overwritten_total_is_the_only_mismatch(book: EngineBook, compiled: Compiled) -> None:
    root = compiled.spec.root.id
    unit, total = _unit_away_from_grade_bounds(verify_book(book), root)
    address = compiled.layout.address(root, unit)
    book.unprotect("评分")  # the compiled sheet is protected; a user would unprotect it too
    book.write("评分", address, [[total + 0.5]])
    report = verify_book(book)
    assert [(m.unit, m.cell_id, f"{m.sheet}!{m.cell}", m.actual, m.expected) for m in report.mismatches] == [
        (compiled.spec.meta.units[unit], root, f"评分!{address}", total + 0.5, total)
    ]
    assert report.mismatches[0].inputs == report.inputs[unit] != {}
    assert report.summary().startswith(f"共{report.total}项，1项不一致")


@pytest.mark.engine
def test_overwritten_leaf_reports_it_and_its_sums(book: EngineBook, compiled: Compiled) -> None:
    base = verify_book(book)
    leaf = next(r for r in base.rows if r.unit_index == 0 and r.node_id == "goals_1")
    address = compiled.layout.address("goals_1", 0)
    book.unprotect("评分")
    book.write("评分", address, [[leaf.reference_value + 1]])
    report = verify_book(book)
    grade_changed = any(r.node_id == "grade" for r in report.score_mismatches)
    expected = {"goals_1"} | _ancestors(compiled, "goals_1") | ({"grade"} if grade_changed else set())
    assert {r.node_id for r in report.score_mismatches} == expected
    assert {r.unit_index for r in report.failed_rows} == {0}
    row = next(r for r in report.failed_rows if r.node_id == "goals_1")
    assert (row.cell, row.workbook_value, row.reference_value) == (
        f"评分!{address}",
        leaf.reference_value + 1,
        leaf.reference_value,
    )
    # The explanation formula reads the score cell, so the workbook text now differs from the reference.
    assert row.explanation_match is False and row.workbook_explanation != row.reference_explanation


@pytest.mark.engine
def test_changed_explanation_is_reported(book: EngineBook, compiled: Compiled) -> None:
    address = compiled.layout.address("org_1__why", 3)
    book.unprotect("扣分说明")
    book.write("扣分说明", address, [["随手改的说明"]])
    report = verify_book(book)
    assert [
        (r.unit_index, r.node_id, r.match, r.explanation_match, r.workbook_explanation)
        for r in report.failed_rows
    ] == [(3, "org_1", True, False, "随手改的说明")]
    assert [(m.cell_id, m.actual) for m in report.mismatches] == [("org_1__why", "随手改的说明")]


@pytest.mark.engine
def test_bad_input_cell_is_located(book: EngineBook, compiled: Compiled) -> None:
    address = compiled.layout.address("population", 1)
    book.write("填报", address, [["三十万"]])
    report = verify_book(book)
    assert [(p.sheet, p.cell) for p in report.problems] == [("填报", address)]
    assert "三十万" in report.problems[0].message
    assert report.summary().endswith("；1个输入单元格无法识别")


@pytest.mark.engine
def test_out_of_range_parameter_is_located(book: EngineBook) -> None:
    labels = [row[0] for row in book.read("参数", "A4:A12")]
    row = 4 + labels.index("细则得分保留小数位")  # score_decimals, allowed 0–4
    with pytest.raises(SheetProtectedError):  # 参数 is protected and its values locked
        book.write("参数", f"B{row}", [[9.0]])
    book.unprotect("参数")  # what the evaluator does (no password)
    book.write("参数", f"B{row}", [[9.0]])  # data validation stops a user, not a program
    report = verify_book(book)
    assert [(p.sheet, p.cell) for p in report.problems] == [("参数", f"B{row}")]
    assert "score_decimals" in report.problems[0].message and "默认值" in report.problems[0].message


@pytest.mark.engine
def test_not_an_xlcalc_workbook(engine: Any, tmp_path: Path) -> None:
    plain = tmp_path / "plain.xlsx"
    wb = openpyxl.Workbook()
    wb.active["A1"] = 1
    wb.save(plain)
    with engine.open(plain) as opened, pytest.raises(BridgeError, match="_规格"):
        verify_book(EngineBook(opened))


# ---------------------------------------------------------------------------------- the 校验 sheet


def _load(path: Path) -> openpyxl.Workbook:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return openpyxl.load_workbook(path)


@pytest.mark.engine
def test_check_sheet_written_and_read_back(book: EngineBook, compiled: Compiled, tmp_path: Path) -> None:
    book.unprotect("评分")
    book.write("评分", compiled.layout.address("goals_2", 6), [[0.25]])
    report = verify_book(book)
    written = write_check_sheet(book, report)
    assert book.sheet_names()[-1] == CHECK_SHEET
    width = get_column_letter(len(CHECK_HEADERS))
    rows = book.read(CHECK_SHEET, f"A1:{width}{written}")
    assert rows[0][:3] == ["校验结果", "校验时间：2024-05-06 07:08:09", report.summary()]
    assert report.summary().startswith(f"共{report.total}项，")
    assert tuple(rows[2]) == CHECK_HEADERS
    body = rows[3 : 3 + report.total]
    assert len(body) == report.total == written - 3
    flagged = [(r[0], r[2], r[5], r[9]) for r in body if r[5] == "不一致"]
    assert flagged == [(m.unit, m.label, "不一致", m.cell) for m in report.score_mismatches]
    ref = next(m for m in report.rows if m.unit == "望江县" and m.node_id == "goals_2")
    goals_2 = next(r for r in body if r[9] == ref.cell)
    # Rows are located in words (the node's sections), never by internal id.
    assert (
        goals_2[1]
        == ref.section
        == " / ".join(n.label for n in reversed(compiled.spec.ancestors("goals_2")[:-1]))
    )
    node_ids = {n.id for n in compiled.spec.nodes()}
    assert not node_ids & {cell for r in rows for cell in r}
    assert goals_2[3:8] == [0.25, ref.reference_value, "不一致", ref.reference_explanation, "不一致"]
    # It survives saving: a real .xlsx with the 校验 sheet (LibreOffice writes it, openpyxl reads it).
    saved = _load(book.save_as(tmp_path / "checked.xlsx"))
    assert saved.sheetnames[-1] == CHECK_SHEET
    assert saved[CHECK_SHEET]["B1"].value == "校验时间：2024-05-06 07:08:09"
    assert saved[CHECK_SHEET]["F4"].value in ("一致", "不一致")
    assert not saved[CHECK_SHEET].protection.sheet


@pytest.mark.engine
def test_rewrite_clears_old_rows(book: EngineBook) -> None:
    report = verify_book(book)
    first = write_check_sheet(book, report)
    book.write(CHECK_SHEET, "A900", [["旧的残留"]])
    trimmed = BridgeReport(report.book, report.spec_id, report.title, report.n_units, report.rows[:5])
    second = write_check_sheet(book, trimmed)
    assert second == 8 < first
    assert book.read(CHECK_SHEET, "A9:A900") == [[None]] * 892
    assert book.read(CHECK_SHEET, "C1") == [["共5项，0项不一致"]]


@pytest.mark.engine
def test_protected_check_sheet_is_unprotected_written_and_protected_again(book: EngineBook) -> None:
    book.add_sheet(CHECK_SHEET, after="评分")
    book.write(CHECK_SHEET, "A1", [["上次的结果"], [None], [None], ["旧行"]])
    book.write(CHECK_SHEET, "K500", [["旧的残留"]])
    book.protect(CHECK_SHEET)
    with pytest.raises(SheetProtectedError, match="1004"):
        book.write(CHECK_SHEET, "A1", [["x"]])  # what Excel does to a macro writing there
    report = verify_book(book)
    write_check_sheet(book, report)
    assert book.is_protected(CHECK_SHEET)
    assert book.sheet_names().index(CHECK_SHEET) == book.sheet_names().index("评分") + 1
    assert book.read(CHECK_SHEET, "A1:C1") == [
        ["校验结果", "校验时间：2024-05-06 07:08:09", report.summary()]
    ]
    assert book.read(CHECK_SHEET, "A4:C4") == [["迎江区", None, "总分"]]  # the root: no sections above
    assert book.read(CHECK_SHEET, "K500") == [[None]]


@pytest.mark.engine
def test_password_protected_check_sheet_is_a_clear_error(book: EngineBook) -> None:
    book.add_sheet(CHECK_SHEET)
    book.book.doc.Sheets.getByName(CHECK_SHEET).protect("secret")
    with pytest.raises(BridgeError, match="密码保护"):
        write_check_sheet(book, verify_book(book))


@pytest.mark.engine
def test_check_file_without_excel(filled: Path, tmp_path: Path) -> None:
    out = tmp_path / "checked.xlsx"
    assert bridge.cli(["check", str(filled), "--out", str(out)]) == 0
    saved = _load(out)
    assert saved[CHECK_SHEET]["C1"].value.endswith("项，0项不一致")
    assert filled.exists() and CHECK_SHEET not in _load(filled).sheetnames  # the source is untouched


# ---------------------------------------------------------------------------------- real xlwings Book objects


def _remote_payload(opened: Any, name: str) -> dict[str, Any]:
    """What xlwings' remote clients send: every sheet's used values (errors as text, blanks as "")."""
    import xlwings as xw

    sheets = []
    for sheet in opened.sheet_names:
        rows, cols = opened.used_extent(sheet)
        values = opened.read(sheet, f"A1:{get_column_letter(cols)}{rows}")
        plain = [
            ["" if v is None else (str(v) if isinstance(v, ErrorValue) else v) for v in row] for row in values
        ]
        sheets.append({"name": sheet, "values": plain, "pictures": [], "tables": []})
    return {
        "client": "Microsoft Office Scripts",
        "version": xw.__version__,
        "book": {"name": name, "active_sheet_index": 0, "selection": "A1"},
        "names": [],
        "sheets": sheets,
    }


needs_xlwings_key = pytest.mark.skipif(
    not os.environ.get("XLWINGS_LICENSE_KEY"),
    reason="xlwings builds Book objects without Excel only in its PRO remote engine: set XLWINGS_LICENSE_KEY",
)


@pytest.mark.engine
@needs_xlwings_key
def test_xlwings_book_without_excel(engine: Any, filled: Path, compiled: Compiled) -> None:
    import xlwings as xw

    with engine.open(filled) as opened:
        payload = _remote_payload(opened, "anqing_2023.xlsx")
    root = compiled.spec.root.id
    score_sheet = next(s for s in payload["sheets"] if s["name"] == "评分")
    row, col = compiled.layout.row_col(root, 2)
    score_sheet["values"][row - 1][col - 1] = 1.5  # a user typed over the third unit's total
    n_sheets = len(payload["sheets"])
    xb = xw.Book(json=payload)  # (xlwings keeps and updates this very dict)
    adapter = XlwingsBook(xb, clock=_clock)
    report = verify_book(adapter)
    assert [(r.unit_index, r.node_id, r.workbook_value) for r in report.failed_rows] == [(2, root, 1.5)]
    write_check_sheet(adapter, report)
    actions = xb.json()["actions"]
    assert actions[0]["func"] == "calculate"
    assert [a["args"] for a in actions if a["func"] == "addSheet"] == [[n_sheets, CHECK_SHEET]]
    written = next(a for a in actions if a["func"] == "setValues")
    assert written["values"][0][:3] == ["校验结果", "校验时间：2024-05-06 07:08:09", report.summary()]
    assert written["row_count"] == 3 + report.total
    # The 校验 button's entry, with this book as the caller.
    xb.set_mock_caller()
    try:
        again = bridge.verify_caller()
    finally:
        del xw.Book._mock_caller
    assert again is not None and again.summary() == report.summary()
    funcs = [a["func"] for a in xb.json()["actions"]]
    assert "sheetClear" in funcs  # the existing 校验 sheet was cleared, not added twice
    assert funcs.count("addSheet") == 1
    alerts = [a["args"] for a in xb.json()["actions"] if a["func"] == "alert"]
    assert alerts and alerts[-1][0].startswith(f"校验完成：{report.summary()}。请查看")


@needs_xlwings_key
def test_xlwings_entry_on_a_foreign_workbook_shows_a_message() -> None:
    import xlwings as xw

    payload = {
        "client": "Microsoft Office Scripts",
        "version": xw.__version__,
        "book": {"name": "other.xlsx", "active_sheet_index": 0, "selection": "A1"},
        "names": [],
        "sheets": [{"name": "Sheet1", "values": [["x"]], "pictures": [], "tables": []}],
    }
    xb = xw.Book(json=payload)
    assert bridge.run_in_excel(xb) is None
    actions = xb.json()["actions"]
    alerts = [a["args"][0] for a in actions if a["func"] == "alert"]
    assert len(alerts) == 1 and alerts[0].startswith("校验未完成：") and "_规格" in alerts[0]
    assert not [a for a in actions if a["func"] in ("addSheet", "setValues")]  # nothing written


# ---------------------------------------------------------------------------------- the recalc macro in LibreOffice


def _formula_cells(compiled: Compiled) -> int:
    from openpyxl.utils.cell import range_boundaries

    total = 0
    for _, rng, _ in compiled.formula_blocks:
        c1, r1, c2, r2 = range_boundaries(rng)
        total += (c2 - c1 + 1) * (r2 - r1 + 1)
    return total


@pytest.mark.engine
@pytest.mark.skipif(not shutil.which("soffice"), reason="LibreOffice not installed")
def test_recalc_macro_block_contract_in_libreoffice(compiled: Compiled, tmp_path: Path) -> None:
    """recalc.bas on the compiled 安庆 workbook: clean, then with overwritten and changed blocks."""
    from test_xlsm import _run_in_libreoffice

    from xlcalc.xlsm import DEFAULT_BUTTONS, make_xlsm

    clean = write_workbook(compiled, tmp_path / "clean.xlsx")
    wb = _load(clean)
    layout = compiled.layout
    score = wb["评分"]
    score[layout.address("goals_2", 2)] = 1  # a constant typed over the middle of a block
    score[layout.address("goals_1", 0)] = "=1+1"  # the first cell of a block changed
    derived = wb["中间计算"]
    for u in range(layout.n_units):  # a whole block filled down with another formula
        derived[layout.address("arrival_rate", u)] = f"=B{layout.unit_row(u)}*2"
    tampered = tmp_path / "tampered.xlsx"
    wb.save(tampered)
    n = _formula_cells(compiled)
    expected_changed = ["评分!B4", "评分!C6"] + [
        f"中间计算!C{layout.unit_row(u)}" for u in range(layout.n_units)
    ]

    results = {}
    for label, xlsx in (("clean", clean), ("tampered", tampered)):
        xlsm = xlsx.with_suffix(".xlsm")
        make_xlsm(xlsx, xlsm, buttons=[DEFAULT_BUTTONS[0]], include_verify=False, button_cell="A2")
        folder = tmp_path / label
        folder.mkdir()
        results[label] = _run_in_libreoffice(xlsm, folder, "xlcalc_recalc.XlcalcIntegrityReport")[
            "xlcalc_recalc.XlcalcIntegrityReport"
        ]
    assert results["clean"] == f"重新计算完成。公式完整性检查：共{n}个公式，0个被修改或覆盖"
    head, _, listed = results["tampered"].partition("\n\n被修改或覆盖的单元格：\n")
    assert head == f"重新计算完成。公式完整性检查：共{n}个公式，{len(expected_changed)}个被修改或覆盖"
    assert sorted(listed.split("\n")) == sorted(expected_changed)
