"""Reading a text file a user gave: bounded size, and the encodings Chinese office software saves in.

Excel and Notepad on Chinese Windows save CSV and text as GB18030/GBK or UTF-16 as often as UTF-8, with
or without a byte-order mark. A byte-order mark decides; otherwise strict UTF-8, then GB18030 (a
superset of GBK and GB2312 that decodes nearly any byte string, so it is accepted only when the text
it yields contains no control characters). Anything else is refused with the encoding named.
"""

from __future__ import annotations

import codecs
from pathlib import Path

from xlcalc.errors import XlcalcError

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def read_text(path: Path, limit: int, what: str, error: type[XlcalcError] = XlcalcError) -> str:
    """The text of ``path`` (at most ``limit`` bytes), decoded; ``error`` carries a Chinese message."""
    try:
        with path.open("rb") as fh:
            data = fh.read(limit + 1)
    except OSError as exc:
        raise error(f"{path}：无法读取{what}（{exc.strerror or exc}）") from exc
    if len(data) > limit:
        raise error(f"{path}：{what}超过 {limit // 1_000_000} MB，拒绝读取")
    return decode(data, str(path), what, error)


def decode(data: bytes, where: str, what: str, error: type[XlcalcError] = XlcalcError) -> str:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError as exc:
                raise error(f"{where}：{what}以 {encoding} 标记开头，但第{exc.start}字节无法解码") from exc
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        text = ""
    if text and not any(ord(ch) < 32 and ch not in "\t\r\n" for ch in text):
        return text
    raise error(f"{where}：{what}的编码无法识别（应为 UTF-8、GB18030/GBK 或带标记的 UTF-16）")
