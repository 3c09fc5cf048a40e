"""Fuzzing the readers of outside data: mutated values and inputs files over every spec in rubric_specs/.

Every attempt ends in a result or an :class:`~xlcalc.errors.XlcalcError` with a Chinese message —
never another exception — and no file changes. Derandomised and bounded (a few seconds); set
``XLCALC_FUZZ_EXAMPLES`` for a longer run. Counts (tried / clean error / accepted / traceback) are
printed at the end of the module (``pytest -s``) and by ``bench/fuzz_counts.py``.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import os
import random
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from conftest import examples
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xlcalc.errors import XlcalcError
from xlcalc.inputs import load_inputs
from xlcalc.scorer import Scorer, UnitInputs
from xlcalc.spec.loader import load_spec
from xlcalc.values import normalize_value, show

ROOT = Path(__file__).resolve().parent.parent
SPEC_FILES = sorted((ROOT / "rubric_specs").glob("*.yaml"))
SCORERS = [Scorer(load_spec(p), explain=False) for p in SPEC_FILES]
# One input of each kind the specs declare (type, unit, range, list shape): the values a reader meets.
INPUTS = list(
    {
        (i.type, i.unit, i.lo, i.hi, i.item_type, i.capacity, i.percent_points): i
        for s in SCORERS
        for i in s.spec.inputs
    }.values()
)
EXAMPLES = int(os.environ.get("XLCALC_FUZZ_EXAMPLES", "0")) or None
COUNTS: dict[str, Counter[str]] = {"values": Counter(), "files": Counter()}
FAILURES: list[str] = []
_CHINESE = re.compile(r"[\u4e00-\u9fff]")


def fuzz_settings(n: int) -> settings:
    return settings(
        max_examples=EXAMPLES or examples(n),
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


def attempt(kind: str, fn: Any, *args: Any) -> Any:
    """Run one attempt and count how it ended; anything but a located user error fails the test."""
    COUNTS[kind]["tried"] += 1
    try:
        result = fn(*args)
    except XlcalcError as exc:
        message = str(exc)
        if not _CHINESE.search(message):
            FAILURES.append(f"{kind}: message without Chinese: {message!r}")
            raise AssertionError(f"error message is not a Chinese sentence: {message!r}") from exc
        COUNTS[kind]["clean error"] += 1
        return None
    except Exception as exc:
        COUNTS[kind]["traceback"] += 1
        FAILURES.append(f"{kind}: {type(exc).__name__}: {exc!s:.200} for {[show(a) for a in args]}")
        raise
    COUNTS[kind]["accepted"] += 1
    return result


# ---- values ------------------------------------------------------------------------------------

SEEDS = [
    "98%",
    "1,234.5",
    "1.234,5",
    "95;90;88",
    "是",
    "0.98",
    "1e3",
    "５",
    "-0",
    "１，２３４．５",
    "80万元",
    "√",
]
NOISE = [*"0123456789,.;；、%％-+eE_ \n０１２３４５６７８９．，－−\u3000x是否√×", "NaN", "inf", "9" * 40]


def mutate(rng: random.Random) -> str:
    """A written value with one to four edits: the cheap bulk of the fuzzing (hypothesis draws are slow)."""
    s = rng.choice(SEEDS)
    for _ in range(rng.randint(1, 4)):
        k = rng.randint(0, len(s))
        op = rng.choice(("insert", "delete", "replace", "double"))
        if op == "insert":
            s = s[:k] + rng.choice(NOISE) + s[k:]
        elif op == "delete":
            s = s[:k] + s[k + 1 :]
        elif op == "replace":
            s = s[:k] + rng.choice(NOISE) + s[k + 1 :]
        else:
            s = s + s
    return s


def mutated() -> st.SearchStrategy[str]:
    return st.builds(mutate, st.randoms(use_true_random=False))


SCALARS = st.one_of(
    mutated(),
    st.text(max_size=30),
    st.text(alphabet="0123456789,.;%-eE_ ", max_size=40),
    st.integers(),
    st.sampled_from([-(10**400), 10**15, 2**53 + 1]),
    st.integers(4300, 5000).map(lambda n: 10**n),  # beyond str()'s digit limit
    st.floats(),
    st.booleans(),
    st.none(),
    st.just("9" * 5000),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
    max_leaves=8,
)
# What a file can hold: JSON/YAML text has no int too long for str() (files give text; "9" * 5000 stays).
PLAUSIBLE = st.sampled_from(["5", "0", "98%", "是", "否", "0.5", "1;2;3", "1,234", "已整改", "", "1"])
FILE_VALUES = PLAUSIBLE | st.recursive(
    st.one_of(
        mutated(), st.text(max_size=20), st.integers(-(10**20), 10**20), st.floats(), st.booleans(), st.none()
    ),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=2),
    max_leaves=6,
)


@fuzz_settings(400)
@given(VALUES, st.randoms(use_true_random=False))
def test_values_never_crash(raw: Any, rng: random.Random) -> None:
    for value in [raw, *(mutate(rng) for _ in range(10))]:
        for inp in INPUTS:
            attempt("values", normalize_value, inp, value, "甲")


@fuzz_settings(150)
@given(st.sampled_from(SCORERS), st.dictionaries(st.text(max_size=12), VALUES, max_size=6), st.data())
def test_units_never_crash(scorer: Scorer, extra: dict[str, Any], data: st.DataObject) -> None:
    ids = [i.id for i in scorer.spec.inputs]
    values = {i: data.draw(VALUES) for i in data.draw(st.lists(st.sampled_from(ids), max_size=8))}
    attempt("values", scorer.normalize, UnitInputs("甲", values, "u.csv:2"))
    attempt("values", scorer.normalize, UnitInputs("甲", {**values, **extra}))


# ---- files -------------------------------------------------------------------------------------

ENCODINGS = ("utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16", "utf-32", "latin-1", "big5")


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)


@st.composite
def inputs_files(draw: st.DrawFn) -> tuple[str, bytes]:
    """(suffix, bytes) of a plausible inputs file, then encoded, mutated or replaced by noise."""
    suffix = draw(st.sampled_from((".csv", ".yaml", ".json", ".yml", ".txt")))
    kind = draw(st.sampled_from(("structured", "structured", "structured", "noise", "nesting", "aliases")))
    if kind == "noise":
        return suffix, draw(st.binary(max_size=400))
    if kind == "nesting":
        depth = draw(st.sampled_from((15, 16, 17, 1000, 100_000)))
        opener = draw(st.sampled_from(("[", '{"a": ', "- ", "a:\n ")))
        return suffix, (opener * depth).encode()
    if kind == "aliases":
        rows = ["a: &a [x, x, x, x]"] + [
            f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}]" for p, c in zip("abcdef", "bcdefg", strict=True)
        ]
        return suffix, ("\n".join(rows) + "\nunits: [{unit: 甲, inputs: {x: *g}}]\n").encode()
    scorer = draw(st.sampled_from(SCORERS))
    ids = [i.id for i in scorer.spec.inputs] + ["unknown"]
    names = st.sampled_from(["甲", "乙", "迎江区", "", " 甲 "]) | st.text(max_size=8)
    units = [
        (draw(names), {i: draw(FILE_VALUES) for i in draw(st.lists(st.sampled_from(ids), max_size=5))})
        for _ in range(draw(st.integers(0, 4)))
    ]
    fmt = draw(st.sampled_from(("csv", "yaml", "json")))
    if fmt == "json":
        text = json.dumps(
            {"units": [{"unit": n, "inputs": v} for n, v in units]}, ensure_ascii=draw(st.booleans())
        )
    elif fmt == "yaml":  # values pasted unquoted: the YAML parser sees whatever the user typed
        text = "units:\n" + "".join(
            f"  - unit: {n}\n    inputs:\n" + "".join(f"      {k}: {_text(x)}\n" for k, x in v.items())
            for n, v in units
        )
    else:
        out = io.StringIO()
        cols = sorted({k for _, v in units for k in v})
        w = csv.writer(out)
        w.writerow(["unit", *cols])
        for n, v in units:
            w.writerow([n, *(_text(v.get(c, "")) for c in cols)])
        text = out.getvalue()
    data = text.encode(draw(st.sampled_from(ENCODINGS)), errors="replace")
    for _ in range(draw(st.sampled_from((0, 0, 1, 2, 3)))):
        k = draw(st.integers(0, len(data)))
        op = draw(st.sampled_from(("flip", "insert", "truncate", "bom")))
        if op == "flip" and k < len(data):
            data = data[:k] + bytes([data[k] ^ draw(st.integers(1, 255))]) + data[k + 1 :]
        elif op == "insert":
            data = data[:k] + draw(st.binary(min_size=1, max_size=4)) + data[k:]
        elif op == "truncate":
            data = data[:k]
        else:
            data = draw(st.sampled_from((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF32_LE))) + data
    if draw(st.integers(0, 9)):  # mostly named for what it holds
        suffix = {"csv": ".csv", "yaml": ".yaml", "json": ".json"}[fmt]
    return suffix, data


def _load_and_normalize(path: Path) -> int:
    units = load_inputs(path)
    scorer = next(
        (s for s in SCORERS if s.spec.inputs and all(k in s.inputs for u in units for k in u.values)), None
    )
    for u in units:
        if scorer is not None:
            scorer.normalize(u)
    return len(units)


@pytest.fixture(scope="module")
def fuzz_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@fuzz_settings(400)
@given(inputs_files())
def test_inputs_files_never_crash(fuzz_dir: Path, file: tuple[str, bytes]) -> None:
    suffix, data = file
    path = fuzz_dir / f"u{COUNTS['files']['tried']}{suffix}"
    path.write_bytes(data)
    before = path.stat().st_mtime_ns
    attempt("files", _load_and_normalize, path)
    assert path.read_bytes() == data and path.stat().st_mtime_ns == before


def _digest() -> str:
    h = hashlib.sha256()
    for p in sorted((ROOT / "rubric_specs").glob("*")) + sorted((ROOT / "examples").glob("*")):
        h.update(p.read_bytes())
    return h.hexdigest()


@pytest.fixture(scope="module", autouse=True)
def report_counts():
    """Prints the counts (``pytest -s``) and checks the fuzzing changed no file of the project."""
    digest = _digest()
    yield
    assert _digest() == digest
    for kind, c in COUNTS.items():
        print(
            f"\nfuzz {kind}: tried {c['tried']:,}, clean error {c['clean error']:,}, "
            f"accepted {c['accepted']:,}, traceback {c['traceback']:,}"
        )
