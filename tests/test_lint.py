"""Lint: sums, totals, implied maxima, full marks above points, duplicates; exit statuses."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import ANQING
from lang_specs import COUNTY_MIX

from xlcalc.lint import exit_status, lint
from xlcalc.spec.loader import load_spec

GOOD = ANQING.read_text(encoding="utf-8")


def _lint(tmp_path, text):
    p = tmp_path / "spec.yaml"
    p.write_text(text, encoding="utf-8")
    return lint(load_spec(p))


def test_anqing_draws_only_its_unreachable_floor(anqing_spec):
    """安庆's 机构人员配备: 7 points, "每少1人扣1分" below 3 people, "扣完为止" — at most 3 people short,
    so the item never goes below 4 points: the stated floor is unreachable, which a reviewer should
    know (issue 13, item 15). Nothing else is flagged."""
    diags = lint(anqing_spec)
    assert [(d.level, d.message) for d in diags] == [
        (
            "warning",
            "“机构人员配备”最低只能得4分：按输入项的取值范围，扣分扣不到0分（请核对每项扣分、扣分次数的上限）",
        )
    ]
    assert exit_status([]) == 0


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        # 2 per missing person, at most 3 missing, from 7 points: never below 1.
        (
            "per: 1\n                unit: 人",
            "per: 2\n                unit: 人",
            "“机构人员配备”最低只能得1分",
        ),
        ("per: 1\n                unit: 人", "per: 3\n                unit: 人", None),  # 7 - 9 reaches 0
        ("shortfall: {value: staff, target: 3}", "shortfall: {value: staff, target: 9}", None),
    ],
)
def test_unreachable_floor_follows_the_declared_ranges(tmp_path, old, new, message):
    assert old in GOOD
    found = [d.message for d in _lint(tmp_path, GOOD.replace(old, new)) if "最低只能" in d.message]
    assert [m.split("：")[0] for m in found] == ([] if message is None else [message])


def test_declared_parameter_no_rule_reads_is_a_warning(tmp_path):
    text = GOOD.replace(
        "params:\n",
        "params:\n  - {name: spare_choice, label: 备用取舍, doc: 未用, default: 1, min: 0, max: 2}\n",
        1,
    )
    msgs = [d.message for d in _lint(tmp_path, text)]
    assert "参数“备用取舍”（spare_choice）未被任何规则使用" in msgs


def test_children_not_summing_is_an_error(tmp_path):
    diags = _lint(
        tmp_path,
        GOOD.replace(
            "          label: 绩效目标\n          points: 9",
            "          label: 绩效目标\n          points: 10",
        ),
    )
    msgs = [d.message for d in diags if d.level == "error"]
    assert any("绩效目标" in m and "4+5=9" in m for m in msgs)
    assert any("投入" in m for m in msgs)
    assert exit_status(diags) == 2


def test_total_must_match_declared(tmp_path):
    diags = _lint(tmp_path, GOOD.replace("  total: 100\n", "  total: 90\n"))
    assert any("meta.total=90" in d.message for d in diags)


def test_implied_points_are_checked(tmp_path):
    text = GOOD.replace(
        "              label: 及时足额发放办案补贴\n              points: 3",
        "              label: 及时足额发放办案补贴\n              points: 2",
    )
    diags = _lint(tmp_path, text)
    assert any("推定分值 2" in d.message and "为 2" not in d.message for d in diags if d.level == "error")


def test_full_marks_above_points_is_a_warning(tmp_path):
    text = GOOD.replace(
        "                kind: step_deduction\n                value: arrival_rate",
        "                kind: step_deduction\n                full_marks: 10\n                value: arrival_rate",
    )
    diags = [d for d in _lint(tmp_path, text) if "机构人员配备" not in d.message]
    assert [d.level for d in diags] == ["warning"]
    assert "规则满分 10 分超过指标分值 6 分" in diags[0].message
    assert exit_status(diags) == 1


def test_duplicate_labels_and_unused_inputs_warn(tmp_path):
    text = GOOD.replace("label: 内网刊登信息", "label: 案例入选中国法服网案例库").replace(
        "  - {id: trainings,", "  - {id: unused_x, label: 无用, unit: 件, type: integer}\n  - {id: trainings,"
    )
    msgs = [d.message for d in _lint(tmp_path, text)]
    assert any("重复的指标名称" in m for m in msgs)
    assert any("unused_x" in m for m in msgs)


def test_an_attribute_read_only_by_applies_when_is_used(tmp_path):
    from_units = _lint(tmp_path, COUNTY_MIX)
    assert not [d for d in from_units if "单位层级" in d.message], [d.message for d in from_units]


BONUS_POOL = (Path(__file__).parent / "specs" / "bonus_pool.yaml").read_text(encoding="utf-8")


def test_caps_and_pools_draw_no_warning_where_the_rubric_uses_them(tmp_path):
    """Bonus items and pooled deductions have no points of their own: 0 points is no mistake there."""
    assert _lint(tmp_path, BONUS_POOL) == []


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        # 国家级 at most 3 × 5 = 15, 省级 5 × 3, 市级 5 × 2: a group cap of 50 is out of reach (its
        # items stop at 10 each: 30 at most).
        (
            "      cap: 10\n      text: 加分",
            "      cap: 50\n      text: 加分",
            "“加分项目”的上限50分达不到：按输入项的取值范围最高只能得30分",
        ),
        ("  points: 100\n  cap: 110", "  points: 100\n  cap: 90", "“总分”的上限90分低于其分值100分"),
        (
            "{id: nat, label: 国家级表彰, unit: 项, type: integer, min: 0, max: 3}",
            "{id: nat, label: 国家级表彰, unit: 项, type: integer, min: 0, max: 1}",
            "“国家级表彰”的上限10分达不到：按输入项的取值范围最高只能得5分",
        ),
        # A pooled deduction whose count can only be 0 never deducts.
        (
            "else_points: -2, pool: team",
            "else_points: 0, pool: team",
            "“人员不足”从上级指标中扣分，但按输入项的取值范围永远扣不到分",
        ),
    ],
)
def test_caps_out_of_reach_and_pools_that_never_deduct_are_warnings(tmp_path, old, new, message):
    assert old in BONUS_POOL
    assert message in [d.message for d in _lint(tmp_path, BONUS_POOL.replace(old, new))]
