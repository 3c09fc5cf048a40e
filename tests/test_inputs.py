"""Inputs files: YAML, JSON and CSV read as text, bounded, in any encoding Excel saves, with located errors."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from xlcalc import inputs
from xlcalc.errors import InputError
from xlcalc.inputs import load_inputs
from xlcalc.scorer import Scorer, UnitInputs
from xlcalc.spec.loader import load_spec


def write(tmp_path, name: str, text: str, encoding: str = "utf-8"):
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    return p


def test_yaml_units_are_text_with_their_lines(tmp_path):
    p = write(
        tmp_path,
        "u.yaml",
        "units:\n  - unit: 甲\n    inputs: {cases: 5, ok: true}\n  - unit: 乙\n    inputs: {}\n",
    )
    units = load_inputs(p)
    assert [u.name for u in units] == ["甲", "乙"]
    assert units[0].values == {"cases": "5", "ok": "true"} and units[1].values == {}
    assert [u.where for u in units] == [f"{p}:2", f"{p}:4"]


def test_yaml_null_and_quoted_scalars(tmp_path):
    p = write(tmp_path, "u.yaml", 'unit: 丙\ninputs: {a: ~, b: , c: "", d: "null", e: 1_2_3}\n')
    assert load_inputs(p)[0].values == {"a": None, "b": None, "c": "", "d": "null", "e": "1_2_3"}


def test_json_numbers_are_kept_as_written(tmp_path):
    p = write(
        tmp_path, "u.json", '{"unit": "丙", "inputs": {"staff": 3, "rate": 0.10, "big": ' + "9" * 5000 + "}}"
    )
    u = load_inputs(p)[0]
    assert u.values == {"staff": "3", "rate": "0.10", "big": "9" * 5000} and u.name == "丙"


def test_csv_rows_with_lists_and_multiline_cells(tmp_path):
    p = write(tmp_path, "u.csv", 'unit,cases,caseloads\n甲,5,90;150\n乙,,"90\n150"\n,,\n丙,1,\n')
    units = load_inputs(p)
    assert [(u.name, u.values, u.where) for u in units] == [
        ("甲", {"cases": "5", "caseloads": "90;150"}, f"{p}:2"),
        ("乙", {"caseloads": "90\n150"}, f"{p}:3"),
        ("丙", {"cases": "1"}, f"{p}:6"),  # the blank row 5 is skipped; lines count the quoted break
    ]


CSV = "unit,cases,rate\n迎江区,1234,98%\n大观区,5,0.5\n"


@pytest.mark.parametrize(
    ("encoding", "text"),
    [
        ("utf-8", CSV),
        ("utf-8-sig", CSV),
        ("gbk", CSV),
        ("gb18030", CSV),
        ("utf-16", CSV),  # with a BOM
        ("utf-16", CSV.replace(",", "\t")),  # Excel's “Unicode 文本”: UTF-16, tab-separated
        ("utf-32", CSV),
    ],
)
def test_csv_encodings_excel_saves(tmp_path, encoding, text):
    units = load_inputs(write(tmp_path, "u.csv", text, encoding))
    assert [(u.name, u.values) for u in units] == [
        ("迎江区", {"cases": "1234", "rate": "98%"}),
        ("大观区", {"cases": "5", "rate": "0.5"}),
    ]


@pytest.mark.parametrize("encoding", ["gbk", "utf-16", "utf-8-sig"])
@pytest.mark.parametrize("name", ["u.yaml", "u.json"])
def test_yaml_and_json_in_other_encodings(tmp_path, encoding, name):
    doc = {"unit": "迎江区", "inputs": {"说明": "已整改"}}
    text = json.dumps(doc, ensure_ascii=False)  # JSON is YAML too
    assert load_inputs(write(tmp_path, name, text, encoding))[0].values == {"说明": "已整改"}


def _seconds(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


ALIAS_BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
    for p, c in zip("abcdefgh", "bcdefghi", strict=True)
)

BAD_FILES = [
    # name, bytes or text, message, line in the location (None: none expected)
    ("a.yaml", "units: 3\n", "units 应为列表", 1),
    ("b.yaml", "units:\n  - {unit: 甲, inputs: {}}\n  - {unit: 甲, inputs: {}}\n", "单位名称“甲”与", 3),
    ("c.yaml", "unit: 甲\ninput: {}\n", "缺少 units 或 inputs", 1),
    ("d.json", "{not json", "JSON 格式错误", 1),
    ("e.csv", "cases\n5\n", "unit 列", 1),
    ("e2.csv", "unit;cases\n甲;5\n", "列之间应以逗号分隔", 1),
    ("f.yaml", "units:\n  - {unit: 甲, inputs: {}, extra: 1}\n", "未知键 extra", 2),
    ("g.yaml", ALIAS_BOMB, "锚点与别名", 1),
    ("h.yaml", "inputs:\n  a: !!python/object:os.system x\n", "YAML 标签", 2),
    ("i.yaml", "inputs:\n  a: 1\n  a: 2\n", "键“a”重复", 3),
    ("j.yaml", "inputs: {}\n---\ninputs: {}\n", "只能有一个 YAML 文档", 3),
    ("k.yaml", "inputs: " + "[" * 100_000, "嵌套超过16层", 1),
    ("l.yaml", "inputs: {a: [1, 2}\n", "YAML 格式错误", 1),
    ("m.json", "[" * 100_000 + "]" * 100_000, "嵌套超过16层", 1),
    ("n.json", '{"inputs": {"NaN": "NaN",\n "a": NaN}}', "NaN", 2),
    ("o.json", '{"inputs": {"a": 1, "a": 2}}', "键“a”重复", None),
    ("p.json", '{"units": [{"unit": "甲"}, {"unit": "甲"}]}', "units[0] 重复", None),
    ("q.csv", "unit,a\n甲,1\n乙,2\n甲,3\n", "重复", 4),
    ("r.csv", "unit,a,a\n甲,1,2\n", "表头“a”重复", 1),
    ("s.csv", "unit,a,\n甲,1,2\n", "第3列有值但没有表头", 2),
    ("t.csv", "unit,a\n甲,1,2\n", "列数多于表头", 2),
    ("u.yaml", "units:\n  - unit: [a, b]\n", "单位名称应为文字", 2),
    ("v.yaml", "units:\n  - unit: 甲\n    inputs: [1, 2]\n", "inputs 应为映射", 2),
    ("w.csv", b"unit,a\n\xff\xfe\xfa\xfb,1\n", "无法识别文件编码", None),
    ("x.csv", b"\xef\xbb\xbfunit\n\xff\n", "UTF-8 字节序标记", None),
    ("y.csv", "unit,a\n" + "甲" * 200_000 + ",1\n", "CSV 格式错误", 2),
    ("z.yaml", "", "应为映射", None),
]


@pytest.mark.parametrize(("name", "content", "message", "line"), BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_bad_files_are_refused_located(tmp_path, name, content, message, line):
    p = tmp_path / name
    p.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    with pytest.raises(InputError) as exc:
        load_inputs(p)
    text = str(exc.value)
    assert message in text and text.startswith(str(p))
    if line is not None:
        assert text.startswith(f"{p}:{line}")


def test_alias_bomb_is_refused_at_once(tmp_path):
    p = write(tmp_path, "bomb.yaml", ALIAS_BOMB)
    assert _seconds(lambda: pytest.raises(InputError, load_inputs, p)) < 5  # 9**9 nodes if expanded


def test_duplicate_units_name_both_locations(tmp_path):
    p = write(tmp_path, "u.csv", "unit,a\n甲,1\n乙,2\n甲,3\n")
    with pytest.raises(InputError) as exc:
        load_inputs(p)
    assert str(exc.value) == f"{p}:4：单位名称“甲”与 {p}:2 重复"


def test_unit_count_is_bounded(tmp_path, monkeypatch):
    monkeypatch.setattr(inputs, "MAX_UNITS", 2)
    for name, text in [
        ("u.csv", "unit\n甲\n乙\n丙\n"),
        ("u.yaml", "units: [{unit: 甲}, {unit: 乙}, {unit: 丙}]\n"),
    ]:
        with pytest.raises(InputError, match="单位数.*超过上限 2"):
            load_inputs(write(tmp_path, name, text))


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="无法读取"):
        load_inputs(tmp_path / "none.yaml")


EXAMPLES = sorted((Path(__file__).resolve().parent.parent / "examples").glob("*.yaml"))


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.stem for e in EXAMPLES])
def test_examples_read_as_text_hold_what_typed_yaml_held(example):
    """Reading every scalar as text changes no example's cell values (typed YAML was read before)."""
    root = example.parent.parent / "rubric_specs"
    spec = root / example.name if (root / example.name).exists() else root / "anqing_2023.yaml"
    scorer = Scorer(load_spec(spec), explain=False)
    data = YAML(typ="safe").load(example.read_text(encoding="utf-8"))
    typed = [UnitInputs(u.get("unit", ""), u.get("inputs") or {}) for u in data.get("units", [data])]
    assert [scorer.normalize(u) for u in load_inputs(example)] == [scorer.normalize(u) for u in typed]
