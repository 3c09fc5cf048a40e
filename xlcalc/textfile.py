"""Reading a text file a user sent: bounded in size, its encoding detected or refused by name.

Excel and WPS save CSV as GBK/GB18030 on Chinese Windows, as UTF-8 with a BOM when asked for
“CSV UTF-8”, and “Unicode 文本” as UTF-16 with a BOM. Detection goes from the most to the least
certain: a byte-order mark, then strict UTF-8, then GB18030 (a superset of GBK and GB2312). Bytes
neither reads are refused, naming charset-normalizer's guess so the user knows what to re-save
from (its guesses are never used to decode: GB18030 already reads any Big5 text, and a guessed
BOM-less UTF-16 turns random bytes into plausible-looking Chinese).
"""

from __future__ import annotations

import codecs
from pathlib import Path

from xlcalc.errors import InputError

MAX_BYTES = 50 * 1024 * 1024  # 50 MB: about 400,000 units of a 40-input rubric in CSV

# Longest first: the UTF-32 LE mark begins with the UTF-16 LE one.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF8, "utf-8-sig", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16", "UTF-16"),
)


def read_text(path: Path, limit: int = MAX_BYTES) -> str:
    """The decoded text of ``path``; InputError (in Chinese, naming the file) when it cannot be read."""
    try:
        with path.open("rb") as f:
            data = f.read(limit + 1)
    except OSError as exc:
        raise InputError(f"{path}：无法读取（{exc.strerror or exc}）") from None
    if len(data) > limit:
        raise InputError(f"{path}：文件过大（超过{limit // (1024 * 1024)} MB），请拆分后分别评分")
    return decode(data, str(path))


def decode(data: bytes, name: str) -> str:
    """Bytes → text by BOM, strict UTF-8 or GB18030; refused with charset-normalizer's guess named."""
    for bom, codec, label in _BOMS:
        if data.startswith(bom):
            try:
                return _no_nul(data.decode(codec), name)
            except UnicodeDecodeError as exc:
                raise InputError(
                    f"{name}：文件以 {label} 字节序标记开头，但第{exc.start + 1}字节起不是有效的 {label}"
                ) from None
    for codec in ("utf-8", "gb18030"):
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        if "\x00" not in text:  # UTF-16 without a mark decodes as UTF-8 full of NULs
            return text
    guess = _guess(data)
    seen = f"（疑似 {guess}）" if guess else ""
    raise InputError(f"{name}：无法识别文件编码{seen}：请另存为 UTF-8 或 GB18030（GBK）编码后重试")


def _guess(data: bytes) -> str | None:
    from charset_normalizer import from_bytes

    best = from_bytes(data[: 1024 * 1024]).best()
    return best.encoding if best is not None else None


def _no_nul(text: str, name: str) -> str:
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise InputError(f"{name}:{line}：文件含空字符（NUL），不是文本文件或编码有误")
    return text
