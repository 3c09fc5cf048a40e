"""Writes stay inside the output directory the user named."""

from __future__ import annotations

import os

import pytest

from xlcalc.errors import XlcalcError
from xlcalc.paths import inside

CASES = [
    ("anqing_2023.xlsx", True),
    ("../x.xlsx", False),
    ("../../x.xlsx", False),
    ("/tmp/x.xlsx", False),
    ("sub/x.xlsx", False),
    ("..", False),
    ("", False),
    ("link/x.xlsx", False),
]


@pytest.mark.parametrize(("name", "allowed"), CASES)
def test_inside(tmp_path, name, allowed):
    (tmp_path / "out").mkdir()
    os.symlink(tmp_path, tmp_path / "out" / "link")
    if allowed:
        assert inside(tmp_path / "out", name) == (tmp_path / "out" / name).resolve()
    else:
        with pytest.raises(XlcalcError, match="只能写在输出目录"):
            inside(tmp_path / "out", name)


def test_symlinked_file_name_leading_outside_is_refused(tmp_path):
    (tmp_path / "out").mkdir()
    os.symlink(tmp_path / "elsewhere.xlsx", tmp_path / "out" / "anqing_2023.xlsx")
    with pytest.raises(XlcalcError):
        inside(tmp_path / "out", "anqing_2023.xlsx")
