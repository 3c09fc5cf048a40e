"""The VBA the .xlsm templates embed: xlcalc's modules (``xlcalc/vba/*.bas``, lowered to the ANSI
code page with ``ChrW``) and, for the verify button, xlwings' standalone VBA of the pinned release.

VBA keeps module source in the project's ANSI code page (1252 here), which cannot hold Chinese;
so string literals holding non-ASCII characters in the ``.bas`` files are rewritten into
``ChrW(n)`` calls (:func:`lower_vba_source`).
"""

from __future__ import annotations

import importlib.util
import re
from dataclasses import dataclass
from pathlib import Path

from pyopenvba.vba import normalize_class_source

#: The xlwings release whose VBA (``xlwings.bas`` + ``Dictionary.cls``) is embedded.
#: Users' Python xlwings must be this exact version (``pip install xlwings==0.37.8``).
XLWINGS_VBA_VERSION = "0.37.8"


_VBA_LINE_LIMIT = 1023


@dataclass(frozen=True)
class VbaModule:
    """One module as embedded: its VBA name, kind and source (CRLF line ends)."""

    name: str
    kind: str  # "standard" or "class"
    source: str
    origin: str  # where the source came from, for messages and reports


def _crlf(text: str) -> str:
    """``text`` with every line ending CRLF and a final line end."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return "".join(line + "\r\n" for line in lines)


def _split_code_comment(line: str) -> tuple[list[tuple[str, str]], str]:
    """Split a VBA line into code pieces and a trailing comment.

    Returns ``([(kind, text), ...], comment)`` where kind is ``"code"`` or ``"string"`` (a literal
    with its quotes, ``""`` escapes kept) and ``comment`` starts at the ``'`` (or is empty).
    ``Rem`` comments are only recognised at the start of a line.
    """
    if re.match(r"\s*Rem(\s|$)", line, flags=re.IGNORECASE):
        return [], line
    pieces: list[tuple[str, str]] = []
    i, start, n = 0, 0, len(line)
    while i < n:
        ch = line[i]
        if ch == '"':
            if i > start:
                pieces.append(("code", line[start:i]))
            j = i + 1
            while j < n:
                if line[j] == '"':
                    if j + 1 < n and line[j + 1] == '"':
                        j += 2
                        continue
                    break
                j += 1
            if j >= n:
                raise ValueError(f"unterminated string literal in VBA line: {line!r}")
            pieces.append(("string", line[i : j + 1]))
            i = start = j + 1
            continue
        if ch == "'":
            if i > start:
                pieces.append(("code", line[start:i]))
            return pieces, line[i:]
        i += 1
    if start < n:
        pieces.append(("code", line[start:]))
    return pieces, ""


def _lower_literal(literal: str) -> str:
    """A VBA expression equal to the string ``literal`` (quotes included) using only ASCII."""
    body = literal[1:-1]
    if body.isascii():
        return literal
    parts: list[str] = []
    ascii_run = ""
    for ch in body:
        if ch.isascii():
            ascii_run += ch
            continue
        if ascii_run:
            parts.append(f'"{ascii_run}"')
            ascii_run = ""
        code = ord(ch)
        if code > 0xFFFF:
            raise ValueError(f"character {ch!r} is outside the Basic Multilingual Plane: ChrW cannot make it")
        parts.append(f"ChrW({code})")
    if ascii_run:
        parts.append(f'"{ascii_run}"')
    # CStr(...) rather than bare parentheses: a call statement whose first argument starts with "("
    # (MsgBox ("x") & y, ...) is one VBA's parser may take for a parenthesised argument list.
    return "CStr(" + " & ".join(parts) + ")"


def lower_vba_source(source: str, origin: str = "<vba>") -> str:
    """Rewrite non-ASCII string literals into ``ChrW`` calls; CRLF line ends.

    ``"重新计算"`` becomes ``CStr(ChrW(37325) & ChrW(26032) & ChrW(35745) & ChrW(31639))`` (decimal code
    points: ``&H`` literals above 7FFF are negative Integers in VBA and LibreOffice Basic).  Anything
    else must already be ASCII: a comment or identifier with non-ASCII text, a ``Const`` holding it
    (a Const cannot call ChrW), or a line that grows past VBA's 1023 characters raises ValueError.
    ASCII-only source comes back unchanged except for line ends.
    """
    out: list[str] = []
    for number, line in enumerate(_crlf(source).split("\r\n")[:-1], start=1):
        if line.isascii():
            out.append(line)
            continue
        where = f"{origin}:{number}"
        pieces, comment = _split_code_comment(line)
        if not comment.isascii():
            raise ValueError(f"{where}: comments in VBA sources must be ASCII")
        code_text = "".join(text for kind, text in pieces if kind == "code")
        if not code_text.isascii():
            raise ValueError(f"{where}: non-ASCII text outside a string literal")
        if re.match(r"\s*((Public|Private|Global)\s+)?Const\s", code_text, flags=re.IGNORECASE):
            raise ValueError(f"{where}: a Const cannot hold non-ASCII text (use a Function)")
        lowered = "".join(text if kind == "code" else _lower_literal(text) for kind, text in pieces) + comment
        if len(lowered) > _VBA_LINE_LIMIT:
            raise ValueError(f"{where}: line is {len(lowered)} characters once lowered (VBA allows 1023)")
        out.append(lowered)
    return "".join(line + "\r\n" for line in out)


def _module_name(source: str, origin: str) -> str:
    found = re.search(r'^Attribute VB_Name = "([^"]+)"', source, flags=re.MULTILINE)
    if not found:
        raise ValueError(f"{origin}: no 'Attribute VB_Name' line")
    return found.group(1)


#: VB_Base of a plain class module: its Subs are methods, not macros a button can run.
_CLASS_MODULE_BASE = "0{FCFB3D2A-A0FA-1068-A738-08002B3371B5}"


def public_macros(source: str) -> list[str]:
    """Names of the argument-less public Subs in a module: what a button can run.

    A class module (``Attribute VB_Base`` of a plain class, or an exported ``VERSION ... CLASS``
    file) has none.
    """
    if _CLASS_MODULE_BASE in source or source.startswith("VERSION "):
        return []
    found = re.finditer(
        r"^[ \t]*(?:Public[ \t]+)?Sub[ \t]+([A-Za-z_][A-Za-z0-9_]*)[ \t]*\([ \t]*\)",
        _crlf(source),
        flags=re.MULTILINE | re.IGNORECASE,
    )
    return [match.group(1) for match in found]


def _read_text(path: Path) -> str:
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252")


def _xlcalc_bas(name: str) -> Path:
    return Path(__file__).resolve().parent / "vba" / name


def _xlwings_dir() -> Path:
    spec = importlib.util.find_spec("xlwings")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("xlwings is not installed: its VBA is needed for the verify button")
    return Path(next(iter(spec.submodule_search_locations)))


def _embedded_version(source: str, pattern: str) -> str | None:
    found = re.search(pattern, source)
    return found.group(1) if found else None


def vba_modules(*, include_verify: bool = True, xlwings: bool = False) -> list[VbaModule]:
    """The modules xlcalc embeds, sources as they go into the project (lowered, CRLF).

    ``xlcalc_recalc`` always; with ``include_verify`` also ``xlcalc_verify`` (it calls RunPython
    late-bound, so it compiles without xlwings); with ``xlwings`` too, xlwings' standalone VBA
    (``xlwings`` and the ``Dictionary`` class it uses on macOS), read from the installed xlwings
    package, which must be :data:`XLWINGS_VBA_VERSION`. A project holding xlwings' VBA runs in
    desktop Excel only: LibreOffice compiles a project's modules together and xlwings' do not
    compile there, so it would run no macro at all (not even 重新计算).
    """
    recalc_path = _xlcalc_bas("recalc.bas")
    recalc = lower_vba_source(_read_text(recalc_path), recalc_path.name)
    modules = [VbaModule(_module_name(recalc, recalc_path.name), "standard", recalc, str(recalc_path))]
    if not include_verify:
        return modules
    verify_path = _xlcalc_bas("verify.bas")
    verify = lower_vba_source(_read_text(verify_path), verify_path.name)
    declared = _embedded_version(verify, r'XLCALC_XLWINGS_VERSION As String = "([^"]+)"')
    if declared != XLWINGS_VBA_VERSION:
        raise RuntimeError(
            f"verify.bas declares xlwings {declared!r}, xlcalc.xlsm.XLWINGS_VBA_VERSION is {XLWINGS_VBA_VERSION!r}"
        )
    modules.append(VbaModule(_module_name(verify, verify_path.name), "standard", verify, str(verify_path)))
    return modules + xlwings_modules() if xlwings else modules


def xlwings_modules() -> list[VbaModule]:
    """xlwings' standalone VBA of the pinned release (module ``xlwings``, class ``Dictionary``), as
    embedded by ``xlcalc build --xlwings`` and as an Excel user imports it by hand (docs/excel.md)."""
    modules: list[VbaModule] = []
    xlwings_dir = _xlwings_dir()
    xlwings_path = xlwings_dir / "xlwings.bas"
    dictionary_path = xlwings_dir / "addin" / "Dictionary.cls"
    xlwings_source = _crlf(_read_text(xlwings_path))
    found_version = _embedded_version(xlwings_source, r'Public Const XLWINGS_VERSION As String = "([^"]+)"')
    if found_version != XLWINGS_VBA_VERSION:
        raise RuntimeError(
            f"the installed xlwings ships VBA version {found_version!r}, but xlcalc embeds "
            f"{XLWINGS_VBA_VERSION!r} (pin xlwings=={XLWINGS_VBA_VERSION}, or update XLWINGS_VBA_VERSION "
            "and verify.bas together)"
        )
    if not xlwings_source.isascii():
        raise RuntimeError(f"{xlwings_path} is not ASCII; cannot embed it unchanged")
    modules.append(
        VbaModule(_module_name(xlwings_source, "xlwings.bas"), "standard", xlwings_source, str(xlwings_path))
    )
    # In the stream form VBA stores (the .cls export preamble dropped, VB_Base added), so the
    # source here is what reads back from the project.
    dictionary_source = _crlf(normalize_class_source(_crlf(_read_text(dictionary_path))))
    modules.append(
        VbaModule(
            _module_name(dictionary_source, "Dictionary.cls"),
            "class",
            dictionary_source,
            str(dictionary_path),
        )
    )
    return modules
