"""The national category structure of a 自评表 (产出/效益/满意度 and their 二级), checked on any
spec whose top level uses those names."""

from __future__ import annotations

from xlcalc.spec.model import Spec

# 二级 names and the 一级 they belong to (FORMS.md).
HOME = {
    "数量指标": "产出指标",
    "质量指标": "产出指标",
    "时效指标": "产出指标",
    "成本指标": "产出指标",
    "经济效益指标": "效益指标",
    "社会效益指标": "效益指标",
    "生态效益指标": "效益指标",
    "可持续影响指标": "效益指标",
    "服务对象满意度指标": "满意度指标",
}
REQUIRED = ("产出指标", "效益指标", "满意度指标")


def category_findings(spec: Spec, expected: tuple[str, ...] = REQUIRED) -> list[str]:
    tops = [c for c in spec.root.children if c.children]
    labels = {c.label for c in tops}
    if not labels & set(REQUIRED):
        return []  # not a national 自评表
    out = [f"缺少一级指标“{name}”" for name in expected if name not in labels]
    for top in tops:
        for sub in top.children:
            home = HOME.get(sub.label)
            if home and home != top.label and home in REQUIRED:
                out.append(f"二级指标“{sub.label}”应属“{home}”，表中列在“{top.label}”下")
    return out
