"""``xlcalc verify TARGET… --engine formulas|libreoffice|excel|all [--cases N] [--seed S] [--mutate]``."""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
from pathlib import Path

from xlcalc.engines import Engine, EngineUnavailable, get_engine
from xlcalc.spec.loader import load_spec
from xlcalc.verify.cases import CaseGenerator
from xlcalc.verify.mutate import run_mutants
from xlcalc.verify.runner import EngineRun, run_engine
from xlcalc.verify.target import Target, load_target

ENGINES_ALL = ("formulas", "libreoffice", "excel")


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
    p.set_defaults(func=cmd_verify)


def engine_names(choice: str) -> list[str]:
    return list(ENGINES_ALL) if choice == "all" else [choice]


def verify_target(
    target: Target, engine: Engine, name: str, cases: int, seed: int, failures: Path
) -> EngineRun:
    gen = CaseGenerator(target.spec, target.layout.n_units, seed)
    book = engine.open(target.path)
    try:
        return run_engine(target, book, name, gen.cases(cases, target.scorer), failures)
    finally:
        book.close()


def cmd_verify(args: argparse.Namespace) -> int:
    failed = False
    workdir = Path(tempfile.mkdtemp(prefix="xlcalc-verify-"))
    spec = load_spec(args.spec) if args.spec else None
    targets = [load_target(t, workdir, spec=spec) for t in args.targets]
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
                if args.mutate:
                    report = run_mutants(
                        target, engine.open, name, args.mutants, args.cases, args.seed, workdir / "mutants"
                    )
                    print(report.summary())
                    for m in report.survived:
                        print("  未检出：" + m.describe())
                    failed |= bool(report.survived)
                    continue
                run = verify_target(target, engine, name, args.cases, args.seed, Path(args.failures))
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
