"""Re-score an open workbook and compare it with the reference scorer (:func:`verify_book`), and
write the result as the 校验 sheet (:func:`write_check_sheet`)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from openpyxl.utils import get_column_letter

from xlcalc.bridge.adapters import BookAdapter, BridgeError
from xlcalc.errors import InputError, XlcalcError
from xlcalc.lowering import GRADE, STATUS
from xlcalc.scorer import Scorer, UnitResult, resolve_params
from xlcalc.spec.model import Spec
from xlcalc.verify.compare import REL_TOL, Mismatch, same_value
from xlcalc.workbook.embedded import same_spec, trusted_spec
from xlcalc.workbook.layout import FIRST_ROW, FORMULA_SHEET, PARAM_SHEET, Layout
from xlcalc.workbook.readback import (
    SPEC_SHEET,
    CellProblem,
    embedded_spec_text,
    make_layout,
    n_units_from_index,
    read_inputs,
)

#: Tolerance for comparing numbers (relative, absolute near zero); text must match exactly.
TOLERANCE = REL_TOL

_EXTRA_ROWS = ((STATUS, "填报状态"), (GRADE, "等级"))


# ---------------------------------------------------------------------------------- comparison


def values_match(workbook: Any, reference: Any) -> bool:
    """Whether a workbook value equals a reference value: :func:`xlcalc.verify.compare.same_value`,
    the comparison ``xlcalc verify`` and ``xlcalc check`` make."""
    return same_value(reference, workbook)


@dataclass(frozen=True)
class CheckRow:
    """One compared cell: a node's score for one unit, with its explanation.

    Attributes:
        unit: Unit name (column A of 填报), or the form's unit kind.
        unit_index: 0-based unit row.
        node_id: Node id (``"goals_1"``), or ``"status"``/``"grade"`` for the summary cells.
        label: The node's label.
        cell: Where the workbook value is, ``"评分!B4"``.
        workbook_value: The workbook's value (errors as their text).
        reference_value: The reference scorer's value.
        match: Whether the two values agree (:func:`values_match`).
        reference_explanation: The reference explanation text ("" if the node has none).
        workbook_explanation: The workbook's explanation cell (None if the node has none).
        explanation_cell: Where the explanation is, ``"扣分说明!C4"`` (None if none).
        explanation_match: Whether the explanations agree (None if the node has none).
        section: The labels of the node's ancestors below the root ("产出指标 / 数量指标"), so the
            校验 sheet locates a row in words rather than by the node's internal id.
    """

    unit: str
    unit_index: int
    node_id: str
    label: str
    cell: str
    workbook_value: Any
    reference_value: Any
    match: bool
    reference_explanation: str = ""
    workbook_explanation: Any = None
    explanation_cell: str | None = None
    explanation_match: bool | None = None
    section: str = ""

    @property
    def ok(self) -> bool:
        """Score and explanation (where there is one) both agree."""
        return self.match and self.explanation_match is not False

    def mismatches(self, inputs: dict[str, Any] | None = None) -> list[Mismatch]:
        """The row's disagreements as the comparison core's records: the score cell, then the
        explanation cell, each where it differs. ``inputs`` are the unit's inputs as read."""
        out: list[Mismatch] = []
        for ok, where, cell_id, expected, actual in (
            (self.match, self.cell, self.node_id, self.reference_value, self.workbook_value),
            (
                self.explanation_match is not False,
                self.explanation_cell or "",
                f"{self.node_id}__why",
                self.reference_explanation,
                self.workbook_explanation,
            ),
        ):
            if ok:
                continue
            sheet, _, cell = where.rpartition("!")
            out.append(
                Mismatch(
                    sheet,
                    cell,
                    cell_id,
                    self.unit,
                    "",
                    expected,
                    actual,
                    case=f"第{self.unit_index + 1}个单位",
                    inputs=dict(inputs or {}),
                    label=self.label,
                )
            )
        return out


@dataclass
class BridgeReport:
    """Result of :func:`verify_book`.

    Attributes:
        book: The workbook's name.
        spec_id: The embedded spec's id.
        title: The rubric's title.
        n_units: Number of unit rows compared.
        rows: One row per unit and node (then status and grade): the 校验 table.
        problems: Input or parameter cells the reference could not use (treated as blank/default).
        inputs: Each unit's inputs as read, by unit row (for the mismatches' records).
    """

    book: str
    spec_id: str
    title: str
    n_units: int
    rows: list[CheckRow] = field(default_factory=list)
    problems: list[CellProblem] = field(default_factory=list)
    inputs: list[dict[str, Any]] = field(default_factory=list)

    @property
    def total(self) -> int:
        """Number of compared rows."""
        return len(self.rows)

    @property
    def failed_rows(self) -> list[CheckRow]:
        """Rows whose score or explanation differs."""
        return [row for row in self.rows if not row.ok]

    @property
    def mismatches(self) -> list[Mismatch]:
        """Every differing cell (score or explanation) as the comparison core's record."""
        out: list[Mismatch] = []
        for row in self.failed_rows:
            inputs = self.inputs[row.unit_index] if row.unit_index < len(self.inputs) else {}
            out.extend(row.mismatches(inputs))
        return out

    @property
    def score_mismatches(self) -> list[CheckRow]:
        """Rows whose score differs."""
        return [row for row in self.rows if not row.match]

    @property
    def explanation_mismatches(self) -> list[CheckRow]:
        """Rows whose explanation differs."""
        return [row for row in self.rows if row.explanation_match is False]

    @property
    def ok(self) -> bool:
        """Everything agrees."""
        return not self.failed_rows

    def summary(self) -> str:
        """``共N项，M项不一致`` (with the split into scores and explanations when M > 0)."""
        text = f"共{self.total}项，{len(self.failed_rows)}项不一致"
        if self.failed_rows:
            text += f"（得分不一致{len(self.score_mismatches)}项，说明不一致{len(self.explanation_mismatches)}项）"
        if self.problems:
            text += f"；{len(self.problems)}个输入单元格无法识别"
        return text


# ---------------------------------------------------------------------------------- verify


def _index_units(book: BookAdapter, spec_ranked: bool, default: int) -> int:
    if not spec_ranked:
        return 1
    if FORMULA_SHEET not in book.sheet_names():
        return default
    rows = book.read(FORMULA_SHEET, f"A2:B{min(max(book.used_rows(FORMULA_SHEET), 2), 60)}")
    n = n_units_from_index(rows)
    return n if n >= 1 else default


def _safe_params(
    book: BookAdapter, spec: Any, params: dict[str, Any], problems: list[CellProblem]
) -> dict[str, Any]:
    """Parameters the reference accepts; an out-of-range one is reported and left at its default."""
    ok: dict[str, Any] = {}
    bad: dict[str, str] = {}
    for name, value in params.items():
        try:
            resolve_params(spec, {name: value})
        except InputError as exc:
            bad[name] = str(exc)
            continue
        ok[name] = value
    if bad:
        labels = book.read(PARAM_SHEET, f"A{FIRST_ROW}:A{FIRST_ROW + len(spec.params) + 1}")
        rows = {str(r[0]): FIRST_ROW + k for k, r in enumerate(labels) if r and r[0] is not None}
        for name, message in bad.items():
            row = rows.get(spec.param(name).label)
            problems.append(
                CellProblem(PARAM_SHEET, f"B{row}" if row else name, f"{message}，参考评分按默认值计算")
            )
    return ok


def _read_cells(book: BookAdapter, layout: Layout, ids: list[str]) -> dict[tuple[str, int], tuple[str, Any]]:
    """``(cell id, unit) -> ("sheet!A1", value)``, read with one rectangle per sheet."""
    where: dict[str, list[tuple[str, int, int, int]]] = {}
    for cid in ids:
        for u in range(layout.n_units):
            row, col = layout.row_col(cid, u)
            where.setdefault(layout.sheet_of(cid), []).append((cid, u, row, col))
    out: dict[tuple[str, int], tuple[str, Any]] = {}
    for sheet, cells in where.items():
        r1 = min(c[2] for c in cells)
        r2 = max(c[2] for c in cells)
        c1 = min(c[3] for c in cells)
        c2 = max(c[3] for c in cells)
        block = book.read(sheet, f"{get_column_letter(c1)}{r1}:{get_column_letter(c2)}{r2}")
        for cid, u, row, col in cells:
            line = block[row - r1] if row - r1 < len(block) else []
            value = line[col - c1] if col - c1 < len(line) else None
            out[(cid, u)] = (f"{sheet}!{get_column_letter(col)}{row}", value)
    return out


def verify_book(
    book: BookAdapter, *, recalc: bool = True, spec: Spec | None = None, use_embedded: bool = True
) -> BridgeReport:
    """Re-score a workbook with the reference scorer and compare it cell by cell.

    Reads the spec embedded in ``_规格``, the number of unit rows from ``_公式``, the inputs
    and parameters; scores them with :class:`~xlcalc.scorer.Scorer`; compares every node's
    score cell (and its ``__why`` explanation cell where it has one) for every unit, then the
    status and grade cells. Nothing is written to the workbook.

    The embedded spec is untrusted: it is read within the size limits and the reference scores with
    ``spec``, else the trusted spec its ``meta.id`` names (:mod:`xlcalc.workbook.embedded`), else
    (``use_embedded``, the 校验 button in a workbook the user opened) the embedded spec itself. An
    embedded spec differing from the one used is reported as a problem of ``_规格!A1``.

    Args:
        book: The open workbook.
        recalc: Recalculate the workbook before reading it.
        spec: The trusted spec.
        use_embedded: Fall back on the embedded spec when no trusted one is known.

    Returns:
        The report.

    Raises:
        BridgeError: If the workbook is not an xlcalc template or its spec cannot be read.
    """
    names = book.sheet_names()
    if SPEC_SHEET not in names:
        raise BridgeError(
            f"工作簿“{book.name}”没有隐藏工作表“{SPEC_SHEET}”：它不是由 xlcalc 生成的评分模板，无法校验"
        )
    if recalc:
        book.recalc()
    try:
        embedded = embedded_spec_text(book.read, book.used_rows(SPEC_SHEET), book.name)
        spec, _ = trusted_spec(embedded, f"{book.name}!{SPEC_SHEET}", spec, use_embedded)
    except XlcalcError as exc:
        raise BridgeError(f"无法读取工作簿内嵌的评分规格（{SPEC_SHEET}）：{exc}") from exc
    problems: list[CellProblem] = []
    if not same_spec(spec, embedded):
        problems.append(
            CellProblem(SPEC_SHEET, "A1", f"工作簿内嵌的规格与所用规格（{spec.meta.id}）内容不同")
        )
    default_units = len(spec.meta.units) if spec.meta.ranked else 1
    layout = make_layout(spec, _index_units(book, spec.meta.ranked, default_units))
    readback = read_inputs(spec, layout, book.read)
    problems += readback.problems
    params = _safe_params(book, spec, readback.params, problems)
    scorer = Scorer(spec)
    try:
        results = scorer.score(readback.units, params)
    except XlcalcError as exc:  # should not happen: read_inputs drops cells it cannot use
        raise BridgeError(f"参考评分无法运行：{exc}") from exc

    nodes = list(spec.nodes())
    ids = [n.id for n in nodes if n.id in layout.positions]
    ids += [f"{n.id}__why" for n in nodes if f"{n.id}__why" in layout.positions]
    ids += [cid for cid, _ in _EXTRA_ROWS if cid in layout.positions]
    cells = _read_cells(book, layout, ids)

    report = BridgeReport(
        book.name,
        spec.meta.id,
        spec.meta.title,
        layout.n_units,
        problems=problems,
        inputs=[dict(unit.values) for unit in readback.units],
    )
    sections = {node.id: _section(spec, node.id) for node in nodes}
    for u, result in enumerate(results):
        report.rows.extend(_unit_rows(u, result, nodes, layout, cells, sections))
    return report


def _unit_rows(
    u: int,
    result: UnitResult,
    nodes: list[Any],
    layout: Layout,
    cells: dict[tuple[str, int], tuple[str, Any]],
    sections: dict[str, str],
) -> Iterator[CheckRow]:
    for node in nodes:
        if node.id not in layout.positions:
            continue
        where, value = cells[(node.id, u)]
        reference = result.cells.get(node.id)
        why_id = f"{node.id}__why"
        ref_why = result.cells.get(why_id) or ""
        wb_why: Any = None
        why_cell: str | None = None
        why_match: bool | None = None
        if why_id in layout.positions:
            why_cell, wb_why = cells[(why_id, u)]
            why_match = values_match(wb_why, ref_why)
        yield CheckRow(
            result.unit,
            u,
            node.id,
            node.label,
            where,
            _shown(value),
            reference,
            values_match(value, reference),
            str(ref_why),
            _shown(wb_why),
            why_cell,
            why_match,
            sections[node.id],
        )
    for cid, label in _EXTRA_ROWS:
        if cid not in layout.positions:
            continue
        where, value = cells[(cid, u)]
        reference = result.cells.get(cid)
        yield CheckRow(
            result.unit, u, cid, label, where, _shown(value), reference, values_match(value, reference)
        )


def _section(spec: Spec, node_id: str) -> str:
    """The labels of a node's ancestors, outermost first, without the root."""
    chain = spec.ancestors(node_id)[:-1]
    return " / ".join(n.label for n in reversed(chain))


def _shown(value: Any) -> Any:
    """Error objects as their text, so the report holds plain values only."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)
