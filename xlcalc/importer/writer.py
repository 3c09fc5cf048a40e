"""A read 自评表 → the compact spec and the inputs file holding its published figures. How every
actual was read is written beside it; what could not be read is left blank (待填) and reported."""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass, field

from xlcalc.importer.form import Form, FormRow
from xlcalc.selfeval.compact import max_for
from xlcalc.selfeval.profiles import PROFILES
from xlcalc.selfeval.targets import Target, parse_actual, parse_target

TIERS = (("达成", 0.8), ("部分达成", 0.6), ("未达成", 0.0))


def q(value: object) -> str:
    """A YAML scalar that can hold any text safely (JSON strings are YAML double-quoted scalars)."""
    return json.dumps(value, ensure_ascii=False)


def g(x: float) -> str:
    return f"{round(x, 10):g}"


@dataclass
class Imported:
    spec_id: str
    spec: str
    inputs: str
    problems: list[str] = field(default_factory=list)  # cells not read, located
    findings: list[str] = field(default_factory=list)  # readings worth a reviewer's look
    data: dict = field(default_factory=dict)  # the compact spec as parsed (no YAML round trip)
    values: dict = field(default_factory=dict)  # the inputs
    unit: str = ""


def _actual(r: FormRow, t: Target, out: Imported, nid: str) -> tuple[str, object | None, str]:
    """(row kind override, the actual's value or None, how it was read)."""
    if not t.numeric:
        return "", None, ""
    a = parse_actual(r.actual)
    if not r.actual.strip():
        out.problems.append(f"{r.actual_where}：“{r.label}”的实际完成值未填")
        return "", None, "未填"
    for p in a.problems:
        out.findings.append(f"{r.actual_where}：“{r.label}”的实际完成值{p}，已标记")
    if a.kind == "percent" and t.kind != "percent":
        out.findings.append(
            f"{r.where}：“{r.label}”的指标值“{r.target}”与实际完成值“{r.actual}”单位不同，按完成率计分"
        )
        return "completion", _bound(a, r, out), "按完成率计"
    if a.kind != t.kind and not (t.kind == "rank" and a.kind == "number"):
        out.problems.append(
            f"{r.where}：“{r.label}”的实际完成值“{r.actual}”无法与指标值“{r.target}”比较，留空"
        )
        return "", None, "无法读取"
    if a.kind == "number" and t.unit and a.unit and a.unit != t.unit:
        out.findings.append(f"{r.where}：“{r.label}”的指标值单位“{t.unit}”与实际完成值单位“{a.unit}”不同")
    return "", _bound(a, r, out), ""


def _bound(a: Target, r: FormRow, out: Imported) -> object | None:
    if a.op in ("<", ">"):
        out.problems.append(
            f"{r.actual_where}：“{r.label}”的实际完成值“{r.actual}”没有确切数值，留空（待填）"
        )
        return None
    if a.op is not None and (a.kind != "rank" or a.text.lstrip()[:1] in "≤≦<＜《"):
        out.findings.append(f"{r.actual_where}：“{r.label}”的实际完成值写作不等式“{r.actual}”，取其界值")
    if a.value is None:
        return None
    return f"{g(a.value * 100)}%" if a.kind == "percent" else float(g(a.value))


def _tier(r: FormRow, out: Imported) -> str | None:
    if r.score is None or not r.points:
        out.problems.append(f"{r.where}：“{r.label}”是定性指标，没有得分，完成档次无法推定")
        return None
    share = r.score / r.points
    tier = next(name for name, lo in TIERS if share >= lo - 1e-9)
    out.findings.append(f"{r.where}：“{r.label}”是定性指标，表中没有完成档次，按得分推定为“{tier}”")
    return tier


def build(form: Form, spec_id: str, profile: str | None = None) -> Imported:
    name = profile or ("sichuan" if form.layout == "sichuan" else "national")
    prof = PROFILES[name]
    out = Imported(spec_id, "", "", list(form.problems))
    head = [
        f"# {form.title or form.project}，由 xlcalc import 自 {form.source} 读入",
        "selfeval:",
        f"  id: {spec_id}",
        f"  project: {q(form.project)}",
        f"  department: {q(form.department)}",
        f"  unit: {q(form.unit)}",
        f"  year: {q(form.year)}",
        f"  profile: {name}",
        f"  source: {q(form.source)}",
    ]
    header: dict = {
        "id": spec_id,
        "project": form.project,
        "department": form.department,
        "unit": form.unit,
        "year": form.year,
        "profile": name,
        "source": form.source,
    }
    table: list[list] = []
    out.data = {"selfeval": header, "rows": table}
    if form.budget_points is not None and abs(form.budget_points - prof.budget_points) > 1e-9:
        header["budget"] = {"points": form.budget_points}
        head.append(f"  budget: {{points: {g(form.budget_points)}}}")
        out.findings.append(
            f"{form.source}：预算执行率分值为{g(form.budget_points)}，{prof.label}规则为{g(prof.budget_points)}"
        )
    rows = ["rows:"]
    values: list[str] = [
        f"  budget_year: {q(form.budget)}" if form.budget is not None else "  # 全年预算数未读取",
        f"  executed: {q(form.executed)}" if form.executed is not None else "  # 全年执行数未读取",
    ]
    if prof.backfill:
        values.append("  backfill: 0  # 执行回溯：表中未列，按0计")
    if form.budget_score is not None:
        values.append(f"  self_budget: {q(form.budget_score)}")
    prev = ("", "")
    for i, r in enumerate(form.rows):
        nid = f"r{i + 1}"
        t = parse_target(r.target)
        kind, value, how = _actual(r, t, out, nid)
        l1 = q(r.l1) if r.l1 != prev[0] else '""'
        l2 = q(r.l2) if (r.l1, r.l2) != prev else '""'
        prev = (r.l1, r.l2)
        over: dict = {"kind": kind} if kind else {}
        if (
            isinstance(value, float)
            and t.kind in ("number", "rank")
            and value > max_for(t.unit, t.value or 0)
        ):
            over["max"] = 10 ** math.ceil(math.log10(value * 10))  # a large actual stays readable
        opts = ", {" + ", ".join(f"{k}: {v}" for k, v in over.items()) + "}" if over else ""
        rows.append(f"  - [{l1}, {l2}, {q(r.label)}, {q(r.target)}, {g(r.points or 0)}{opts}]")
        table.append([r.l1, r.l2, r.label, r.target, r.points or 0] + ([over] if over else []))
        values.append(
            f"  # {r.label}：{r.target} | {r.actual} | {g(r.points or 0)} | {r.score}{'（' + how + '）' if how else ''}"
        )
        if t.numeric or kind:
            if value is not None:
                values.append(f"  actual_{nid}: {q(value)}")
        else:
            tier = _tier(r, out)
            if tier:
                values.append(f"  tier_{nid}: {tier}  # 按自评分所在区间推定")
        if r.score is not None:
            values.append(f"  self_{nid}: {q(r.score)}")
        if r.reason:
            values.append(f"  why_{nid}: {q(r.reason)}")
    if form.total is not None:
        values.append(f"  self_total: {q(form.total)}")
    out.spec = "\n".join(head + rows) + "\n"
    out.unit = form.project or spec_id
    out.values = _values(values)
    out.inputs = "\n".join([f"unit: {q(form.project or spec_id)}", "inputs:", *values]) + "\n"
    return out


def spec_id_for(stem: str, index: int, count: int) -> str:
    """An ASCII id from the file name; a Chinese name gets a short digest so two files never share
    an id ("自评表1.docx" and "自评表2.docx")."""
    base = re.sub(r"[^a-z0-9_]+", "_", stem.lower()).strip("_")
    if not stem.isascii():
        base = f"{base}_{hashlib.sha1(stem.encode('utf-8')).hexdigest()[:8]}".strip("_")
    if not base[0].isalpha():
        base = f"t_{base}"
    return f"{base}_{index + 1}" if count > 1 else base


def _values(lines: list[str]) -> dict:
    """The inputs mapping the inputs text holds (every value line is ``  key: JSON``)."""
    out = {}
    for line in lines:
        body = line.split("  #", 1)[0].strip()
        if body and not body.startswith("#"):
            key, _, raw = body.partition(": ")
            out[key] = json.loads(raw) if raw[:1] in '"-0123456789' else raw
    return out
