"""xlcalc/workbook/layout.py: where every cell of the graph sits, and how formulas address it."""

from __future__ import annotations

from pathlib import Path

from rule_snippets import rule_spec

from xlcalc.cells import ListInput, Role
from xlcalc.workbook.build import build_workbook
from xlcalc.workbook.layout import (
    FIRST_ROW,
    FORM_VALUE_COL,
    SHEET_NAMES,
    UNIT_COL,
    list_sheet_name,
    param_name,
    quote,
)


def test_names() -> None:
    assert quote("填报") == "'填报'"
    assert quote("it's") == "'it''s'"
    assert param_name("score_decimals") == "P_score_decimals"


def test_list_sheet_names_are_valid_and_distinct() -> None:
    li = ListInput("xs", "明细[1]:*?/\\" + "长" * 40, "件", 5, None, None, True)
    first = list_sheet_name(li, set())
    assert first.startswith("明细-明细1") and len(first) <= 31 and not set("[]:*?/\\") & set(first)
    second = list_sheet_name(li, {first})
    assert second != first and len(second) <= 31 and second.endswith("2")


def test_ranked_layout_puts_units_in_rows(tmp_path: Path) -> None:
    compiled = build_workbook(rule_spec("rank_tiers", tmp_path))
    lay = compiled.layout
    assert lay.ranked and lay.n_units == 3
    role, k = lay.positions["r"]
    assert role is Role.SCORE and lay.sheet_of("r") == SHEET_NAMES[Role.SCORE]
    assert [lay.row_col("r", u) for u in range(3)] == [(FIRST_ROW + u, UNIT_COL + 1 + k) for u in range(3)]
    row, col = lay.row_col("r", 2)
    assert lay.address("r", 2, absolute=True) == f"${chr(64 + col)}${row}"
    sheet, rng = lay.list_range("xs", 1)
    assert sheet == lay.list_sheets["xs"] and rng.endswith(str(FIRST_ROW + 1))


def test_single_project_layout_is_a_form(tmp_path: Path) -> None:
    compiled = build_workbook(rule_spec("threshold", tmp_path))
    lay = compiled.layout
    assert not lay.ranked and lay.n_units == 1
    _, k = lay.positions["r"]
    assert lay.row_col("r", 0) == (FIRST_ROW + k, FORM_VALUE_COL)
    # The counted scores come first among the score cells, so totals read one contiguous block.
    counted = set(lay.graph.counted_scores())
    scores = [c.id in counted for c in lay.role_cells[Role.SCORE]]
    assert scores == sorted(scores, reverse=True)


def test_every_graph_cell_has_one_position(tmp_path: Path) -> None:
    lay = build_workbook(rule_spec("per_period", tmp_path)).layout
    assert set(lay.positions) == {c.id for c in lay.graph.cells}
    spots = {(lay.sheet_of(c), lay.row_col(c, 0)) for c in lay.positions}
    assert len(spots) == len(lay.positions)
