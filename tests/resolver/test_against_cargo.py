"""The resolver against real Cargo on a purpose-built registry.

Every case resolves one root with :class:`~cratewatch.resolver.Resolver` and with
``cargo generate-lockfile`` (through a wrapper package depending on ``NAME = "=VERSION"``) on the
same git index, and requires the same package set, or both to fail. Each case also checks that
Cargo's answer really exercises what the case is about (duplicates present, an older version
chosen, ...), so a scenario that stopped testing anything would fail.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cratewatch.resolver import Resolved, Resolver, Target, Unresolved
from tests.resolver.cargo_harness import CARGO, WRAPPER, CargoFailed, LocalRegistry, package_set
from tests.resolver.scenarios import CASES, INDEX, LINUX, LINUX_CFG, Case, R, cargo_answer

pytestmark = pytest.mark.skipif(CARGO is None, reason="cargo is not on PATH")


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> LocalRegistry:
    return LocalRegistry.create(tmp_path_factory.mktemp("registry"), INDEX)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_same_package_set_as_cargo(registry: LocalRegistry, case: Case) -> None:
    answer = cargo_answer(registry, case)
    assert case.check(answer), f"the scenario no longer shows what it is about: {answer}"
    target = Target.from_rustc_cfg(LINUX, LINUX_CFG) if case.target else None
    mine = Resolver(registry.lookup, target=target).resolve(case.request)
    if isinstance(answer, CargoFailed):
        assert isinstance(mine, Unresolved), f"cargo failed:\n{answer.stderr}"
    else:
        assert package_set(mine) == answer, getattr(mine, "reason", None)
        assert isinstance(mine, Resolved)
        if case.target is None:
            assert _edges(mine) == _cargo_edges(registry, mine)


def _edges(resolved: Resolved) -> dict[str, frozenset[str]]:
    edges = {str(p): frozenset(str(c) for c in cs) for p, cs in resolved.dependencies.items()}
    edges["root-dev"] = frozenset(str(c) for c in resolved.dev_dependencies)
    return {k: v for k, v in edges.items() if v}


def _cargo_edges(registry: LocalRegistry, resolved: Resolved) -> dict[str, frozenset[str]]:
    edges = dict(registry.last_edges)
    wrapper = edges.pop(WRAPPER)
    edges["root-dev"] = wrapper - {str(resolved.root)}
    return {k: v for k, v in edges.items() if v}


def test_one_resolver_serves_every_case_in_a_row(registry: LocalRegistry) -> None:
    """Memoised state carried from root to root does not change any answer."""
    shared = Resolver(registry.lookup)
    for case in CASES:
        if case.target is None:
            fresh = Resolver(registry.lookup).resolve(case.request)
            assert package_set(shared.resolve(case.request)) == package_set(fresh), case.id


def test_failure_names_what_is_missing(registry: LocalRegistry) -> None:
    mine = Resolver(registry.lookup).resolve(R("nsroot"))
    assert isinstance(mine, Unresolved)
    assert mine.reason == (
        'failed to select a version for the requirement ns-x = "^2" (required by '
        "`nsroot v1.0.0`): candidate versions found which didn't match: 1.0.0"
    )
    missing = Resolver(registry.lookup).resolve(R("nsmissing"))
    assert isinstance(missing, Unresolved)
    assert missing.reason == (
        "no matching package named `no-such-crate` found (required by `nsmissing v1.0.0`)"
    )


def test_features_recorded_per_package(registry: LocalRegistry) -> None:
    mine = Resolver(registry.lookup).resolve(R("uroot"))
    assert isinstance(mine, Resolved)
    by_name = {p.name: f for p, f in mine.features.items()}
    assert by_name["uc"] == {"extra", "ud"}


def test_registry_is_a_real_git_index(registry: LocalRegistry) -> None:
    assert (registry.index / ".git").is_dir()
    assert (registry.index / "config.json").is_file()
    assert isinstance(registry.index, Path)
