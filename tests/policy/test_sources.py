"""check sources: allow lists, organizations, private prefixes, git pinning, unused entries."""

from __future__ import annotations

from pathlib import Path

import pytest

from cratewatch.policy.config import parse_config
from cratewatch.policy.config.model import GitSpec
from cratewatch.policy.diagnostics import Severity
from cratewatch.policy.graph import Krate
from cratewatch.policy.sources import check_sources, git_spec, normalize_source_url
from cratewatch.source_id import SourceId
from tests.policy.graphs import CRATES_IO, graph, krate

LOCK = """version = 4

[[package]]
name = "app"
version = "0.1.0"

[[package]]
name = "g"
version = "1.0.0"
source = "git+https://github.com/embark/g?branch=dev#0123456789abcdef0123456789abcdef01234567"
"""


def run(config: str, *krates_: Krate) -> list[tuple[str, str, str, str]]:
    crates = [krate("app 0.1.0", None, member=True), *krates_]
    g = graph(crates, [("app 0.1.0", f"{k.name} {k.version}") for k in crates[1:]])
    return [
        (d.code, d.severity.value, d.crates[0].name if d.crates else "", d.message)
        for d in check_sources(g, parse_config(config))
    ]


@pytest.mark.parametrize(
    ("url", "normalized"),
    [
        ("sparse+https://index.crates.io/", "https://github.com/rust-lang/crates.io-index"),
        ("https://index.crates.io", "https://github.com/rust-lang/crates.io-index"),
        (
            "https://github.com/rust-lang/crates.io-index",
            "https://github.com/rust-lang/crates.io-index",
        ),
        ("https://GitHub.com/Org/Repo.git", "https://github.com/Org/Repo"),
        ("https://git.example/repo/?rev=1#abc", "https://git.example/repo"),
        ("sparse+https://my.registry/index/", "https://my.registry/index"),
    ],
)
def test_url_normalization(url: str, normalized: str) -> None:
    assert normalize_source_url(url) == normalized


@pytest.mark.parametrize(
    ("source", "spec"),
    [
        ("git+https://h/r", GitSpec.ANY),
        ("git+https://h/r?branch=master", GitSpec.ANY),
        ("git+https://h/r?branch=main", GitSpec.BRANCH),
        ("git+https://h/r?tag=v1", GitSpec.TAG),
        ("git+https://h/r?rev=abc", GitSpec.REV),
    ],
)
def test_git_spec(source: str, spec: GitSpec) -> None:
    assert git_spec(SourceId.parse(source)) is spec


def test_crates_io_in_both_spellings_is_allowed_by_default() -> None:
    assert (
        run(
            "",
            krate("a 1.0.0", CRATES_IO),
            krate("b 1.0.0", "sparse+https://index.crates.io/"),
        )
        == []
    )


def test_unknown_sources_get_the_configured_level() -> None:
    found = run(
        '[sources]\nunknown-registry = "deny"\nunknown-git = "warn"\n',
        krate("r 1.0.0", "registry+https://my.registry/index"),
        krate("g 1.0.0", "git+https://gitlab.com/x/g?branch=main#abc"),
        krate("p 1.0.0", "path+file:///somewhere"),
    )
    assert found == [
        ("source-not-allowed", "warning", "g", "detected 'git' source not explicitly allowed"),
        ("source-not-allowed", "error", "r", "detected 'registry' source not explicitly allowed"),
    ]


def test_allow_lists_orgs_and_private_prefixes() -> None:
    found = run(
        "[sources]\n"
        'unknown-git = "deny"\nunknown-registry = "deny"\n'
        'allow-registry = ["https://github.com/rust-lang/crates.io-index", "https://my.registry/index"]\n'
        'allow-git = ["https://github.com/a/exact.git"]\n'
        'private = ["https://git.corp.example/team"]\n'
        "[sources.allow-org]\n"
        'github = ["embark", "unused-org"]\n',
        krate("a 1.0.0", "git+https://github.com/a/exact?rev=1#1"),
        krate("b 1.0.0", "git+https://github.com/embark/b?branch=x#1"),
        krate("c 1.0.0", "git+https://git.corp.example/team/c?tag=v1#1"),
        krate("d 1.0.0", "git+https://github.com/Embark/d#1"),
        krate("r 1.0.0", "sparse+https://my.registry/index/"),
    )
    assert found == [
        ("allowed-source", "note", "a", "'git' source explicitly allowed"),
        ("allowed-by-organization", "note", "b", "source allowed by organization allowance"),
        ("allowed-source", "note", "c", "'git' source explicitly allowed"),
        ("source-not-allowed", "error", "d", "detected 'git' source not explicitly allowed"),
        ("allowed-source", "note", "r", "'registry' source explicitly allowed"),
        (
            "unmatched-organization",
            "warning",
            "",
            "allowed 'github.com' organization was not encountered",
        ),
    ]


def test_unused_allowed_sources_are_reported_at_their_level() -> None:
    config = (
        '[sources]\nallow-git = ["https://github.com/a/never"]\nunused-allowed-source = "deny"\n'
    )
    assert run(config) == [("unmatched-source", "error", "", "allowed source was not encountered")]
    assert run(config.replace('"deny"', '"allow"')) == []


def test_required_git_spec_and_labels_point_at_the_lock_source_line(tmp_path: Path) -> None:
    lock = tmp_path / "Cargo.lock"
    lock.write_text(LOCK)
    crates = [
        krate("app 0.1.0", None, member=True, line=3),
        krate(
            "g 1.0.0",
            "git+https://github.com/embark/g?branch=dev#0123456789abcdef0123456789abcdef01234567",
            line=7,
        ),
    ]
    g = graph(crates, [("app 0.1.0", "g 1.0.0")], lockfile=str(lock))
    config = parse_config(
        '[sources]\nrequired-git-spec = "tag"\n[sources.allow-org]\ngithub = ["embark"]\n',
        path="deny.toml",
    )
    (under, allowed) = check_sources(g, config)
    assert under.code == "git-source-underspecified"
    assert under.message == "'git' source is underspecified, expected 'tag', but found 'branch'"
    assert under.severity is Severity.ERROR
    source_label, spec_label = under.labels
    assert (source_label.file, source_label.line, source_label.column) == (str(lock), 10, 10)
    assert source_label.text.startswith('"git+https://github.com/embark/g?branch=dev#')
    assert (spec_label.file, spec_label.line, spec_label.text) == ("deny.toml", 2, '"tag"')
    assert allowed.code == "allowed-by-organization"
    assert allowed.labels[1].line == 4


def test_everything_allowed_means_no_diagnostics() -> None:
    assert (
        run(
            '[sources]\nunknown-registry = "allow"\nunknown-git = "allow"\n',
            krate("r 1.0.0", "registry+https://my.registry/index"),
        )
        == []
    )
