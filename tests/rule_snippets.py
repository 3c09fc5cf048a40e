"""Minimal one-rule specs for each rule kind, shared by the golden-formula and back-end tests."""

from __future__ import annotations

from pathlib import Path

from xlcalc.spec.loader import load_spec

HEADER = """
meta: {id: t, title: 测试, total: 10}
inputs:
  - {id: a, label: 完成数, unit: 件, type: integer, min: 0, max: 1000}
  - {id: b, label: 目标数, unit: 件, type: integer, min: 0, max: 1000}
  - {id: flag, label: 是否设立, type: bool}
  - {id: n, label: 通报次数, unit: 次, type: integer, min: 0, max: 50}
  - {id: rate, label: 到位率, type: percent, min: 0, max: 2}
  - {id: xs, label: 明细, unit: 件, type: list, item_type: integer, capacity: 5, min: 0, max: 500}
  - {id: s, label: 评定分, unit: 分, type: number, min: 0, max: 10}
  - {id: why, label: 偏差原因, type: text}
derived:
  - {id: ratio, label: 完成率, kind: ratio, of: [a, b], percent: true}
tree:
  id: total
  label: 总分
  points: 10
  children:
    - id: r
      label: 细则
      points: 10
      rule: {RULE}
"""

RULES = {
    "threshold": "{kind: threshold, when: [{value: a, op: '>=', than: 110}, {flag: flag}]}",
    "tiered": "{kind: tiered, tiers: [{when: [{value: a, op: '>=', than: 100}], points: 10, label: 达标}, "
    "{when: [{value: a, op: '>=', than: 50}], points: 9, label: 基本达标}], default: {points: 8, label: 未达标}}",
    "deduction": "{kind: deduction, shortfall: {value: a, target: b}, per: 0.5, unit: 件}",
    "step_deduction": "{kind: step_deduction, value: rate, threshold: 100%, step: 5%, per_step: 0.5, "
    "penalties: [{count: n, per: 0.5, label: 通报}], floor: zero}",
    "banded_penalty": "{kind: banded_penalty, list: xs, bands: [{min: 90, max: 149, per: 1.5}, {min: 150, per: 2}]}",
    "bonus": "{kind: bonus, count: n, per: 0.4, cap: 2}",
    "conversion": "{kind: conversion, average: xs, scale: 100, vetoes: [{flag: flag, label: 查实违法}]}",
    "proportional": "{kind: proportional, actual: a, target: 100, direction: reverse}",
    "budget_execution": "{kind: budget_execution, executed: a, budget: b, decimals: 1}",
    "discretionary": "{kind: discretionary, score: s, min: 2, reason: why}",
    "rank_tiers": "{kind: rank_tiers, key: ratio, tiers: [{upto: 1, points: 10}, {upto: 2, points: 9}]}",
}


def rule_spec(kind: str, tmp: Path):
    if kind not in RULES:
        raise KeyError(kind)
    path = tmp / f"{kind}.yaml"
    rule = RULES[kind]
    text = HEADER.replace("{RULE}", rule)
    if kind == "rank_tiers":
        text = text.replace(
            "meta: {id: t, title: 测试, total: 10}",
            "meta: {id: t, title: 测试, total: 10, units: [甲, 乙, 丙]}",
        )
    if kind == "banded_penalty":
        text = (
            text.replace("      points: 10\n      rule:", "      points: 0\n      rule:")
            .replace("  points: 10\n  children:", "  points: 0\n  children:")
            .replace("total: 10}", "total: 0}")
        )
    path.write_text(text, encoding="utf-8")
    return load_spec(path)
