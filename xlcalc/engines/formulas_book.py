"""A workbook compiled by ``formulas``: its node names look like ``'[book.xlsx]SHEETNAME'!B2`` (sheet
upper-cased); the book hides them behind sheet/A1 addressing and recalculates with one dispatch
per write batch (or the straight-line :class:`~xlcalc.engines.formulas_fast.FastPlan`)."""

from __future__ import annotations

import contextlib
import gc
import logging
import re
import shutil
import tempfile
import weakref
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl

from .base import (
    Book,
    CellRange,
    EngineError,
    ErrorValue,
    cell_name,
    normalize_rows,
    parse_cell,
    parse_range,
)
from .formulas_corrections import corrected_formulas, quiet_formulas
from .formulas_fast import Fallback, FastPlan, Unsupported

log = logging.getLogger("xlcalc.engines.formulas_engine")

_NODE_RE = re.compile(r"^'\[(?P<file>[^\]]+)\](?P<sheet>.*)'!(?P<ref>[A-Z$0-9:]+)$")


class FormulasBook(Book):
    """A workbook compiled by ``formulas``.

    Writes are kept as model inputs and evaluated in one dispatch on the next read/recalc.
    Writing a cell that the model does not know but that lies inside a range some formula
    uses (e.g. below the last filled row of ``B2:B201``) rebuilds the model from a copy of the
    file holding every value written so far (slow, ~1-2 s, but correct).
    """

    def __init__(self, path: Path, corrected: bool = True, fast: bool = True):
        if not path.is_file():
            raise FileNotFoundError(str(path))
        self.source = path
        self.corrected = corrected
        self.fast = fast
        self.fallbacks = 0  # recalculations the fast plan handed to formulas' scheduler
        self._cover: dict[tuple[str, int, int], tuple[str, ...]] = {}  # unknown cell -> range nodes
        self._names: dict[tuple[str, int, int], str] = {}  # cell -> model node name
        self._tmp = Path(tempfile.mkdtemp(prefix="xlcalc-formulas-"))
        suffix = path.suffix.lower() if path.suffix.lower() in (".xlsx", ".xlsm") else ".xlsx"
        self._fname = "book" + suffix
        self._file = self._tmp / self._fname
        self._cleanup = weakref.finalize(self, shutil.rmtree, str(self._tmp), True)
        shutil.copyfile(path, self._file)
        self._inputs: dict[str, Any] = {}  # node id -> value written (sh.EMPTY for cleared)
        self._overlay: dict[tuple[str, int, int], Any] = {}  # written cells the model does not know
        self._overwritten: set[tuple[str, int, int]] = set()  # formula cells replaced by values
        self._solution: Mapping[str, Any] | None = None
        self._dirty = True
        self._closed = False
        self.rebuilds = 0
        self._load(self._file)

    # ------------------------------------------------------------------ loading
    def _ctx(self) -> contextlib.AbstractContextManager[None]:
        return corrected_formulas() if self.corrected else contextlib.nullcontext()

    def _load(self, file: Path) -> None:
        import formulas
        from formulas.excel import BOOK

        try:
            with self._ctx(), quiet_formulas():
                model = formulas.ExcelModel().loads(str(file)).finish()
        except Exception as exc:
            raise EngineError(f"formulas could not compile {self.source}: {exc}") from exc
        self.model = model
        self.plan: FastPlan | None = None
        if self.fast:
            try:
                with self._ctx():
                    self.plan = FastPlan(model.dsp)
            except Unsupported as exc:
                log.info("formulas: %s uses formulas' own scheduler (%s)", self.source.name, exc)
        self._wb = model.books[self._fname.upper()][BOOK]
        self._titles: list[str] = list(self._wb.sheetnames)
        self._by_upper = {t.upper(): t for t in self._titles}
        self._nodes: set[str] = {k for k in model.dsp.data_nodes if isinstance(k, str)}
        self._extent: dict[str, tuple[int, int]] = {t: (0, 0) for t in self._titles}
        self._ranges: dict[str, list[CellRange]] = {t: [] for t in self._titles}
        self._range_nodes: dict[str, list[tuple[CellRange, str]]] = {t: [] for t in self._titles}
        for node in self._nodes:
            m = _NODE_RE.match(node)
            if not m or m.group("file") != self._fname:
                continue
            title = self._by_upper.get(m.group("sheet"))
            if title is None:
                continue
            ref = m.group("ref").replace("$", "")
            try:
                rng = parse_range(ref)
            except ValueError:
                continue
            if ":" in ref:
                self._ranges[title].append(rng)
                self._range_nodes[title].append((rng, node))
            else:
                mr, mc = self._extent[title]
                self._extent[title] = (max(mr, rng.r1), max(mc, rng.c1))
        self._cover.clear()
        self._range_info: dict[str, tuple[CellRange, bool]] = {}  # range node -> (range, no known cell)
        self._formula_cells: dict[str, tuple[str, CellRange]] = {}
        for node, cell in model.cells.items():
            if getattr(cell, "func", None) is None or type(cell).__name__ == "Ref":
                continue
            m = _NODE_RE.match(node) if isinstance(node, str) else None
            if not m:
                continue
            title = self._by_upper.get(m.group("sheet"))
            if title is not None:
                self._formula_cells[node] = (title, parse_range(m.group("ref").replace("$", "")))

    def _rebuild(self) -> None:
        """Recompile from a copy of the file holding every value written so far."""

        wb = openpyxl.load_workbook(self._file)
        for node, value in self._inputs.items():
            m = _NODE_RE.match(node)
            if m:
                title = self._by_upper[m.group("sheet")]
                r, c = parse_cell(m.group("ref"))
                _set_openpyxl(wb[title].cell(r, c), value)
        for (title, r, c), value in self._overlay.items():
            _set_openpyxl(wb[title].cell(r, c), value)
        rebuilt = self._tmp / f"r{self.rebuilds + 1}"
        rebuilt.mkdir()
        target = rebuilt / self._fname
        wb.save(target)
        self._file = target
        self._inputs.clear()
        self._overlay.clear()
        self.rebuilds += 1
        self._load(target)

    # ------------------------------------------------------------------ book protocol
    @property
    def sheet_names(self) -> list[str]:
        """Names of the sheets, in order."""
        return list(self._titles)

    def write(self, sheet: str, top_left: str, rows: list[list[Any]]) -> None:
        """Record a block of values as model inputs (evaluated on the next read or recalc).

        Args:
            sheet: Sheet name (case-insensitive, like Excel).
            top_left: A1 address of the top-left cell.
            rows: Row-major values; None/"" clears a cell.
        """
        import schedula as sh

        block = normalize_rows(rows)
        title = self._title(sheet)
        r0, c0 = parse_cell(top_left)
        rebuild = False
        touched: set[str] = set()
        for i, row in enumerate(block):
            for j, value in enumerate(row):
                r, c = r0 + i, c0 + j
                node = self._node(title, r, c)
                v = sh.EMPTY if value is None else value
                if node in self._formula_cells:
                    self._overwritten.add((title, r, c))
                if node in self._nodes:
                    self._inputs[node] = v
                else:
                    self._overlay[(title, r, c)] = v
                    touched.update(self._covering(title, r, c))
        # A range made only of cells the model does not know (an input area left blank in the
        # template, such as a list row) is fed to the model as one range input: no rebuild.
        for rnode in touched:
            rng, unknown_only = self._range_info[rnode]
            if not unknown_only:
                rebuild = True
                continue
            assert rng.r2 is not None and rng.c2 is not None
            self._inputs[rnode] = [
                [self._overlay.get((title, r, c), sh.EMPTY) for c in range(rng.c1, rng.c2 + 1)]
                for r in range(rng.r1, rng.r2 + 1)
            ]
        self._dirty = True
        if rebuild:
            self._rebuild()

    def read(self, sheet: str, a1_range: str) -> list[list[Any]]:
        """Read a block of values (recalculating first if writes are pending).

        Args:
            sheet: Sheet name.
            a1_range: A1 range; whole columns/rows are trimmed to the used area.

        Returns:
            Rows of float/str/bool/None/ErrorValue.
        """
        title = self._title(sheet)
        rng = parse_range(a1_range)
        if rng.whole:
            rng = rng.trimmed(*self._used_extent(title))
        sol = self._ensure_solution()
        assert rng.r2 is not None and rng.c2 is not None
        return [
            [self._value(sol, title, r, c) for c in range(rng.c1, rng.c2 + 1)]
            for r in range(rng.r1, rng.r2 + 1)
        ]

    def recalc(self) -> None:
        """Evaluate the model once with every value written so far."""
        import schedula as sh

        inputs = {k: v if isinstance(v, list) else [[v]] for k, v in self._inputs.items()}
        with self._ctx(), _no_cyclic_collection():
            if self.plan is not None:
                try:
                    self._solution = self.plan.run(inputs)
                    self._dirty = False
                    return
                except Fallback as exc:
                    self.fallbacks += 1
                    if self.fallbacks == 1:
                        log.warning(
                            "formulas: %s recalculated by formulas' own scheduler (%s)", self.source.name, exc
                        )
            sol = self.model.calculate(inputs=inputs)
        self._solution = {k: v for k, v in sol.items() if isinstance(k, str) and not isinstance(k, sh.Token)}
        self._dirty = False

    def dispatch_solution(self) -> dict[str, Any]:
        """formulas' own evaluation of every value written so far (to check the fast plan against)."""
        import schedula as sh

        inputs = {k: v if isinstance(v, list) else [[v]] for k, v in self._inputs.items()}
        with self._ctx():
            sol = self.model.calculate(inputs=inputs)
        return {k: v for k, v in sol.items() if isinstance(k, str) and not isinstance(k, sh.Token)}

    def errors(self) -> list[tuple[str, str, str]]:
        """Every formula cell holding an error.

        Returns:
            ``(sheet, address, error text)`` in sheet order, then row, then column.
        """
        from formulas.functions import XlError

        sol = self._ensure_solution()
        found: list[tuple[int, int, int, str, str, str]] = []
        order = {t: i for i, t in enumerate(self._titles)}
        for node, (title, rng) in self._formula_cells.items():
            values = _node_values(sol.get(node))
            if values is None:
                continue
            assert rng.r2 is not None and rng.c2 is not None
            for i, row in enumerate(values):
                for j, v in enumerate(row):
                    r, c = rng.r1 + i, rng.c1 + j
                    if isinstance(v, XlError) and (title, r, c) not in self._overwritten:
                        found.append((order[title], r, c, title, cell_name(r, c), str(v)))
        found.sort()
        return [(t, a, e) for _, _, _, t, a, e in found]

    def formula(self, sheet: str, cell: str) -> str:
        """Formula text of a cell as stored in the file (``""`` if none or overwritten by a write)."""
        title = self._title(sheet)
        r, c = parse_cell(cell)
        if (title, r, c) in self._overwritten:
            return ""
        value = self._wb[title].cell(r, c).value
        text = getattr(value, "text", value)  # ArrayFormula
        if isinstance(text, str) and text.startswith("="):
            return text
        return ""

    def close(self) -> None:
        """Drop the model and delete the private copy."""
        if self._closed:
            return
        self._closed = True
        self._solution = None
        self.model = None  # type: ignore[assignment]
        self._cleanup()

    # ------------------------------------------------------------------ helpers
    def _title(self, sheet: str) -> str:
        if self._closed:
            raise EngineError("book is closed")
        if sheet in self._extent:
            return sheet
        title = self._by_upper.get(sheet.upper())
        if title is None:
            raise KeyError(f"no sheet {sheet!r}; sheets: {self._titles}")
        return title

    def _node(self, title: str, r: int, c: int) -> str:
        """The model's name of a cell (cached: every case writes and reads the same cells)."""
        key = (title, r, c)
        name = self._names.get(key)
        if name is None:
            name = self._names[key] = f"'[{self._fname}]{title.upper()}'!{cell_name(r, c)}"
        return name

    def _covering(self, title: str, r: int, c: int) -> tuple[str, ...]:
        """Range nodes containing a cell the model does not know (cached: writes repeat cells)."""
        key = (title, r, c)
        found = self._cover.get(key)
        if found is None:
            found = self._cover[key] = tuple(n for rng, n in self._range_nodes[title] if _contains(rng, r, c))
            for n in found:
                if n not in self._range_info:
                    rng = next(x for x, m in self._range_nodes[title] if m == n)
                    assert rng.r2 is not None and rng.c2 is not None
                    cells = ((i, j) for i in range(rng.r1, rng.r2 + 1) for j in range(rng.c1, rng.c2 + 1))
                    self._range_info[n] = (
                        rng,
                        not any(self._node(title, i, j) in self._nodes for i, j in cells),
                    )
        return found

    def _used_extent(self, title: str) -> tuple[int, int]:
        mr, mc = self._extent[title]
        for t, r, c in self._overlay:
            if t == title:
                mr, mc = max(mr, r), max(mc, c)
        return max(mr, 1), max(mc, 1)

    def _ensure_solution(self) -> Mapping[str, Any]:
        if self._dirty or self._solution is None:
            self.recalc()
        assert self._solution is not None
        return self._solution

    def _value(self, sol: Mapping[str, Any], title: str, r: int, c: int) -> Any:
        node = self._node(title, r, c)
        if node in sol:
            values = _node_values(sol[node])
            if values is not None:
                return _to_python(values[0][0])
        if (title, r, c) in self._overlay:
            return _to_python(self._overlay[(title, r, c)])
        if node in self._inputs:
            return _to_python(self._inputs[node])
        return None


def _contains(rng: CellRange, r: int, c: int) -> bool:
    return rng.r1 <= r <= (rng.r2 or 1_048_576) and rng.c1 <= c <= (rng.c2 or 16_384)


def _node_values(value: Any) -> Any:
    """2-D values of a solution entry (a formulas ``Ranges``), or None."""
    if value is None:
        return None
    try:
        v = value.value if hasattr(value, "ranges") else value
    except Exception:  # RangeValueError: no value
        return None
    if hasattr(v, "tolist"):
        v = v.tolist()
    if not isinstance(v, list):
        return [[v]]
    if v and not isinstance(v[0], list):
        return [v]
    return v


def _to_python(v: Any) -> Any:
    import schedula as sh
    from formulas.functions import XlError

    if v is sh.EMPTY or v is None:
        return None
    if isinstance(v, XlError):
        return ErrorValue(str(v))
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, float, np.integer, np.floating)):
        return float(v)
    if isinstance(v, str):
        return str(v)
    if isinstance(v, np.ndarray):
        return _to_python(v.ravel()[0]) if v.size else None
    return v


def _set_openpyxl(cell: Any, value: Any) -> None:
    import schedula as sh

    if value is sh.EMPTY:
        cell.value = None
        return
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"  # never let text starting with "=" become a formula


@contextlib.contextmanager
def _no_cyclic_collection() -> Iterator[None]:
    """Python's cyclic garbage collector paused for one recalculation.

    A recalculation makes tens of thousands of short-lived arrays (freed by reference counting,
    not by the collector), and each few hundred allocations start a collection pass; now and
    then a full pass rescans the compiled model's million long-lived objects. On 安庆 that was a
    quarter of every recalculation. Paused, the passes come between recalculations, a few per
    hundred cases instead of some thirty per case. (Freezing the model out of the full passes,
    ``gc.freeze``, saved a further 2% but costs a full collection per book opened.)
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
