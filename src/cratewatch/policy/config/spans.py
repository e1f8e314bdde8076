"""Where each key and value of a TOML document is: lines and columns for config diagnostics.

:mod:`tomllib` gives values without positions and tomlkit keeps text without them, so this
scanner walks the (already validated) document text once and records, for every dotted path
(table keys and array indexes), the position of the key and the span of the value. Paths use
the same components as the parsed document: ``("bans", "deny", 0, "name")``.

>>> spans = scan_spans('[bans]\\ndeny = [\\n  { name = "openssl" },\\n]\\n')
>>> spans.value(("bans", "deny", 0, "name"))
Span(line=3, column=12, end_line=3, end_column=21, text='"openssl"')
>>> spans.key(("bans", "deny")).line
2
"""

from __future__ import annotations

import bisect
import contextlib
from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = ["Path", "Span", "SpanMap", "scan_spans"]

Path = tuple[str | int, ...]
"""A position in the document: table keys and array indexes."""

_BARE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
_VALUE_END = frozenset(",]}\n\r#")


@dataclass(frozen=True, slots=True)
class Span:
    """A stretch of the document (1-based lines and columns; the end is exclusive)."""

    line: int
    column: int
    end_line: int
    end_column: int
    text: str
    """The text covered (first line only, for multi-line values)."""


@dataclass(frozen=True, slots=True)
class SpanMap:
    """Key positions and value spans by path."""

    keys: Mapping[Path, Span] = field(default_factory=dict)
    values: Mapping[Path, Span] = field(default_factory=dict)

    def key(self, path: Path) -> Span | None:
        """Where the key of *path* is written (a table header for tables), if known."""
        return self.keys.get(path)

    def value(self, path: Path) -> Span | None:
        """Where the value at *path* is written, if known."""
        return self.values.get(path)

    def at(self, path: Path) -> Span | None:
        """The value's span, else the key's, else the nearest enclosing one's."""
        probe = path
        while probe:
            found = self.values.get(probe) or self.keys.get(probe)
            if found is not None:
                return found
            probe = probe[:-1]
        return None


def scan_spans(text: str) -> SpanMap:
    """Scan a TOML document that :mod:`tomllib` accepts (anything else gives partial maps)."""
    scanner = _Scanner(text)
    with contextlib.suppress(_Stop):
        scanner.document()
    return SpanMap(keys=scanner.keys, values=scanner.values)


class _Stop(Exception):
    """The text is not TOML the scanner understands; keep what was found."""


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.starts = [0]
        for i, ch in enumerate(text):
            if ch == "\n":
                self.starts.append(i + 1)
        self.keys: dict[Path, Span] = {}
        self.values: dict[Path, Span] = {}
        self.aot_index: dict[tuple[str, ...], int] = {}

    # --- positions ------------------------------------------------------------------------

    def span(self, start: int, end: int) -> Span:
        line = bisect.bisect_right(self.starts, start) - 1
        end_line = bisect.bisect_right(self.starts, max(start, end - 1)) - 1
        first = self.text[start:end].split("\n", 1)[0]
        return Span(
            line=line + 1,
            column=start - self.starts[line] + 1,
            end_line=end_line + 1,
            end_column=end - self.starts[end_line] + 1,
            text=first,
        )

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def skip_blank(self, *, newlines: bool) -> None:
        """Skip spaces, tabs, comments and (with *newlines*) line breaks."""
        while self.pos < len(self.text):
            ch = self.text[self.pos]
            if ch in " \t" or (newlines and ch in "\r\n"):
                self.pos += 1
            elif ch == "#":
                end = self.text.find("\n", self.pos)
                self.pos = len(self.text) if end < 0 else end
            else:
                return

    # --- structure ------------------------------------------------------------------------

    def document(self) -> None:
        table: Path = ()
        while True:
            self.skip_blank(newlines=True)
            if self.pos >= len(self.text):
                return
            if self.peek() == "[":
                table = self.header()
            else:
                self.key_value(table)

    def header(self) -> Path:
        start = self.pos
        double = self.text.startswith("[[", self.pos)
        self.pos += 2 if double else 1
        self.skip_blank(newlines=False)
        names = [name for name, _ in self.dotted_key()]
        self.skip_blank(newlines=False)
        self.pos += 2 if double else 1
        resolved: list[str | int] = []
        for i, name in enumerate(names):
            resolved.append(name)
            prefix = tuple(names[: i + 1])
            if double and i == len(names) - 1:
                self.aot_index[prefix] = self.aot_index.get(prefix, -1) + 1
                for key in [
                    k for k in self.aot_index if len(k) > len(prefix) and k[: len(prefix)] == prefix
                ]:
                    del self.aot_index[key]
                resolved.append(self.aot_index[prefix])
            elif prefix in self.aot_index:
                resolved.append(self.aot_index[prefix])
        path = tuple(resolved)
        header_span = self.span(start, self.pos)
        self.keys.setdefault(path, header_span)
        if double:
            self.keys.setdefault(path[:-1], header_span)
        self.values.setdefault(path, header_span)
        return path

    def dotted_key(self) -> list[tuple[str, Span]]:
        parts = []
        while True:
            self.skip_blank(newlines=False)
            start = self.pos
            name = self.simple_key()
            parts.append((name, self.span(start, self.pos)))
            self.skip_blank(newlines=False)
            if self.peek() != ".":
                return parts
            self.pos += 1

    def simple_key(self) -> str:
        ch = self.peek()
        if ch == '"':
            return self.basic_string()
        if ch == "'":
            return self.literal_string()
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] in _BARE:
            self.pos += 1
        if self.pos == start:
            raise _Stop
        return self.text[start : self.pos]

    def key_value(self, table: Path) -> None:
        parts = self.dotted_key()
        path = table + tuple(name for name, _ in parts)
        for i in range(len(parts)):
            self.keys.setdefault(table + tuple(n for n, _ in parts[: i + 1]), parts[i][1])
        self.skip_blank(newlines=False)
        if self.peek() != "=":
            raise _Stop
        self.pos += 1
        self.skip_blank(newlines=False)
        self.value(path)

    def value(self, path: Path) -> None:
        start = self.pos
        ch = self.peek()
        if ch == "[":
            self.array(path)
        elif ch == "{":
            self.inline_table(path)
        elif ch == '"':
            self.basic_string()
        elif ch == "'":
            self.literal_string()
        else:
            while self.pos < len(self.text) and self.text[self.pos] not in _VALUE_END:
                self.pos += 1
            while self.pos > start and self.text[self.pos - 1] in " \t":
                self.pos -= 1
            if self.pos == start:
                raise _Stop
        self.values[path] = self.span(start, self.pos)

    def array(self, path: Path) -> None:
        self.pos += 1
        index = 0
        while True:
            self.skip_blank(newlines=True)
            if self.peek() == "]":
                self.pos += 1
                return
            if not self.peek():
                raise _Stop
            self.value((*path, index))
            index += 1
            self.skip_blank(newlines=True)
            if self.peek() == ",":
                self.pos += 1

    def inline_table(self, path: Path) -> None:
        self.pos += 1
        while True:
            self.skip_blank(newlines=True)
            if self.peek() == "}":
                self.pos += 1
                return
            if not self.peek():
                raise _Stop
            self.key_value(path)
            self.skip_blank(newlines=True)
            if self.peek() == ",":
                self.pos += 1

    # --- strings --------------------------------------------------------------------------

    def basic_string(self) -> str:
        if self.text.startswith('"""', self.pos):
            end = self.pos + 3
            while True:
                end = self.text.find('"""', end)
                if end < 0:
                    raise _Stop
                if _escaped(self.text, end):
                    end += 1
                    continue
                while self.text.startswith('"', end + 3):
                    end += 1
                break
            content = self.text[self.pos + 3 : end]
            self.pos = end + 3
            return content
        i = self.pos + 1
        out = []
        while i < len(self.text):
            ch = self.text[i]
            if ch == "\\":
                out.append(self.text[i : i + 2])
                i += 2
                continue
            if ch == '"':
                self.pos = i + 1
                return "".join(out)
            if ch == "\n":
                break
            out.append(ch)
            i += 1
        raise _Stop

    def literal_string(self) -> str:
        if self.text.startswith("'''", self.pos):
            end = self.text.find("'''", self.pos + 3)
            if end < 0:
                raise _Stop
            while self.text.startswith("'", end + 3):
                end += 1
            content = self.text[self.pos + 3 : end]
            self.pos = end + 3
            return content
        end = self.text.find("'", self.pos + 1)
        if end < 0 or "\n" in self.text[self.pos : end]:
            raise _Stop
        content = self.text[self.pos + 1 : end]
        self.pos = end + 1
        return content


def _escaped(text: str, at: int) -> bool:
    backslashes = 0
    while at - backslashes - 1 >= 0 and text[at - backslashes - 1] == "\\":
        backslashes += 1
    return backslashes % 2 == 1
