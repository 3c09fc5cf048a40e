"""The import contracts (pyproject.toml, [tool.importlinter]): the pipeline's layers import only
downward. Function-level imports, which used to hide cycles, are forbidden by ruff (PLC0415) except
the lazily loaded heavy dependencies listed in [tool.ruff.lint.flake8-tidy-imports]."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_import_contracts_are_kept() -> None:
    # Through this interpreter, not the lint-imports script: a user install may leave the script off
    # PATH. --no-cache: a cache left by another checkout must not answer for this one.
    command = "import sys; from importlinter.cli import lint_imports_command as lint; sys.exit(lint())"
    result = subprocess.run(
        [sys.executable, "-c", command, "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
