"""The parsers and pure helpers: .cargo_vcs_info.json, repository URLs, diffs, link paths."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cratewatch.provenance.compare import MAX_DIFF_INPUT_BYTES, unified_diff
from cratewatch.provenance.repo import (
    RepoLocation,
    UnsupportedRepositoryUrl,
    location_from_manifest,
    submodule_location,
)
from cratewatch.provenance.tree import _join_link
from cratewatch.provenance.vcsinfo import InvalidVcsInfo, VcsInfo, parse_vcs_info

SHA = "0123456789abcdef0123456789abcdef01234567"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            f'{{"git": {{"sha1": "{SHA}"}}, "path_in_vcs": "crates/x"}}',
            VcsInfo(commit=SHA, dirty=False, path_in_vcs="crates/x"),
        ),
        (
            f'{{"git": {{"sha1": "{SHA.upper()}", "dirty": true}}, "path_in_vcs": ""}}',
            VcsInfo(commit=SHA, dirty=True, path_in_vcs=""),
        ),
        (f'{{"git": {{"sha1": "{SHA}"}}}}', VcsInfo(commit=SHA, dirty=False, path_in_vcs=None)),
        (
            f'{{"git": {{"sha1": "{SHA}"}}, "path_in_vcs": "./a//b/"}}',
            VcsInfo(commit=SHA, dirty=False, path_in_vcs="a/b"),
        ),
    ],
)
def test_vcs_info(text: str, expected: VcsInfo) -> None:
    assert parse_vcs_info(text.encode()) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[]", ".cargo_vcs_info.json: expected an object, got an array"),
        ("{}", ".cargo_vcs_info.json: git: expected an object, got nothing"),
        ('{"git": null}', ".cargo_vcs_info.json: git: expected an object, got null"),
        ('{"git": {}}', ".cargo_vcs_info.json: git.sha1: expected a string, got nothing"),
        ('{"git": {"sha1": 3}}', ".cargo_vcs_info.json: git.sha1: expected a string, got 3"),
        ('{"git": {"sha1": "HEAD"}}', ".cargo_vcs_info.json: git.sha1: 'HEAD' is not a commit id"),
        (
            f'{{"git": {{"sha1": "{SHA}", "dirty": "yes"}}}}',
            ".cargo_vcs_info.json: git.dirty: expected a boolean, got a string 'yes'",
        ),
        (
            f'{{"git": {{"sha1": "{SHA}"}}, "path_in_vcs": 1}}',
            ".cargo_vcs_info.json: path_in_vcs: expected a string, got 1",
        ),
        (
            f'{{"git": {{"sha1": "{SHA}"}}, "path_in_vcs": "a/../../b"}}',
            ".cargo_vcs_info.json: path_in_vcs: 'a/../../b' contains '..'",
        ),
        (
            f'{{"git": {{"sha1": "{SHA}"}}, "path_in_vcs": "/etc"}}',
            ".cargo_vcs_info.json: path_in_vcs: '/etc' is not a relative path",
        ),
    ],
)
def test_vcs_info_errors(text: str, message: str) -> None:
    with pytest.raises(InvalidVcsInfo) as error:
        parse_vcs_info(text.encode())
    assert str(error.value) == message


def test_vcs_info_not_json_or_too_large() -> None:
    with pytest.raises(InvalidVcsInfo, match=r"^\.cargo_vcs_info\.json: not valid JSON: "):
        parse_vcs_info(b"\xff{")
    with pytest.raises(InvalidVcsInfo, match="larger than 65536 bytes"):
        parse_vcs_info(b" " * 70_000)


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=50),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner),
    max_leaves=12,
)


@given(
    st.dictionaries(st.sampled_from(["git", "path_in_vcs", "x"]), _JSON)
    | st.fixed_dictionaries(
        {"git": st.fixed_dictionaries({"sha1": st.just(SHA), "dirty": _JSON})},
        optional={"path_in_vcs": _JSON},
    )
)
def test_vcs_info_never_fails_otherwise(document: object) -> None:
    try:
        info = parse_vcs_info(json.dumps(document).encode())
    except InvalidVcsInfo:
        return
    assert re.fullmatch("[0-9a-f]{40}", info.commit)
    assert info.path_in_vcs is None or ".." not in info.path_in_vcs.split("/")


@pytest.mark.parametrize(
    ("declared", "url"),
    [
        ("https://github.com/serde-rs/serde", "https://github.com/serde-rs/serde"),
        ("https://github.com/serde-rs/serde.git", "https://github.com/serde-rs/serde"),
        (
            "https://github.com/rust-lang/cargo/tree/master/crates/x",
            "https://github.com/rust-lang/cargo",
        ),
        ("https://www.github.com/o/r/", "https://github.com/o/r"),
        ("git@github.com:tokio-rs/tokio.git", "https://github.com/tokio-rs/tokio"),
        ("git://github.com/o/r", "https://github.com/o/r"),
        ("git+https://gitlab.com/g/sub/r.git", "https://gitlab.com/g/sub/r"),
        ("https://gitlab.com/g/r/-/tree/main/x", "https://gitlab.com/g/r"),
        ("https://user:secret@example.org/r.git?x=1#frag", "https://example.org/r"),
        ("https://example.org:8443/a/b/", "https://example.org:8443/a/b"),
        (" HTTPS://Example.ORG/R ", "https://example.org/R"),
    ],
)
def test_repository_urls_are_normalised(declared: str, url: str) -> None:
    assert location_from_manifest(declared) == RepoLocation(url=url, trusted=False)


@pytest.mark.parametrize(
    ("declared", "message"),
    [
        ("file:///etc", "file:///etc: unsupported scheme 'file'; expected an https URL"),
        ("/srv/repo", "/srv/repo: unsupported scheme '(none)'; expected an https URL"),
        ("ext::sh -c id", "'ext::sh -c id': not a usable repository URL"),
        ("https://-oProxyCommand=x/r", "https://-oProxyCommand=x/r: no usable host name"),
        ("https://example.org/", "https://example.org/: no repository path"),
        ("https://example.org/a/../b", "https://example.org/a/../b: unusual path"),
        ("", "'': not a usable repository URL"),
    ],
)
def test_unusable_repository_urls(declared: str, message: str) -> None:
    with pytest.raises(UnsupportedRepositoryUrl) as error:
        location_from_manifest(declared)
    assert str(error.value) == message


@given(st.text(max_size=80))
def test_manifest_urls_only_ever_become_network_urls(text: str) -> None:
    try:
        location = location_from_manifest(text)
    except UnsupportedRepositoryUrl:
        return
    assert re.fullmatch(r"(https?|git|ssh)://[a-z0-9.-]+(:\d+)?/\S+", location.url)
    assert not location.trusted
    assert ".." not in location.url.split("/")


def test_rewrites_make_a_trusted_location() -> None:
    location = location_from_manifest(
        "https://git.example.test/ws", rewrites=[("https://git.example.test/", "file:///srv/")]
    )
    assert location == RepoLocation(url="file:///srv/ws", trusted=True)


@pytest.mark.parametrize(
    ("parent", "url", "expected"),
    [
        ("https://github.com/o/r", "../lib.git", "https://github.com/o/lib"),
        ("https://github.com/o/r", "./sub", "https://github.com/o/r"),
        ("https://example.org/o/r", "./sub", "https://example.org/o/r/sub"),
        ("https://example.org/o/r", "https://other.org/x/y", "https://other.org/x/y"),
    ],
)
def test_submodule_urls(parent: str, url: str, expected: str) -> None:
    location = submodule_location(RepoLocation(url=parent, trusted=False), url)
    assert location.url == expected
    assert not location.trusted


def test_relative_submodule_of_a_trusted_file_url_stays_trusted() -> None:
    parent = RepoLocation(url="file:///srv/git/ws", trusted=True)
    assert submodule_location(parent, "../third") == RepoLocation(
        url="file:///srv/git/third", trusted=True
    )


@pytest.mark.parametrize(
    ("old", "new", "diff", "note"),
    [
        (b"a\n", b"a\n", None, None),
        (None, b"", None, "empty file"),
        (b"a\r\nb\r\n", b"a\nb\n", None, "differs only in line endings (CRLF)"),
        (b"a", b"a\n", None, "differs only in line endings or a final newline"),
        (b"\x00\x01", b"\x00\x02", None, "binary content"),
        (b"a\n", b"\xff\xfe", None, "binary content"),
        (
            None,
            b"x\n",
            "--- /dev/null\n+++ crate/new.rs\n@@ -0,0 +1 @@\n+x",
            None,
        ),
    ],
)
def test_unified_diff(old: bytes | None, new: bytes, diff: str | None, note: str | None) -> None:
    assert unified_diff(old, new, "old.rs", "new.rs") == (diff, note)


def test_unified_diff_limits() -> None:
    big = b"x\n" * (MAX_DIFF_INPUT_BYTES // 2 + 1)
    assert unified_diff(b"", big, "a", "b") == (None, "too large to diff")
    many = "".join(f"line {i} {'y' * 60}\n" for i in range(8000)).encode()
    diff, note = unified_diff(None, many, "a", "b")
    assert diff is not None
    assert len(diff) == 256 * 1024
    assert note == "diff truncated to 262144 characters"


@pytest.mark.parametrize(
    ("done", "target", "rest", "expected"),
    [
        (["crates", "cli"], "../../README.md", [], ["README.md"]),
        (["a"], "b/./c", ["d"], ["a", "b", "c", "d"]),
        (["a"], "../../x", [], None),
        (["a"], "/etc/passwd", [], None),
        (["a"], "", [], None),
    ],
)
def test_link_targets(
    done: list[str], target: str, rest: list[str], expected: list[str] | None
) -> None:
    assert _join_link(done, target, rest) == expected


@given(
    st.lists(st.sampled_from(["a", "b"]), max_size=4),
    st.lists(st.sampled_from(["..", ".", "a", "b", ""]), max_size=8).map("/".join),
    st.lists(st.sampled_from(["..", "c"]), max_size=3),
)
def test_link_targets_never_leave_the_root(done: list[str], target: str, rest: list[str]) -> None:
    joined = _join_link(done, target, rest)
    if joined is not None:
        assert ".." not in joined
        assert "." not in joined
        assert "" not in joined
