"""A strict reader over ruamel.yaml documents that remembers where every value came from.

``Reader`` wraps one mapping; ``req``/``opt`` fetch typed fields and ``finish`` rejects unknown
keys. Errors collect as :class:`~xlcalc.errors.Diagnostic` with file, line and YAML path, so a
spec with five mistakes reports all five at once.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import yaml as pyyaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from xlcalc.errors import Diagnostic, SpecError, XlcalcError
from xlcalc.textfile import read_text

_MISSING = object()
_FAST_LOADER = getattr(pyyaml, "CSafeLoader", pyyaml.SafeLoader)
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")


class Context:
    """Shared state of one load: the file name and the diagnostics found so far."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.diagnostics: list[Diagnostic] = []
        self.ids: dict[str, list[tuple[str, int | None, str]]] = {}  # kind -> (id, line, path)

    def error(self, message: str, line: int | None, path: str) -> None:
        self.diagnostics.append(Diagnostic("error", message, self.file, line, path))

    def warn(self, message: str, line: int | None, path: str) -> None:
        self.diagnostics.append(Diagnostic("warning", message, self.file, line, path))

    def raise_if_errors(self) -> None:
        errors = [d for d in self.diagnostics if d.level == "error"]
        if errors:
            raise SpecError(errors)


# Bounds on a spec (specs also arrive embedded in workbooks users send back, so they are untrusted).
MAX_SPEC_BYTES = 2_000_000
MAX_LINE_CHARS = 40_000
MAX_DEPTH = 40
MAX_NODES = 200_000  # scalars and collections after expanding aliases
MAX_TEXT_CHARS = 32_767  # Excel's limit for one cell's text
MAX_MAGNITUDE = 1e15  # numbers beyond 15 significant digits are not what a spreadsheet holds


def load_yaml(path: Path, text: str | None = None) -> tuple[Any, Context]:
    """Parse a YAML file (or ``text`` standing for it) keeping line information.

    The text is bounded in size, line length, nesting depth and alias expansion before it is composed,
    and every scalar is checked (finite numbers within 15 digits, printable text within Excel's cell
    limit), so a hostile spec costs time and memory linear in its size and yields located errors.
    """
    ctx = Context(str(path))
    if text is None:
        text = read_spec_text(path)
    _check_shape(text, str(path))
    try:
        data = YAML(typ="rt").load(text)
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise SpecError([Diagnostic("error", f"YAML 语法错误：{exc}", str(path), line)]) from exc
    except (RecursionError, ValueError, TypeError, KeyError, AttributeError) as exc:
        # ruamel.yaml raises these for some malformed documents (complex keys, odd tags).
        message = f"YAML 无法解析（{type(exc).__name__}: {str(exc)[:200]}）"
        raise SpecError([Diagnostic("error", message, str(path))]) from None
    _check_scalars(data, ctx)
    return data, ctx


def read_spec_text(path: Path) -> str:
    """A spec file's text: at most MAX_SPEC_BYTES, UTF-8 or the encodings Chinese Windows saves in."""
    try:
        return read_text(path, MAX_SPEC_BYTES)
    except XlcalcError as exc:
        raise SpecError([Diagnostic("error", str(exc).split("：", 1)[-1], str(path))]) from None


def _check_shape(text: str, file: str) -> None:
    """Size, line length, depth and alias expansion, from the event stream (nothing composed yet)."""
    if len(text) > MAX_SPEC_BYTES:
        raise SpecError([Diagnostic("error", f"规格超过 {MAX_SPEC_BYTES:,} 个字符", file)])
    for k, line in enumerate(text.splitlines()):
        if len(line) > MAX_LINE_CHARS:
            raise SpecError([Diagnostic("error", f"一行超过 {MAX_LINE_CHARS:,} 个字符", file, k + 1)])
    try:  # libyaml's C parser walks the events ten times faster than ruamel.yaml's pure-Python one
        _check_events(pyyaml.parse(text, Loader=_FAST_LOADER), file)
        return
    except pyyaml.YAMLError:
        pass  # a dialect difference or a real error: ruamel.yaml decides below
    except RecursionError:
        raise SpecError([Diagnostic("error", f"嵌套超过 {MAX_DEPTH} 层", file)]) from None
    try:
        _check_events(YAML(typ="rt").parse(text), file)
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise SpecError([Diagnostic("error", f"YAML 语法错误：{exc}", file, line)]) from None


def _check_events(events: Iterable[Any], file: str) -> None:
    """Depth and alias expansion, counted in one pass over the parse events."""
    sizes: dict[str, int] = {}  # anchor -> nodes in its expansion
    stack: list[tuple[str | None, int]] = []  # open collections: (anchor, nodes so far)
    total = 0
    for event in events:
        name = type(event).__name__
        line = event.start_mark.line + 1 if event.start_mark is not None else None
        anchor = getattr(event, "anchor", None)
        if anchor and name != "AliasEvent" and anchor in sizes:
            raise SpecError([Diagnostic("error", f"锚点“&{anchor}”重复定义", file, line)])
        if name in ("MappingStartEvent", "SequenceStartEvent"):
            if anchor:
                sizes[anchor] = 1  # until it closes (an alias inside its own anchor is an error anyway)
            stack.append((event.anchor, 1))
            if len(stack) > MAX_DEPTH:
                raise SpecError([Diagnostic("error", f"嵌套超过 {MAX_DEPTH} 层", file, line)])
            continue
        if name in ("MappingEndEvent", "SequenceEndEvent"):
            anchor, count = stack.pop()
            if anchor:
                sizes[anchor] = count
        elif name == "ScalarEvent":
            count = 1
            if event.anchor:
                sizes[event.anchor] = 1
        elif name == "AliasEvent":
            count = sizes.get(event.anchor, 1)
        else:
            continue
        if stack:
            stack[-1] = (stack[-1][0], stack[-1][1] + count)
        total += count
        if total > MAX_NODES:
            raise SpecError(
                [Diagnostic("error", f"展开别名后超过 {MAX_NODES:,} 个节点（别名炸弹？）", file, line)]
            )


def _check_scalars(data: Any, ctx: Context) -> None:
    """Every scalar finite, within 15 digits, printable and within a cell's length; located."""
    seen: set[int] = set()
    todo: list[tuple[Any, str, int | None]] = [(data, "", _line_of(data))]
    while todo:
        value, path, line = todo.pop()
        if isinstance(value, CommentedMap | dict | CommentedSeq | list):
            if id(value) in seen:  # an alias: already checked where its anchor stands
                continue
            seen.add(id(value))
            pairs = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in pairs:
                sub = f"{path}.{key}" if isinstance(value, dict) else f"{path}[{key}]"
                todo.append((item, sub.lstrip("."), _child_line(value, key, line)))
                if isinstance(value, dict):
                    todo.append((key, sub.lstrip("."), _child_line(value, key, line)))
            continue
        problem = scalar_problem(value)
        if problem:
            ctx.error(problem, line, path)


def scalar_problem(value: Any) -> str | None:
    """Why a scalar cannot stand in a spec (None when it can)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return None if abs(value) <= MAX_MAGNITUDE else "number has more than 15 digits"
    if isinstance(value, float):
        if not math.isfinite(value):
            return "NaN or infinity is not a number a rubric can use"
        return None if abs(value) <= MAX_MAGNITUDE else "number has more than 15 digits"
    if isinstance(value, str):
        if len(value) > MAX_TEXT_CHARS:
            return f"text longer than {MAX_TEXT_CHARS:,} characters (Excel's limit for one cell)"
        bad = _BAD_CHAR.search(value)
        if bad:
            return f"text contains the character U+{ord(bad.group(0)):04X}, which a spreadsheet cannot hold"
        return None
    return f"unsupported value of type {type(value).__name__}"


# C0 controls except tab/newline/CR, DEL and C1 controls, lone surrogates, non-characters.
_BAD_CHAR = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff]")


def _child_line(container: Any, key: Any, default: int | None) -> int | None:
    lc = getattr(container, "lc", None)
    if lc is None:
        return default
    try:
        return (lc.key(key) if isinstance(container, dict) else lc.item(key))[0] + 1
    except (KeyError, TypeError, IndexError):
        return default


def _type_name(t: type | tuple[type, ...]) -> str:
    names = {str: "text", int: "integer", float: "number", bool: "true/false", list: "list", dict: "mapping"}
    if isinstance(t, tuple):
        return " or ".join(names.get(x, x.__name__) for x in t)
    return names.get(t, t.__name__)


def check_type(value: Any, t: type | tuple[type, ...]) -> bool:
    types = t if isinstance(t, tuple) else (t,)
    if isinstance(value, bool) and bool not in types:
        return False
    if float in types and isinstance(value, int) and not isinstance(value, bool):
        return True
    if dict in types and isinstance(value, CommentedMap | dict):
        return True
    if list in types and isinstance(value, CommentedSeq | list):
        return True
    return isinstance(value, types)


class Reader:
    """Typed, located access to one YAML mapping."""

    def __init__(self, data: Any, ctx: Context, path: str, line: int | None = None) -> None:
        self.ctx = ctx
        self.path = path
        self.line = line if line is not None else _line_of(data)
        self.ok = isinstance(data, CommentedMap | dict)
        if not self.ok:
            ctx.error(f"expected a mapping, found {_describe(data)}", self.line, path)
            data = {}
        self.data = data
        self.used: set[str] = set()

    def key_line(self, key: str) -> int | None:
        if isinstance(self.data, CommentedMap) and key in self.data:
            try:
                return self.data.lc.key(key)[0] + 1
            except (KeyError, TypeError):
                return self.line
        return self.line

    def sub(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def has(self, key: str) -> bool:
        return key in self.data

    def get(self, key: str, t: type | tuple[type, ...], default: Any = _MISSING) -> Any:
        self.used.add(key)
        if key not in self.data:
            if default is _MISSING:
                self.ctx.error(f"missing required key '{key}'", self.line, self.path)
                return None
            return default
        value = self.data[key]
        if value is None and default is not _MISSING:
            return default
        if not check_type(value, t):
            self.ctx.error(
                f"'{key}' must be {_type_name(t)}, found {_describe(value)}",
                self.key_line(key),
                self.sub(key),
            )
            return None if default is _MISSING else default
        if (
            isinstance(value, int)
            and not isinstance(value, bool)
            and float in (t if isinstance(t, tuple) else (t,))
        ):
            return float(value) if int not in (t if isinstance(t, tuple) else (t,)) else value
        return value

    def ident(self, key: str, kind: str) -> str:
        """An identifier: it becomes part of generated code and file names, so it is held to a strict
        ASCII pattern (and remembered with its line, to locate duplicates)."""
        value = self.get(key, str) or ""
        if value and not IDENTIFIER.fullmatch(value):
            self.ctx.error(
                f"'{key}' '{value[:80]}' must be ASCII letters, digits and '_' (not starting with a digit), "
                f"at most 64 characters",
                self.key_line(key),
                self.sub(key),
            )
            return ""
        if value:
            self.ctx.ids.setdefault(kind, []).append((value, self.key_line(key), self.sub(key)))
        return value

    def choice(self, key: str, allowed: tuple[str, ...], default: Any = _MISSING) -> Any:
        value = self.get(key, str, default)
        if value is not None and value not in allowed and value is not default:
            self.ctx.error(
                f"'{key}' must be one of {', '.join(allowed)}, found '{value}'",
                self.key_line(key),
                self.sub(key),
            )
            return None
        return value

    def child(self, key: str, default_empty: bool = False) -> Reader | None:
        self.used.add(key)
        if key not in self.data:
            if default_empty:
                return Reader({}, self.ctx, self.sub(key), self.line)
            self.ctx.error(f"missing required key '{key}'", self.line, self.path)
            return None
        return Reader(self.data[key], self.ctx, self.sub(key), self.key_line(key))

    def items(self, key: str, required: bool = False) -> Iterator[tuple[Any, str, int | None]]:
        """Each element of a list value with its path and line."""
        self.used.add(key)
        if key not in self.data or self.data[key] is None:
            if required:
                self.ctx.error(f"missing required key '{key}'", self.line, self.path)
            return
        seq = self.data[key]
        if not isinstance(seq, CommentedSeq | list):
            self.ctx.error(
                f"'{key}' must be a list, found {_describe(seq)}", self.key_line(key), self.sub(key)
            )
            return
        for i, item in enumerate(seq):
            line = None
            if isinstance(seq, CommentedSeq):
                try:
                    line = seq.lc.item(i)[0] + 1
                except (KeyError, TypeError):
                    line = None
            yield item, f"{self.sub(key)}[{i}]", line

    def readers(self, key: str, required: bool = False) -> Iterator[Reader]:
        for item, path, line in self.items(key, required):
            yield Reader(item, self.ctx, path, line)

    def error(self, message: str, key: str | None = None) -> None:
        self.ctx.error(message, self.key_line(key) if key else self.line, self.sub(key) if key else self.path)

    def warn(self, message: str, key: str | None = None) -> None:
        self.ctx.warn(message, self.key_line(key) if key else self.line, self.sub(key) if key else self.path)

    def finish(self) -> None:
        """Reject keys nobody asked for (typos must not be silently ignored)."""
        if not self.ok:
            return
        for key in self.data:
            if key not in self.used:
                self.ctx.error(f"unknown key '{key}'", self.key_line(key), self.sub(str(key)))


def _line_of(data: Any) -> int | None:
    lc = getattr(data, "lc", None)
    if lc is not None and getattr(lc, "line", None) is not None:
        return lc.line + 1
    return None


def _describe(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, CommentedMap | dict):
        return "a mapping"
    if isinstance(value, CommentedSeq | list):
        return "a list"
    if isinstance(value, bool):
        return f"'{str(value).lower()}'"
    return f"'{value}'"
