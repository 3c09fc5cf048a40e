"""The national category structure of a 自评表 (产出/效益/满意度 and their 二级), checked on any
spec whose top level uses those names."""

from __future__ import annotations

from xlcalc.selfeval.profiles import profile_of
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


def category_findings(
    spec: Spec, expected: tuple[str, ...] = REQUIRED, expected_sub: tuple[str, ...] | None = None
) -> list[str]:
    """Missing 一级, 二级 filed under another 一级, and (``expected_sub``, default: the spec's
    profile's) 二级 the profile expects under 产出指标."""
    tops = [c for c in spec.root.children if c.children]
    labels = {c.label for c in tops}
    if not labels & set(REQUIRED):
        return []  # not a national 自评表
    if expected_sub is None:
        profile = profile_of(spec)
        expected_sub = profile.expected_sub if profile else ()
    out = [f"缺少一级指标“{name}”" for name in expected if name not in labels]
    subs = {sub.label for top in tops for sub in top.children}
    out += [f"产出指标下缺少二级指标“{name}”" for name in expected_sub if name not in subs]
    for top in tops:
        for sub in top.children:
            home = HOME.get(sub.label)
            if home and home != top.label and home in REQUIRED:
                out.append(f"二级指标“{sub.label}”应属“{home}”，表中列在“{top.label}”下")
    return out
