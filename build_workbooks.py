"""Build every rubric in rubric_specs/ into templates/ (.xlsx with live formulas, .xlsm beside it).

Usage: python build_workbooks.py [--check]
  --check  rebuild into a temporary directory and fail if templates/ differs (stale templates).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from xlcalc.build_all import TEMPLATE_DIR, build_specs, spec_paths
from xlcalc.errors import XlcalcError
from xlcalc.spec.loader import load_many


def main(argv: list[str]) -> int:
    root = Path(__file__).resolve().parent
    try:
        specs = load_many(spec_paths(root / "rubric_specs"))
    except XlcalcError as exc:
        print(exc, file=sys.stderr)
        return 2
    if "--check" in argv:
        with tempfile.TemporaryDirectory() as tmp:
            fresh = build_specs(specs, Path(tmp))
            stale = [p.name for p in fresh if (root / TEMPLATE_DIR / p.name).read_bytes() != p.read_bytes()]
        if stale:
            print(
                "templates/ is stale, run `python build_workbooks.py`: " + ", ".join(stale), file=sys.stderr
            )
            return 1
        print("templates/ is up to date")
        return 0
    for path in build_specs(specs, root / TEMPLATE_DIR):
        print(path.relative_to(root))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
