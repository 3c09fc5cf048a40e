"""The cohort of a ranked rubric: unknown units are located errors; results are provisional while
any unit is incomplete (rubrics with ranking items only)."""

from __future__ import annotations

import json
import re

import pytest
from conftest import ANQING, ROOT
from lang_specs import COUNTY_MIX, load_text

from xlcalc.cli import main
from xlcalc.cohort import check_units, provisional, with_fixed_values
from xlcalc.errors import InputError
from xlcalc.inputs import load_inputs
from xlcalc.scorer import Scorer, UnitInputs
from xlcalc.spec.loader import load_spec

EXAMPLE = ROOT / "examples" / "anqing_2023_units.yaml"


def test_unit_outside_the_cohort_is_a_located_error() -> None:
    spec = load_spec(ANQING)
    units = load_inputs(EXAMPLE) + [UnitInputs("外市某县", {})]
    with pytest.raises(InputError, match=r"units\[10\].*外市某县"):
        check_units(spec, units, "in.yaml")
    check_units(spec, [UnitInputs("烈山区", {})], "other_cohort.yaml")  # another city's cohort


def test_unit_outside_the_cohort_is_located_at_its_line(tmp_path) -> None:
    """Read from a file, the unit's own line is named (file:line), as in every other input error."""
    path = tmp_path / "units.csv"
    path.write_text("unit,population\n迎江区,380000\n外市某县,2\n", encoding="utf-8")
    with pytest.raises(InputError, match=rf"^{re.escape(str(path))}:3：单位“外市某县”不在"):
        check_units(load_spec(ANQING), load_inputs(path), str(path))


@pytest.mark.parametrize(
    ("blank", "expected"),
    [((), (False, 10)), ((3,), (True, 9)), ((0, 1), (True, 8))],
)
def test_provisional_while_a_unit_is_blank(blank: tuple[int, ...], expected: tuple[bool, int]) -> None:
    spec = load_spec(ANQING)
    units = [UnitInputs(u.name, {}) if k in blank else u for k, u in enumerate(load_inputs(EXAMPLE))]
    status = provisional(spec, Scorer(spec).score(units))
    assert (status["provisional"], status["complete_units"]) == expected
    assert (f"暂按{expected[1]}个单位" in status["note"]) is expected[0]


def test_one_county_alone_is_provisional_in_the_json(capsys: pytest.CaptureFixture[str], tmp_path) -> None:
    one = load_inputs(EXAMPLE)[0]
    path = tmp_path / "one.json"
    path.write_text(
        json.dumps({"units": [{"unit": one.name, "inputs": dict(one.values)}]}, ensure_ascii=False)
    )
    assert main(["score", str(ANQING), "--inputs", str(path), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["cohort"]["provisional"] is True and doc["units"][0]["provisional"] is True
    assert doc["cohort"]["note"] == "排名项暂按1个单位计算"


@pytest.mark.parametrize(
    ("written", "expected"),
    [(None, "区级"), ("", "区级"), ("区级", "区级"), (" 区级 ", " 区级 "), ("县级", None)],
)
def test_values_fixed_with_the_units_fill_an_inputs_file(tmp_path, written, expected) -> None:
    """meta.units gives each unit's 单位层级: an inputs file may leave it out, never contradict it."""
    spec = load_text(COUNTY_MIX, tmp_path)
    units = [UnitInputs("甲区", {"level": written}), UnitInputs("外市某区", {"cases": 3})]
    if expected is None:
        with pytest.raises(InputError, match=r"in.yaml：units\[0\] 的单位“甲区”的“单位层级”填写为“县级”"):
            with_fixed_values(spec, units, "in.yaml")
        return
    filled = with_fixed_values(spec, units, "in.yaml")
    assert filled[0].values["level"] == expected and filled[1] is units[1]
