"""The round identity: what makes two files of the same round, and reading it back from a file."""

from __future__ import annotations

import pytest
from openpyxl import Workbook
from round_files import spec, template

from xlcalc.round.identity import ROUND_SHEET, Identity, read_identity, round_identity
from xlcalc.scorer import resolve_params
from xlcalc.spec.loader import load_spec
from xlcalc.workbook.untrusted import UntrustedBook


def _other_spec(tmp_path, old: str, new: str):
    text = spec().source_text.replace(old, new, 1)
    assert text != spec().source_text
    path = tmp_path / "other.yaml"
    path.write_text(text, encoding="utf-8")
    return load_spec(path)


@pytest.mark.parametrize(
    ("change", "same"),
    [
        ("nothing", True),
        ("unit", True),  # the unit is not part of the round
        ("param", False),
        ("spec_text", False),
        ("spec_id", False),
    ],
)
def test_what_makes_another_round(tmp_path, change, same):
    base = round_identity(spec(), resolve_params(spec()), "迎江区")
    s, params, unit = spec(), resolve_params(spec()), "迎江区"
    if change == "unit":
        unit = "大观区"
    elif change == "param":
        params = resolve_params(s, {"partial_step": "ceil"})
    elif change == "spec_text":
        s = _other_spec(tmp_path, "title: 2023年度", "title: 2024年度")
        params = resolve_params(s)
    elif change == "spec_id":
        s = _other_spec(tmp_path, "id: anqing_2023", "id: anqing_2024")
        params = resolve_params(s)
    other = round_identity(s, params, unit)
    assert other.same_round(base) is same
    assert (other.spec_id == base.spec_id) is (change != "spec_id")


def test_comments_do_not_change_the_spec_hash(tmp_path):
    s = _other_spec(tmp_path, "meta:", "# a comment\nmeta:")
    a, b = round_identity(spec(), resolve_params(spec())), round_identity(s, resolve_params(s))
    assert a.spec_hash == b.spec_hash and a.round_hash == b.round_hash


def test_identity_is_read_back_from_a_distributed_file(tmp_path):
    path = tmp_path / "迎江区.xlsx"
    path.write_bytes(template().package("迎江区"))
    got = read_identity(UntrustedBook(path))
    assert got == Identity(**{**template().identity.__dict__, "unit": "迎江区"})


def test_a_workbook_without_the_sheet_has_no_identity(tmp_path):
    path = tmp_path / "plain.xlsx"
    Workbook().save(path)
    assert read_identity(UntrustedBook(path)) is None


def test_numbers_typed_into_the_sheet_read_as_text(tmp_path):
    wb = Workbook()
    ws = wb.create_sheet(ROUND_SHEET)
    for row, value in enumerate(("1", "anqing_2023", 2023, "abc", "def", "迎江区"), start=1):
        ws.cell(row=row, column=2, value=value)
    path = tmp_path / "typed.xlsx"
    wb.save(path)
    got = read_identity(UntrustedBook(path))
    assert got is not None and got.year == "2023" and got.unit == "迎江区"
