"""Located errors: every user mistake names its file, line and path (or sheet and cell)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Diagnostic:
    """One finding: ``level`` is "error" or "warning"."""

    level: str
    message: str
    file: str = ""
    line: int | None = None
    path: str = ""

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
        if self.path:
            where += f" ({self.path})"
        prefix = "错误" if self.level == "error" else "警告"
        return f"{where}: {prefix}: {self.message}" if where else f"{prefix}: {self.message}"


class XlcalcError(Exception):
    """Base class of errors meant for the user (reported without a traceback)."""


@dataclass
class SpecError(XlcalcError):
    """One or more errors in a rubric spec."""

    diagnostics: list[Diagnostic] = field(default_factory=list)

    def __str__(self) -> str:
        return "\n".join(str(d) for d in self.diagnostics)


class InputError(XlcalcError):
    """Bad input data (inputs file, filled workbook)."""
