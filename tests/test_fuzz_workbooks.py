"""Fuzzing ``xlcalc check`` with mutated templates (zip, XML and cell level).

Every mutated file must give a report or an :class:`~xlcalc.errors.XlcalcError` with a message, never
another exception; the file must be unchanged, nothing may be written outside the temporary directory,
and the traced peak memory per file stays under ``PEAK_MB``. The counts (tried / clean error /
accepted / traceback) are printed at the end of the module; for a longer run:

    python3 tests/test_fuzz_workbooks.py 500     # 500 mutations, seed 0
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import random
import re
import sys
import tempfile
import traceback
import tracemalloc
from collections import Counter
from collections.abc import Callable
from pathlib import Path

sys.path[:0] = [str(Path(__file__).parent), str(Path(__file__).parent.parent)]

import hostile  # noqa: E402
import pytest  # noqa: E402
from conftest import FAST_TIER, examples  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from xlcalc.check import CheckReport, check_workbook  # noqa: E402
from xlcalc.errors import XlcalcError  # noqa: E402
from xlcalc.spec.loader import load_spec  # noqa: E402
from xlcalc.workbook.build import build_workbook, write_workbook  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SPECS = ("anqing_2023", "qingyunpu_2023")  # one ranked, one form layout
PEAK_MB = 100
COUNTS: Counter[str] = Counter()
Mutation = Callable[[bytes, random.Random], bytes]


# ---- mutations -------------------------------------------------------------------------------
def _sheets(data: bytes) -> list[str]:
    return re.findall(r'<sheet [^>]*name="([^"]+)"', hostile.members(data)["xl/workbook.xml"].decode())


def _edit(data: bytes, rnd: random.Random, fn: Callable[[str], str], sheet: str | None = None) -> bytes:
    return hostile.edit_sheet(data, sheet or rnd.choice(_sheets(data)), fn)


def _ref(rnd: random.Random, far: bool = False) -> str:
    from openpyxl.utils import get_column_letter

    if far:
        return f"{get_column_letter(rnd.randint(1, 16384))}{rnd.choice([rnd.randint(1, 1048576), 1048576])}"
    return f"{get_column_letter(rnd.randint(1, 40))}{rnd.randint(1, 20)}"


def _cell_xml(rnd: random.Random) -> tuple[str, str]:
    kind = rnd.choice(["n", "s", "b", "e", "str", "inline", "formula", "junk"])
    return {
        "n": ("<v>" + rnd.choice(["1", "-0.5", "1E308", "nan", "", "9" * 400]) + "</v>", ""),
        "s": ("<v>" + rnd.choice(["0", "-1", "999999999", "x"]) + "</v>", ' t="s"'),
        "b": ("<v>" + rnd.choice(["1", "0", "2"]) + "</v>", ' t="b"'),
        "e": ("<v>#DIV/0!</v>", ' t="e"'),
        "str": ("<v>待填</v>", ' t="str"'),
        "inline": ("<is><t>" + "长" * rnd.choice([1, 40_000]) + "</t></is>", ' t="inlineStr"'),
        "formula": ("<f>" + rnd.choice(["1+1", "[1]S!A1", 'WEBSERVICE("http://x")', "A1"]) + "</f>", ""),
        "junk": ("<v>1</v><v>2</v><f/>", rnd.choice(["", ' t="zz"'])),
    }[kind]


def truncate(data: bytes, rnd: random.Random) -> bytes:
    return data[: rnd.randint(0, len(data) - 1)]


def flip_bytes(data: bytes, rnd: random.Random) -> bytes:
    out = bytearray(data)
    for _ in range(rnd.randint(1, 20)):
        out[rnd.randrange(len(out))] ^= rnd.randint(1, 255)
    return bytes(out)


def flip_in_member(data: bytes, rnd: random.Random) -> bytes:
    parts = hostile.members(data)
    name = rnd.choice(sorted(parts))
    body = bytearray(parts[name])
    for _ in range(rnd.randint(1, 5)):
        if body:
            body[rnd.randrange(len(body))] = rnd.choice(b"<>&\"'/=x\x00\xff")
    parts[name] = bytes(body)
    return hostile.pack(parts)


def huge_dimension(data: bytes, rnd: random.Random) -> bytes:
    return _edit(
        data, rnd, lambda x: re.sub(r'<dimension ref="[^"]*"/>', '<dimension ref="A1:XFD1048576"/>', x)
    )


def stray_cell(data: bytes, rnd: random.Random) -> bytes:
    inner, attrs = _cell_xml(rnd)
    return _edit(data, rnd, lambda x: hostile.set_cell(x, _ref(rnd, far=True), inner, attrs))


def random_cell(data: bytes, rnd: random.Random) -> bytes:
    inner, attrs = _cell_xml(rnd)
    return _edit(data, rnd, lambda x: hostile.set_cell(x, _ref(rnd), inner, attrs))


def bogus_shared_strings(data: bytes, rnd: random.Random) -> bytes:
    count = rnd.choice([0, 1, 5, 100_000])
    body = "".join(f"<si><t>{k}</t></si>" for k in range(count)) + rnd.choice(["", "<si>", "<si><t>x"])
    sst = f'<sst xmlns="{hostile.MAIN}" count="{rnd.randint(0, 10**9)}">{body}</sst>'.encode()
    return hostile._with_shared_strings(data, sst, level=6)


def delete_sheet(data: bytes, rnd: random.Random) -> bytes:
    return hostile.delete_sheet(data, rnd.choice(_sheets(data)))


def rename_sheet(data: bytes, rnd: random.Random) -> bytes:
    old = rnd.choice(_sheets(data))
    return hostile.rename_sheet(data, old, rnd.choice([old + "1", "Sheet1", "评分", "_规格"]))


def input_formula(data: bytes, rnd: random.Random) -> bytes:
    ref = f"{rnd.choice('BCDEF')}{rnd.randint(4, 13)}"
    return _edit(data, rnd, lambda x: hostile.set_cell(x, ref, "<f>1+1</f><v>2</v>"), "填报")


def external_ref(data: bytes, rnd: random.Random) -> bytes:
    return _edit(data, rnd, lambda x: hostile.set_cell(x, _ref(rnd), f"<f>[{rnd.randint(1, 9)}]S!A1</f>"))


def giant_claim(data: bytes, rnd: random.Random) -> bytes:
    text = rnd.choice(["A4:A20003", "A4:A1048576", "A1:XFD1048576", "junk:", ":", "A4:A3", "ZZZZ1:A1"])
    ref = f"B{rnd.randint(2, 4)}"
    return _edit(
        data, rnd, lambda x: hostile.set_cell(x, ref, f"<is><t>{text}</t></is>", ' t="inlineStr"'), "_公式"
    )


def drop_member(data: bytes, rnd: random.Random) -> bytes:
    parts = hostile.members(data)
    del parts[rnd.choice(sorted(parts))]
    return hostile.pack(parts)


def duplicate_rows(data: bytes, rnd: random.Random) -> bytes:
    def fn(x: str) -> str:
        rows = re.findall(r"<row [^>]*>.*?</row>", x, re.S)
        if not rows:
            return x
        row = rnd.choice(rows)
        extra = row * rnd.choice([2, 1000]) if rnd.random() < 0.5 else "".join(reversed(rows))
        return x.replace("</sheetData>", extra + "</sheetData>")

    return _edit(data, rnd, fn)


MUTATIONS: dict[str, Mutation] = {
    f.__name__: f
    for f in (
        truncate,
        flip_bytes,
        flip_in_member,
        huge_dimension,
        stray_cell,
        random_cell,
        bogus_shared_strings,
        delete_sheet,
        rename_sheet,
        input_formula,
        external_ref,
        giant_claim,
        drop_member,
        duplicate_rows,
    )
}


# ---- one trial -------------------------------------------------------------------------------
class WriteWatch:
    """An audit hook recording files opened for writing outside an allowed directory."""

    def __init__(self) -> None:
        self.allowed: str | None = None
        self.violations: list[str] = []
        sys.addaudithook(self._hook)

    def _hook(self, event: str, args: tuple) -> None:
        if event != "open" or self.allowed is None or not isinstance(args[0], str | bytes | os.PathLike):
            return
        path, mode, flags = os.fsdecode(args[0]), args[1], args[2] or 0
        writing = (mode and any(c in mode for c in "wax+")) or flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT)
        if writing and not os.path.abspath(path).startswith(self.allowed) and not path.endswith(".pyc"):
            self.violations.append(path)


WATCH = WriteWatch()


def trial(data: bytes, workdir: Path, spec: object | None = None) -> str:
    """Check one file; the outcome ("error", "accepted", "traceback"); asserts the invariants."""
    path = workdir / "returned.xlsx"
    path.write_bytes(data)
    digest = hashlib.sha256(data).hexdigest()
    WATCH.allowed, WATCH.violations = str(workdir.resolve()), []
    tracemalloc.start()
    try:
        report = check_workbook(path, spec)  # type: ignore[arg-type]
        assert isinstance(report, CheckReport) and report.render()
        outcome = "accepted"
    except XlcalcError as exc:
        assert str(exc).strip()
        outcome = "error"
    except Exception:
        traceback.print_exc()
        outcome = "traceback"
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        WATCH.allowed = None
    COUNTS["tried"] += 1
    COUNTS[outcome] += 1
    assert outcome != "traceback"
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest
    assert WATCH.violations == [], WATCH.violations
    assert peak < PEAK_MB << 20, f"peak {peak >> 20} MB"
    assert sorted(p.name for p in workdir.iterdir()) == [path.name]
    return outcome


def build_templates(out: Path) -> dict[str, tuple[bytes, object]]:
    built = {}
    for name in SPECS:
        spec = load_spec(ROOT / "rubric_specs" / f"{name}.yaml")
        built[name] = (write_workbook(build_workbook(spec), out / f"{name}.xlsx").read_bytes(), spec)
    return built


# ---- pytest ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def templates(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest):
    COUNTS.clear()
    yield build_templates(tmp_path_factory.mktemp("fuzz-templates"))
    line = "fuzz check: " + "，".join(f"{k} {COUNTS[k]}" for k in ("tried", "error", "accepted", "traceback"))
    capture = request.config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
        print("\n" + line)


@settings(
    max_examples=examples(12),
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    name=st.sampled_from(sorted(MUTATIONS)),
    which=st.sampled_from(SPECS),
    rnd=st.randoms(use_true_random=False),
)
def test_mutated_workbook_never_crashes(templates, name: str, which: str, rnd: random.Random) -> None:
    data, spec = templates[which]
    with tempfile.TemporaryDirectory(prefix="xlcalc-fuzz-") as d:
        trial(MUTATIONS[name](data, rnd), Path(d), spec if rnd.random() < 0.7 else None)


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_every_mutation_once(templates, name: str) -> None:
    # The fast tier takes the small form (a check of 安庆 costs ~3 s); the full suite the cohort.
    data, spec = templates["qingyunpu_2023" if os.environ.get(FAST_TIER) else "anqing_2023"]
    with tempfile.TemporaryDirectory(prefix="xlcalc-fuzz-") as d:
        trial(MUTATIONS[name](data, random.Random(name)), Path(d), spec)


def main(n: int, seed: int = 0) -> None:
    rnd = random.Random(seed)
    by_op: Counter[tuple[str, str]] = Counter()
    with tempfile.TemporaryDirectory(prefix="xlcalc-fuzz-") as top:
        templates = build_templates(Path(top))
        for _ in range(n):
            name, which = rnd.choice(sorted(MUTATIONS)), rnd.choice(SPECS)
            data, spec = templates[which]
            with tempfile.TemporaryDirectory(prefix="xlcalc-fuzz-") as d:
                try:
                    outcome = trial(MUTATIONS[name](data, rnd), Path(d), spec)
                except AssertionError as exc:
                    outcome = f"invariant broken: {exc}"
            by_op[(name, outcome)] += 1
    for (name, outcome), k in sorted(by_op.items()):
        print(f"{name:22s} {outcome:10s} {k}")
    print("，".join(f"{k} {COUNTS[k]}" for k in ("tried", "error", "accepted", "traceback")))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100, int(sys.argv[2]) if len(sys.argv) > 2 else 0)
