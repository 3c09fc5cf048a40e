"""Output paths: files are written only inside the directory the user named.

Names of written files come from specs (``meta.id``), and specs come from workbooks users send back;
the loader holds ids to an identifier pattern, and every write resolves its path and checks it here
as well, so neither a ``..`` nor an absolute name nor a symbolic link can lead a write elsewhere.
"""

from __future__ import annotations

from pathlib import Path

from xlcalc.errors import XlcalcError


def inside(directory: Path, name: str) -> Path:
    """``directory / name``, refused unless it resolves to a file directly inside ``directory``."""
    base = directory.resolve()
    target = (base / name).resolve()
    if target.parent != base or name in ("", ".", ".."):
        raise XlcalcError(f"拒绝写入“{name}”：文件只能写在输出目录 {base} 之内")
    return target
