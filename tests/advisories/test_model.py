"""Advisory semantics (cratewatch.advisories.model): kinds and cargo-audit's `affects` rule."""

from __future__ import annotations

import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cratewatch.advisories.model import (
    Advisory,
    AdvisoryKind,
    AdvisoryOrigin,
    Affected,
    kind_of,
)
from cratewatch.advisories.ranges import affected_ranges
from cratewatch.semver import Version, VersionReq


def _advisory(
    patched: list[str], unaffected: list[str], *, origin: AdvisoryOrigin = AdvisoryOrigin.RUSTSEC
) -> Advisory:
    p = tuple(VersionReq.parse(r) for r in patched)
    u = tuple(VersionReq.parse(r) for r in unaffected)
    return Advisory(
        id="RUSTSEC-2020-0001",
        package="foo",
        date=datetime.date(2020, 1, 1),
        title="t",
        description="d",
        patched=p,
        unaffected=u,
        ranges=affected_ranges(p, u),
        origin=origin,
    )


@pytest.mark.parametrize(
    ("informational", "kind"),
    [
        (None, AdvisoryKind.VULNERABILITY),
        ("unsound", AdvisoryKind.UNSOUND),
        ("unmaintained", AdvisoryKind.UNMAINTAINED),
        ("notice", AdvisoryKind.NOTICE),
        ("Unsound", AdvisoryKind.OTHER),
        ("yanked", AdvisoryKind.OTHER),
    ],
)
def test_kind_of(informational: str | None, kind: AdvisoryKind) -> None:
    assert kind_of(informational) is kind


@pytest.mark.parametrize(
    ("patched", "unaffected", "version", "affected"),
    [
        ([">= 1.2.3"], [], "1.2.2", True),
        ([">= 1.2.3"], [], "1.2.3", False),
        ([">= 1.2.3, < 1.3.0", ">= 1.3.4"], ["< 0.1.2"], "0.1.1", False),
        ([">= 1.2.3, < 1.3.0", ">= 1.3.4"], ["< 0.1.2"], "0.1.2", True),
        ([">= 1.2.3, < 1.3.0", ">= 1.3.4"], ["< 0.1.2"], "1.3.0", True),
        ([">= 1.2.3, < 1.3.0", ">= 1.3.4"], ["< 0.1.2"], "1.3.4", False),
        (["^0.9.5"], [], "0.9.9", False),
        (["^0.9.5"], [], "0.10.0", True),
        ([], [], "0.0.0", True),
        # rustsec compares by SemVer precedence, not with Cargo's pre-release matching rule:
        ([">= 1.2.3"], [], "1.3.0-alpha.1", False),
        ([">= 1.2.3"], [], "1.2.3-alpha.1", True),
        ([">= 1.3.0-alpha.1"], [], "1.3.0-alpha.2", False),
        ([">= 1.2.3"], ["= 1.0.0-alpha.1"], "1.0.0-alpha.1", False),
        ([">= 1.2.3"], ["< 0.2"], "0.2.0-alpha.1", False),
    ],
)
def test_affects_follows_rustsec(
    patched: list[str], unaffected: list[str], version: str, affected: bool
) -> None:
    assert _advisory(patched, unaffected).affects(Version.parse(version)) is affected


def test_withdrawn_advisories_still_affect_but_say_so() -> None:
    adv = _advisory([">= 1.0.0"], [])
    withdrawn = Advisory(
        id=adv.id,
        package=adv.package,
        date=adv.date,
        title=adv.title,
        description=adv.description,
        patched=adv.patched,
        withdrawn=datetime.date(2021, 1, 1),
    )
    assert withdrawn.affects(Version.parse("0.9.0"))
    assert withdrawn.is_withdrawn
    assert not adv.is_withdrawn


def test_osv_origin_uses_ranges_not_requirements() -> None:
    adv = _advisory([">= 1.2.3"], [], origin=AdvisoryOrigin.OSV)
    assert adv.affects(Version.parse("1.2.2"))
    assert not adv.affects(Version.parse("1.2.3"))
    # Unlike Cargo matching, intervals go by precedence: 1.3.0-alpha.1 >= 1.2.3 is fixed.
    assert not adv.affects(Version.parse("1.3.0-alpha.1"))


def test_advisories_are_hashable_values() -> None:
    a = _advisory([">= 1.0.0"], [])
    b = _advisory([">= 1.0.0"], [])
    assert a == b
    assert len({a, b}) == 1
    assert hash(Affected(functions={"foo::x": ()})) == hash(Affected())


_release = st.builds(
    Version,
    major=st.integers(0, 5),
    minor=st.integers(0, 5),
    patch=st.integers(0, 5),
)


@given(
    fixed=_release,
    since=_release,
    version=_release,
)
def test_release_versions_agree_with_osv_ranges(
    fixed: Version, since: Version, version: Version
) -> None:
    """For release versions, cargo-audit's rule and the OSV intervals say the same."""
    patched = [f">= {fixed}"]
    unaffected = [f"< {since}"] if since <= fixed else []
    rustsec = _advisory(patched, unaffected)
    osv = _advisory(patched, unaffected, origin=AdvisoryOrigin.OSV)
    assert rustsec.affects(version) == osv.affects(version)
