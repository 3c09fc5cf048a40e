"""Finding LibreOffice and importing its Python bridge (``uno``) from any Python.

The pyenv/venv Python usually cannot ``import uno``: Debian ships ``uno.py``/``unohelper.py``
in ``/usr/lib/python3/dist-packages`` and ``pyuno.so`` in ``/usr/lib/libreoffice/program``.
:func:`import_uno` appends the program directory to ``sys.path`` and imports the two modules
through a private temporary directory of symlinks, never putting all of dist-packages on the
path. Install on Debian/Ubuntu with ``apt-get install libreoffice-calc-nogui python3-uno``.
"""

from __future__ import annotations

import builtins
import contextlib
import functools
import glob
import os
import shutil
import sys
import tempfile
import threading
from types import ModuleType
from typing import Any

from .base import EngineUnavailable

INSTALL_HINT = (
    "install LibreOffice Calc and its Python bridge, e.g. on Debian/Ubuntu "
    "`apt-get install libreoffice-calc-nogui python3-uno`, or point XLCALC_SOFFICE_BIN at soffice.bin"
)

#: LibreOffice error codes (``XCell.getError()``) and the text Excel shows for them.
LO_ERROR_TEXT: dict[int, str] = {
    502: "#NUM!",  # invalid argument
    503: "#NUM!",  # illegal floating point operation / overflow
    519: "#VALUE!",
    521: "#NULL!",
    523: "#NUM!",  # no convergence
    524: "#REF!",
    525: "#NAME?",
    532: "#DIV/0!",
    32767: "#N/A",
}

_SOFFICE_CANDIDATES = (
    "/usr/lib/libreoffice/program/soffice.bin",
    "/usr/lib64/libreoffice/program/soffice.bin",
    "/usr/local/lib/libreoffice/program/soffice.bin",
    "/opt/libreoffice*/program/soffice.bin",
    "/snap/libreoffice/current/lib/libreoffice/program/soffice.bin",
    "/Applications/LibreOffice.app/Contents/MacOS/soffice",
)
_UNO_PY_DIRS = (
    "/usr/lib/python3/dist-packages",
    "/usr/lib/python3/site-packages",
    "/usr/lib64/python3*/site-packages",
    "/usr/lib/python3*/site-packages",
)

_uno_lock = threading.Lock()
_uno_module: ModuleType | None = None
_uno_error: str | None = None


def error_text(code: int) -> str:
    """Excel-style text of a LibreOffice error code (``532`` → ``"#DIV/0!"``, else ``"Err:NNN"``)."""
    return LO_ERROR_TEXT.get(int(code), f"Err:{int(code)}")


def find_soffice() -> str | None:
    """Locate ``soffice.bin`` (``$XLCALC_SOFFICE_BIN`` first), or return None."""
    env = os.environ.get("XLCALC_SOFFICE_BIN")
    if env:
        return env if os.path.isfile(env) else None
    for pattern in _SOFFICE_CANDIDATES:
        for path in sorted(glob.glob(pattern)):
            if os.path.isfile(path) and os.access(path, os.X_OK):
                return path
    return None


def import_uno(soffice: str | None = None) -> ModuleType:
    """Import the ``uno`` module, making it importable from a non-system Python if needed.

    Appends LibreOffice's program directory (``pyuno.so``) to ``sys.path`` and imports
    ``uno.py``/``unohelper.py`` from a private temporary directory of symlinks, so the rest
    of ``dist-packages`` never shadows this interpreter's packages.

    Args:
        soffice: Path of ``soffice.bin``; located with :func:`find_soffice` if omitted.

    Returns:
        The imported ``uno`` module.

    Raises:
        EngineUnavailable: If the bridge cannot be imported.
    """
    global _uno_module, _uno_error
    with _uno_lock:
        if _uno_module is not None:
            return _uno_module
        if _uno_error is not None:
            raise EngineUnavailable(_uno_error)
        try:
            _uno_module = _import_uno_unlocked(soffice)
        except EngineUnavailable as exc:
            _uno_error = str(exc)
            raise
        return _uno_module


def _import_uno_unlocked(soffice: str | None) -> ModuleType:
    # uno.py replaces builtins.__import__ with a hook for ``from com.sun.star... import X``; the
    # hook turns ModuleNotFoundError into plain ImportError and breaks code that catches the
    # former (tqdm does). This module uses uno.getClass/getConstantByName instead, so the
    # original import function is put back.
    saved_import = builtins.__import__
    try:
        return _import_uno_modules(soffice)
    finally:
        builtins.__import__ = saved_import


def _import_uno_modules(soffice: str | None) -> ModuleType:
    try:
        import uno  # type: ignore[import-not-found]
        import unohelper  # type: ignore[import-not-found]  # noqa: F401

        return uno
    except ImportError:
        pass
    soffice = soffice or find_soffice()
    if not soffice:
        raise EngineUnavailable(f"LibreOffice (soffice.bin) not found; {INSTALL_HINT}")
    program_dir = os.path.dirname(os.path.realpath(soffice))
    pyuno = [p for p in glob.glob(os.path.join(program_dir, "pyuno*")) if p.endswith((".so", ".pyd"))]
    if not pyuno:
        raise EngineUnavailable(f"pyuno not found next to {soffice}; {INSTALL_HINT}")
    src_dir = None
    for pattern in (program_dir, *_UNO_PY_DIRS):
        for d in sorted(glob.glob(pattern)):
            if os.path.isfile(os.path.join(d, "uno.py")) and os.path.isfile(os.path.join(d, "unohelper.py")):
                src_dir = d
                break
        if src_dir:
            break
    if src_dir is None:
        raise EngineUnavailable(f"uno.py/unohelper.py not found; {INSTALL_HINT}")
    if program_dir not in sys.path:
        sys.path.append(program_dir)
    link_dir = None
    if src_dir != program_dir:
        link_dir = tempfile.mkdtemp(prefix="xlcalc-uno-")
        for name in ("uno.py", "unohelper.py"):
            target = os.path.join(src_dir, name)
            try:
                os.symlink(target, os.path.join(link_dir, name))
            except OSError:
                shutil.copyfile(target, os.path.join(link_dir, name))
        sys.path.append(link_dir)
    try:
        import uno  # type: ignore[import-not-found]
        import unohelper  # type: ignore[import-not-found]  # noqa: F401
    except Exception as exc:  # ImportError, or an ABI mismatch surfacing as another error
        raise EngineUnavailable(
            f"cannot import the LibreOffice Python bridge (pyuno in {program_dir}, uno.py in {src_dir}) "
            f"from Python {sys.version.split()[0]}: {exc}; the bridge must match this Python's "
            f"major.minor version; {INSTALL_HINT}"
        ) from exc
    finally:
        if link_dir is not None:
            # The modules are loaded; the symlinks are not needed any more.
            with contextlib.suppress(ValueError):
                sys.path.remove(link_dir)
            shutil.rmtree(link_dir, ignore_errors=True)
    return uno


@functools.cache
def _const(name: str) -> Any:
    return import_uno().getConstantByName(name)


def _prop(uno: ModuleType, name: str, value: Any) -> Any:
    pv = uno.createUnoStruct("com.sun.star.beans.PropertyValue")
    pv.Name = name
    pv.Value = value
    return pv
