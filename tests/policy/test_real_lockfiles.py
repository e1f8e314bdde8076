"""The checks on real applications' Cargo.lock files (../shared/data/lockfiles), without cargo
and without any crate sources: every package still gets checked from the lockfile alone."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from cratewatch.lockfile import load_lockfile
from cratewatch.policy.config import parse_config
from cratewatch.policy.crate_sources import SourceLocator
from cratewatch.policy.diagnostics import Check
from cratewatch.policy.graph import ManifestMissing
from cratewatch.policy.graph_lock import graph_from_lockfile
from cratewatch.policy.runner import run_checks

pytestmark = pytest.mark.shared

CONFIG = parse_config(
    '[bans]\nmultiple-versions = "deny"\nmultiple-versions-include-dev = true\n'
    '[sources]\nunknown-git = "deny"\nunknown-registry = "deny"\n'
)


def projects(shared: Path) -> list[Path]:
    return sorted(p for p in (shared / "lockfiles").iterdir() if (p / "Cargo.toml").is_file())


def test_every_real_lockfile(shared_data: Path) -> None:
    checked = 0
    for project in projects(shared_data):
        lock = load_lockfile(project / "Cargo.lock")
        graph = graph_from_lockfile(project, SourceLocator(vendor_dirs=(), cargo_home=None))
        lock_ids = {(p.name, str(p.version)) for p in lock.packages}
        assert {(k.name, str(k.version)) for k in graph.krates} <= lock_ids, project.name
        assert all(
            isinstance(k.manifest, ManifestMissing) for k in graph.krates if k.source is not None
        )
        report = run_checks(graph, CONFIG, [Check.BANS, Check.SOURCES])
        versions = Counter(k.name for k in graph.krates)
        duplicates = {d.crates[0].name for d in report.diagnostics if d.code == "duplicate"}
        assert duplicates == {name for name, count in versions.items() if count > 1}, project.name
        foreign = {
            k.name
            for k in graph.krates
            if k.source is not None and not k.source.is_crates_io and not k.source.is_path
        }
        flagged = {d.crates[0].name for d in report.diagnostics if d.code == "source-not-allowed"}
        assert flagged == foreign, project.name
        assert (report.exit_status & 2 != 0) == bool(duplicates)
        checked += 1
    assert checked >= 10
