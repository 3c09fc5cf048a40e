"""Verified unit-cases per second, per engine and template.

For each template: cases are generated, written, recalculated, read back and compared cell by
cell with the reference scorer. Prints unit-cases per second, the engine's share (write +
recalculation + read) and the verifier's overhead ratio (total / engine), target ≤ 2.
Usage: python bench/verify_speed.py [LO_CASES] [FORMULAS_UNIT_CASES]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from xlcalc.engines import get_engine
from xlcalc.verify.cases import CaseGenerator
from xlcalc.verify.runner import run_engine
from xlcalc.verify.target import load_target

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str]) -> None:
    lo_cases = int(argv[0]) if argv else 300
    formulas_unit_cases = int(argv[1]) if len(argv) > 1 else 100
    templates = sorted((ROOT / "templates").glob("*.xlsx"))
    tmp = Path(tempfile.mkdtemp())
    print(
        f"{'template':28} {'engine':12} {'cases':>6} {'unit-cases':>10} {'u-c/s':>8} {'engine s':>9} {'total s':>8} {'ratio':>6}"
    )
    for name in ("libreoffice", "formulas"):
        engine = get_engine(name)
        ok, why = engine.available()
        if not ok:
            print(f"{name}: unavailable ({why})")
            continue
        try:
            for path in templates:
                target = load_target(path)
                n = (
                    lo_cases
                    if name == "libreoffice"
                    else max(2, formulas_unit_cases // target.layout.n_units)
                )
                book = engine.open(target.path)
                try:
                    gen = CaseGenerator(target.spec, target.layout.n_units, seed=1)
                    run = run_engine(target, book, name, gen.cases(n, target.scorer), tmp)
                finally:
                    book.close()
                ratio = run.seconds / run.engine_seconds if run.engine_seconds else float("nan")
                flag = "" if run.ok else f"  {len(run.mismatches)} MISMATCHES"
                print(
                    f"{target.name:28} {name:12} {run.cases:>6} {run.unit_cases:>10} "
                    f"{run.unit_cases / run.seconds:>8.1f} {run.engine_seconds:>9.2f} {run.seconds:>8.2f} {ratio:>6.2f}{flag}"
                )
        finally:
            engine.close()


if __name__ == "__main__":
    main(sys.argv[1:])
