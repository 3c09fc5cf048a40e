"""Shared fixtures: the 安庆 spec, its compiled scorer and a unit with full marks everywhere."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from xlcalc.engines import get_engine
from xlcalc.scorer import Scorer
from xlcalc.spec.loader import load_spec
from xlcalc.verify.cases import CaseGenerator
from xlcalc.verify.runner import run_engine
from xlcalc.verify.target import load_target
from xlcalc.workbook.build import build_workbook, write_workbook

ROOT = Path(__file__).resolve().parent.parent
FAST_TIER = "XLCALC_FAST_TIER"


def pytest_configure(config: pytest.Config) -> None:
    """The developers' tier (``-m "not engine"``) runs the property and fuzz tests on a quarter of
    their examples, to stay under two minutes; the full suite (README's command, CI) runs them all."""
    if "not engine" in (config.getoption("markexpr") or ""):
        os.environ[FAST_TIER] = "1"


def examples(full: int) -> int:
    """How many examples a property or fuzz test tries in this run (see ``pytest_configure``)."""
    return max(2, full // 4) if os.environ.get(FAST_TIER) else full


ANQING = ROOT / "rubric_specs" / "anqing_2023.yaml"


def agreement_run(spec, tmp_path: Path, engine_name: str, cases: int, seed: int):
    """Build a test spec's workbook and verify ``cases`` generated cases in one engine (skips when
    the engine is missing); the run, for the caller's assertions."""
    engine = get_engine(engine_name, shared=True) if engine_name == "libreoffice" else get_engine(engine_name)
    ok, why = engine.available()
    if not ok:
        pytest.skip(why)
    path = write_workbook(build_workbook(spec), tmp_path / f"{spec.meta.id}.xlsx")
    target = load_target(path, spec=spec)
    book = engine.open(target.path)
    try:
        generated = CaseGenerator(spec, target.layout.n_units, seed=seed).cases(cases, target.scorer)
        run = run_engine(target, book, engine_name, generated, tmp_path / "f")
    finally:
        book.close()
    assert run.ok, "\n".join(m.describe() for m in run.mismatches[:3])
    assert run.cases == cases
    return run


# Every input at a value that earns full marks (and sits exactly on several thresholds).
PERFECT = {
    "population": 100000,
    "cases": 120,
    "target_cases": 120,
    "funds_budget": 100,
    "funds_arrived": 100,
    "in_budget": "是",
    "local_matching": 7.2,
    "funding_notices": 0,
    "has_agency": "是",
    "staff": 3,
    "approved": 100,
    "closed": 80,
    "lawyer_cases": 60,
    "caseloads": [30, 45, 89],
    "publicity": "是",
    "case_library": 1,
    "intranet_posts": 2,
    "h1_avg": 100,
    "h1_reviewed": 10,
    "h1_good": 8,
    "h1_excellent": 5,
    "h1_failed": 0,
    "h2_avg": 100,
    "h2_reviewed": 10,
    "h2_good": 8,
    "h2_excellent": 5,
    "h2_failed": 0,
    "adopted_cases": 5,
    "trainings": 2,
    "business_budget": 100,
    "business_spent": 100,
    "use_notices": 0,
    "subsidies": 90,
    "late_payments": 0,
    "self_check": "是",
    "rectified": "是",
    "survey_scores": [100] * 20,
    "bribery_verified": "否",
    "complaints": 0,
}


@pytest.fixture(scope="session")
def anqing_spec():
    return load_spec(ANQING)


@pytest.fixture(scope="session")
def anqing(anqing_spec) -> Scorer:
    return Scorer(anqing_spec)


@pytest.fixture(scope="session")
def libreoffice():
    """The shared headless LibreOffice (one office per test process); skips where it is missing."""
    engine = get_engine("libreoffice", shared=True)
    ok, why = engine.available()
    if not ok:
        pytest.skip(why)
    return engine
