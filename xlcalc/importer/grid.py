"""The tables of a file as grids of located cells, whatever the file format. Merged cells keep
their text in the first cell only and are blank elsewhere, as a Word copy prints them."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from xlcalc.errors import InputError

MAX_BYTES = 20 * 1024 * 1024  # a filled 自评表 is kilobytes; refuse what is clearly not one
MAX_ROWS = 2000


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


def squash(text: str) -> str:
    """A label without the line breaks Word puts in narrow cells ("年度\\n指标值" → "年度指标值")."""
    return "".join(str(text).split())
