"""Cell graph validation: unknown references, cycles, strata at cross-unit dependencies."""

from __future__ import annotations

import pytest

from xlcalc import ir
from xlcalc.cells import Cell, CellGraph, Role


def test_unknown_reference_is_rejected():
    with pytest.raises(ValueError, match="reads unknown cell b"):
        CellGraph([Cell("a", Role.DERIVED, "a", ir.Ref("b"))])


def test_cycle_is_reported_with_its_path():
    with pytest.raises(ValueError, match="circular reference: a → b → a"):
        CellGraph([Cell("a", Role.DERIVED, "a", ir.Ref("b")), Cell("b", Role.DERIVED, "b", ir.Ref("a"))])


def test_duplicate_ids_are_rejected():
    with pytest.raises(ValueError, match="defined twice"):
        CellGraph([Cell("a", Role.INPUT, "a"), Cell("a", Role.INPUT, "a")])


def test_cross_unit_reads_start_a_new_stratum():
    g = CellGraph(
        [
            Cell("x", Role.INPUT, "x"),
            Cell("k", Role.RANK, "k", ir.call("RANK.EQ", ir.Ref("x"), ir.Column("x"), 0)),
            Cell("s", Role.SCORE, "s", ir.Ref("k") * 2, kind="score"),
        ]
    )
    assert [[c.id for c in s] for s in g.strata] == [["x"], ["k", "s"]]
