"""License detection from LICENSE text, and cargo-deny's license-file hash."""

from __future__ import annotations

import gzip
import json
import random
from importlib import resources

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cratewatch.policy.licensetext import (
    clarify_hash,
    detect_license,
    known_texts,
    license_text,
    normalize_words,
)

MIT_AS_SHIPPED = """The MIT License (MIT)

Copyright (c) 2014 Alex Crichton

Permission is hereby granted, free of charge, to any
person obtaining a copy of this software and associated
documentation files (the "Software"), to deal in the
Software without restriction, including without
limitation the rights to use, copy, modify, merge,
publish, distribute, sublicense, and/or sell copies of
the Software, and to permit persons to whom the Software
is furnished to do so, subject to the following
conditions:

The above copyright notice and this permission notice
shall be included in all copies or substantial portions
of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF
ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED
TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A
PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT
SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY
CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION
OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR
IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER
DEALINGS IN THE SOFTWARE.
"""


def test_shipped_texts_come_from_the_spdx_list() -> None:
    raw = (
        resources.files("cratewatch.policy").joinpath("data", "license-texts.json.gz").read_bytes()
    )
    doc = json.loads(gzip.decompress(raw))
    assert doc["source"] == "npm spdx-license-list 6.12.0 (SPDX License List texts)"
    assert {"MIT", "Apache-2.0", "BSD-3-Clause", "Unicode-3.0", "GPL-3.0-only"} <= set(
        known_texts()
    )
    assert len(known_texts()) == 40


@pytest.mark.parametrize("license_id", sorted(known_texts()))
def test_every_shipped_text_is_recognized_as_itself(license_id: str) -> None:
    found = detect_license(license_text(license_id))
    assert found.license == license_id
    assert found.score == pytest.approx(1.0)


def test_real_world_mit_file_with_title_and_copyright() -> None:
    found = detect_license(MIT_AS_SHIPPED)
    assert found.license == "MIT"
    assert found.score > 0.95


def test_extra_notice_text_is_trimmed_away() -> None:
    noisy = MIT_AS_SHIPPED + (
        "\n\nSome files in this crate come from another project; see the NOTICE file in the "
        "repository for the list of those files and their authors, and thanks to everyone.\n"
    )
    plain = detect_license(MIT_AS_SHIPPED)
    found = detect_license(noisy)
    assert found.license == "MIT"
    assert found.score >= plain.score - 0.01


def test_british_spellings_and_quotes_are_normalized() -> None:
    text = license_text("BSD-3-Clause").replace("license", "licence").replace('"', "\u201c")
    assert detect_license(text).score == pytest.approx(1.0)


def test_unrelated_text_scores_low() -> None:
    found = detect_license(
        "Licensed under either of Apache License, Version 2.0 or MIT license at your option."
    )
    assert found.score < 0.3


def test_normalization_drops_copyright_and_placeholders() -> None:
    assert normalize_words(
        "Copyright (c) 2020 Someone\nMIT License <year>\n\n  Hello,   World!"
    ) == [
        ["mit", "license"],
        ["hello", "world"],
    ]


@settings(max_examples=40, deadline=None)
@given(st.randoms(use_true_random=False))
def test_reflowing_lines_does_not_change_the_match(rng: object) -> None:
    assert isinstance(rng, random.Random)
    words = license_text("ISC").split()
    lines, current = [], []
    for word in words:
        current.append(word)
        if rng.random() < 0.15:
            lines.append(" ".join(current))
            current = []
    lines.append(" ".join(current))
    found = detect_license("\n".join(lines))
    assert found.license == "ISC"
    assert found.score > 0.9


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (b"a\r\nb\r\n", b"a\nb\n"),
        (b"a\nb", b"a\nb\n"),
        (b"a\r\r\n", b"a\n"),
    ],
)
def test_clarify_hash_ignores_line_ending_style(a: bytes, b: bytes) -> None:
    assert clarify_hash(a) == clarify_hash(b)


def test_clarify_hash_is_xxhash32_of_normalized_text() -> None:
    # xxHash32 reference values (seed 0)
    assert clarify_hash(b"") == 0x02CC5D05
    assert clarify_hash(b"abc\n") != clarify_hash(b"abc \n")
    assert clarify_hash("line\n") == clarify_hash(b"line\n")
