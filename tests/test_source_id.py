"""Cargo source ids: parsing, cargo's text forms, crates.io's two spellings, errors."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cratewatch.source_id import (
    GitBranch,
    GitDefaultBranch,
    GitReference,
    GitRev,
    GitTag,
    InvalidSourceId,
    SourceId,
    SourceKind,
)

_PARSED = [
    (
        "registry+https://github.com/rust-lang/crates.io-index",
        SourceKind.REGISTRY,
        "https://github.com/rust-lang/crates.io-index",
        None,
        None,
    ),
    (
        "sparse+https://index.crates.io/",
        SourceKind.SPARSE,
        "https://index.crates.io/",
        None,
        None,
    ),
    ("path+file:///home/me/crate", SourceKind.PATH, "file:///home/me/crate", None, None),
    (
        "git+https://github.com/nushell/reedline?branch=main#4cc4d1a8e2b1",
        SourceKind.GIT,
        "https://github.com/nushell/reedline",
        GitBranch(name="main"),
        "4cc4d1a8e2b1",
    ),
    (
        "git+https://github.com/o/r?tag=v1.0#abc",
        SourceKind.GIT,
        "https://github.com/o/r",
        GitTag(name="v1.0"),
        "abc",
    ),
    (
        "git+https://github.com/o/r?rev=refs/pull/493/head",
        SourceKind.GIT,
        "https://github.com/o/r",
        GitRev(rev="refs/pull/493/head"),
        None,
    ),
    (
        "git+ssh://git@github.com/o/r.git#abc",
        SourceKind.GIT,
        "ssh://git@github.com/o/r.git",
        GitDefaultBranch(),
        "abc",
    ),
    # the older `ref=` is a branch; the last known key wins; unknown keys are ignored
    (
        "git+https://e.com/r?ref=old&foo=bar&tag=t",
        SourceKind.GIT,
        "https://e.com/r",
        GitTag(name="t"),
        None,
    ),
    # v4 URL-encodes query values; the decoded value is kept
    (
        "git+https://e.com/r?branch=feat%2Fx+y#c0ffee",
        SourceKind.GIT,
        "https://e.com/r",
        GitBranch(name="feat/x y"),
        "c0ffee",
    ),
]


@pytest.mark.parametrize(("text", "kind", "url", "reference", "precise"), _PARSED)
def test_parse(
    text: str,
    kind: SourceKind,
    url: str,
    reference: GitReference | None,
    precise: str | None,
) -> None:
    source = SourceId.parse(text)
    assert (source.kind, source.url, source.reference, source.precise) == (
        kind,
        url,
        reference,
        precise,
    )
    assert SourceId.parse(str(source)) == source


@pytest.mark.parametrize(
    ("text", "encoded", "raw"),
    [
        (
            "git+https://e.com/r?branch=feat/x#1",
            "git+https://e.com/r?branch=feat%2Fx#1",
            "git+https://e.com/r?branch=feat/x#1",
        ),
        (
            "git+https://e.com/r?ref=a~b",
            "git+https://e.com/r?branch=a%7Eb",
            "git+https://e.com/r?branch=a~b",
        ),
        ("git+https://e.com/r?rev=abc", "git+https://e.com/r?rev=abc", None),
        ("git+https://e.com/r", "git+https://e.com/r", None),
        ("sparse+https://index.crates.io/", "sparse+https://index.crates.io/", None),
    ],
)
def test_text_forms(text: str, encoded: str, raw: str | None) -> None:
    source = SourceId.parse(text)
    assert str(source) == encoded
    assert source.to_url(encoded=True) == encoded
    assert source.to_url(encoded=False) == (raw or encoded)


def test_form_encoding_matches_cargos_frozen_example() -> None:
    """cargo's `gitrefs_roundtrip` test freezes this serialization."""
    branch = "*-._+20%30 Z/z#foo=bar&zap[]?to\\()'\""
    source = SourceId.for_git("https://host/path", GitBranch(name=branch))
    assert str(source) == (
        "git+https://host/path?branch=*-._%2B20%2530+Z%2Fz%23foo%3Dbar%26zap%5B%5D%3Fto%5C%28%29%27%22"
    )
    assert SourceId.parse(str(source)) == source


@pytest.mark.parametrize(
    ("text", "crates_io", "registry"),
    [
        ("registry+https://github.com/rust-lang/crates.io-index", True, True),
        ("sparse+https://index.crates.io/", True, True),
        ("sparse+https://index.crates.io", True, True),
        ("registry+https://index.crates.io/", False, True),
        ("sparse+https://github.com/rust-lang/crates.io-index", False, True),
        ("sparse+https://crates.example.com/index/", False, True),
        ("git+https://github.com/rust-lang/crates.io-index", False, False),
        ("path+file:///crates.io-index", False, False),
    ],
)
def test_crates_io_has_two_spellings(text: str, crates_io: bool, registry: bool) -> None:
    source = SourceId.parse(text)
    assert source.is_crates_io is crates_io
    assert source.is_registry is registry


def test_precise_does_not_change_the_source() -> None:
    locked = SourceId.parse("git+https://e.com/r?tag=t#abc")
    edge = SourceId.parse("git+https://e.com/r?tag=t")
    assert locked != edge
    assert locked.same_source(edge)
    assert locked.without_precise() == edge
    assert not locked.same_source(SourceId.parse("git+https://e.com/r?tag=u"))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "'' is not a valid source id: expected KIND+URL"),
        ("https://e.com", "'https://e.com' is not a valid source id: expected KIND+URL"),
        (
            "local-registry+file:///x",
            "'local-registry+file:///x' is not a valid source id: "
            "unsupported source protocol 'local-registry'",
        ),
        ("git+", "'git+' is not a valid source id: '' is not a URL"),
        ("git+e.com/r", "'git+e.com/r' is not a valid source id: 'e.com/r' is not a URL"),
        (
            "registry+https://e.com/a b",
            "'registry+https://e.com/a b' is not a valid source id: "
            "'https://e.com/a b' is not a URL",
        ),
        (
            "git+https://[::1/r",
            "'git+https://[::1/r' is not a valid source id: Invalid IPv6 URL",
        ),
    ],
)
def test_invalid(text: str, message: str) -> None:
    with pytest.raises(InvalidSourceId) as caught:
        SourceId.parse(text)
    assert str(caught.value) == message


_REFERENCE_TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=30)


@given(
    st.one_of(
        st.builds(GitBranch, name=_REFERENCE_TEXT),
        st.builds(GitTag, name=_REFERENCE_TEXT),
        st.builds(GitRev, rev=_REFERENCE_TEXT),
        st.just(GitDefaultBranch()),
    ),
    st.one_of(st.none(), st.text("0123456789abcdef", min_size=1, max_size=40)),
)
def test_encoded_git_ids_round_trip(reference: GitReference, precise: str | None) -> None:
    source = SourceId.for_git("https://github.com/o/r", reference, precise)
    text = str(source)
    assert " " not in text
    assert SourceId.parse(text) == source
