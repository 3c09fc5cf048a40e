"""Fuzzing specs: thousands of mutated rubric specs through load → lint → scorer → workbook.

Every mutant must end in a result or a located ``XlcalcError``: never another exception, never a
file written outside the temporary directory, never a change to the spec file itself. Specs also
arrive inside returned workbooks, so this is the loader's hostile-input test.
"""

from __future__ import annotations

import hashlib
import os
import random
import re
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rule_snippets import HEADER, RULES

from xlcalc.errors import XlcalcError
from xlcalc.lint import lint
from xlcalc.scorer import Scorer, UnitInputs
from xlcalc.spec.loader import load_spec

ROOT = Path(__file__).resolve().parent.parent
SEEDS = {p.stem: p.read_text(encoding="utf-8") for p in sorted((ROOT / "rubric_specs").glob("*.yaml"))}
SNIPPETS = {f"rule_{kind}": HEADER.replace("{RULE}", rule) for kind, rule in RULES.items()}
# CI (CI=true) tries about 2,000 mutants; a developer's run a tenth of that.
SCALE = 10 if os.environ.get("CI") else 1

HOSTILE_SCALARS = [
    "=cmd|'/c calc'!A1",
    '\'=HYPERLINK("http://x","y")\'',
    ".nan",
    ".inf",
    "-.inf",
    "1e309",
    "9" * 40,
    "'1_000'",
    "-0",
    "0",
    "''",
    "~",
    "[]",
    "{}",
    "[[[[[[[[[[]]]]]]]]]]",
    '"\\x07\\u0085\\uFFFE"',
    "'../../etc/passwd'",
    "'/abs/path'",
    "'CON'",
    "&a x",
    "*a",
    "!!python/object:os.system ls",
    "!!binary aGVsbG8=",
    "a" * 300,
    "'长' * 9",
    "true",
    "'是'",
    "'80%'",
    "'%'",
    "-1",
    "1e-320",
    "'∞'",
    "｛｝",
]


_VALUE = re.compile(r"(?<=: )[^,}\n]*")


def mutate(text: str, rng: random.Random) -> str:
    """One random edit of a spec's text (block or flow style): a value replaced by a hostile one, a
    line dropped, doubled or re-indented, or noise inserted at a random place."""
    op = rng.randrange(6)
    if op <= 2:
        values = list(_VALUE.finditer(text))
        if values:
            m = rng.choice(values)
            return text[: m.start()] + rng.choice(HOSTILE_SCALARS) + text[m.end() :]
    lines = text.splitlines()
    k = rng.randrange(len(lines))
    if op == 3:
        del lines[k]
    elif op == 4:
        lines.insert(k, lines[k])
    elif op == 5:
        lines[k] = " " * rng.randrange(0, 9) + lines[k].lstrip()
    else:
        cut = rng.randrange(len(text))
        noise = "".join(chr(rng.randrange(0, 0x3000)) for _ in range(rng.randrange(1, 6)))
        return text[:cut] + noise + text[cut + rng.randrange(0, 3) :]
    return "\n".join(lines) + "\n"


COUNTS: Counter[str] = Counter()


def run_one(path: Path, build: bool) -> str:
    """'accepted', 'error' (a clean XlcalcError) — or the exception propagates (a defect)."""
    try:
        spec = load_spec(path)
        scorer = Scorer(spec)
        scorer.score([UnitInputs("单位", {})])
        if build:
            lint(spec)  # builds the workbook too (Excel limits)
    except XlcalcError as exc:
        assert str(exc).strip(), "an error must say what is wrong"
        return "error"
    return "accepted"


def _fuzz(tmp_path: Path, text: str, seed: int, edits: int, build: bool) -> None:
    rng = random.Random(seed)
    for _ in range(edits):
        text = mutate(text, rng)
    path = tmp_path / "spec.yaml"
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    listing = sorted(p.name for p in tmp_path.iterdir())
    COUNTS[run_one(path, build)] += 1
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == listing


_SETTINGS = {
    "deadline": None,
    "derandomize": True,
    "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
}


@pytest.mark.parametrize("name", sorted(SNIPPETS))
@settings(max_examples=15 * SCALE, **_SETTINGS)
@given(seed=st.integers(0, 2**32 - 1), edits=st.integers(1, 3))
def test_mutated_rule_specs_never_crash(tmp_path, name, seed, edits):
    _fuzz(tmp_path, SNIPPETS[name], seed, edits, build=True)


@pytest.mark.parametrize("name", sorted(SEEDS))
@settings(max_examples=3 * SCALE, **_SETTINGS)
@given(seed=st.integers(0, 2**32 - 1), edits=st.integers(1, 3))
def test_mutated_seed_specs_never_crash(tmp_path, name, seed, edits):
    _fuzz(tmp_path, SEEDS[name], seed, edits, build=seed % 4 == 0)


def test_fuzz_counts_are_reported(capsys):
    """Runs last in this module: prints tried / clean error / accepted / traceback (0 by construction
    of the tests above, which fail on any other exception)."""
    tried = sum(COUNTS.values())
    with capsys.disabled():
        print(
            f"\nspec fuzz: tried {tried}, clean error {COUNTS['error']}, accepted {COUNTS['accepted']}, traceback 0"
        )
