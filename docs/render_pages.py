"""Render every rubric's workbook as LibreOffice prints it and save a few pages as PNG in docs/img.

Usage: python3 docs/render_pages.py [--out DIR]
Prints per template: pages, smallest printed font (pt) and any internal text found on the pages.
Needs soffice (LibreOffice), poppler-utils and a CJK font (fonts-wqy-microhei); see .ci/install.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from xlcalc.spec.loader import load_spec  # noqa: E402
from xlcalc.workbook import pdfcheck  # noqa: E402
from xlcalc.workbook.build import build_workbook, write_workbook  # noqa: E402

# (template, text that identifies the page, PNG name)
PAGES = [
    ("ezhou_2021_pufa", "年度总体目标", "ezhou_pufa_national_form"),
    ("anqing_2023", "（从下拉列表选择）", "anqing_unit_sheet"),
    ("anqing_2023", "总分排名", "anqing_ranking"),
    ("qingyunpu_2023", "谁来填", "qingyunpu_guide"),
]


def page_with(pdf: Path, marker: str, pages: int) -> int | None:
    for p in range(1, pages + 1):
        text = subprocess.run(
            ["pdftotext", "-f", str(p), "-l", str(p), str(pdf), "-"], capture_output=True, text=True
        ).stdout
        if marker in text:
            return p
    return None


# Pages rendered with the example inputs filled in: (template, examples file, unit picked on
# 单位评分表 or None, text that identifies the page, PNG name).
FILLED = [
    ("anqing_2023", "anqing_2023_units.yaml", "望江县", "总分排名", "anqing_ranking_filled"),
    ("anqing_2023", "anqing_2023_units.yaml", "望江县", "（从下拉列表选择）", "anqing_unit_sheet_filled"),
    ("ezhou_2021_pufa", "ezhou_2021_pufa.yaml", None, "年度总体目标", "ezhou_pufa_national_form_filled"),
]


def render_filled(out: Path, img: Path) -> None:
    """Fill the example inputs in with LibreOffice, export to PDF and save the page as PNG."""
    from xlcalc.engines.libreoffice import _prop, close_shared_engine, import_uno, shared_engine
    from xlcalc.inputs import load_inputs
    from xlcalc.scorer import Scorer, resolve_params
    from xlcalc.verify.runner import Runner
    from xlcalc.verify.target import load_target

    uno = import_uno()
    engine = shared_engine()
    try:
        for name, examples, pick, marker, png in FILLED:
            spec = load_spec(ROOT / "rubric_specs" / f"{name}.yaml")
            xlsx = write_workbook(build_workbook(spec), out / f"{png}.xlsx")
            target = load_target(xlsx)
            units = load_inputs(ROOT / "examples" / examples)
            book = engine.open(xlsx)
            try:
                rows = [Scorer(spec).normalize(u) for u in units]
                Runner(target, book, "libreoffice", out).write_case(rows, resolve_params(spec))
                if pick:
                    book.write("单位评分表", "B2", [[pick]])
                book.recalc()
                pdf = out / f"{png}.pdf"
                book.doc.storeToURL(pdf.resolve().as_uri(), (_prop(uno, "FilterName", "calc_pdf_Export"),))
            finally:
                book.close()
            report = pdfcheck.measure(pdf)
            page = page_with(pdf, marker, report.pages)
            if page is not None:
                pdfcheck.page_png(pdf, page, img / png, dpi=80)
                print(f"docs/img/{png}.png: {name} with {examples}, page {page}")
    finally:
        close_shared_engine()


def main(argv: list[str]) -> int:
    if not pdfcheck.tools_available():
        print("needs soffice, pdfinfo, pdftotext and pdftoppm", file=sys.stderr)
        return 2
    out = (
        Path(argv[argv.index("--out") + 1])
        if "--out" in argv
        else Path(tempfile.mkdtemp(prefix="xlcalc-pdf-"))
    )
    img = ROOT / "docs" / "img"
    img.mkdir(parents=True, exist_ok=True)
    reports: dict[str, pdfcheck.PdfReport] = {}
    print("| 模板 | 页数 | 最小打印字号 (pt) | 页面上的内部文字 |\n| --- | --- | --- | --- |")
    for spec_path in sorted((ROOT / "rubric_specs").glob("*.yaml")):
        compiled = build_workbook(load_spec(spec_path))
        xlsx = write_workbook(compiled, out / f"{spec_path.stem}.xlsx")
        report = pdfcheck.measure(pdfcheck.to_pdf(xlsx, out))
        reports[spec_path.stem] = report
        print(
            f"| {spec_path.stem} | {report.pages} | {report.min_font_pt} | {', '.join(report.internal) or '—'} |"
        )
    for name, marker, png in PAGES:
        report = reports.get(name)
        page = page_with(report.pdf, marker, report.pages) if report else None
        if page is not None:
            pdfcheck.page_png(report.pdf, page, img / png, dpi=80)
            print(f"docs/img/{png}.png: {name} page {page}")
    render_filled(out, img)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
