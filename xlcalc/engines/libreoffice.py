"""LibreOffice Calc, headless, driven over UNO.

One long-lived ``soffice.bin`` process per :class:`LibreOfficeEngine` (started lazily on the
first :meth:`LibreOfficeEngine.open`), with a private profile in a temporary directory that is
initialised once with ``--terminate_after_init``, ``SAL_ENABLE_FILE_LOCKING=0`` and a pipe
connection with a unique name. Documents are private copies loaded hidden with automatic
calculation disabled; :meth:`LibreOfficeBook.recalc` runs ``calculateAll()``.

The book (and the sheet operations the Excel bridge uses) is in libreoffice_book.py; finding
LibreOffice and importing ``uno`` from any Python is in libreoffice_uno.py.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
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
from typing import Any

from .base import (
    Engine,
    EngineError,
    EngineUnavailable,
)
from .libreoffice_book import LibreOfficeBook
from .libreoffice_uno import (  # noqa: F401  (re-exported)
    INSTALL_HINT,
    LO_ERROR_TEXT,
    _prop,
    error_text,
    find_soffice,
    import_uno,
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

SOFFICE_FLAGS = ("--headless", "--invisible", "--norestore", "--nodefault", "--nologo", "--nolockcheck")


def _set_pdeathsig() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Ask Linux to kill the office if the Python process dies without cleaning up."""
    try:
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


def _tail(path: Path, n: int = 800) -> str:
    try:
        text = path.read_bytes()[-n:].decode("utf-8", "replace").strip()
    except OSError:
        return "no log"
    return f"log: {text}" if text else "empty log"


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
