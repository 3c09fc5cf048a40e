"""Text files from users: size bounded, encoding detected from BOM, UTF-8, GB18030 or refused by name."""

from __future__ import annotations

import pytest

from xlcalc.errors import InputError
from xlcalc.textfile import MAX_BYTES, decode, read_text

TEXT = "unit,说明\n迎江区,已整改（100%）\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16", "utf-32"])
def test_encodings_users_send(encoding):
    assert decode(TEXT.encode(encoding), "u.csv") == TEXT


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\xef\xbb\xbf\xff", "UTF-8 字节序标记"),
        (b"\xff\xfe\x00\xd8", "UTF-16 字节序标记"),  # a lone surrogate
        (b"\xff\xfa\xfb\xfc" * 8, "无法识别文件编码"),
        ("unit\n甲\x00\n".encode("utf-16"), "空字符"),
        ("unit,a\n".encode("utf-16-le"), "无法识别文件编码（疑似 utf_16"),  # no BOM: not guessed
    ],
)
def test_undecodable_bytes_refused_by_name(data, message):
    with pytest.raises(InputError) as exc:
        decode(data, "u.csv")
    assert str(exc.value).startswith("u.csv") and message in str(exc.value)


def test_size_is_bounded(tmp_path):
    p = tmp_path / "big.csv"
    p.write_bytes(b"unit\n" + b"a\n" * 100)
    assert read_text(p, limit=1000).startswith("unit")
    with pytest.raises(InputError, match="文件过大（超过0 MB）"):
        read_text(p, limit=100)
    assert MAX_BYTES == 50 * 1024 * 1024


def test_unreadable_path(tmp_path):
    with pytest.raises(InputError, match="无法读取"):
        read_text(tmp_path)  # a directory
