"""The typed rubric tree: frozen records built by :mod:`xlcalc.spec.loader`.

Rules (the leaves' scoring logic) live in :mod:`xlcalc.rules`, one module per family of rule
kinds; this module holds everything around them: metadata, parameters, inputs, derived
quantities, the indicator hierarchy and the recorded interpretive choices.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from xlcalc.rules.base import Rule

INPUT_TYPES = ("integer", "number", "percent", "bool", "text", "list")
BOOL_TRUE = "是"
BOOL_FALSE = "否"


@dataclass(frozen=True)
class Grade:
    label: str
    min: float


@dataclass(frozen=True)
class Meta:
    id: str
    title: str
    issuer: str
    year: str
    source: str
    total: float
    unit_kind: str
    units: tuple[str, ...] = ()
    grades: tuple[Grade, ...] = ()
    weight_unit: str = "points"  # "points" or "percent" (权重(%) read as points of 100)
    notes: str = ""
    # Header of the national 项目支出绩效自评表 (项目名称, 主管部门, 实施单位, 年度总体目标·预期目标).
    project: str = ""
    department: str = ""
    implementer: str = ""
    goal: str = ""
    # Fixed input values of each unit given with the units (``{name: 迎江区, level: 区级}``):
    # (unit, ((input id, value), ...)), in ``units`` order; see xlcalc/spec/applicability.py.
    unit_values: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = ()

    def fixed_values(self, unit: str) -> dict[str, str]:
        """The input values ``meta.units`` fixes for one unit (none for a unit not listed)."""
        return next((dict(values) for name, values in self.unit_values if name == unit), {})

    @property
    def ranked(self) -> bool:
        """Units are scored side by side (one row each) when the rubric names its cohort."""
        return bool(self.units)


@dataclass(frozen=True)
class ParamDef:
    """An interpretive choice a user may change at scoring time or in the 参数 sheet."""

    name: str
    label: str
    doc: str
    default: str | float
    choices: tuple[tuple[str, str], ...] = ()  # (code, Chinese label)
    lo: float | None = None
    hi: float | None = None
    integer: bool = False

    @property
    def is_choice(self) -> bool:
        return bool(self.choices)

    def choices_codes(self) -> tuple[str, ...]:
        return tuple(c for c, _ in self.choices)

    def label_of(self, code: str) -> str:
        for c, label in self.choices:
            if c == code or label == code:
                return label
        raise KeyError(code)

    def code_of(self, label: str) -> str:
        for c, lab in self.choices:
            if lab == label or c == label:
                return c
        raise KeyError(label)


@dataclass(frozen=True)
class InputDef:
    id: str
    label: str
    unit: str
    type: str
    lo: float | None = None
    hi: float | None = None
    source: str = ""
    note: str = ""
    capacity: int = 0  # list inputs: how many items the workbook has room for
    item_type: str = "number"  # list inputs: integer or number
    period: str = ""
    # percent inputs: a bare number written in an inputs file is percent points (98 → 98%);
    # without it a bare number above 1 is refused as ambiguous (5% or 500%?).
    percent_points: bool = False
    # text inputs: the only values allowed (a dropdown in the workbook), e.g. 县级, 区级.
    values: tuple[str, ...] = ()

    @property
    def is_list(self) -> bool:
        return self.type == "list"

    @property
    def is_bool(self) -> bool:
        return self.type == "bool"

    @property
    def is_text(self) -> bool:
        return self.type == "text"

    @property
    def is_percent(self) -> bool:
        return self.type == "percent"

    @property
    def is_number(self) -> bool:
        """One number: integer, number or percent (not a list, 是/否 or text)."""
        return self.type in ("integer", "number", "percent")


@dataclass(frozen=True)
class DerivedDef:
    """A named quantity computed from inputs (资金到位率, 每10万人办案数...)."""

    id: str
    label: str
    kind: str  # ratio | mean | count | count_between | sum | difference | min | max | clamp | piecewise
    unit: str = ""
    args: tuple[str, ...] = ()
    scale: float = 1.0
    cap: float | None = None
    on_zero: str = "pending"  # ratio with zero denominator: "pending" (待填) or a number as text
    lo: float | None = None
    hi: float | None = None
    decimals: int = 10
    percent: bool = False
    note: str = ""
    # piecewise: (lower bound or None for the last, catch-all piece; a number or a quantity of
    # ``args``), tried in order: the first piece whose bound the tested quantity reaches.
    pieces: tuple[tuple[float | None, float | str], ...] = ()


@dataclass(frozen=True)
class Choice:
    """A recorded interpretive decision: what the text leaves open, what we chose and why."""

    id: str
    topic: str
    decision: str
    reason: str
    param: str = ""
    nodes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Node:
    """One indicator (一级/二级/三级...); leaves carry a rule."""

    id: str
    label: str
    points: float
    level: int
    children: tuple[Node, ...] = ()
    rule: Rule | None = None
    text: str = ""
    floor: float | None = None
    veto_scope_param: str = ""
    line: int | None = None
    path: str = ""
    extra: dict = field(default_factory=dict, compare=False, hash=False)
    # Self-evaluation tables (自评表): the table's own figures, checked by ``xlcalc audit``.
    self_score: str = ""  # input id of the self-assigned score (自评分) of this node
    reason: str = ""  # text input id of the 偏差原因 / 评分依据 given for a score below full marks
    target: str = ""  # the target as the table prints it (年度指标值: "≥60%", "100%", "1次")
    stated_points: float | None = None  # the weight the table prints, when it is not the children's sum
    aggregate: str = "sum"  # "sum" of the children, or "deductions": stated (or own) points − Σ deductions
    duplicate_of: str = ""  # id of the node this row repeats (kept for the audit, scored with 0 points)
    # applies_when: (input id, accepted values) pairs, all of which must hold for the node to apply;
    # otherwise it is 不适用 and its points are "excluded" or "reallocated" to ``reallocate``.
    applies_when: tuple[tuple[str, tuple[str, ...]], ...] = ()
    not_applicable: str = "excluded"
    reallocate: tuple[str, ...] = ()
    excluded_from: str = ""  # the ancestor whose maximum loses the points ("": the root)
    # The node's highest score when the rubric lets it go above its points (加分项目 capped at 10 as a
    # group, a total above 100); None: the points are the highest score.
    cap: float | None = None

    @property
    def is_leaf(self) -> bool:
        return not self.children

    @property
    def base_points(self) -> float:
        """The full marks a ``deductions`` aggregate starts from (the printed total when given)."""
        if self.aggregate == "deductions" and self.stated_points is not None:
            return self.stated_points
        return self.points

    @property
    def max_score(self) -> float:
        """The highest score the node may reach: its ``cap`` when declared, else its points."""
        return self.cap if self.cap is not None else self.points

    def walk(self):
        yield self
        for c in self.children:
            yield from c.walk()


@dataclass(frozen=True)
class Spec:
    meta: Meta
    params: tuple[ParamDef, ...]
    inputs: tuple[InputDef, ...]
    derived: tuple[DerivedDef, ...]
    root: Node
    choices: tuple[Choice, ...] = ()
    file: str = ""
    warnings: tuple = ()
    source_text: str = field(default="", repr=False, compare=False)

    def nodes(self):
        return self.root.walk()

    def node(self, node_id: str) -> Node:
        for n in self.nodes():
            if n.id == node_id:
                return n
        raise KeyError(node_id)

    def param(self, name: str) -> ParamDef:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)

    def input(self, input_id: str) -> InputDef:
        for i in self.inputs:
            if i.id == input_id:
                return i
        raise KeyError(input_id)

    def parent_of(self, node_id: str) -> Node | None:
        for n in self.nodes():
            if any(c.id == node_id for c in n.children):
                return n
        return None

    def ancestors(self, node_id: str) -> list[Node]:
        chain: list[Node] = []
        parent = self.parent_of(node_id)
        while parent is not None:
            chain.append(parent)
            parent = self.parent_of(parent.id)
        return chain
