"""``xlcalc collect SPEC FILES_OR_DIRS… --out COHORT.xlsx``: the command line of :mod:`collect`
(apart from it so that the report, which reads a collection, sits between the two)."""

from __future__ import annotations

import argparse
from pathlib import Path

from xlcalc.errors import XlcalcError
from xlcalc.inputs import param_pairs
from xlcalc.paths import inside
from xlcalc.round.collect import collect
from xlcalc.round.report import print_summary, write_json
from xlcalc.spec.loader import load_spec


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "collect",
        help="check returned per-unit files of a round and merge them into a ranked cohort workbook",
    )
    p.add_argument("spec")
    p.add_argument("files", nargs="+", metavar="FILE_OR_DIR")
    p.add_argument("--out", required=True, help="the cohort workbook to write (.xlsx)")
    p.add_argument("--param", action="append", default=[], metavar="NAME=VALUE", help="the round's parameter")
    p.add_argument("--strict", action="store_true", help="any problem: write nothing, exit non-zero")
    p.add_argument("--json", metavar="OUT", help="also write the result as JSON (format xlcalc.collect)")
    p.add_argument("--jobs", type=int, default=2, help="worker processes reading files (default 2)")
    p.set_defaults(func=cmd_collect)


def cmd_collect(args: argparse.Namespace) -> int:
    spec = load_spec(args.spec)
    out = Path(args.out)
    if out.suffix.lower() != ".xlsx":
        raise XlcalcError(f"--out {out}：汇总工作簿应为 .xlsx 文件")
    json_out = Path(args.json) if args.json else None
    if json_out is not None:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out = inside(json_out.parent, json_out.name)
    coll = collect(spec, args.files, param_pairs(args.param), out, args.strict, args.jobs, json_out=json_out)
    refused = args.strict and bool(coll.problems)
    print_summary(coll, out, refused)
    if json_out is not None and not refused:
        write_json(coll, json_out)
    return coll.status
