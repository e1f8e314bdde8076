"""The commented deny.toml ``cratewatch check init`` writes (current schema, default values)."""

from __future__ import annotations

__all__ = ["TEMPLATE"]

TEMPLATE = """\
# cratewatch check / cargo-deny configuration.
#
# Every value below is the default; delete what you do not change. Lint levels are
#   deny  - an error: the check fails
#   warn  - a warning: shown, the check still passes
#   allow - nothing, or a note
# Crate specs are "name", "name@1.2.3" (that version) or "name:<2" (a requirement), or
# tables { crate = "name@1.2.3", reason = "why" }.

# How the crate graph is built: which crates the checks run on.
[graph]
# Only consider dependencies used by these targets (triples, or { triple, features }).
# Empty: every target. A triple rustc does not know only matches [target.<triple>] tables.
targets = [
    #"x86_64-unknown-linux-gnu",
    #{ triple = "wasm32-unknown-unknown", features = ["atomics"] },
]
# Crates (and what only they pull in) to leave out of the graph.
exclude = []
# Feature selection for the workspace members, as cargo's flags.
all-features = false
no-default-features = false
features = []
# Leave out every dev-dependency (only workspace members have dev-dependencies).
exclude-dev = false
# Leave out workspace members with `publish = false`.
exclude-unpublished = false

[output]
# Depth of feature edges in inclusion graphs.
feature-depth = 1

# `cratewatch check advisories`: the RustSec advisory database.
[advisories]
# Where databases are cloned, and which ones (git URLs).
#db-path = "$CARGO_HOME/advisory-dbs"
#db-urls = ["https://github.com/rustsec/advisory-db"]
# Vulnerabilities and notices always fail the check. Unmaintained and unsound advisories
# apply to: "all" crates, "workspace" (direct dependencies of workspace members),
# "transitive" (the others) or "none".
unmaintained = "all"
unsound = "all"
# Crate versions yanked from their registry.
yanked = "warn"
# Advisories (ids) and yanked crate versions (specs) you accept, ideally with a reason.
ignore = [
    #"RUSTSEC-0000-0000",
    #{ id = "RUSTSEC-0000-0000", reason = "not reachable from our code" },
    #{ crate = "a-yanked-crate@0.1.1", reason = "waiting for upstream" },
]
# The level of an `ignore` entry that matched nothing.
unused-ignored-advisory = "warn"
# The database may be this old when fetching is off (RFC 3339 duration).
maximum-db-staleness = "P90D"

# `cratewatch check licenses`.
[licenses]
# Licenses (SPDX ids, optionally `WITH` an exception) every crate may use. Anything else
# is rejected.
allow = [
    #"MIT",
    #"Apache-2.0",
    #"Apache-2.0 WITH LLVM-exception",
]
# Licenses allowed for some crates only.
exceptions = [
    #{ allow = ["Zlib"], crate = "adler32" },
]
# Minimum confidence (0.0 to 1.0) when a license is detected from LICENSE/COPYING text.
confidence-threshold = 0.8
# Also check crates used only as dev-dependencies / only as build-dependencies.
include-dev = false
include-build = true
# The level of an `allow` entry no crate needed, and of an unused exception.
unused-allowed-license = "warn"
unused-license-exception = "warn"

# State the license of a crate whose metadata is missing or wrong. It applies only while
# the listed files hash to the given values (run `cratewatch check list` to see them).
#[[licenses.clarify]]
#crate = "ring"
#expression = "MIT AND ISC AND OpenSSL"
#license-files = [{ path = "LICENSE", hash = 0xbd0eed23 }]

[licenses.private]
# Skip workspace crates that are not published (publish = false), or only published
# to these private registries.
ignore = false
registries = []

# `cratewatch check bans`.
[bans]
# Several versions of the same crate.
multiple-versions = "warn"
# Count crates used only as dev-dependencies when looking for several versions.
multiple-versions-include-dev = false
# Dependencies declared with a `*` version requirement.
wildcards = "allow"
# `*` is fine for path dependencies of private crates and for dev-dependencies.
allow-wildcard-paths = false
highlight = "all"
# Crates that must not be in the graph (`wrappers`: the only crates allowed to depend on
# them; `deny-multiple-versions`: only several versions are banned).
deny = [
    #{ crate = "openssl", use-instead = "rustls", reason = "one TLS stack" },
]
# When not empty, only these crates may be in the graph.
allow = []
# Versions exempt from the multiple-versions check, and whole subtrees (with a depth).
skip = []
skip-tree = []

# Feature rules for a crate: features it may (allow) or must not (deny) have enabled;
# exact = true: exactly the allowed ones.
#[[bans.features]]
#crate = "reqwest"
#deny = ["default-tls"]

# Code that runs at build time: build scripts and proc-macros.
#[bans.build]
# Only these crates may have a build script.
#allow-build-scripts = []
# Native executables and interpreted scripts shipped in the sources of such crates.
#executables = "deny"
#interpreted = "allow"
#script-extensions = []
#include-dependencies = false
#include-workspace = false
#include-archives = false
#bypass = [
#    { crate = "some-sys", allow = [{ path = "bin/tool", checksum = "<sha-256>" }] },
#]

# `cratewatch check sources`.
[sources]
# Crates from a registry / git repository not listed below.
unknown-registry = "warn"
unknown-git = "warn"
# Registries (index URLs; both spellings of crates.io are the same registry).
allow-registry = ["https://github.com/rust-lang/crates.io-index"]
# Git repositories allowed.
allow-git = []
# Git hosts and URL prefixes treated as private sources.
private = []
# Require git dependencies to be pinned at least this much: any, branch, tag or rev.
#required-git-spec = "rev"
# The level of an allowed source or organization no crate used.
unused-allowed-source = "warn"

[sources.allow-org]
# Every repository of these organizations is allowed.
github = []
gitlab = []
bitbucket = []
"""
