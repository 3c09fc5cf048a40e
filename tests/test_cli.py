"""The xlcalc command: exit statuses, readable and JSON output, errors without tracebacks."""

from __future__ import annotations

import json

import pytest
from conftest import ANQING, ROOT
from lang_specs import COUNTY_MIX

from xlcalc.cli import main

EXAMPLE = ROOT / "examples" / "anqing_2023_units.yaml"


def test_lint_clean_exits_zero(capsys):
    assert main(["lint", str(ROOT / "rubric_specs" / "qingyunpu_2023.yaml")]) == 0
    assert "OK" in capsys.readouterr().out


def test_lint_bad_spec_exits_two(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        ANQING.read_text(encoding="utf-8").replace("  total: 100\n", "  total: 90\n"), encoding="utf-8"
    )
    assert main(["lint", str(bad)]) == 2
    assert "meta.total=90" in capsys.readouterr().out


def test_score_table(capsys):
    assert main(["score", str(ANQING), "--inputs", str(EXAMPLE)]) == 0
    out = capsys.readouterr().out
    assert "== 迎江区：总分" in out and "资金到位率" in out


def test_score_json_with_param(capsys):
    assert (
        main(["score", str(ANQING), "--inputs", str(EXAMPLE), "--json", "--param", "partial_step=ceil"]) == 0
    )
    doc = json.loads(capsys.readouterr().out)
    assert doc["format"] == "xlcalc.score" and doc["version"] == 1
    assert doc["params"]["partial_step"] == "不足一档按一档扣"
    assert len(doc["units"]) == 10


def test_score_lieshan_marks_missing(capsys):
    assert (
        main(["score", str(ANQING), "--inputs", str(ROOT / "examples" / "lieshan_2023.yaml"), "--json"]) == 0
    )
    unit = json.loads(capsys.readouterr().out)["units"][0]
    assert unit["complete"] is False and unit["grade"] is None
    assert {n["id"] for n in unit["nodes"] if n["rule"] and n["score"] is None} >= {
        "goals_1",
        "org_2",
        "sat_1",
    }


def test_user_errors_have_no_traceback(tmp_path, capsys):
    bad = tmp_path / "in.yaml"
    bad.write_text("unit: 甲\ninputs: {cases: -3}\n", encoding="utf-8")
    assert main(["score", str(ANQING), "--inputs", str(bad)]) == 2
    err = capsys.readouterr().err
    assert str(bad) in err and "超出允许范围" in err and "Traceback" not in err
    assert main(["score", str(ANQING), "--inputs", str(EXAMPLE), "--param", "oops"]) == 2


BAD_PARAMS = [
    ("rank_beyond=nan", "应为有限的数字"),
    ("rank_beyond=inf", "应为有限的数字"),
    ("rank_beyond=1e999", "应为有限的数字"),
    ("rank_beyond=abc", "应为数字"),
    ("no_such_param=1", "未知参数"),
    ("rank_beyond", "NAME=VALUE"),
]


@pytest.mark.parametrize(("pair", "message"), BAD_PARAMS)
def test_bad_param_is_a_clean_error(capsys, pair, message):
    assert main(["score", str(ANQING), "--inputs", str(EXAMPLE), "--param", pair]) == 2
    assert message in capsys.readouterr().err


def test_build_refuses_a_spec_whose_id_escapes(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        ANQING.read_text(encoding="utf-8").replace("  id: anqing_2023\n", "  id: ../../escaped\n"),
        encoding="utf-8",
    )
    out = tmp_path / "out"
    assert main(["build", str(bad), "--out", str(out), "--no-xlsm"]) == 2
    assert "must be ASCII" in capsys.readouterr().err
    assert not (tmp_path.parent / "escaped.xlsx").exists() and not any(tmp_path.rglob("*.xlsx"))


def test_score_shows_not_applicable_and_fills_unit_levels(tmp_path, capsys):
    """The 区级 unit's 县级 item reads 不适用 (not 待填); its level comes from meta.units."""
    spec = tmp_path / "mix.yaml"
    spec.write_text(COUNTY_MIX, encoding="utf-8")
    inputs = tmp_path / "in.yaml"
    inputs.write_text(
        "units:\n  - unit: 甲区\n    inputs: {cases: 90, target: 100, street: 3, trained: 是}\n"
    )
    assert main(["score", str(spec), "--inputs", str(inputs)]) == 0
    out = capsys.readouterr().out
    assert "乡镇工作（县级）                 不适用 / 20" in out and "（完整，" in out
    inputs.write_text("units:\n  - unit: 甲区\n    inputs: {level: 县级}\n")
    assert main(["score", str(spec), "--inputs", str(inputs)]) == 2
    assert "与评分标准单位名单中的“区级”不一致" in capsys.readouterr().err
