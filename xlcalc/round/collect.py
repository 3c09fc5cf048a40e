"""``xlcalc collect SPEC FILES_OR_DIRS… --out COHORT.xlsx [--strict] [--json OUT]``: the returned
files of a round checked, merged and ranked.

Files are read by two worker processes (each file through the bounded reader, at the cells the
spec names; nothing is ever written to them) while this process builds the cohort workbook. Exit
status: 0 clean, 1 problems, 2 a file could not be read or the command could not run. With
``--strict`` any problem refuses the whole collection: nothing is written.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xlcalc.errors import XlcalcError
from xlcalc.paths import inside
from xlcalc.round.cohortbook import build_cohort
from xlcalc.round.merge import Merged, merge
from xlcalc.round.returned import FileResult, Problem, read_returned
from xlcalc.round.unitbook import UnitTemplate, unit_template
from xlcalc.scorer import Scorer, UnitInputs, UnitResult, resolve_params
from xlcalc.spec.model import Spec
from xlcalc.verify.progress import progress_bar

_BATCH = 25  # files per task: few enough round trips, small enough for a smooth progress bar
_template: UnitTemplate | None = None  # set before the workers fork


@dataclass
class Collection:
    spec: Spec
    params: dict[str, Any]
    template: UnitTemplate
    files: list[FileResult]
    merged: Merged
    results: list[UnitResult] = field(default_factory=list)  # meta.units order
    ranks: dict[str, int] = field(default_factory=dict)

    @property
    def problems(self) -> list[Problem]:
        return [p for f in self.files for p in f.problems] + self.merged.problems

    @property
    def status(self) -> int:
        if any(f.unreadable for f in self.files):
            return 2
        return 1 if self.problems else 0


def gather(items: Sequence[str], outputs: Sequence[Path] = ()) -> list[Path]:
    """Files named, and every file in the directories named (recursively; hidden files, Excel lock
    files ~$… and this run's own outputs skipped). A file given twice counts once."""
    seen: set[Path] = set()
    files: list[Path] = []
    skip = {p.resolve() for p in outputs}

    def add(p: Path) -> None:
        key = p.resolve()
        if key not in seen and key not in skip:
            seen.add(key)
            files.append(p)

    for item in items:
        path = Path(item)
        if path.is_dir():
            for p in sorted(path.rglob("*")):
                if p.is_file() and not p.name.startswith((".", "~$")) and not p.name.endswith(".tmp"):
                    add(p)
        elif path.exists():
            add(path)
        else:
            raise XlcalcError(f"{item}：文件或目录不存在")
    return files


def _read_one(path: str) -> FileResult:
    assert _template is not None
    try:
        return read_returned(Path(path), _template)
    except Exception as exc:  # a bug must cost one file, never the collection
        return FileResult(
            path, "unreadable", problems=[Problem(path, "", "", f"无法读取（{type(exc).__name__}）")]
        )


def _read_batch(paths: list[str]) -> list[FileResult]:
    return [_read_one(p) for p in paths]


def read_all(
    paths: Sequence[Path],
    template: UnitTemplate,
    jobs: int,
    advance: Callable[[int], None],
    meanwhile: Callable[[], Any] | None = None,
) -> tuple[list[FileResult], Any]:
    """Every file read and checked, in order; ``meanwhile`` runs in a thread of this process."""
    global _template
    _template = template
    names = [str(p) for p in paths]
    batches = [names[k : k + _BATCH] for k in range(0, len(names), _BATCH)]
    results: list[FileResult] = []
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = meanwhile() if meanwhile else None
        except BaseException as exc:  # re-raised in the caller's thread
            box["error"] = exc

    if jobs <= 1 or len(batches) <= 1:
        run()
        for batch in batches:
            results += _read_batch(batch)
            advance(len(batch))
    else:
        ctx = multiprocessing.get_context("fork")  # workers inherit the template, built once
        with ProcessPoolExecutor(jobs, mp_context=ctx) as pool:
            futures = [pool.submit(_read_batch, b) for b in batches]  # forks every worker now
            thread = threading.Thread(target=run)
            thread.start()
            for fut, batch in zip(futures, batches, strict=True):
                results += fut.result()
                advance(len(batch))
            thread.join()
    if "error" in box:
        raise box["error"]
    return results, box.get("value")


def collect(
    spec: Spec,
    items: Sequence[str],
    params: dict[str, Any] | None = None,
    out: Path | None = None,
    strict: bool = False,
    jobs: int = 2,
    progress: bool | None = None,
    json_out: Path | None = None,
) -> Collection:
    """Read, check and merge the returned files; write the cohort workbook to ``out`` (unless
    ``strict`` and there are problems). ``json_out`` is only kept out of the files read."""
    resolved = resolve_params(spec, params)
    template = unit_template(spec, resolved)
    paths = gather(items, [p for p in (out, json_out) if p is not None])
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out = inside(out.parent, out.name)
    build = (lambda: build_cohort(spec, resolved)) if out is not None else None
    with progress_bar(
        "汇总", len(paths), "个文件", enabled=progress if len(paths) > 50 else False
    ) as advance:
        files, cohort = read_all(paths, template, min(jobs, os.cpu_count() or 1), advance, build)
    merged = merge(spec, files)
    coll = Collection(spec, resolved, template, files, merged)
    _score(coll)
    if out is not None and not (strict and coll.problems):
        cohort.write(merged.values, coll.problems, out)
    return coll


def _score(coll: Collection) -> None:
    """Reference scores of the cohort as merged (blank values 待填), ranked as the 排名 sheet ranks."""
    spec = coll.spec
    units = [UnitInputs(u, coll.merged.values.get(u, {})) for u in spec.meta.units]
    coll.results = Scorer(spec, explain=False).score(units, coll.params)
    totals = [r.total for r in coll.results if isinstance(r.total, int | float)]
    for r in coll.results:
        if isinstance(r.total, int | float):
            coll.ranks[r.unit] = 1 + sum(1 for t in totals if t > r.total)


def ranked(coll: Collection) -> list[UnitResult]:
    """Results sorted as 汇总 sorts them: by rank, ties in cohort order, unranked last."""
    order = {u: k for k, u in enumerate(coll.spec.meta.units)}
    return sorted(coll.results, key=lambda r: (coll.ranks.get(r.unit, 10**9), order[r.unit]))
