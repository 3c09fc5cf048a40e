"""Refactoring guard: every command's output on every shipped spec, example and template is unchanged.

The goldens in tests/golden/invariance/ were taken on main before the issue-10 restructuring; a change
that alters any byte of these outputs is a behaviour change and must say so (regenerate with
``python3 -m tests.test_invariance``, on the code whose behaviour is the reference, and explain why
in the commit). Templates byte-identical to a fresh
build is already ``test_workbook_build.py::test_templates_are_up_to_date``; ``check`` runs on those
shipped templates here, so together they cover the built files.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from xlcalc import cli
from xlcalc.spec.loader import load_spec
from xlcalc.verify.cases import rule_probes

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden" / "invariance" / "outputs.json"
PROBES = GOLDEN.parent / "probes.json"
# Outputs longer than this are kept as a hash only, so the golden file stays small.
INLINE_LIMIT = 4000

# Example inputs → the spec they fill (the name matches unless listed).
SPEC_OF = {"anqing_2023_units": "anqing_2023", "lieshan_2023": "anqing_2023"}


def _cases() -> Iterator[tuple[str, list[str]]]:
    specs = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "rubric_specs").glob("*.yaml"))
    examples = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "examples").glob("*.yaml"))
    for path in specs + examples:
        yield f"lint {path}", ["lint", path]
    for example in examples:
        spec = f"rubric_specs/{SPEC_OF.get(Path(example).stem, Path(example).stem)}.yaml"
        yield f"score {example}", ["score", spec, "--inputs", example]
        yield f"score --json {example}", ["score", spec, "--inputs", example, "--json"]
        yield f"audit {example}", ["audit", spec, "--inputs", example]
        yield f"audit --json {example}", ["audit", spec, "--inputs", example, "--json"]
    for template in sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "templates").glob("*.xls*")):
        yield f"check {template}", ["check", template]


CASES = dict(_cases())


def _run(argv: list[str]) -> dict[str, object]:
    out, err = io.StringIO(), io.StringIO()
    cwd = os.getcwd()
    os.chdir(ROOT)  # outputs name paths relative to the checkout
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                rc = cli.main(argv)
            except SystemExit as exc:
                rc = exc.code
    finally:
        os.chdir(cwd)
    record: dict[str, object] = {"rc": rc}
    for name, raw in (("stdout", out.getvalue()), ("stderr", err.getvalue())):
        text = raw.replace(str(ROOT), "<root>")  # check names the spec it found by absolute path
        if len(text) <= INLINE_LIMIT:
            record[name] = text
        else:
            record[name + "_sha256"] = hashlib.sha256(text.encode()).hexdigest()
    return record


def _golden() -> dict[str, dict[str, object]]:
    return json.loads(GOLDEN.read_text(encoding="utf-8"))


def test_golden_covers_every_case() -> None:
    assert sorted(_golden()) == sorted(CASES), "examples or specs changed: regenerate the goldens"


@pytest.mark.parametrize("case", sorted(CASES))
def test_output_unchanged(case: str) -> None:
    assert _run(CASES[case]) == _golden()[case]


def _probe_hashes() -> dict[str, str]:
    return {
        p.name: hashlib.sha256(repr(rule_probes(load_spec(p))).encode()).hexdigest()
        for p in sorted((ROOT / "rubric_specs").glob("*.yaml"))
    }


def test_verifier_probes_unchanged() -> None:
    """The boundary probes ``xlcalc verify`` lays over random units (verify itself needs an engine)."""
    assert _probe_hashes() == json.loads(PROBES.read_text(encoding="utf-8"))


if __name__ == "__main__":
    GOLDEN.write_text(
        json.dumps(
            {case: _run(argv) for case, argv in CASES.items()}, ensure_ascii=False, indent=1, sort_keys=True
        )
        + "\n",
        encoding="utf-8",
    )
    PROBES.write_text(json.dumps(_probe_hashes(), indent=1) + "\n", encoding="utf-8")
    print(f"wrote {GOLDEN.relative_to(ROOT)} ({len(CASES)} cases) and {PROBES.relative_to(ROOT)}")
