"""Mutation self-test: does the verifier catch real mistakes in a workbook?

Mutants are made the way people break spreadsheets: a comparison flipped, a constant changed, a
reference shifted by a row or a column, a floor or cap removed, a formula overwritten by a number.
Each mutant is one formula edited at token level with openpyxl's formula tokenizer. Where the
formula is one row of a block written down every unit's row (the ranked layouts), the edit goes
down the whole block, translated to each row as the compiler writes it: a drift of the compiler
changes every row alike. (One row edited alone, as a clerk might, is what `xlcalc check`
reports as a formula "被修改或覆盖" against the template.) A mutant is killed when the verifier
reports a mismatch; the ones that survive are checked for equivalence (they change nothing).
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.formula.tokenizer import Token, Tokenizer
from openpyxl.formula.translate import Translator
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string, get_column_letter

from xlcalc.engines import Book
from xlcalc.scorer import UnitInputs, resolve_params
from xlcalc.verify.cases import Case, CaseGenerator
from xlcalc.verify.equivalence import Equivalence, Reference, check_equivalence
from xlcalc.verify.runner import EngineRun, Runner
from xlcalc.verify.target import Target
from xlcalc.workbook.layout import FIRST_ROW, FORMULA_SHEET

FLIPS = {">=": ">", ">": ">=", "<=": "<", "<": "<=", "=": "<>", "<>": "="}
_CELL = re.compile(r"^(\$?)([A-Z]{1,3})(\$?)(\d+)$")
OPERATORS = ("comparison", "constant", "shift_row", "shift_col", "floor_cap", "overwrite")


@dataclass(frozen=True)
class Mutant:
    operator: str
    sheet: str
    cell: str
    original: str
    mutated: str | float
    # the other rows of the cell's block (same sheet), edited alike
    rows: tuple[str, ...] = ()

    def describe(self) -> str:
        down = f"（及以下{len(self.rows)}行同样）" if self.rows else ""
        return f"[{self.operator}] {self.sheet}!{self.cell}{down}: {self.original}  →  {self.mutated}"

    def edits(self) -> list[tuple[str, str | float]]:
        """(A1 address, new content) of every edited cell: the first, then each row of its block."""
        out: list[tuple[str, str | float]] = [(self.cell, self.mutated)]
        for addr in self.rows:
            new = self.mutated
            if isinstance(new, str):
                new = Translator(new, origin=self.cell).translate_formula(addr)
            out.append((addr, new))
        return out


@dataclass
class MutationReport:
    target: str
    engine: str
    mutants: list[Mutant] = field(default_factory=list)
    killed: list[Mutant] = field(default_factory=list)
    equivalent: list[tuple[Mutant, Equivalence]] = field(default_factory=list)  # with how it was checked
    survived: list[tuple[Mutant, str]] = field(default_factory=list)  # with the evidence of a difference
    seconds: float = 0.0

    @property
    def kill_rate(self) -> float:
        """Killed among the non-equivalent mutants."""
        live = len(self.mutants) - len(self.equivalent)
        return len(self.killed) / live if live else 1.0

    def summary(self) -> str:
        by_op: dict[str, tuple[int, int]] = {}
        for m in self.mutants:
            k, n = by_op.get(m.operator, (0, 0))
            by_op[m.operator] = (k + (m in self.killed), n + 1)
        ops = "，".join(f"{op} {k}/{n}" for op, (k, n) in by_op.items())
        return (
            f"{self.target} [{self.engine}] 变异自检：{len(self.mutants)}个变异，检出{len(self.killed)}，"
            f"等价{len(self.equivalent)}，未检出{len(self.survived)}（非等价检出率{self.kill_rate:.0%}；{ops}），"
            f"{self.seconds:.1f}秒"
        )


def _render(tokens: list[Token]) -> str:
    return "=" + "".join(t.value for t in tokens)


def _shift(ref: str, rows: int, cols: int) -> str | None:
    """Shift a single-cell or range reference (absolute parts move too: the mistake is the user's)."""
    sheet, sep, addr = ref.rpartition("!")
    parts = addr.split(":")
    out = []
    for p in parts:
        m = _CELL.match(p)
        if m is None:
            return None
        col = column_index_from_string(m.group(2)) + cols
        row = int(m.group(4)) + rows
        if col < 1 or row < 1:
            return None
        out.append(f"{m.group(1)}{get_column_letter(col)}{m.group(3)}{row}")
    return f"{sheet}{sep}{':'.join(out)}"


def mutations(formula: str) -> Iterator[tuple[str, str]]:
    """Every single-token mutation of a formula: (operator, mutated formula)."""
    tok = Tokenizer(formula)
    items = tok.items
    for i, t in enumerate(items):
        if t.type == Token.OP_IN and t.value in FLIPS:
            yield "comparison", _render(items[:i] + [Token(FLIPS[t.value], Token.OP_IN)] + items[i + 1 :])
        elif t.type == Token.OPERAND and t.subtype == Token.NUMBER:
            v = float(t.value)
            new = v + 1 if v == int(v) and abs(v) < 1e6 else v * 1.1
            text = str(int(new)) if float(new).is_integer() else repr(new)
            yield "constant", _render(items[:i] + [Token(text, Token.OPERAND, Token.NUMBER)] + items[i + 1 :])
        elif t.type == Token.OPERAND and t.subtype == Token.RANGE:
            for op, dr, dc in (("shift_row", 1, 0), ("shift_col", 0, 1)):
                ref = _shift(t.value, dr, dc)
                if ref is not None:
                    yield op, _render(items[:i] + [Token(ref, Token.OPERAND, Token.RANGE)] + items[i + 1 :])
        elif t.type == Token.FUNC and t.subtype == Token.OPEN and t.value.upper() in ("MAX(", "MIN("):
            stripped = _drop_bound(items, i)
            if stripped is not None:
                yield "floor_cap", _render(stripped)


def _drop_bound(items: list[Token], i: int) -> list[Token] | None:
    """MAX(0,x) → x and MIN(w,x) → x: remove the function, its constant first argument and ')'."""
    if i + 2 >= len(items):
        return None
    first, sep = items[i + 1], items[i + 2]
    if not (first.type == Token.OPERAND and first.subtype == Token.NUMBER and sep.type == Token.SEP):
        return None
    depth = 0
    for j in range(i + 3, len(items)):
        t = items[j]
        if t.type in (Token.FUNC, Token.PAREN) and t.subtype == Token.OPEN:
            depth += 1
        elif t.type in (Token.FUNC, Token.PAREN) and t.subtype == Token.CLOSE:
            if depth == 0:
                return items[:i] + items[i + 3 : j] + items[j + 1 :]
            depth -= 1
        elif t.type == Token.SEP and t.subtype == Token.ARG and depth == 0:
            return None  # more than two arguments
    return None


def candidate_mutants(target: Target, expected_first: dict[tuple[str, str], object]) -> list[Mutant]:
    """All mutants of the first cell of every formula block, each edited down its block."""
    out: list[Mutant] = []
    for (sheet, addr), formula in sorted(target.formulas.items()):
        if sheet == FORMULA_SHEET or not _first_unit_cell(target, addr):
            continue
        rows = block_rows(target, sheet, addr)
        for op, mutated in mutations(formula):
            if mutated != formula:
                out.append(Mutant(op, sheet, addr, formula, mutated, rows))
        value = expected_first.get((sheet, addr))
        if value is not None:
            out.append(Mutant("overwrite", sheet, addr, formula, value, rows))  # type: ignore[arg-type]
    return out


def _first_unit_cell(target: Target, addr: str) -> bool:
    if not target.layout.ranked:
        return True
    _, row = coordinate_from_string(addr)
    return row == FIRST_ROW


def block_rows(target: Target, sheet: str, addr: str) -> tuple[str, ...]:
    """The cells below ``addr`` in the other units' rows that hold its formula translated to
    their row (a ranked layout's block); none in a one-unit form."""
    if not target.layout.ranked:
        return ()
    translator = Translator(target.formulas[(sheet, addr)], origin=addr)
    col, first = coordinate_from_string(addr)
    out = []
    for unit in range(1, target.layout.n_units):
        below = f"{col}{first + unit}"
        text = target.formulas.get((sheet, below))
        if text is not None and text == translator.translate_formula(below):
            out.append(below)
    return tuple(out)


def sample(mutants: list[Mutant], limit: int, seed: int) -> list[Mutant]:
    """An even spread over sheets and, within each sheet, over operators; deterministic for a seed.

    Spreading over sheets first keeps the small sheets (审核, 评分) from being drowned by the
    explanation texts, which hold most formula tokens.
    """
    rng = random.Random(seed)
    groups: dict[str, dict[str, list[Mutant]]] = {}
    for m in mutants:
        groups.setdefault(m.sheet, {}).setdefault(m.operator, []).append(m)
    for by_op in groups.values():
        for group in by_op.values():
            rng.shuffle(group)
    turn = {sheet: 0 for sheet in groups}
    picked: list[Mutant] = []
    while len(picked) < limit and any(any(g.values()) for g in groups.values()):
        for sheet in sorted(groups):
            by_op = groups[sheet]
            ops = [op for op in OPERATORS if by_op.get(op)]
            if not ops or len(picked) >= limit:
                continue
            op = ops[turn[sheet] % len(ops)]
            turn[sheet] += 1
            picked.append(by_op[op].pop())
    return picked


def write_mutant(src: Path, mutant: Mutant, dst: Path) -> None:
    wb = load_workbook(src)
    for addr, new in mutant.edits():
        wb[mutant.sheet][addr].value = new
    wb.save(dst)


def run_mutants(
    target: Target,
    open_book: Callable[[Path], Book],
    engine: str,
    limit: int,
    cases: int,
    seed: int,
    workdir: Path,
    progress: Callable[[int], None] | None = None,
    equivalence: bool = True,
    equivalence_evaluations: int = 300,
) -> MutationReport:
    """Build up to ``limit`` mutants and verify each until the first mismatch (killed) or the end.

    A survivor is then checked for equivalence (:mod:`xlcalc.verify.equivalence`, in the formulas
    engine): equivalent mutants are listed apart; the others are real gaps of the verifier.
    """
    report = MutationReport(target.name, engine)
    start = time.perf_counter()
    gen = CaseGenerator(target.spec, target.layout.n_units, seed)
    case_list = list(gen.cases(cases, target.scorer))
    # Values of case 1 (a filled one) give the "overwritten by a number" mutants their constants.
    probe_case = case_list[1] if len(case_list) > 1 else case_list[0]
    rows = [
        target.scorer.normalize(UnitInputs(target.units[u], probe_case.units[u]), keep_invalid=True)
        for u in range(target.layout.n_units)
    ]
    values = target.scorer.evaluate(rows, resolve_params(target.spec, probe_case.params))
    expected_first = {}
    for cid in target.layout.positions:
        cell = target.graph.by_id[cid]
        if cell.expr is None:
            continue
        v = values[0][cid]
        expected_first[(target.layout.sheet_of(cid), target.layout.address(cid, 0))] = v
    report.mutants = sample(candidate_mutants(target, expected_first), limit, seed)
    workdir.mkdir(parents=True, exist_ok=True)
    ordered = [probe_case] + [c for c in case_list if c is not probe_case]
    reference = Reference(target)  # the original's values, computed once for every survivor
    try:
        _run_each(
            target,
            open_book,
            engine,
            workdir,
            ordered,
            report,
            reference,
            progress,
            equivalence,
            equivalence_evaluations,
        )
    finally:
        reference.close()
    report.seconds = time.perf_counter() - start
    return report


def _run_each(
    target: Target,
    open_book: Callable[[Path], Book],
    engine: str,
    workdir: Path,
    ordered: list[Case],
    report: MutationReport,
    reference: Reference,
    progress: Callable[[int], None] | None,
    equivalence: bool,
    equivalence_evaluations: int,
) -> None:
    """Verify each mutant until the first mismatch; check survivors for equivalence."""
    for k, m in enumerate(report.mutants):
        path = workdir / f"{target.name}-mutant{k}{target.path.suffix}"
        write_mutant(target.path, m, path)
        book: Book = open_book(path)
        try:
            runner = Runner(target, book, engine, workdir / "failures", max_reported=1)
            run = EngineRun(engine, target.name)
            for i, case in enumerate(ordered):
                runner.run_case(case, run, i)
                if run.mismatches:
                    break
        finally:
            book.close()
        if run.mismatches:
            report.killed.append(m)
        elif not equivalence:
            report.survived.append((m, ""))
        else:
            verdict = check_equivalence(
                target,
                path,
                (m.sheet, m.cell),
                (m.original, m.mutated),
                ordered,
                max_evaluations=equivalence_evaluations,
                reference=reference,
                rows=m.rows,
            )
            if verdict.equivalent:
                report.equivalent.append((m, verdict))
            else:
                report.survived.append((m, verdict.evidence))
        path.unlink(missing_ok=True)
        if progress is not None:
            progress(1)
