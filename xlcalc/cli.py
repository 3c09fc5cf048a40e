"""The ``xlcalc`` command: lint, score, build, verify, check, audit.

User mistakes print a located Chinese/English message and exit non-zero without a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from xlcalc import audit_command, check
from xlcalc.build_all import build_specs
from xlcalc.cohort import check_units, has_cross_unit_items, provisional, with_fixed_values
from xlcalc.errors import XlcalcError
from xlcalc.importer import command as import_command
from xlcalc.inputs import load_inputs, param_pairs
from xlcalc.lint import exit_status, lint
from xlcalc.round import collect_command, distribute
from xlcalc.scorer import Scorer, UnitResult, json_envelope
from xlcalc.spec.loader import load_many, load_spec
from xlcalc.stream import iter_results, write_json
from xlcalc.verify import command as verify_command


def cmd_lint(args: argparse.Namespace) -> int:
    worst = 0
    for path in args.specs:
        try:
            diags = lint(load_spec(path))
        except XlcalcError as exc:
            print(exc, file=sys.stderr)
            worst = 2
            continue
        for d in diags:
            print(d)
        status = exit_status(diags)
        if status == 0:
            print(f"{path}: OK")
        worst = max(worst, status)
    return worst


def format_table(results: list[UnitResult]) -> str:
    lines: list[str] = []
    for r in results:
        state = "完整" if r.complete else f"不完整：{r.pending}项待填"
        grade = f"，等级：{r.grade}" if r.grade else ""
        lines.append(f"== {r.unit}：总分 {r.total:.2f}（{state}{grade}）")
        for n in r.nodes:
            if n.level == 0:
                continue
            score = n.status if n.score is None else f"{n.score:.2f}"
            indent = "  " * (n.level - 1)
            line = f"{indent}{n.label:<{max(1, 24 - 2 * n.level)}} {score:>7} / {n.points:g}"
            if n.is_rule:
                line += f"  {n.explanation}"
            lines.append(line)
    return "\n".join(lines)


def cmd_score(args: argparse.Namespace) -> int:
    spec = load_spec(args.spec)
    scorer = Scorer(spec)
    params = param_pairs(args.param)
    units = load_inputs(args.inputs)  # every unit carries its file location for error messages
    check_units(spec, units, str(args.inputs))
    units = with_fixed_values(spec, units, str(args.inputs))
    # Results are written as they are scored: memory stays bounded however many units there are.
    results: Iterable[UnitResult] = iter_results(scorer, units, params)
    if args.json:
        head = json_envelope("score", spec, params)
        extra: dict[str, Any] = {}
        if has_cross_unit_items(spec):  # a ranked cohort is evaluated together: its status is known first
            results = list(results)
            cohort = provisional(spec, results)
            head, extra = {**head, "cohort": cohort}, {"provisional": cohort["provisional"]}
        write_json(sys.stdout, head, results, extra)
    else:
        for r in results:
            print(format_table([r]))
    return 0


def cmd_build(args: argparse.Namespace) -> int:
    specs = load_many(args.specs)
    for path in build_specs(specs, Path(args.out), xlsm=not args.no_xlsm, xlwings=args.xlwings):
        print(path)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="xlcalc", description="预算绩效评分：规格 → 参考评分 → Excel 模板 → 校验"
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("lint", help="check specs (exit 0 clean, 1 warnings, 2 errors)")
    p.add_argument("specs", nargs="+")
    p.set_defaults(func=cmd_lint)

    p = sub.add_parser("score", help="score units with the reference scorer")
    p.add_argument("spec")
    p.add_argument("--inputs", required=True, help="YAML, JSON or CSV file")
    p.add_argument("--param", action="append", default=[], metavar="NAME=VALUE")
    p.add_argument("--json", action="store_true", help="stable JSON output (format xlcalc.score, version 1)")
    p.set_defaults(func=cmd_score)

    p = sub.add_parser("build", help="compile specs into live-formula workbooks")
    p.add_argument("specs", nargs="+")
    p.add_argument("--out", default="templates")
    p.add_argument("--no-xlsm", action="store_true", help="skip the macro-enabled copies")
    p.add_argument(
        "--xlwings",
        action="store_true",
        help="embed xlwings' VBA in the .xlsm (one-click verify in desktop Excel; LibreOffice then runs no macro)",
    )
    p.set_defaults(func=cmd_build)

    verify_command.add_parser(sub)
    check.add_parser(sub)
    audit_command.add_parser(sub)
    import_command.add_parser(sub)
    distribute.add_parser(sub)
    collect_command.add_parser(sub)

    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except XlcalcError as exc:
        print(exc, file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
