"""The ``formulas`` pure-Python engine (1.3.x), with Excel-faithful replacements for its wrong functions.

``formulas`` compiles a workbook into a dependency graph: ``ExcelModel().loads(path).finish()``;
:meth:`FormulasBook.recalc` dispatches it once per write batch with every written cell as an
input. Its node names look like ``'[book.xlsx]SHEETNAME'!B2`` (sheet upper-cased); the book
hides them behind sheet/A1 addressing.

formulas 1.3.4 gives wrong answers for several functions (see ``shared/ENGINES.md``); the
Excel-faithful replacements are in formulas_corrections.py (numbers) and formulas_text.py (text),
the book in formulas_book.py. Only the tested formulas release is accepted (a hard error otherwise;
``XLCALC_FORMULAS_UNTESTED=1`` lets you try another, with any correction that no longer applies
named in the log).
"""

from __future__ import annotations

import logging
import os
import weakref
from pathlib import Path

from xlcalc.xlruntime import excel_round, number_text

from .base import Engine, EngineUnavailable
from .formulas_book import FormulasBook
from .formulas_corrections import FUTURE_FUNCTIONS, approx_equal, corrected_formulas, round15
from .formulas_fast import TESTED_VERSION

__all__ = [
    "FUTURE_FUNCTIONS",
    "FormulasBook",
    "FormulasEngine",
    "approx_equal",
    "corrected_formulas",
    "excel_round",
    "number_text",
    "round15",
]

log = logging.getLogger(__name__)

INSTALL_HINT = "install it with `pip install formulas==1.3.4`"
# Set to try an untested formulas release (the corrections were written against TESTED_VERSION).
UNTESTED_ENV = "XLCALC_FORMULAS_UNTESTED"


class FormulasEngine(Engine):
    """The ``formulas`` pure-Python engine with corrected Excel functions.

    Args:
        corrected: Apply :func:`corrected_formulas` (default). ``False`` gives upstream answers.
        fast: Recalculate with :class:`~xlcalc.engines.formulas_fast.FastPlan` (straight-line
            calls of formulas' own compiled functions), falling back to formulas' scheduler
            for what it does not handle (logged). ``False`` always uses formulas' scheduler.
    """

    name = "formulas"

    def __init__(self, corrected: bool = True, fast: bool = True):
        self.corrected = corrected
        self.fast = fast
        self._books: weakref.WeakSet[FormulasBook] = weakref.WeakSet()

    def available(self) -> tuple[bool, str]:
        """Check that ``formulas`` imports and is the release the corrections were tested on.

        Returns:
            ``(True, "")`` or ``(False, reason)``.
        """
        try:
            import formulas
        except Exception as exc:  # ImportError or a broken dependency
            return False, f"the formulas package cannot be imported ({exc}); {INSTALL_HINT}"
        version = getattr(formulas, "__version__", "?")
        if version != TESTED_VERSION:
            if not os.environ.get(UNTESTED_ENV):
                return False, (
                    f"formulas {version} is not the tested {TESTED_VERSION} (its corrections were written "
                    f"for it); {INSTALL_HINT}, or set {UNTESTED_ENV}=1 to try it"
                )
            log.warning("formulas %s: corrections were written for %s", version, TESTED_VERSION)
        return True, ""

    def open(self, path: str | Path) -> FormulasBook:
        """Compile a workbook (a private copy) into a formulas model.

        Args:
            path: The .xlsx file.

        Returns:
            The open book.

        Raises:
            FileNotFoundError: If ``path`` does not exist.
            EngineUnavailable: If formulas cannot be imported.
        """
        ok, why = self.available()
        if not ok:
            raise EngineUnavailable(why)
        book = FormulasBook(Path(path), corrected=self.corrected, fast=self.fast)
        self._books.add(book)
        return book

    def close(self) -> None:
        """Close every open book."""
        for book in list(self._books):
            book.close()
