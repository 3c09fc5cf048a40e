"""Rate-by-band bonuses (``banded_bonus``, issue 13 item 11) on tests/specs/bonus_pool.yaml: 每增加1万元
加1分, above 6万 each 1万 adds 1.5, above 10万 1.2 — marginal (each band's rate on the part inside it,
whole 万元 only) against a base input, and whole (the rate of the band reached on the whole
increase, fractions counted) against a base of 2万."""

from __future__ import annotations

import math
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import examples
from hypothesis import given, settings
from hypothesis import strategies as st

from xlcalc.errors import SpecError
from xlcalc.lowering import Lowering
from xlcalc.scorer import Scorer, UnitInputs
from xlcalc.spec.loader import load_spec
from xlcalc.verify.cases import rule_probes

SPEC_PATH = Path(__file__).parent / "specs" / "bonus_pool.yaml"
TEXT = SPEC_PATH.read_text(encoding="utf-8")
BANDS = ((0, 1), (6, 1.5), (10, 1.2))  # (above, per) as the test spec states them


@pytest.fixture(scope="module")
def spec():
    return load_spec(SPEC_PATH)


def _scores(spec, fees: float, base_fees: float) -> tuple[float, float]:
    result = Scorer(spec).score([UnitInputs("甲", {"fees": fees, "base_fees": base_fees})])[0]
    return result.node("fee_marginal").score, result.node("fee_whole").score


@pytest.mark.parametrize(
    ("fees", "base_fees", "marginal", "whole"),
    [
        (5, 5, 0, 3),  # no increase over the base input; 3万 over the fixed base of 2万 at 1 per 万
        (4, 5, 0, 2),  # below the base: no bonus, never a deduction
        (11, 5, 6, 13.5),  # 6 above the base: all in the first band; whole: 9 is above 6 → 1.5 × 9
        (11.99, 5, 6, 14.99),  # 6.99 counts 6 whole 万 (marginal); 9.99 × 1.5 (whole)
        (12, 5, 7.5, 15),  # the 7th 万 is above 6: 6 + 1.5 ; whole: 10 is not above 10 → 1.5 × 10
        (13, 5, 9, 13.2),  # whole: 11 is above 10 → 1.2 × 11 (less than at 10: the rubric says so)
        (17.5, 5, 14.4, 18.6),  # 12 whole 万: 6 + 4 × 1.5 + 2 × 1.2 ; whole: 15.5 × 1.2
        (8, 2, 6, 6),  # whole: exactly 6 above is not "above 6"
        (16.3, 10.3, 6, 14.3 * 1.2),  # 16.3 − 10.3 is 6.000000000000002 in binary: still 6 whole 万
        (40, 0, 20, 20),  # both stop at their points (20)
    ],
)
def test_banded_bonus_scores(spec, fees: float, base_fees: float, marginal: float, whole: float) -> None:
    got = _scores(spec, fees, base_fees)
    assert got == (marginal, round(whole, 2))


def _oracle(increase: Decimal, whole_mode: bool, whole_units: bool) -> float:
    """Decimal arithmetic, independent of the rule's own helpers."""
    inc = max(Decimal(0), increase)
    n = Decimal(math.floor(inc)) if whole_units else inc
    if whole_mode:
        rate = next((Decimal(str(per)) for above, per in reversed(BANDS) if inc > above), Decimal(0))
        raw = rate * n
    else:
        edges = [Decimal(a) for a, _ in BANDS] + [Decimal(10**9)]
        raw = sum(
            (
                Decimal(str(per)) * max(Decimal(0), min(n, edges[i + 1]) - edges[i])
                for i, (_, per) in enumerate(BANDS)
            ),
            Decimal(0),
        )
    return float(min(Decimal(20), raw).quantize(Decimal("0.01"), rounding="ROUND_HALF_UP"))


@settings(max_examples=examples(150), deadline=None, derandomize=True)
@given(
    fees=st.integers(0, 4000).map(lambda c: c / 100),
    base_fees=st.integers(0, 2000).map(lambda c: c / 100),
)
def test_banded_bonus_matches_decimal_arithmetic(spec, fees: float, base_fees: float) -> None:
    marginal, whole = _scores(spec, fees, base_fees)
    assert marginal == _oracle(Decimal(str(fees)) - Decimal(str(base_fees)), False, True)
    assert whole == _oracle(Decimal(str(fees)) - 2, True, False)


def test_explanations_name_each_band_in_chinese(spec) -> None:
    result = Scorer(spec).score([UnitInputs("甲", {"fees": 17.5, "base_fees": 5})])[0]
    assert result.node("fee_marginal").explanation == (
        "本年规费收入17.5万元，较基数5万元增加12.5万元（不足1万元的部分不计）；6万元以内部分6万元，每1万元加1分，"
        "加6分；超过6万元至10万元部分4万元，每1万元加1.5分，加6分；超过10万元部分2万元，每1万元加1.2分，加2.4分，"
        "得14.4分"
    )
    assert result.node("fee_whole").explanation == (
        "本年规费收入17.5万元，较基数2万元增加15.5万元；增加额属“超过10万元”档，每1万元加1.2分，计15.5万元，"
        "加18.6分，得18.6分"
    )
    none = Scorer(spec).score([UnitInputs("甲", {"fees": 4, "base_fees": 5})])[0].node("fee_marginal")
    assert none.explanation.endswith("增加0万元，不加分，得0分")


def test_probes_sit_on_every_band_edge(spec) -> None:
    increases = {
        round(p["fees"] - p["base_fees"], 6)
        for n, p in rule_probes(spec)
        if n == "fee_marginal" and "fees" in p
    }
    assert {0, 5, 6, 6.5, 7, 9, 10, 10.5, 11} <= increases


def test_the_highest_bonus_of_the_whole_mode_is_found_below_the_top_band(tmp_path: Path) -> None:
    """Whole mode is not monotone: with at most 11万 above the base, 10万 × 1.5 = 15 beats 11万 × 1.2."""
    path = tmp_path / "b.yaml"
    path.write_text(
        TEXT.replace("type: number, min: 0, max: 40}", "type: number, min: 0, max: 13}"), encoding="utf-8"
    )
    lw = Lowering(load_spec(path))
    lw.build()
    assert lw.raw_bounds["fee_whole"] == (0.0, 15.0)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "[{per: 1}, {above: 6, per: 1.5}, {above: 10, per: 1.2}]\n        - id: fee_whole",
            "[{per: 1}, {above: 10, per: 1.5}, {above: 6, per: 1.2}]\n        - id: fee_whole",
            "each above the one before",
        ),
        (
            "bands: [{per: 1}, {above: 6, per: 1.5}",
            "bands: [{per: -1}, {above: 6, per: 1.5}",
            "must not be negative",
        ),
        ("mode: whole", "mode: whole\n            unit_size: 0", "'unit_size' must be positive"),
        ("mode: whole", "mode: wholly", "mode"),
    ],
)
def test_bad_bands_are_located_errors(tmp_path: Path, old: str, new: str, message: str) -> None:
    assert old in TEXT
    path = tmp_path / "bad.yaml"
    path.write_text(TEXT.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(SpecError, match=message) as info:
        load_spec(path)
    assert "bad.yaml:" in str(info.value)
