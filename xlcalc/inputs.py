"""Reading unit inputs from YAML, JSON or CSV files, with located errors.

YAML/JSON: either ``{unit: 名称, inputs: {id: value}}`` for one unit or
``{units: [{unit: 名称, inputs: {...}}, ...]}`` for several. CSV: one row per unit, a ``unit``
column and one column per input id (list inputs as ``95;90;88``).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from xlcalc.errors import InputError
from xlcalc.scorer import UnitInputs


def load_inputs(path: str | Path) -> list[UnitInputs]:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InputError(f"{path}：无法读取（{exc.strerror}）") from exc
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _from_csv(path, text)
    try:
        data = json.loads(text) if suffix == ".json" else YAML(typ="safe").load(text)
    except (json.JSONDecodeError, YAMLError) as exc:
        raise InputError(f"{path}：文件格式错误：{exc}") from exc
    return _from_mapping(path, data)


def _from_mapping(path: Path, data: Any) -> list[UnitInputs]:
    if not isinstance(data, dict):
        raise InputError(f"{path}：应为映射（含 units 或 inputs）")
    if "units" in data:
        units = data["units"]
        if not isinstance(units, list):
            raise InputError(f"{path}：units 应为列表")
        out = []
        for k, u in enumerate(units):
            if not isinstance(u, dict) or not isinstance(u.get("inputs", {}), dict):
                raise InputError(f"{path}：units[{k}] 应为含 unit 与 inputs 的映射")
            extra = set(u) - {"unit", "inputs"}
            if extra:
                raise InputError(f"{path}：units[{k}] 含未知键 {', '.join(sorted(extra))}")
            out.append(UnitInputs(str(u.get("unit", f"单位{k + 1}")), dict(u.get("inputs") or {})))
        names = [u.name for u in out]
        dup = {n for n in names if names.count(n) > 1}
        if dup:
            raise InputError(f"{path}：单位名称重复：{', '.join(sorted(dup))}")
        return out
    if "inputs" in data:
        extra = set(data) - {"unit", "inputs"}
        if extra:
            raise InputError(f"{path}：含未知键 {', '.join(sorted(extra))}")
        return [UnitInputs(str(data.get("unit", path.stem)), dict(data.get("inputs") or {}))]
    raise InputError(f"{path}：缺少 units 或 inputs")


def _from_csv(path: Path, text: str) -> list[UnitInputs]:
    reader = csv.DictReader(text.splitlines())
    if not reader.fieldnames or "unit" not in reader.fieldnames:
        raise InputError(f"{path}：第1行应为表头且包含 unit 列")
    out = []
    for row in reader:
        name = row.pop("unit") or f"第{reader.line_num}行"
        values = {k: v for k, v in row.items() if k is not None and v not in (None, "")}
        if None in row:
            raise InputError(f"{path}：第{reader.line_num}行的列数多于表头")
        out.append(UnitInputs(name, values))
    return out
