"""What ``collect`` tells the evaluator: a summary on the terminal (rich) and JSON for other tools
(``format: xlcalc.collect``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from xlcalc.round.collect import Collection, ranked
from xlcalc.scorer import json_envelope

SHOWN_UNITS = 30
SHOWN_PROBLEMS = 50
_KINDS = {
    "unit": "单位填报文件",
    "cohort": "汇总模板",
    "inputs": "数据文件",
    "unreadable": "无法读取",
    "foreign": "非本轮文件",
}


def print_summary(coll: Collection, out: Path, refused: bool, console: Console | None = None) -> None:
    con = console or Console(highlight=False)
    problems = coll.problems
    kinds: dict[str, int] = {}
    for f in coll.files:
        kinds[f.kind] = kinds.get(f.kind, 0) + 1
    con.print(
        f"汇总 {coll.spec.meta.title}：{len(coll.files)}个文件（"
        + "，".join(f"{_KINDS[k]}{n}个" for k, n in kinds.items())
        + f"），{len(coll.spec.meta.units) - len(coll.merged.missing)}/{len(coll.spec.meta.units)}个单位已提交"
    )
    table = Table(title="按总分排序", show_lines=False)
    for head in ("名次", "单位", "总分", "等级", "填报状态", "问题数"):
        table.add_column(head)
    per_unit: dict[str, int] = {}
    for p in problems:
        if p.unit:
            per_unit[p.unit] = per_unit.get(p.unit, 0) + 1
    rows = ranked(coll)
    for r in rows[:SHOWN_UNITS]:
        rank = coll.ranks.get(r.unit)
        table.add_row(
            f"第{rank}名" if rank else "",
            r.unit,
            f"{r.total:.2f}" if isinstance(r.total, int | float) else str(r.total),
            r.grade or "",
            "完整" if r.complete else f"{r.pending}项待填",
            str(per_unit.get(r.unit, 0)),
        )
    con.print(table)
    if len(rows) > SHOWN_UNITS:
        con.print(f"…另有{len(rows) - SHOWN_UNITS}个单位，见汇总工作簿的“汇总”工作表")
    if problems:
        pt = Table(title=f"问题清单（共{len(problems)}处）")
        for head in ("文件", "工作表", "单元格", "问题"):
            pt.add_column(head, overflow="fold")
        for p in problems[:SHOWN_PROBLEMS]:
            pt.add_row(*p.row())
        con.print(pt)
        if len(problems) > SHOWN_PROBLEMS:
            con.print(f"…另有{len(problems) - SHOWN_PROBLEMS}处，见汇总工作簿的“问题清单”工作表")
    unreadable = sum(f.unreadable for f in coll.files)
    if refused:
        con.print(f"结论：发现{len(problems)}处问题，--strict 下拒绝汇总，未写出 {out}")
    elif unreadable:
        con.print(
            f"结论：{unreadable}个文件无法读取，共{len(problems)}处问题（有问题的数值已留空待填）；已写出 {out}"
        )
    elif problems:
        con.print(f"结论：发现{len(problems)}处问题（有问题的数值已留空待填）；已写出 {out}")
    else:
        con.print(f"结论：全部文件通过检查；已写出 {out}")


def collect_json(coll: Collection) -> dict[str, Any]:
    head = json_envelope("collect", coll.spec, coll.params)
    ident = coll.template.identity
    per_unit_files = coll.merged.sources
    return {
        **head,
        "round": {"spec_hash": ident.spec_hash, "round_hash": ident.round_hash, "year": ident.year},
        "status": ("clean", "problems", "errors")[coll.status],
        "files": [
            {"path": f.path, "kind": f.kind, "units": [u for u, _ in f.units], "problems": len(f.problems)}
            for f in coll.files
        ],
        "units": [
            {
                "unit": r.unit,
                "rank": coll.ranks.get(r.unit),
                "total": r.total,
                "grade": r.grade,
                "complete": r.complete,
                "pending": r.pending,
                "files": per_unit_files.get(r.unit, []),
                "scores": {n.id: n.score for n in r.nodes},
            }
            for r in ranked(coll)
        ],
        "missing": coll.merged.missing,
        "problems": [
            {"file": p.file, "sheet": p.sheet, "cell": p.cell, "message": p.message, "unit": p.unit}
            for p in coll.problems
        ],
    }


def write_json(coll: Collection, path: Path) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(collect_json(coll), ensure_ascii=False, indent=1), encoding="utf-8")
    tmp.replace(path)
