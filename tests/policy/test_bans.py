"""check bans on hand-built graphs: bans, wrappers, allow lists, duplicates, wildcards, features,
and [bans.build] over real files."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

import pytest

from cratewatch.policy.bans import check_bans
from cratewatch.policy.bans_build import executable_kind
from cratewatch.policy.config import parse_config
from cratewatch.policy.graph import CrateGraph, DeclaredDependency, DepKind
from tests.policy.graphs import graph, krate

DEV = DepKind.DEV


def run(g: CrateGraph, config: str) -> list[tuple[str, str, str]]:
    return [
        (d.code, d.severity.value, d.message)
        for d in check_bans(g, parse_config(config, path="deny.toml"))
    ]


def codes(g: CrateGraph, config: str) -> list[tuple[str, str]]:
    return [(code, severity) for code, severity, _ in run(g, config)]


def wrapped() -> CrateGraph:
    return graph(
        [
            krate("app 0.1.0", None, member=True),
            krate("wrap 1.0.0"),
            krate("mid 1.0.0"),
            krate("openssl 0.10.0"),
        ],
        [
            ("app 0.1.0", "wrap 1.0.0"),
            ("app 0.1.0", "mid 1.0.0"),
            ("wrap 1.0.0", "openssl 0.10.0"),
            ("mid 1.0.0", "openssl 0.10.0"),
        ],
    )


def test_banned_crate_with_reason_and_replacement() -> None:
    config = (
        '[bans]\ndeny = [{ crate = "openssl", reason = "one TLS stack", use-instead = "rustls" }]\n'
    )
    (diag,) = check_bans(wrapped(), parse_config(config, path="deny.toml"))
    assert diag.code == "banned"
    assert diag.message == "crate 'openssl = 0.10.0' is explicitly banned"
    assert diag.notes == ("reason: one TLS stack", "use instead: rustls")
    assert [(label.line, label.text, label.message) for label in diag.labels] == [
        (2, '"openssl"', "banned here"),
        (2, '"one TLS stack"', "reason"),
        (2, '"rustls"', "use instead"),
    ]


def test_wrappers_allow_a_banned_crate_only_when_every_parent_is_one() -> None:
    assert run(wrapped(), '[bans]\ndeny = [{ crate = "openssl", wrappers = ["wrap"] }]\n') == [
        (
            "unmatched-wrapper",
            "warning",
            "direct parent 'mid = 1.0.0' of banned crate 'openssl = 0.10.0' was not marked as "
            "a wrapper",
        ),
        (
            "allowed-by-wrapper",
            "note",
            "banned crate 'openssl = 0.10.0' allowed by wrapper 'wrap = 1.0.0'",
        ),
        ("banned", "error", "crate 'openssl = 0.10.0' is explicitly banned"),
    ]
    assert codes(
        wrapped(), '[bans]\ndeny = [{ crate = "openssl", wrappers = ["wrap", "mid", "gone"] }]\n'
    ) == [
        ("allowed-by-wrapper", "note"),
        ("allowed-by-wrapper", "note"),
        ("unused-wrapper", "warning"),
    ]


def test_version_requirements_select_crates() -> None:
    assert codes(wrapped(), '[bans]\ndeny = ["openssl@0.10.1", "mid:<1"]\n') == []
    assert codes(wrapped(), '[bans]\ndeny = ["openssl:>=0.10, <0.11"]\n') == [("banned", "error")]


def test_allow_list_mode() -> None:
    found = run(wrapped(), '[bans]\nallow = ["app", "wrap", { crate = "mid", reason = "ok" }]\n')
    assert found == [
        ("allowed", "note", "crate 'app = 0.1.0' is explicitly allowed"),
        ("allowed", "note", "crate 'mid = 1.0.0' is explicitly allowed"),
        ("not-allowed", "error", "crate 'openssl = 0.10.0' is not explicitly allowed"),
        ("allowed", "note", "crate 'wrap = 1.0.0' is explicitly allowed"),
    ]


def duplicated() -> CrateGraph:
    return graph(
        [
            krate("app 0.1.0", None, member=True),
            krate("mid 1.0.0"),
            krate("leaf 1.0.0"),
            krate("leaf 2.0.0"),
            krate("tester 1.0.0"),
            krate("rand 0.7.0"),
            krate("rand 0.8.0"),
        ],
        [
            ("app 0.1.0", "mid 1.0.0"),
            ("app 0.1.0", "leaf 2.0.0"),
            ("mid 1.0.0", "leaf 1.0.0"),
            ("app 0.1.0", "rand 0.8.0"),
            ("app 0.1.0", "tester 1.0.0", DEV),
            ("tester 1.0.0", "rand 0.7.0"),
        ],
    )


def test_duplicates_ignore_dev_only_crates_unless_asked() -> None:
    assert run(duplicated(), "") == [
        ("duplicate", "warning", "found 2 duplicate entries for crate 'leaf'")
    ]
    assert codes(duplicated(), "[bans]\nmultiple-versions-include-dev = true\n") == [
        ("duplicate", "warning"),
        ("duplicate", "warning"),
    ]
    assert codes(duplicated(), '[bans]\nmultiple-versions = "allow"\n') == []
    assert codes(
        duplicated(),
        '[bans]\nmultiple-versions = "allow"\n'
        'deny = [{ crate = "leaf", deny-multiple-versions = true }]\n',
    ) == [("duplicate", "error")]


def test_skip_and_skip_tree() -> None:
    config = (
        '[bans]\nmultiple-versions = "deny"\n'
        'skip = ["leaf@1.0.0", "ghost"]\n'
        'skip-tree = [{ crate = "nothing" }]\n'
    )
    assert run(duplicated(), config) == [
        ("unmatched-skip-root", "warning", "skip tree root was not found in the dependency graph"),
        ("skipped", "note", "crate 'leaf = 1.0.0' skipped when checking for duplicates"),
        ("unmatched-skip", "warning", "skipped crate 'ghost' was not encountered"),
    ]
    tree = '[bans]\nmultiple-versions = "deny"\nskip-tree = [{ crate = "mid", depth = 2 }]\n'
    assert run(duplicated(), tree) == [
        ("skipped-by-root", "note", "skipping crate 'leaf = 1.0.0' due to root skip"),
        ("skipped-by-root", "note", "skipping crate 'mid = 1.0.0' due to root skip"),
    ]
    shallow = tree.replace("depth = 2", "depth = 1")
    assert codes(duplicated(), shallow) == [("skipped-by-root", "note"), ("duplicate", "error")]


def wildcard_graph(tmp_path: Path, *, private: bool) -> CrateGraph:
    root = tmp_path / "app"
    root.mkdir()
    (root / "Cargo.toml").write_text(
        '[package]\nname = "app"\nversion = "0.1.0"\n\n[dependencies]\nstar = "*"\n'
        'local = { path = "local" }\n\n[dev-dependencies]\nhelper = { path = "helper" }\n'
    )
    deps = (
        DeclaredDependency(name="star", package="star", req="*", kind=DepKind.NORMAL),
        DeclaredDependency(
            name="local", package="local", req="*", kind=DepKind.NORMAL, path="local"
        ),
        DeclaredDependency(name="helper", package="helper", req="*", kind=DEV, path="helper"),
        DeclaredDependency(name="fine", package="fine", req="^1", kind=DepKind.NORMAL),
    )
    return graph(
        [
            krate(
                "app 0.1.0",
                None,
                member=True,
                root=root,
                dependencies=deps,
                publish=False if private else None,
            ),
            krate("g 1.0.0", "git+https://h/g#1", dependencies=deps[:1]),
        ],
        [("app 0.1.0", "g 1.0.0")],
    )


def test_wildcards_and_allow_wildcard_paths(tmp_path: Path) -> None:
    public = wildcard_graph(tmp_path, private=False)
    (diag,) = check_bans(public, parse_config('[bans]\nwildcards = "deny"\n'))
    assert diag.message == "found 3 wildcard dependencies for crate 'app'"
    assert [(label.line, label.text) for label in diag.labels] == [
        (6, '"*"'),
        (7, '{ path = "local" }'),
        (10, '{ path = "helper" }'),
    ]
    assert run(public, '[bans]\nwildcards = "warn"\nallow-wildcard-paths = true\n') == [
        (
            "wildcard",
            "warning",
            "found 2 wildcard dependencies for crate 'app'. allow-wildcard-paths is enabled, but "
            "does not apply to public crates as crates.io disallows path dependencies.",
        )
    ]
    private = tmp_path / "private"
    private.mkdir()
    assert codes(
        wildcard_graph(private, private=True),
        '[bans]\nwildcards = "deny"\nallow-wildcard-paths = true\n',
    ) == [("wildcard", "error")]


def featured() -> CrateGraph:
    return graph(
        [
            krate(
                "app 0.1.0",
                None,
                member=True,
                enabled_features=frozenset({"default"}),
                features={"default": ()},
            ),
            krate(
                "reqwest 0.11.0",
                features={
                    "default": ("tls",),
                    "tls": ("native",),
                    "native": (),
                    "json": (),
                    "blocking": (),
                },
                enabled_features=frozenset({"default", "tls", "native", "json"}),
            ),
        ],
        [("app 0.1.0", "reqwest 0.11.0")],
    )


def test_feature_rules() -> None:
    assert run(
        featured(), '[[bans.features]]\ncrate = "reqwest"\ndeny = ["json", "blocking"]\n'
    ) == [
        (
            "feature-banned",
            "error",
            "feature 'json' for crate 'reqwest = 0.11.0' is explicitly denied",
        )
    ]
    # `default` enables tls which enables native: allowing `default` covers them, not `json`
    assert run(featured(), '[[bans.features]]\ncrate = "reqwest"\nallow = ["default"]\n') == [
        (
            "feature-not-explicitly-allowed",
            "error",
            "feature 'json' for crate 'reqwest = 0.11.0' was not explicitly allowed",
        )
    ]
    exact = (
        '[[bans.features]]\ncrate = "reqwest"\nexact = true\n'
        'allow = ["default", "tls", "native", "blocking"]\n'
    )
    (diag,) = check_bans(featured(), parse_config(exact))
    assert diag.code == "exact-features-mismatch"
    assert diag.notes == ("'json' feature was enabled but not explicitly allowed",)
    assert [label.text for label in diag.labels] == ["true", '"blocking"']
    assert run(featured(), '[[bans.features]]\ncrate = "reqwest"\ndeny = ["nope"]\n') == [
        ("unknown-feature", "warning", "found unknown feature 'nope' for crate 'reqwest = 0.11.0'")
    ]


def test_default_feature_lints() -> None:
    config = '[bans]\nexternal-default-features = "deny"\nworkspace-default-features = "warn"\n'
    assert run(featured(), config) == [
        ("default-feature-enabled", "warning", "'default' feature enabled for crate 'app = 0.1.0'"),
        (
            "default-feature-enabled",
            "error",
            "'default' feature enabled for crate 'reqwest = 0.11.0'",
        ),
    ]
    allowed = config + '[[bans.features]]\ncrate = "reqwest"\nallow = ["default", "json"]\n'
    assert codes(featured(), allowed) == [("default-feature-enabled", "warning")]


@pytest.mark.parametrize(
    ("header", "name", "kind"),
    [
        (b"\x7fELF\x02\x01\x01" + bytes(9), "bin/x", "elf"),
        (b"MZ" + bytes(14), "tool.exe", "pe"),
        (b"\xcf\xfa\xed\xfe" + bytes(12), "tool", "mach"),
        (b"!<arch>\n" + bytes(8), "lib.a", None),
        (b"#!/bin/sh\necho hi\n", "run", "interpreter:sh"),
        (b"#! /usr/bin/env python3\nprint()\n", "run", "interpreter:python3"),
        (b"#![allow(unused)]\nfn main() {}\n", "src/main.rs", None),
        (b"#!/bin/sh", "short", None),
        (b"plain text file, nothing else\n", "README", None),
    ],
)
def test_executable_detection(header: bytes, name: str, kind: str | None) -> None:
    assert executable_kind(header, name, include_archives=False) == kind


def build_crate(tmp_path: Path) -> tuple[CrateGraph, str]:
    root = tmp_path / "sys-1.0.0"
    (root / "bin").mkdir(parents=True)
    (root / "scripts").mkdir()
    (root / "Cargo.toml").write_text('[package]\nname = "sys"\nversion = "1.0.0"\n')
    (root / "build.rs").write_text("fn main() {}\n")
    (root / "bin" / "tool").write_bytes(b"\x7fELF\x02\x01\x01" + bytes(64))
    (root / "scripts" / "gen.py").write_text("print('generated')\n")
    (root / "configure").write_text("#!/bin/sh\necho configuring\n")
    g = graph(
        [
            krate("app 0.1.0", None, member=True),
            krate(
                "sys 1.0.0", root=root, build_script=root / "build.rs", features={"vendored": ()}
            ),
            krate("plain 1.0.0"),
        ],
        [("app 0.1.0", "sys 1.0.0"), ("app 0.1.0", "plain 1.0.0")],
    )
    return g, hashlib.sha256(b"fn main() {}\n").hexdigest()


def test_build_scripts_must_be_allowed(tmp_path: Path) -> None:
    g, _ = build_crate(tmp_path)
    assert run(g, '[bans.build]\nallow-build-scripts = ["cc"]\nexecutables = "allow"\n') == [
        (
            "build-script-not-allowed",
            "error",
            "crate 'sys = 1.0.0' has a build script but is not allowed to have one",
        )
    ]
    assert run(g, '[bans.build]\nallow-build-scripts = ["sys"]\nexecutables = "allow"\n') == []


def test_executables_scripts_and_extensions_in_build_time_crates(tmp_path: Path) -> None:
    g, _ = build_crate(tmp_path)
    found = check_bans(
        g,
        parse_config('[bans.build]\ninterpreted = "warn"\nscript-extensions = ["py"]\n'),
    )
    assert [(d.code, d.severity.value, d.notes) for d in found] == [
        ("detected-executable", "error", ("path = '$crate/bin/tool'", "executable-kind = 'elf'")),
        (
            "detected-executable-script",
            "warning",
            ("path = '$crate/configure'", "interpreter = 'sh'"),
        ),
        ("denied-by-extension", "error", ("path = '$crate/scripts/gen.py'",)),
    ]
    builtin = '[bans.build]\nenable-builtin-globs = true\nexecutables = "deny"\n'
    assert codes(g, builtin) == [
        ("detected-executable", "error"),
        ("detected-executable-script", "note"),
        ("denied-by-extension", "error"),
    ]


def test_bypass_paths_globs_checksums_and_build_script(tmp_path: Path) -> None:
    g, script_sha = build_crate(tmp_path)
    tool_sha = hashlib.sha256(b"\x7fELF\x02\x01\x01" + bytes(64)).hexdigest()
    config = (
        '[bans.build]\ninterpreted = "deny"\n'
        "[[bans.build.bypass]]\n"
        'crate = "sys"\n'
        'allow-globs = ["scripts/*", "never/*"]\n'
        f'allow = [{{ path = "bin/tool", checksum = "{tool_sha}" }}, {{ path = "configure" }}, '
        '{ path = "missing" }]\n'
        "[[bans.build.bypass]]\n"
        'crate = "plain"\n'
    )
    # checksums are verified after the walk, as cargo-deny reports them
    assert codes(g, config) == [
        ("path-bypassed", "help"),
        ("path-bypassed-by-glob", "help"),
        ("unmatched-path-bypass", "warning"),
        ("unmatched-glob", "warning"),
        ("checksum-match", "help"),
        ("unmatched-bypass", "warning"),
    ]
    tampered = config.replace(tool_sha, "0" * 64)
    assert ("checksum-mismatch", "error") in codes(g, tampered)
    skip_all = (
        f'[bans.build]\n[[bans.build.bypass]]\ncrate = "sys"\nbuild-script = "{script_sha}"\n'
    )
    assert codes(g, skip_all) == [("checksum-match", "help")]
    unused_feature = skip_all + 'required-features = ["vendored", "typo"]\n'
    assert codes(g, unused_feature) == [
        ("checksum-match", "help"),
        ("unknown-feature", "warning"),
    ]
    app, plain, sys_ = g.krates
    vendored = graph(
        [app, replace(sys_, enabled_features=frozenset({"vendored"})), plain],
        [("app 0.1.0", "sys 1.0.0"), ("app 0.1.0", "plain 1.0.0")],
    )
    assert codes(vendored, unused_feature)[:3] == [
        ("checksum-match", "help"),
        ("unknown-feature", "warning"),
        ("features-enabled", "note"),
    ]
    assert ("detected-executable", "error") in codes(vendored, unused_feature)


def test_dependencies_of_build_time_crates_are_included_on_request(tmp_path: Path) -> None:
    g, _ = build_crate(tmp_path)
    leaf_root = tmp_path / "leaf"
    leaf_root.mkdir()
    (leaf_root / "helper.sh").write_text("#!/bin/bash\nexit 0\n")
    with_dep = graph(
        [
            *g.krates,
            krate("leaf 1.0.0", root=leaf_root),
        ],
        [("app 0.1.0", "sys 1.0.0"), ("sys 1.0.0", "leaf 1.0.0")],
    )
    config = '[bans.build]\ninterpreted = "deny"\ninclude-dependencies = true\n'
    scripts = [
        d
        for d in check_bans(with_dep, parse_config(config))
        if d.crates and d.crates[0].name == "leaf"
    ]
    assert [(d.code, d.notes) for d in scripts] == [
        ("detected-executable-script", ("path = '$crate/helper.sh'", "interpreter = 'bash'"))
    ]
    assert not [
        d
        for d in check_bans(with_dep, parse_config(config.replace("true", "false")))
        if d.crates and d.crates[0].name == "leaf"
    ]
