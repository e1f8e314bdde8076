"""Which index lines Cargo would skip, and the implicit features of optional dependencies.

The real-Cargo scenarios prove that skipped lines are never chosen; these pin each reason.
"""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from cratewatch.registry.model import DepKind, IndexDependency, IndexEntry
from cratewatch.resolver.summary import (
    DEP,
    DEP_FEATURE,
    DepInterner,
    InvalidSummary,
    Summary,
    build_summary,
)


def _dep(name: str, req: str = "^1", **kw: object) -> IndexDependency:
    fields: dict[str, object] = {
        "name": name, "package": name, "req": req, "kind": DepKind.NORMAL, "target": None,
        "optional": False, "default_features": True, "features": (), "registry": None,
    }  # fmt: skip
    fields.update(kw)
    return IndexDependency(**fields)  # type: ignore[arg-type]


def _entry(
    *deps: IndexDependency, vers: str = "1.0.0", features: Mapping[str, tuple[str, ...]] = {}
) -> IndexEntry:
    return IndexEntry(name="x", vers=vers, deps=deps, features=features, yanked=False,
                      links=None, rust_version=None, cksum="", schema=1)  # fmt: skip


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        (_entry(vers="0.3.0-alpha.01"),
         "invalid version '0.3.0-alpha.01': invalid leading zero in pre-release identifier"),
        (_entry(_dep("a", "^0-.11.0")),
         "dependency `a`: invalid version requirement '^0-.11.0': expected comma after major "
         "version number, found '-'"),
        (_entry(_dep("a", target="cfg(unix")),
         "dependency `a`: target `cfg(unix`: unexpected `(` character, cfg expressions must "
         "start with `cfg(`"),
        (_entry(_dep("a", kind=DepKind.DEV, optional=True)),
         "dev-dependencies are not allowed to be optional: `a`"),
        (_entry(features={"f": ("nothing",)}),
         "feature `f` includes `nothing` which is neither a dependency nor another feature"),
        (_entry(_dep("a"), features={"f": ("a",)}),
         "feature `f` includes `a`, but `a` is not an optional dependency"),
        (_entry(_dep("a", optional=True), features={"f": ("a",), "g": ("dep:a",)}),
         "feature `f` includes `a`, an optional dependency without implicit feature"),
        (_entry(features={"f": ("dep:a",)}),
         "feature `f` includes `dep:a`, but `a` is not listed as a dependency"),
        (_entry(_dep("a"), features={"f": ("dep:a",)}),
         "feature `f` includes `dep:a`, but `a` is not an optional dependency"),
        (_entry(_dep("a"), features={"f": ("a/b/c",)}),
         "feature `f` includes `a/b/c` with more than one slash"),
        (_entry(_dep("a"), features={"f": ("dep:a/b",)}),
         "feature `f` includes `dep:a/b` with both `dep:` and `/`"),
        (_entry(features={"f": ("a/b",)}),
         "feature `f` includes `a/b`, but `a` is not a dependency"),
        (_entry(_dep("a"), features={"f": ("a?/b",)}),
         "feature `f` includes `a?/b` with a `?`, but `a` is not an optional dependency"),
        (_entry(_dep("a", optional=True), features={"a": ()}),
         "optional dependency `a` is not included in any feature"),
        (_entry(features={"f g": ()}), "invalid feature name `f g`"),
        (_entry(features={"+f": ()}), "invalid feature name `+f`"),
        (IndexEntry(name="x", vers="1.0.0", deps=(), features={}, yanked=False, links=None,
                    rust_version=None, cksum="", schema=3),
         "index schema version 3 is newer than Cargo's (2)"),
    ],
)  # fmt: skip
def test_lines_cargo_skips(entry: IndexEntry, reason: str) -> None:
    built = build_summary(entry, DepInterner())
    assert isinstance(built, InvalidSummary)
    assert built.reason == reason


def test_implicit_features_and_feature_values() -> None:
    entry = _entry(
        _dep("a", optional=True),
        _dep("b", optional=True),
        _dep("c", optional=True),
        _dep("r", package="real", optional=True),
        features={"std": ("a/std", "c?/x"), "hide": ("dep:b",), "9lives": (), "c++": ()},
    )
    built = build_summary(entry, DepInterner())
    assert isinstance(built, Summary)
    assert built.features == {
        "std": ((DEP_FEATURE, "a", "std", False), (DEP_FEATURE, "c", "x", True)),
        "hide": ((DEP, "b", "", False),),
        "9lives": (),
        "c++": (),
        "a": ((DEP, "a", "", False),),
        "c": ((DEP, "c", "", False),),
        "r": ((DEP, "r", "", False),),
    }
    assert built.optional_names == {"a", "b", "c", "r"}
    assert not built.has_default
    assert built.key == "x 1"


def test_equal_dependencies_are_shared_and_empty_features_dropped() -> None:
    interner = DepInterner()
    one = build_summary(_entry(_dep("a", features=("", "f"))), interner)
    two = build_summary(_entry(_dep("a", features=("", "f")), vers="1.1.0"), interner)
    assert isinstance(one, Summary)
    assert isinstance(two, Summary)
    assert one.deps[0] is two.deps[0]
    assert one.deps[0].want == {"f"}
