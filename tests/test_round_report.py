"""What collect prints and the JSON it writes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rich.console import Console
from round_files import EXAMPLE, spec

from xlcalc.round import report
from xlcalc.round.collect import collect
from xlcalc.round.report import collect_json, print_summary, write_json


@pytest.fixture(scope="module")
def coll(tmp_path_factory):
    folder = tmp_path_factory.mktemp("data")
    text = EXAMPLE.read_text(encoding="utf-8").replace("- unit: 潜山市", "- unit: 火星区")
    (folder / "units.yaml").write_text(text, encoding="utf-8")
    return collect(spec(), [str(folder)])


def _printed(coll, refused=False, width=200) -> str:
    con = Console(record=True, width=width, highlight=False)
    print_summary(coll, Path("汇总.xlsx"), refused, con)
    return con.export_text()


@pytest.mark.parametrize(
    ("refused", "words"),
    [
        (
            False,
            [
                "1个文件（数据文件1个）",
                "9/10个单位已提交",
                "按总分排序",
                "问题清单（共2处）",
                "已写出 汇总.xlsx",
            ],
        ),
        (True, ["拒绝汇总，未写出 汇总.xlsx"]),
    ],
)
def test_summary(coll, refused, words):
    text = _printed(coll, refused)
    for w in words:
        assert w in text, text
    assert "火星区" in text and "潜山市" in text  # the unknown unit and the missing one


def test_unreadable_files_are_named_in_the_conclusion(tmp_path):
    (tmp_path / "坏.xlsx").write_bytes(b"PK broken")
    coll = collect(spec(), [str(tmp_path)])
    assert coll.status == 2
    assert "结论：1个文件无法读取" in _printed(coll)


def test_long_cohorts_are_cut_on_the_terminal(coll, monkeypatch):
    monkeypatch.setattr(report, "SHOWN_UNITS", 3)
    monkeypatch.setattr(report, "SHOWN_PROBLEMS", 1)
    text = _printed(coll)
    assert "…另有7个单位" in text and "…另有1处" in text


def test_json(coll, tmp_path):
    data = collect_json(coll)
    assert (data["format"], data["version"], data["spec"], data["status"]) == (
        "xlcalc.collect",
        1,
        "anqing_2023",
        "problems",
    )
    assert data["round"]["round_hash"] == coll.template.identity.round_hash
    assert data["missing"] == ["潜山市"]
    assert {p["unit"] for p in data["problems"]} == {"火星区", "潜山市"}
    first = data["units"][0]
    assert first["rank"] == 1 and first["scores"]["total"] == first["total"]
    write_json(coll, tmp_path / "c.json")
    assert json.loads((tmp_path / "c.json").read_text(encoding="utf-8")) == json.loads(json.dumps(data))
