"""cratewatch check vs cargo-deny 0.14.2: same project, same config, same verdicts.

Each case runs both tools on the :mod:`tests.policy.scenario` project and compares every
diagnostic as ``(crates, code, severity)``, errors and notes alike, and the exit status. The
configs use 0.14.2's schema (which cratewatch reads with deprecation warnings); where the tools
differ on purpose, the difference is listed with the reason:

- cratewatch warns about the 0.14-era keys (``deprecated``) and reports a crate's unparsable
  license as ``parse-error`` besides ``unlicensed``, and an ignored advisory as
  ``advisory-ignored`` besides the advisory, as current cargo-deny does;
- current cargo-deny stops checking a crate's files once its build script is not allowed
  (0.14.2 also scans them);
- with ``allow-wildcard-paths``, current cargo-deny exempts any git or path dependency of a
  private crate (0.14.2 only path ones, and calls the crate public in its message);
- SPDX: 0.14.2 (spdx 0.10) reads a bare ``GPL-3.0`` in ``allow`` as covering
  ``GPL-3.0-or-later``; cratewatch reads it as the deprecated id it is, ``GPL-3.0-only``, and
  keeps ``-only`` and ``-or-later`` apart as current SPDX tooling does.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from cratewatch.policy.licensetext import clarify_hash
from tests.policy.cargo_project import CargoProject
from tests.policy.differential import (
    Verdict,
    advisory_dir,
    deny_verdicts,
    our_verdicts,
    run_cargo_deny,
    run_cratewatch,
)
from tests.policy.scenario import CLARIFIED_TEXT, advisory_db, build

DB_URL = "https://advisories.invalid/advisory-db"


@dataclass(frozen=True)
class Case:
    check: str
    config: str
    only_cargo_deny: frozenset[Verdict] = frozenset()
    only_cratewatch: frozenset[Verdict] = frozenset()


@dataclass(frozen=True)
class Setup:
    project: CargoProject
    db: Path
    cargo_deny: Path
    old_cargo: Path


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory, old_cargo: Path, cargo_deny: Path) -> Setup:
    root = tmp_path_factory.mktemp("differential")
    project = build(root / "project", old_cargo)
    db = advisory_db(root)
    advisory_dir(project, DB_URL, db, cargo_deny=cargo_deny, old_cargo=old_cargo)
    return Setup(project=project, db=db, cargo_deny=cargo_deny, old_cargo=old_cargo)


DEPRECATED = ("", "deprecated", "warning")

CASES = {
    "sources": Case(
        "sources",
        """
[sources]
unknown-registry = "deny"
unknown-git = "deny"
allow-git = ["https://gitlab.com/team/tagged"]
required-git-spec = "tag"

[sources.allow-org]
github = ["someorg", "unusedorg"]
""",
    ),
    "sources-warn": Case(
        "sources",
        """
[sources]
unknown-registry = "warn"
unknown-git = "allow"
allow-registry = ["https://github.com/rust-lang/crates.io-index", "https://unused.example/index"]
private = ["https://gitlab.com/team"]
""",
    ),
    "bans": Case(
        "bans",
        """
[bans]
multiple-versions = "deny"
wildcards = "deny"
allow-wildcard-paths = true
deny = [{ name = "banned", wrappers = ["wrap"] }, { name = "nothere" }]
skip = [{ name = "ghost" }]
skip-tree = [{ name = "phantom", depth = 2 }]

[[bans.features]]
name = "feat"
deny = ["b"]
allow = ["a", "c"]

[bans.build]
allow-build-scripts = [{ name = "other" }]
executables = "deny"
interpreted = "warn"
script-extensions = ["py"]
""",
        only_cargo_deny=frozenset(
            {
                # git dependencies without a version in a private crate (see the docstring)
                ("app@0.1.0", "wildcard", "error"),
                # files of a crate whose build script is not allowed (see the docstring)
                ("sysish@1.0.0", "denied-by-extension", "error"),
                ("sysish@1.0.0", "detected-executable", "error"),
                ("sysish@1.0.0", "detected-executable-script", "warning"),
            }
        ),
    ),
    "bans-allow-list": Case(
        "bans",
        """
[bans]
multiple-versions = "warn"
multiple-versions-include-dev = true
wildcards = "warn"
highlight = "lowest-version"
allow = [{ name = "app" }, { name = "leaf", version = "<2" }, { name = "mid" }, { name = "star" }]
skip = [{ name = "star", version = "=0.9.0" }]
skip-tree = [{ name = "mid", depth = 1 }]
external-default-features = "warn"
workspace-default-features = "deny"

[[bans.features]]
name = "feat"
allow = ["a", "b", "default"]
exact = true

[bans.build]
executables = "warn"
interpreted = "deny"
include-dependencies = true
enable-builtin-globs = true

[[bans.build.bypass]]
name = "sysish"
allow-globs = ["scripts/*"]
allow = [{ path = "bin/tool", checksum = "ZEROS" }, { path = "missing" }]
""".replace("ZEROS", "0" * 64),
    ),
    "bans-duplicates": Case(
        "bans",
        """
[bans]
multiple-versions = "allow"
deny = [{ name = "leaf", deny-multiple-versions = true }]
skip-tree = [{ name = "mid", depth = 3 }]

[[bans.features]]
name = "feat"
allow = ["a"]
exact = true
""",
    ),
    "licenses": Case(
        "licenses",
        f"""
[licenses]
allow = ["MIT", "Apache-2.0", "ISC", "OpenSSL"]
copyleft = "deny"
unlicensed = "deny"
default = "deny"
exceptions = [{{ name = "bsd", allow = ["BSD-3-Clause"] }}, {{ name = "gone", allow = ["Zlib"] }}]
confidence-threshold = 0.8

[[licenses.clarify]]
name = "clarified"
expression = "MIT AND ISC AND OpenSSL"
license-files = [{{ path = "LICENSE", hash = 0x{clarify_hash(CLARIFIED_TEXT):08x} }}]

[licenses.private]
ignore = true
""",
        only_cratewatch=frozenset({DEPRECATED, ("broken@1.0.0", "parse-error", "warning")}),
    ),
    "licenses-blanket": Case(
        "licenses",
        """
[licenses]
allow = ["MIT", "GPL-3.0", "Zlib"]
allow-osi-fsf-free = "either"
default = "warn"
deny = ["LicenseRef-Proprietary"]
include-dev = true
unused-allowed-license = "deny"
unlicensed = "warn"
confidence-threshold = 0.95
""",
        only_cratewatch=frozenset({DEPRECATED, ("broken@1.0.0", "parse-error", "warning")}),
    ),
    "licenses-gnu": Case(
        "licenses",
        """
[licenses]
allow = ["MIT", "GPL-3.0", "Apache-2.0", "BSD-3-Clause", "LicenseRef-Proprietary", "ISC"]
exceptions = [{ name = "llvm", allow = ["Apache-2.0 WITH LLVM-exception"] }]
""",
        only_cargo_deny=frozenset({("gpllater@1.0.0", "accepted", "help")}),
        only_cratewatch=frozenset(
            {
                DEPRECATED,
                ("broken@1.0.0", "parse-error", "warning"),
                ("gpllater@1.0.0", "rejected", "error"),
            }
        ),
    ),
    "advisories": Case(
        "advisories",
        """
[advisories]
db-urls = ["{db_url}"]
db-path = "{adb}"
vulnerability = "deny"
unmaintained = "deny"
unsound = "deny"
notice = "deny"
yanked = "allow"
ignore = ["RUSTSEC-2024-0006", "RUSTSEC-2099-0001"]
""",
        only_cratewatch=frozenset({DEPRECATED, ("dual@1.0.0", "advisory-ignored", "note")}),
    ),
    "advisories-levels": Case(
        "advisories",
        """
[advisories]
db-urls = ["{db_url}"]
db-path = "{adb}"
vulnerability = "warn"
unmaintained = "allow"
unsound = "warn"
notice = "allow"
yanked = "allow"
severity-threshold = "high"
""",
        only_cratewatch=frozenset({DEPRECATED}),
    ),
}


@pytest.mark.parametrize("graph", ["cargo-metadata", "lockfile"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_same_verdicts_as_cargo_deny(setup: Setup, name: str, graph: str) -> None:
    """With the graph from cargo metadata, and from Cargo.lock + the vendored manifests."""
    case = CASES[name]
    config = case.config.replace("{db_url}", DB_URL).replace(
        "{adb}", str(setup.project.root / "adb")
    )
    extra = ["--db", str(setup.db), "--no-fetch"] if case.check == "advisories" else []
    if graph == "lockfile":
        extra.append("--no-cargo")
        for vendor in sorted(setup.project.root.glob("vendor*")):
            extra += ["--vendor", str(vendor)]
    theirs_code, theirs = run_cargo_deny(
        setup.project, case.check, config, cargo_deny=setup.cargo_deny, old_cargo=setup.old_cargo
    )
    ours_code, ours = run_cratewatch(setup.project, case.check, config, extra=extra)
    their_verdicts, our = deny_verdicts(theirs), our_verdicts(ours)
    assert their_verdicts - our == case.only_cargo_deny
    assert our - their_verdicts == case.only_cratewatch
    assert ours_code == theirs_code
    assert any(severity == "error" for _, _, severity in our) == (ours_code != 0)
