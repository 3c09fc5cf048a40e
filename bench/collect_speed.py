"""A round at national scale: distribute 3,000 per-unit workbooks (about China's number of
county-level units) and collect them back into one ranked cohort workbook.

The 3,000-unit spec is 安庆's with ``meta.units`` replaced. The returned files are made from ten
filled files (the ten 安庆 example units typed in and saved by LibreOffice when it is available,
else by openpyxl), each copied under 300 unit names, so they hold what a saved file holds (cached
values, shared strings). Each size collects the first N units' files of the same 3,000-unit round
(the cohort workbook is always 3,000 units; the units not returned are listed as problems), in a
child process, so time, CPU and peak memory are per run: the main process (it builds the cohort
workbook) and the largest worker (it reads the files).

Targets (2-core machine): distribute 3,000 files < 60 s; collect 3,000 files < 60 s, worker memory
flat in the number of files.

    python3 bench/collect_speed.py            # 300, 1,000 and 3,000 files
    python3 bench/collect_speed.py 3000       # one size
"""

from __future__ import annotations

import io
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from xlcalc.cells import Role  # noqa: E402
from xlcalc.inputs import load_inputs  # noqa: E402
from xlcalc.round.distribute import distribute  # noqa: E402
from xlcalc.round.unitbook import UNIT_TOKEN, unit_template  # noqa: E402
from xlcalc.round.zipstamp import Stamp  # noqa: E402
from xlcalc.scorer import Scorer, resolve_params  # noqa: E402
from xlcalc.spec.loader import load_spec  # noqa: E402
from xlcalc.workbook.layout import SHEET_NAMES  # noqa: E402

ANQING = ROOT / "rubric_specs" / "anqing_2023.yaml"
EXAMPLE = ROOT / "examples" / "anqing_2023_units.yaml"
SIZES = (300, 1000, 3000)


def big_spec(folder: Path, n: int) -> Path:
    text = ANQING.read_text(encoding="utf-8")
    start = text.index("  units: [")
    end = text.index("]", start) + 1
    names = ", ".join(f"单位{k + 1:04d}" for k in range(n))
    path = folder / "anqing_big.yaml"
    path.write_text(text[:start] + f"  units: [{names}]" + text[end:], encoding="utf-8")
    return path


def filled_variants(spec_path: Path) -> tuple[list[bytes], str]:
    """Ten filled per-unit files with the unit-name placeholder still in them."""
    spec = load_spec(spec_path)
    template = unit_template(spec, resolve_params(spec))
    blank = template.stamp.copy({})
    scorer = Scorer(spec)
    units = [scorer.normalize(u) for u in load_inputs(EXAMPLE)]
    try:
        return [_fill_libreoffice(blank, template, v) for v in units], "LibreOffice"
    except Exception as exc:  # no office here: openpyxl fills the cells instead
        print(f"(LibreOffice unavailable: {exc}; files filled by openpyxl)")
        return [_fill_openpyxl(blank, template, v) for v in units], "openpyxl"


def _fill_libreoffice(blank: bytes, template, values: dict) -> bytes:
    from xlcalc.engines import get_engine
    from xlcalc.engines.libreoffice import import_uno

    engine = get_engine("libreoffice", shared=True)
    lay = template.compiled.layout
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "u.xlsx"
        src.write_bytes(blank)
        book = engine.open(src)
        try:
            sheet = book.doc.Sheets.getByName(SHEET_NAMES[Role.INPUT])
            for cell in lay.role_cells[Role.INPUT]:
                v = values.get(cell.id)
                if v is not None:
                    sheet.getCellRangeByName(lay.address(cell.id, 0)).setFormula(_typed(v))
            for li in lay.graph.lists:
                items = book.doc.Sheets.getByName(lay.list_range(li.id, 0)[0])
                for k, item in enumerate(values.get(li.id) or []):
                    items.getCellByPosition(1 + k, 3).setFormula(_typed(item))
            book.recalc()
            uno = import_uno()
            prop = uno.createUnoStruct("com.sun.star.beans.PropertyValue")
            prop.Name, prop.Value = "FilterName", "Calc MS Excel 2007 XML"
            out = Path(tmp) / "saved.xlsx"
            book.doc.storeToURL(out.resolve().as_uri(), (prop,))
        finally:
            book.close()
        return out.read_bytes()


def _fill_openpyxl(blank: bytes, template, values: dict) -> bytes:
    import openpyxl

    lay = template.compiled.layout
    wb = openpyxl.load_workbook(io.BytesIO(blank))
    for cell in lay.role_cells[Role.INPUT]:
        wb[SHEET_NAMES[Role.INPUT]].cell(*lay.row_col(cell.id, 0)).value = values.get(cell.id)
    for li in lay.graph.lists:
        ws = wb[lay.list_range(li.id, 0)[0]]
        for k, item in enumerate(values.get(li.id) or []):
            ws.cell(row=4, column=2 + k).value = item
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _typed(v: object) -> str:
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else repr(v)
    return str(v)


def returned_files(variants: list[bytes], names: list[str], folder: Path) -> None:
    stamps = [Stamp(v) for v in variants]
    for k, name in enumerate(names):
        stamp = stamps[k % len(stamps)]
        token = UNIT_TOKEN.encode()
        parts = {p: body.replace(token, name.encode()) for p, body in stamp.texts.items() if token in body}
        (folder / f"{name}.xlsx").write_bytes(stamp.copy(parts))


def child(spec_path: str, folder: str, out: str) -> None:
    """One collect, timed; prints JSON with time and peak RSS of this process and of its workers."""
    from xlcalc.round.collect import collect

    spec = load_spec(spec_path)
    t0 = time.perf_counter()
    coll = collect(spec, [folder], out=Path(out), progress=False)
    seconds = time.perf_counter() - t0
    own, workers = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    print(
        json.dumps(
            {
                "seconds": seconds,
                "files": len(coll.files),
                "problems": len(coll.problems),
                "main_mb": own.ru_maxrss / 1024,
                "worker_mb": workers.ru_maxrss / 1024,
                "main_cpu": own.ru_utime + own.ru_stime,
                "worker_cpu": workers.ru_utime + workers.ru_stime,
                "complete": sum(r.complete for r in coll.results),
            }
        )
    )


def main(sizes: tuple[int, ...]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        spec_path = big_spec(tmp_path, max(sizes))
        spec = load_spec(spec_path)
        t0 = time.perf_counter()
        cpu0 = time.process_time()
        paths = distribute(spec, tmp_path / "发出", progress=False)
        t_dist, cpu_dist = time.perf_counter() - t0, time.process_time() - cpu0
        size_mb = sum(p.stat().st_size for p in paths) / 1e6
        print(
            f"distribute {len(paths):,} files: {t_dist:.1f} s wall, {cpu_dist:.1f} s CPU ({size_mb:.0f} MB written)"
        )

        variants, how = filled_variants(spec_path)
        print(f"returned files: 10 variants filled and saved by {how}, {len(variants[0]) / 1e3:.0f} kB each")
        units = list(spec.meta.units)
        for n in sizes:
            folder = tmp_path / f"收回{n}"
            folder.mkdir()
            returned_files(variants, units[:n], folder)
            run = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--child",
                    str(spec_path),
                    str(folder),
                    str(tmp_path / f"汇总{n}.xlsx"),
                ],
                capture_output=True,
                text=True,
                check=True,
            )
            r = json.loads(run.stdout.strip().splitlines()[-1])
            print(
                f"collect {r['files']:,} of {len(units):,} files: {r['seconds']:.1f} s wall "
                f"({r['seconds'] / r['files'] * 1000:.1f} ms/file), CPU main {r['main_cpu']:.1f} s + workers "
                f"{r['worker_cpu']:.1f} s; peak RSS main {r['main_mb']:.0f} MB, largest worker {r['worker_mb']:.0f} MB; "
                f"{r['problems']:,} problems (units not returned), {r['complete']:,} units complete"
            )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(*sys.argv[2:5])
    else:
        main(tuple(int(a) for a in sys.argv[1:]) or SIZES)
