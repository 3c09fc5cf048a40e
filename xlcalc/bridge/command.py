"""Without Excel: ``python -m xlcalc.bridge check FILLED.xlsx`` re-scores a returned workbook in
LibreOffice and saves a copy with its 校验 sheet (for WPS and LibreOffice users)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from xlcalc.bridge.adapters import BridgeError, EngineBook
from xlcalc.bridge.excel import write_runner
from xlcalc.bridge.report import BridgeReport, verify_book
from xlcalc.bridge.sheet import write_check_sheet
from xlcalc.check import open_returned
from xlcalc.engines import EngineUnavailable, get_engine
from xlcalc.errors import XlcalcError
from xlcalc.spec.loader import load_spec
from xlcalc.spec.model import Spec

# ---------------------------------------------------------------------------------- without Excel


def check_file(
    path: str | Path, out: str | Path, spec: Spec | None = None, *, use_embedded: bool = False
) -> BridgeReport:
    """Verify a workbook in LibreOffice (no Excel needed) and save a copy holding the 校验 sheet.

    The file is untrusted: before LibreOffice opens it, the bounded reader of ``xlcalc check``
    (:func:`xlcalc.check.open_returned`) screens it and refuses, with the located problems, a damaged
    or hostile package, deleted or renamed sheets, links to other files, formulas in input cells and
    an embedded spec differing from the trusted one.

    Args:
        path: The filled workbook (.xlsx or .xlsm); it is not modified.
        out: Where to save the checked copy (.xlsx; .xlsm keeps the macros).
        spec: The trusted spec (default: found by the embedded ``meta.id``, as ``xlcalc check``).
        use_embedded: Without a known spec, use the workbook's own (untrusted) one.

    Returns:
        The report.

    Raises:
        BridgeError: As :func:`verify_book`, or if LibreOffice is not available.
    """

    screened = open_returned(path, spec, use_embedded=use_embedded)
    unsafe = screened.report.unsafe
    if unsafe:
        shown = "\n  ".join(unsafe[:20]) + (f"\n  …另有{len(unsafe) - 20}处" if len(unsafe) > 20 else "")
        raise BridgeError(f"{path}：工作簿未通过安全检查，未用 LibreOffice 打开：\n  {shown}")
    engine = get_engine("libreoffice")
    try:
        with engine.open(path) as opened:
            adapter = EngineBook(opened, name=Path(path).name)
            report = verify_book(adapter, spec=screened.spec, use_embedded=False)
            write_check_sheet(adapter, report)
            adapter.save_as(out)
    except EngineUnavailable as exc:
        raise BridgeError(f"没有 Excel 时校验需要 LibreOffice：{exc}") from exc
    finally:
        engine.close()
    return report


def cli(argv: Sequence[str] | None = None) -> int:
    """``python -m xlcalc.bridge``: ``check`` a workbook in LibreOffice, or write a ``runner`` module."""
    parser = argparse.ArgumentParser(prog="python -m xlcalc.bridge", description="xlcalc 校验（Excel 之外）")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("check", help="用 LibreOffice 重算并校验工作簿，另存一份带“校验”表的副本")
    p.add_argument("workbook")
    p.add_argument("--out", help="副本路径（默认：<文件名>_校验.xlsx）")
    p.add_argument("--spec", help="可信的评分规格（默认：按内嵌 meta.id 在 ./rubric_specs 中查找）")
    p.add_argument("--embedded", action="store_true", help="找不到规格时使用工作簿内嵌的（不可信）规格")
    p = sub.add_parser("runner", help="在工作簿旁写入 <文件名>.py，供 xlwings 加载项的“Run main”使用")
    p.add_argument("workbook")
    args = parser.parse_args(argv)
    try:
        if args.command == "runner":
            sys.stdout.write(f"{write_runner(args.workbook)}\n")
            return 0
        source = Path(args.workbook)
        out = Path(args.out) if args.out else source.with_name(f"{source.stem}_校验.xlsx")

        spec = load_spec(args.spec) if args.spec else None
        report = check_file(source, out, spec, use_embedded=args.embedded)
    except XlcalcError as exc:
        sys.stderr.write(f"{exc}\n")
        return 2
    sys.stdout.write(f"{report.summary()}\n{out}\n")
    for miss in report.mismatches[:20]:
        sys.stdout.write(f"不一致：{miss.saved_line('工作簿的值')}\n")
    return 0 if report.ok else 1
