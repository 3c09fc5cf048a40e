"""Every 安庆 2023 sub-rule, hand-computed: at the threshold, just below, partial steps, floors,
vetoes and parameters. Each case starts from a unit with full marks and changes a few inputs."""

from __future__ import annotations

import pytest
from conftest import PERFECT

from xlcalc.scorer import UnitInputs

CASES = [
    # (node, input overrides, params, expected score, text the explanation must contain)
    ("goals_1", {}, {}, 4, "每10万人法律援助办案数120件，达到110件"),
    ("goals_1", {"cases": 110, "target_cases": 110}, {}, 4, "110件，达到110件"),
    ("goals_1", {"cases": 109, "target_cases": 109}, {}, 0, "109件，未达到110件"),
    ("goals_1", {"cases": 329, "target_cases": 329, "population": 300000}, {}, 0, "109.67件"),
    ("goals_1", {"cases": 330, "target_cases": 330, "population": 300000}, {}, 4, "110件"),
    ("goals_2", {"cases": 119}, {}, 4.5, "少1件，每少1件扣0.5分，扣0.5分"),
    ("goals_2", {"cases": 110}, {}, 0, "扣5分"),
    ("goals_2", {"cases": 109}, {}, 0, "扣完为止"),
    ("goals_2", {"cases": 109}, {"negative_scores": "allow"}, -0.5, "扣5.5分"),
    ("goals_2", {"cases": 130}, {}, 5, "已达到"),
    ("funding_1", {"funds_arrived": 148}, {}, 6, "资金到位率148.0%，达到100%"),
    ("funding_1", {"funds_arrived": 95}, {}, 5.5, "低于100%共5.0个百分点"),
    (
        "funding_1",
        {"funds_arrived": 92},
        {},
        5.5,
        "资金到位率92.0%，低于100%共8.0个百分点，按每5个百分点扣0.5分计（不足一档不扣），扣0.5分，得5.5分",
    ),
    ("funding_1", {"funds_arrived": 96}, {}, 6, "扣0分"),
    ("funding_1", {"funds_arrived": 96}, {"partial_step": "ceil"}, 5.5, "不足一档按一档扣"),
    ("funding_1", {"funds_arrived": 96}, {"partial_step": "proportional"}, 5.6, "扣0.4分"),
    ("funding_1", {"funds_arrived": 96}, {"partial_step": "round"}, 5.5, ""),
    # (1-0.9)/0.05 is 1.9999999999999996 in binary: must still be two full steps.
    ("funding_1", {"funds_arrived": 90}, {}, 5, "共10.0个百分点"),
    ("funding_1", {"funds_arrived": 0}, {}, 0, "扣完为止"),
    ("funding_1", {"funds_arrived": 0}, {"negative_scores": "allow"}, -4, ""),
    ("funding_2", {}, {}, 7, "地方配套资金每件投入600元/件，达到600元/件"),
    ("funding_2", {"local_matching": 7.19}, {}, 0, "未达到600元/件"),
    ("funding_2", {"in_budget": "否"}, {}, 0, "全部纳入政府财政预算：否"),
    ("funding_2", {"funding_notices": 2}, {}, 6, "资金投入不到位被通报2次，扣1分"),
    ("funding_2", {"funding_notices": 15}, {}, 0, "扣完为止"),
    ("funding_2", {"in_budget": "否", "funding_notices": 1}, {}, 0, "扣完为止"),
    ("org_1", {"has_agency": "否"}, {}, 0, "不符合得分条件"),
    ("org_1", {}, {}, 10, "符合得分条件"),
    ("org_2", {"staff": 2}, {}, 6, "少1人"),
    ("org_2", {"staff": 0}, {}, 4, "扣3分"),
    ("org_2", {"staff": 9}, {}, 7, "已达到"),
    ("balance_1", {}, {}, 5, "结案率80.0%，达到80%"),
    # RULES.md P3 worked example: 77.5% and 72% under the four partial-step modes.
    ("balance_1", {"closed": 77.5 * 2, "approved": 200}, {}, 5, ""),
    ("balance_1", {"closed": 155, "approved": 200}, {"partial_step": "ceil"}, 4.5, ""),
    ("balance_1", {"closed": 155, "approved": 200}, {"partial_step": "proportional"}, 4.75, ""),
    ("balance_1", {"closed": 155, "approved": 200}, {"partial_step": "round"}, 4.5, ""),
    ("balance_1", {"closed": 72, "lawyer_cases": 54}, {}, 4.5, "低于80%共8.0个百分点"),
    ("balance_1", {"closed": 72, "lawyer_cases": 54}, {"partial_step": "ceil"}, 4, ""),
    ("balance_1", {"closed": 72, "lawyer_cases": 54}, {"partial_step": "proportional"}, 4.2, ""),
    ("balance_1", {"closed": 72, "lawyer_cases": 54}, {"partial_step": "round"}, 4, ""),
    ("balance_1", {"closed": 0, "lawyer_cases": 0}, {}, 0, "扣完为止"),
    ("balance_1", {"closed": 0, "lawyer_cases": 0}, {"negative_scores": "allow"}, -3, ""),
    ("balance_2", {"lawyer_cases": 56}, {}, 2.8, "低于75%共5.0个百分点"),
    ("balance_2", {"lawyer_cases": 0}, {}, 0, "扣3分"),
    (
        "balance_3",
        {"caseloads": [89, 90, 149, 150, 200]},
        {},
        -7,
        "年办案90-149件的2人，每人扣1.5分；年办案150件及以上的2人，每人扣2分；共扣7分",
    ),
    ("balance_3", {"caseloads": [10, 20]}, {}, 0, "共扣0分"),
    ("balance", {"caseloads": [89, 90, 149, 150, 200]}, {}, 1, ""),
    ("balance", {"caseloads": [150] * 6}, {}, 0, ""),
    ("balance", {"caseloads": [150] * 6}, {"caseload_pool": "l1_process"}, 8, ""),
    ("l1_process", {"caseloads": [150] * 6}, {"caseload_pool": "l1_process"}, 17, ""),
    ("l1_process", {"caseloads": [150] * 6}, {}, 21, ""),
    ("total", {"caseloads": [150] * 6}, {"caseload_pool": "total"}, 88, ""),
    ("pub_1", {"publicity": "否"}, {}, 0, ""),
    ("pub_2", {"case_library": 0}, {}, 0, "未达到1篇"),
    ("pub_3", {"intranet_posts": 1}, {}, 0, "未达到2篇"),
    ("pub_3", {"intranet_posts": 2}, {}, 1, "达到2篇"),
    ("quality_h1_a", {"h1_avg": 86}, {}, 4.3, "平均得分86分"),
    # 5×88.5/100 = 4.425 rounds half away from zero (Python's round gives 4.42).
    ("quality_h1_a", {"h1_avg": 88.5}, {}, 4.43, ""),
    ("quality_h1_b", {}, {}, 1, "比例80.0%，达到80%"),
    ("quality_h1_b", {"h1_good": 7}, {}, 0.8, "低于80%共10.0个百分点"),
    ("quality_h1_b", {"h1_reviewed": 20, "h1_good": 15}, {}, 1, ""),
    ("quality_h1_b", {"h1_reviewed": 20, "h1_good": 15}, {"partial_step": "ceil"}, 0.8, ""),
    ("quality_h1_b", {"h1_reviewed": 20, "h1_good": 15}, {"partial_step": "proportional"}, 0.9, ""),
    ("quality_h1_b", {"h1_failed": 1}, {}, 0.5, "不合格案卷1件，扣0.5分"),
    ("quality_h1_b", {"h1_failed": 2}, {}, 0, ""),
    ("quality_h1_b", {"h1_good": 7, "h1_failed": 1}, {}, 0.3, ""),
    ("quality_h1_b", {"h1_good": 0, "h1_failed": 3}, {}, 0, "扣完为止"),
    ("quality_h2_b", {"h2_good": 6}, {}, 0.6, ""),
    ("quality_3", {"adopted_cases": 0}, {}, 0, ""),
    ("quality_3", {"adopted_cases": 3}, {}, 1.2, "3篇，每篇得0.4分"),
    ("quality_3", {"adopted_cases": 6}, {}, 2, "以2分为限"),
    ("quality_4", {"trainings": 1}, {}, 0.5, ""),
    ("quality_4", {"trainings": 0}, {}, 0, ""),
    ("quality_4", {"trainings": 4}, {}, 1, ""),
    ("use_1", {"business_spent": 95, "subsidies": 85.5}, {}, 1, "低于100%共5.0个百分点"),
    ("use_1", {"business_spent": 96, "subsidies": 86.4}, {}, 2, ""),
    ("use_1", {"use_notices": 1}, {}, 1.5, "资金使用不到位被通报1次，扣0.5分"),
    ("use_1", {"business_spent": 90, "subsidies": 81, "use_notices": 1}, {}, 0, "扣完为止"),
    ("use_2", {"subsidies": 85}, {}, 2, ""),
    ("use_2", {"subsidies": 75}, {}, 0, ""),
    ("use_2", {"subsidies": 70}, {}, 0, "扣完为止"),
    ("use_3", {"late_payments": 1}, {}, 2.5, ""),
    ("use_3", {"late_payments": 7}, {}, 0, "扣完为止"),
    ("use_4", {"rectified": "否"}, {}, 0.5, "专项自查有整改结果：否"),
    ("use_4", {"rectified": "否", "self_check": "否"}, {}, 0, "未完成事项2项"),
    ("sat_1", {"survey_scores": [90] * 20}, {}, 18, "平均得分90分"),
    ("sat_1", {"survey_scores": [90] * 20, "bribery_verified": "是"}, {}, 0, "本项不得分"),
    ("satisfaction", {"bribery_verified": "是"}, {}, 3, ""),
    ("satisfaction", {"bribery_verified": "是"}, {"veto_scope": "satisfaction"}, 0, ""),
    ("sat_1", {"survey_scores": [90] * 19}, {}, 18, "调查19人，少于20人"),
    ("sat_1", {"survey_scores": [90] * 19}, {"survey_sample": "prorate"}, 17.1, ""),
    ("sat_1", {"survey_scores": [90] * 19}, {"survey_sample": "zero"}, 0, ""),
    # 20 × (1050.5/19)/100 × 19/20 = 10.505 exactly: rounded once, at the end, to 10.51.
    ("sat_1", {"survey_scores": [55] * 18 + [60.5]}, {"survey_sample": "prorate"}, 10.51, ""),
    (
        "sat_1",
        {"survey_scores": [90] * 20, "bribery_verified": "是"},
        {"veto_scope": "satisfaction"},
        18,
        "上级指标整项不得分，得18分",
    ),
    ("sat_1", {"survey_scores": [95, 85] * 10 + [88.5]}, {}, 17.99, "平均得分89.93分"),
    ("sat_2", {"complaints": 1}, {}, 2, "1起，每起扣1分"),
    ("sat_2", {"complaints": 4}, {}, 0, "扣完为止"),
    ("total", {}, {}, 100, ""),
]


@pytest.mark.parametrize(("node", "changes", "params", "expected", "text"), CASES)
def test_rule(anqing, node, changes, params, expected, text):
    result = anqing.score([UnitInputs("测试", {**PERFECT, **changes})], params)[0]
    n = result.node(node)
    assert n.score == pytest.approx(expected, abs=1e-9), n.explanation
    assert text in n.explanation


def test_perfect_unit_grade(anqing):
    r = anqing.score([UnitInputs("满分", PERFECT)])[0]
    assert (r.total, r.complete, r.grade, r.pending) == (100, True, "优", 0)


def test_empty_unit_is_pending_not_zero(anqing):
    r = anqing.score([UnitInputs("空", {})])[0]
    rules = [n for n in r.nodes if n.is_rule]
    assert all(n.score is None and n.explanation.startswith("待填") for n in rules)
    assert (r.total, r.complete, r.grade) == (0, False, None)
    assert r.pending == len(rules)


def test_one_missing_input_marks_only_dependent_rules(anqing):
    values = dict(PERFECT)
    del values["population"]
    r = anqing.score([UnitInputs("缺人口", values)])[0]
    pending = [n.id for n in r.nodes if n.is_rule and n.score is None]
    assert pending == ["goals_1"]
    assert r.total == 96 and not r.complete and r.grade is None


def _ranked(rates: list[int], params=None):
    """Ten units whose 上半年优秀案卷 counts (of 10) are ``rates``."""
    from xlcalc.spec.loader import load_spec  # noqa: F401 (fixture-free helper)

    return [UnitInputs(f"U{k}", {**PERFECT, "h1_excellent": r}) for k, r in enumerate(rates)]


RANK_CASES = [
    # excellent counts of 10 units, tie method, beyond-tier score, expected quality_h1_c scores
    ([10, 9, 9, 9, 9, 5, 4, 3, 2, 1], "competition", 0, [1, 1, 1, 1, 1, 0.9, 0.8, 0.8, 0.8, 0]),
    ([10, 9, 9, 9, 9, 5, 4, 3, 2, 1], "dense", 0, [1, 1, 1, 1, 1, 1, 0.9, 0.9, 0.9, 0.8]),
    ([5] * 10, "competition", 0, [1] * 10),
    ([10, 9, 8, 7, 6, 5, 4, 3, 2, 1], "competition", 0.5, [1, 1, 1, 0.9, 0.9, 0.9, 0.8, 0.8, 0.8, 0.5]),
    ([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], "competition", 0, [0, 0.8, 0.8, 0.8, 0.9, 0.9, 0.9, 1, 1, 1]),
]


@pytest.mark.parametrize(("counts", "ties", "beyond", "expected"), RANK_CASES)
def test_rank_tiers(anqing, counts, ties, beyond, expected):
    results = anqing.score(_ranked(counts), {"rank_ties": ties, "rank_beyond": beyond})
    assert [r.node("quality_h1_c").score for r in results] == expected


def test_rank_ignores_units_without_data(anqing):
    units = _ranked([10, 9, 8, 7])
    units.append(UnitInputs("未填", {**PERFECT, "h1_excellent": None}))
    results = anqing.score(units)
    assert results[-1].node("quality_h1_c").score is None
    assert [r.node("quality_h1_c").score for r in results[:4]] == [1, 1, 1, 0.9]


def test_rank_precision_decides_equality(anqing):
    # 1/3 and 3333/10000 are equal at 4 decimals (0.3333) but not at 6.
    a = UnitInputs("A", {**PERFECT, "h1_reviewed": 3, "h1_good": 3, "h1_excellent": 1})
    b = UnitInputs("B", {**PERFECT, "h1_reviewed": 10000, "h1_good": 10000, "h1_excellent": 3333})
    c = UnitInputs("C", {**PERFECT, "h1_reviewed": 10, "h1_good": 10, "h1_excellent": 9})
    d = UnitInputs("D", {**PERFECT, "h1_reviewed": 10, "h1_good": 10, "h1_excellent": 8})
    e = UnitInputs("E", {**PERFECT, "h1_reviewed": 10, "h1_good": 10, "h1_excellent": 7})
    ranks4 = [r.cells["quality_h1_c__rank"] for r in anqing.score([c, d, e, a, b])]
    ranks6 = [r.cells["quality_h1_c__rank"] for r in anqing.score([c, d, e, a, b], {"rank_precision": 6})]
    assert ranks4 == [1, 2, 3, 4, 4]
    assert ranks6 == [1, 2, 3, 4, 5]
