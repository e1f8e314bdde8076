"""The resolver against real Cargo on the real crates.io index of 2020.

A fixed random sample of crates (seeded, so every run checks the same ones) is resolved at
its newest usable version, by the resolver reading the bundle through the git backend and by
``cargo generate-lockfile`` using a clone of the same bundle as a ``file://`` git registry.
The package sets must be identical.
"""

from __future__ import annotations

import random
import subprocess
from pathlib import Path

import pytest

from cratewatch.registry.index import open_index
from cratewatch.resolver import Resolver, RootRequest, Unresolved
from tests.resolver.cargo_harness import CARGO, CargoFailed, LocalRegistry, package_set

pytestmark = [
    pytest.mark.shared,
    pytest.mark.skipif(CARGO is None, reason="cargo is not on PATH"),
]

SEED = 2020
SAMPLE = 40


@pytest.fixture(scope="module")
def clone(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("index2020") / "index.git"
    bundle = shared_data / "crates-io-index-2020.bundle"
    subprocess.run(["git", "clone", "-q", "--bare", str(bundle), str(path)], check=True)
    return path


def _sample(resolver: Resolver, names: list[str]) -> list[RootRequest]:
    rng = random.Random(SEED)
    roots: list[RootRequest] = []
    for name in rng.sample(sorted(names), SAMPLE * 2):
        newest = resolver.source.crate(_real_name(resolver, name)).newest()
        if newest is not None and len(roots) < SAMPLE:
            roots.append(RootRequest(name=newest.name, version=str(newest.version)))
    return roots


def _real_name(resolver: Resolver, lowercase: str) -> str:
    entries = resolver.source.lookup(lowercase)
    return entries[-1].name if entries else lowercase


def test_sample_of_real_crates_matches_cargo(clone: Path, tmp_path: Path) -> None:
    registry = LocalRegistry.for_index(tmp_path, clone)
    with open_index(str(clone)) as index:
        resolver = Resolver.from_index(index)
        roots = _sample(resolver, list(index.names()))
        assert len(roots) == SAMPLE
        differ = []
        for request in roots:
            mine = resolver.resolve(request)
            cargo = registry.lock(request)
            if isinstance(cargo, CargoFailed):
                same = isinstance(mine, Unresolved)
            else:
                same = package_set(mine) == cargo
            if not same:
                differ.append(request.describe())
    assert differ == [], f"{len(differ)}/{SAMPLE} differ from cargo"
