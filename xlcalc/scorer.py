"""The reference scorer: score one or many units of a rubric, with Chinese explanations.

It runs the cell graph compiled by :mod:`xlcalc.pygen`, so it computes exactly the cells the
workbook computes (the verifier compares the two cell by cell). Results are per indicator node:
score, max, status, deduction and explanation; a missing input makes the rules that need it
待填 and the total incomplete, never a silent 0.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from xlcalc import ir
from xlcalc.cells import CellGraph
from xlcalc.errors import InputError
from xlcalc.lowering import GRADE, PENDING_COUNT, STATUS, lower
from xlcalc.pygen import compile_graph
from xlcalc.spec.model import BOOL_FALSE, BOOL_TRUE, InputDef, Node, ParamDef, Spec

JSON_FORMAT_VERSION = 1


@dataclass(frozen=True)
class UnitInputs:
    """One unit's raw inputs, keyed by input id."""

    name: str
    values: Mapping[str, Any]


@dataclass(frozen=True)
class NodeResult:
    id: str
    label: str
    level: int
    points: float
    score: float | None
    deduction: float | None
    explanation: str
    is_rule: bool

    @property
    def status(self) -> str:
        return "待填" if self.score is None else "完成"


@dataclass
class UnitResult:
    unit: str
    nodes: list[NodeResult]
    total: float
    complete: bool
    pending: int
    grade: str | None
    cells: dict[str, Any] = field(repr=False, default_factory=dict)

    def node(self, node_id: str) -> NodeResult:
        for n in self.nodes:
            if n.id == node_id:
                return n
        raise KeyError(node_id)

    def to_json(self) -> dict[str, Any]:
        return {
            "unit": self.unit,
            "total": self.total,
            "complete": self.complete,
            "pending": self.pending,
            "grade": self.grade,
            "nodes": [
                {
                    "id": n.id,
                    "label": n.label,
                    "level": n.level,
                    "max": n.points,
                    "score": n.score,
                    "deduction": n.deduction,
                    "status": n.status,
                    "explanation": n.explanation,
                    "rule": n.is_rule,
                }
                for n in self.nodes
            ],
        }


def resolve_params(spec: Spec, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Parameter values as the workbook holds them: labels for choices, floats for numbers.

    Overrides may give a choice by code (``floor``) or by its Chinese label.
    """
    values: dict[str, Any] = {}
    for p in spec.params:
        values[p.name] = _param_value(p, p.default)
    for name, raw in (overrides or {}).items():
        try:
            p = spec.param(name)
        except KeyError:
            known = "、".join(x.name for x in spec.params)
            raise InputError(f"未知参数 {name}；可用参数：{known}") from None
        values[name] = _param_value(p, raw)
    return values


def _param_value(p: ParamDef, raw: Any) -> Any:
    if p.is_choice:
        try:
            return p.label_of(str(raw))
        except KeyError:
            allowed = "、".join(f"{c}（{label}）" for c, label in p.choices)
            raise InputError(f"参数 {p.name} 的取值“{raw}”无效；可选：{allowed}") from None
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise InputError(f"参数 {p.name} 应为数字，得到“{raw}”") from None
    if (p.lo is not None and value < p.lo) or (p.hi is not None and value > p.hi) or (
        p.integer and value != int(value)
    ):
        raise InputError(f"参数 {p.name} 的取值 {raw} 超出允许范围 {p.lo}–{p.hi}")
    return value


def normalize_value(inp: InputDef, raw: Any, where: str) -> Any:
    """One raw input value → the value a workbook cell holds (None when blank).

    Raises InputError naming ``where`` when the value has the wrong type or is out of range.
    """
    if raw is None or (isinstance(raw, str) and raw.strip() == ""):
        return [] if inp.is_list else None
    if inp.is_bool:
        if raw is True or raw in (BOOL_TRUE, "true", "True", "yes", "1", 1):
            return BOOL_TRUE
        if raw is False or raw in (BOOL_FALSE, "false", "False", "no", "0", 0):
            return BOOL_FALSE
        raise InputError(f"{where}：“{inp.label}”应填“是”或“否”，得到“{raw}”")
    if inp.is_text:
        return str(raw)
    if inp.is_list:
        items = raw
        if isinstance(raw, str):
            items = [x for x in raw.replace("；", ";").replace(",", ";").split(";") if x.strip()]
        if not isinstance(items, Sequence):
            raise InputError(f"{where}：“{inp.label}”应为数字列表，得到“{raw}”")
        if len(items) > inp.capacity:
            raise InputError(f"{where}：“{inp.label}”最多{inp.capacity}项，得到{len(items)}项")
        return [_number(inp, x, f"{where}第{k + 1}项", inp.item_type == "integer") for k, x in enumerate(items)]
    return _number(inp, raw, where, inp.type == "integer")


def _number(inp: InputDef, raw: Any, where: str, integer: bool) -> float:
    value: float
    if isinstance(raw, bool):
        raise InputError(f"{where}：“{inp.label}”应为数字，得到“{raw}”")
    if isinstance(raw, int | float):
        value = float(raw)
    else:
        text = str(raw).strip().replace(",", "")
        try:
            value = float(text[:-1]) / 100 if text.endswith("%") else float(text)
        except ValueError:
            raise InputError(f"{where}：“{inp.label}”应为数字，得到“{raw}”") from None
    if integer and value != int(value):
        raise InputError(f"{where}：“{inp.label}”应为整数，得到 {raw}")
    if inp.lo is not None and value < inp.lo or inp.hi is not None and value > inp.hi:
        unit = inp.unit if not inp.is_percent else ""
        raise InputError(f"{where}：“{inp.label}”={raw}{unit} 超出允许范围 {_fmt(inp.lo)}–{_fmt(inp.hi)}{unit}")
    return value


def _fmt(x: float | None) -> str:
    if x is None:
        return "∞"
    return str(int(x)) if x == int(x) else str(x)


class Scorer:
    """Compiled reference scorer for one spec."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.graph: CellGraph = lower(spec)
        self._run = compile_graph(self.graph)
        self.inputs = {i.id: i for i in spec.inputs}

    @cached_property
    def nodes(self) -> list[Node]:
        return list(self.spec.nodes())

    def normalize(self, unit: UnitInputs, where: str = "") -> dict[str, Any]:
        unknown = [k for k in unit.values if k not in self.inputs]
        if unknown:
            raise InputError(f"{where or unit.name}：未知的输入项 {', '.join(unknown)}")
        out: dict[str, Any] = {}
        for inp in self.spec.inputs:
            out[inp.id] = normalize_value(inp, unit.values.get(inp.id), where or unit.name)
        return out

    def evaluate(self, rows: list[dict[str, Any]], params: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Raw cell values of every unit (inputs already normalized)."""
        return self._run(rows, params)

    def score(self, units: Sequence[UnitInputs], params: Mapping[str, Any] | None = None) -> list[UnitResult]:
        resolved = resolve_params(self.spec, params)
        rows = [self.normalize(u) for u in units]
        cells = self.evaluate(rows, resolved)
        return [self.result(u.name, c) for u, c in zip(units, cells, strict=True)]

    def result(self, name: str, cells: dict[str, Any]) -> UnitResult:
        nodes = []
        for n in self.nodes:
            score = cells[n.id]
            value = score if not isinstance(score, str) else None
            ded = cells.get(f"{n.id}__ded") if n.rule is not None else (n.points - value if value is not None else None)
            nodes.append(
                NodeResult(
                    n.id, n.label, n.level, n.points, value,
                    ded if not isinstance(ded, str) else None,
                    cells.get(f"{n.id}__why", "") or "",
                    n.rule is not None,
                )
            )
        pending = int(cells[PENDING_COUNT])
        grade = cells.get(GRADE)
        return UnitResult(
            unit=name,
            nodes=nodes,
            total=cells[self.spec.root.id],
            complete=pending == 0,
            pending=pending,
            grade=None if grade in (None, ir.PENDING) else grade,
            cells=cells,
        )

    def status_text(self, cells: dict[str, Any]) -> str:
        return cells[STATUS]
