"""Typed getters over a parsed deny.toml that report errors with file, line, column and key.

Every problem raises one :class:`~.model.InvalidPolicyConfig` whose message starts with
``FILE:LINE:COLUMN: dotted.key:``, e.g. ``deny.toml:4:1: bans.multiple-version: unknown key
(expected one of: allow, deny, ...)``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, NoReturn

from cratewatch._toml import describe, dotted
from cratewatch.policy.config.model import InvalidPolicyConfig, Named, PackageSpec, SpecEntry
from cratewatch.policy.config.spans import Path, Span, SpanMap
from cratewatch.policy.diagnostics import LintLevel
from cratewatch.semver import InvalidVersionReq, VersionReq

__all__ = ["Reader", "dotted_path"]

_OPERATOR_CHARS = "=<>~^ "


def dotted_path(path: Path) -> str:
    """``("bans", "deny", 0, "name")`` -> ``bans.deny[0].name``."""
    return dotted("", *path)


class Reader:
    """Reads one config file's values; knows where each value is written."""

    def __init__(self, file: str, spans: SpanMap) -> None:
        self.file = file
        """The file name messages start with."""
        self.spans = spans
        """Positions of keys and values."""

    # --- errors ---------------------------------------------------------------------------

    def location(self, path: Path, *, key: bool = False) -> str:
        """``FILE:LINE:COLUMN`` of *path* (its key with *key*), or just ``FILE``."""
        span = (self.spans.key(path) if key else None) or self.spans.at(path)
        return self.file if span is None else f"{self.file}:{span.line}:{span.column}"

    def fail(self, path: Path, message: str, *, key: bool = False) -> NoReturn:
        """Raise the error for the value (or key) at *path*."""
        where = dotted_path(path)
        prefix = f"{self.location(path, key=key)}: "
        raise InvalidPolicyConfig(prefix + (f"{where}: {message}" if where else message))

    def expect(self, value: object, expected: str, path: Path) -> NoReturn:
        """Raise the standard ``expected X, got Y`` error."""
        self.fail(path, f"expected {expected}, got {describe(value)}")

    def span(self, path: Path) -> Span | None:
        """The value's span (or the key's)."""
        return self.spans.at(path)

    # --- structure ------------------------------------------------------------------------

    def table(self, value: object, path: Path) -> dict[str, Any]:
        """*value* as a table."""
        if not isinstance(value, dict):
            self.expect(value, "a table", path)
        return value

    def subtable(self, parent: Mapping[str, Any], key: str, path: Path) -> dict[str, Any]:
        """``parent[key]`` as a table, empty when absent."""
        value = parent.get(key)
        return {} if value is None else self.table(value, (*path, key))

    def known_keys(self, table: Mapping[str, Any], path: Path, known: Iterable[str]) -> None:
        """Fail on the first key not in *known*."""
        allowed = list(known)
        for key in table:
            if key not in allowed:
                self.fail(
                    (*path, key),
                    f"unknown key (expected one of: {', '.join(allowed)})",
                    key=True,
                )

    def array(self, table: Mapping[str, Any], key: str, path: Path) -> list[Any]:
        """``table[key]`` as an array, empty when absent."""
        value = table.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.expect(value, "an array", (*path, key))
        return value

    # --- scalars --------------------------------------------------------------------------

    def string(self, value: object, path: Path) -> str:
        """*value* as a string."""
        if not isinstance(value, str):
            self.expect(value, "a string", path)
        return value

    def opt_string(self, table: Mapping[str, Any], key: str, path: Path) -> str | None:
        """``table[key]`` as a string, ``None`` when absent."""
        value = table.get(key)
        return None if value is None else self.string(value, (*path, key))

    def named(self, value: object, path: Path) -> Named:
        """*value* as a string with its position."""
        return Named(value=self.string(value, path), at=self.span(path))

    def opt_named(self, table: Mapping[str, Any], key: str, path: Path) -> Named | None:
        """``table[key]`` as a :class:`Named`, ``None`` when absent."""
        return None if key not in table else self.named(table[key], (*path, key))

    def named_list(self, table: Mapping[str, Any], key: str, path: Path) -> tuple[Named, ...]:
        """``table[key]`` as an array of strings with positions."""
        return tuple(
            self.named(item, (*path, key, i)) for i, item in enumerate(self.array(table, key, path))
        )

    def strings(self, table: Mapping[str, Any], key: str, path: Path) -> tuple[str, ...]:
        """``table[key]`` as an array of strings."""
        return tuple(n.value for n in self.named_list(table, key, path))

    def boolean(self, table: Mapping[str, Any], key: str, path: Path, default: bool) -> bool:
        """``table[key]`` as a boolean, *default* when absent."""
        value = table.get(key, default)
        if not isinstance(value, bool):
            self.expect(value, "a boolean", (*path, key))
        return value

    def integer(self, table: Mapping[str, Any], key: str, path: Path) -> int | None:
        """``table[key]`` as a non-negative integer, ``None`` when absent."""
        value = table.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            self.expect(value, "a non-negative integer", (*path, key))
        return value

    def lint(self, table: Mapping[str, Any], key: str, path: Path, default: LintLevel) -> LintLevel:
        """``table[key]`` as a lint level (``deny``, ``warn``, ``allow``)."""
        value = table.get(key)
        if value is None:
            return default
        return self.lint_value(value, (*path, key))

    def lint_value(self, value: object, path: Path) -> LintLevel:
        """*value* as a lint level."""
        text = self.string(value, path)
        try:
            return LintLevel(text)
        except ValueError:
            self.fail(path, f"{text!r} is not a lint level (expected deny, warn or allow)")

    def choice(self, value: object, path: Path, choices: Iterable[str]) -> str:
        """*value* as one of *choices*."""
        options = list(choices)
        text = self.string(value, path)
        if text not in options:
            self.fail(path, f"{text!r} is not one of: {', '.join(options)}")
        return text

    # --- package specs --------------------------------------------------------------------

    def spec(self, value: object, path: Path, extra: Iterable[str] = ()) -> PackageSpec:
        """A package spec: ``"name"``, ``"name@1.0.0"``, ``"name:<2"``, ``{ crate = ... }``
        or ``{ name = ..., version = ... }``; a table may hold the *extra* keys besides."""
        if isinstance(value, str):
            return self._spec_string(value, path)
        table = self.table(value, path)
        if "crate" in table:
            self.known_keys(table, path, ["crate", *extra])
            return self._spec_string(
                self.string(table["crate"], (*path, "crate")), (*path, "crate")
            )
        if "name" not in table:
            self.fail(path, "missing `crate` (the crate name, optionally `name@version`)")
        self.known_keys(table, path, ["name", "version", *extra])
        name = self.string(table["name"], (*path, "name"))
        version = None
        if "version" in table:
            version = self._req(
                self.string(table["version"], (*path, "version")), (*path, "version")
            )
        return PackageSpec(name=name, version=version, at=self.span((*path, "name")))

    def spec_entry(self, value: object, path: Path) -> SpecEntry:
        """A package spec with an optional ``reason``."""
        spec = self.spec(value, path, ["reason"])
        reason = None
        if isinstance(value, dict):
            reason = self.opt_named(value, "reason", path)
        return SpecEntry(spec=spec, reason=reason)

    def _spec_string(self, text: str, path: Path) -> PackageSpec:
        at = text.find("@")
        colon = text.find(":")
        if at >= 0:
            name, version_text = text[:at], text[at + 1 :]
            version = self._req("=" + version_text.lstrip(_OPERATOR_CHARS), path)
        elif colon >= 0:
            name, version_text = text[:colon], text[colon + 1 :]
            version = self._req(version_text, path)
        else:
            name, version = text, None
        if not name:
            self.fail(path, f"{text!r} has no crate name")
        return PackageSpec(name=name, version=version, at=self.span(path))

    def _req(self, text: str, path: Path) -> VersionReq:
        try:
            return VersionReq.parse(text)
        except InvalidVersionReq as e:
            self.fail(path, f"{text!r} is not a version requirement: {e.reason}")
