"""Minimal one-rule specs for each rule kind, shared by the golden-formula and back-end tests."""

from __future__ import annotations

from pathlib import Path

from xlcalc.rules import REGISTRY
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

# One row per rule kind: (rule YAML over HEADER's inputs, one unit's inputs, the score of node "r").
# tests/test_rule_kinds.py checks every registered kind against its row; the golden-formula and
# back-end tests run over the snippets.
KINDS: dict[str, tuple[str, dict[str, object], float]] = {
    "threshold": (
        "{kind: threshold, when: [{value: a, op: '>=', than: 110}, {flag: flag}]}",
        {"a": 110, "flag": "是"},
        10,
    ),
    "tiered": (
        "{kind: tiered, tiers: [{when: [{value: a, op: '>=', than: 100}], points: 10, label: 达标}, "
        "{when: [{value: a, op: '>=', than: 50}], points: 9, label: 基本达标}], default: {points: 8, label: 未达标}}",
        {"a": 60},
        9,
    ),
    "deduction": (
        "{kind: deduction, shortfall: {value: a, target: b}, per: 0.5, unit: 件}",
        {"a": 7, "b": 10},
        8.5,
    ),
    "step_deduction": (
        "{kind: step_deduction, value: rate, threshold: 100%, step: 5%, per_step: 0.5, "
        "penalties: [{count: n, per: 0.5, label: 通报}], floor: zero}",
        {"rate": 0.9, "n": 1},
        8.5,
    ),
    "banded_penalty": (
        "{kind: banded_penalty, list: xs, bands: [{min: 90, max: 149, per: 1.5}, {min: 150, per: 2}]}",
        {"xs": [100, 160]},
        -3.5,
    ),
    "bonus": ("{kind: bonus, count: n, per: 0.4, cap: 2}", {"n": 3}, 1.2),
    # 2.6 is 1.6 above the base of 1: 3 whole units of 0.5 (the 0.1 left does not count), the first
    # at 1 point, the two above 0.5 at 1.5 each: 1 + 3 = 4.
    "banded_bonus": (
        "{kind: banded_bonus, value: s, base: 1, unit_size: 0.5, bands: [{per: 1}, {above: 0.5, per: 1.5}]}",
        {"s": 2.6},
        4,
    ),
    "conversion": (
        "{kind: conversion, average: xs, scale: 100, vetoes: [{flag: flag, label: 查实违法}]}",
        {"xs": [90, 80], "flag": "否"},
        8.5,
    ),
    "proportional": ("{kind: proportional, actual: a, target: 100, direction: reverse}", {"a": 120}, 8),
    "budget_execution": (
        "{kind: budget_execution, executed: a, budget: b, decimals: 1}",
        {"a": 85, "b": 100},
        8.5,
    ),
    "discretionary": ("{kind: discretionary, score: s, min: 2, reason: why}", {"s": 7, "why": ""}, 7),
    "rank_tiers": (
        "{kind: rank_tiers, key: ratio, tiers: [{upto: 1, points: 10}, {upto: 2, points: 9}]}",
        {"a": 5, "b": 10},
        10,
    ),
    "rank_node": (
        "{kind: rank_node, node: base, tiers: [{upto: 1, points: 10}, {upto: 2, points: 9}]}",
        {"a": 120},
        10,
    ),
    "threshold_or_manual": (
        "{kind: threshold_or_manual, when: [{flag: flag}], otherwise: {score: s, min: 0, max: 8}}",
        {"flag": "否", "s": 5},
        5,
    ),
    "monitor": ("{kind: monitor, actual: a, op: '>=', stage: 100}", {"a": 2}, 0),
    "per_period": (
        "{kind: per_period, each: {kind: deduction, count: c, per: 1}, "
        "periods: [{period: 2021年, c: n}, {period: 2022年, c: a}]}",
        {"n": 1, "a": 2},
        7,
    ),
}
RULES = {kind: row[0] for kind, row in KINDS.items()}
# Kinds that rank units against each other need a cohort in the snippet's meta.
COHORT_KINDS = {"rank_tiers", "rank_node"}
# Kinds that rank another indicator get one beside node "r" to rank (the root then holds 20 points).
RANKED_SIBLING = """    - id: base
      label: 基础得分
      points: 10
      rule: {kind: threshold, when: [{value: a, op: '>=', than: 110}]}
"""
NODE_KINDS = {"rank_node"}


def rule_spec(kind: str, tmp: Path, applies: bool = False):
    """The kind's one-rule spec; ``applies``: node "r" applies only where the attribute ``scope``
    (a text input with values 本级, 其他) is 本级."""
    if kind not in RULES:
        raise KeyError(kind)
    path = tmp / f"{kind}.yaml"
    rule = RULES[kind]
    text = HEADER.replace("{RULE}", rule)
    if applies:
        text = text.replace(
            "  - {id: why, label: 偏差原因, type: text}\n",
            "  - {id: why, label: 偏差原因, type: text}\n  - {id: scope, label: 适用范围, type: text, values: [本级, 其他]}\n",
        ).replace("      label: 细则\n", "      label: 细则\n      applies_when: {scope: 本级}\n")
    if kind in COHORT_KINDS:
        text = text.replace(
            "meta: {id: t, title: 测试, total: 10}",
            "meta: {id: t, title: 测试, total: 10, units: [甲, 乙, 丙]}",
        )
    if kind in NODE_KINDS:
        text = text.replace("  points: 10\n  children:\n", "  points: 20\n  children:\n" + RANKED_SIBLING)
    cls = REGISTRY[kind]
    if cls.ZERO_POINTS or cls.SCORELESS:  # no points of their own
        text = (
            text.replace("      points: 10\n      rule:", "      points: 0\n      rule:")
            .replace("  points: 10\n  children:", "  points: 0\n  children:")
            .replace("total: 10}", "total: 0}")
        )
    path.write_text(text, encoding="utf-8")
    return load_spec(path)


# The constructs that are not rule kinds (a node's ``cap``, a rule's ``pool``), one row each:
# (tree YAML over HEADER's inputs, one unit's inputs, expected scores by node id, "total" the root).
# tests/test_rule_kinds.py checks each the way it checks a kind.
CLAUSES: dict[str, tuple[str, dict[str, object], dict[str, float]]] = {
    # A bonus group of 0 points capped at 2 (1.2 + 2 = 3.2 in items) lifts the total to 12 of 10.
    "cap": (
        """
tree:
  id: total
  label: 总分
  points: 10
  cap: 12
  children:
    - {id: r, label: 细则, points: 10, rule: {kind: threshold, when: [{flag: flag}]}}
    - id: g
      label: 加分项目
      points: 0
      cap: 2
      children:
        - {id: b1, label: 加分一, points: 0, cap: 2, rule: {kind: bonus, count: n, per: 0.4, unit: 次}}
        - {id: b2, label: 加分二, points: 0, cap: 2, rule: {kind: bonus, count: a, per: 0.5, unit: 件}}
""",
        {"flag": "是", "n": 3, "a": 4},
        {"b1": 1.2, "b2": 2, "g": 2, "total": 12},
    ),
    # 5 incidents at 3 each from a 10-point total: the leaf shows −15, the total stops at its floor 0.
    "pool": (
        """
tree:
  id: total
  label: 总分
  points: 10
  floor: 0
  children:
    - {id: r, label: 细则, points: 10, rule: {kind: threshold, when: [{flag: flag}]}}
    - {id: p, label: 通报扣分, points: 0, rule: {kind: deduction, count: n, per: 3, unit: 次, pool: total}}
""",
        {"flag": "是", "n": 5},
        {"p": -15, "total": 0},
    ),
}


def clause_spec(clause: str, tmp: Path):
    tree, _, _ = CLAUSES[clause]
    path = tmp / f"{clause}.yaml"
    path.write_text(HEADER.split("tree:")[0] + tree.lstrip("\n"), encoding="utf-8")
    return load_spec(path)
