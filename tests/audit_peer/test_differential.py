"""cratewatch audit vs cargo-deny 0.14.2 ``check advisories`` on real dependency graphs.

Both tools read the same advisory database (the real RustSec one minus its CVSS 4.0
advisories, which 0.14.2 cannot load) and audit the same projects, offline, around vendored
stubs of every locked crate: the demo project (Cargo.lock v4, 75 packages), ripgrep 11.0.2
(Cargo.lock v1, 2019, 75 packages) and ``advisory-kinds`` (268 packages locked by cargo against
the 2020 index, its direct dependencies chosen for withdrawn, notice, CPU/OS-specific and
pre-release advisories). Findings are compared as ``(kind, advisory id, crate, version)``, per
kind, together with the exit status.

What is compared, and the only differences the tools are allowed:

- the whole lockfile: cratewatch (like cargo-audit) audits every package of Cargo.lock;
  cargo-deny audits the graph ``cargo metadata`` resolves, which is the lockfile's package set
  when every workspace feature is on (``--all-features``; cargo locks with all member features
  and every target). No difference.
- a build selection (``--no-default-features``, ``--target TRIPLE``): cratewatch asks
  ``cargo metadata`` which packages that build compiles (normal and build edges only, so
  cargo-deny runs with ``--exclude-dev``) and marks the rest not-built. With ``--target``,
  cratewatch also narrows advisories to the triple's OS and CPU (like cargo-audit's
  ``--target-os``/``--target-arch``: an advisory whose ``[affected] os``/``arch`` list leaves
  the target out does not apply to that build). cargo-deny 0.14.2 passes no target OS/arch to
  rustsec, so it reports those too: exactly the cargo-deny findings whose advisory file's
  ``[affected]`` lists exclude the target are allowed to be missing from cratewatch.

Withdrawn advisories, informational kinds (notice/unmaintained/unsound, each reported by both
only under its own kind) and advisories with affected functions (neither tool narrows by
function for a Cargo.lock) are covered by the same exact comparison.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.audit_peer.advisory_db import front_matter
from tests.audit_peer.peer import (
    Finding,
    Findings,
    PeerSetup,
    cratewatch_findings,
    deny_findings,
)
from tests.audit_peer.real_project import as_v3

pytestmark = pytest.mark.shared

PROJECTS = ("demo", "ripgrep-11.0.2", "advisory-kinds")
DENY_ALL = ("--deny", "warnings")
"""cratewatch fails the run on every kind, as the deny.toml makes cargo-deny do."""


@dataclass(frozen=True)
class Selection:
    deny_flags: tuple[str, ...]
    cratewatch_flags: tuple[str, ...]
    target: tuple[str, str] | None = None
    """(os, arch) of a ``--target`` triple, in RustSec's spelling."""


LINUX, WINDOWS = "x86_64-unknown-linux-gnu", "x86_64-pc-windows-msvc"
SELECTIONS = {
    "whole-lockfile": Selection(("--all-features",), ()),
    "no-default-features": Selection(
        ("--no-default-features", "--exclude-dev"), ("--no-default-features",)
    ),
    "linux": Selection(
        ("--target", LINUX, "--exclude-dev"), ("--target", LINUX), ("linux", "x86_64")
    ),
    "windows": Selection(
        ("--target", WINDOWS, "--exclude-dev"), ("--target", WINDOWS), ("windows", "x86_64")
    ),
}


def _advisory_doc(setup: PeerSetup, advisory_id: str, crate: str) -> dict[str, object]:
    return front_matter((setup.db.path / "crates" / crate / f"{advisory_id}.md").read_text())


def _excluded_by_target(setup: PeerSetup, finding: Finding, target: tuple[str, str]) -> bool:
    """Whether the advisory file of *finding* limits it to other OSes or CPUs than *target*."""
    _, advisory_id, crate, _ = finding
    affected = _advisory_doc(setup, advisory_id, crate).get("affected", {})
    assert isinstance(affected, dict)
    os_list, arch_list = affected.get("os", []), affected.get("arch", [])
    return bool(os_list and target[0] not in os_list) or bool(
        arch_list and target[1] not in arch_list
    )


@pytest.fixture(scope="module")
def whole(peer_setup: PeerSetup) -> dict[str, Findings]:
    """cratewatch's findings over each whole lockfile (every kind failing the run)."""
    return {
        label: cratewatch_findings(peer_setup, project.root, DENY_ALL, home=project.cargo.home)
        for label, project in peer_setup.projects.items()
    }


@pytest.mark.parametrize("label", PROJECTS)
def test_project_keeps_the_real_lockfile(peer_setup: PeerSetup, label: str) -> None:
    project = peer_setup.projects[label]
    original = project.input.lockfile.read_bytes()
    kept = (project.root / "Cargo.lock").read_bytes()
    assert kept == (as_v3(original) if project.lock_version_rewritten else original)
    declared = {f"{crate.name} {crate.version}": crate.checksum for crate in project.cargo.crates}
    locked = {f"{p.name} {p.version}": p.checksum for p in project.lockfile.packages if p.source}
    assert declared == locked
    assert len(locked) == len(project.lockfile.packages) - sum(
        1 for p in project.lockfile.packages if p.source is None
    )


@pytest.mark.parametrize("selection", SELECTIONS.values(), ids=SELECTIONS.keys())
@pytest.mark.parametrize("label", PROJECTS)
def test_same_findings_as_cargo_deny(
    peer_setup: PeerSetup, whole: dict[str, Findings], label: str, selection: Selection
) -> None:
    project = peer_setup.projects[label]
    theirs = deny_findings(peer_setup, label, selection.deny_flags)
    ours = whole[label]
    if selection.cratewatch_flags:
        flags = (*DENY_ALL, *selection.cratewatch_flags)
        ours = cratewatch_findings(peer_setup, project.root, flags, home=project.cargo.home)
    assert theirs.reported, "the real graphs have findings: an empty set means a broken setup"
    target = selection.target
    only_theirs = frozenset(
        f
        for f in theirs.reported
        if target is not None and _excluded_by_target(peer_setup, f, target)
    )
    assert ours.reported - theirs.reported == frozenset()
    assert theirs.reported - ours.reported == only_theirs
    for kind in ("vulnerability", "unsound", "unmaintained", "notice"):
        assert {f for f in ours.reported if f[0] == kind} == {
            f for f in theirs.reported - only_theirs if f[0] == kind
        }
    assert ours.exit_code == theirs.exit_code == (1 if ours.reported else 0)
    # what a selection leaves out is kept as not-built, never dropped (unless another target)
    assert ours.reported | ours.not_reported <= whole[label].reported


def test_advisory_kinds_project_meets_every_kind(
    peer_setup: PeerSetup, whole: dict[str, Findings]
) -> None:
    found = whole["advisory-kinds"].reported
    assert {kind for kind, *_ in found} == {"vulnerability", "unsound", "unmaintained", "notice"}
    project = peer_setup.projects["advisory-kinds"]
    locked = {p.name for p in project.lockfile.packages}
    withdrawn = set()
    for advisory_file in peer_setup.db.path.glob("crates/*/*.md"):
        advisory = front_matter(advisory_file.read_text())["advisory"]
        assert isinstance(advisory, dict)
        if advisory.get("withdrawn") and advisory["package"] in locked:
            withdrawn.add(advisory["id"])
    assert len(withdrawn) >= 5
    assert not withdrawn & {advisory_id for _, advisory_id, *_ in found}


def test_prerelease_versions_follow_rustsec(whole: dict[str, Findings]) -> None:
    """rustsec (cargo-audit, cargo-deny) decides by SemVer precedence against the ranges."""
    found = whole["advisory-kinds"].reported
    # below the fix: affected under both rules
    assert ("vulnerability", "RUSTSEC-2020-0137", "lever", "0.1.1-alpha.8") in found
    # patched = [">= 0.6.2"]: 0.7.0-alpha1 comes after the fix
    assert ("vulnerability", "RUSTSEC-2018-0001", "untrusted", "0.7.0-alpha1") not in found
    # unaffected = ["> 0.3.2"]: the 0.4 rewrite is not the unmaintained crate
    assert ("unmaintained", "RUSTSEC-2020-0010", "tiberius", "0.4.0-alpha.7") not in found


def test_original_v4_lockfile_gives_the_same_findings(peer_setup: PeerSetup) -> None:
    project = peer_setup.projects["demo"]
    assert project.lock_version_rewritten
    copy = cratewatch_findings(peer_setup, project.root / "Cargo.lock")
    original = cratewatch_findings(peer_setup, project.input.lockfile)
    assert original == copy


def test_filtered_database_removed_only_cvss4_advisories(peer_setup: PeerSetup) -> None:
    db = peer_setup.db
    assert db.removed
    for advisory_file in sorted(db.path.glob("*/*/*.md")):
        advisory = front_matter(advisory_file.read_text())["advisory"]
        assert isinstance(advisory, dict)
        assert not str(advisory.get("cvss", "")).startswith("CVSS:4"), advisory_file
        assert advisory["id"] not in db.removed
