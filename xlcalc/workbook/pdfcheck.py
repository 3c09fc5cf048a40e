"""What a built workbook looks like on paper: render it to PDF with LibreOffice headless and
measure page count, smallest printed font and any internal (English) text on the pages.

Needs ``soffice`` and poppler's ``pdfinfo``/``pdftotext``/``pdftoppm``. The font size is measured
from CJK glyphs, which are one em wide: a word of n wide characters ``w`` points wide was printed
at ``w / n`` points.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

_WORD = re.compile(r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)</word>')
# Internal text that must never be printed: snake_case ids, rule-kind codes, paths, tool names.
INTERNAL = re.compile(
    r"\b[a-z]+_[a-z0-9_]+\b|\.\./|\.yaml\b|\.txt\b|xlwings|\bExcel ROUND\b|"
    r"\b(?:threshold|tiered|deduction|step_deduction|proportional|conversion|monitor|bonus|discretionary)\b"
)


@dataclass
class PdfReport:
    pdf: Path
    pages: int
    min_font_pt: float
    internal: list[str] = field(default_factory=list)


def tools_available() -> bool:
    return all(shutil.which(t) for t in ("soffice", "pdfinfo", "pdftotext", "pdftoppm"))


def to_pdf(xlsx: Path, out_dir: Path, timeout: float = 600) -> Path:
    """Convert with a private LibreOffice profile (never the user's, never a running instance)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="xlcalc-lo-") as profile:
        subprocess.run(
            [
                "soffice",
                "--headless",
                f"-env:UserInstallation=file://{profile}",
                "--convert-to",
                "pdf",
                "--outdir",
                str(out_dir),
                str(xlsx),
            ],
            check=True,
            capture_output=True,
            timeout=timeout,
        )
    return out_dir / (xlsx.stem + ".pdf")


def _wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in "WF"


def measure(pdf: Path) -> PdfReport:
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True).stdout
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))  # type: ignore[union-attr]
    bbox = subprocess.run(
        ["pdftotext", "-bbox", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    sizes: list[float] = []
    for x0, x1, word in _WORD.findall(bbox):
        if len(word) >= 2 and all(_wide(ch) for ch in word):
            sizes.append((float(x1) - float(x0)) / len(word))
    text = subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    internal = sorted(set(INTERNAL.findall(text)))
    return PdfReport(pdf, pages, round(min(sizes), 1) if sizes else 0.0, internal)


def page_png(pdf: Path, page: int, out: Path, dpi: int = 60) -> Path:
    """One page as PNG (``out`` without suffix; pdftoppm adds .png)."""
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            str(dpi),
            "-f",
            str(page),
            "-l",
            str(page),
            "-singlefile",
            str(pdf),
            str(out),
        ],
        check=True,
        capture_output=True,
    )
    return out.with_suffix(".png")
