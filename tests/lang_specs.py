"""Test specs of the spec-language constructs of issue 13, items 13 and 14: one cohort rubric using
``applies_when`` (县级 and 区级 items in one rubric; points excluded from the scored total or
reallocated to a sibling) and ``rank_node`` (总分排名前2名加2分), and one single-project form whose
unit attribute is an input."""

from __future__ import annotations

from pathlib import Path

from xlcalc.spec.loader import load_spec
from xlcalc.spec.model import Spec

COUNTY_MIX = """meta:
  id: county_mix
  title: 县区法律援助考核
  total: 102
  unit_kind: 县（市、区）
  units:
    - {name: 甲区, level: 区级}
    - {name: 乙县, level: 县级}
    - {name: 丙县, level: 县级}
    - {name: 丁区, level: 区级}
  grades: [{label: 优, min: 90}, {label: 良, min: 80}, {label: 差, min: 0}]
inputs:
  - {id: level, label: 单位层级, type: text, values: [县级, 区级]}
  - {id: cases, label: 办案数量, unit: 件, type: integer, min: 0, max: 1000}
  - {id: target, label: 目标数量, unit: 件, type: integer, min: 1, max: 1000}
  - {id: rural, label: 乡镇工作站覆盖率, type: percent, min: 0, max: 1}
  - {id: street, label: 街道工作站数, unit: 个, type: integer, min: 0, max: 50}
  - {id: trained, label: 开展业务培训, type: bool}
derived:
  - {id: done_rate, label: 办案完成率, kind: ratio, of: [cases, target], percent: true}
tree:
  id: final
  label: 最终得分
  points: 102
  children:
    - id: total
      label: 考核得分
      points: 100
      children:
        - id: output
          label: 产出
          points: 60
          children:
            - id: cases_item
              label: 办案数量
              points: 40
              rule: {kind: deduction, shortfall: {value: cases, target: target}, per: 1, unit: 件, floor: zero}
            - id: rank_item
              label: 完成率排名
              points: 20
              rule: {kind: rank_tiers, key: done_rate, tiers: [{upto: 1, points: 20}, {upto: 2, points: 18}]}
        - id: county
          label: 乡镇工作（县级）
          points: 20
          applies_when: {level: 县级}
          not_applicable: {excluded_from: total}
          children:
            - id: rural_item
              label: 乡镇工作站覆盖率
              points: 20
              rule: {kind: step_deduction, value: rural, threshold: 100%, step: 10%, per_step: 2, floor: zero}
        - id: group
          label: 阵地建设
          points: 20
          children:
            - id: street_item
              label: 街道工作站（区级）
              points: 10
              applies_when: {level: 区级}
              not_applicable: {reallocate: [train_item]}
              rule: {kind: deduction, shortfall: {value: street, target: 5}, per: 2, unit: 个, floor: zero}
            - id: train_item
              label: 业务培训
              points: 10
              rule: {kind: threshold, when: [{flag: trained}]}
    - id: rank_bonus
      label: 总分排名加分
      points: 2
      rule: {kind: rank_node, node: total, tiers: [{upto: 2, points: 2}]}
"""

SINGLE = """
meta: {id: single_level, title: 单一项目考核, total: 10}
inputs:
  - {id: level, label: 项目层级, type: text, values: [县级, 区级]}
  - {id: has_plan, label: 制定实施方案, type: bool}
  - {id: staffed, label: 配备专职人员, type: bool}
tree:
  id: total
  label: 总分
  points: 10
  children:
    - id: plan
      label: 实施方案（县级）
      points: 4
      applies_when: {level: 县级}
      rule: {kind: threshold, when: [{flag: has_plan}]}
    - id: staff
      label: 专职人员
      points: 6
      rule: {kind: threshold, when: [{flag: staffed}]}
"""


def load_text(text: str, tmp: Path, name: str = "spec") -> Spec:
    path = tmp / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return load_spec(path)
