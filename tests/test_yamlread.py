"""Hostile and malformed specs: every one a located SpecError, never a traceback, in bounded time.

Specs arrive embedded in workbooks users send back (the hidden _规格 sheet), so the loader is the
first line of defence: identifiers that reach generated code or file names, numbers, text, size,
nesting and alias expansion are all bounded here.
"""

from __future__ import annotations

import pytest
from conftest import ANQING

from xlcalc.errors import SpecError
from xlcalc.spec.loader import load_spec
from xlcalc.yamlread import MAX_DEPTH, MAX_NODES, scalar_problem

GOOD = ANQING.read_text(encoding="utf-8")
EVIL_NAME = "monitor_tolerance[__import__('os').system('touch /tmp/xlcalc-pwned')]"


def _load(tmp_path, text: str, encoding: str = "utf-8"):
    p = tmp_path / "spec.yaml"
    p.write_bytes(text.encode(encoding))
    return load_spec(p)


def _alias_bomb(levels: int) -> str:
    lines = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    for k in range(1, levels):
        prev = f"*a{k - 1}"
        lines.append(f"a{k}: &a{k} [{', '.join([prev] * 10)}]")
    return "\n".join(lines) + "\n"


HOSTILE = [
    # (name, replace this, with that (or a whole text when old is None), message fragment, line expected)
    ("param name injection", "  - name: rank_beyond\n", f'  - name: "{EVIL_NAME}"\n', "must be ASCII", True),
    ("meta.id path escape", "  id: anqing_2023\n", "  id: ../../x\n", "must be ASCII", True),
    ("meta.id absolute", "  id: anqing_2023\n", "  id: /tmp/x\n", "must be ASCII", True),
    ("meta.id reserved", "  id: anqing_2023\n", "  id: CON\n", "reserves for a device", True),
    ("over-long id", "  id: anqing_2023\n", f"  id: {'a' * 65}\n", "at most 64", True),
    ("unicode id", "  id: anqing_2023\n", "  id: 安庆\n", "must be ASCII", True),
    ("NaN points", "  points: 100\n", "  points: .nan\n", "NaN or infinity", True),
    ("inf points", "  points: 100\n", "  points: .inf\n", "NaN or infinity", True),
    ("NaN as text", "  points: 100\n", "  points: 'nan'\n", "must be a number", True),
    ("1000-digit number", "  points: 100\n", f"  points: {'9' * 1000}\n", "more than 15 digits", True),
    ("5000-digit number", "  points: 100\n", f"  points: {'9' * 5000}\n", "YAML 无法解析", False),
    ("underscored number", "  points: 100\n", "  points: '1_00'\n", "must be a number", True),
    ("control character", "  issuer: 安庆市司法局\n", '  issuer: "安庆\\x07市"\n', "U+0007", True),
    ("non-character", "  issuer: 安庆市司法局\n", '  issuer: "安庆\\uFFFE市"\n', "U+FFFE", True),
    ("lone surrogate", "  issuer: 安庆市司法局\n", '  issuer: "安庆\\uD800市"\n', "U+D800", True),
    ("over-long text", "  issuer: 安庆市司法局\n", f"  issuer: {'长' * 33_000}\n", "32,767", True),
    ("over-long line", "  issuer: 安庆市司法局\n", f"  issuer: 安庆  # {'x' * 50_000}\n", "一行超过", True),
    ("deep nesting", None, "a: " + "[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5) + "\n", "嵌套超过", True),
    ("very deep nesting", None, "a: [" + "\n  [" * 100_000 + "\n  ]" * 100_000 + "]\n", "嵌套超过", True),
    ("alias bomb", None, _alias_bomb(9), "别名炸弹", True),
    ("not a mapping", None, "- 1\n- 2\n", "expected a mapping", False),
    ("binary garbage", None, "\x00\x01\x02", "无法识别文件编码", False),
    ("empty", None, "", "expected a mapping", False),
]


@pytest.mark.parametrize(("name", "old", "new", "message", "located"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_spec_is_a_located_error(tmp_path, name, old, new, message, located):
    if old is not None:
        assert old in GOOD, old
    text = new if old is None else GOOD.replace(old, new, 1)
    with pytest.raises(SpecError) as exc:
        _load(tmp_path, text)
    found = [d for d in exc.value.diagnostics if message in d.message]
    assert found, str(exc.value)[:500]
    assert found[0].file == str(tmp_path / "spec.yaml")
    if located:
        assert found[0].line is not None


def test_injection_reproducer_runs_nothing(tmp_path):
    marker = tmp_path / "pwned"
    evil = f"monitor_tolerance[__import__('os').system('touch {marker}')]"
    with pytest.raises(SpecError):
        _load(tmp_path, GOOD.replace("  - name: rank_beyond\n", f'  - name: "{evil}"\n', 1))
    assert not marker.exists()


@pytest.mark.parametrize("encoding", ["gb18030", "utf-16", "utf-8-sig"])
def test_specs_saved_by_chinese_windows_tools_load(tmp_path, encoding):
    spec = _load(tmp_path, GOOD, encoding)
    assert spec.meta.title.startswith("2023年度全市法律援助")


def test_undecodable_spec_names_the_encodings(tmp_path):
    p = tmp_path / "spec.yaml"
    p.write_bytes(b"meta:\n  id: \xff\xfe\xfd\x80\x00\x81\n")
    with pytest.raises(SpecError, match="无法识别文件编码"):
        load_spec(p)


def test_an_honest_alias_still_loads(tmp_path):
    text = GOOD.replace("  - name: rank_beyond\n", "  - &p name: rank_beyond\n", 1)
    assert load_spec_text(tmp_path, text).meta.id == "anqing_2023"


def load_spec_text(tmp_path, text):
    return _load(tmp_path, text)


SCALARS = [
    (1.0, None),
    (10**15, None),
    (10**16, "more than 15 digits"),
    (float("nan"), "NaN"),
    (float("-inf"), "NaN"),
    ("正常文本\n第二行\t制表", None),
    ("\x1b[31m", "U+001B"),
    ("\x85", "U+0085"),
    (True, None),
    (None, None),
]


@pytest.mark.parametrize(("value", "problem"), SCALARS)
def test_scalar_problem(value, problem):
    found = scalar_problem(value)
    assert (found is None) if problem is None else (problem in found)


def test_alias_expansion_bound_is_above_honest_specs():
    assert MAX_NODES >= 100_000


def test_a_reused_anchor_is_refused(tmp_path):
    with pytest.raises(SpecError, match="锚点“&a”重复定义"):
        _load(tmp_path, "x: &a 1\ny: &a 2\n")
