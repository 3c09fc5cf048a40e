"""Batch audit: the 鄂州 seed as one folder, spec/inputs pairs, the CSV/.xlsx summary sorted by
discrepancy, formula-like text kept as text, unreadable files reported, inputs never modified."""

from __future__ import annotations

import csv
import hashlib
import io
from pathlib import Path

import pytest
from openpyxl import load_workbook
from rich.cells import cell_len

from xlcalc import auditbatch
from xlcalc.cli import main
from xlcalc.errors import XlcalcError

ROOT = Path(__file__).resolve().parent.parent
SEED = Path(__file__).resolve().parent.parent.parent / "shared" / "seeds" / "003_09fae4d5f3d61e87.txt"
if not SEED.exists():
    SEED = ROOT.parent.parent / "shared" / "seeds" / "003_09fae4d5f3d61e87.txt"
needs_seed = pytest.mark.skipif(not SEED.exists(), reason="seed 003 not available")


@needs_seed
def test_seed_tables_sorted_by_discrepancy() -> None:
    summaries, flagged, errors = auditbatch.run([str(SEED)], [], jobs=1)
    assert errors == []
    got = [(auditbatch.short_title(s.project), s.published, s.rule_total, s.difference) for s in summaries]
    assert got == [
        ("法律顾问管理工作经费", 97.8, 93.8, 4.0),
        ("政府立法及规范性文件管理", 91, 87.7, 3.3),
        ("行政执法监督和行政复议与应诉工作经费", 91.4, 92.2, -0.8),
        ("普法依法治理工作项目", 97.5, 97.9, -0.4),
        ("法治政府建设经费", 96.7, 96.7, 0.0),
    ]
    assert [s.flagged for s in summaries] == [2, 2, 6, 2, 0]
    assert len(flagged) == 12
    # the legislation table prints its 效益 rows under 产出 (merged 一级 cell)
    assert "二级指标“社会效益指标”应属“效益指标”，表中列在“产出指标”下" in summaries[1].structure
    assert summaries[0].problems[0].endswith("“群众满意率”的实际完成值“＜80%”没有确切数值，留空（待填）")


def test_spec_inputs_pairs_explicit_and_by_name(tmp_path: Path) -> None:
    spec = ROOT / "rubric_specs" / "ezhou_2021_pufa.yaml"
    inputs = ROOT / "examples" / "ezhou_2021_pufa.yaml"
    [s], _, _ = auditbatch.run([str(spec)], [str(inputs)], jobs=1)
    assert (s.published, s.rule_total, s.unit) == (97.5, 97.9, "普法与依法治理科")
    (tmp_path / "p.yaml").write_bytes(spec.read_bytes())
    (tmp_path / "p_inputs.yaml").write_bytes(inputs.read_bytes())
    [t], _, _ = auditbatch.run([str(tmp_path)], [], jobs=1)
    assert t.difference == s.difference == -0.4
    with pytest.raises(XlcalcError, match="数量应相同"):
        auditbatch.run([str(spec), str(spec)], [str(inputs)])
    with pytest.raises(XlcalcError, match="未找到对应的输入文件"):
        auditbatch.run([str(spec)], [])


def test_unreadable_file_is_an_error_line_not_the_end(tmp_path: Path) -> None:
    (tmp_path / "bad.xlsx").write_bytes(b"not a workbook")
    (tmp_path / "ok.txt").write_bytes(SEED.read_bytes() if SEED.exists() else b"")
    summaries, _, errors = auditbatch.run([str(tmp_path)], [], jobs=1)
    bad = str(tmp_path / "bad.xlsx")
    assert errors == [f"{bad}：不是 .xlsx/.xlsm 工作簿（文件不是 zip 包，可能是改了扩展名的其他文件）"]
    assert len(summaries) == (5 if SEED.exists() else 0)


def _summary(text: str = "") -> auditbatch.TableSummary:
    return auditbatch.TableSummary(
        "src", text or '=HYPERLINK("x")', "-单位", 90, 91.5, True, 1, ["@结构"], []
    )


def test_csv_quotes_formula_like_text(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    auditbatch.write_csv(path, [_summary()])
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert rows[1][:3] == ["src", '\'=HYPERLINK("x")', "'-单位"]
    assert rows[1][5] == "-1.5"  # numbers are numbers, not quoted
    assert rows[1][8] == "'@结构"


def test_xlsx_summary_sorted_with_flagged_sheet(tmp_path: Path) -> None:
    a, b = _summary("甲"), _summary("乙")
    b.rule_total = 80
    flagged = [auditbatch.FlaggedRow("src", "甲", "=指标", 5, 4, 5, "自评分高于规则得分1分")]
    path = tmp_path / "s.xlsx"
    auditbatch.write_xlsx(path, [b, a], flagged, ["x.txt：无法读取"])
    wb = load_workbook(path)
    assert wb.sheetnames == ["汇总", "标记行", "无法审核"]
    ws = wb["汇总"]
    assert [c.value for c in ws[1]][:6] == ["来源", "项目", "实施单位", "公布总分", "规则总分", "差额"]
    assert [ws.cell(r, 2).value for r in (2, 3)] == ["乙", "甲"]
    cell = wb["标记行"]["C2"]
    assert (cell.value, cell.data_type) == ("=指标", "s")


def test_terminal_table_fits_the_console_with_chinese_text(monkeypatch: pytest.MonkeyPatch) -> None:
    out = io.StringIO()
    long = auditbatch.TableSummary(
        "src", "2021年度" + "很长的项目名称" * 6 + "项目支出绩效自评表", "某某科", 90, 91, True, 0
    )
    from rich.console import Console

    monkeypatch.setattr(auditbatch, "_console", lambda file: Console(file=file, width=80, highlight=False))
    auditbatch.print_table([long], [], out)
    lines = out.getvalue().splitlines()
    assert lines and max(cell_len(line) for line in lines) <= 80
    assert any("某某科" in line for line in lines)


@needs_seed
def test_cli_batch_writes_both_files_and_leaves_inputs_alone(tmp_path: Path) -> None:
    before = hashlib.sha256(SEED.read_bytes()).hexdigest()
    status = main(["audit", str(SEED), "--summary", str(tmp_path / "汇总"), "--quiet", "--jobs", "1"])
    assert status == 1
    assert hashlib.sha256(SEED.read_bytes()).hexdigest() == before
    rows = list(csv.reader(io.StringIO((tmp_path / "汇总.csv").read_text(encoding="utf-8-sig"))))
    assert [r[5] for r in rows[1:]] == ["4", "3.3", "-0.8", "-0.4", "0"]
    assert load_workbook(tmp_path / "汇总.xlsx")["汇总"].max_row == 6


def test_single_table_options_are_refused_in_batch() -> None:
    assert main(["audit", "a.txt", "b.txt", "--json"]) == 2


@pytest.mark.engine
@needs_seed
def test_summary_opens_in_libreoffice_sorted_by_discrepancy(tmp_path: Path) -> None:
    from xlcalc.engines import get_engine

    engine = get_engine("libreoffice", shared=True)
    ok, why = engine.available()
    if not ok:
        pytest.skip(f"LibreOffice unavailable: {why}")
    summaries, flagged, errors = auditbatch.run([str(SEED)], [], jobs=1)
    path = tmp_path / "汇总.xlsx"
    auditbatch.write_xlsx(path, summaries, flagged, errors)
    book = engine.open(path)
    try:
        rows = book.read("汇总", "A1:F6")
        assert rows[0][5] == "差额"
        assert [r[5] for r in rows[1:]] == [4, 3.3, -0.8, -0.4, 0]
        assert len(book.read("标记行", "A2:G13")) == 12
    finally:
        book.close()
