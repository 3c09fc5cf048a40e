"""Scoring many units with memory bounded per unit, and writing ``score --json`` as it goes.

The whole document used to be built in memory (about 130 KB per unit before ``json.dumps``);
here the envelope head is written first and each unit's JSON as soon as it is scored, byte for
byte what ``json.dumps(doc, ensure_ascii=False, indent=2)`` gives for the whole document.

Units of a rubric without cross-unit cells (no ranking) are evaluated in chunks; a ranked cohort
must be evaluated together, so its cells are held once and each unit's are released after it is
written. Every unit is normalised before the first line is written: a bad input fails the
command with no partial output.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, TextIO

from xlcalc.scorer import Scorer, UnitInputs, UnitResult, resolve_params

CHUNK = 1000


def iter_results(
    scorer: Scorer, units: Sequence[UnitInputs], params: Mapping[str, Any] | None = None, chunk: int = CHUNK
) -> Iterator[UnitResult]:
    """The results of ``scorer.score(units, params)`` one by one; raises at once for any bad input or parameter."""
    resolved = resolve_params(scorer.spec, params)
    if len(scorer.graph.strata) > 1:  # cross-unit cells (rankings): one evaluation over the cohort
        return _released(scorer, units, scorer.evaluate([scorer.normalize(u) for u in units], resolved))
    for u in units:  # validate every unit before the caller writes anything
        scorer.normalize(u)
    return _chunked(scorer, units, resolved, chunk)


def _released(scorer: Scorer, units: Sequence[UnitInputs], cells: list[Any]) -> Iterator[UnitResult]:
    for k, u in enumerate(units):
        yield scorer.result(u.name, cells[k])
        cells[k] = None  # this unit's cells are no longer needed once its result is written


def _chunked(
    scorer: Scorer, units: Sequence[UnitInputs], resolved: dict[str, Any], chunk: int
) -> Iterator[UnitResult]:
    for start in range(0, len(units), chunk):
        part = units[start : start + chunk]
        rows = scorer.evaluate([scorer.normalize(u) for u in part], resolved)
        for u, c in zip(part, rows, strict=True):
            yield scorer.result(u.name, c)


def write_json(
    out: TextIO,
    head: Mapping[str, Any],
    results: Iterable[UnitResult],
    extra: Mapping[str, Any] | None = None,
) -> None:
    """``{**head, "units": [...]}`` as indented JSON, written unit by unit (each unit's JSON with the
    keys of ``extra`` added, e.g. a ranked cohort's provisional flag)."""
    text = json.dumps(head, ensure_ascii=False, indent=2)
    out.write(text[:-2] + (',\n  "units": [' if head else '{\n  "units": ['))
    sep = "\n    "
    for r in results:
        unit = {**r.to_json(), **extra} if extra else r.to_json()
        out.write(sep + json.dumps(unit, ensure_ascii=False, indent=2).replace("\n", "\n    "))
        sep = ",\n    "
    out.write("]\n}\n" if sep == "\n    " else "\n  ]\n}\n")
