"""``cargo-deny check advisories`` (0.14.2) and ``cratewatch audit`` on the same real projects.

:func:`build_setup` makes everything both tools need, once: the filtered advisory database
(:mod:`tests.audit_peer.advisory_db`), the projects around the real lockfiles
(:mod:`tests.audit_peer.real_project`) with the database pre-cloned where cargo-deny looks for
it offline. :func:`deny_findings` and :func:`cratewatch_findings` run one tool each and return
the findings as ``(kind, advisory id, crate, version)``. The benchmark uses the same setup.

cargo-deny runs with Debian's cargo 1.65 (``CARGO``), ``--offline`` and a deny.toml that
reports every advisory kind as an error and allows yanked crates (there is no index offline).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cratewatch.cli.main import main
from cratewatch.registry.index import open_index
from tests.audit_peer.advisory_db import FilteredDb, filtered_advisory_db
from tests.audit_peer.real_project import LockedInput, RealProject, build_real_project
from tests.policy.differential import advisory_dir, run_cargo_deny

__all__ = [
    "DB_URL",
    "Finding",
    "Findings",
    "PeerSetup",
    "Tools",
    "build_setup",
    "cratewatch_findings",
    "deny_config",
    "deny_findings",
    "project_inputs",
]

DB_URL = "https://advisories.invalid/advisory-db"
"""The database URL cargo-deny is configured with (never fetched: ``--offline``)."""

Finding = tuple[str, str, str, str]
"""``(kind, advisory id, crate name, crate version)``."""

_DENY_TOML = """\
[advisories]
db-urls = ["{url}"]
db-path = "{path}"
vulnerability = "deny"
unmaintained = "deny"
unsound = "deny"
notice = "deny"
yanked = "allow"
"""


@dataclass(frozen=True, slots=True, kw_only=True)
class Tools:
    """The programs the comparison runs."""

    cargo: Path
    """The cargo on PATH (checks the original lockfiles, cratewatch's ``cargo metadata``)."""
    old_cargo: Path
    """Debian's cargo 1.65, for cargo-deny 0.14.2."""
    cargo_deny: Path
    """cargo-deny 0.14.2."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PeerSetup:
    """The database and projects both tools run on."""

    db: FilteredDb
    """The advisory database both tools read."""
    projects: dict[str, RealProject]
    """Label -> project (``demo``, ``ripgrep-11.0.2``, ``advisory-kinds``)."""
    cache: Path
    """cratewatch's cache directory (compiled advisory cache)."""
    tools: Tools
    """The programs."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Findings:
    """One tool's findings on one project."""

    reported: frozenset[Finding]
    """Findings that count (cratewatch: status ``reported``; cargo-deny: every diagnostic)."""
    not_reported: frozenset[Finding] = frozenset()
    """cratewatch findings kept with another status (``not-built``...)."""
    exit_code: int
    """The process exit status."""


def project_inputs(repo_root: Path, shared_data: Path, *, kinds: bool = True) -> list[LockedInput]:
    """The real projects: the demo project, ripgrep 11.0.2 (lockfile v1, 2019) and, with
    *kinds*, ``advisory-kinds`` (tests/assets: dependencies chosen for withdrawn, notice,
    CPU/OS-specific and pre-release advisories, locked by cargo against the 2020 index)."""
    demo = repo_root / "examples" / "demo-project"
    ripgrep = shared_data / "lockfiles" / "BurntSushi__ripgrep@11.0.2"
    advisory_kinds = repo_root / "tests" / "assets" / "audit_peer" / "advisory-kinds"
    extra = [
        LockedInput(
            name="advisory-kinds",
            manifest=advisory_kinds / "Cargo.toml",
            lockfile=advisory_kinds / "Cargo.lock",
            sources=advisory_kinds,
        )
    ]
    return [
        LockedInput(
            name="demo",
            manifest=demo / "Cargo.toml",
            lockfile=demo / "Cargo.lock",
            sources=demo,
        ),
        LockedInput(
            name="ripgrep-11.0.2",
            manifest=ripgrep / "Cargo.toml",
            lockfile=ripgrep / "Cargo.lock",
        ),
        *(extra if kinds else []),
    ]


def deny_config(project: RealProject) -> str:
    """The deny.toml of *project*: every advisory kind denied, yanked allowed."""
    return _DENY_TOML.format(url=DB_URL, path=project.root / "adb")


def build_setup(
    base: Path,
    inputs: Sequence[LockedInput],
    shared_data: Path,
    tools: Tools,
    *,
    index_cache: Path | None = None,
) -> PeerSetup:
    """Make the database and every project under *base* (a fresh directory).

    The 2020 index bundle is cloned under *index_cache* (default: *base*); a clone already
    there for the same bundle is reused."""
    db = filtered_advisory_db(shared_data / "advisory-db.bundle", base / "advisory-db")
    projects = {}
    with open_index(
        str(shared_data / "crates-io-index-2020.bundle"),
        cache_dir=index_cache or base / "index-cache",
    ) as index:
        for data in inputs:
            project = build_real_project(
                base / data.name, data, index, cargo=tools.cargo, old_cargo=tools.old_cargo
            )
            kept = (project.root / "Cargo.lock").read_bytes()
            advisory_dir(
                project.cargo,
                DB_URL,
                db.path,
                cargo_deny=tools.cargo_deny,
                old_cargo=tools.old_cargo,
            )
            # that run had no --locked: cargo 1.65 rewrote a v1 lockfile as v3
            (project.root / "Cargo.lock").write_bytes(kept)
            (project.root / "deny.toml").write_text(deny_config(project))
            projects[data.name] = project
    return PeerSetup(db=db, projects=projects, cache=base / "cratewatch-cache", tools=tools)


def deny_findings(setup: PeerSetup, label: str, flags: Sequence[str] = ()) -> Findings:
    """``cargo-deny --locked [FLAGS] check advisories`` on project *label*.

    Raises ``AssertionError`` on a diagnostic that is not about an advisory (the config
    should produce none)."""
    project = setup.projects[label]
    lock = project.root / "Cargo.lock"
    before = lock.read_bytes()
    code, diagnostics = run_cargo_deny(
        project.cargo,
        "advisories",
        deny_config(project),
        cargo_deny=setup.tools.cargo_deny,
        old_cargo=setup.tools.old_cargo,
        extra=("--locked", *flags),
    )
    if lock.read_bytes() != before:
        raise AssertionError(f"cargo-deny changed {lock}")
    found = set()
    for diagnostic in diagnostics:
        advisory = diagnostic.get("advisory")
        if not isinstance(advisory, dict):
            raise AssertionError(f"unexpected cargo-deny diagnostic: {diagnostic}")
        for graph in diagnostic["graphs"]:
            krate = graph["Krate"]
            found.add((str(diagnostic["code"]), advisory["id"], krate["name"], krate["version"]))
    return Findings(reported=frozenset(found), exit_code=code)


def cratewatch_findings(
    setup: PeerSetup, target: Path, flags: Sequence[str] = (), *, home: Path | None = None
) -> Findings:
    """``cratewatch audit TARGET --format json --no-yanked --no-fetch [FLAGS]`` in-process,
    with the filtered database; *home* is the CARGO_HOME for ``cargo metadata``."""
    doc = run_audit(
        [
            str(target),
            "--db",
            str(setup.db.path),
            "--cache-dir",
            str(setup.cache),
            "--no-fetch",
            "--no-yanked",
            "--stale",
            "ignore",
            "--format",
            "json",
            *flags,
        ],
        home=home,
    )
    reported: set[Finding] = set()
    other: set[Finding] = set()
    for finding in doc["findings"]:
        key = (
            finding["kind"],
            finding["id"],
            finding["package"]["name"],
            finding["package"]["version"],
        )
        (reported if finding["status"] == "reported" else other).add(key)
    return Findings(
        reported=frozenset(reported), not_reported=frozenset(other), exit_code=doc["exit_code"]
    )


def run_audit(args: Sequence[str], *, home: Path | None = None) -> dict[str, Any]:
    """The JSON report of ``cratewatch audit ARGS`` run in-process, plus its ``exit_code``."""
    out = io.StringIO()
    code: int | str | None = 0
    with _cargo_home(home), contextlib.redirect_stdout(out):
        try:
            main(["audit", *args])
        except SystemExit as e:
            code = e.code
    if not isinstance(code, int) or code not in (0, 1):
        raise AssertionError(f"cratewatch audit exited with {code}: {out.getvalue()[:2000]}")
    doc: dict[str, Any] = json.loads(out.getvalue())
    doc["exit_code"] = code
    return doc


@contextlib.contextmanager
def _cargo_home(home: Path | None) -> Iterator[None]:
    keys = ("CARGO_HOME", "CARGO_NET_OFFLINE", "CARGO")
    saved = {key: os.environ.get(key) for key in keys}
    if home is not None:
        os.environ.pop("CARGO", None)
        os.environ["CARGO_HOME"] = str(home)
        os.environ["CARGO_NET_OFFLINE"] = "true"
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
