"""``xlcalc check FILLED.xlsx [--spec SPEC.yaml]``: audit a workbook a user filled and saved in Excel,
WPS or LibreOffice, without modifying it.

The file is untrusted: it is read with the bounded reader (:mod:`xlcalc.workbook.untrusted`), only at
the cells the spec's layout names, and checked against a trusted spec (see
:mod:`xlcalc.workbook.embedded` for how it is found when ``--spec`` is absent). Reports, in Chinese,
each with its sheet and cell: sheets deleted, renamed or added; links to other files; an embedded spec
that differs from the trusted one; formulas overwritten or edited; formulas typed into input cells;
inputs outside their declared ranges or of the wrong type; parameters differing from the spec's
defaults; scores the spreadsheet saved that differ from what the reference scorer computes.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any

from xlcalc.errors import InputError, XlcalcError
from xlcalc.inputs import param_pairs
from xlcalc.scorer import Scorer, resolve_params
from xlcalc.spec.loader import load_spec
from xlcalc.spec.model import Spec
from xlcalc.verify.compare import Mismatch, same_value
from xlcalc.workbook.layout import FIRST_ROW, PARAM_SHEET
from xlcalc.workbook.readback import read_inputs
from xlcalc.workbook.returned import (  # noqa: F401  (re-exported: verify, bridge, the round package)
    OPTIONAL_SHEETS,
    CheckReport,
    Returned,
    check_structure,
    normalize_formula,
    open_returned,
)
from xlcalc.workbook.sheets import param_rows
from xlcalc.workbook.untrusted import Limits


def _params(
    r: Returned, file_params: dict[str, Any], expected: dict[str, Any], source: str = "评价机关设定的值"
) -> dict[str, Any]:
    """Parameters the reference accepts. A value differing from the expected one (the evaluator's,
    named by ``source``, or the spec's default where the evaluator set none) is a problem; one equal
    to the evaluator's value but differing from the spec's default is noted (the evaluator chose it)."""
    rows = param_rows(r.spec, r.expected.params_used)
    defaults = resolve_params(r.spec)
    ok: dict[str, Any] = {}
    for name, value in file_params.items():
        p = r.spec.param(name)
        where = f"{PARAM_SHEET}!B{rows.get(name, FIRST_ROW)}"
        try:
            got = resolve_params(r.spec, {name: value})[name]
        except InputError as exc:
            r.report.param_problems.append(f"{where}：{exc}，参考评分按规格默认值计算")
            continue
        ok[name] = value
        chosen = not _same_param(expected[name], defaults[name])
        if not _same_param(got, expected[name]):
            against = f"{source}为 {expected[name]!r}（规格默认值为 {defaults[name]!r}）" if chosen else ""
            r.report.param_problems.append(
                f"{where}：参数“{p.label}”为 {got!r}，{against or f'规格默认值为 {defaults[name]!r}'}"
            )
        elif chosen:
            r.report.notes.append(
                f"{where}：参数“{p.label}”为 {got!r}，与{source}相同，规格默认值为 {defaults[name]!r}"
            )
    return ok


def _same_param(a: Any, b: Any) -> bool:
    if isinstance(a, int | float) and isinstance(b, int | float):
        return math.isclose(float(a), float(b), rel_tol=1e-12, abs_tol=1e-12)
    return a == b


def check_workbook(
    path: str | Path,
    spec: Spec | None = None,
    *,
    params: dict[str, Any] | None = None,
    use_embedded: bool = False,
    limits: Limits | None = None,
) -> CheckReport:
    """Check a returned workbook (read-only). ``params`` are the parameter values the reviewer
    expects (default: the spec's defaults)."""
    r = open_returned(path, spec, use_embedded=use_embedded, limits=limits)
    report, book, spec, lay = r.report, r.book, r.spec, r.layout
    back = read_inputs(spec, lay, book.read)
    report.input_problems += [str(p) for p in back.problems]
    file_params = _params(r, back.params, resolve_params(spec, params))
    scorer = Scorer(spec)
    rows = []
    for u in back.units:
        try:
            rows.append(scorer.normalize(u))
        except XlcalcError:
            rows.append({i.id: None for i in spec.inputs})
    cells = scorer.evaluate(rows, resolve_params(spec, file_params))
    any_cached = False
    for cid in lay.positions:
        cell = lay.graph.by_id[cid]
        if cell.expr is None or cell.kind not in ("score", "indicator", "grade", "status"):
            continue
        sheet = lay.sheet_of(cid)
        for u in range(lay.n_units):
            addr = lay.address(cid, u)
            saved = book.cell(sheet, *lay.row_col(cid, u)).value
            if saved is None:
                continue
            any_cached = True
            if not same_value(cells[u][cid], saved):
                miss = Mismatch(
                    sheet, addr, cid, back.units[u].name, "", cells[u][cid], saved, label=cell.label
                )
                report.value_problems.append(miss.saved_line())
    if not any_cached:
        report.notes.append(
            "注意：文件未保存计算结果（未在 Excel/WPS/LibreOffice 中打开并保存过），只检查了公式与输入。"
        )
    return report


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "check", help="check a filled workbook against its spec: structure, formulas, inputs, saved scores"
    )
    p.add_argument("workbooks", nargs="+")
    p.add_argument("--spec", help="the trusted spec (default: ./rubric_specs/<embedded meta.id>.yaml)")
    p.add_argument("--param", action="append", default=[], metavar="NAME=VALUE", help="expected parameter")
    p.add_argument(
        "--embedded", action="store_true", help="without a known spec, use the workbook's own (untrusted)"
    )
    p.set_defaults(func=cmd_check)


def cmd_check(args: argparse.Namespace) -> int:
    spec = load_spec(args.spec) if args.spec else None
    params = param_pairs(args.param)
    if spec is not None:
        resolve_params(spec, params)  # an unknown name or bad value is the reviewer's error: say so now
    status = 0
    for wb in args.workbooks:
        try:
            report = check_workbook(wb, spec, params=params, use_embedded=args.embedded)
        except XlcalcError as exc:
            print(f"检查 {wb}\n{exc}\n结论：无法检查")
            status = 2
            continue
        print(report.render())
        status = max(status, 0 if report.ok else 1)
    return status
