"""The reference scorer: score one or many units of a rubric, with Chinese explanations.

It runs the cell graph compiled by :mod:`xlcalc.pygen`, so it computes exactly the cells the
workbook computes (the verifier compares the two cell by cell). Results are per indicator node:
score, max, status, deduction and explanation; a missing input makes the rules that need it
待填 and the total incomplete, never a silent 0.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from xlcalc import ir
from xlcalc.cells import CellGraph, Role
from xlcalc.errors import InputError
from xlcalc.lowering import GRADE, PENDING_COUNT, lower
from xlcalc.pygen import compile_graph
from xlcalc.spec.model import BOOL_FALSE, BOOL_TRUE, InputDef, Node, ParamDef, Spec

JSON_FORMAT_VERSION = 1


@dataclass(frozen=True)
class UnitInputs:
    """One unit's raw inputs, keyed by input id."""

    name: str
    values: Mapping[str, Any]


@dataclass(slots=True)
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
    """One unit's scores. Per-node records are built on first access from the raw cells."""

    unit: str
    total: float
    complete: bool
    pending: int
    grade: str | None
    cells: dict[str, Any] = field(repr=False, default_factory=dict)
    node_keys: list[tuple[Node, str, str]] = field(repr=False, default_factory=list)

    @cached_property
    def nodes(self) -> list[NodeResult]:
        out = []
        cells = self.cells
        for n, ded_key, why_key in self.node_keys:
            score = cells[n.id]
            value = None if type(score) is str else score
            if n.rule is not None:
                ded = cells.get(ded_key)
                ded = None if type(ded) is str else ded
            else:
                # base_points: the printed full marks of a "deductions" total (otherwise the points)
                ded = None if value is None else n.base_points - value
            out.append(
                NodeResult(
                    n.id,
                    n.label,
                    n.level,
                    n.base_points,
                    value,
                    ded,
                    cells.get(why_key) or "",
                    n.rule is not None,
                )
            )
        return out

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


def json_envelope(kind: str, spec: Spec, params: Mapping[str, Any] | None) -> dict[str, Any]:
    """The head every stable JSON output shares: format, version, spec and resolved parameters."""
    return {
        "format": f"xlcalc.{kind}",
        "version": JSON_FORMAT_VERSION,
        "spec": spec.meta.id,
        "title": spec.meta.title,
        "params": resolve_params(spec, params),
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
    except (TypeError, ValueError, OverflowError):
        raise InputError(f"参数 {p.name} 应为数字，得到“{raw}”") from None
    if not math.isfinite(value):
        raise InputError(f"参数 {p.name} 应为有限的数字，得到“{raw}”")
    if (
        (p.lo is not None and value < p.lo)
        or (p.hi is not None and value > p.hi)
        or (p.integer and value != int(value))
    ):
        raise InputError(f"参数 {p.name} 的取值 {raw} 超出允许范围 {p.lo}–{p.hi}")
    return value


def normalize_value(inp: InputDef, raw: Any, where: str) -> Any:
    """One raw input value → the value a workbook cell holds (None when blank).

    Raises InputError naming ``where`` when the value has the wrong type or is out of range.
    """
    t = type(raw)
    if (t is float or t is int) and inp.type in ("number", "integer", "percent"):
        # Fast path for the common case: a number already, within range.
        value = float(raw)
        if (
            (inp.lo is None or value >= inp.lo)
            and (inp.hi is None or value <= inp.hi)
            and (inp.type != "integer" or value.is_integer())
        ):
            return value
    if t is list and inp.is_list and len(raw) <= inp.capacity:
        lo = -math.inf if inp.lo is None else inp.lo
        hi = math.inf if inp.hi is None else inp.hi
        whole = inp.item_type == "integer"
        if all(
            (type(x) is float or type(x) is int) and lo <= x <= hi and (not whole or x == int(x)) for x in raw
        ):
            return [float(x) for x in raw]
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
        return [
            _number(inp, x, f"{where}第{k + 1}项", inp.item_type == "integer") for k, x in enumerate(items)
        ]
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
        raise InputError(
            f"{where}：“{inp.label}”={raw}{unit} 超出允许范围 {_fmt(inp.lo)}–{_fmt(inp.hi)}{unit}"
        )
    return value


def _fmt(x: float | None) -> str:
    if x is None:
        return "∞"
    return str(int(x)) if x == int(x) else str(x)


class Scorer:
    """Compiled reference scorer for one spec."""

    def __init__(self, spec: Spec, explain: bool = True) -> None:
        """``explain=False`` compiles a scorer without the explanation texts (scores only, faster)."""
        self.spec = spec
        self.graph: CellGraph = lower(spec)
        self._run = compile_graph(self.graph, frozenset() if explain else frozenset({Role.EXPLAIN}))
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

    @cached_property
    def _node_keys(self) -> list[tuple[Node, str, str]]:
        return [(n, f"{n.id}__ded", f"{n.id}__why") for n in self.nodes]

    def result(self, name: str, cells: dict[str, Any]) -> UnitResult:
        pending = int(cells[PENDING_COUNT])
        grade = cells.get(GRADE)
        return UnitResult(
            unit=name,
            total=cells[self.spec.root.id],
            complete=pending == 0,
            pending=pending,
            grade=None if grade in (None, ir.PENDING) else grade,
            cells=cells,
            node_keys=self._node_keys,
        )
