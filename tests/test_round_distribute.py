"""distribute: file names safe on Windows, only the rubric's units, files only inside --out."""

from __future__ import annotations

import hashlib

import openpyxl
import pytest
from conftest import ANQING, ROOT
from round_files import spec

from xlcalc.cli import main
from xlcalc.errors import XlcalcError
from xlcalc.round.distribute import distribute, file_names, pick_units, safe_stem


@pytest.mark.parametrize(
    ("name", "stem"),
    [
        ("迎江区", "迎江区"),
        ('a/b\\c:d*e?f"g<h>i|j', "a_b_c_d_e_f_g_h_i_j"),
        ("CON", "_CON"),
        ("lpt1.县", "_lpt1.县"),
        ("区. ", "区"),
        ("...", "单位"),
        ("\x00\x1f", "__"),
        ("县" * 150, "县" * 100),
    ],
)
def test_safe_stem(name, stem):
    assert safe_stem(name) == stem


def test_names_equal_after_cleaning_or_by_case_get_a_number():
    assert file_names(["a/b", "a:b", "AB", "ab"]) == {
        "a/b": "a_b.xlsx",
        "a:b": "a_b（2）.xlsx",
        "AB": "AB.xlsx",
        "ab": "ab（2）.xlsx",
    }


@pytest.mark.parametrize(
    ("wanted", "result"),
    [
        (None, list(spec().meta.units)),
        (["大观区", "迎江区", "大观区"], ["大观区", "迎江区"]),
        (["火星区"], XlcalcError),
    ],
)
def test_pick_units(wanted, result):
    if result is XlcalcError:
        with pytest.raises(XlcalcError, match="火星区.*不在评分标准的单位名单中"):
            pick_units(spec(), wanted)
    else:
        assert pick_units(spec(), wanted) == result


def test_distribute_writes_one_file_per_unit_and_leaves_templates_alone(tmp_path):
    templates = {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in (ROOT / "templates").glob("anqing*")
    }
    paths = distribute(spec(), tmp_path / "out", params={"partial_step": "ceil"})
    assert [p.name for p in paths] == [f"{u}.xlsx" for u in spec().meta.units]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(p.name for p in paths)
    wb = openpyxl.load_workbook(paths[3], read_only=True)
    assert wb["填报"]["A4"].value == spec().meta.units[3]
    after = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in (ROOT / "templates").glob("anqing*")}
    assert after == templates


def test_cli(tmp_path, capsys):
    assert main(["distribute", str(ANQING), "--units", "迎江区", "桐城市", "--out", str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["桐城市.xlsx", "迎江区.xlsx"]
    assert "已为2个单位生成填报文件" in capsys.readouterr().out
    assert main(["distribute", str(ANQING), "--param", "nope=1", "--out", str(tmp_path)]) == 2
