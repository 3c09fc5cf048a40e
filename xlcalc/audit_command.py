"""``xlcalc audit``: one spec with its filled table (the report, or ``--json``), or many tables in
a batch (xlcalc/auditbatch.py) with one summary."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from xlcalc import auditbatch
from xlcalc.audit import audit, check_tiers, exit_status, format_report
from xlcalc.audit_findings import TOL, structural_findings
from xlcalc.errors import XlcalcError
from xlcalc.inputs import load_inputs, param_pairs
from xlcalc.scorer import json_envelope
from xlcalc.spec.loader import load_spec


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register ``xlcalc audit SPEC --inputs FILE`` and the batch form ``xlcalc audit ITEMS…``."""
    p = sub.add_parser(
        "audit",
        help="compare self-assigned scores with the rules (exit 0 clean, 1 findings, 2 errors); "
        "many specs, importable tables (.txt/.xlsx/.docx) or folders give one summary",
    )
    p.add_argument("specs", nargs="+", help="spec(s), importable tables or folders")
    p.add_argument(
        "--inputs",
        action="append",
        default=[],
        help="YAML, JSON or CSV file with the filled table (one per spec; default SPEC_inputs.yaml)",
    )
    p.add_argument("--param", action="append", default=[], metavar="NAME=VALUE")
    p.add_argument("--json", action="store_true", help="stable JSON output (format xlcalc.audit, version 1)")
    p.add_argument("--summary", metavar="PATH", help="batch: also write PATH.csv and PATH.xlsx")
    p.add_argument("--profile", default=None, help="batch: rule profile for imported tables")
    p.add_argument("--quiet", action="store_true", help="batch: no progress bar")
    p.add_argument("--jobs", type=int, default=0, help="batch: worker processes (default: one per core)")
    p.set_defaults(func=cmd_audit)


def _single(args: argparse.Namespace) -> bool:
    return (
        len(args.specs) == 1
        and len(args.inputs) == 1
        and not args.summary
        and Path(args.specs[0]).suffix.lower() in (".yaml", ".yml")
    )


def cmd_audit(args: argparse.Namespace) -> int:
    if not _single(args):
        return cmd_batch(args)
    args.inputs = args.inputs[0]
    spec = load_spec(args.specs[0])
    units = load_inputs(args.inputs)
    check_tiers(spec, units, args.inputs)
    params = param_pairs(args.param)
    try:
        audits = audit(spec, units, params)
    except XlcalcError as exc:
        raise XlcalcError(f"{args.inputs}：{exc}") from None
    if args.json:
        doc = {
            **json_envelope("audit", spec, params),
            "structure": [
                {"node": f.node, "kind": f.kind, "message": f.message} for f in structural_findings(spec)
            ],
            "units": [a.to_json() for a in audits],
        }
        sys.stdout.write(json.dumps(doc, ensure_ascii=False, indent=2) + "\n")
    else:
        sys.stdout.write(format_report(spec, audits) + "\n")
    return exit_status(audits)


def cmd_batch(args: argparse.Namespace) -> int:
    if args.json or args.param:
        raise XlcalcError("--json 与 --param 只用于单张表的审核（一个规格加一个 --inputs）")
    summaries, flagged, errors = auditbatch.run(
        args.specs, args.inputs, args.profile, not args.quiet, args.jobs
    )
    auditbatch.print_table(summaries, errors)
    if args.summary:
        stem = Path(args.summary).with_suffix("")
        auditbatch.write_csv(stem.with_suffix(".csv"), summaries)
        auditbatch.write_xlsx(stem.with_suffix(".xlsx"), summaries, flagged, errors)
        sys.stdout.write(f"已写出 {stem.with_suffix('.csv')} 与 {stem.with_suffix('.xlsx')}\n")
    if errors and not summaries:
        return 2
    differs = any(s.difference is not None and abs(s.difference) > TOL for s in summaries)
    return 1 if errors or flagged or differs or any(s.structure for s in summaries) else 0
