"""The import contracts (pyproject.toml, [tool.importlinter]): the pipeline's layers import only
downward. Function-level imports, which used to hide cycles, are forbidden by ruff (PLC0415) except
the lazily loaded heavy dependencies listed in [tool.ruff.lint.flake8-tidy-imports]."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_import_contracts_are_kept() -> None:
    exe = shutil.which("lint-imports")
    assert exe, "import-linter is missing: pip install -e '.[dev]'"
    # --no-cache: a cache left by another checkout must not answer for this one.
    result = subprocess.run([exe, "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
