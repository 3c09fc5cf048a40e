"""The mutation table: per template, mutants killed / equivalent / survived (non-equivalent).

Each mutant breaks one formula (down its block of unit rows in a ranked layout); the verifier runs on it (LibreOffice by default) until the
first mismatch; survivors are checked for equivalence in the formulas engine (see
xlcalc/verify/equivalence.py). The full set is the default; CI runs a sampled subset.
Usage: python bench/mutation_table.py [--mutants N] [--cases N] [--engine libreoffice|formulas] [--only NAME]
       [--evaluations N] [--seed S]
``--seed`` picks another sample of mutants (and of cases) when ``--mutants`` is below the full set.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from xlcalc.engines import get_engine
from xlcalc.verify.mutate import run_mutants
from xlcalc.verify.target import load_target

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mutants", type=int, default=10_000, help="per template (default: all)")
    ap.add_argument("--cases", type=int, default=200)
    ap.add_argument("--engine", default="libreoffice")
    ap.add_argument("--only", default="")
    ap.add_argument(
        "--evaluations",
        type=int,
        default=300,
        help="equivalence check: evaluations of the input sweep, at most (the cases are replayed too)",
    )
    ap.add_argument("--seed", type=int, default=1, help="the sample of mutants and the cases")
    args = ap.parse_args()
    engine = get_engine(args.engine)
    ok, why = engine.available()
    if not ok:
        raise SystemExit(why)
    tmp = Path(tempfile.mkdtemp())
    print(f"{'template':28} {'mutants':>7} {'killed':>6} {'equiv.':>6} {'survived':>8} {'seconds':>8}")
    try:
        for path in sorted((ROOT / "templates").glob("*.xlsx")):
            if args.only not in path.stem:
                continue
            target = load_target(path)
            report = run_mutants(
                target,
                engine.open,
                args.engine,
                args.mutants,
                args.cases,
                args.seed,
                tmp / path.stem,
                equivalence_evaluations=args.evaluations,
            )
            print(
                f"{target.name:28} {len(report.mutants):>7} {len(report.killed):>6} "
                f"{len(report.equivalent):>6} {len(report.survived):>8} {report.seconds:>8.0f}",
                flush=True,
            )
            for m, evidence in report.survived:
                print(f"    survived: {m.describe()}\n      {evidence}")
            for m, v in report.equivalent:
                print(
                    f"    equivalent ({v.evaluations} evaluations; sweep of the {v.inputs_read} inputs "
                    f"the cell reads: {v.sweep}): {m.describe()}"
                )
    finally:
        engine.close()


if __name__ == "__main__":
    main()
