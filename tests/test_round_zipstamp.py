"""Copies of one package that differ in some members: valid zips, everything else byte-identical."""

from __future__ import annotations

import io
import zipfile

import pytest

from xlcalc.round.zipstamp import Stamp


def _package(parts: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as z:
        for name, body in parts.items():
            z.writestr(name, body)
    return out.getvalue()


PARTS = {"a.xml": b"<a>TOKEN</a>" * 50, "dir/b.xml": b"<b/>" * 100, "c.bin": bytes(range(256)) * 4}


@pytest.mark.parametrize("method", [zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED])
@pytest.mark.parametrize(
    "replace",
    [
        {},
        {"a.xml": "<a>迎江区</a>".encode()},
        {"a.xml": b"", "c.bin": b"\x00" * 10_000},
    ],
)
def test_copy_is_a_valid_package_with_only_the_replaced_members_changed(replace, method):
    copy = Stamp(_package(PARTS, method)).copy(replace)
    with zipfile.ZipFile(io.BytesIO(copy)) as z:
        assert z.testzip() is None  # every CRC checks
        assert z.namelist() == list(PARTS)
        for name, body in PARTS.items():
            assert z.read(name) == replace.get(name, body)


def test_untouched_members_are_copied_compressed_not_recompressed():
    stamp = Stamp(_package(PARTS))
    a, b = stamp.copy({"a.xml": b"x"}), stamp.copy({"a.xml": b"y"})
    member = stamp.members[1].data  # dir/b.xml, deflated once
    assert member in a and member in b
    assert len(a) == len(b)


def test_only_the_kept_members_are_inflated():
    stamp = Stamp(_package(PARTS), keep={"a.xml"})
    assert stamp.texts == {"a.xml": PARTS["a.xml"]}
