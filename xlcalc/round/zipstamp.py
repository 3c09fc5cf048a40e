"""Many copies of one .xlsx that differ in one zip member, without re-compressing the rest.

``distribute`` writes one workbook per unit; the files differ only in the unit's name, which a few
sheet parts hold. Every other member is copied as its compressed bytes, so a copy costs a few small
deflates instead of an openpyxl build (about 0.3 s).
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from dataclasses import dataclass

from xlcalc.workbook.package import FIXED_TIME

_LOCAL = struct.Struct("<IHHHHHIIIHH")
_CENTRAL = struct.Struct("<IHHHHHHIIIHHHHHII")
_END = struct.Struct("<IHHHHIIH")
_DOS_TIME = (FIXED_TIME[3] << 11) | (FIXED_TIME[4] << 5) | (FIXED_TIME[5] // 2)
_DOS_DATE = ((FIXED_TIME[0] - 1980) << 9) | (FIXED_TIME[1] << 5) | FIXED_TIME[2]


@dataclass(frozen=True)
class _Member:
    name: bytes
    crc: int
    size: int
    data: bytes  # deflated


class Stamp:
    """A template package split into members; :meth:`copy` swaps some members' content.

    Members are kept as the package's own compressed bytes (never inflated and deflated again);
    ``texts`` holds the inflated content of the members named in ``keep`` (default: all).
    """

    def __init__(self, package: bytes, keep: set[str] | None = None) -> None:
        self.members: list[_Member] = []
        self.texts: dict[str, bytes] = {}
        with zipfile.ZipFile(io.BytesIO(package)) as zf:
            for info in zf.infolist():
                if keep is None or info.filename in keep:
                    self.texts[info.filename] = zf.read(info)
                name = info.filename.encode()
                if info.compress_type == zipfile.ZIP_DEFLATED and not info.flag_bits & 1:
                    fields = _LOCAL.unpack_from(package, info.header_offset)
                    start = info.header_offset + _LOCAL.size + fields[-2] + fields[-1]
                    data = package[start : start + info.compress_size]
                else:  # stored (or anything else): deflate it ourselves
                    data = _deflate(zf.read(info))
                self.members.append(_Member(name, info.CRC, info.file_size, data))

    def copy(self, replace: dict[str, bytes]) -> bytes:
        """The package with the members named in ``replace`` given new (uncompressed) content."""
        out = io.BytesIO()
        central = []
        for m in self.members:
            new = replace.get(m.name.decode())
            if new is not None:
                m = _Member(m.name, zlib.crc32(new), len(new), _deflate(new))
            offset = out.tell()
            out.write(
                _LOCAL.pack(
                    0x04034B50, 20, 0, 8, _DOS_TIME, _DOS_DATE, m.crc, len(m.data), m.size, len(m.name), 0
                )
            )
            out.write(m.name)
            out.write(m.data)
            central.append(
                _CENTRAL.pack(
                    0x02014B50,
                    20,
                    20,
                    0,
                    8,
                    _DOS_TIME,
                    _DOS_DATE,
                    m.crc,
                    len(m.data),
                    m.size,
                    len(m.name),
                    0,
                    0,
                    0,
                    0,
                    0o600 << 16,
                    offset,
                )
                + m.name
            )
        start = out.tell()
        for entry in central:
            out.write(entry)
        size = out.tell() - start
        out.write(_END.pack(0x06054B50, 0, 0, len(central), len(central), size, start, 0))
        return out.getvalue()


def _deflate(data: bytes) -> bytes:
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()
