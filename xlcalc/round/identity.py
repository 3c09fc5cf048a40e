"""Which round a per-unit workbook belongs to: the spec's id and year, a content hash of the spec and
one of the spec plus the evaluator's parameter values, and the unit the file was made for.

They sit on the hidden sheet ``_轮次`` (label in column A, value in column B). The sheet is as
editable as any other, so it only tells collect which round a file claims to be from; the values in
the file are still checked against the trusted spec.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from openpyxl import Workbook

from xlcalc.spec.model import Spec
from xlcalc.workbook.embedded import spec_hash
from xlcalc.workbook.untrusted import UntrustedBook

ROUND_SHEET = "_轮次"
FORMAT_VERSION = "1"
# (field, label in column A); rows 1.. in this order
FIELDS = (
    ("format", "格式版本"),
    ("spec_id", "评分标准"),
    ("year", "年度"),
    ("spec_hash", "规格指纹"),
    ("round_hash", "轮次指纹"),
    ("unit", "单位"),
)
UNIT_ROW = 1 + [f for f, _ in FIELDS].index("unit")


@dataclass(frozen=True)
class Identity:
    format: str
    spec_id: str
    year: str
    spec_hash: str
    round_hash: str
    unit: str

    def same_round(self, other: Identity) -> bool:
        return (self.spec_id, self.spec_hash, self.round_hash) == (
            other.spec_id,
            other.spec_hash,
            other.round_hash,
        )


def round_identity(spec: Spec, params: dict[str, Any], unit: str = "") -> Identity:
    """The identity of a round: ``params`` are resolved values (as :func:`resolve_params` returns)."""
    content = spec_hash(spec.source_text) or hashlib.sha256(spec.source_text.encode()).hexdigest()
    blob = json.dumps(params, sort_keys=True, ensure_ascii=False, default=str)
    round_hash = hashlib.sha256(f"{content}\n{blob}".encode()).hexdigest()
    return Identity(FORMAT_VERSION, spec.meta.id, str(spec.meta.year), content[:16], round_hash[:16], unit)


def identity_sheet(wb: Workbook, ident: Identity) -> None:
    """The hidden, protected ``_轮次`` sheet, second in the workbook: Excel and LibreOffice number
    shared strings in sheet order, so its strings come early and reading them stops early in the
    shared-strings part (the long rule texts and the embedded spec come later)."""
    ws = wb.create_sheet(ROUND_SHEET, 1)
    for row, (name, label) in enumerate(FIELDS, start=1):
        ws.cell(row=row, column=1, value=label)
        ws.cell(row=row, column=2, value=getattr(ident, name))
    ws.sheet_state = "hidden"
    ws.protection.sheet = True


def read_identity(book: UntrustedBook) -> Identity | None:
    """The identity a returned workbook claims, or None when it has no ``_轮次`` sheet."""
    if ROUND_SHEET not in book.sheet_names:
        return None
    rows = book.read(ROUND_SHEET, f"A1:B{len(FIELDS)}")
    values = {
        name: "" if row[1] is None else _text(row[1]) for (name, _), row in zip(FIELDS, rows, strict=True)
    }
    return Identity(**values)


def _text(value: Any) -> str:
    # a year typed as a number reads back as 2023.0
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
