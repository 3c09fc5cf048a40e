"""The spec embedded in a returned workbook is untrusted: which spec to check a workbook against.

Every workbook carries its spec's YAML in the hidden sheet ``_规格``. A county can edit that text,
so ``check``, ``verify`` and the bridge work from a spec the reviewer trusts:

1. the spec named with ``--spec``;
2. else the spec whose ``meta.id`` equals the embedded one, found in ``./rubric_specs`` (the current
   directory) or in the ``rubric_specs`` directory of this xlcalc checkout (never beside the workbook:
   a folder sent with the workbook could hold a hostile spec of the same id);
3. else, only when asked (``--embedded``), the embedded spec itself, parsed within the size limits.

The embedded text is compared with the trusted spec by :func:`spec_hash`, a hash of the YAML event
stream (comments, quoting style, indentation and line endings do not count; keys, values, tags and
order do). Computing it is linear in the text: aliases are hashed by name, never expanded.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError
from ruamel.yaml.events import AliasEvent, CollectionEndEvent, CollectionStartEvent, ScalarEvent

from xlcalc.errors import XlcalcError
from xlcalc.spec.loader import load_spec
from xlcalc.spec.model import Spec

_MAX_SPEC_FILES = 500
_MAX_SPEC_FILE_BYTES = 2 << 20
MAX_EXPANDED_NODES = 200_000  # real specs: under 10,000
CHECKOUT_SPECS = Path(__file__).resolve().parents[2] / "rubric_specs"


def spec_hash(text: str) -> str | None:
    """Canonical content hash of YAML text; None when the text is not YAML."""
    h = hashlib.sha256()
    try:
        for ev in YAML(typ="safe").parse(text):
            parts = [type(ev).__name__, getattr(ev, "anchor", None) or ""]
            if isinstance(ev, ScalarEvent):
                parts += [ev.tag or "", repr(ev.implicit), ev.value]
            elif isinstance(ev, CollectionStartEvent):
                parts.append(ev.tag or "")
            elif isinstance(ev, AliasEvent):
                parts.append("*")
            h.update("\x1f".join(parts).encode("utf-8", "surrogatepass") + b"\x1e")
    except (YAMLError, ValueError, RecursionError):
        return None
    return h.hexdigest()


def meta_id(text: str) -> str | None:
    """``meta.id`` (``selfeval.id`` in the compact form) of YAML text, read from the event stream only as far as that scalar (nothing is
    constructed, aliases are not expanded); None when absent or not YAML."""
    keys: list[str | None] = []  # per open collection: the mapping key awaiting its value
    try:
        for ev in YAML(typ="safe").parse(text):
            if isinstance(ev, CollectionStartEvent):
                keys.append(None)
            elif isinstance(ev, CollectionEndEvent):
                keys.pop()
                if keys:
                    keys[-1] = None
            elif isinstance(ev, ScalarEvent | AliasEvent) and keys:
                if keys[-1] is None:
                    keys[-1] = ev.value if isinstance(ev, ScalarEvent) else ""
                    continue
                # a full spec's meta.id, or a compact 自评表's selfeval.id
                if keys in (["meta", "id"], ["selfeval", "id"]) and isinstance(ev, ScalarEvent):
                    return ev.value
                keys[-1] = None
    except (YAMLError, ValueError, RecursionError):
        return None
    return None


def expanded_nodes(text: str, cap: int = 0) -> int | None:
    """Number of YAML nodes once every alias is expanded, counted from the event stream without
    expanding; None past ``cap`` (an alias bomb) or when the text is not YAML."""
    cap = cap or MAX_EXPANDED_NODES
    sizes: dict[str, int] = {}
    stack: list[list] = []  # [anchor, nodes so far] per open collection
    total = 0
    try:
        for ev in YAML(typ="safe").parse(text):
            if isinstance(ev, CollectionStartEvent):
                stack.append([ev.anchor, 1])
                continue
            if isinstance(ev, CollectionEndEvent):
                anchor, n = stack.pop()
            elif isinstance(ev, AliasEvent):
                anchor, n = None, sizes.get(ev.anchor, 1)
            elif isinstance(ev, ScalarEvent):
                anchor, n = ev.anchor, 1
            else:
                continue
            if anchor:
                sizes[anchor] = n
            if stack:
                stack[-1][1] += n
            else:
                total += n
            if total > cap or (stack and stack[-1][1] > cap):
                return None
    except (YAMLError, ValueError, RecursionError):
        return None
    return total


def spec_dirs() -> list[Path]:
    return [Path.cwd() / "rubric_specs", CHECKOUT_SPECS]


def find_spec(ident: str, dirs: list[Path] | None = None) -> Path | None:
    """The trusted spec file whose ``meta.id`` is ``ident``: ``<id>.yaml`` first, else any file."""
    seen = 0
    for d in dirs or spec_dirs():
        if not d.is_dir():
            continue
        direct = d / f"{ident}.yaml"
        if direct.is_file() and _file_id(direct) == ident:
            return direct
        for p in sorted(d.glob("*.y*ml")):
            seen += 1
            if seen > _MAX_SPEC_FILES:
                return None
            if _file_id(p) == ident:
                return p
    return None


def _file_id(path: Path) -> str | None:
    try:
        if path.stat().st_size > _MAX_SPEC_FILE_BYTES:
            return None
        return meta_id(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return None


def trusted_spec(embedded_text: str, where: str, spec: Spec | None, use_embedded: bool) -> tuple[Spec, str]:
    """The spec to check against and how it was found (a Chinese note for the report)."""

    if spec is not None:
        return spec, "规格：由 --spec 指定"
    ident = meta_id(embedded_text)
    if ident:
        path = find_spec(ident)
        if path is not None:
            return load_spec(path), f"规格：{path}（按内嵌规格的 meta.id“{ident}”找到）"
    if use_embedded:
        if expanded_nodes(embedded_text) is None:
            raise XlcalcError(
                f"{where}：内嵌规格不是有效的 YAML，或别名展开后超过 {MAX_EXPANDED_NODES} 个节点"
                "（别名炸弹），拒绝使用"
            )
        note = "注意：使用了工作簿内嵌的规格（不可信，仅按大小上限解析）"
        return load_spec(where, text=embedded_text), note
    shown = f"meta.id 为“{ident}”的" if ident else "与之对应的"
    raise XlcalcError(
        f"{where}：未指定规格（--spec），且在 ./rubric_specs 中找不到{shown}规格文件；"
        "请用 --spec 指定评分规格（或确认信任该文件后用 --embedded 使用其内嵌规格）"
    )


def same_spec(spec: Spec, embedded_text: str) -> bool:
    """Whether the embedded text is the trusted spec's content (identical lines first: cheap)."""
    if _lines(spec.source_text) == _lines(embedded_text):
        return True
    want = spec_hash(spec.source_text)
    return want is not None and want == spec_hash(embedded_text)


def _lines(text: str) -> list[str]:
    lines = [ln.rstrip() for ln in text.lstrip("\ufeff").splitlines()]
    while lines and not lines[-1]:
        lines.pop()
    return lines
