"""collect end to end without a spreadsheet engine (files filled by openpyxl): totals and ranks
equal the reference scorer, returned files untouched, exit status clean / problems / errors,
--strict writes nothing."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
from conftest import ANQING
from round_files import example_values, spec, unit_file

from xlcalc.check import check_workbook
from xlcalc.cli import main
from xlcalc.errors import XlcalcError
from xlcalc.round import collect as collect_module
from xlcalc.round.collect import collect, gather, ranked
from xlcalc.scorer import Scorer, UnitInputs


@pytest.fixture(scope="module")
def returned(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("returned")
    for unit in spec().meta.units:
        unit_file(folder, unit)
    return folder


@pytest.fixture
def folder(returned, tmp_path) -> Path:
    out = tmp_path / "收回"
    shutil.copytree(returned, out)
    return out


def _hashes(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def _reference(values: dict[str, dict]) -> dict[str, tuple[float, int]]:
    results = Scorer(spec()).score([UnitInputs(u, values.get(u, {})) for u in spec().meta.units])
    totals = [r.total for r in results]
    return {r.unit: (r.total, 1 + sum(t > r.total for t in totals)) for r in results}


@pytest.mark.parametrize("jobs", [1, 2])
def test_clean_round(folder, tmp_path, monkeypatch, jobs):
    monkeypatch.setattr(collect_module, "_BATCH", 3)  # several batches: the worker pool runs
    before = _hashes(folder)
    coll = collect(spec(), [str(folder)], out=tmp_path / "汇总.xlsx", jobs=jobs)
    assert _hashes(folder) == before
    assert coll.status == 0 and coll.problems == []
    assert {r.unit: (r.total, coll.ranks[r.unit]) for r in coll.results} == _reference(example_values())
    assert [coll.ranks[r.unit] for r in ranked(coll)] == sorted(coll.ranks.values())
    # the cohort workbook is itself a clean xlcalc workbook: check finds nothing wrong with it
    report = check_workbook(tmp_path / "汇总.xlsx", spec())
    assert report.ok, report.render()


@pytest.mark.parametrize(
    ("change", "status", "words"),
    [
        ("missing unit", 1, "没有提交填报文件"),
        ("bad value", 1, "留空"),
        ("unreadable file", 2, "无法读取"),
    ],
)
def test_problems_and_errors(folder, tmp_path, change, status, words):
    values = dict(example_values())
    if change == "missing unit":
        (folder / "潜山市.xlsx").unlink()
        del values["潜山市"]
    elif change == "bad value":
        unit_file(folder, "太湖县", edit=lambda wb: wb["填报"].__setitem__("C4", "很多"))
        values["太湖县"] = {**values["太湖县"], "cases": None}
    else:
        (folder / "坏文件.xlsx").write_bytes(b"not a workbook")
    coll = collect(spec(), [str(folder)], out=tmp_path / "汇总.xlsx")
    assert coll.status == status
    assert any(words in p.message for p in coll.problems), [p.row() for p in coll.problems]
    # the rest is still collected; a bad value is blank (待填), never guessed
    assert {r.unit: (r.total, coll.ranks[r.unit]) for r in coll.results} == _reference(values)
    assert (tmp_path / "汇总.xlsx").is_file()


def test_cli_json_and_exit_status(folder, tmp_path, capsys):
    out, js = tmp_path / "汇总.xlsx", tmp_path / "汇总.json"
    assert main(["collect", str(ANQING), str(folder), "--out", str(out), "--json", str(js)]) == 0
    data = json.loads(js.read_text(encoding="utf-8"))
    assert data["format"] == "xlcalc.collect" and data["version"] == 1 and data["status"] == "clean"
    assert [u["rank"] for u in data["units"]] == sorted(u["rank"] for u in data["units"])
    assert data["units"][0]["total"] == max(u["total"] for u in data["units"])
    assert len(data["files"]) == 10 and data["problems"] == [] and data["missing"] == []
    assert "结论：全部文件通过检查" in capsys.readouterr().out


def test_strict_refuses_the_whole_collection(folder, tmp_path, capsys):
    unit_file(folder, "太湖县", edit=lambda wb: wb["评分"].__setitem__("B4", 4))
    out, js = tmp_path / "汇总.xlsx", tmp_path / "汇总.json"
    before = _hashes(folder)
    status = main(["collect", str(ANQING), str(folder), "--out", str(out), "--json", str(js), "--strict"])
    assert status == 1
    assert not out.exists() and not js.exists() and not list(tmp_path.glob("*.tmp"))
    assert _hashes(folder) == before
    text = capsys.readouterr().out
    assert "拒绝汇总" in text and "评分" in text


def test_usage_errors_are_chinese_and_exit_2(folder, tmp_path, capsys):
    assert main(["collect", str(ANQING), str(tmp_path / "无此目录"), "--out", str(tmp_path / "a.xlsx")]) == 2
    assert main(["collect", str(ANQING), str(folder), "--out", str(tmp_path / "a.csv")]) == 2
    err = capsys.readouterr().err
    assert "不存在" in err and ".xlsx" in err and "Traceback" not in err


def test_gather(tmp_path):
    (tmp_path / "d" / "sub").mkdir(parents=True)
    for name in ("d/a.xlsx", "d/sub/b.csv", "d/~$a.xlsx", "d/.hidden.xlsx", "d/out.xlsx", "d/c.xlsx.tmp"):
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "d" / "out.json").write_bytes(b"{}")
    outputs = [tmp_path / "d" / "out.xlsx", tmp_path / "d" / "out.json"]
    got = gather([str(tmp_path / "d"), str(tmp_path / "d" / "a.xlsx")], outputs)
    assert [p.relative_to(tmp_path).as_posix() for p in got] == ["d/a.xlsx", "d/sub/b.csv"]
    with pytest.raises(XlcalcError, match="不存在"):
        gather([str(tmp_path / "nope")])
