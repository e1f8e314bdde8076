"""Reading cargo-audit's ``audit.toml`` (``.cargo/audit.toml``), with cratewatch's extensions.

Every cargo-audit key is accepted. The extension: an ``[advisories] ignore`` entry may be a
table ``{ id = "RUSTSEC-...", reason = "...", until = 2026-12-31 }``; after ``until`` the ignore
expires and the finding comes back with a note. Unknown keys are errors that name the key.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cratewatch.audit.model import FindingKind, IgnoreRule, Severity
from cratewatch.errors import PolicyError

__all__ = ["AuditConfig", "InvalidAuditConfig", "load_audit_config", "parse_audit_config"]

_MAX_CONFIG_BYTES = 1 << 20

_KNOWN_KEYS: dict[str, frozenset[str]] = {
    "advisories": frozenset({"ignore", "informational_warnings", "severity_threshold"}),
    "database": frozenset({"path", "url", "fetch", "stale"}),
    "output": frozenset({"deny", "format", "quiet", "show_tree"}),
    "binary": frozenset({"max_binary_size", "audit_data_size_limit"}),
    "target": frozenset({"arch", "os"}),
    "yanked": frozenset({"enabled", "update_index"}),
}

_INFORMATIONAL = {
    "unmaintained": FindingKind.UNMAINTAINED,
    "unsound": FindingKind.UNSOUND,
    "notice": FindingKind.NOTICE,
    "yanked": FindingKind.YANKED,
    "warnings": None,  # cargo-audit's `--deny warnings`: every informational kind
}


class InvalidAuditConfig(PolicyError, ValueError):
    """An audit.toml file is malformed; the message names the file and the key."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditConfig:
    """The settings an audit.toml file gives; None where the file is silent."""

    ignore: tuple[IgnoreRule, ...] = ()
    """Advisories to ignore."""
    informational: frozenset[FindingKind] | None = None
    """``informational_warnings``: which informational kinds to report."""
    severity_threshold: Severity | None = None
    """``severity_threshold``."""
    deny: frozenset[FindingKind] = frozenset()
    """``[output] deny``: kinds that fail the run besides vulnerabilities."""
    database_url: str | None = None
    """``[database] url``."""
    database_path: str | None = None
    """``[database] path``."""
    fetch: bool | None = None
    """``[database] fetch``."""
    allow_stale: bool | None = None
    """``[database] stale``: allow a stale database."""
    output_format: str | None = None
    """``[output] format`` (terminal or json)."""
    quiet: bool | None = None
    """``[output] quiet``."""
    show_tree: bool | None = None
    """``[output] show_tree``."""
    target_arch: frozenset[str] = frozenset()
    """``[target] arch``."""
    target_os: frozenset[str] = frozenset()
    """``[target] os``."""
    yanked_enabled: bool | None = None
    """``[yanked] enabled``."""
    yanked_update_index: bool | None = None
    """``[yanked] update_index``."""


def load_audit_config(path: Path) -> AuditConfig:
    """Read and parse an audit.toml file."""
    try:
        with path.open("rb") as f:
            data = f.read(_MAX_CONFIG_BYTES + 1)
    except OSError as e:
        raise InvalidAuditConfig(f"{path}: cannot read: {e.strerror}") from e
    if len(data) > _MAX_CONFIG_BYTES:
        raise InvalidAuditConfig(f"{path}: larger than {_MAX_CONFIG_BYTES} bytes")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InvalidAuditConfig(f"{path}: not UTF-8 text") from e
    return parse_audit_config(text, path=str(path))


def parse_audit_config(text: str, *, path: str = "audit.toml") -> AuditConfig:
    """Parse the text of an audit.toml file.

    >>> cfg = parse_audit_config('[advisories]\\nignore = ["RUSTSEC-2020-0071"]')
    >>> [rule.id for rule in cfg.ignore]
    ['RUSTSEC-2020-0071']
    """
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise InvalidAuditConfig(f"{path}: invalid TOML: {e}") from e
    reader = _Reader(path)
    for section, value in doc.items():
        if section not in _KNOWN_KEYS:
            raise InvalidAuditConfig(f"{path}: unknown section [{section}]")
        table = reader.table(value, section)
        for key in table:
            if key not in _KNOWN_KEYS[section]:
                raise InvalidAuditConfig(f"{path}: {section}.{key}: unknown key")
    adv = reader.table(doc.get("advisories", {}), "advisories")
    database = reader.table(doc.get("database", {}), "database")
    output = reader.table(doc.get("output", {}), "output")
    target = reader.table(doc.get("target", {}), "target")
    yanked = reader.table(doc.get("yanked", {}), "yanked")
    informational: frozenset[FindingKind] | None = None
    if "informational_warnings" in adv:
        informational = reader.kinds(
            adv["informational_warnings"], "advisories.informational_warnings"
        )
    threshold = None
    if "severity_threshold" in adv:
        raw = reader.string(adv["severity_threshold"], "advisories.severity_threshold")
        try:
            threshold = Severity.parse(raw)
        except ValueError as e:
            raise InvalidAuditConfig(f"{path}: advisories.severity_threshold: {e}") from e
    return AuditConfig(
        ignore=reader.ignores(adv.get("ignore", []), "advisories.ignore"),
        informational=informational,
        severity_threshold=threshold,
        deny=reader.kinds(output.get("deny", []), "output.deny"),
        database_url=reader.optional_string(database.get("url"), "database.url"),
        database_path=reader.optional_string(database.get("path"), "database.path"),
        fetch=reader.optional_bool(database.get("fetch"), "database.fetch"),
        allow_stale=reader.optional_bool(database.get("stale"), "database.stale"),
        output_format=reader.optional_string(output.get("format"), "output.format"),
        quiet=reader.optional_bool(output.get("quiet"), "output.quiet"),
        show_tree=reader.optional_bool(output.get("show_tree"), "output.show_tree"),
        target_arch=frozenset(reader.strings(target.get("arch", []), "target.arch")),
        target_os=frozenset(reader.strings(target.get("os", []), "target.os")),
        yanked_enabled=reader.optional_bool(yanked.get("enabled"), "yanked.enabled"),
        yanked_update_index=reader.optional_bool(yanked.get("update_index"), "yanked.update_index"),
    )


class _Reader:
    """Typed getters that raise one error naming the file and the dotted key."""

    def __init__(self, path: str) -> None:
        self.path = path

    def fail(self, where: str, message: str) -> InvalidAuditConfig:
        return InvalidAuditConfig(f"{self.path}: {where}: {message}")

    def table(self, value: object, where: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(where, f"expected a table, got {_kind(value)}")
        return value

    def string(self, value: object, where: str) -> str:
        if not isinstance(value, str):
            raise self.fail(where, f"expected a string, got {_kind(value)}")
        return value

    def optional_string(self, value: object, where: str) -> str | None:
        return None if value is None else self.string(value, where)

    def optional_bool(self, value: object, where: str) -> bool | None:
        if value is None:
            return None
        if not isinstance(value, bool):
            raise self.fail(where, f"expected true or false, got {_kind(value)}")
        return value

    def strings(self, value: object, where: str) -> list[str]:
        if not isinstance(value, list):
            raise self.fail(where, f"expected an array of strings, got {_kind(value)}")
        return [self.string(item, f"{where}[{i}]") for i, item in enumerate(value)]

    def kinds(self, value: object, where: str) -> frozenset[FindingKind]:
        kinds: set[FindingKind] = set()
        for i, name in enumerate(self.strings(value, where)):
            if name not in _INFORMATIONAL:
                choices = ", ".join(_INFORMATIONAL)
                raise self.fail(f"{where}[{i}]", f"unknown kind {name!r} (expected {choices})")
            kind = _INFORMATIONAL[name]
            if kind is None:
                kinds |= {k for k in _INFORMATIONAL.values() if k is not None}
            else:
                kinds.add(kind)
        return frozenset(kinds)

    def ignores(self, value: object, where: str) -> tuple[IgnoreRule, ...]:
        if not isinstance(value, list):
            raise self.fail(where, f"expected an array, got {_kind(value)}")
        rules = []
        for i, item in enumerate(value):
            at = f"{where}[{i}]"
            if isinstance(item, str):
                rules.append(IgnoreRule(id=item, origin=self.path))
                continue
            entry = self.table(item, at)
            unknown = set(entry) - {"id", "reason", "until"}
            if unknown:
                raise self.fail(f"{at}.{sorted(unknown)[0]}", "unknown key")
            if "id" not in entry:
                raise self.fail(at, "missing key 'id'")
            until = entry.get("until")
            if until is not None and not (
                isinstance(until, dt.date) and not isinstance(until, dt.datetime)
            ):
                raise self.fail(f"{at}.until", f"expected a date (YYYY-MM-DD), got {_kind(until)}")
            rules.append(
                IgnoreRule(
                    id=self.string(entry["id"], f"{at}.id"),
                    reason=self.string(entry.get("reason", ""), f"{at}.reason"),
                    until=until,
                    origin=self.path,
                )
            )
        return tuple(rules)


def _kind(value: object) -> str:
    match value:
        case bool():
            return "a boolean"
        case int() | float():
            return f"a number ({value})"
        case str():
            return f"a string ({value!r})"
        case list():
            return "an array"
        case dict():
            return "a table"
        case _:
            return type(value).__name__
