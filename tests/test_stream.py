"""Streamed ``score`` output: byte-identical to the whole document built in memory, chunking invisible."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from xlcalc.cli import format_table, main
from xlcalc.cohort import has_cross_unit_items, provisional
from xlcalc.inputs import load_inputs
from xlcalc.scorer import Scorer, UnitInputs, json_envelope
from xlcalc.spec.loader import load_spec
from xlcalc.stream import iter_results, write_json

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))


def spec_path(example: Path) -> Path:
    own = ROOT / "rubric_specs" / example.name
    return own if own.exists() else ROOT / "rubric_specs" / "anqing_2023.yaml"  # 烈山 is filled into 安庆's


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.stem for e in EXAMPLES])
def test_streamed_output_is_the_whole_document(example, capsys):
    spec = load_spec(spec_path(example))
    results = Scorer(spec).score(load_inputs(example))
    whole = {**json_envelope("score", spec, {}), "units": [r.to_json() for r in results]}
    if has_cross_unit_items(spec):  # a ranked cohort says whether its ranking items are final
        cohort = provisional(spec, results)
        whole = {**json_envelope("score", spec, {}), "cohort": cohort}
        whole["units"] = [{**r.to_json(), "provisional": cohort["provisional"]} for r in results]
    assert main(["score", str(spec_path(example)), "--inputs", str(example), "--json"]) == 0
    assert capsys.readouterr().out == json.dumps(whole, ensure_ascii=False, indent=2) + "\n"
    assert main(["score", str(spec_path(example)), "--inputs", str(example)]) == 0
    assert capsys.readouterr().out == format_table(results) + "\n"


@pytest.mark.parametrize(
    ("name", "chunk"), [("ezhou_2021_pufa", 3), ("anqing_2023", 3), ("ezhou_2021_pufa", 1000)]
)
def test_chunks_score_as_one_cohort(name, chunk):
    spec = load_spec(ROOT / "rubric_specs" / f"{name}.yaml")
    example = ROOT / "examples" / ("anqing_2023_units.yaml" if name == "anqing_2023" else f"{name}.yaml")
    base = load_inputs(example)
    units = [UnitInputs(f"U{k}", base[k % len(base)].values) for k in range(10)]
    scorer = Scorer(spec)
    expected = [r.to_json() for r in scorer.score(units)]
    assert [r.to_json() for r in iter_results(scorer, units, chunk=chunk)] == expected


@pytest.mark.parametrize("head", [{}, {"format": "x", "params": {}}])
def test_no_units(head):
    out = io.StringIO()
    write_json(out, head, [])
    assert out.getvalue() == json.dumps({**head, "units": []}, ensure_ascii=False, indent=2) + "\n"


def test_a_bad_unit_anywhere_fails_before_any_output(tmp_path, capsys):
    rows = "\n".join(f"U{k},{'x' if k == 1500 else k}" for k in range(2000))
    bad = tmp_path / "u.csv"
    bad.write_text("unit,budget_year\n" + rows + "\n", encoding="utf-8")
    assert (
        main(["score", str(ROOT / "rubric_specs" / "ezhou_2021_pufa.yaml"), "--inputs", str(bad), "--json"])
        == 2
    )
    out, err = capsys.readouterr()
    assert out == "" and err.startswith(f"{bad}:1502 单位“U1500”，输入项 budget_year：") and "应为数字" in err
