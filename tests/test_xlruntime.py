"""Excel semantics in Python, table-driven against values Excel documents (and LibreOffice gives)."""

from __future__ import annotations

import pytest

from xlcalc import xlruntime as rt

ROUND_CASES = [
    (2.5, 0, 3.0),
    (-2.5, 0, -3.0),
    (0.125, 2, 0.13),
    (1.005, 2, 1.01),
    (0.285, 2, 0.29),
    (2.675, 2, 2.68),
    (4.425, 2, 4.43),
    (1.2345, 3, 1.235),
    (-1.2345, 3, -1.235),
    (123.456, 0, 123.0),
    (0.1 + 0.2, 1, 0.3),
    (5.55, 1, 5.6),
    (1e-7, 2, 0.0),
    (17.985714285714, 2, 17.99),
    # The double is 0.97973232144999989, its 15-digit form 0.97973232145: a tie at 10 decimals
    # (found by the verifier: LibreOffice and Excel give ...215).
    (68989.37 / 70416.55, 10, 0.9797323215),
]


@pytest.mark.parametrize(("x", "d", "expected"), ROUND_CASES)
def test_round_half_away_from_zero_on_15_digits(x, d, expected):
    assert rt.xl_round(x, d) == expected


def test_round_fast_path_agrees_with_decimal_path():
    import random
    from decimal import ROUND_HALF_UP, Decimal

    rng = random.Random(3)
    for _ in range(40000):
        x = rng.choice(
            [
                rng.uniform(-1e4, 1e4),
                round(rng.uniform(0, 100), rng.randint(0, 4)) + 0.005,
                round(rng.uniform(0, 1e5), 2) / round(rng.uniform(1, 1e5), 2),
            ]
        )
        d = rng.randint(0, 10)
        v = Decimal(format(x, ".15g"))
        exact = float(abs(v).quantize(Decimal(1).scaleb(-d), rounding=ROUND_HALF_UP)) * (1 if v >= 0 else -1)
        assert rt.xl_round(x, d) == exact, (x, d)


@pytest.mark.parametrize(
    ("x", "expected"),
    [((1 - 0.9) * 100 / 5, 2.0), (1.9999999, 1.0), (-0.5, -1.0), (3.0, 3.0), (-1e-20, -1.0)],
)
def test_int_snaps_to_15_digits(x, expected):
    assert rt.xl_int(x) == expected


@pytest.mark.parametrize(
    ("x", "expected"),
    [
        (8.025, "8.025"),
        (0.1 + 0.2, "0.3"),
        (5.0, "5"),
        (-0.5, "-0.5"),
        (1 / 3, "0.333333333333333"),
        (0.0, "0"),
        (117.89, "117.89"),
        # Excel's =1E15&"" is "1E+15": from 15 integer digits on, General switches to E notation.
        (1e15, "1E+15"),
        (999999999999999.0, "999999999999999"),
        (-1234567890123456.0, "-1.23456789012346E+15"),
        (1.5e-5, "0.000015"),
        (1e-20, "1E-20"),
    ],
)
def test_general_text(x, expected):
    assert rt.general_text(x) == expected


def test_one_implementation_of_excel_text_and_round() -> None:
    """The formulas engine's corrections use the scorer's runtime, so the two cannot disagree."""
    from xlcalc.engines import formulas_engine

    assert formulas_engine.number_text is rt.general_text
    assert formulas_engine.excel_round is rt.excel_round


@pytest.mark.parametrize(
    ("x", "d", "expected"),
    [(2.5, 0, 3.0), (-2.5, 0, -3.0), (1.005, 2, 1.01), (1e20, 30, 1e20), (123.0, -500, 0.0)],
)
def test_round_beyond_the_decimal_default_precision(x: float, d: int, expected: float) -> None:
    assert rt.xl_round(x, d) == expected


@pytest.mark.parametrize(
    ("x", "d", "expected"),
    [
        (0.92, 1, "92.0%"),
        (0.0055, 1, "0.6%"),
        (0.0045, 1, "0.5%"),
        (1.4833, 1, "148.3%"),
        (0.9995, 1, "100.0%"),
        (0, 0, "0%"),
    ],
)
def test_pct_text(x, d, expected):
    assert rt.pct_text(x, d) == expected


@pytest.mark.parametrize(
    ("x", "d", "expected"),
    [(8, 1, "8.0"), (72.65, 1, "72.7"), ((1 - 0.92) * 100, 1, "8.0"), (-0.04, 1, "0.0"), (2.5, 0, "3")],
)
def test_fixed_text(x, d, expected):
    assert rt.fixed_text(x, d) == expected


COUNTIF_CASES = [
    ([1.0, 2.0, 3.0, "a", None], ">=2", 2),
    ([1.0, 2.0, 3.0], "<>2", 2),
    (["待填", "是", 3.0], "待填", 1),
    ([90.0, 149.0, 150.0], "<=149", 2),
    ([1.0, 2.0, 2.0], 2.0, 2),
    (["a", None, 5.0], "<>5", 2),
]


@pytest.mark.parametrize(("rng", "crit", "expected"), COUNTIF_CASES)
def test_countif_criteria(rng, crit, expected):
    assert rt.xl_countif(rng, crit) == expected


def test_countifs_and_sumifs():
    rng = [89.0, 90.0, 149.0, 150.0, "x"]
    assert rt.xl_countifs(rng, ">=90", rng, "<=149") == 2
    assert rt.xl_sumifs([1.0, 1.0, 0.0, 1.0], [0.5, 0.3, 0.3, 0.1], ">0.1") == 2.0


def test_rank_eq_and_prefix_counts_match_naive_definitions():
    col = [0.5, 0.3, 0.5, "待填", 0.1, 0.3]
    ranks = [rt.xl_rank_eq(x, col, 0) for x in col if rt.isnumber(x)]
    assert ranks == [1, 3, 1, 5, 3]
    assert [rt.xl_rank_eq(x, col, 1) for x in (0.1, 0.5)] == [1, 4]
    firsts = [rt.xl_countif(rt.Prefix(col, i), col[i]) for i in range(len(col)) if rt.isnumber(col[i])]
    assert firsts == [1, 1, 2, 1, 2]


def test_aggregates_skip_text_and_blanks():
    assert rt.xl_sum(1.0, "待填", None, [2.0, "x"]) == 3.0
    assert rt.xl_count([1.0, "2", None, 3.0]) == 2
    assert rt.xl_average([90.0, 80.0, "x"]) == 85.0
    with pytest.raises(ZeroDivisionError):
        rt.xl_average([])


@pytest.mark.parametrize(
    ("op", "a", "b", "expected"),
    [
        ("<", 1.0, "a", True),
        (">", "a", 1.0, True),
        ("=", "A", "a", True),
        ("<=", None, 0.0, True),
        ("<>", "是", "否", True),
    ],
)
def test_compare_mixed_types_as_excel(op, a, b, expected):
    assert rt.compare(op, a, b) is expected
