"""packages_for_audit and dependency_paths: what the audit command matches and reports."""

from __future__ import annotations

import time
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from cratewatch.binaries import (
    AuditableDeps,
    AuditTarget,
    DependencyGraph,
    dependency_paths,
    packages_for_audit,
    parse_audit_json,
)
from cratewatch.semver import Version
from tests.binaries.payloads import SAMPLE, audit_json, package


def _deps(packages: list[dict[str, Any]]) -> AuditableDeps:
    return parse_audit_json(audit_json(packages), origin="app: .dep-v0")


V = Version.parse


def test_packages_for_audit() -> None:
    targets = packages_for_audit(_deps(SAMPLE))
    assert targets == (
        AuditTarget("app", V("0.1.0"), is_crates_io=False),
        AuditTarget("hyper", V("1.4.1"), is_crates_io=True),
        AuditTarget("serde", V("1.0.204"), is_crates_io=True),
        AuditTarget("h2", V("0.4.5"), is_crates_io=True),
        AuditTarget("bytes", V("1.6.1"), is_crates_io=True),
        AuditTarget("mygit", V("0.3.0-alpha.2+build.5"), is_crates_io=False),
        AuditTarget("bytes", V("0.4.12"), is_crates_io=True),
        AuditTarget("serde_derive", V("1.0.204"), is_crates_io=True),  # build-only, still audited
        AuditTarget("proc-macro2", V("1.0.86"), is_crates_io=True),
    )
    name, version, crates_io = targets[1]  # unpacks as the triple the audit matches on
    assert (name, version, crates_io) == ("hyper", V("1.4.1"), True)


def test_packages_for_audit_merges_identical_entries_only() -> None:
    deps = _deps(
        [
            package("app", "0.1.0", "local", dependencies=[1, 2, 3], root=True),
            package("rand", "0.8.5"),
            package("rand", "0.8.5", "git"),
            package("rand", "0.8.5"),
        ]
    )
    assert [(t.name, t.is_crates_io) for t in packages_for_audit(deps)] == [
        ("app", False),
        ("rand", True),
        ("rand", False),
    ]


def test_paths_shortest_first() -> None:
    deps = _deps(SAMPLE)
    assert dependency_paths(deps, "bytes", V("1.6.1")) == (
        ("app", "hyper", "bytes"),
        ("app", "hyper", "h2", "bytes"),
    )
    assert dependency_paths(deps, "bytes", V("0.4.12")) == (("app", "bytes"),)
    assert dependency_paths(deps, "proc-macro2", V("1.0.86")) == (
        ("app", "serde", "serde_derive", "proc-macro2"),
    )
    assert dependency_paths(deps, "app", V("0.1.0")) == (("app",),)
    assert dependency_paths(deps, "bytes", V("1.6.1"), limit=1) == (("app", "hyper", "bytes"),)


def test_paths_of_an_absent_package() -> None:
    deps = _deps(SAMPLE)
    assert dependency_paths(deps, "bytes", V("9.9.9")) == ()
    assert dependency_paths(deps, "tokio", V("1.6.1")) == ()
    assert dependency_paths(deps, "bytes", V("1.6.1"), limit=0) == ()


def test_paths_without_a_root_flag_start_where_nothing_depends() -> None:
    """Format-0 data from old cargo-auditable versions has no ``root`` field."""
    deps = _deps(
        [
            package("cli", "1.0.0", "local", dependencies=[2]),
            package("tool", "1.0.0", "local", dependencies=[2]),
            package("libc", "0.2.155"),
        ]
    )
    assert dependency_paths(deps, "libc", V("0.2.155")) == (("cli", "libc"), ("tool", "libc"))


def _layers(width: int, depth: int) -> list[dict[str, Any]]:
    """Each package depends on every package of the next layer: width**depth paths."""
    packages = [package("root", "1.0.0", "local", dependencies=list(range(1, width + 1)))]
    for layer in range(depth):
        start = 1 + (layer + 1) * width
        following = list(range(start, start + width)) if layer < depth - 1 else [start]
        for i in range(width):
            packages.append(package(f"l{layer}w{i}", "1.0.0", dependencies=following))
    packages.append(package("leaf", "1.0.0"))
    return packages


def test_exponentially_many_paths_cost_only_the_ones_returned() -> None:
    deps = _deps(_layers(width=8, depth=40))  # 8**40 paths to the leaf
    started = time.perf_counter()
    paths = dependency_paths(deps, "leaf", V("1.0.0"), limit=25)
    elapsed = time.perf_counter() - started
    assert len(paths) == 25
    assert len(set(paths)) == 25
    assert all(len(path) == 42 for path in paths)
    assert elapsed < 2.0, elapsed


@st.composite
def _dags(draw: st.DrawFn) -> list[dict[str, Any]]:
    count = draw(st.integers(1, 12))
    packages = []
    for i in range(count):
        later = list(range(i + 1, count))
        deps = draw(st.lists(st.sampled_from(later), unique=True)) if later else []
        packages.append(package(f"p{draw(st.integers(0, 5))}", "1.0.0", dependencies=sorted(deps)))
    return packages


def _all_paths(deps: AuditableDeps, target: str) -> set[tuple[str, ...]]:
    """Every source-to-target chain, by brute force."""
    dependents: dict[int, list[int]] = {i: [] for i in range(len(deps.packages))}
    for i, p in enumerate(deps.packages):
        for d in p.dependencies:
            dependents[d].append(i)
    found: set[tuple[str, ...]] = set()
    stack = [[i] for i, p in enumerate(deps.packages) if p.name == target]
    while stack:
        chain = stack.pop()
        if not dependents[chain[-1]]:
            found.add(tuple(deps.packages[i].name for i in reversed(chain)))
        stack.extend([*chain, parent] for parent in dependents[chain[-1]])
    return found


@given(_dags(), st.integers(0, 5), st.integers(1, 6))
def test_paths_are_real_chains_in_length_order(
    packages: list[dict[str, Any]], target: int, limit: int
) -> None:
    deps = _deps(packages)
    name = f"p{target}"
    paths = dependency_paths(deps, name, V("1.0.0"), limit=limit)
    every = _all_paths(deps, name)
    assert set(paths) <= every
    assert len(paths) == min(limit, len(every))
    assert [len(p) for p in paths] == sorted(len(p) for p in paths)
    shortest = sorted(len(p) for p in every)[: len(paths)]
    assert [len(p) for p in paths] == shortest
    assert DependencyGraph(deps).paths(name, V("1.0.0"), limit=limit) == paths
