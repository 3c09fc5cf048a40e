"""Time and peak memory of ``xlcalc check`` (and of ``xlcalc import``'s .xlsx reader, with
``--import``) on each hostile file of the attacker study, against the clean template as reference.

Each file is checked in a fresh child process (so peak RSS is that file's alone) with an address-space
limit of 2 GB: a file that would need more fails instead of taking the machine down.

    python3 bench/hostile_files.py [SPEC_ID] [--import]     # default anqing_2023
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import hostile  # noqa: E402

from xlcalc.spec.loader import load_spec  # noqa: E402
from xlcalc.workbook.build import build_workbook, write_workbook  # noqa: E402

CHILD = """
import json, resource, sys, time
sys.path.insert(0, {root!r})
t = time.perf_counter()
from xlcalc.check import check_workbook
from xlcalc.errors import XlcalcError
from xlcalc.spec.loader import load_spec
spec = load_spec({spec!r})
t0 = time.perf_counter()
try:
    r = check_workbook({path!r}, spec)
    out = "发现问题" if not r.ok else "通过"
    first = next((x for _, items in r.sections() for x in items), "")
except XlcalcError as exc:
    out, first = "错误", str(exc).split("：", 1)[-1]
print(json.dumps({{"seconds": time.perf_counter() - t0, "outcome": out, "first": first[:70],
                   "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


IMPORT_CHILD = """
import json, resource, sys, time
sys.path.insert(0, {root!r})
from pathlib import Path
from xlcalc.errors import XlcalcError
from xlcalc.importer.xlsx import read_xlsx
t0 = time.perf_counter()
try:
    grids = read_xlsx(Path({path!r}))
    out, first = "读取", f"{{len(grids)}}个表格"
except XlcalcError as exc:
    out, first = "错误", str(exc).split("：", 1)[-1]
print(json.dumps({{"seconds": time.perf_counter() - t0, "outcome": out, "first": first[:70],
                   "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def _limit() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))


def measure(path: Path, spec: Path, child: str = CHILD) -> dict:
    code = child.format(root=str(ROOT), spec=str(spec), path=str(path))
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, preexec_fn=_limit, cwd=ROOT, timeout=600
    )
    if proc.returncode != 0:
        return {"seconds": float("nan"), "outcome": "崩溃", "first": proc.stderr.strip()[-70:], "rss_mb": 0}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    args = [a for a in sys.argv[1:] if a != "--import"]
    child = IMPORT_CHILD if "--import" in sys.argv else CHILD
    spec_id = args[0] if args else "anqing_2023"
    spec_path = ROOT / "rubric_specs" / f"{spec_id}.yaml"
    with tempfile.TemporaryDirectory(prefix="xlcalc-hostile-") as d:
        base = write_workbook(build_workbook(load_spec(spec_path)), Path(d) / "clean.xlsx")
        data = base.read_bytes()
        files = {"clean template": base}
        builders = {name: build for name, (build, _, _) in hostile.CASES.items()}
        builders["cell_flood (16 MB)"] = hostile.cell_flood
        for name, build in builders.items():
            p = Path(d) / f"{name.split()[0]}.xlsx"
            p.write_bytes(build(data))
            files[name] = p
        what = "import s" if child is IMPORT_CHILD else "check s"
        print(f"{'file':18s} {'bytes':>9s} {what:>8s} {'peak RSS MB':>11s}  result")
        for name, p in files.items():
            m = measure(p, spec_path, child)
            size = p.stat().st_size
            print(
                f"{name:18s} {size:9d} {m['seconds']:8.2f} {m['rss_mb']:11.0f}  {m['outcome']}：{m['first']}"
            )


if __name__ == "__main__":
    t = time.perf_counter()
    main()
    print(f"total {time.perf_counter() - t:.1f} s")
