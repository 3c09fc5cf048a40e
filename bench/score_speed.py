"""Reference-scorer speed on the 安庆 2023 rubric: unit-scores per second (target ≥ 10,000).

Units are the ten example units of examples/anqing_2023_units.yaml, replicated with jitter to
20,000 (realistic list sizes: a dozen caseloads, 20–30 survey answers). Prints raw cell evaluation
(every cell of every unit, explanations included) and full scoring from raw inputs (normalisation,
evaluation, result objects).
"""

from __future__ import annotations

import random
import time
from pathlib import Path

from xlcalc.inputs import load_inputs
from xlcalc.scorer import Scorer, UnitInputs, resolve_params
from xlcalc.spec.loader import load_spec

ROOT = Path(__file__).resolve().parent.parent
N = 20_000


def best_of(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def jittered(units: list[UnitInputs], n: int, seed: int = 1) -> list[UnitInputs]:
    rng = random.Random(seed)
    out = []
    for k in range(n):
        base = dict(units[k % len(units)].values)
        for key in ("cases", "closed", "h1_excellent", "h2_excellent", "complaints"):
            if isinstance(base.get(key), int):
                base[key] = max(0, base[key] + rng.randint(-2, 2))
        base["closed"] = min(base["closed"], base["approved"])
        base["lawyer_cases"] = min(base["lawyer_cases"], base["closed"])
        for h in ("h1", "h2"):
            base[f"{h}_excellent"] = min(base[f"{h}_excellent"], base[f"{h}_reviewed"])
        out.append(UnitInputs(f"U{k}", base))
    return out


def main() -> None:
    spec = load_spec(ROOT / "rubric_specs" / "anqing_2023.yaml")
    t0 = time.perf_counter()
    scorer = Scorer(spec)
    compile_s = time.perf_counter() - t0
    units = jittered(load_inputs(ROOT / "examples" / "anqing_2023_units.yaml"), N)
    rows = [scorer.normalize(u) for u in units]
    params = resolve_params(spec)
    t_eval = best_of(lambda: scorer.evaluate(rows, params))
    t_score = best_of(lambda: scorer.score(units))
    quiet = Scorer(spec, explain=False)
    t_quiet = best_of(lambda: quiet.evaluate(rows, params))
    t_quiet_score = best_of(lambda: quiet.score(units))
    print(
        f"安庆 2023: {len(scorer.graph.cells)} cells per unit, compile {compile_s * 1000:.0f} ms, {N:,} units in one cohort"
    )
    print(f"  evaluate (every cell, explanations included): {N / t_eval:>9,.0f} unit-scores/s")
    print(f"  score (normalise + evaluate + results):       {N / t_score:>9,.0f} unit-scores/s")
    print(f"  evaluate, scores only (explain=False):        {N / t_quiet:>9,.0f} unit-scores/s")
    print(f"  score, scores only (explain=False):           {N / t_quiet_score:>9,.0f} unit-scores/s")


if __name__ == "__main__":
    main()
