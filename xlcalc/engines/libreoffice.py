"""LibreOffice Calc, headless, driven over UNO.

One long-lived ``soffice.bin`` process per :class:`LibreOfficeEngine` (started lazily on the
first :meth:`LibreOfficeEngine.open`), with a private profile in a temporary directory that is
initialised once with ``--terminate_after_init``, ``SAL_ENABLE_FILE_LOCKING=0`` and a pipe
connection with a unique name. Documents are private copies loaded hidden with automatic
calculation disabled; :meth:`LibreOfficeBook.recalc` runs ``calculateAll()``.

The pyenv/venv Python usually cannot ``import uno``: Debian ships ``uno.py``/``unohelper.py``
in ``/usr/lib/python3/dist-packages`` and ``pyuno.so`` in ``/usr/lib/libreoffice/program``.
:func:`import_uno` appends the program directory to ``sys.path`` and imports the two modules
through a private temporary directory of symlinks, never putting all of dist-packages on the
path. Install on Debian/Ubuntu with ``apt-get install libreoffice-calc-nogui python3-uno``.
"""

from __future__ import annotations

import atexit
import builtins
import contextlib
import functools
import glob
import itertools
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import weakref
from pathlib import Path
from types import ModuleType
from typing import Any

from .base import (
    Book,
    CellRange,
    Engine,
    EngineError,
    EngineUnavailable,
    ErrorValue,
    cell_name,
    normalize_rows,
    parse_cell,
    parse_range,
)

__all__ = [
    "INSTALL_HINT",
    "LO_ERROR_TEXT",
    "LibreOfficeBook",
    "LibreOfficeEngine",
    "close_shared_engine",
    "error_text",
    "find_soffice",
    "import_uno",
    "shared_engine",
]

log = logging.getLogger(__name__)

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

SOFFICE_FLAGS = ("--headless", "--invisible", "--norestore", "--nodefault", "--nologo", "--nolockcheck")

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


def _set_pdeathsig() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Ask Linux to kill the office if the Python process dies without cleaning up."""
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except Exception:
        pass


_live_engines: weakref.WeakSet[LibreOfficeEngine] = weakref.WeakSet()


def _close_all_engines() -> None:
    for engine in list(_live_engines):
        with contextlib.suppress(Exception):
            engine.close()


atexit.register(_close_all_engines)


class LibreOfficeEngine(Engine):
    """LibreOffice Calc over UNO; one ``soffice.bin`` process per engine instance.

    The office starts on the first :meth:`open` (or :meth:`start`) and stops on :meth:`close`;
    a closed engine starts again on the next :meth:`open`. Use :func:`shared_engine` to share
    one process across a test session.

    Args:
        soffice: Path of ``soffice.bin``; defaults to :func:`find_soffice`.
        start_timeout: Seconds to wait for the office to accept the connection.
        stop_timeout: Seconds to wait for the office to exit after ``terminate()``.
    """

    name = "libreoffice"

    def __init__(self, soffice: str | None = None, start_timeout: float = 60.0, stop_timeout: float = 15.0):
        self.soffice = soffice or find_soffice()
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self._lock = threading.RLock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._tmp: Path | None = None
        self._desktop: Any = None
        self._ctx: Any = None
        self._books: weakref.WeakSet[LibreOfficeBook] = weakref.WeakSet()
        self._counter = itertools.count(1)
        _live_engines.add(self)

    # ------------------------------------------------------------------ engine protocol
    def available(self) -> tuple[bool, str]:
        """Check that ``soffice.bin`` exists and the UNO bridge imports (does not start the office).

        Returns:
            ``(True, "")`` or ``(False, reason)``.
        """
        if not self.soffice or not os.path.isfile(self.soffice):
            return False, f"LibreOffice (soffice.bin) not found; {INSTALL_HINT}"
        try:
            import_uno(self.soffice)
        except EngineUnavailable as exc:
            return False, str(exc)
        return True, ""

    @property
    def running(self) -> bool:
        """True while the office process is alive."""
        return self._proc is not None and self._proc.poll() is None

    @property
    def pid(self) -> int | None:
        """Process id of the running ``soffice.bin`` (None when not running)."""
        return self._proc.pid if self.running and self._proc else None

    def start(self) -> None:
        """Start the office now (otherwise it starts on the first :meth:`open`).

        Raises:
            EngineUnavailable: If LibreOffice or its Python bridge is missing.
            EngineError: If the office does not come up.
        """
        with self._lock:
            if self.running and self._desktop is not None:
                return
            ok, why = self.available()
            if not ok:
                raise EngineUnavailable(why)
            self._shutdown()
            last: Exception | None = None
            for _attempt in range(3):
                try:
                    self._start_once()
                    return
                except EngineError as exc:  # a brand-new profile sometimes dies on first connect
                    last = exc
                    log.warning("LibreOffice start failed, retrying: %s", exc)
                    self._shutdown()
            raise EngineError(f"LibreOffice did not start: {last}")

    def open(self, path: str | Path) -> LibreOfficeBook:
        """Open a private copy of a workbook, hidden, with automatic calculation off.

        Args:
            path: The .xlsx (or .xlsm/.ods) file; it is never modified.

        Returns:
            The open book.

        Raises:
            FileNotFoundError: If ``path`` does not exist.
            EngineUnavailable: If LibreOffice is missing.
            EngineError: If the document cannot be loaded.
        """
        src = Path(path)
        if not src.is_file():
            raise FileNotFoundError(str(src))
        ok, why = self.available()
        if not ok:
            raise EngineUnavailable(why)
        uno = import_uno(self.soffice)
        with self._lock:
            if not self.running or self._desktop is None:
                self.start()
            assert self._tmp is not None
            docs = self._tmp / "docs"
            docs.mkdir(exist_ok=True)
            copy = docs / f"{next(self._counter):04d}_{src.name}"
            shutil.copyfile(src, copy)
            props = (
                _prop(uno, "Hidden", True),
                _prop(uno, "MacroExecutionMode", 0),  # NEVER_EXECUTE
                _prop(uno, "UpdateDocMode", 0),  # NO_UPDATE
            )
            try:
                doc = self._desktop.loadComponentFromURL(
                    uno.systemPathToFileUrl(str(copy)), "_blank", 0, props
                )
            except Exception as exc:
                raise EngineError(f"LibreOffice could not load {src}: {exc}") from exc
            if doc is None or not hasattr(doc, "getSheets"):
                with contextlib.suppress(Exception):
                    if doc is not None:
                        doc.close(True)
                raise EngineError(f"LibreOffice could not load {src} as a spreadsheet")
            doc.enableAutomaticCalculation(False)
            book = LibreOfficeBook(self, doc, src, copy)
            self._books.add(book)
            return book

    def close(self) -> None:
        """Close every open book, terminate the office, wait for it (kill if it hangs), delete the profile."""
        with self._lock:
            for book in list(self._books):
                with contextlib.suppress(Exception):
                    book.close()
            self._shutdown()

    # ------------------------------------------------------------------ internals
    def _start_once(self) -> None:
        uno = import_uno(self.soffice)
        no_connect = uno.getClass("com.sun.star.connection.NoConnectException")

        assert self.soffice is not None
        self._tmp = Path(tempfile.mkdtemp(prefix="xlcalc-lo-"))
        profile_url = uno.systemPathToFileUrl(str(self._tmp / "profile"))
        env = dict(os.environ, SAL_ENABLE_FILE_LOCKING="0")
        env.pop("DISPLAY", None)
        env.pop("WAYLAND_DISPLAY", None)
        log_path = self._tmp / "soffice.log"
        profile_arg = f"-env:UserInstallation={profile_url}"
        try:
            init = subprocess.run(
                [self.soffice, *SOFFICE_FLAGS, "--terminate_after_init", profile_arg],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                timeout=max(self.start_timeout, 30.0),
                check=False,
            )
            if init.returncode != 0:
                log.warning(
                    "soffice.bin profile init exited with %s: %s", init.returncode, init.stderr[-500:]
                )
        except subprocess.TimeoutExpired as exc:
            raise EngineError("soffice.bin --terminate_after_init timed out") from exc
        pipe = f"xlcalc_{os.getpid()}_{uuid.uuid4().hex[:12]}"
        preexec = None
        if sys.platform.startswith("linux") and threading.current_thread() is threading.main_thread():
            preexec = _set_pdeathsig
        with open(log_path, "wb") as log_file:
            self._proc = subprocess.Popen(
                [
                    self.soffice,
                    *SOFFICE_FLAGS,
                    profile_arg,
                    f"--accept=pipe,name={pipe};urp;StarOffice.ComponentContext",
                ],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=log_file,
                preexec_fn=preexec,  # noqa: PLW1509
            )
        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
        url = f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext"
        deadline = time.monotonic() + self.start_timeout
        while True:
            rc = self._proc.poll()
            if rc is not None:
                raise EngineError(f"soffice.bin exited with code {rc} while starting; {_tail(log_path)}")
            try:
                ctx = resolver.resolve(url)
                break
            except no_connect:
                if time.monotonic() > deadline:
                    raise EngineError(
                        f"soffice.bin did not accept a connection within {self.start_timeout:.0f} s"
                    ) from None
                time.sleep(0.1)
            except Exception as exc:  # bridge died mid-handshake
                raise EngineError(f"connecting to soffice.bin failed: {exc}") from exc
        desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
        if desktop is None:
            raise EngineError("soffice.bin gave no Desktop service")
        self._ctx, self._desktop = ctx, desktop
        log.debug("LibreOffice started: pid %s, pipe %s", self._proc.pid, pipe)

    def _shutdown(self) -> None:
        desktop, proc, tmp = self._desktop, self._proc, self._tmp
        self._desktop = self._ctx = None
        self._proc = None
        self._tmp = None
        if desktop is not None and proc is not None and proc.poll() is None:
            with contextlib.suppress(Exception):  # the bridge drops while terminating
                desktop.terminate()
        if proc is not None:
            try:
                proc.wait(timeout=self.stop_timeout)
            except subprocess.TimeoutExpired:
                log.warning("soffice.bin (pid %s) did not exit; killing it", proc.pid)
                proc.kill()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=10)
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)

    def _forget(self, book: LibreOfficeBook) -> None:
        self._books.discard(book)

    def __del__(self) -> None:  # pragma: no cover - best effort
        with contextlib.suppress(Exception):
            if self._proc is not None:
                self.close()


def _prop(uno: ModuleType, name: str, value: Any) -> Any:
    pv = uno.createUnoStruct("com.sun.star.beans.PropertyValue")
    pv.Name = name
    pv.Value = value
    return pv


def _tail(path: Path, n: int = 800) -> str:
    try:
        text = path.read_bytes()[-n:].decode("utf-8", "replace").strip()
    except OSError:
        return "no log"
    return f"log: {text}" if text else "empty log"


class LibreOfficeBook(Book):
    """A workbook open in LibreOffice (a private copy of the file)."""

    def __init__(self, engine: LibreOfficeEngine, doc: Any, source: Path, copy: Path):
        self.engine = engine
        self.doc = doc
        self.source = source
        self._copy = copy
        self._dirty = True  # cached values in the file may be stale: recalculate before the first read
        self._sheets: dict[str, Any] = {}
        self._ranges: dict[tuple[str, int, int, int, int], Any] = {}
        self._parser: Any = None
        self._closed = False

    # ------------------------------------------------------------------ book protocol
    @property
    def sheet_names(self) -> list[str]:
        """Names of the sheets, in order."""
        return list(self.doc.Sheets.getElementNames())

    def write(self, sheet: str, top_left: str, rows: list[list[Any]]) -> None:
        """Write a block of values with one ``setDataArray`` call (None/"" clears, bool → 1.0/0.0).

        Args:
            sheet: Sheet name.
            top_left: A1 address of the top-left cell.
            rows: Row-major values.
        """
        block = normalize_rows(rows)
        r, c = parse_cell(top_left)
        data = tuple(tuple(_to_lo(v) for v in row) for row in block)
        key = (sheet, r, c, len(block), len(block[0]))
        rng = self._ranges.get(key)
        if rng is None:  # looking a range up costs a UNO round trip as dear as the write itself
            sh = self._sheet(sheet)
            rng = sh.getCellRangeByPosition(c - 1, r - 1, c - 2 + len(block[0]), r - 2 + len(block))
            self._ranges[key] = rng
        rng.setDataArray(data)
        self._dirty = True

    def read(self, sheet: str, a1_range: str) -> list[list[Any]]:
        """Read a block with one ``getDataArray`` call, plus one query each for empty and error cells
        when the block holds values that may be either.

        Args:
            sheet: Sheet name.
            a1_range: A1 range; whole columns/rows are trimmed to the used area.

        Returns:
            Rows of float/str/None/ErrorValue (booleans come back as 1.0/0.0).
        """
        self._ensure_calculated()
        sh = self._sheet(sheet)
        rng = self._resolve(sh, a1_range)
        assert rng.r2 is not None and rng.c2 is not None
        key = (sheet, rng.r1, rng.c1, rng.r2 - rng.r1 + 1, rng.c2 - rng.c1 + 1)
        cells = self._ranges.get(key)
        if cells is None:
            cells = sh.getCellRangeByPosition(rng.c1 - 1, rng.r1 - 1, rng.c2 - 1, rng.r2 - 1)
            self._ranges[key] = cells
        # getDataArray gives "" for an empty cell and for a formula's "", and None for an error; the
        # dearer queries (a few ms each) run only when the block holds such values.
        out: list[list[Any]] = [list(row) for row in cells.getDataArray()]
        if any(v == "" for row in out for v in row):
            for row, texts in zip(out, cells.getFormulaArray(), strict=True):
                for c, text in enumerate(texts):
                    if text == "":  # nothing in the cell, not even a formula
                        row[c] = None
        if any(v is None for row in out for v in row):
            for addr in cells.queryFormulaCells(
                _const("com.sun.star.sheet.FormulaResult.ERROR")
            ).getRangeAddresses():
                for r in range(addr.StartRow, addr.EndRow + 1):
                    for c in range(addr.StartColumn, addr.EndColumn + 1):
                        code = sh.getCellByPosition(c, r).getError()
                        out[r - rng.r1 + 1][c - rng.c1 + 1] = ErrorValue(error_text(code))
        return out

    def invalidate(self) -> None:
        """Cells were changed through UNO directly: recalculate before the next read."""
        self._dirty = True

    def recalc(self) -> None:
        """Recalculate every formula (``calculateAll``)."""
        self.doc.calculateAll()
        self._dirty = False

    def errors(self) -> list[tuple[str, str, str]]:
        """Every formula cell holding an error, found with ``queryFormulaCells(ERROR)`` per sheet.

        Returns:
            ``(sheet, address, error text)`` in sheet order, then row, then column.
        """
        error = _const("com.sun.star.sheet.FormulaResult.ERROR")
        self._ensure_calculated()
        found: list[tuple[str, str, str]] = []
        sheets = self.doc.Sheets
        for name in sheets.getElementNames():
            sh = sheets.getByName(name)
            hits: list[tuple[int, int, str]] = []
            for addr in sh.queryFormulaCells(error).getRangeAddresses():
                for r in range(addr.StartRow, addr.EndRow + 1):
                    for c in range(addr.StartColumn, addr.EndColumn + 1):
                        hits.append((r, c, error_text(sh.getCellByPosition(c, r).getError())))
            found.extend((name, cell_name(r + 1, c + 1), text) for r, c, text in sorted(hits))
        return found

    def formula(self, sheet: str, cell: str) -> str:
        """Formula of a cell in Excel (OOXML) syntax, e.g. ``=_xlfn.RANK.EQ(B2,$B$2:$B$5,0)``.

        Returns:
            The formula with a leading ``=``, or ``""`` for a cell without formula.
        """
        r, c = parse_cell(cell)
        xcell = self._sheet(sheet).getCellByPosition(c - 1, r - 1)
        if xcell.getType().value != "FORMULA":
            return ""
        try:
            return "=" + self._formula_parser().printFormula(xcell.getTokens(), xcell.getCellAddress())
        except Exception:  # fall back to LibreOffice's own syntax
            return str(xcell.getFormula())

    def close(self) -> None:
        """Close the document (discarding changes) and delete the private copy."""
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(Exception):
            self.doc.close(True)
        with contextlib.suppress(OSError):
            self._copy.unlink()
        self.engine._forget(self)

    # ------------------------------------------------------------------ helpers
    def used_extent(self, sheet: str) -> tuple[int, int]:
        """``(last used row, last used column)`` of a sheet, 1-based (at least ``(1, 1)``)."""
        return _used_extent(self._sheet(sheet))

    def _ensure_calculated(self) -> None:
        if self._dirty:
            self.recalc()

    def _sheet(self, name: str) -> Any:
        if self._closed:
            raise EngineError("book is closed")
        sh = self._sheets.get(name)
        if sh is None:
            sheets = self.doc.Sheets
            if not sheets.hasByName(name):
                raise KeyError(f"no sheet {name!r}; sheets: {list(sheets.getElementNames())}")
            sh = self._sheets[name] = sheets.getByName(name)
        return sh

    def _resolve(self, sh: Any, a1_range: str) -> CellRange:
        rng = parse_range(a1_range)
        if rng.whole:
            rng = rng.trimmed(*_used_extent(sh))
        return rng

    def _formula_parser(self) -> Any:
        if self._parser is None:
            parser = self.doc.createInstance("com.sun.star.sheet.FormulaParser")
            mapper = self.doc.createInstance("com.sun.star.sheet.FormulaOpCodeMapper")
            parser.FormulaConvention = _const("com.sun.star.sheet.AddressConvention.XL_A1")
            parser.CompileEnglish = True
            parser.OpCodeMap = mapper.getAvailableMappings(
                _const("com.sun.star.sheet.FormulaLanguage.OOXML"),
                _const("com.sun.star.sheet.FormulaMapGroup.ALL_EXCEPT_SPECIAL"),
            )
            self._parser = parser
        return self._parser


@functools.cache
def _const(name: str) -> Any:
    return import_uno().getConstantByName(name)


def _used_extent(sh: Any) -> tuple[int, int]:
    cursor = sh.createCursor()
    cursor.gotoEndOfUsedArea(False)
    addr = cursor.getRangeAddress()
    return addr.EndRow + 1, addr.EndColumn + 1


def _to_lo(v: Any) -> Any:
    if v is None:
        return ""
    if isinstance(v, bool):
        return 1.0 if v else 0.0
    return v


_shared_lock = threading.Lock()
_shared: LibreOfficeEngine | None = None


def shared_engine() -> LibreOfficeEngine:
    """A process-wide :class:`LibreOfficeEngine`, created on first use (the office starts on first open).

    Closing it is allowed: it starts again on the next ``open``. It is closed at interpreter exit.

    Returns:
        The shared engine.
    """
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = LibreOfficeEngine()
        return _shared


def close_shared_engine() -> None:
    """Shut down the shared engine if it was started."""
    with _shared_lock:
        engine = _shared
    if engine is not None:
        engine.close()
