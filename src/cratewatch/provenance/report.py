"""Provenance results as JSON (versioned, with a JSON Schema) and as text for people.

The JSON object (``schema_version`` 1, described by ``schemas/provenance-result.schema.json``
in this package)::

    {"schema_version": 1, "tool": {"name", "version"},
     "crate": {"name", "version", "origin", "checksum"},
     "status": "match" | "symlink-caveat" | "mismatch" | ..., "verified": bool,
     "reason": str | null,
     "repository", "declared_repository", "commit", "path_in_vcs", "package_path",
     "summary": {"files", "match", "generated", "symlink-caveat", "differs", "extra",
                 "unverified"} | null,
     "files": [{"path", "state", "repo_path", "note"}],
     "differences": [{"path", "state", "repo_path", "crate_size", "repo_size", "diff",
                      "note"}],
     "missing_from_crate": [str], "missing_submodules": [{"path", "url", "commit", "reason"}]}

``summary`` is ``null`` and the lists are empty when no files were compared.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any, assert_never

from rich.console import Console
from rich.markup import escape
from rich.syntax import Syntax

from cratewatch import __version__
from cratewatch.provenance.model import (
    Comparison,
    Dirty,
    Errored,
    FileState,
    Match,
    Mismatch,
    NoRepository,
    NotFoundInRepository,
    NoVcsInfo,
    Outcome,
    ProvenanceResult,
    RepositoryUnreachable,
    RevisionNotFound,
    Status,
    SubmoduleMissing,
    SymlinkCaveat,
)

__all__ = [
    "SCHEMA_VERSION",
    "load_schema",
    "print_human",
    "render_json",
    "result_to_json",
]

SCHEMA_VERSION = 1
"""Version of the JSON shape; bumped on incompatible changes."""

_STYLE = {
    Status.MATCH: "bold green",
    Status.SYMLINK_CAVEAT: "bold green",
    Status.MISMATCH: "bold red",
    Status.DIRTY: "bold red",
    Status.REVISION_NOT_FOUND: "bold yellow",
    Status.NO_VCS_INFO: "bold yellow",
    Status.NO_REPOSITORY: "bold yellow",
    Status.REPOSITORY_UNREACHABLE: "bold yellow",
    Status.SUBMODULE_MISSING: "bold yellow",
    Status.NOT_FOUND_IN_REPOSITORY: "bold yellow",
    Status.ERROR: "bold magenta",
}


@cache
def load_schema() -> dict[str, Any]:
    """The JSON Schema of :func:`result_to_json` output."""
    text = (
        resources.files("cratewatch.provenance")
        .joinpath("schemas/provenance-result.schema.json")
        .read_text(encoding="utf-8")
    )
    schema: dict[str, Any] = json.loads(text)
    return schema


def render_json(result: ProvenanceResult) -> str:
    """The result as indented JSON text."""
    return json.dumps(result_to_json(result), indent=2, ensure_ascii=False) + "\n"


def result_to_json(result: ProvenanceResult) -> dict[str, Any]:
    """The result as a JSON-ready dict (see the module docstring)."""
    comparison = _comparison(result.outcome)
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "cratewatch", "version": __version__},
        "crate": {
            "name": result.name,
            "version": result.version,
            "origin": result.origin,
            "checksum": result.checksum,
        },
        "status": result.status.value,
        "verified": result.status.verified,
        "reason": _reason(result.outcome),
        "repository": result.repository,
        "declared_repository": result.declared_repository,
        "commit": result.commit,
        "path_in_vcs": result.path_in_vcs,
        "package_path": result.package_path,
        "summary": None if comparison is None else _summary(comparison),
        "files": []
        if comparison is None
        else [
            {"path": f.path, "state": f.state.value, "repo_path": f.repo_path, "note": f.note}
            for f in comparison.files
        ],
        "differences": []
        if comparison is None
        else [
            {
                "path": d.path,
                "state": d.state.value,
                "repo_path": d.repo_path,
                "crate_size": d.crate_size,
                "repo_size": d.repo_size,
                "diff": d.diff,
                "note": d.note,
            }
            for d in comparison.differences
        ],
        "missing_from_crate": [] if comparison is None else list(comparison.missing_from_crate),
        "missing_submodules": []
        if comparison is None
        else [
            {"path": m.path, "url": m.url, "commit": m.commit, "reason": m.reason}
            for m in comparison.missing_submodules
        ],
    }


def _summary(comparison: Comparison) -> dict[str, int]:
    summary = {"files": len(comparison.files)}
    summary.update({state.value: comparison.count(state) for state in FileState})
    return summary


def _comparison(outcome: Outcome) -> Comparison | None:
    match outcome:
        case Match() | SymlinkCaveat() | Mismatch() | SubmoduleMissing():
            return outcome.comparison
        case Dirty():
            return outcome.comparison
        case (
            RevisionNotFound()
            | NoVcsInfo()
            | NoRepository()
            | RepositoryUnreachable()
            | NotFoundInRepository()
            | Errored()
        ):
            return None
        case _:
            assert_never(outcome)


def _reason(outcome: Outcome) -> str | None:
    match outcome:
        case Match() | SymlinkCaveat() | Mismatch() | SubmoduleMissing():
            return None
        case (
            Dirty()
            | RevisionNotFound()
            | NoVcsInfo()
            | NoRepository()
            | RepositoryUnreachable()
            | NotFoundInRepository()
            | Errored()
        ):
            return outcome.reason
        case _:
            assert_never(outcome)


def print_human(console: Console, result: ProvenanceResult, *, diffs: bool = True) -> None:
    """Print the result for a person: verdict, where, per-state counts, problems, diffs."""
    status = result.status
    console.print(
        f"[bold]{escape(result.name)} {escape(result.version)}[/]  "
        f"[{_STYLE[status]}]{status.value}[/]"
    )
    rows = [
        ("crate", result.origin),
        ("repository", result.repository or result.declared_repository),
        ("commit", result.commit),
        ("package", _package_line(result)),
    ]
    for label, value in rows:
        if value is not None:
            console.print(f"  {label:<11} {escape(value)}")
    reason = _reason(result.outcome)
    if reason is not None:
        console.print(f"  {'reason':<11} {escape(reason)}")
    comparison = _comparison(result.outcome)
    if comparison is None:
        return
    counts = ", ".join(
        f"{comparison.count(state)} {state.value}" for state in FileState if comparison.count(state)
    )
    console.print(f"  {'files':<11} {len(comparison.files)}: {counts}")
    for check in comparison.files:
        if check.state in (FileState.MATCH, FileState.GENERATED):
            continue
        style = "yellow" if check.state is FileState.SYMLINK_CAVEAT else "red"
        note = f"  ({escape(check.note)})" if check.note else ""
        console.print(f"    [{style}]{check.state.value:<14}[/] {escape(check.path)}{note}")
    for missing in comparison.missing_submodules:
        console.print(
            f"    [yellow]submodule[/]      {escape(missing.path)} at {missing.commit[:12]}: "
            f"{escape(missing.reason)}"
        )
    if comparison.missing_from_crate:
        shown = ", ".join(comparison.missing_from_crate[:8])
        more = len(comparison.missing_from_crate) - 8
        suffix = f" and {more} more" if more > 0 else ""
        console.print(
            f"  [dim]not in the crate (information): {escape(shown)}{suffix}[/]",
        )
    if diffs:
        for difference in comparison.differences:
            if difference.diff:
                console.print(Syntax(difference.diff, "diff", theme="ansi_dark", word_wrap=True))
            elif difference.note:
                console.print(f"  [dim]{escape(difference.path)}: {escape(difference.note)}[/]")


def _package_line(result: ProvenanceResult) -> str | None:
    if result.package_path is None:
        if result.path_in_vcs is None:
            return None
        return f"{result.path_in_vcs or '.'} (path_in_vcs)"
    how = " (path_in_vcs)" if result.path_in_vcs is not None else " (searched)"
    return (result.package_path or ".") + how
