"""Bounded opening of an untrusted Office package (.xlsx, .xlsm, .docx): the zip layer.

A file from outside may be damaged or hostile. :class:`ZipPackage` never trusts what the zip says
about itself: it reads at most ``Limits.file_bytes``, recognises empty files, old binary and
encrypted Office files and non-zip files with one Chinese message each, checks the directory (entry
count, duplicate names, declared sizes, their total, the compression ratio) and caps every member
while decompressing it, so a zip bomb or a lying size field stops at ``Limits.member_bytes`` /
``Limits.total_bytes`` of output. :meth:`ZipPackage.check_all_parts` decompresses every member
once within those caps, for readers (openpyxl, python-docx) that would otherwise trust the zip.
:class:`~xlcalc.workbook.untrusted.UntrustedBook` builds the workbook reader on it.
"""

from __future__ import annotations

import io
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.parsers.expat import ExpatError

from defusedxml import DefusedXmlException

from xlcalc.errors import InputError
from xlcalc.workbook.sheetxml import Forbidden

MB = 1 << 20
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED = "EncryptedPackage".encode("utf-16-le")


@dataclass(frozen=True)
class Limits:
    """Hard caps for one returned workbook (real templates use under 1% of each)."""

    file_bytes: int = 64 * MB
    entries: int = 4096
    member_bytes: int = 16 * MB  # decompressed, per zip member (a 1,000-unit sheet: about 4 MB)
    total_bytes: int = 96 * MB  # decompressed, all parts read together, re-reads included
    ratio: int = 200  # declared/compressed size, checked for members over 1 MB
    xml_part_bytes: int = 4 * MB  # workbook.xml, relationships: parsed as one tree
    cell_chars: int = 32767  # Excel's own limit for a cell's text
    shared_formulas: int = 100_000
    spec_lines: int = 20_000  # rows of _规格 read
    spec_chars: int = 1_000_000  # characters of _规格 text passed to the YAML loader
    units: int = 1000  # unit rows a ranked workbook may claim


# What the refusals call the file, by the kind of package expected.
_WORDS = {
    ".xlsx": {
        "old": "这是旧版 .xls（或其他 Office 二进制）文件，不是 .xlsx；请在 Excel/WPS 中另存为 .xlsx",
        "encrypted": "工作簿已加密（设置了打开密码），无法检查；请去掉密码后另存为 .xlsx 再发送",
        "not_zip": "不是 .xlsx/.xlsm 工作簿（文件不是 zip 包，可能是改了扩展名的其他文件）",
        "empty": "文件为空（0 字节），不是工作簿",
        "damaged": "工作簿已损坏",
    },
    ".docx": {
        "old": "这是旧版 .doc（或其他 Office 二进制）文件，不是 .docx；请在 Word/WPS 中另存为 .docx",
        "encrypted": "文档已加密（设置了打开密码），无法读取；请去掉密码后另存为 .docx 再发送",
        "not_zip": "不是 .docx 文档（文件不是 zip 包，可能是改了扩展名的其他文件）",
        "empty": "文件为空（0 字节），不是文档",
        "damaged": "文档已损坏",
    },
}


class _Capped(io.RawIOBase):
    """A decompressing stream that fails once it has produced more than its cap."""

    def __init__(self, raw: Any, cap: int, on_exceed: Any) -> None:
        self.raw, self.cap, self.count, self.on_exceed = raw, cap, 0, on_exceed

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        data = self.raw.read(min(len(b), self.cap - self.count + 1))
        self.count += len(data)
        if self.count > self.cap:
            self.on_exceed()
        b[: len(data)] = data
        return len(data)


class ZipPackage:
    """One untrusted Office package, opened for bounded, read-only access by part."""

    def __init__(self, path: str | Path, limits: Limits | None = None, kind: str = ".xlsx") -> None:
        self.path = Path(path)
        self.limits = limits or Limits()
        self.used = 0  # decompressed bytes so far
        self._words = _WORDS[kind]
        self._zip = self._open_zip()

    # ---- errors ----------------------------------------------------------------------------
    def fail(self, message: str, part: str = "") -> InputError:
        where = f"{self.path}（{part}）" if part else str(self.path)
        return InputError(f"{where}：{message}")

    # ---- the package -----------------------------------------------------------------------
    def _open_zip(self) -> zipfile.ZipFile:
        lim = self.limits
        try:
            with self.path.open("rb") as fh:
                # read(n) allocates n bytes up front: ask for the real size (a growing file stops at the cap)
                size = os.fstat(fh.fileno()).st_size
                data = fh.read(min(size, lim.file_bytes) + 1)
        except OSError as exc:
            raise self.fail(f"无法读取文件（{exc.strerror or exc}）") from exc
        if not data:
            raise self.fail(self._words["empty"])
        if len(data) > lim.file_bytes:
            raise self.fail(f"文件超过 {lim.file_bytes // MB} MB，超出检查上限，未读取")
        if data.startswith(_OLE_MAGIC):
            if _ENCRYPTED in data:
                raise self.fail(self._words["encrypted"])
            raise self.fail(self._words["old"])
        if not data.startswith(b"PK"):
            raise self.fail(self._words["not_zip"])
        self.data = data  # the bytes checked: readers open these, not the file again
        try:
            zf = zipfile.ZipFile(io.BytesIO(data))
            infos = zf.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
            raise self.fail(f"{self._words['damaged']}（zip 包无法读取：{exc}）") from exc
        if len(infos) > lim.entries:
            raise self.fail(f"zip 包有 {len(infos)} 个部件，超过上限 {lim.entries}，拒绝读取")
        names = [i.filename for i in infos]
        if len(set(names)) != len(names):
            raise self.fail("zip 包中有重名部件，工作簿可能被篡改，拒绝读取")
        total = 0
        for info in infos:
            if info.file_size > lim.member_bytes:
                raise self.fail(
                    f"部件声明解压后 {info.file_size // MB} MB，超过上限 {lim.member_bytes // MB} MB（可能是压缩炸弹）",
                    info.filename,
                )
            if info.file_size > MB and info.file_size > lim.ratio * max(info.compress_size, 1):
                raise self.fail(f"压缩比超过 {lim.ratio}:1，可能是压缩炸弹，拒绝读取", info.filename)
            total += info.file_size
        if total > lim.total_bytes:
            raise self.fail(f"解压后共 {total // MB} MB，超过上限 {lim.total_bytes // MB} MB，拒绝读取")
        return zf

    def has(self, part: str) -> bool:
        try:
            self._zip.getinfo(part)
        except KeyError:
            return False
        return True

    def _stream(self, part: str) -> io.BufferedReader:
        """A member, decompressed lazily, failing past the member cap or the total cap."""
        cap = min(self.limits.member_bytes, self.limits.total_bytes - self.used)

        def exceeded() -> None:
            raise self.fail(
                f"解压后超过 {self.limits.member_bytes // MB} MB（或全部部件超过 "
                f"{self.limits.total_bytes // MB} MB），可能是压缩炸弹，已停止读取",
                part,
            )

        try:
            raw = self._zip.open(part)
        except (KeyError, zipfile.BadZipFile, NotImplementedError, RuntimeError, ValueError) as exc:
            raise self.fail(f"无法解压部件（{exc}）", part) from exc
        capped = _Capped(raw, cap, exceeded)
        return io.BufferedReader(capped, buffer_size=64 * 1024)

    def _read_part(self, part: str) -> bytes:
        with self._stream(part) as fh:
            data = self._guard(part, lambda: fh.read(self.limits.xml_part_bytes + 1))
        self.used += len(data)
        if len(data) > self.limits.xml_part_bytes:
            raise self.fail(f"部件超过 {self.limits.xml_part_bytes // MB} MB，超出检查上限", part)
        return data

    def _guard(self, part: str, fn: Any) -> Any:
        """Run a read or parse step, turning zip/XML errors into one located message."""
        try:
            return fn()
        except InputError:
            raise
        except (DefusedXmlException, Forbidden) as exc:
            raise self.fail(f"XML 无效或含有不允许的内容（DTD/实体）：{exc}", part) from exc
        except (zipfile.BadZipFile, EOFError, OSError, ValueError, NotImplementedError, RuntimeError) as exc:
            raise self.fail(f"部件已损坏，无法解压（{exc}）", part) from exc
        except ExpatError as exc:
            raise self.fail(f"XML 无法解析（{exc}）", part) from exc
        except Exception as exc:  # ElementTree's ParseError and friends
            raise self.fail(f"XML 无法解析（{type(exc).__name__}：{exc}）", part) from exc

    def check_all_parts(self) -> None:
        """Decompress every member once, within the caps, before a reader that trusts the zip
        (openpyxl, python-docx) opens the file."""
        for info in self._zip.infolist():
            if info.is_dir():
                continue
            with self._stream(info.filename) as fh:
                while chunk := self._guard(info.filename, lambda fh=fh: fh.read(MB)):
                    self.used += len(chunk)
