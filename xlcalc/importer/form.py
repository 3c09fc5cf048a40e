"""A 自评表 grid read by its printed labels (FORMS.md): header, funds block, indicator rows and
总分, national or Sichuan layout. Every cell that cannot be read is reported with its location."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from xlcalc.importer.grid import Cell, Grid, squash

_NUMBER = re.compile(r"^-?\d+(?:\.\d+)?$")
BLANKS = ("", "—", "-", "/", "－", "——", "无")


@dataclass
class FormRow:
    l1: str
    l2: str
    label: str
    target: str
    actual: str
    points: float | None
    score: float | None
    reason: str
    where: str
    actual_where: str = ""


@dataclass
class Form:
    source: str
    title: str = ""
    project: str = ""
    department: str = ""
    unit: str = ""
    year: str = ""
    layout: str = "national"  # or "sichuan"
    budget: float | None = None
    executed: float | None = None
    budget_points: float | None = None
    budget_score: float | None = None
    rows: list[FormRow] = field(default_factory=list)
    total_points: float | None = None
    total: float | None = None
    problems: list[str] = field(default_factory=list)  # located, in Chinese


def number(text: str) -> float | None:
    t = text.strip().replace(",", "").replace("，", "")
    if _NUMBER.match(t):
        return float(t)
    if t.endswith(("%", "％")) and _NUMBER.match(t[:-1]):
        return float(t[:-1]) / 100
    return None


def _num(form: Form, cell: Cell | None, what: str, required: bool = True) -> float | None:
    if cell is None or cell.text.strip() in BLANKS:
        if required:
            form.problems.append(f"{cell.where if cell else form.source}：{what}未填")
        return None
    value = number(cell.text)
    if value is None:
        form.problems.append(f"{cell.where}：{what}“{cell.text}”不是数字，未读取")
    return value


def _after(row: list[Cell], i: int) -> str:
    return next((c.text.strip() for c in row[i + 1 :] if c.text.strip()), "")


def _at(row: list[Cell], i: int | None) -> Cell | None:
    return row[i] if i is not None and i < len(row) else None


def read_form(grid: Grid) -> Form:
    form = Form(grid.source)
    rows = grid.rows
    texts = [*grid.preamble, *(c.text for r in rows[:6] for c in r)]
    for t in texts:
        m = re.search(r"(\d{4})\s*年度", t)
        if m and not form.year:
            form.year = m[1]
        if "自评表" in t and not form.title:
            form.title = squash(t).strip("附件：《》")
    if "部门预算" in form.title:
        form.layout = "sichuan"
    budget_cols: dict[str, int] = {}
    ind_cols: dict[str, int] = {}
    state = "head"
    l1 = l2 = ""
    for row in rows:
        labels = [squash(c.text) for c in row]
        if state == "head":
            for i, lab in enumerate(labels):
                if lab == "项目名称":
                    form.project = _after(row, i)
                elif lab == "主管部门":
                    form.department = _after(row, i)
                elif lab.startswith("实施单位"):
                    form.unit = _after(row, i)
            if any(lab in ("全年预算数", "调整后预算数") for lab in labels):
                budget_cols = {lab: i for i, lab in enumerate(labels) if lab}
            elif (
                budget_cols and any(lab in ("年度资金总额", "总额") for lab in labels) and form.budget is None
            ):
                _budget(form, row, budget_cols)
            if "一级指标" in labels:
                ind_cols = {lab: i for i, lab in enumerate(labels) if lab}
                if "指标性质" in ind_cols:
                    form.layout = "sichuan"
                state = "rows"
            continue
        if any(lab in ("总分", "合计") for lab in labels):
            k = next(i for i, lab in enumerate(labels) if lab in ("总分", "合计"))
            values = [c for c in row[k + 1 :] if c.text.strip()]
            form.total_points = _num(form, values[0] if values else None, "总分的分值", required=False)
            form.total = _num(form, values[1] if len(values) > 1 else None, "总分")
            state = "done"
            break
        r = _row(form, row, ind_cols, l1, l2)
        if r is not None:
            l1, l2 = r.l1, r.l2
            form.rows.append(r)
    if not form.project:
        form.problems.append(f"{grid.source}：未找到“项目名称”")
    if not budget_cols:
        form.problems.append(f"{grid.source}：未找到项目资金表头（全年预算数/调整后预算数）")
    if state == "head":
        form.problems.append(f"{grid.source}：未找到绩效指标表头（一级指标）")
    elif state == "rows":
        form.problems.append(f"{grid.source}：未找到“总分”行")
    return form


def _budget(form: Form, row: list[Cell], cols: dict[str, int]) -> None:
    if form.layout == "sichuan" or "调整后预算数" in cols:
        names = ("调整后预算数", "预算执行数", "权重", "得分")
    else:
        names = ("全年预算数", "全年执行数", "分值", "得分")
    cells = [_at(row, cols.get(n)) for n in names]
    form.budget = _num(form, cells[0], names[0])
    form.executed = _num(form, cells[1], names[1])
    form.budget_points = _num(form, cells[2], f"预算执行{names[2]}")
    form.budget_score = _num(form, cells[3], "预算执行得分")


def _col(cols: dict[str, int], *names: str) -> int | None:
    for n in names:
        for lab, i in cols.items():
            if lab == n or lab.startswith(n):
                return i
    return None


def _row(form: Form, row: list[Cell], cols: dict[str, int], l1: str, l2: str) -> FormRow | None:
    def cell(*names: str) -> Cell | None:
        return _at(row, _col(cols, *names))

    def text(*names: str) -> str:
        c = cell(*names)
        return c.text.strip() if c is not None else ""

    label = squash(text("三级指标"))
    if not label:
        if any(c.text.strip() for c in row):
            form.problems.append(f"{row[0].where}：该行没有三级指标名称，未读取")
        return None
    where = (cell("三级指标") or row[0]).where
    target = text("年度指标值", "指标值")
    if form.layout == "sichuan":
        target = f"{text('指标性质')}{target}{text('度量单位')}"
    if not target:
        form.problems.append(f"{where}：“{label}”的年度指标值未填")
    return FormRow(
        squash(text("一级指标")) or l1,
        squash(text("二级指标")) or l2,
        label,
        target,
        text("实际完成值", "完成值"),
        _num(form, cell("分值", "权重"), f"“{label}”的分值"),
        _num(form, cell("得分"), f"“{label}”的得分"),
        text("偏差原因", "未完成原因"),
        where,
        (cell("实际完成值", "完成值") or cell("三级指标") or row[0]).where,
    )
