"""Template build speed, and a 3,000-unit 安庆 workbook (about China's number of county-level
units) built and recalculated in LibreOffice.

Targets: all templates < 5 s; the 3,000-unit workbook builds in < 15 s and recalculates in < 2 s.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from xlcalc.build_all import build_specs, spec_paths
from xlcalc.spec.loader import load_many, load_spec
from xlcalc.workbook.build import build_workbook, write_workbook

ROOT = Path(__file__).resolve().parent.parent
UNITS = 3000


def main() -> None:
    specs = load_many(spec_paths(ROOT / "rubric_specs"))
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        build_specs(specs, Path(tmp), xlsm=False)
        t_xlsx = time.perf_counter() - t0
        t0 = time.perf_counter()
        build_specs(specs, Path(tmp), xlsm=True)
        t_all = time.perf_counter() - t0
        print(f"all {len(specs)} templates: .xlsx only {t_xlsx:.2f} s; .xlsx + .xlsm {t_all:.2f} s")

        spec = load_spec(ROOT / "rubric_specs" / "anqing_2023.yaml")
        t0 = time.perf_counter()
        compiled = build_workbook(spec, [f"单位{k + 1}" for k in range(UNITS)])
        path = write_workbook(compiled, Path(tmp) / "anqing_3000.xlsx")
        t_build = time.perf_counter() - t0
        cells = sum(1 for c in compiled.graph.cells if c.expr is not None) * UNITS
        print(
            f"安庆 × {UNITS} units: built in {t_build:.2f} s ({cells:,} formula cells, {path.stat().st_size / 1e6:.1f} MB)"
        )

        from xlcalc.engines import get_engine

        engine = get_engine("libreoffice")
        ok, why = engine.available()
        if not ok:
            print(f"LibreOffice unavailable: {why}")
            return
        try:
            t0 = time.perf_counter()
            book = engine.open(path)
            t_open = time.perf_counter() - t0
            times = []
            for _ in range(3):
                t0 = time.perf_counter()
                book.recalc()
                times.append(time.perf_counter() - t0)
            errors = book.errors()
            print(
                f"LibreOffice: open {t_open:.1f} s (office start included), full recalculation "
                f"{min(times):.2f} s (best of 3), error cells {len(errors)}"
            )
            book.close()
        finally:
            engine.close()


if __name__ == "__main__":
    main()
