"""Deterministic packaging: the same workbook content always gives the same bytes.

openpyxl stamps the current time into ``docProps/core.xml`` and every zip entry; we rewrite the
package with a fixed timestamp so rebuilding unchanged specs is byte-identical and a stale
``templates/`` directory is detectable by comparing files.
"""

from __future__ import annotations

import re
import zipfile
from io import BytesIO
from pathlib import Path

FIXED_TIME = (2024, 1, 1, 0, 0, 0)
FIXED_ISO = "2024-01-01T00:00:00Z"
_DATES = re.compile(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)")


def normalize(data: bytes) -> bytes:
    """Rewrite an .xlsx/.xlsm package with fixed timestamps, entries in their original order."""
    src = zipfile.ZipFile(BytesIO(data))
    out = BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                body = _DATES.sub(rb"\g<1>" + FIXED_ISO.encode() + rb"\g<3>", body)
            zi = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o600 << 16
            dst.writestr(zi, body)
    return out.getvalue()


def write_normalized(data: bytes, path: Path) -> None:
    """Write atomically: a half-written template never replaces a good one."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(normalize(data))
    tmp.replace(path)
