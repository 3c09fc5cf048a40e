"""xlcalc/workbook/sheets.py: the sheets around the computed tables (parameters, rule text, formula
index, embedded spec, audit)."""

from __future__ import annotations

from pathlib import Path

from conftest import ROOT
from openpyxl import Workbook
from rule_snippets import rule_spec

from xlcalc.rules import REGISTRY
from xlcalc.spec.loader import load_spec
from xlcalc.workbook.build import build_workbook, used_params
from xlcalc.workbook.layout import FIRST_ROW, FORMULA_SHEET, PARAM_SHEET, SPEC_SHEET, TEXT_SHEET
from xlcalc.workbook.sheets import (
    AUDIT_SHEET,
    formula_index_sheet,
    param_rows,
    plain,
    rule_kind_label,
    spec_sheet,
)


def test_labels_and_plain_text() -> None:
    assert rule_kind_label("deduction") == REGISTRY["deduction"].LABEL == "按项扣分"
    assert rule_kind_label("no_such_kind") == "评分规则"
    assert plain("保留两位（Excel ROUND，半数远离零）") == "保留两位"


def test_parameter_rows_follow_the_spec_and_skip_unused(tmp_path: Path) -> None:
    spec = rule_spec("step_deduction", tmp_path)
    used = used_params(build_workbook(spec).layout.graph)
    rows = param_rows(spec, used)
    assert list(rows) == [p.name for p in spec.params if p.name in used]
    assert list(rows.values()) == list(range(FIRST_ROW, FIRST_ROW + len(rows)))
    ws = build_workbook(spec).workbook[PARAM_SHEET]
    for name, row in rows.items():
        assert ws.cell(row=row, column=1).value == spec.param(name).label


def test_rule_text_sheet_names_each_node_and_its_kind(tmp_path: Path) -> None:
    spec = rule_spec("bonus", tmp_path)
    ws = build_workbook(spec).workbook[TEXT_SHEET]
    rows = {ws.cell(row=FIRST_ROW + k, column=1).value: FIRST_ROW + k for k in range(len(list(spec.nodes())))}
    assert ws.cell(row=rows["r"], column=6).value == "加分"
    assert ws.cell(row=rows[spec.root.id], column=6).value == "汇总"


def test_formula_index_is_text_without_prefixes() -> None:
    wb = Workbook()
    formula_index_sheet(wb, [("评分", "C4:C13", "=_xlfn.RANK.EQ(B4,$B$4:$B$13,0)")])
    ws = wb[FORMULA_SHEET]
    assert [c.value for c in ws[2]] == ["评分", "C4:C13", "RANK.EQ(B4,$B$4:$B$13,0)"]
    assert ws.sheet_state == "hidden" and ws.protection.sheet


def test_spec_sheet_keeps_each_line_and_never_a_formula(tmp_path: Path) -> None:
    spec = rule_spec("deduction", tmp_path)
    wb = Workbook()
    spec_sheet(wb, spec)
    ws = wb[SPEC_SHEET]
    lines = spec.source_text.splitlines()
    assert [ws.cell(row=k, column=1).value or "" for k in range(1, len(lines) + 1)] == lines
    assert ws.sheet_state == "hidden" and ws.protection.sheet


def test_audit_sheet_only_for_self_evaluation_tables(tmp_path: Path) -> None:
    assert AUDIT_SHEET not in build_workbook(rule_spec("threshold", tmp_path)).workbook.sheetnames
    selfeval = load_spec(ROOT / "rubric_specs" / "ezhou_2021_pufa.yaml")
    ws = build_workbook(selfeval).workbook[AUDIT_SHEET]
    flags = [ws.cell(row=r, column=8).value for r in range(FIRST_ROW, ws.max_row + 1)]
    # The flags are formulas reading the compiled audit cells, so the sheet shows what `xlcalc audit` does.
    assert flags and all(isinstance(f, str) and f.startswith("=") for f in flags if f is not None)
    assert sum(f is not None for f in flags) >= 5
