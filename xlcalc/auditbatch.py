"""Batch audit: many 自评表 (spec + inputs pairs, or importable .txt/.xlsx/.docx tables) audited one
at a time into one summary — a terminal table, a CSV and an .xlsx sorted by the size of the
discrepancy, with a sheet of every flagged row. Memory stays flat: only summary lines are kept."""

from __future__ import annotations

import csv
import os
import re
import sys
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from xlcalc.audit import TOL, UnitAudit, audit, check_tiers, structural_findings
from xlcalc.errors import XlcalcError
from xlcalc.importer.command import import_file
from xlcalc.inputs import load_inputs
from xlcalc.scorer import UnitInputs
from xlcalc.selfeval.structure import category_findings
from xlcalc.spec.loader import load_data, load_spec
from xlcalc.spec.model import Spec

IMPORTABLE = (".txt", ".tsv", ".xlsx", ".docx")


@dataclass
class TableSummary:
    source: str
    project: str
    unit: str
    published: float | None
    rule_total: float | None
    complete: bool
    flagged: int
    structure: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # cells the import could not read

    @property
    def difference(self) -> float | None:
        if self.published is None or self.rule_total is None:
            return None
        return round(self.published - self.rule_total, 6)


@dataclass
class FlaggedRow:
    source: str
    project: str
    label: str
    points: float
    score: float | None
    own: float | None
    flags: str


# ---- one table -----------------------------------------------------------------------------------
def summarize(
    spec: Spec, units: list[UnitInputs], source: str, problems: Iterable[str] = ()
) -> Iterator[tuple[TableSummary, list[FlaggedRow]]]:
    structure = [f.message for f in structural_findings(spec)] + category_findings(spec)
    structure += [w.message for w in spec.warnings]  # unreadable targets, doubled units
    for a in audit(spec, units):
        yield _summary(spec, a, source, structure, list(problems)), _flagged(spec, a, source)


def _summary(
    spec: Spec, a: UnitAudit, source: str, structure: list[str], problems: list[str]
) -> TableSummary:
    unit = (
        spec.meta.notes.split("。")[0].removeprefix("实施单位：")
        if spec.meta.notes.startswith("实施单位")
        else a.unit
    )
    return TableSummary(
        source,
        spec.meta.title,
        unit,
        a.published,
        a.rule_total,
        a.complete,
        sum(1 for r in a.rows if r.flags),
        structure,
        problems,
    )


def _flagged(spec: Spec, a: UnitAudit, source: str) -> list[FlaggedRow]:
    return [
        FlaggedRow(source, spec.meta.title, r.label, r.points, r.score, r.own, "；".join(r.flags))
        for r in a.rows
        if r.flags
    ]


def _pairs(items: list[str], inputs: list[str]) -> Iterator[tuple[str, str | None]]:
    """(path, inputs or None for an importable table) for every item; folders expanded."""
    paths: list[Path] = []
    for item in items:
        p = Path(item)
        if p.is_dir():
            paths += sorted(
                x
                for x in p.iterdir()
                if x.is_file()
                and (
                    x.suffix.lower() in IMPORTABLE or (x.suffix == ".yaml" and not x.stem.endswith("_inputs"))
                )
            )
        else:
            paths.append(p)
    specs = [p for p in paths if p.suffix.lower() in (".yaml", ".yml")]
    if inputs and len(inputs) != len(specs):
        raise XlcalcError(
            f"给出了{len(specs)}个规格、{len(inputs)}个 --inputs，数量应相同（或都省略，按“规格名_inputs.yaml”配对）"
        )
    given = dict(zip(map(str, specs), inputs, strict=False))
    for p in paths:
        if p.suffix.lower() in IMPORTABLE:
            yield str(p), None
        else:
            pair = given.get(str(p)) or str(p.with_name(f"{p.stem}_inputs.yaml"))
            if not Path(pair).exists():
                raise XlcalcError(f"{p}：未找到对应的输入文件 {pair}（请用 --inputs 指定）")
            yield str(p), pair


def audit_item(path: str, pair: str | None, profile: str | None = None):
    """One file: (summaries, flagged rows, errors). A file that cannot be read is an error line in
    the summary, not the end of the run."""

    summaries: list[TableSummary] = []
    flagged: list[FlaggedRow] = []
    try:
        if pair is None:
            for imp in import_file(Path(path), profile):
                spec = load_data(imp.data, f"{path}#{imp.spec_id}")
                for s, f in summarize(spec, [UnitInputs(imp.unit, imp.values)], path, imp.problems):
                    summaries.append(s)
                    flagged += f
        else:
            spec, units = load_spec(path), load_inputs(pair)
            check_tiers(spec, units, pair)
            for s, f in summarize(spec, units, path):
                summaries.append(s)
                flagged += f
    except XlcalcError as exc:  # located errors already name the file: once is enough
        text = str(exc)
        return summaries, flagged, [text if text.startswith(str(path)) else f"{path}：{text}"]
    except Exception as exc:  # one malformed file must not end a run over hundreds
        return summaries, flagged, [f"{path}：无法审核（{type(exc).__name__}：{exc}）"]
    return summaries, flagged, []


def run(
    items: list[str], inputs: list[str], profile: str | None = None, progress: bool = False, jobs: int = 0
) -> tuple[list[TableSummary], list[FlaggedRow], list[str]]:
    """Every table audited, files spread over ``jobs`` processes (0: one per core)."""
    summaries: list[TableSummary] = []
    flagged: list[FlaggedRow] = []
    errors: list[str] = []
    pairs = list(_pairs(items, inputs))
    jobs = min(jobs or os.cpu_count() or 1, len(pairs))
    with _progress(progress, len(pairs)) as advance:
        if jobs > 1:
            with ProcessPoolExecutor(jobs) as pool:
                results = pool.map(audit_item, *zip(*pairs, strict=True), [profile] * len(pairs))
                for s, f, e in results:
                    summaries += s
                    flagged += f
                    errors += e
                    advance()
        else:
            for path, pair in pairs:
                s, f, e = audit_item(path, pair, profile)
                summaries += s
                flagged += f
                errors += e
                advance()
    summaries.sort(key=lambda s: (s.difference is None, -abs(s.difference or 0), s.source))
    return summaries, flagged, errors


class _progress:
    """A rich progress bar on stderr for long runs; nothing when quiet."""

    def __init__(self, show: bool, total: int) -> None:
        self.bar = None
        if show and total > 1:
            self.bar = Progress(transient=True, console=_console(sys.stderr))
            self.task = self.bar.add_task("审核", total=total)

    def __enter__(self):
        if self.bar is not None:
            self.bar.start()
        return self.advance

    def advance(self) -> None:
        if self.bar is not None:
            self.bar.advance(self.task)

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()


def _console(file):

    return Console(file=file, highlight=False)


# ---- output --------------------------------------------------------------------------------------
HEADERS = (
    "来源",
    "项目",
    "实施单位",
    "公布总分",
    "规则总分",
    "差额",
    "标记行数",
    "规则得分完整",
    "结构问题",
    "未读取",
)
FLAG_HEADERS = ("来源", "项目", "指标", "分值", "规则得分", "自评分", "审核标记")


def _g(x: float | None) -> str:
    return "" if x is None else f"{x:g}"


def summary_rows(summaries: list[TableSummary]) -> Iterator[list[object]]:
    for s in summaries:
        yield [
            s.source,
            s.project,
            s.unit,
            s.published,
            s.rule_total,
            s.difference,
            s.flagged,
            "是" if s.complete else "否",
            "；".join(s.structure),
            "；".join(s.problems),
        ]


def safe_csv(value: object) -> object:
    """OWASP CSV injection: text a spreadsheet would read as a formula is quoted."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def write_csv(path: Path, summaries: list[TableSummary]) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as f:  # BOM: Excel opens it as UTF-8
        w = csv.writer(f)
        w.writerow(HEADERS)
        for row in summary_rows(summaries):
            w.writerow([_g(v) if isinstance(v, float) else safe_csv(v) for v in row])  # numbers stay numbers


def write_xlsx(
    path: Path, summaries: list[TableSummary], flagged: list[FlaggedRow], errors: list[str]
) -> None:

    wb = Workbook()
    ws = wb.active
    ws.title = "汇总"
    _sheet(ws, HEADERS, summary_rows(summaries), Font(bold=True))
    ws2 = wb.create_sheet("标记行")
    rows = ([f.source, f.project, f.label, f.points, f.score, f.own, f.flags] for f in flagged)
    _sheet(ws2, FLAG_HEADERS, rows, Font(bold=True))
    if errors:
        _sheet(wb.create_sheet("无法审核"), ("文件与原因",), ([e] for e in errors), Font(bold=True))
    wb.save(path)


def _sheet(ws, headers: tuple[str, ...], rows: Iterable[list[object]], bold) -> None:
    ws.append(list(headers))
    for c in ws[1]:
        c.font = bold
    for r, row in enumerate(rows, 2):
        for col, v in enumerate(row, 1):
            cell = ws.cell(r, col)
            cell.value = v
            if isinstance(v, str):
                cell.data_type = "s"  # never a formula, whatever the table said
    ws.freeze_panes = "A2"
    for col, width in zip("ABCDEFGHIJ", (28, 36, 16, 10, 10, 8, 8, 8, 50, 50), strict=False):
        ws.column_dimensions[col].width = width


def short_title(title: str) -> str:
    """ "2021年度普法依法治理工作项目支出绩效自评表" → "普法依法治理工作"."""
    t = re.sub(r"^\d{4}年度", "", title)
    for tail in ("部门预算项目支出绩效自评表", "项目支出绩效自评表", "绩效自评表"):
        t = t.removesuffix(tail)
    return t or title


def print_table(summaries: list[TableSummary], errors: list[str], file=None) -> None:

    console = _console(file or sys.stdout)
    table = Table(title=f"自评表审核汇总（{len(summaries)}张，按差额大小排序）")
    for h, justify in zip(
        HEADERS[1:8], ("left", "left", "right", "right", "right", "right", "center"), strict=True
    ):
        table.add_column(h, justify=justify, overflow="fold")
    table.add_column("结构问题", overflow="fold")
    for s in summaries:
        diff = s.difference
        style = "bold red" if diff is not None and abs(diff) > TOL else None
        table.add_row(
            short_title(s.project),
            s.unit,
            _g(s.published),
            _g(s.rule_total),
            _g(diff),
            str(s.flagged),
            "是" if s.complete else "否",
            str(len(s.structure)),
            style=style,
        )
    console.print(table)
    for e in errors:
        console.print(f"无法审核：{e}")
