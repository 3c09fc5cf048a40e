"""Reading unit inputs from YAML, JSON or CSV files: data from outside, read exactly or refused.

YAML/JSON: either ``{unit: 名称, inputs: {id: value}}`` for one unit or
``{units: [{unit: 名称, inputs: {...}}, ...]}`` for several. CSV: one row per unit, a ``unit``
column and one column per input id (list inputs as ``95;90;88``); comma-separated, or
tab-separated when the header has tabs and no comma (Excel's “Unicode 文本”).

Every scalar is read as text (``5`` and ``"5"`` alike), so the same rules of
:mod:`xlcalc.values` apply whatever the format. Files are bounded: size (:data:`MAX_BYTES`),
units (:data:`MAX_UNITS`) and nesting (:data:`MAX_DEPTH`); YAML anchors, aliases and tags are
refused (an alias bomb expands a small file into billions of nodes). Each unit carries its
location (``u.yaml:12``, ``u.csv:3``, ``u.json units[2]``) for the scorer's messages.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from yaml import events as ev

from xlcalc.errors import InputError, XlcalcError
from xlcalc.scorer import UnitInputs
from xlcalc.textfile import MAX_BYTES, read_text
from xlcalc.values import show

__all__ = ["MAX_BYTES", "MAX_DEPTH", "MAX_UNITS", "load_inputs"]

MAX_UNITS = 100_000
MAX_DEPTH = 16  # units → unit → inputs → list is 4 levels deep; anything far deeper is not an inputs file
MAX_NAME_CHARS = 200
# libyaml's parser (C, iterative) reads a 1 MB inputs file in ~0.1 s; ruamel's pure-Python one took
# 15 s and grows quadratically on long flow sequences. Only its events are used: no constructor runs.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_NULLS = frozenset(("", "~", "null", "Null", "NULL"))


def load_inputs(path: str | Path) -> list[UnitInputs]:
    """The units of an inputs file, each with its raw values (text) and its location."""
    path = Path(path)
    text = read_text(path)
    if path.suffix.lower() == ".csv":
        units = _from_csv(path, text)
    elif path.suffix.lower() == ".json":
        units = _from_mapping(path, _json(path, text), {})
    else:
        data, lines = _yaml(path, text)
        units = _from_mapping(path, data, lines)
    first: dict[str, str] = {}
    for u in units:
        if u.name in first:
            raise InputError(f"{u.where}：单位名称“{u.name}”与 {first[u.name]} 重复")
        first[u.name] = u.where
    return units


# ---- YAML: built from parser events, so aliases, tags and depth are refused before any expansion ----


def _yaml(path: Path, text: str) -> tuple[Any, dict[int, int]]:
    """The document as dicts, lists and text (None for null), and the line of every mapping by id()."""
    root: list[Any] = []
    stack: list[list[Any]] = []  # [container, pending mapping key or None]
    lines: dict[int, int] = {}

    def refuse(e: ev.Event, why: str) -> InputError:
        return InputError(f"{path}:{e.start_mark.line + 1}：{why}")

    def attach(e: ev.Event, value: Any) -> None:
        if not stack:
            if root:
                raise refuse(e, "只能有一个 YAML 文档（发现第二个“---”）")
            root.append(value)
            return
        top = stack[-1]
        if isinstance(top[0], list):
            top[0].append(value)
        elif top[1] is None:
            if not isinstance(value, str):
                raise refuse(e, "映射的键应为文字")
            if value in top[0]:
                raise refuse(e, f"键“{show(value)}”重复")
            top[1] = value
        else:
            top[0][top[1]] = value
            top[1] = None

    try:
        for e in yaml.parse(text, Loader=_YAML_LOADER):
            if isinstance(e, ev.AliasEvent) or getattr(e, "anchor", None):
                raise refuse(e, "输入文件不支持 YAML 锚点与别名（&、*），请直接写出每个值")
            if getattr(e, "tag", None):
                raise refuse(e, f"输入文件不支持 YAML 标签（{show(e.tag)}）")
            if isinstance(e, ev.ScalarEvent):
                plain = not e.style  # None (pure parser) or "" (libyaml) for an unquoted scalar
                attach(e, None if plain and e.value in _NULLS else e.value)
            elif isinstance(e, ev.MappingStartEvent | ev.SequenceStartEvent):
                if len(stack) >= MAX_DEPTH:
                    raise refuse(e, f"嵌套超过{MAX_DEPTH}层")
                container: Any = {} if isinstance(e, ev.MappingStartEvent) else []
                attach(e, container)
                if isinstance(container, dict):
                    lines[id(container)] = e.start_mark.line + 1
                stack.append([container, None])
            elif isinstance(e, ev.MappingEndEvent | ev.SequenceEndEvent):
                stack.pop()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        raise InputError(f"{where}：YAML 格式错误：{exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise InputError(f"{path}：YAML 格式错误：{exc}") from None
    return (root[0] if root else None), lines


# ---- JSON: numbers kept as text, NaN/Infinity and duplicate keys refused, depth checked first ----

_JSON_STRING = re.compile(r'"[^"\\\n]*(?:\\.[^"\\\n]*)*"')
_BRACKET = re.compile(r"[\[\]{}]")


def _json(path: Path, text: str) -> Any:
    # JSON strings hold no raw line breaks, so blanking them keeps line numbers for the depth check.
    skeleton = _JSON_STRING.sub('""', text)
    depth = 0
    for m in _BRACKET.finditer(skeleton):
        depth += 1 if m.group() in "[{" else -1
        if depth > MAX_DEPTH:
            raise InputError(f"{path}:{skeleton.count(chr(10), 0, m.start()) + 1}：嵌套超过{MAX_DEPTH}层")

    def constant(name: str) -> Any:
        line = (
            skeleton.count("\n", 0, max(skeleton.find(name), 0)) + 1
        )  # strings are blanked: the token itself
        raise InputError(f"{path}:{line}：JSON 中不允许 {name}（不是有效数字）")

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        out = dict(items)
        if len(out) != len(items):
            seen: set[str] = set()
            dup = next(k for k, _ in items if k in seen or seen.add(k))  # type: ignore[func-returns-value]
            raise InputError(f"{path}：JSON 对象中键“{show(dup)}”重复")
        return out

    try:
        return json.loads(
            text, parse_int=str, parse_float=str, parse_constant=constant, object_pairs_hook=pairs
        )
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}:{exc.lineno}:{exc.colno}：JSON 格式错误：{exc.msg}") from None


# ---- the shape shared by YAML and JSON ----


def _from_mapping(path: Path, data: Any, lines: dict[int, int]) -> list[UnitInputs]:
    def where(obj: Any, fallback: str) -> str:
        line = lines.get(id(obj))
        return f"{path}:{line}" if line else f"{path} {fallback}".rstrip()

    if not isinstance(data, dict):
        raise InputError(f"{path}：应为映射（含 units 或 inputs）")
    if "units" in data:
        extra = set(data) - {"units"}
        if extra:
            raise InputError(f"{where(data, '')}：含未知键 {'、'.join(sorted(extra))}")
        units = data["units"]
        if not isinstance(units, list):
            raise InputError(f"{where(data, '')}：units 应为列表")
        if len(units) > MAX_UNITS:
            raise InputError(f"{path}：单位数 {len(units)} 超过上限 {MAX_UNITS}，请拆分后分别评分")
        return [_unit(u, where(u, f"units[{k}]"), f"单位{k + 1}") for k, u in enumerate(units)]
    if "inputs" in data:
        return [_unit(data, where(data, ""), path.stem)]
    raise InputError(f"{where(data, '')}：缺少 units 或 inputs")


def _unit(u: Any, where: str, default_name: str) -> UnitInputs:
    if not isinstance(u, dict):
        raise InputError(f"{where}：应为含 unit 与 inputs 的映射")
    extra = set(u) - {"unit", "inputs"}
    if extra:
        raise InputError(f"{where}：含未知键 {'、'.join(sorted(map(show, extra)))}")
    values = u.get("inputs")
    if not isinstance(values, dict | None):
        raise InputError(f"{where}：inputs 应为映射（输入项 id: 值）")
    return UnitInputs(_name(u.get("unit"), where, default_name), values or {}, where)


def _name(raw: Any, where: str, default: str) -> str:
    if raw is None:
        return default
    if isinstance(raw, dict | list):
        raise InputError(f"{where}：单位名称应为文字，得到{show(raw)}")
    name = str(raw).strip()
    if len(name) > MAX_NAME_CHARS:
        raise InputError(f"{where}：单位名称过长（{len(name)}字，最多{MAX_NAME_CHARS}字）")
    return name or default


# ---- CSV ----


def _from_csv(path: Path, text: str) -> list[UnitInputs]:
    head = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in head and "," not in head else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    out: list[UnitInputs] = []
    try:
        header = [h.strip() for h in next(reader, [])]
        if "unit" not in header:
            hint = "（列之间应以逗号分隔）" if ";" in head else ""
            raise InputError(f"{path}:1：第1行应为表头且包含 unit 列{hint}")
        for k, h in enumerate(header):
            if h and header.index(h) != k:
                raise InputError(f"{path}:1：表头“{show(h)}”重复（第{header.index(h) + 1}列与第{k + 1}列）")
        key = header.index("unit")
        end = reader.line_num
        for row in reader:
            line, end = (
                end + 1,
                reader.line_num,
            )  # a quoted cell may span lines: the row starts after the last
            if not any(c.strip() for c in row):
                continue  # blank rows Excel leaves at the end
            if len(row) > len(header):
                raise InputError(f"{path}:{line}：第{line}行的列数多于表头")
            if len(out) >= MAX_UNITS:
                raise InputError(f"{path}:{line}：单位数超过上限 {MAX_UNITS}，请拆分后分别评分")
            values = {}
            for k, (h, cell) in enumerate(zip(header, row, strict=False)):
                if h != "unit" and cell.strip():
                    if not h:
                        raise InputError(f"{path}:{line}：第{k + 1}列有值但没有表头")
                    values[h] = cell
            where = f"{path}:{line}"
            name = _name(row[key] if key < len(row) else None, where, f"第{line}行")
            out.append(UnitInputs(name, values, where))
    except csv.Error as exc:
        raise InputError(f"{path}:{reader.line_num}：CSV 格式错误：{exc}") from None
    return out


def param_pairs(pairs: Sequence[str]) -> dict[str, str]:
    """``--param NAME=VALUE`` arguments as a mapping."""
    out = {}
    for pair in pairs:
        if "=" not in pair:
            raise XlcalcError(f"--param 应写成 NAME=VALUE，得到“{pair}”")
        name, value = pair.split("=", 1)
        out[name.strip()] = value.strip()
    return out
