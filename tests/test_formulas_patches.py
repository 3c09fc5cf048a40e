"""The correction mechanism of the formulas engine: each correction built on its own, named when it
no longer fits, the others still applied; originals restored on exit."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from xlcalc.engines.formulas_corrections import CORRECTIONS, corrected_formulas, quiet_formulas
from xlcalc.engines.formulas_patches import Correction, Patches, Switch


def test_a_failing_correction_names_itself_and_the_others_apply() -> None:
    table: dict[str, Any] = {"ROUND": "upstream"}
    target = SimpleNamespace(tqdm="real")

    def good(p: Patches, e: Any) -> None:
        p.item(e.table, "ROUND", "corrected")

    def broken(p: Patches, e: Any) -> None:
        raise AttributeError("module 'formulas.functions' has no attribute 'wrap_ufunc'")

    def quiet(p: Patches, e: Any) -> None:
        p.attr(e.target, "tqdm", "quiet")

    switch = Switch(
        (Correction("ROUND", good), Correction("TEXT", broken), Correction("tqdm", quiet)),
        lambda: SimpleNamespace(table=table, target=target),
    )
    with switch():
        assert table["ROUND"] == "corrected" and target.tqdm == "quiet"
        with switch():  # re-entrant
            assert table["ROUND"] == "corrected"
        assert table["ROUND"] == "corrected"
    assert table["ROUND"] == "upstream" and target.tqdm == "real"
    assert list(switch.failures()) == ["TEXT"]
    assert "wrap_ufunc" in switch.failures()["TEXT"]


def test_every_correction_applies_to_the_installed_formulas() -> None:
    assert corrected_formulas.failures() == {}
    assert quiet_formulas.failures() == {}
    assert len({c.name for c in CORRECTIONS}) == len(CORRECTIONS)
