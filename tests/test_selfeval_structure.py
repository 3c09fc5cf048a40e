"""National category structure findings."""

from __future__ import annotations

from pathlib import Path

import pytest

from xlcalc.selfeval.structure import category_findings
from xlcalc.spec.loader import load_spec

HEAD = "selfeval: {id: t, project: 测试, department: 局, unit: 科, year: 2023}\nrows:\n"


@pytest.mark.parametrize(
    ("rows", "findings"),
    [
        (
            "  - [产出指标, 数量指标, 甲, 1次, 50]\n  - [效益指标, 社会效益指标, 乙, 1次, 30]\n"
            "  - [满意度指标, 服务对象满意度指标, 丙, 90%, 10]\n",
            [],
        ),
        ("  - [产出指标, 数量指标, 甲, 1次, 90]\n", ["缺少一级指标“效益指标”", "缺少一级指标“满意度指标”"]),
        (
            "  - [产出指标, 数量指标, 甲, 1次, 50]\n  - ['', 社会效益指标, 乙, 1次, 30]\n"
            "  - [满意度指标, 服务对象满意度指标, 丙, 90%, 10]\n",
            ["缺少一级指标“效益指标”", "二级指标“社会效益指标”应属“效益指标”，表中列在“产出指标”下"],
        ),
        ("  - [工作任务, 完成情况, 甲, 1次, 90]\n", []),  # not a national table: nothing to say
    ],
)
def test_category_findings(tmp_path: Path, rows: str, findings: list[str]) -> None:
    p = tmp_path / "t.yaml"
    p.write_text(HEAD + rows, encoding="utf-8")
    assert category_findings(load_spec(p), expected_sub=()) == findings


@pytest.mark.parametrize(
    ("profile", "findings"),
    [
        ("national", ["产出指标下缺少二级指标“成本指标”"]),
        ("guangxi", ["产出指标下缺少二级指标“成本指标”"]),
        ("sichuan", []),  # the Sichuan form does not prescribe its 二级
    ],
)
def test_second_level_the_profile_expects(tmp_path: Path, profile: str, findings: list[str]) -> None:
    rows = (
        "  - [产出指标, 数量指标, 甲, 1次, 30]\n  - ['', 时效指标, 乙, ≤5天, 20]\n"
        "  - [效益指标, 社会效益指标, 丙, 1次, 30]\n  - [满意度指标, 服务对象满意度指标, 丁, 90%, 10]\n"
    )
    p = tmp_path / "t.yaml"
    p.write_text(HEAD.replace("year: 2023}", f"year: 2023, profile: {profile}}}") + rows, encoding="utf-8")
    assert category_findings(load_spec(p)) == findings
