"""Inputs files: YAML, JSON and CSV, with located errors."""

from __future__ import annotations

import json

import pytest

from xlcalc.errors import InputError
from xlcalc.inputs import load_inputs


def test_yaml_units(tmp_path):
    p = tmp_path / "u.yaml"
    p.write_text(
        "units:\n  - unit: 甲\n    inputs: {cases: 5}\n  - unit: 乙\n    inputs: {}\n", encoding="utf-8"
    )
    units = load_inputs(p)
    assert [u.name for u in units] == ["甲", "乙"] and units[0].values == {"cases": 5}


def test_json_single_unit(tmp_path):
    p = tmp_path / "u.json"
    p.write_text(json.dumps({"unit": "丙", "inputs": {"staff": 3}}, ensure_ascii=False), encoding="utf-8")
    assert load_inputs(p)[0].values == {"staff": 3}


def test_csv_rows_with_lists(tmp_path):
    p = tmp_path / "u.csv"
    p.write_text("unit,cases,caseloads\n甲,5,90;150\n乙,,\n", encoding="utf-8")
    units = load_inputs(p)
    assert units[0].values == {"cases": "5", "caseloads": "90;150"} and units[1].values == {}


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("a.yaml", "units: 3\n", "units 应为列表"),
        ("b.yaml", "units:\n  - {unit: 甲, inputs: {}}\n  - {unit: 甲, inputs: {}}\n", "单位名称重复"),
        ("c.yaml", "unit: 甲\ninput: {}\n", "缺少 units 或 inputs"),
        ("d.json", "{not json", "文件格式错误"),
        ("e.csv", "cases\n5\n", "unit 列"),
        ("f.yaml", "units:\n  - {unit: 甲, inputs: {}, extra: 1}\n", "未知键 extra"),
    ],
)
def test_bad_files_name_the_file(tmp_path, name, text, message):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as exc:
        load_inputs(p)
    assert message in str(exc.value) and str(p) in str(exc.value)
