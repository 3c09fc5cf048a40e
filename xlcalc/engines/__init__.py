"""Spreadsheet engines for recalculating .xlsx workbooks: LibreOffice, formulas, Gnumeric, Excel.

``get_engine(name)`` returns an :class:`Engine`; ``engine.open(path)`` gives a :class:`Book` to
write inputs into, recalculate and read outputs from. See :mod:`xlcalc.engines.base` for the
value conventions shared by all engines.
"""

from __future__ import annotations

from typing import Any

from .base import Book, Engine, EngineError, EngineUnavailable, ErrorValue

__all__ = [
    "ENGINE_NAMES",
    "Book",
    "Engine",
    "EngineError",
    "EngineUnavailable",
    "ErrorValue",
    "available_engines",
    "get_engine",
]

#: Names accepted by :func:`get_engine`.
ENGINE_NAMES: tuple[str, ...] = ("formulas", "libreoffice", "gnumeric", "excel")


def get_engine(name: str, *, shared: bool = False, **options: Any) -> Engine:
    """Create an engine by name.

    The engine is not started: LibreOffice and Excel start on the first ``open``. Check
    ``engine.available()`` first, or catch :class:`EngineUnavailable` from ``open``.

    Args:
        name: ``"formulas"``, ``"libreoffice"`` (alias ``"lo"``), ``"gnumeric"`` or ``"excel"``
            (case-insensitive).
        shared: For LibreOffice, return the process-wide shared engine (one office for the
            whole process) instead of a new one; ``options`` are then ignored.
        **options: Keyword arguments for the engine class.

    Returns:
        The engine.

    Raises:
        ValueError: For an unknown engine name.
    """
    key = name.strip().lower()
    if key == "formulas":
        from .formulas_engine import FormulasEngine

        return FormulasEngine(**options)
    if key in ("libreoffice", "lo", "soffice"):
        from .libreoffice import LibreOfficeEngine, shared_engine

        return shared_engine() if shared else LibreOfficeEngine(**options)
    if key in ("gnumeric", "ssconvert"):
        from .gnumeric import GnumericEngine

        return GnumericEngine(**options)
    if key == "excel":
        from .excel import ExcelEngine

        return ExcelEngine(**options)
    raise ValueError(f"unknown engine {name!r}; choose one of {', '.join(ENGINE_NAMES)}")


def available_engines() -> dict[str, tuple[bool, str]]:
    """``available()`` of every engine, by name (starts nothing).

    Returns:
        ``{"formulas": (True, ""), "libreoffice": (...), "excel": (False, "...")}``.
    """
    return {name: get_engine(name).available() for name in ENGINE_NAMES}
