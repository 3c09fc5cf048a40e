"""``xlcalc distribute SPEC [--units …] [--param …] --out DIR``: one workbook per unit of a round.

Each file holds only its unit's row, the evaluator's parameter values and the round's identity
(:mod:`xlcalc.round.identity`); ranking items read 待汇总 (:mod:`xlcalc.round.unitbook`). Files are
named after the unit, made safe for Windows, and written only inside ``--out``.
"""

from __future__ import annotations

import argparse
import re
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from xlcalc.errors import XlcalcError
from xlcalc.inputs import param_pairs
from xlcalc.paths import inside
from xlcalc.round.unitbook import UnitTemplate, unit_template
from xlcalc.scorer import resolve_params
from xlcalc.spec.loader import load_spec
from xlcalc.spec.model import Spec
from xlcalc.verify.progress import progress_bar

_FORBIDDEN = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')
_RESERVED = {"CON", "PRN", "AUX", "NUL"} | {f"{p}{k}" for p in ("COM", "LPT") for k in range(1, 10)}
_MAX_STEM = 100  # characters; Windows paths stop at 260 in all


def safe_stem(name: str) -> str:
    """A file name stem from a unit's name that Windows, macOS and Linux all accept."""
    stem = _FORBIDDEN.sub("_", name).strip().rstrip(". ")[:_MAX_STEM].rstrip(". ")
    if not stem:
        stem = "单位"
    if stem.split(".")[0].upper() in _RESERVED:
        stem = "_" + stem
    return stem


def file_names(units: Sequence[str]) -> dict[str, str]:
    """Unit → file name; names equal after cleaning (or by case, on Windows) get （2）, （3）…"""
    out: dict[str, str] = {}
    taken: set[str] = set()
    for unit in units:
        stem = safe_stem(unit)
        name, k = f"{stem}.xlsx", 2
        while name.casefold() in taken:
            name, k = f"{stem}（{k}）.xlsx", k + 1
        taken.add(name.casefold())
        out[unit] = name
    return out


def pick_units(spec: Spec, wanted: Sequence[str] | None) -> list[str]:
    """The units to distribute: all of ``meta.units``, or those named (each must be one of them)."""
    if not wanted:
        return list(spec.meta.units)
    known = set(spec.meta.units)
    unknown = [u for u in wanted if u not in known]
    if unknown:
        raise XlcalcError(
            f"--units：“{'、'.join(unknown)}”不在评分标准的单位名单中（{'、'.join(spec.meta.units)}）"
        )
    return list(dict.fromkeys(wanted))


def distribute(
    spec: Spec,
    out: Path,
    units: Sequence[str] | None = None,
    params: dict[str, Any] | None = None,
    progress: bool | None = None,
) -> list[Path]:
    """Write one workbook per unit into ``out``; returns the paths in unit order."""
    names = file_names(pick_units(spec, units))
    template = unit_template(spec, resolve_params(spec, params))
    out.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    with progress_bar(
        "分发", len(names), "个文件", enabled=progress if len(names) > 50 else False
    ) as advance:
        for unit, name in names.items():
            paths.append(_write(template, unit, inside(out, name)))
            advance(1)
    return paths


def _write(template: UnitTemplate, unit: str, path: Path) -> Path:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(template.package(unit))
    tmp.replace(path)  # a half-written file never replaces a good one
    return path


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("distribute", help="write one workbook per unit of a ranked rubric (a round)")
    p.add_argument("spec")
    p.add_argument("--units", nargs="+", metavar="UNIT", help="only these units (default: meta.units)")
    p.add_argument("--param", action="append", default=[], metavar="NAME=VALUE")
    p.add_argument("--out", required=True, help="directory for the per-unit workbooks")
    p.set_defaults(func=cmd_distribute)


def cmd_distribute(args: argparse.Namespace) -> int:
    spec = load_spec(args.spec)
    start = time.perf_counter()
    paths = distribute(spec, Path(args.out), args.units, param_pairs(args.param))
    print(
        f"已为{len(paths)}个单位生成填报文件，保存在 {Path(args.out)}（{time.perf_counter() - start:.1f}秒）"
    )
    for path in paths[:20]:
        print(f"  {path.name}")
    if len(paths) > 20:
        print(f"  …另有{len(paths) - 20}个")
    return 0
