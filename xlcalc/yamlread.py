"""A strict reader over ruamel.yaml documents that remembers where every value came from.

``Reader`` wraps one mapping; ``req``/``opt`` fetch typed fields and ``finish`` rejects unknown
keys. Errors collect as :class:`~xlcalc.errors.Diagnostic` with file, line and YAML path, so a
spec with five mistakes reports all five at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from xlcalc.errors import Diagnostic, SpecError

_MISSING = object()


class Context:
    """Shared state of one load: the file name and the diagnostics found so far."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.diagnostics: list[Diagnostic] = []

    def error(self, message: str, line: int | None, path: str) -> None:
        self.diagnostics.append(Diagnostic("error", message, self.file, line, path))

    def warn(self, message: str, line: int | None, path: str) -> None:
        self.diagnostics.append(Diagnostic("warning", message, self.file, line, path))

    def raise_if_errors(self) -> None:
        errors = [d for d in self.diagnostics if d.level == "error"]
        if errors:
            raise SpecError(errors)


def load_yaml(path: Path, text: str | None = None) -> tuple[Any, Context]:
    """Parse a YAML file (or ``text`` standing for it) keeping line information."""
    ctx = Context(str(path))
    if text is None:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise SpecError([Diagnostic("error", f"无法读取文件：{exc.strerror}", str(path))]) from exc
    try:
        data = YAML(typ="rt").load(text)
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise SpecError([Diagnostic("error", f"YAML 语法错误：{exc}", str(path), line)]) from exc
    return data, ctx


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
