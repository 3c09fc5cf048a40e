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
    ("ezhou_2021_pufa", "偏差原因分析及改进措施", "ezhou_pufa_national_form"),
    ("anqing_2023", "单位评分表", "anqing_unit_sheet"),
    ("anqing_2023", "各单位总分", "anqing_ranking"),
    ("qingyunpu_2023", "填写说明", "qingyunpu_guide"),
]


def page_with(pdf: Path, marker: str, pages: int) -> int | None:
    for p in range(1, pages + 1):
        text = subprocess.run(
            ["pdftotext", "-f", str(p), "-l", str(p), str(pdf), "-"], capture_output=True, text=True
        ).stdout
        if marker in text:
            return p
    return None


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
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
