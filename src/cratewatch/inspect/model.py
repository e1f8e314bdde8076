"""Values of ``cratewatch inspect``: severities, code roles, signals and per-crate reports.

>>> Severity.HIGH >= Severity.MEDIUM, Severity.parse("low")
(True, <Severity.LOW: 'low'>)
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TypeAlias

from cratewatch.errors import ParseError

__all__ = [
    "InspectReport",
    "Inspected",
    "NotInspected",
    "Outcome",
    "Role",
    "Severity",
    "Signal",
]

_ORDER = ("info", "low", "medium", "high", "critical")


class Severity(StrEnum):
    """How much a signal matters, ordered ``info < low < medium < high < critical``."""

    INFO = "info"
    """A fact worth knowing (the crate has a build script)."""
    LOW = "low"
    """Ordinary for build scripts, but worth a glance (spawning a compiler)."""
    MEDIUM = "medium"
    """Unusual; review before trusting the crate."""
    HIGH = "high"
    """Risky behaviour at build time (network access, a shell running a downloader)."""
    CRITICAL = "critical"
    """Looks malicious (secrets sent over the network, download-and-execute)."""

    @property
    def rank(self) -> int:
        """0 for info up to 4 for critical."""
        return _ORDER.index(self.value)

    # str's lexical comparisons would order "high" < "info": compare by rank instead.
    def __lt__(self, other: str) -> bool:
        return self.rank < Severity(other).rank

    def __le__(self, other: str) -> bool:
        return self.rank <= Severity(other).rank

    def __gt__(self, other: str) -> bool:
        return self.rank > Severity(other).rank

    def __ge__(self, other: str) -> bool:
        return self.rank >= Severity(other).rank

    def __hash__(self) -> int:
        return hash(self.value)

    @classmethod
    def parse(cls, text: str) -> Severity:
        """The severity named *text* (case-insensitive); raises :class:`ParseError`."""
        try:
            return cls(text.lower())
        except ValueError:
            raise ParseError(f"severity {text!r}: expected one of {', '.join(_ORDER)}") from None


class Role(StrEnum):
    """When a piece of code runs, which decides how much its behaviour matters."""

    BUILD_SCRIPT = "build-script"
    """The build script and the modules it includes: runs on the builder's machine."""
    PROC_MACRO = "proc-macro"
    """A procedural macro crate's code: runs inside the compiler on the builder's machine."""
    RUNTIME = "runtime"
    """Library or binary code: runs in the program that uses the crate."""
    GENERATED = "generated"
    """Code a proc-macro emits (``quote!``): runs in the dependent program."""
    TEST = "test"
    """``#[test]`` / ``#[cfg(test)]`` code: never built for dependents, not inspected."""

    @property
    def at_build_time(self) -> bool:
        """Whether the code runs while the crate is being built."""
        return self in (Role.BUILD_SCRIPT, Role.PROC_MACRO)


@dataclass(frozen=True, slots=True, kw_only=True)
class Signal:
    """One observation about a crate's code or content."""

    id: str
    """Stable rule identifier, e.g. ``network.http-client`` or ``combo.exfiltration``."""
    severity: Severity
    """How much it matters where it was found."""
    file: str
    """Path inside the crate (``/``-separated), or ``Cargo.toml`` for manifest signals."""
    line: int
    """First line (1-based); 0 when the signal concerns a whole file."""
    end_line: int
    """Last line (1-based, inclusive); 0 when the signal concerns a whole file."""
    excerpt: str
    """The code (at most a few lines), or a description of the file."""
    why: str
    """Why it matters, in one or two sentences."""
    role: Role | None
    """When the code runs; ``None`` for signals about files or the manifest."""


@dataclass(frozen=True, slots=True, kw_only=True)
class InspectReport:
    """Everything inspect found in one crate."""

    name: str
    """The crate name."""
    version: str
    """The crate version."""
    origin: str
    """Where the sources came from (a file, a directory, a URL, the cargo cache)."""
    checksum: str
    """How the sources were verified, for the record (``sha256 ... verified``...)."""
    build_script: str | None
    """Path of the build script, if any."""
    proc_macro: bool
    """Whether the crate is a procedural macro."""
    files: int
    """Number of files looked at."""
    rust_files: int
    """Number of Rust files parsed."""
    signals: tuple[Signal, ...]
    """Signals, most severe first."""

    @property
    def max_severity(self) -> Severity | None:
        """The highest severity found; ``None`` when there are no signals."""
        return max((s.severity for s in self.signals), default=None)

    def reaches(self, threshold: Severity) -> bool:
        """Whether any signal is at least *threshold*."""
        return any(s.severity >= threshold for s in self.signals)


@dataclass(frozen=True, slots=True, kw_only=True)
class Inspected:
    """A crate that was inspected."""

    report: InspectReport
    """The findings."""


@dataclass(frozen=True, slots=True, kw_only=True)
class NotInspected:
    """A crate that could not be inspected (git source, missing from the cache offline...)."""

    name: str
    """The crate name."""
    version: str
    """The crate version."""
    reason: str
    """Why, in one line."""


Outcome: TypeAlias = Inspected | NotInspected
"""The result of inspecting one crate of a set."""
