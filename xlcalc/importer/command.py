"""``xlcalc import FILE… [--profile P] [--out DIR]``: every 自评表 in the files becomes a compact
spec and an inputs file; what could not be read is listed with its location."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from pathlib import Path

from xlcalc.errors import InputError
from xlcalc.importer.docx import read_docx
from xlcalc.importer.form import read_form
from xlcalc.importer.grid import Grid
from xlcalc.importer.text import read_text
from xlcalc.importer.writer import Imported, build, spec_id_for
from xlcalc.importer.xlsx import read_xlsx
from xlcalc.paths import inside
from xlcalc.selfeval.profiles import PROFILES

SUFFIXES = (".txt", ".tsv", ".xlsx", ".docx")


def read_grids(path: Path) -> list[Grid]:
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        return read_xlsx(path)
    if suffix == ".docx":
        return read_docx(path)
    if suffix in (".txt", ".tsv"):
        return read_text(path)
    raise InputError(f"{path}：不支持的文件类型“{path.suffix}”，可导入 .txt、.xlsx、.docx")


def import_file(path: Path, profile: str | None = None) -> Iterator[Imported]:
    """The tables of one file, read and converted one at a time (memory flat in their number)."""
    grids = [g for g in read_grids(path) if any("一级指标" in c.text for r in g.rows for c in r)]
    if not grids:
        raise InputError(f"{path}：未找到自评表（没有“一级指标”表头）")
    for k, grid in enumerate(grids):
        yield build(read_form(grid), spec_id_for(path.stem, k, len(grids)), profile)


def expand_paths(items: list[str]) -> list[Path]:
    out: list[Path] = []
    for item in items:
        p = Path(item)
        if p.is_dir():
            out += sorted(x for x in p.iterdir() if x.suffix.lower() in SUFFIXES and x.is_file())
        else:
            out.append(p)
    return out


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("import", help="read filled 自评表 (.txt/.xlsx/.docx) into compact specs and inputs")
    p.add_argument("files", nargs="+", help="files or folders")
    p.add_argument(
        "--profile", choices=sorted(PROFILES), default=None, help="rule profile (default: detected)"
    )
    p.add_argument("--out", default=".", help="output folder (default: current)")
    p.set_defaults(func=cmd_import)


def cmd_import(args: argparse.Namespace) -> int:
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    status = 0
    for path in expand_paths(args.files):
        for imp in import_file(path, args.profile):
            spec_path = inside(out, f"{imp.spec_id}.yaml")
            inputs_path = inside(out, f"{imp.spec_id}_inputs.yaml")
            spec_path.write_text(imp.spec, encoding="utf-8")
            inputs_path.write_text(imp.inputs, encoding="utf-8")
            sys.stdout.write(f"{spec_path}  {inputs_path}\n")
            for p in imp.problems:
                sys.stdout.write(f"  未读取：{p}\n")
            for f in imp.findings:
                sys.stdout.write(f"  提示：{f}\n")
            status = max(status, 1 if imp.problems else 0)
    return status
