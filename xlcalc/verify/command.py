"""``xlcalc verify TARGET… --engine formulas|libreoffice|gnumeric|excel|all [--cases N] [--seed S] [--mutate]``."""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from xlcalc.engines import Engine, EngineUnavailable, get_engine
from xlcalc.spec.loader import load_spec
from xlcalc.verify.cases import CaseGenerator
from xlcalc.verify.mutate import run_mutants
from xlcalc.verify.progress import progress_bar
from xlcalc.verify.runner import EngineRun, run_engine, run_engine_batched, run_engine_parallel
from xlcalc.verify.target import Target, load_target

ENGINES_ALL = ("formulas", "libreoffice", "gnumeric", "excel")
GNUMERIC_BATCH = 10  # copies recalculated by one ssconvert call


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("verify", help="prove workbooks compute what the reference scorer computes")
    p.add_argument("targets", nargs="+", help="specs (.yaml) or built workbooks (.xlsx/.xlsm)")
    p.add_argument(
        "--spec", help="trusted spec for workbook targets (default: by embedded meta.id, docs/check.md)"
    )
    p.add_argument("--engine", default="libreoffice", choices=(*ENGINES_ALL, "all"))
    p.add_argument("--cases", type=int, default=200, help="cases per target and engine (default 200)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--failures", default="verify-failures", help="directory for reproducing input files")
    p.add_argument(
        "--mutate", action="store_true", help="mutation self-test: how many broken copies are caught"
    )
    p.add_argument("--mutants", type=int, default=60, help="mutants per target (with --mutate)")
    p.add_argument(
        "--workers", type=int, default=2, help="worker processes for the formulas engine (default 2)"
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_verify)


def engine_names(choice: str) -> list[str]:
    return list(ENGINES_ALL) if choice == "all" else [choice]


def verify_target(
    target: Target,
    engine: Engine,
    name: str,
    cases: int,
    seed: int,
    failures: Path,
    workers: int = 1,
    progress: Callable[[int], None] | None = None,
) -> EngineRun:
    """Verify one target in one engine: formulas in worker processes, Gnumeric in merged batches."""
    gen = CaseGenerator(target.spec, target.layout.n_units, seed)
    stream = gen.cases(cases, target.scorer)
    if name == "formulas" and workers > 1:
        return run_engine_parallel(target, name, stream, failures, workers, progress=progress)
    if name == "gnumeric":
        books = engine.open_batch(target.path, max(1, min(GNUMERIC_BATCH, cases)))  # type: ignore[attr-defined]
        return run_engine_batched(target, books, name, stream, failures, progress)
    book = engine.open(target.path)
    try:
        return run_engine(target, book, name, stream, failures, progress)
    finally:
        book.close()


def cmd_verify(args: argparse.Namespace) -> int:
    failed = False
    workdir = Path(tempfile.mkdtemp(prefix="xlcalc-verify-"))
    spec = load_spec(args.spec) if args.spec else None
    targets = [load_target(t, workdir, spec=spec) for t in args.targets]
    enabled = False if args.no_progress else None
    for name in engine_names(args.engine):
        engine = get_engine(name)
        ok, why = engine.available()
        if not ok:
            print(f"[{name}] 不可用，跳过：{why}")
            if args.engine != "all":
                failed = True
            continue
        try:
            for target in targets:
                label = f"{target.name} [{name}]"
                if args.mutate:
                    with progress_bar(label + " 变异", args.mutants, "个变异", enabled) as advance:
                        report = run_mutants(
                            target,
                            engine.open,
                            name,
                            args.mutants,
                            args.cases,
                            args.seed,
                            workdir / "mutants",
                            progress=advance,
                        )
                    print(report.summary())
                    for m, evidence in report.survived:
                        print(
                            "  未检出："
                            + m.describe()
                            + (f"\n    与原工作簿不同：{evidence}" if evidence else "")
                        )
                    for m, verdict in report.equivalent:
                        print(f"  等价（{verdict.describe()}）：" + m.describe())
                    failed |= bool(report.survived)
                    continue
                with progress_bar(label, args.cases * target.layout.n_units, enabled=enabled) as advance:
                    run = verify_target(
                        target,
                        engine,
                        name,
                        args.cases,
                        args.seed,
                        Path(args.failures),
                        args.workers,
                        advance,
                    )
                print(run.summary())
                for m in run.mismatches:
                    print(m.describe())
                for path in run.failing_cases[:5]:
                    print(f"  失败用例已写入 {path}")
                failed |= not run.ok
        except EngineUnavailable as exc:
            print(f"[{name}] 不可用：{exc}")
            failed = True
        finally:
            with contextlib.suppress(Exception):
                engine.close()
    sys.stdout.flush()
    return 1 if failed else 0
