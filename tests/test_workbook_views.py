"""The sheets people print, evaluated by LibreOffice: 排名 (totals, competition ranks, the table
sorted by total, the provisional mark), 单位评分表 (one unit's scores) and the national
项目支出绩效自评表 of every 鄂州 table (its rows as published, inputs in the form's cells)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import ROOT

from xlcalc.cells import Role
from xlcalc.cohort import provisional
from xlcalc.engines.libreoffice import close_shared_engine, find_soffice, shared_engine
from xlcalc.inputs import load_inputs
from xlcalc.scorer import Scorer, resolve_params
from xlcalc.spec.loader import load_spec
from xlcalc.verify.runner import Runner
from xlcalc.verify.target import load_target
from xlcalc.workbook import form
from xlcalc.workbook.build import build_workbook, write_workbook

EZHOU = sorted(p.stem for p in (ROOT / "rubric_specs").glob("ezhou_*.yaml"))


@pytest.fixture(scope="module")
def engine():
    if find_soffice() is None:
        pytest.skip("LibreOffice is not installed")
    yield shared_engine()
    close_shared_engine()


def _filled(engine, name: str, tmp: Path, units: list | None = None):
    spec = load_spec(ROOT / "rubric_specs" / f"{name}.yaml")
    path = write_workbook(build_workbook(spec), tmp / f"{name}.xlsx")
    target = load_target(path)
    scorer = Scorer(spec)
    if units is None:
        units = load_inputs(ROOT / "examples" / f"{name}{'_units' if spec.meta.ranked else ''}.yaml")
    book = engine.open(path)
    Runner(target, book, "libreoffice", tmp).write_case(
        [scorer.normalize(u) for u in units], resolve_params(spec)
    )
    book.recalc()
    return spec, scorer, units, target, book


@pytest.mark.engine
def test_ranking_sorted_with_competition_ranks(engine, tmp_path: Path) -> None:
    spec, scorer, units, target, book = _filled(engine, "anqing_2023", tmp_path)
    try:
        assert book.errors() == []
        totals = [r.total for r in scorer.score(units)]
        rows = book.read("排名", f"A4:H{3 + len(units)}")
        names = [u.name for u in units]
        assert [r[0] for r in rows] == names
        assert [r[1] for r in rows] == pytest.approx(totals)
        assert [r[2] for r in rows] == [1 + sum(t > x for t in totals) for x in totals]
        order = sorted(range(len(totals)), key=lambda k: (-totals[k], k))
        assert [r[6] for r in rows] == [names[k] for k in order]
        assert [r[7] for r in rows] == pytest.approx([totals[k] for k in order])
        assert "最终" in book.read("排名", "A2:A2")[0][0]
    finally:
        book.close()


@pytest.mark.engine
@pytest.mark.parametrize("blank", [(), (3,), (0, 9)])
def test_ranking_is_marked_provisional_while_a_unit_is_blank(engine, tmp_path: Path, blank) -> None:
    """While counties have not filled in, 排名, 评分's title (printed on every page) and 单位评分表
    say the ranking items rest on the others only, with the count `xlcalc score --json` gives."""
    spec = load_spec(ROOT / "rubric_specs" / "anqing_2023.yaml")
    units = load_inputs(ROOT / "examples" / "anqing_2023_units.yaml")
    for k in blank:
        units[k] = type(units[k])(units[k].name, {})  # this county has not filled in yet
    status = provisional(spec, Scorer(spec).score(units))
    _, _, _, _, book = _filled(engine, "anqing_2023", tmp_path, units)
    try:
        ranking = book.read("排名", "A2:A2")[0][0]
        title = book.read("评分", "A1:A1")[0][0]
        book.write("单位评分表", "B2", [[units[0].name]])
        book.recalc()
        printed = [r[0] for r in book.read("单位评分表", "A4:A80") if r[0]]
        assert title.startswith("评分：") and printed[-2 if blank else -1] == spec.root.label
        if blank:
            assert status["note"] == f"排名项暂按{len(units) - len(blank)}个单位计算"
            assert "暂定" in ranking and status["note"] in ranking
            assert "暂定" in title and status["note"] in title
            assert status["note"] in printed[-1] and "总分和等级可能变化" in printed[-1]
        else:
            assert not status["provisional"] and "最终" in ranking
            assert "暂" not in title and printed[-1] == spec.root.label
    finally:
        book.close()


@pytest.mark.engine
def test_unit_sheet_shows_the_picked_unit(engine, tmp_path: Path) -> None:
    spec, scorer, units, target, book = _filled(engine, "anqing_2023", tmp_path)
    try:
        results = scorer.score(units)
        for k in (0, 6):
            book.write("单位评分表", "B2", [[units[k].name]])
            book.recalc()
            col = book.read("单位评分表", "A4:C60")
            total = next(r for r in col if r[0] == spec.root.label)
            assert total[2] == pytest.approx(results[k].total)
    finally:
        book.close()


@pytest.mark.engine
@pytest.mark.parametrize("name", EZHOU)
def test_national_form_rows_and_total(engine, tmp_path: Path, name: str) -> None:
    spec, scorer, units, target, book = _filled(engine, name, tmp_path)
    try:
        assert book.errors() == []
        pos = target.layout.input_positions
        rows = [r for r in spec.nodes() if r.level == 3 or (r.level == 2 and not r.children)]
        last = form.TABLE_ROW + len(rows)
        table = book.read("填报", f"A{form.TABLE_ROW}:I{last + 1}")
        assert table[0][1:] == [
            "一级指标",
            "二级指标",
            "三级指标",
            "年度指标值",
            "实际完成值",
            "分值",
            "得分",
            "偏差原因分析及改进措施",
        ]
        assert [r[3] for r in table[1:-1]] == [n.label for n in rows]
        assert [r[4] or "" for r in table[1:-1]] == [n.target for n in rows]
        assert table[-1][0] == "总分"
        # The typed self-scores sit in the form's 得分 cells and the rule total matches the scorer.
        values = units[0].values
        for node in rows:
            if node.self_score and node.self_score in values:
                r, c = pos[node.self_score]
                assert book.read("填报", f"{chr(64 + c)}{r}:{chr(64 + c)}{r}")[0][0] == pytest.approx(
                    float(values[node.self_score])
                )
        total = book.read(
            "评分", f"{target.layout.address(spec.root.id, 0)}:{target.layout.address(spec.root.id, 0)}"
        )
        assert total[0][0] == pytest.approx(scorer.score(units)[0].total)
    finally:
        book.close()


def test_inputs_of_the_national_form_are_read_back(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    from xlcalc.workbook.readback import make_layout, read_inputs

    spec = load_spec(ROOT / "rubric_specs" / "ezhou_2021_pufa.yaml")
    compiled = build_workbook(spec)
    layout = make_layout(spec, 1)
    assert layout.input_positions == compiled.layout.input_positions
    ws = compiled.workbook["填报"]
    r, c = layout.row_col("self_campaigns", 0)
    ws.cell(row=r, column=c, value=11)
    path = write_workbook(compiled, tmp_path / "f.xlsx")
    wb = load_workbook(path)

    def read(sheet: str, rng: str) -> list[list]:
        return [[c.value for c in row] for row in wb[sheet][rng]]

    back = read_inputs(spec, layout, read)
    assert back.units[0].values["self_campaigns"] == 11
    assert Role.INPUT in layout.role_cells
