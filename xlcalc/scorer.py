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
from xlcalc.lowering_applies import NOT_APPLICABLE
from xlcalc.pygen import compile_graph
from xlcalc.spec.model import InputDef, Node, ParamDef, Spec
from xlcalc.values import normalize_value

JSON_FORMAT_VERSION = 1


@dataclass(frozen=True)
class UnitInputs:
    """One unit's raw inputs, keyed by input id; ``where`` locates the unit in its file (``u.csv:3``)."""

    name: str
    values: Mapping[str, Any]
    where: str = ""


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
    applicable: bool = True  # False: 不适用 to this unit (applies_when)

    @property
    def status(self) -> str:
        if not self.applicable:
            return NOT_APPLICABLE
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
                if ded is not None and n.cap is not None:  # a bonus above the points is no deduction
                    ded = max(0.0, ded)
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
                    score != NOT_APPLICABLE,
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

    def normalize(self, unit: UnitInputs, where: str = "", keep_invalid: bool = False) -> dict[str, Any]:
        """Every input of one unit as its workbook cell holds it; errors name the unit and the input id.

        ``keep_invalid``: a scalar value the input refuses (out of range, text in a number cell) is
        kept as the cell would hold it after being typed past validation, instead of raising; the
        rules that read it are then 待填 with the input named "（填写无效）", as in the workbook."""
        base = where or (f"{unit.where} 单位“{unit.name}”" if unit.where else unit.name)
        unknown = [str(k) for k in unit.values if k not in self.inputs]
        if unknown:
            shown = "、".join(unknown[:10]) + ("等" if len(unknown) > 10 else "")
            raise InputError(f"{base}：未知的输入项 {shown}")
        out: dict[str, Any] = {}
        values = unit.values
        for inp in self.spec.inputs:
            raw = values.get(inp.id)
            try:
                out[inp.id] = normalize_value(inp, raw, base)
            except InputError:
                kept = _as_typed_past_validation(inp, raw) if keep_invalid else None
                if kept is not None:
                    out[inp.id] = kept
                    continue
                # Located messages are built only for the rare bad value: re-read it naming the input.
                normalize_value(inp, raw, f"{base}，输入项 {inp.id}")
                raise
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


def _as_typed_past_validation(inp: InputDef, raw: Any) -> float | str | None:
    """What a scalar input's cell holds when ``raw`` was typed past its validation (None: a value
    no cell can hold this way, such as a list or a non-finite number)."""
    if inp.is_list or isinstance(raw, bool):
        return None
    if isinstance(raw, int | float) and math.isfinite(raw) and abs(raw) < 1e15:
        return float(raw)
    if isinstance(raw, str) and raw.strip() and len(raw) <= 32767:
        return _typed_number(raw.strip()) if len(raw) < 40 else raw
    return None


def _typed_number(text: str) -> float | str:
    """A spreadsheet's reading of typed text: a plain number or percent becomes a number, anything
    else stays text (no unit suffixes, no thousands separators: those cells hold text too)."""
    if "_" in text:  # Python reads 1_000 as a number; a spreadsheet does not
        return text
    try:
        value = float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError:
        return text
    return value if math.isfinite(value) and abs(value) < 1e15 else text
