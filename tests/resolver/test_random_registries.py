"""Hypothesis draws small random registries; the resolver must answer exactly as Cargo does.

The registries are dense on purpose: few crates, overlapping requirements (``=`` pins, carets,
ranges), optional dependencies behind features, features that some versions lack, shared
``links`` values and yanked versions, so that Cargo has to backtrack and the order in which it
tries things decides which solution it finds. Each example builds a real git index and runs
``cargo generate-lockfile`` on it.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cratewatch.resolver import Resolved, Resolver, RootRequest, Unresolved
from tests.resolver.cargo_harness import CARGO, CargoFailed, LocalRegistry, dep, line

pytestmark = pytest.mark.skipif(CARGO is None, reason="cargo is not on PATH")

NAMES = ["ha", "hb", "hc", "hd", "he"]
VERSIONS = ["0.1.0", "0.1.1", "0.2.0", "1.0.0", "1.1.0", "1.2.0", "2.0.0"]
REQS = ["^0.1", "^1", "^1.1", "=1.0.0", "=1.1.0", ">=0.1.0", "~1.1", "^2", "*", "<1.2", ">=1.0, <2"]


@st.composite
def registries(draw: st.DrawFn) -> list[dict[str, object]]:
    lines = []
    for i, name in enumerate(NAMES):
        versions = draw(st.lists(st.sampled_from(VERSIONS), min_size=1, max_size=4, unique=True))
        for version in versions:
            deps = []
            features: dict[str, list[str]] = {}
            later = NAMES[i + 1 :]
            if later:
                for target in draw(st.lists(st.sampled_from(later), max_size=3, unique=True)):
                    optional = draw(st.booleans())
                    asked = draw(st.sampled_from([[], ["x"]]))
                    deps.append(dep(target, draw(st.sampled_from(REQS)), optional=optional,
                                    features=asked))  # fmt: skip
                    if optional and draw(st.booleans()):
                        features[f"use-{target}"] = [target]
            if draw(st.booleans()):
                features["x"] = []
            with_default: bool = draw(st.booleans())
            if features and with_default:
                features["default"] = [draw(st.sampled_from(sorted(features)))]
            links = "native" if i >= 2 and draw(st.integers(0, 3)) == 0 else None
            yanked = draw(st.integers(0, 5)) == 0
            lines.append(line(name, version, *deps, features=features, links=links,
                              yanked=yanked))  # fmt: skip
    return lines


@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(index=registries(), pick=st.integers(0, 3), default_features=st.booleans())
def test_random_registry_same_as_cargo(
    index: list[dict[str, object]], pick: int, default_features: bool
) -> None:
    roots = [obj for obj in index if obj["name"] == "ha"]
    root = roots[pick % len(roots)]
    request = RootRequest(name="ha", version=str(root["vers"]), default_features=default_features)
    with tempfile.TemporaryDirectory() as tmp:
        registry = LocalRegistry.create(Path(tmp), index)
        answer = registry.lock(request)
        mine = Resolver(registry.lookup).resolve(request)
    if isinstance(answer, CargoFailed):
        assert isinstance(mine, Unresolved), answer.stderr
    else:
        assert isinstance(mine, Resolved), mine.reason
        assert frozenset(str(p) for p in mine.packages) == answer
