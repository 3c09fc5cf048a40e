"""The cell graph: what lowering produces and both back ends consume.

A rubric lowers to an ordered list of :class:`Cell` definitions, each one cell per unit of
evaluation (a county, a project). Input cells have no expression. Roles decide which sheet a
cell lives on; ``fmt`` is its number format. The graph is validated once (unknown references,
cycles) and ordered into strata: a stratum ends where a cell needs another cell's value across
every unit (ranking), so every unit must be computed up to that point first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from xlcalc import ir


class Role(StrEnum):
    INPUT = "input"  # 填报
    DERIVED = "derived"  # 中间计算
    SCORE = "score"  # 评分
    EXPLAIN = "explain"  # 扣分说明
    RANK = "rank"  # 排名


@dataclass(frozen=True)
class Cell:
    """One computed (or input) quantity per unit."""

    id: str
    role: Role
    label: str
    expr: ir.Expr | None = None
    fmt: str = "General"
    node: str | None = None  # the indicator node this cell belongs to
    kind: str = ""  # e.g. "score", "deduction", "explanation", "helper"
    max_points: float | None = None


@dataclass(frozen=True)
class ListInput:
    """A list-shaped input (per-person caseloads, survey scores) with a fixed capacity."""

    id: str
    label: str
    unit: str
    capacity: int
    lo: float | None
    hi: float | None
    integer: bool


@dataclass
class CellGraph:
    cells: list[Cell]
    lists: list[ListInput] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.by_id = {c.id: c for c in self.cells}
        if len(self.by_id) != len(self.cells):
            seen: set[str] = set()
            dup = next(c.id for c in self.cells if c.id in seen or seen.add(c.id))  # type: ignore[func-returns-value]
            raise ValueError(f"cell id {dup} defined twice")
        self.list_ids = {li.id for li in self.lists}
        self._deps: dict[str, tuple[Cell, frozenset[str], frozenset[str]]] = {}
        self.order, self.strata = self._order()

    def role(self, role: Role) -> list[Cell]:
        return [c for c in self.cells if c.role is role]

    def counted_scores(self) -> list[str]:
        """Score cells whose 待填 state the status counts: rule and indicator scores."""
        return [c.id for c in self.cells if c.role is Role.SCORE and c.kind in ("score", "indicator")]

    def deps(self, cell: Cell) -> tuple[set[str], set[str]]:
        """(same-unit refs, cross-unit refs) of a cell (one walk of its expression, remembered)."""
        if cell.expr is None:
            return set(), set()
        cached = self._deps.get(cell.id)
        if cached is not None and cached[0] is cell:
            return set(cached[1]), set(cached[2])
        local: set[str] = set()
        cross: set[str] = set()
        for n in ir.walk(cell.expr):
            if isinstance(n, ir.Ref):
                local.add(n.cell)
            elif isinstance(n, ir.Column | ir.ColumnPrefix):
                cross.add(n.cell)
            elif isinstance(n, ir.UnitScores):
                local |= set(self.counted_scores())
            elif isinstance(n, ir.ListRange) and n.input not in self.list_ids:
                raise ValueError(f"cell {cell.id} reads unknown list input {n.input}")
        for ref in local | cross:
            if ref not in self.by_id:
                raise ValueError(f"cell {cell.id} reads unknown cell {ref}")
        self._deps[cell.id] = (cell, frozenset(local), frozenset(cross))
        return local, cross

    def _order(self) -> tuple[list[Cell], list[list[Cell]]]:
        """Topological order, split into strata at cross-unit dependencies."""
        level: dict[str, int] = {}
        state: dict[str, int] = {}
        order: list[Cell] = []

        def visit(cid: str, path: tuple[str, ...]) -> int:
            if state.get(cid) == 2:
                return level[cid]
            if state.get(cid) == 1:
                raise ValueError("circular reference: " + " → ".join((*path, cid)))
            state[cid] = 1
            cell = self.by_id[cid]
            local, cross = self.deps(cell)
            lvl = 0
            for d in sorted(local):
                lvl = max(lvl, visit(d, (*path, cid)))
            for d in sorted(cross):
                lvl = max(lvl, visit(d, (*path, cid)) + 1)
            state[cid] = 2
            level[cid] = lvl
            order.append(cell)
            return lvl

        for c in self.cells:
            visit(c.id, ())
        strata: list[list[Cell]] = [[] for _ in range(max(level.values(), default=0) + 1)]
        for c in order:
            strata[level[c.id]].append(c)
        return order, strata
