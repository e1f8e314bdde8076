"""Typed getters over the output of :mod:`tomllib`, for hostile files.

A :class:`Fields` reader belongs to one file and one error class. Each getter either returns a
value of the asked type or raises ONE error naming the file and the dotted path of the bad
field, e.g. ``Cargo.lock: package[12].version: expected a string, got 3``.

>>> from cratewatch.errors import ParseError
>>> fields = Fields("Cargo.toml", ParseError)
>>> fields.string({"name": "x"}, "name", "package")
'x'
>>> fields.string({"name": 3}, "name", "package")
Traceback (most recent call last):
    ...
cratewatch.errors.ParseError: Cargo.toml: package.name: expected a string, got 3
"""

from __future__ import annotations

import datetime
import re
import tomllib
from collections.abc import Mapping
from typing import Any, NoReturn

from cratewatch.errors import ParseError

__all__ = ["Fields", "describe", "dotted", "header_lines", "key_path", "load_toml"]

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def key_path(parent: str, key: str) -> str:
    """``parent.key``, quoting ``key`` the way TOML would when it is not a bare key.

    >>> key_path("target", "cfg(unix)")
    'target."cfg(unix)"'
    """
    part = key if _BARE_KEY.fullmatch(key) else _quote(key)
    return f"{parent}.{part}" if parent else part


def dotted(prefix: str, *parts: str | int) -> str:
    """Extend the dotted path ``prefix``: strings become keys, integers array indexes.

    >>> dotted("package", 3, "dependencies", 0)
    'package[3].dependencies[0]'
    >>> dotted("package[3]", "version")
    'package[3].version'
    """
    out = prefix
    for part in parts:
        out = f"{out}[{part}]" if isinstance(part, int) else key_path(out, part)
    return out


def _quote(key: str) -> str:
    escaped = key.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def describe(value: object) -> str:
    """How an unexpected TOML value is shown in an error message.

    >>> describe(3), describe("x"), describe(True), describe([]), describe({})
    ('3', "'x'", 'true', 'an array', 'a table')
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value if len(value) <= 80 else value[:77] + "...")
    if isinstance(value, int | float):
        return str(value)
    for kind, name in _KIND_NAMES:
        if isinstance(value, kind):
            return name
    return type(value).__name__


_KIND_NAMES: tuple[tuple[type, str], ...] = (
    (dict, "a table"),
    (list, "an array"),
    (datetime.datetime, "a date-time"),  # before date: a datetime is a date
    (datetime.date, "a date"),
    (datetime.time, "a time"),
)


def load_toml(text: str, file: str, error: type[ParseError]) -> dict[str, Any]:
    """Parse ``text`` as TOML; a syntax error names the file and tomllib's line and column."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise error(f"{file}: invalid TOML: {e}") from e


class Fields:
    """Typed getters for one file; every failure raises ``error`` with file and dotted path."""

    __slots__ = ("error", "file")

    def __init__(self, file: str, error: type[ParseError]) -> None:
        self.file = file
        """The file name every message starts with."""
        self.error = error
        """The error class raised on bad input."""

    def problem(self, where: str, message: str) -> ParseError:
        """The error for the field at dotted path ``where`` (to ``raise``)."""
        prefix = f"{self.file}: {where}: " if where else f"{self.file}: "
        return self.error(prefix + message)

    def fail(self, where: str, message: str) -> NoReturn:
        """Raise the error for the field at dotted path ``where``."""
        raise self.problem(where, message)

    def mismatch(self, value: object, expected: str, where: str) -> ParseError:
        """The standard ``expected X, got Y`` error (to ``raise``)."""
        return self.problem(where, f"expected {expected}, got {describe(value)}")

    def expect(self, value: object, expected: str, where: str) -> NoReturn:
        """Raise the standard ``expected X, got Y`` error."""
        raise self.mismatch(value, expected, where)

    # --- values -------------------------------------------------------------------------------

    def as_table(self, value: object, where: str) -> dict[str, Any]:
        """``value`` as a table."""
        if not isinstance(value, dict):
            self.expect(value, "a table", where)
        return value

    def as_string(self, value: object, where: str) -> str:
        """``value`` as a string."""
        if not isinstance(value, str):
            self.expect(value, "a string", where)
        return value

    def as_bool(self, value: object, where: str) -> bool:
        """``value`` as a boolean."""
        if not isinstance(value, bool):
            self.expect(value, "a boolean", where)
        return value

    def as_array(self, value: object, where: str) -> list[Any]:
        """``value`` as an array."""
        if not isinstance(value, list):
            self.expect(value, "an array", where)
        return value

    def as_strings(self, value: object, where: str) -> tuple[str, ...]:
        """``value`` as an array of strings."""
        items = self.as_array(value, where)
        return tuple(self.as_string(item, f"{where}[{i}]") for i, item in enumerate(items))

    # --- keys of a table ----------------------------------------------------------------------

    def table(self, table: Mapping[str, Any], key: str, where: str) -> dict[str, Any] | None:
        """``table[key]`` as a table, ``None`` when absent."""
        value = table.get(key)
        return None if value is None else self.as_table(value, key_path(where, key))

    def string(self, table: Mapping[str, Any], key: str, where: str) -> str:
        """``table[key]`` as a string; absent is an error."""
        if key not in table:
            self.fail(key_path(where, key), "missing")
        return self.as_string(table[key], key_path(where, key))

    def opt_string(self, table: Mapping[str, Any], key: str, where: str) -> str | None:
        """``table[key]`` as a string, ``None`` when absent."""
        value = table.get(key)
        return None if value is None else self.as_string(value, key_path(where, key))

    def opt_bool(self, table: Mapping[str, Any], key: str, where: str) -> bool | None:
        """``table[key]`` as a boolean, ``None`` when absent."""
        value = table.get(key)
        return None if value is None else self.as_bool(value, key_path(where, key))

    def strings(self, table: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
        """``table[key]`` as an array of strings, empty when absent."""
        value = table.get(key)
        return () if value is None else self.as_strings(value, key_path(where, key))

    def array(self, table: Mapping[str, Any], key: str, where: str) -> list[Any]:
        """``table[key]`` as an array, empty when absent."""
        value = table.get(key)
        return [] if value is None else self.as_array(value, key_path(where, key))


# --- positions ------------------------------------------------------------------------------

_HEADER = re.compile(r"[ \t]*(\[\[?)([^\]\n]*)\]")


def header_lines(text: str) -> dict[str, list[int]]:
    """The 1-based line of every table header (``[a]``, ``[[a.b]]``) outside strings, by key.

    tomllib gives no positions, so this scans the text, skipping strings and comments.
    """
    found: dict[str, list[int]] = {}
    in_string: str | None = None
    for number, line in enumerate(text.split("\n"), start=1):
        if in_string is None:
            match = _HEADER.match(line)
            if match:
                key = ".".join(part.strip().strip("\"'") for part in match.group(2).split("."))
                found.setdefault(key, []).append(number)
        if in_string is None and '"""' not in line and "'''" not in line:
            continue  # no multi-line string can open on this line
        in_string = _scan_line(line, in_string)
    return found


def _scan_line(line: str, in_string: str | None) -> str | None:
    """The delimiter of the multi-line string (three quotes) still open at the end of
    ``line``, given the one open at its start."""
    i, n = 0, len(line)
    while i < n:
        if in_string is not None:
            end = _multiline_end(line, i, in_string)
            if end < 0:
                return in_string
            in_string, i = None, end
            continue
        char = line[i]
        if char == "#":
            return None
        if line.startswith('"""', i) or line.startswith("'''", i):
            in_string = line[i : i + 3]
            i += 3
        elif char == '"':
            i += 1
            while i < n and line[i] != '"':
                i += 2 if line[i] == "\\" else 1
            i += 1
        elif char == "'":
            end = line.find("'", i + 1)
            i = n if end < 0 else end + 1
        else:
            i += 1
    return in_string


def _multiline_end(line: str, start: int, delimiter: str) -> int:
    """Where a multi-line string open at ``start`` ends on ``line`` (after its closing
    delimiter and up to two more quotes of content), or -1 when it does not."""
    i, n = start, len(line)
    while i < n:
        if delimiter == '"""' and line[i] == "\\":
            i += 2
        elif line.startswith(delimiter, i):
            i += 3
            extra = 0
            while i < n and line[i] == delimiter[0] and extra < 2:
                i, extra = i + 1, extra + 1
            return i
        else:
            i += 1
    return -1
