"""``cratewatch inspect``: what a crate's build script and proc-macros would do, without running it.

:func:`~cratewatch.inspect.scan.inspect_source` turns a
:class:`~cratewatch.inspect.source.CrateSource` (from a ``.crate``, a directory or the
registry) into an :class:`~cratewatch.inspect.model.InspectReport` of
:class:`~cratewatch.inspect.model.Signal` values. Rules live one per behaviour in
:mod:`cratewatch.inspect.rules`; typosquatting checks in :mod:`cratewatch.inspect.typosquat`.
"""

from __future__ import annotations

from cratewatch.inspect.model import (
    Inspected,
    InspectReport,
    NotInspected,
    Outcome,
    Role,
    Severity,
    Signal,
)

__all__ = [
    "InspectReport",
    "Inspected",
    "NotInspected",
    "Outcome",
    "Role",
    "Severity",
    "Signal",
]
