"""Derived quantities min, max, clamp and piecewise (issue 13, item 10): the assessment base of a
fee rubric is 15万 when last year's fees reached 15万, last year's fees between 6万 and 15万, and 6万
below that; the rate is this year's fees over that base."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import agreement_run

from xlcalc.errors import SpecError
from xlcalc.lowering import Lowering
from xlcalc.scorer import Scorer, UnitInputs, resolve_params
from xlcalc.spec.loader import load_spec
from xlcalc.verify.cases import rule_probes

SPEC = """
meta: {id: fees, title: 收费考核, total: 10}
inputs:
  - {id: last_fees, label: 上年收费, unit: 万元, type: number, min: 0, max: 1000}
  - {id: fees, label: 本年收费, unit: 万元, type: number, min: 0, max: 1000}
  - {id: a, label: 甲项, unit: 件, type: integer, min: 0, max: 100}
  - {id: b, label: 乙项, unit: 件, type: integer, min: 0, max: 100}
derived:
  - id: base
    label: 考核基数
    unit: 万元
    kind: piecewise
    of: [last_fees]
    pieces: [{from: 15, value: 15}, {from: 6, value: last_fees}, {value: 6}]
  - {id: base_clamped, label: 考核基数（限定）, unit: 万元, kind: clamp, of: [last_fees], min: 6, max: 15}
  - {id: fee_rate, label: 收费完成率, kind: ratio, of: [fees, base], percent: true}
  - {id: fewer, label: 较少一项, unit: 件, kind: min, of: [a, b]}
  - {id: more, label: 较多一项, unit: 件, kind: max, of: [a, b]}
tree:
  id: total
  label: 总分
  points: 10
  children:
    - id: fee_item
      label: 收费完成
      points: 6
      rule: {kind: threshold, when: [{value: fee_rate, op: '>=', than: 100%}]}
    - id: both_items
      label: 两项均衡
      points: 4
      rule: {kind: deduction, shortfall: {value: fewer, target: 4}, per: 1, unit: 件, floor: zero}
"""


@pytest.fixture(scope="module")
def spec(tmp_path_factory: pytest.TempPathFactory):
    path = tmp_path_factory.mktemp("derived") / "fees.yaml"
    path.write_text(SPEC, encoding="utf-8")
    return load_spec(path)


@pytest.mark.parametrize(
    ("last_fees", "base"),
    [(20, 15.0), (15, 15.0), (14.99, 14.99), (6, 6.0), (5.99, 6.0), (0, 6.0)],
)
def test_piecewise_and_clamp_agree_on_the_assessment_base(spec, last_fees: float, base: float) -> None:
    scorer = Scorer(spec)
    row = scorer.normalize(UnitInputs("甲", {"last_fees": last_fees, "fees": 10, "a": 1, "b": 2}))
    cells = scorer.evaluate([row], resolve_params(spec))[0]
    assert cells["base"] == base and cells["base_clamped"] == base
    assert (cells["fewer"], cells["more"]) == (1.0, 2.0)
    assert cells["fee_item"] == (6.0 if base <= 10 else 0.0)


def test_ranges_follow_the_pieces(spec) -> None:
    lw = Lowering(spec)
    assert lw.value_range("base") == (6.0, 15.0)
    assert lw.value_range("base_clamped") == (6.0, 15.0)
    assert lw.value_range("fewer") == (0.0, 100.0)


def test_probes_sit_on_every_bound(spec) -> None:
    probes = [p for node, p in rule_probes(spec) if node.startswith("derived:")]
    assert {p["last_fees"] for p in probes} >= {6.0, 15.0, 5.99, 14.99}


@pytest.mark.parametrize(
    ("pieces", "message"),
    [
        ("[{from: 6, value: last_fees}, {from: 15, value: 15}, {value: 6}]", "must be below"),
        ("[{from: 15, value: 15}, {from: 6, value: fees}, {value: 6}]", "must be a number or one of"),
        ("[{from: 15, value: 15}, {from: 6, value: last_fees}]", "the last piece has none"),
    ],
)
def test_bad_pieces_are_located_errors(tmp_path: Path, pieces: str, message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        SPEC.replace("[{from: 15, value: 15}, {from: 6, value: last_fees}, {value: 6}]", pieces),
        encoding="utf-8",
    )
    with pytest.raises(SpecError, match=message) as info:
        load_spec(path)
    assert "bad.yaml:" in str(info.value)


@pytest.mark.engine
@pytest.mark.parametrize("engine_name", ["libreoffice", "formulas"])
def test_workbook_agrees_with_the_scorer(spec, tmp_path: Path, engine_name: str) -> None:
    agreement_run(spec, tmp_path, engine_name, cases=120, seed=4)
