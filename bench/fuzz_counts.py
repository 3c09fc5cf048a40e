"""Counts of the input-reader fuzzing, to quote: tried / clean error / accepted / traceback.

Runs the hypothesis tests of tests/test_fuzz_inputs.py outside pytest (same seeds, derandomised)
and prints what became of every attempt. ``--examples N`` scales each test's example count
(default: the module's own, a few seconds). A traceback stops the run with the failing input.

    python3 bench/fuzz_counts.py --examples 2000
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=0, help="examples per hypothesis test")
    args = parser.parse_args()
    if args.examples:
        os.environ["XLCALC_FUZZ_EXAMPLES"] = str(args.examples)
    sys.path.insert(0, str(ROOT / "tests"))
    import test_fuzz_inputs as fuzz

    t0 = time.perf_counter()
    try:
        fuzz.test_values_never_crash()
        fuzz.test_units_never_crash()
        with tempfile.TemporaryDirectory() as tmp:
            fuzz.test_inputs_files_never_crash(Path(tmp))
    finally:
        for kind, c in fuzz.COUNTS.items():
            print(
                f"{kind:>6}: tried {c['tried']:>9,}  clean error {c['clean error']:>9,}  "
                f"accepted {c['accepted']:>8,}  traceback {c['traceback']:,}"
            )
        for failure in fuzz.FAILURES:
            print("  ", failure)
        print(f"{time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
