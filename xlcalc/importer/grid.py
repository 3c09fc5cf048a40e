"""The tables of a file as grids of located cells, whatever the file format. Merged cells keep
their text in the first cell only and are blank elsewhere, as a Word copy prints them."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

from xlcalc.errors import InputError
from xlcalc.workbook.zippackage import MB, Limits, ZipPackage

MAX_BYTES = 20 * MB  # a filled 自评表 is kilobytes; refuse what is clearly not one
MAX_ROWS = 2000
# Every part of an .xlsx/.docx is decompressed within these caps before openpyxl or python-docx
# (which trust the zip) read it: a zip bomb stops here. openpyxl then holds at most ~300k cells.
PACKAGE_LIMITS = Limits(file_bytes=MAX_BYTES, entries=1024, member_bytes=8 * MB, total_bytes=24 * MB)


@dataclass(frozen=True)
class Cell:
    text: str
    where: str  # "第12行第3格", "Sheet1!C5", "表2 第3行第4列"


@dataclass
class Grid:
    """One table: rows of cells, plus the lines printed above it (title, 附件 line)."""

    rows: list[list[Cell]]
    source: str
    preamble: list[str] = field(default_factory=list)


def check_size(path: Path) -> None:
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InputError(f"{path}：无法读取（{exc.strerror}）") from exc
    if size > MAX_BYTES:
        raise InputError(f"{path}：文件过大（{size // 1024 // 1024} MB），自评表不应超过 20 MB")


def checked_package(path: Path, kind: str) -> io.BytesIO:
    """The file's bytes once its package passed :class:`ZipPackage`'s checks (``kind``: ".xlsx"
    or ".docx"), for the reader to open instead of the file."""
    check_size(path)
    package = ZipPackage(path, PACKAGE_LIMITS, kind)
    package.check_all_parts()
    return io.BytesIO(package.data)


def squash(text: str) -> str:
    """A label without the line breaks Word puts in narrow cells ("年度\\n指标值" → "年度指标值")."""
    return "".join(str(text).split())
