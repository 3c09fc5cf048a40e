"""The compact 自评表 spec: a ``selfeval:`` header and one line per indicator, expanded into the
ordinary spec document (inputs, tree, choices) before the loader builds it.

    selfeval: {id: ezhou_2021_pufa, project: 普法依法治理工作, department: 鄂州市司法局,
               unit: 普法与依法治理科, year: 2021, profile: national}
    rows:
      - [产出指标, 数量指标, 打造法治文化阵地, "≥3个", 6]
      - ["", "", 开展法治培训, 1场次, 6, {kind: completion}]

A row is 一级, 二级, 三级, 年度指标值, 分值 and optional overrides (id, kind, direction, unit,
max, note); an empty 一级/二级 repeats the one above, as a merged cell does.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

from ruamel.yaml.comments import CommentedMap

from xlcalc.rules.manual import QUALITATIVE_BANDS
from xlcalc.selfeval.profiles import PROFILES, Profile
from xlcalc.selfeval.standard import GRADES, GROUP_IDS, QUAL_TEXT, TEXTS, at, budget_line, standard_choices
from xlcalc.selfeval.targets import Target, format_number, format_percent, parse_target
from xlcalc.yamlread import Context, Reader

KINDS = ("quantitative", "completion", "qualitative")
DIRECTIONS = ("positive", "reverse", "equal")


def is_compact(data: Any) -> bool:
    return isinstance(data, dict) and "selfeval" in data


def _item_line(seq: Any, i: int) -> int | None:
    try:
        return seq.lc.item(i)[0] + 1
    except (AttributeError, KeyError, TypeError):
        return None


def max_for(unit: str, target: float = 0.0) -> int:
    """The largest plausible actual: by unit, and at least ten times the target."""
    base = 100000 if unit == "万元" else 10000000 if unit.startswith("元") else 1000
    return max(base, 10 ** math.ceil(math.log10(target * 10))) if target > 0 else base


class _Expansion:
    def __init__(self, data: Any, ctx: Context) -> None:
        self.ctx = ctx
        self.data = data
        self.inputs: list[CommentedMap] = []
        self.guesses: dict[str, tuple[str, str, list[str]]] = {}
        self.ids: set[str] = set()

    def guess(self, key: str, topic: str, decision: str, node: str) -> None:
        self.guesses.setdefault(key, (topic, decision, []))[2].append(node)

    def unique(self, base: str) -> str:
        out, n = base, 2
        while out in self.ids:
            out, n = f"{base}_{n}", n + 1
        self.ids.add(out)
        return out

    def run(self) -> CommentedMap:
        head = Reader(self.data["selfeval"], self.ctx, "selfeval")
        sid = head.get("id", str) or ""
        project = head.get("project", str) or ""
        department = head.get("department", str, "")
        unit = head.get("unit", str, "")
        goal = head.get("goal", str, "")  # 年度总体目标, printed in the form's header block
        year = str(head.get("year", (str, int), ""))
        name = head.get("profile", str, "national")
        profile = PROFILES.get(name)
        if profile is None:
            head.error(f"未知的 profile“{name}”，可用：{'、'.join(PROFILES)}", "profile")
            profile = PROFILES["national"]
        source = head.get("source", str, "")
        notes = head.get("notes", str, "")
        root_note = head.get("note", str, "")
        budget_names = head.child("budget") if head.has("budget") else None
        if budget_names is not None:
            profile = _renamed(profile, budget_names)
        head.finish()
        self.ids.update({"total", "budget"})
        budget = self.budget(profile)
        groups = self.rows(profile)
        children: list[Any] = [budget, *groups]
        total = sum(float(c["points"]) for c in children)
        root = at(
            None,
            id="total",
            label="总分",
            points=format_number(total),
            stated_points=format_number(profile.stated_total),
            aggregate="deductions",
            self_score="self_total",
            floor=0,
        )
        if root_note:
            root["note"] = root_note
        root["children"] = children
        self.inputs.append(
            at(None, id="self_total", label="公布的总分", unit="分", type="number", min=0, max=200)
        )
        meta = CommentedMap(
            id=sid,
            title=f"{year}年度{project}{profile.form}",
            issuer=department,
            year=int(year) if year.isdigit() else year,
            source=source,
            total=format_number(total),
            unit_kind="项目",
            project=project,
            department=department,
            implementer=unit,
            goal=goal,
            grades=[{"label": g, "min": m} for g, m in GRADES],
            notes=notes
            or f"实施单位：{unit}。总分=100−各项扣分；各行得分与总分为单位自评，审核表列出其与规则得分的差异。",
        )
        out = CommentedMap(meta=meta, inputs=self.inputs, tree=root, choices=self.choices(profile))
        for key in self.data:
            if key not in ("selfeval", "rows", "choices", "params"):
                self.ctx.error(f"自评表简表不认识的键“{key}”", None, str(key))
        params = list(self.data.get("params") or [])
        if profile.reason_over is not None:
            params.append(
                {
                    "name": "reason_when_over",
                    "label": "超额完成须填偏差原因",
                    "doc": f"{profile.label}：实际完成值达到指标值{profile.reason_over * 100:g}%及以上的，也须填写偏差原因。",
                    "default": "yes",
                    "choices": [{"code": "yes", "label": "是"}, {"code": "no", "label": "否"}],
                }
            )
        if params:
            out["params"] = params
        out["choices"] += list(self.data.get("choices") or [])
        return out

    def budget(self, p: Profile) -> CommentedMap:
        node, inputs = budget_line(p)
        self.inputs += inputs
        return node

    def rows(self, p: Profile) -> list[CommentedMap]:
        rows = self.data.get("rows")
        if not isinstance(rows, list) or not rows:
            self.ctx.error("自评表简表需要 rows：每个三级指标一行", None, "rows")
            return []
        tops: dict[str, CommentedMap] = {}
        subs: dict[tuple[str, str], CommentedMap] = {}
        level1 = level2 = ""
        for i, row in enumerate(rows):
            line = _item_line(rows, i)
            where = f"rows[{i}]"
            if not isinstance(row, list) or not 5 <= len(row) <= 6:
                self.ctx.error(
                    "每行应为 [一级指标, 二级指标, 三级指标, 年度指标值, 分值] 加可选的 {覆盖项}", line, where
                )
                continue
            opts = row[5] if len(row) == 6 else {}
            l1, l2, label, target, points = (str(x).strip() if x is not None else "" for x in row[:5])
            level1, level2 = l1 or level1, l2 or level2
            if not level1 or not level2 or not label:
                self.ctx.error("一级、二级、三级指标名称不能为空（首行必须写出一级和二级）", line, where)
                continue
            try:
                pts = float(points)
            except ValueError:
                self.ctx.error(f"分值“{points}”不是数字", line, where)
                continue
            top = tops.get(level1)
            if top is None:
                top = tops[level1] = at(
                    line,
                    id=self.unique(GROUP_IDS.get(level1, f"g{len(tops) + 1}")),
                    label=level1,
                    points=0,
                    children=[],
                )
            sub = subs.get((level1, level2))
            if sub is None:
                base = GROUP_IDS.get(level2, f"{top['id']}_g{len(top['children']) + 1}")
                sub = subs[(level1, level2)] = at(
                    line, id=self.unique(base), label=level2, points=0, children=[]
                )
                top["children"].append(sub)
            leaf = self.leaf(Reader(opts, self.ctx, where, line), line, i, label, target, pts, p)
            if leaf is not None:
                sub["children"].append(leaf)
                sub["points"] = format_number(float(sub["points"]) + pts)
                top["points"] = format_number(float(top["points"]) + pts)
        return list(tops.values())

    def leaf(
        self, o: Reader, line: int | None, i: int, label: str, target: str, pts: float, p: Profile
    ) -> CommentedMap | None:
        nid = o.get("id", str, "") or f"r{i + 1}"
        if nid in self.ids:
            o.error(f"指标编号“{nid}”重复", "id")
        self.ids.add(nid)
        kind = o.choice("kind", KINDS, "") or ""
        direction = o.choice("direction", DIRECTIONS, "") or ""
        unit_override = o.get("unit", str, None)
        hi = o.get("max", (int, float), None)
        note = o.get("note", str, "")
        o.finish()
        t = parse_target(target)
        for problem in t.problems:
            self.ctx.warn(f"“{label}”的年度指标值：{problem}", line, f"rows[{i}]")
        if not kind:
            kind = "quantitative" if t.numeric else "qualitative"
            if t.kind == "text" and t.text and (t.op or t.text[0].isdigit()):
                self.ctx.warn(f"“{label}”的年度指标值“{target}”无法解析，按定性指标处理", line, f"rows[{i}]")
            if t.kind == "date":
                self.guess(
                    "date_targets",
                    "以日期表述的指标值",
                    "按定性三档评定（完成时间无实际完成日期可比）。",
                    nid,
                )
            elif kind == "qualitative":
                self.guess("text_targets", "以文字表述的指标值", "按定性三档区间评定。", nid)
        if kind == "quantitative" and not t.numeric:
            o.error(f"年度指标值“{target}”没有可计分的数值，不能按定量指标处理", "kind")
            kind = "qualitative"
        node = at(line, id=nid, label=label, points=format_number(pts), target=target)
        node.update(self_score=f"self_{nid}", reason=f"why_{nid}")
        actual = f"actual_{nid}"
        if kind == "qualitative":
            tier = f"tier_{nid}"
            self.inputs.append(
                # a drop-down of the three bands: the clerk picks one, the case generator draws one
                at(
                    line,
                    id=tier,
                    label=f"{label}：完成档次（达成/部分达成/未达成）",
                    type="text",
                    values=[name for name, _, _ in QUALITATIVE_BANDS],
                )
            )
            node["text"] = QUAL_TEXT
            self.guess(
                "qualitative_tier",
                "定性指标的档次",
                "表中没有“档次”一栏：完成档次按实际完成情况与偏差原因判断，档次只约束自评分的区间。",
                nid,
            )
            rule = CommentedMap(kind="discretionary", score=f"self_{nid}", tier=tier)
        elif kind == "completion":
            self.inputs.append(at(line, id=actual, label=f"{label}：完成率", type="percent", min=0, max=10))
            node["text"] = TEXTS["completion"]
            self.guess(
                "completion_actuals",
                "实际完成值写作完成率",
                "实际完成值为“100%”而指标值为数量的，按完成率×分值计分（完成率100%封顶）。",
                nid,
            )
            rule = CommentedMap(kind="proportional", actual=actual, completion=True)
        else:
            direction = direction or self.direction(t, nid)
            unit = t.unit if unit_override is None else unit_override
            inp = at(line, id=actual, label=f"{label}：实际完成值")
            if t.kind == "percent":
                inp.update(type="percent", min=0, max=hi if hi is not None else 10)
                value: Any = format_percent(t.value or 0.0)
            else:
                if unit:
                    inp["unit"] = unit
                integer = t.integer_unit or t.kind == "rank"
                inp.update(
                    type="integer" if integer else "number",
                    min=0,
                    max=hi if hi is not None else max_for(unit, t.value or 0.0),
                )
                value = format_number(t.value or 0.0)
            self.inputs.append(inp)
            node["text"] = TEXTS[direction]
            rule = CommentedMap(kind="proportional", actual=actual, target=value)
            if direction != "positive":
                rule["direction"] = direction
        self.inputs += [
            at(
                line,
                id=f"self_{nid}",
                label=f"{label}：得分（自评）",
                unit="分",
                type="number",
                min=0,
                max=format_number(2 * pts),
            ),
            at(line, id=f"why_{nid}", label=f"{label}：偏差原因分析及改进措施", type="text"),
        ]
        if note:
            node["note"] = note
        node["rule"] = rule
        return node

    def direction(self, t: Target, nid: str) -> str:
        if t.kind == "rank":
            self.guess(
                "rank_targets", "名次指标值", "“前N”“第N名”按名次不超过N计（反向：名次数值越小越好）。", nid
            )
            return "reverse"
        if t.op in ("<=", "<"):
            return "reverse"
        if t.op in (None, "=") and t.kind == "number":
            self.guess(
                "bare_counts", "不带运算符的数量指标值", "如“1次”按等于型计（指标值大于0时同正向）。", nid
            )
            return "equal"
        return "positive"

    def choices(self, p: Profile) -> list[CommentedMap]:
        out = standard_choices(p)
        for key, (topic, decision, nodes) in self.guesses.items():
            out.append(
                CommentedMap(
                    id=key, topic=topic, decision=decision, reason="简表按指标值的写法推定。", nodes=nodes
                )
            )
        return out


def _renamed(p: Profile, r: Reader) -> Profile:

    out = replace(
        p,
        budget_line=r.get("line", str, p.budget_line),
        budget_label=r.get("budget", str, p.budget_label),
        executed_label=r.get("executed", str, p.executed_label),
        budget_points=float(r.get("points", (int, float), p.budget_points)),
    )
    r.finish()
    return out


def expand(data: Any, ctx: Context) -> Any:
    """The full spec document a compact one stands for (errors and warnings go to ``ctx``)."""
    return _Expansion(data, ctx).run()
