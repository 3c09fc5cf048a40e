"""The Gnumeric engine: cell patching of the .xlsx copies, the 15-digit text rule, the sample
workbook through the engine contract, and a merged batch agreeing with one-book runs."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree
from test_engines_base import EXPECTED_SCORES, INPUTS, build_sample_workbook

from xlcalc.engines import ErrorValue, get_engine
from xlcalc.engines.gnumeric import NS, GnumericEngine, _patch_cells, fifteen_digit_text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("(2−2.6300000000000000001)", "(2−2.63)"),
        ("低于5.6199999999999999999分", "低于5.62分"),
        ("0.0099999999999999999998", "0.01"),
        ("2.63 and 1.005", "2.63 and 1.005"),  # 15 digits or fewer: untouched
        ("123456789012.345", "123456789012.345"),
        ("v1.2.3", "v1.2.3"),  # not a decimal number
        ("", ""),
    ],
)
def test_fifteen_digit_text(text: str, expected: str) -> None:
    assert fifteen_digit_text(text) == expected


SHEET = (
    f'<worksheet xmlns="{NS}"><sheetData>'
    '<row r="2"><c r="B2" s="3"/><c r="D2" t="s"><v>0</v></c></row>'
    '<row r="5"><c r="A5"><f>B2*2</f></c></row>'
    "</sheetData></worksheet>"
)


def _cells(tree: etree._Element) -> list[tuple[str, str | None, str]]:
    q = f"{{{NS}}}"
    return [(c.get("r"), c.get("t"), "".join(c.itertext())) for c in tree.iter(f"{q}c")]


@pytest.mark.parametrize(
    ("writes", "expected"),
    [
        ({(2, 2): 1.5}, [("B2", None, "1.5"), ("D2", "s", "0"), ("A5", None, "B2*2")]),
        (
            {(2, 3): "是"},
            [("B2", None, ""), ("C2", "inlineStr", "是"), ("D2", "s", "0"), ("A5", None, "B2*2")],
        ),
        ({(2, 4): None}, [("B2", None, ""), ("D2", None, ""), ("A5", None, "B2*2")]),
        ({(3, 1): True}, [("B2", None, ""), ("D2", "s", "0"), ("A3", "b", "1"), ("A5", None, "B2*2")]),
        (
            {(1, 2): 7.0, (5, 1): 0.1},
            [("B1", None, "7.0"), ("B2", None, ""), ("D2", "s", "0"), ("A5", None, "0.1")],
        ),
    ],
)
def test_patch_cells_keeps_row_and_column_order(writes: dict, expected: list) -> None:
    tree = etree.fromstring(SHEET.encode())
    _patch_cells(tree, writes)
    assert _cells(tree) == expected


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_sample_workbook(tmp_path_factory.mktemp("gnumeric") / "样本.xlsx")


@pytest.fixture(scope="module")
def engine() -> GnumericEngine:
    eng = get_engine("gnumeric")
    ok, why = eng.available()
    if not ok:
        pytest.skip(why)
    assert isinstance(eng, GnumericEngine)
    return eng


@pytest.mark.engine
def test_sample_workbook(engine: GnumericEngine, sample: Path) -> None:
    book = engine.open(sample)
    assert book.read("评分", "A2:A3") == [["待填"], ["待填"]]
    book.write("填报", "B2", INPUTS)
    scores = book.read("评分", "A2:F5")
    # TEXT(1.005,"0.00"): Gnumeric formats the binary value (1.00), Excel and LibreOffice 1.01
    assert scores[1][2] == "1.00" and EXPECTED_SCORES[1][2] == "1.01"
    assert [r[:2] + r[3:] for r in scores] == [r[:2] + r[3:] for r in EXPECTED_SCORES]
    assert book.errors() == [("评分", "H2", "#DIV/0!"), ("评分", "H3", "#NAME?")]
    assert book.read("评分", "H2") == [[ErrorValue("#DIV/0!")]]
    assert book.read("填报", "B:B") == [["得分率"], [3.0], [1.005], [3.0], [2.0]]
    book.write("填报", "B5", [[None]])
    assert book.read("评分", "F5") == [[""]]
    book.write("填报", "B2", [["5"]])
    assert book.read("填报", "B2") == [["5"]] and book.read("评分", "A2") == [["待填"]]
    assert book.formula("评分", "A2") == '=IF(ISNUMBER(填报!B2),ROUND(填报!B2*系数,0),"待填")'
    assert book.formula("填报", "B2") == ""


@pytest.mark.engine
def test_merged_batch_equals_single_books(engine: GnumericEngine, sample: Path) -> None:
    """Three copies in one ssconvert call (names inlined in copies 2-3) give each copy's own values."""
    books = engine.open_batch(sample, 3)
    for k, book in enumerate(books):
        book.write("填报", "B2", [[float(k + 1)], [2.0], [3.0], [4.0]])
    books[0].recalc()
    merged = [b.read("评分", "A2:B5") for b in books]
    for k in range(3):
        single = engine.open(sample)
        single.write("填报", "B2", [[float(k + 1)], [2.0], [3.0], [4.0]])
        assert single.read("评分", "A2:B5") == merged[k]
    assert merged[0] != merged[2]


def test_unavailable_without_ssconvert() -> None:
    ok, why = GnumericEngine(ssconvert="/nonexistent/ssconvert").available()
    assert not ok and "gnumeric" in why
