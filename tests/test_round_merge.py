"""Across files: units not in the rubric, the same unit twice, units no file holds."""

from __future__ import annotations

import pytest
from round_files import spec

from xlcalc.round.merge import merge
from xlcalc.round.returned import FileResult

UNITS = list(spec().meta.units)
A = {"cases": 1.0}
B = {"cases": 2.0}


def _files(*rows: tuple[str, str, str, dict]) -> list[FileResult]:
    return [FileResult(path, kind, [(unit, values)]) for path, kind, unit, values in rows]


@pytest.mark.parametrize(
    ("files", "values", "problems"),
    [
        # every unit once: nothing to report
        (_files(*[(f"{u}.xlsx", "unit", u, A) for u in UNITS]), {u: A for u in UNITS}, []),
        # a unit twice with the same values: used once, both files listed
        (
            _files(("a.xlsx", "unit", "迎江区", A), ("b.csv", "inputs", "迎江区", A)),
            {"迎江区": A},
            [("a.xlsx", "填报", "A4", "重复提交（另见 b.csv），数据相同"), ("b.csv", "", "", "数据相同")],
        ),
        # twice with different values: left blank, both listed
        (
            _files(("a.xlsx", "unit", "迎江区", A), ("b.xlsx", "unit", "迎江区", B)),
            {},
            [("a.xlsx", "填报", "A4", "数据不同"), ("b.xlsx", "填报", "A4", "留空")],
        ),
        # a unit the rubric does not list
        (
            _files(("x.xlsx", "unit", "火星区", A)),
            {},
            [("x.xlsx", "填报", "A4", "火星区”不在评分标准的单位名单中")],
        ),
    ],
)
def test_merge(files, values, problems):
    m = merge(spec(), files)
    assert m.values == values
    located = [p for p in m.problems if p.file]
    assert len(located) == len(problems), [p.row() for p in located]
    for p, (file, sheet, cell, words) in zip(located, problems, strict=True):
        assert (p.file, p.sheet, p.cell) == (file, sheet, cell) and words in p.message, p.row()
    submitted = {u for f in files for u, _ in f.units}
    assert m.missing == [u for u in UNITS if u not in submitted]
    assert [p.unit for p in m.problems if not p.file] == m.missing
    assert all("没有提交填报文件" in p.message for p in m.problems if not p.file)
