"""Run cases through an engine and the reference scorer and compare every computed cell.

Per case: inputs and parameters are written in a few rectangular blocks, the engine recalculates
once, every computed sheet is read back in one rectangle per sheet, and each cell is compared with
the value the reference scorer computed for it. A mismatch names sheet, cell, formula, unit,
inputs and both values, and the failing case is written to a file that reproduces it.
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from multiprocessing.util import Finalize
from pathlib import Path
from typing import Any

from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string
from ruamel.yaml import YAML

from xlcalc.cells import Role
from xlcalc.engines import Book, get_engine
from xlcalc.paths import inside
from xlcalc.pygen import compile_expressions
from xlcalc.scorer import UnitInputs, resolve_params
from xlcalc.verify.cases import Case
from xlcalc.verify.compare import REL_TOL, Mismatch, same_value  # noqa: F401  (re-exported)
from xlcalc.verify.progress import rate_text
from xlcalc.verify.target import Target
from xlcalc.verify.views import Views
from xlcalc.workbook.layout import FIRST_ROW, FORM_VALUE_COL, PARAM_SHEET, SHEET_NAMES, UNIT_COL

COMPARED_ROLES = (Role.DERIVED, Role.SCORE, Role.EXPLAIN, Role.RANK)


@dataclass
class EngineRun:
    engine: str
    target: str
    cases: int = 0
    unit_cases: int = 0
    cells_compared: int = 0
    seconds: float = 0.0
    engine_seconds: float = 0.0
    mismatches: list[Mismatch] = field(default_factory=list)
    failing_cases: list[Path] = field(default_factory=list)
    skipped: str = ""

    @property
    def ok(self) -> bool:
        return not self.mismatches and not self.skipped

    def summary(self) -> str:
        if self.skipped:
            return f"{self.target} [{self.engine}]: 跳过：{self.skipped}"
        verdict = "一致" if not self.mismatches else f"{len(self.mismatches)}处不一致"
        return (
            f"{self.target} [{self.engine}]: {self.cases}例（{self.unit_cases}单位例），比较{self.cells_compared}个单元格，"
            f"{verdict}；{self.seconds:.1f}秒，{rate_text(self.unit_cases, self.seconds)}（引擎重算占{self.engine_seconds:.1f}秒）"
        )


class Runner:
    """Drives one engine Book over a stream of cases for one target."""

    def __init__(
        self, target: Target, book: Book, engine: str, failure_dir: Path, max_reported: int = 20
    ) -> None:
        self.t = target
        self.book = book
        self.engine = engine
        self.failure_dir = failure_dir
        self.max_reported = max_reported
        self.layout = target.layout
        self.n = target.layout.n_units
        self.form_runs = vertical_runs(target.layout.input_positions)
        self.param_runs = vertical_runs({name: (row, 2) for name, row in target.param_rows.items()})
        # Display sheets (审核) repeat graph cells through expressions: compared as "#sheet!A1".
        shown = target.layout.display_cells
        self.display_keys = [f"#{sheet}!{addr}" for sheet, addr, _ in shown]
        self.show = compile_expressions([e for _, _, e in shown]) if shown else None
        # Cohort views (单位评分表, 排名): computed from all units' reference values, also "#sheet!A1".
        self.views = Views(target.layout, target.units)
        self.display_blocks = _display_blocks(
            [(sheet, addr) for sheet, addr, _ in shown] + self.views.addresses
        )

    # ---- writing -----------------------------------------------------------------------
    def write_case(self, rows: list[dict[str, Any]], params: dict[str, Any]) -> None:
        lay = self.layout
        inputs = lay.role_cells[Role.INPUT]
        sheet = SHEET_NAMES[Role.INPUT]
        if inputs:
            if lay.ranked:
                block = [[rows[u].get(c.id) for c in inputs] for u in range(self.n)]
                self.book.write(sheet, f"{get_column_letter(UNIT_COL + 1)}{FIRST_ROW}", block)
            elif lay.input_positions:  # the national form: one write per run of input cells
                for top_left, ids in self.form_runs:
                    self.book.write(sheet, top_left, [[rows[0].get(i)] for i in ids])
            else:
                block = [[rows[0].get(c.id)] for c in inputs]
                self.book.write(sheet, f"{get_column_letter(FORM_VALUE_COL)}{FIRST_ROW}", block)
        for li in lay.graph.lists:
            name = lay.list_sheets[li.id]
            if lay.ranked:
                block = [_pad(rows[u].get(li.id) or [], li.capacity) for u in range(self.n)]
            else:
                block = [[v] for v in _pad(rows[0].get(li.id) or [], li.capacity)]
            self.book.write(name, f"B{FIRST_ROW}", block)
        if self.views.pickers:
            self.views.write(self.book)
        for top_left, names in self.param_runs:
            self.book.write_protected(PARAM_SHEET, top_left, [[params[name]] for name in names])

    # ---- reading -----------------------------------------------------------------------
    def unit_name_sheets(self) -> list[str]:
        """Sheets whose column A repeats the unit names of 填报 by formula (ranked layouts)."""
        if not self.layout.ranked:
            return []
        lists = list(self.layout.list_sheets.values())
        return lists + [SHEET_NAMES[r] for r in COMPARED_ROLES if self.layout.role_cells[r]]

    def read_outputs(self) -> dict[str, list[Any]]:
        """Every computed cell's value per unit, keyed by cell id (unit-name cells as "@sheet")."""
        lay = self.layout
        out: dict[str, list[Any]] = {}
        for sheet in self.unit_name_sheets():
            block = self.book.read(sheet, f"A{FIRST_ROW}:A{FIRST_ROW + self.n - 1}")
            out["@" + sheet] = [row[0] for row in block]
        for role in COMPARED_ROLES:
            cells = lay.role_cells[role]
            if not cells:
                continue
            first = lay.address(cells[0].id, 0)
            last = lay.address(cells[-1].id, self.n - 1)
            block = self.book.read(SHEET_NAMES[role], f"{first}:{last}")
            for k, c in enumerate(cells):
                if lay.ranked:
                    out[c.id] = [block[u][k] for u in range(self.n)]
                else:
                    out[c.id] = [block[k][0]]
        for sheet, (r1, c1, r2, c2), members in self.display_blocks:
            block = self.book.read(sheet, f"{get_column_letter(c1)}{r1}:{get_column_letter(c2)}{r2}")
            for key, (r, c) in members:
                out[key] = [block[r - r1][c - c1]]
        return out

    # ---- one case ----------------------------------------------------------------------
    def expect(self, case: Case) -> tuple[list[dict[str, Any]], dict[str, Any], list[dict[str, Any]]]:
        """Normalised unit rows, parameters and the reference scorer's value of every cell."""
        names = self.t.units
        units = [UnitInputs(names[u], case.units[u]) for u in range(self.n)]
        rows = [self.t.scorer.normalize(u, keep_invalid=True) for u in units]
        params = resolve_params(self.t.spec, case.params)
        expected = self.t.scorer.evaluate(rows, params)
        for u in range(self.n):
            for sheet in self.unit_name_sheets():
                expected[u]["@" + sheet] = names[u]
        if self.show is not None:
            expected[0].update(zip(self.display_keys, self.show(expected[0], params), strict=True))
        if self.views.cells:
            self.views.next_case()
            self.views.expect(expected)
        return rows, params, expected

    def run_case(self, case: Case, run: EngineRun, index: int) -> None:
        rows, params, expected = self.expect(case)
        t0 = time.perf_counter()
        self.write_case(rows, params)
        self.book.recalc()
        actual = self.read_outputs()
        run.engine_seconds += time.perf_counter() - t0
        self.compare(case, expected, actual, run, index)

    def compare(
        self,
        case: Case,
        expected: list[dict[str, Any]],
        actual: dict[str, list[Any]],
        run: EngineRun,
        index: int,
    ) -> None:
        """Compare every computed cell with the reference; record mismatches and the failing case."""
        names = self.t.units
        found = 0
        for cell_id, values in actual.items():
            for u in range(len(values)):  # one value for a display or view cell ("#sheet!A1")
                run.cells_compared += 1
                exp = expected[u][cell_id]
                if same_value(exp, values[u]):
                    continue
                found += 1
                if len(run.mismatches) < self.max_reported:
                    if cell_id.startswith("@"):
                        sheet, addr = cell_id[1:], f"A{FIRST_ROW + u}"
                    elif cell_id.startswith("#"):
                        sheet, addr = cell_id[1:].rsplit("!", 1)
                    else:
                        sheet, addr = self.layout.sheet_of(cell_id), self.layout.address(cell_id, u)
                    run.mismatches.append(
                        Mismatch(
                            sheet,
                            addr,
                            cell_id,
                            names[u],
                            self.t.formulas.get((sheet, addr), ""),
                            exp,
                            values[u],
                            case.label or f"第{index}例",
                            dict(case.units[u]),
                        )
                    )
        if found:
            run.failing_cases.append(self.save_case(case, index))
        run.cases += 1
        run.unit_cases += self.n

    def save_case(self, case: Case, index: int) -> Path:
        """A YAML inputs file that ``xlcalc score`` accepts, reproducing the failing case."""
        self.failure_dir.mkdir(parents=True, exist_ok=True)
        path = inside(self.failure_dir, f"{self.t.name}-{self.engine}-case{index}.yaml")
        percent = frozenset(i.id for i in self.t.spec.inputs if i.is_percent)
        doc = {
            "units": [
                {"unit": self.t.units[u], "inputs": _plain(case.units[u], percent)} for u in range(self.n)
            ],
        }
        yaml = YAML()
        yaml.allow_unicode = True
        with path.open("w", encoding="utf-8") as fh:
            fh.write(f"# 复现：xlcalc score {self.t.spec.file} --inputs {path}")
            for k, v in case.params.items():
                fh.write(f" --param {k}={v}")
            fh.write("\n")
            yaml.dump(doc, fh)
        return path


def run_engine(
    target: Target,
    book: Book,
    engine: str,
    cases: Iterable[Case],
    failure_dir: Path,
    progress: Callable[[int], None] | None = None,
) -> EngineRun:
    """Run every case through one open book; ``progress(units)`` is called after each case."""
    run = EngineRun(engine, target.name)
    runner = Runner(target, book, engine, failure_dir)
    start = time.perf_counter()
    for k, case in enumerate(cases):
        runner.run_case(case, run, k)
        if progress is not None:
            progress(runner.n)
    run.seconds = time.perf_counter() - start
    return run


def run_engine_batched(
    target: Target,
    books: list[Book],
    engine: str,
    cases: Iterable[Case],
    failure_dir: Path,
    progress: Callable[[int], None] | None = None,
) -> EngineRun:
    """Cases in groups of ``len(books)``: each written into its own book, one recalculation for the
    group (``books[0].recalc()`` recalculates the batch, as the Gnumeric engine's books do), then
    every book read back and compared."""
    run = EngineRun(engine, target.name)
    runners = [Runner(target, b, engine, failure_dir) for b in books]
    start = time.perf_counter()
    numbered = list(enumerate(cases))
    for g in range(0, len(numbered), len(books)):
        group = numbered[g : g + len(books)]
        prepared = []
        t0 = time.perf_counter()
        for runner, (k, case) in zip(runners, group, strict=False):
            rows, params, expected = runner.expect(case)
            runner.write_case(rows, params)
            prepared.append((runner, k, case, expected))
        books[0].recalc()
        actual = [(r, k, case, exp, r.read_outputs()) for r, k, case, exp in prepared]
        run.engine_seconds += time.perf_counter() - t0
        for runner, k, case, exp, act in actual:
            runner.compare(case, exp, act, run, k)
            if progress is not None:
                progress(runner.n)
    run.seconds = time.perf_counter() - start
    return run


# ---- several worker processes (fork): each opens its own book and takes batches of cases ----------
_WORKER: dict[str, Any] = {}
BATCH = 20


def _worker_init(target: Target, engine: str, options: dict[str, Any], failure_dir: Path) -> None:

    eng = get_engine(engine, **options)
    book = eng.open(target.path)
    Finalize(book, book.close, exitpriority=10)  # runs when the pool shuts the worker down
    _WORKER.update(runner=Runner(target, book, engine, failure_dir), target=target, engine=engine)


def _worker_batch(batch: list[tuple[int, Case]]) -> EngineRun:
    run = EngineRun(_WORKER["engine"], _WORKER["target"].name)
    for k, case in batch:
        _WORKER["runner"].run_case(case, run, k)
    return run


def run_engine_parallel(
    target: Target,
    engine: str,
    cases: Iterable[Case],
    failure_dir: Path,
    workers: int = 2,
    options: dict[str, Any] | None = None,
    progress: Callable[[int], None] | None = None,
) -> EngineRun:
    """Like :func:`run_engine`, with ``workers`` processes sharing the cases (each opens the workbook).

    Cases are generated here, so the set of cases and their numbering do not depend on ``workers``.
    """

    numbered = list(enumerate(cases))
    if workers <= 1 or len(numbered) < 2 * BATCH:
        book = get_engine(engine, **(options or {})).open(target.path)
        try:
            return run_engine(target, book, engine, (c for _, c in numbered), failure_dir, progress)
        finally:
            book.close()
    batches = [numbered[i : i + BATCH] for i in range(0, len(numbered), BATCH)]
    run = EngineRun(engine, target.name)
    start = time.perf_counter()
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(workers, _worker_init, (target, engine, options or {}, failure_dir)) as pool:
        for part in pool.imap_unordered(_worker_batch, batches):
            run.cases += part.cases
            run.unit_cases += part.unit_cases
            run.cells_compared += part.cells_compared
            run.engine_seconds += part.engine_seconds
            run.mismatches.extend(part.mismatches[: max(0, 20 - len(run.mismatches))])
            run.failing_cases.extend(part.failing_cases)
            if progress is not None:
                progress(part.unit_cases)
        pool.close()
        pool.join()
    run.seconds = time.perf_counter() - start
    return run


def _display_blocks(
    cells: list[tuple[str, str]],
) -> list[tuple[str, tuple[int, int, int, int], list[tuple[str, tuple[int, int]]]]]:
    """Display cells grouped by sheet with the rectangle read for them in one call each."""
    by_sheet: dict[str, list[tuple[str, tuple[int, int]]]] = {}
    for sheet, addr in cells:
        col, row = coordinate_from_string(addr)
        by_sheet.setdefault(sheet, []).append((f"#{sheet}!{addr}", (row, column_index_from_string(col))))
    out = []
    for sheet, members in by_sheet.items():
        rows = [rc[0] for _, rc in members]
        cols = [rc[1] for _, rc in members]
        out.append((sheet, (min(rows), min(cols), max(rows), max(cols)), members))
    return out


def vertical_runs(positions: dict[str, tuple[int, int]]) -> list[tuple[str, list[str]]]:
    """Scattered cells (the national form's inputs, the parameters) as vertical runs of adjacent
    cells, so that a case costs one engine write per run (a write is ~1 ms in LibreOffice; a form
    has ~50 inputs in ~6 runs). A run never spans a formula or label between two of the cells."""
    runs: list[tuple[str, list[str]]] = []
    last: tuple[int, int] | None = None
    for cell_id, (row, col) in sorted(positions.items(), key=lambda item: (item[1][1], item[1][0])):
        if runs and last == (row - 1, col):
            runs[-1][1].append(cell_id)
        else:
            runs.append((f"{get_column_letter(col)}{row}", [cell_id]))
        last = (row, col)
    return runs


def _pad(items: list[Any], n: int) -> list[Any]:
    return list(items)[:n] + [None] * (n - len(items))


def _plain(values: dict[str, Any], percent: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Values as an inputs file writes them: whole numbers as integers, percent inputs as "12.34%"
    (a bare number above 1 in a percent input is refused when the file is read back)."""
    out = {}
    for k, v in values.items():
        if k in percent and isinstance(v, float):
            out[k] = f"{Decimal(repr(v)) * 100}%"
        elif isinstance(v, float) and v.is_integer():
            out[k] = int(v)
        elif isinstance(v, list):
            out[k] = [int(x) if isinstance(x, float) and x.is_integer() else x for x in v]
        else:
            out[k] = v
    return out


# The verifier's name for the comparison (tests and older callers).
same = same_value
