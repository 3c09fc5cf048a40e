"""Reference-scorer speed and ``score --json`` memory.

Speed, on the 安庆 2023 rubric (target ≥ 10,000 unit-scores/s): the ten example units of
examples/anqing_2023_units.yaml replicated with jitter to 20,000 (a dozen caseloads, 20–30
survey answers each). Prints raw cell evaluation, normalisation of typed values (workbook cells,
the API) and of written text (inputs files), and full scoring.

Memory: peak RSS of ``xlcalc score SPEC --inputs FILE.csv --json > /dev/null`` in a child
process (``os.wait4``), for 100,000 units of a single-project rubric (evaluated in chunks) and of
the ranked 安庆 cohort (cells held once, released as written), against references measured in
the same run: the same command on 10,000 units, loading the inputs file alone, and the whole
document built in memory before writing (the behaviour before streaming) on 10,000 units.

    python3 bench/score_speed.py            # everything (a few minutes on a busy machine)
    python3 bench/score_speed.py --speed    # speed only
"""

from __future__ import annotations

import csv
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from xlcalc.inputs import load_inputs
from xlcalc.scorer import Scorer, UnitInputs, json_envelope, resolve_params
from xlcalc.spec.loader import load_spec
from xlcalc.spec.model import Spec

ROOT = Path(__file__).resolve().parent.parent
N = 20_000
BIG = 100_000
SMALL = 10_000


def best_of(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def typed_units(scorer: Scorer, example: Path, n: int, seed: int = 1) -> list[UnitInputs]:
    """The example's units as cell values, replicated to ``n`` with small jitter on counts."""
    base = [scorer.normalize(u) for u in load_inputs(example)]
    rng = random.Random(seed)
    out = []
    for k in range(n):
        v = dict(base[k % len(base)])
        if scorer.spec.meta.id == "anqing_2023":
            for key in ("cases", "closed", "h1_excellent", "h2_excellent", "complaints"):
                if isinstance(v.get(key), float):
                    v[key] = max(0.0, v[key] + rng.randint(-2, 2))
            v["closed"] = min(v["closed"], v["approved"])
            v["lawyer_cases"] = min(v["lawyer_cases"], v["closed"])
            for h in ("h1", "h2"):
                v[f"{h}_excellent"] = min(v[f"{h}_excellent"], v[f"{h}_reviewed"])
        out.append(UnitInputs(f"U{k}", v))
    return out


def written(spec: Spec, value: Any, percent: bool) -> str:
    """A cell value as a user writes it in a CSV file."""
    if value is None:
        return ""
    if isinstance(value, list):
        return ";".join(written(spec, x, False) for x in value)
    if isinstance(value, float):
        return f"{Decimal(repr(value)).scaleb(2).normalize():f}%" if percent else repr(value)
    return str(value)


def write_csv(spec: Spec, units: list[UnitInputs], path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["unit", *(i.id for i in spec.inputs)])
        for u in units:
            w.writerow([u.name, *(written(spec, u.values.get(i.id), i.is_percent) for i in spec.inputs)])


def child(mode: str, spec_path: str, inputs: str) -> None:
    """One measured run: ``stream`` (the command), ``whole`` (document built first), ``load`` (inputs only)."""
    with open(os.devnull, "w", encoding="utf-8") as out:
        if mode == "stream":
            from xlcalc.cli import main

            sys.stdout = out
            main(["score", spec_path, "--inputs", inputs, "--json"])
        elif mode == "whole":
            spec = load_spec(spec_path)
            results = Scorer(spec).score(load_inputs(inputs))
            doc = {**json_envelope("score", spec, {}), "units": [r.to_json() for r in results]}
            out.write(json.dumps(doc, ensure_ascii=False, indent=2))
        else:
            Scorer(load_spec(spec_path))
            load_inputs(inputs)


def peak_rss_mb(mode: str, spec_path: Path, inputs: Path) -> float:
    cmd = [sys.executable, __file__, "--child", mode, str(spec_path), str(inputs)]
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode:
        raise SystemExit(f"{' '.join(cmd)} failed ({p.returncode})")
    return usage.ru_maxrss / 1024  # KiB on Linux


def speed() -> None:
    spec = load_spec(ROOT / "rubric_specs" / "anqing_2023.yaml")
    t0 = time.perf_counter()
    scorer = Scorer(spec)
    compile_s = time.perf_counter() - t0
    units = typed_units(scorer, ROOT / "examples" / "anqing_2023_units.yaml", N)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "units.csv"
        write_csv(spec, units, path)
        text_units = load_inputs(path)
    rows = [scorer.normalize(u) for u in units]
    assert rows == [scorer.normalize(u) for u in text_units]  # the file says what the cells hold
    params = resolve_params(spec)
    t_eval = best_of(lambda: scorer.evaluate(rows, params))
    t_typed = best_of(lambda: [scorer.normalize(u) for u in units])
    t_text = best_of(lambda: [scorer.normalize(u) for u in text_units])
    t_score = best_of(lambda: scorer.score(units))
    quiet = Scorer(spec, explain=False)
    t_quiet = best_of(lambda: quiet.evaluate(rows, params))
    t_quiet_score = best_of(lambda: quiet.score(units))
    print(
        f"安庆 2023: {len(scorer.graph.cells)} cells per unit, compile {compile_s * 1000:.0f} ms, {N:,} units in one cohort"
    )
    print(f"  evaluate (every cell, explanations included): {N / t_eval:>9,.0f} unit-scores/s")
    print(f"  normalise typed values (cells, API):          {N / t_typed:>9,.0f} units/s")
    print(f"  normalise written text (inputs files):        {N / t_text:>9,.0f} units/s")
    print(f"  score (normalise + evaluate + results):       {N / t_score:>9,.0f} unit-scores/s")
    print(f"  evaluate, scores only (explain=False):        {N / t_quiet:>9,.0f} unit-scores/s")
    print(f"  score, scores only (explain=False):           {N / t_quiet_score:>9,.0f} unit-scores/s")


def memory() -> None:
    print("score --json > /dev/null, peak RSS of the child process:")
    cases = [("ezhou_2021_enforcement", "ezhou_2021_enforcement"), ("anqing_2023", "anqing_2023_units")]
    with tempfile.TemporaryDirectory() as tmp:
        for name, example in cases:
            spec_path = ROOT / "rubric_specs" / f"{name}.yaml"
            scorer = Scorer(load_spec(spec_path))
            files = {}
            for n in (SMALL, BIG):
                files[n] = Path(tmp) / f"{name}_{n}.csv"
                write_csv(
                    scorer.spec, typed_units(scorer, ROOT / "examples" / f"{example}.yaml", n), files[n]
                )
            how = (
                "ranked cohort: cells held once" if len(scorer.graph.strata) > 1 else "chunks of 1,000 units"
            )
            small = peak_rss_mb("stream", spec_path, files[SMALL])
            big = peak_rss_mb("stream", spec_path, files[BIG])
            load = peak_rss_mb("load", spec_path, files[BIG])
            whole = peak_rss_mb("whole", spec_path, files[SMALL])
            print(f"  {name} ({how}):")
            print(
                f"    streamed, {BIG:>7,} units: {big:>7,.0f} MB   ({big / small:.2f}× the {SMALL:,}-unit run)"
            )
            print(f"    streamed, {SMALL:>7,} units: {small:>7,.0f} MB")
            print(
                f"    loading the {BIG:,}-unit file alone: {load:,.0f} MB (streamed run is {big / load:.2f}× this)"
            )
            print(
                f"    whole document first (before), {SMALL:,} units: {whole:,.0f} MB ({whole / small:.1f}× streamed)"
            )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(*sys.argv[2:5])
    else:
        speed()
        if "--speed" not in sys.argv:
            memory()
