"""Recalculation speed of each engine on a generated rubric-like workbook.

Builds workbooks of 10 and 200 unit rows x 40 input columns with 41 formula columns (ROUND,
RANK.EQ, COUNTIF, TEXT, INT, IF, MIN/MAX, SUM over defined-name parameters), then per engine:
open time, and per input case the time to write all inputs, recalculate and read all outputs.

Usage: python bench/engine_speed.py [--rows 10 200] [--cases 5] [--engines formulas libreoffice]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import openpyxl
from openpyxl.workbook.defined_name import DefinedName

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from xlcalc.engines import get_engine  # noqa: E402
from xlcalc.engines.base import col_letter  # noqa: E402

N_INPUTS = 40


def build(path: Path, rows: int) -> Path:
    """Write the benchmark workbook: 填报 (inputs), 参数 (defined names), 评分 (formulas)."""
    wb = openpyxl.Workbook()
    inp = wb.active
    inp.title = "填报"
    inp.append(["单位"] + [f"指标{j + 1}" for j in range(N_INPUTS)])
    for i in range(rows):
        inp.append([f"单位{i + 1}"])
    par = wb.create_sheet("参数")
    for k, (name, value) in enumerate((("满分", 100), ("权重", 2.5), ("阈值", 60)), start=1):
        par.cell(k, 1, name)
        par.cell(k, 2, value)
        wb.defined_names[name] = DefinedName(name, attr_text=f"参数!$B${k}")
    sc = wb.create_sheet("评分")
    last = rows + 1
    for r in range(2, last + 1):
        for j in range(N_INPUTS):
            c = col_letter(j + 2)
            x = f"填报!{c}{r}"
            col_range = f"填报!${c}$2:${c}${last}"
            kind = j % 6
            if kind == 0:
                f = f"=IF(ISNUMBER({x}),ROUND(MIN(1,{x}/满分)*权重,2),0)"
            elif kind == 1:
                f = f"=_xlfn.RANK.EQ({x},{col_range},0)"
            elif kind == 2:
                f = f"=IF({x}>=阈值,权重,ROUND(权重*{x}/阈值,1))"
            elif kind == 3:
                f = f"=MAX(0,权重-0.5*INT(ROUND((1-{x}/满分)*100/5,9)))"
            elif kind == 4:
                f = f'=COUNTIF({col_range},">"&{x})'
            else:
                f = f'=TEXT({x},"0.00")'
            sc.cell(r, j + 1, f)
        sc.cell(r, N_INPUTS + 1, f"=SUM(A{r}:{col_letter(N_INPUTS)}{r})")
    wb.save(path)
    return path


def bench(engine_name: str, path: Path, rows: int, cases: int) -> dict[str, float]:
    """Open the workbook in one engine and time ``cases`` write+recalc+read rounds."""
    engine = get_engine(engine_name)
    ok, why = engine.available()
    if not ok:
        return {"skipped": 1.0, "why": why}  # type: ignore[dict-item]
    rng = random.Random(1)
    with engine:
        t0 = time.perf_counter()
        book = engine.open(path)
        t_open = time.perf_counter() - t0
        recalc, total = [], []
        out_range = f"A2:{col_letter(N_INPUTS + 1)}{rows + 1}"
        for _ in range(cases):
            block = [[round(rng.uniform(0, 100), 3) for _ in range(N_INPUTS)] for _ in range(rows)]
            t1 = time.perf_counter()
            book.write("填报", "B2", block)
            t2 = time.perf_counter()
            book.recalc()
            t3 = time.perf_counter()
            values = book.read("评分", out_range)
            t4 = time.perf_counter()
            assert len(values) == rows
            recalc.append(t3 - t2)
            total.append(t4 - t1)
        n_err = len(book.errors())
    return {
        "open_s": t_open,
        "recalc_ms": statistics.median(recalc) * 1000,
        "case_ms": statistics.median(total) * 1000,
        "errors": float(n_err),
    }


def main() -> None:
    """Parse arguments, build the workbooks and print one line per engine and size."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, nargs="+", default=[10, 200])
    ap.add_argument("--cases", type=int, default=5)
    ap.add_argument("--engines", nargs="+", default=["libreoffice", "formulas", "excel"])
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        print(
            f"{'engine':<12} {'rows':>5} {'cells':>6} {'open s':>8} {'recalc ms':>10} {'case ms':>9} {'errors':>6}"
        )
        for rows in args.rows:
            path = build(Path(tmp) / f"bench_{rows}.xlsx", rows)
            cells = rows * (N_INPUTS + 1)
            for name in args.engines:
                cases = args.cases if (name != "formulas" or rows <= 50) else max(1, min(args.cases, 3))
                res = bench(name, path, rows, cases)
                if "skipped" in res:
                    print(f"{name:<12} {rows:>5} {cells:>6}  unavailable: {res['why']}")
                    continue
                print(
                    f"{name:<12} {rows:>5} {cells:>6} {res['open_s']:>8.2f} {res['recalc_ms']:>10.1f}"
                    f" {res['case_ms']:>9.1f} {int(res['errors']):>6}"
                )


if __name__ == "__main__":
    main()
