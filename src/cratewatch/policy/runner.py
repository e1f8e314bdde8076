"""Running the checks: prune the graph per ``[graph]``, run each check, collect one report.

>>> from cratewatch.policy.config import parse_config
>>> from cratewatch.policy.graph import CrateGraph
>>> report = run_checks(CrateGraph(krates=(), edges=(), roots=()), parse_config(""),
...                     [Check.BANS, Check.SOURCES])
>>> report.exit_status, report.summary()["bans"]["errors"]
(0, 0)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import assert_never

from cratewatch.advisories.database import AdvisoryDatabase
from cratewatch.policy.advisories import YankLookup, check_advisories
from cratewatch.policy.bans import check_bans
from cratewatch.policy.config.model import PolicyConfig
from cratewatch.policy.diagnostics import Check, Diagnostic, Severity, exit_status
from cratewatch.policy.graph import CrateGraph, GraphTarget, prune
from cratewatch.policy.labels import Labeller, labels
from cratewatch.policy.licenses import check_licenses, parse_allowed
from cratewatch.policy.sources import check_sources

__all__ = ["ALL_CHECKS", "CheckReport", "apply_graph_config", "run_checks"]

ALL_CHECKS: tuple[Check, ...] = (Check.ADVISORIES, Check.BANS, Check.LICENSES, Check.SOURCES)
"""Every check, in the order they run and report."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckReport:
    """The outcome of one run."""

    diagnostics: tuple[Diagnostic, ...]
    """Every diagnostic: configuration remarks first, then each check's in check order."""
    checks: tuple[Check, ...]
    """The checks that ran."""
    graph: CrateGraph
    """The (pruned) graph they ran on."""
    config: PolicyConfig
    """The configuration."""

    @property
    def failed(self) -> frozenset[Check]:
        """Checks with at least one error."""
        return frozenset(d.check for d in self.diagnostics if d.fails and d.check is not None)

    @property
    def exit_status(self) -> int:
        """The bitset of failed checks (advisories 1, bans 2, licenses 4, sources 8)."""
        return exit_status(self.failed)

    def summary(self) -> dict[str, dict[str, int | bool]]:
        """Per check: how many errors, warnings, notes and helps, and whether it failed."""
        counts: dict[str, dict[str, int | bool]] = {
            check.value: {"errors": 0, "warnings": 0, "notes": 0, "helps": 0, "failed": False}
            for check in self.checks
        }
        key = {
            Severity.ERROR: "errors",
            Severity.WARNING: "warnings",
            Severity.NOTE: "notes",
            Severity.HELP: "helps",
        }
        for diag in self.diagnostics:
            if diag.check is None or diag.check.value not in counts:
                continue
            entry = counts[diag.check.value]
            entry[key[diag.severity]] = int(entry[key[diag.severity]]) + 1
            if diag.fails:
                entry["failed"] = True
        return counts


def apply_graph_config(
    graph: CrateGraph,
    config: PolicyConfig,
    *,
    targets: Sequence[GraphTarget] = (),
    exclude_dev: bool = False,
    exclude: Iterable[str] = (),
) -> CrateGraph:
    """Prune *graph* per ``[graph]`` (*targets* are its targets with their cfg values);
    *exclude_dev* and *exclude* (crate names) add to the config's settings."""
    cfg = config.graph
    names = set(exclude)
    excluded = [
        i
        for i, krate in enumerate(graph.krates)
        if krate.name in names or any(spec.matches(krate) for spec in cfg.exclude)
    ]
    return prune(
        graph,
        targets=targets,
        exclude=excluded,
        exclude_dev=cfg.exclude_dev or exclude_dev,
        exclude_unpublished=cfg.exclude_unpublished,
    )


def run_checks(
    graph: CrateGraph,
    config: PolicyConfig,
    checks: Sequence[Check],
    *,
    databases: Sequence[AdvisoryDatabase] = (),
    yanked: YankLookup | None = None,
    now: dt.datetime | None = None,
) -> CheckReport:
    """Run *checks* on an already pruned *graph*."""
    wanted = tuple(c for c in ALL_CHECKS if c in checks)
    parse_allowed(config)  # a bad license entry is a config error, whichever checks run
    labeller = Labeller(config_path=config.path, lockfile=graph.lockfile)
    diagnostics: list[Diagnostic] = [
        Diagnostic(
            code=warning.code,
            severity=Severity.WARNING,
            check=None,
            message=warning.message,
            labels=labels(labeller.config(warning.at)),
        )
        for warning in config.warnings
    ]
    for check in wanted:
        match check:
            case Check.ADVISORIES:
                diagnostics.extend(
                    check_advisories(graph, config, databases=databases, yanked=yanked, now=now)
                )
            case Check.BANS:
                diagnostics.extend(check_bans(graph, config))
            case Check.LICENSES:
                diagnostics.extend(check_licenses(graph, config))
            case Check.SOURCES:
                diagnostics.extend(check_sources(graph, config))
            case _:
                assert_never(check)
    return CheckReport(diagnostics=tuple(diagnostics), checks=wanted, graph=graph, config=config)
