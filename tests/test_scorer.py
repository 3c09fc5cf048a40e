"""Scorer API: input normalisation and its located errors, parameters, results, JSON."""

from __future__ import annotations

import pytest
from conftest import PERFECT

from xlcalc.errors import InputError
from xlcalc.scorer import UnitInputs, resolve_params

BAD_INPUTS = [
    ({"cases": -1}, "“年度法律援助办案数量”=-1件 超出允许范围 0–100000件"),
    ({"cases": 1.5}, "应为整数"),
    ({"in_budget": "可能"}, "应填“是”或“否”"),
    ({"staff": "三"}, "应为数字"),
    ({"caseloads": [10, -5]}, "第2项"),
    ({"survey_scores": [90] * 201}, "最多200项"),
    ({"nonsense": 1}, "未知的输入项 nonsense"),
]


@pytest.mark.parametrize(("changes", "message"), BAD_INPUTS)
def test_bad_values_are_named(anqing, changes, message):
    with pytest.raises(InputError) as exc:
        anqing.score([UnitInputs("迎江区", {**PERFECT, **changes})])
    assert message in str(exc.value) and "迎江区" in str(exc.value)


@pytest.mark.parametrize(
    ("unit", "location"),
    [
        (UnitInputs("迎江区", {**PERFECT, "staff": "三"}), "迎江区，输入项 staff："),
        (UnitInputs("甲", {**PERFECT, "staff": "三"}, "u.csv:4"), "u.csv:4 单位“甲”，输入项 staff："),
    ],
)
def test_errors_name_the_unit_its_location_and_the_input(anqing, unit, location):
    with pytest.raises(InputError) as exc:
        anqing.normalize(unit)
    assert str(exc.value).startswith(location) and "应为数字" in str(exc.value)


def test_inputs_files_give_text_and_typed_values_score_alike(anqing):
    text = {k: (";".join(map(str, v)) if isinstance(v, list) else str(v)) for k, v in PERFECT.items()}
    assert anqing.normalize(UnitInputs("甲", text)) == anqing.normalize(UnitInputs("甲", PERFECT))


def test_unknown_inputs_listed_briefly(anqing):
    with pytest.raises(InputError) as exc:
        anqing.normalize(UnitInputs("甲", {f"x{k}": 1 for k in range(50)}))
    assert "未知的输入项 x0、x1" in str(exc.value) and "x49" not in str(exc.value)


def test_params_by_code_or_label(anqing_spec):
    assert resolve_params(anqing_spec, {"partial_step": "ceil"})["partial_step"] == "不足一档按一档扣"
    assert resolve_params(anqing_spec, {"partial_step": "按比例扣"})["partial_step"] == "按比例扣"
    with pytest.raises(InputError, match="可选"):
        resolve_params(anqing_spec, {"partial_step": "half"})
    with pytest.raises(InputError, match="未知参数"):
        resolve_params(anqing_spec, {"nope": 1})
    with pytest.raises(InputError, match="超出允许范围"):
        resolve_params(anqing_spec, {"score_decimals": 9})


def test_json_result_is_stable(anqing):
    r = anqing.score([UnitInputs("满分", PERFECT)])[0].to_json()
    assert set(r) == {"unit", "total", "complete", "pending", "grade", "nodes"}
    node = next(n for n in r["nodes"] if n["id"] == "funding_1")
    assert set(node) == {"id", "label", "level", "max", "score", "deduction", "status", "explanation", "rule"}
    assert node["score"] == 6 and node["deduction"] == 0 and node["status"] == "完成"
