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
    ("raw", "expected"),
    [(True, "是"), ("否", "否"), ("92.5%", 0.925), ("1,200", 1200.0), ("95;90", [95.0, 90.0]), ("", None)],
)
def test_values_are_normalised(anqing, raw, expected):
    from xlcalc.scorer import normalize_value

    key = {
        True: "in_budget",
        "否": "in_budget",
        "92.5%": "h1_avg",
        "1,200": "cases",
        "95;90": "survey_scores",
        "": "cases",
    }[raw]
    inp = anqing.spec.input(key)
    value = normalize_value(inp, raw, "x")
    assert value == ([] if expected is None and inp.is_list else (expected if key != "h1_avg" else 0.925))


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
