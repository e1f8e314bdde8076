"""One audit run over one or more inputs: what the report writers render."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from cratewatch.audit.fixplan import FixStep
from cratewatch.audit.model import AuditReport

__all__ = ["AuditInput", "AuditRun", "DatabaseSummary", "InputKind"]


class InputKind(StrEnum):
    """What was audited."""

    LOCKFILE = "lockfile"
    BINARY = "binary"


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditInput:
    """One audited input."""

    path: str
    """Path of the Cargo.lock or binary, as given (``-`` for stdin)."""
    kind: InputKind
    """Lockfile or binary."""
    package_count: int
    """Packages it lists."""


@dataclass(frozen=True, slots=True, kw_only=True)
class DatabaseSummary:
    """The advisory database the run used."""

    source: str
    """Where it came from (URL, bundle or directory)."""
    commit: str
    """Commit id of the database checkout."""
    last_updated: dt.datetime
    """Time of the last commit."""
    advisory_count: int
    """Advisories loaded."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditRun:
    """Inputs, database and the combined report of one ``cratewatch audit``."""

    inputs: tuple[AuditInput, ...]
    """What was audited."""
    database: DatabaseSummary
    """Which advisories it was checked against."""
    report: AuditReport
    """The findings."""
    fix_plan: tuple[FixStep, ...] = ()
    """Upgrade steps for vulnerable packages (``--fix-plan``)."""
    fix_plan_requested: bool = False
    """Whether ``--fix-plan`` was given (an empty plan then means nothing to fix)."""
