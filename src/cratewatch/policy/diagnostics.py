"""What the policy checks report: diagnostics with a stable code, a severity and labels.

Every diagnostic carries a ``code`` from :data:`CODES`, the documented, stable list that the
JSON and SARIF reports use (``cratewatch check --list-codes`` prints it). The codes are
cargo-deny's, so reports of both tools can be compared; cratewatch's own additions are marked.
A :class:`Label` points into a file the user owns (Cargo.lock, deny.toml, a Cargo.toml) with
a 1-based line and column and the text it underlines.

>>> d = Diagnostic(code="banned", severity=Severity.ERROR, check=Check.BANS,
...                message="crate 'openssl 0.10.0' is explicitly banned")
>>> d.check.bit, d.fails
(2, True)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import assert_never

__all__ = [
    "CODES",
    "Check",
    "CodeInfo",
    "CrateRef",
    "Diagnostic",
    "Label",
    "LintLevel",
    "Severity",
    "exit_status",
]


class Severity(StrEnum):
    """How serious a diagnostic is; only errors fail a check."""

    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"
    HELP = "help"


class LintLevel(StrEnum):
    """A configurable lint level (``deny``, ``warn``, ``allow``)."""

    DENY = "deny"
    WARN = "warn"
    ALLOW = "allow"

    @property
    def severity(self) -> Severity:
        """The severity a finding gets at this level (``allow`` still leaves a note)."""
        match self:
            case LintLevel.DENY:
                return Severity.ERROR
            case LintLevel.WARN:
                return Severity.WARNING
            case LintLevel.ALLOW:
                return Severity.NOTE
            case _:
                assert_never(self)


class Check(StrEnum):
    """The four checks; :attr:`bit` is its bit in the exit status (as cargo-deny)."""

    ADVISORIES = "advisories"
    BANS = "bans"
    LICENSES = "licenses"
    SOURCES = "sources"

    @property
    def bit(self) -> int:
        """1, 2, 4 or 8."""
        match self:
            case Check.ADVISORIES:
                return 1
            case Check.BANS:
                return 2
            case Check.LICENSES:
                return 4
            case Check.SOURCES:
                return 8
            case _:
                assert_never(self)


@dataclass(frozen=True, slots=True, kw_only=True)
class CodeInfo:
    """One entry of the code list."""

    check: Check | None
    """The check that emits it; ``None`` for configuration diagnostics."""
    description: str
    """What it means."""
    cratewatch_only: bool = False
    """Whether cargo-deny has no such code."""


_CODE_TABLE: tuple[tuple[Check | None, tuple[tuple[str, str], ...]], ...] = (
    (
        None,
        (("deprecated", "A configuration key is deprecated; the message names its replacement"),),
    ),
    (
        Check.ADVISORIES,
        (
            ("vulnerability", "A vulnerability advisory was detected"),
            ("notice", "A notice advisory was detected"),
            ("unmaintained", "An unmaintained advisory was detected"),
            ("unsound", "An unsound advisory was detected"),
            ("yanked", "Detected a crate version yanked from its registry"),
            ("advisory-ignored", "An advisory was ignored"),
            ("yanked-ignored", "A yanked crate version was ignored"),
            ("index-failure", "Failed to get index information for a registry"),
            ("advisory-not-detected", "An advisory was ignored, but not detected"),
            ("yanked-not-detected", "A yanked crate version was ignored, but not detected"),
            ("unknown-advisory", "An ignored advisory does not exist in any advisory database"),
            ("advisory-db-stale", "An advisory database is older than maximum-db-staleness"),
        ),
    ),
    (
        Check.BANS,
        (
            ("banned", "Detected an explicitly banned crate"),
            ("allowed", "Detected an explicitly allowed crate"),
            ("not-allowed", "Detected a crate not explicitly allowed"),
            ("duplicate", "Detected two or more versions of the same crate"),
            ("skipped", "A crate version was skipped when checking for multiple versions"),
            ("wildcard", "A dependency was declared with a wildcard version"),
            ("unmatched-skip", "A skip entry didn't match any crates in the graph"),
            ("allowed-by-wrapper", "A banned crate was allowed by a wrapper crate"),
            (
                "unmatched-wrapper",
                "A wrapper was declared for a crate that was not a direct parent",
            ),
            ("skipped-by-root", "A crate version was skipped by a tree skip"),
            ("unmatched-skip-root", "A tree skip didn't match any crates in the graph"),
            (
                "build-script-not-allowed",
                "A crate has code that executes at build time but was not allowed to",
            ),
            (
                "exact-features-mismatch",
                "The feature set of a crate did not exactly match the features configured for it",
            ),
            ("feature-not-explicitly-allowed", "A feature for a crate was not explicitly allowed"),
            ("feature-banned", "An explicitly banned feature for a crate was set"),
            (
                "unknown-feature",
                "Attempted to allow or ban a feature for a crate which doesn't exist",
            ),
            ("default-feature-enabled", "Default features were enabled for a crate"),
            ("path-bypassed", "A path was explicitly allowed when checking build time execution"),
            (
                "path-bypassed-by-glob",
                "A path was allowed by a glob when checking build time execution",
            ),
            ("checksum-match", "A path bypass checksum matched"),
            ("checksum-mismatch", "A path bypass checksum did not match the file on disk"),
            (
                "denied-by-extension",
                "A file in a crate executed at build time was denied due to its extension",
            ),
            (
                "detected-executable",
                "An executable was detected in a crate which executes at build time",
            ),
            (
                "detected-executable-script",
                "An executable script was detected in a crate which executes at build time",
            ),
            ("unable-to-check-path", "A failure occurred trying to inspect a file on disk"),
            (
                "features-enabled",
                "Features which enable code during build time execution were enabled",
            ),
            (
                "unmatched-bypass",
                "A bypass was declared for a crate which does not execute at build time",
            ),
            ("unmatched-path-bypass", "A path bypass did not match a path in a crate's source"),
            ("unmatched-glob", "A glob bypass did not match any paths in a crate's source"),
            ("unused-wrapper", "A wrapper was declared for a crate not in the graph"),
        ),
    ),
    (
        Check.LICENSES,
        (
            ("accepted", "A license expression was accepted"),
            ("rejected", "A license expression was not accepted"),
            ("unlicensed", "A license expression could not be determined for a crate"),
            (
                "skipped-private-workspace-crate",
                "A private workspace crate was skipped during the license check",
            ),
            (
                "license-not-encountered",
                "An allowed license was not used by any crate in the graph",
            ),
            (
                "license-exception-not-encountered",
                "A license exception was not used by any crate in the graph",
            ),
            (
                "missing-clarification-file",
                "A license clarification file was not found in the crate's source",
            ),
            ("parse-error", "Failed to parse an SPDX expression"),
            ("empty-license-field", "A crate declared an empty license field"),
            ("no-license-field", "A crate did not have a license field"),
            (
                "gather-failure",
                "An error occurred gathering a license file from the crate's source",
            ),
        ),
    ),
    (
        Check.SOURCES,
        (
            (
                "git-source-underspecified",
                "A git source is not pinned as required by required-git-spec",
            ),
            ("allowed-source", "A crate source was explicitly allowed"),
            ("allowed-by-organization", "A crate source was allowed by an allow-org entry"),
            ("source-not-allowed", "A crate source was not explicitly allowed"),
            ("unmatched-source", "An allowed source was not used by any crate in the graph"),
            (
                "unmatched-organization",
                "An allowed organization was not used by any crate in the graph",
            ),
        ),
    ),
)

_CRATEWATCH_ONLY = frozenset({"unsupported-option", "advisory-db-stale"})


def _codes() -> Mapping[str, CodeInfo]:
    return MappingProxyType(
        {
            code: CodeInfo(check=check, description=text, cratewatch_only=code in _CRATEWATCH_ONLY)
            for check, entries in _CODE_TABLE
            for code, text in entries
        }
    )


CODES: Mapping[str, CodeInfo] = _codes()
"""Every diagnostic code, with the check that emits it and what it means (stable)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Label:
    """A place in a file that a diagnostic points at."""

    file: str
    """The file (as given: a path, or ``Cargo.lock``)."""
    line: int
    """1-based line."""
    column: int = 1
    """1-based column."""
    text: str = ""
    """The text underlined (may be empty)."""
    message: str = ""
    """What this place has to do with the diagnostic."""
    primary: bool = True
    """Whether this is the main place (others are context)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CrateRef:
    """The crate a diagnostic is about."""

    name: str
    """Crate name."""
    version: str
    """Exact version."""
    source: str | None
    """Cargo source id text; ``None`` for workspace and path crates."""

    def __str__(self) -> str:
        return f"{self.name} {self.version}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Diagnostic:
    """One finding or remark of a check."""

    code: str
    """A key of :data:`CODES`."""
    severity: Severity
    """Its severity; an error fails its check."""
    check: Check | None
    """The check it belongs to; ``None`` for configuration diagnostics."""
    message: str
    """One line saying what was found."""
    crates: tuple[CrateRef, ...] = ()
    """The crates it concerns (several for a duplicate)."""
    notes: tuple[str, ...] = ()
    """Further lines: advisory details, why a license failed, the solution."""
    labels: tuple[Label, ...] = ()
    """Places in files it points at."""

    def __post_init__(self) -> None:
        if self.code not in CODES:
            raise ValueError(f"unknown diagnostic code {self.code!r}")

    @property
    def fails(self) -> bool:
        """Whether it fails its check."""
        return self.severity is Severity.ERROR and self.check is not None


def exit_status(failed: Iterable[Check]) -> int:
    """The bitset of failed checks (advisories 1, bans 2, licenses 4, sources 8).

    >>> exit_status([Check.BANS, Check.SOURCES])
    10
    """
    status = 0
    for check in failed:
        status |= check.bit
    return status
