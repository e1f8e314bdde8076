"""vet certify: entries land at their sorted place, the rest of the file keeps its bytes."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cratewatch.vet.certify import CertifyError, certify
from cratewatch.vet.files import parse_audits

WHO = ("Linus Example <linus@acme.example>",)


@pytest.fixture(scope="module")
def acme_audits(vet_assets: Path) -> str:
    return (vet_assets / "acme" / "supply-chain" / "audits.toml").read_text()


def _removed(original: str, updated: str, inserted: str) -> None:
    """*updated* is *original* with *inserted* spliced in somewhere, nothing else changed."""
    at = updated.index(inserted)
    assert updated[:at] + updated[at + len(inserted) :] == original


def test_new_crate_goes_before_the_next_one_with_its_comment_kept(acme_audits: str) -> None:
    updated = certify(
        acme_audits, crate="dummy", version="1.0.0", criteria=("safe-to-run",), who=WHO
    )
    entry = (
        "[[audits.dummy]]\n"
        'who = "Linus Example <linus@acme.example>"\n'
        'criteria = "safe-to-run"\n'
        'version = "1.0.0"\n'
        "\n"
    )
    _removed(acme_audits, updated, entry)
    assert (
        updated.index(entry) < updated.index("# Do not use 0.5") < updated.index("[[audits.evil]]")
    )
    assert updated.index("[[audits.clap-lite]]") < updated.index(entry)


def test_delta_for_an_existing_crate_follows_its_entries(acme_audits: str) -> None:
    updated = certify(
        acme_audits,
        crate="anyhow",
        version="1.0.70",
        delta_from="1.0.66",
        criteria=("safe-to-deploy",),
        who=WHO,
        notes="Docs only.\nAnd CI.",
    )
    entry = (
        "[[audits.anyhow]]\n"
        'who = "Linus Example <linus@acme.example>"\n'
        'criteria = "safe-to-deploy"\n'
        'delta = "1.0.66 -> 1.0.70"\n'
        'notes = """\nDocs only.\nAnd CI."""\n'
        "\n"
    )
    _removed(acme_audits, updated, entry)
    assert (
        updated.index('delta = "1.0.58 -> 1.0.66"')
        < updated.index(entry)
        < updated.index("[[audits.clap-lite]]")
    )
    entries = parse_audits(updated).audits["anyhow"]
    assert [str(e.kind) for e in entries] == ["1.0.58", "1.0.58 -> 1.0.66", "1.0.66 -> 1.0.70"]


def test_last_crate_goes_after_the_audits_before_trusted(acme_audits: str) -> None:
    updated = certify(
        acme_audits, crate="zstd-lite", version="0.1.0", criteria=("crypto-reviewed",), who=WHO
    )
    assert (
        updated.index("[[audits.ring-lite]]")
        < updated.index("[[audits.zstd-lite]]")
        < updated.index("[[trusted.tokio-lite]]")
    )
    assert "user-id = 4242 # Tokio Maintainer (tokio-bot)" in updated


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", '[[audits.x]]\nwho = "W"\ncriteria = "safe-to-run"\nversion = "1.0.0"\n'),
        (
            "\n# cargo-vet audits file\n\n[audits]\n",
            '\n# cargo-vet audits file\n\n[audits]\n\n[[audits.x]]\nwho = "W"\n'
            'criteria = "safe-to-run"\nversion = "1.0.0"\n',
        ),
        (
            "[criteria.c]\ndescription = 'c'\n",
            "[criteria.c]\ndescription = 'c'\n\n[[audits.x]]\nwho = \"W\"\n"
            'criteria = "safe-to-run"\nversion = "1.0.0"\n',
        ),
    ],
)
def test_empty_and_sparse_files(text: str, expected: str) -> None:
    assert (
        certify(text, crate="x", version="1.0.0", criteria=("safe-to-run",), who=("W",)) == expected
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"criteria": ("safe-to-fly",)}, "audits.toml: unknown criteria 'safe-to-fly'"),
        ({"criteria": ()}, "anyhow 1.0.58: no criteria given"),
        ({"version": "one"}, "anyhow: 'one' is not a valid version"),
        ({"delta_from": "x.y"}, "anyhow: 'x.y' is not a valid version"),
        ({}, "audits.toml: anyhow 1.0.58 is already certified for safe-to-deploy"),
        ({"criteria": ("safe-to-run",)}, "audits.toml: anyhow 1.0.58 is already certified"),
    ],
)
def test_refusals(acme_audits: str, kwargs: dict[str, object], message: str) -> None:
    arguments: dict[str, object] = {
        "crate": "anyhow",
        "version": "1.0.58",
        "criteria": ("safe-to-deploy",),
        "who": WHO,
    } | kwargs
    with pytest.raises(CertifyError) as caught:
        certify(acme_audits, **arguments)  # type: ignore[arg-type]
    assert str(caught.value).startswith(message)


NAMES = st.from_regex(r"[a-z][a-z0-9_-]{0,12}", fullmatch=True)
NOTES = st.one_of(st.none(), st.text(st.characters(codec="utf-8"), max_size=40))


@settings(max_examples=60, deadline=None)
@given(
    crate=NAMES,
    notes=NOTES,
    who=st.text(st.characters(codec="utf-8"), min_size=1, max_size=20),
)
def test_any_entry_round_trips_and_only_adds_itself(
    crate: str, notes: str | None, who: str
) -> None:
    base = (
        '\n# cargo-vet audits file\n\n[[audits.m]]\nwho = "A"\ncriteria = "safe-to-run"\n'
        'version = "1.0.0"\n\n# trailing note\n[[trusted.t]]\ncriteria = "safe-to-run"\n'
        'user-id = 1\nstart = "2020-01-01"\nend = "2021-01-01"\n'
    )
    updated = certify(
        base, crate=crate, version="2.0.0", criteria=("safe-to-deploy",), who=(who,), notes=notes
    )
    (entry,) = [e for e in parse_audits(updated).audits[crate] if str(e.kind) == "2.0.0"]
    assert entry.who == (who,)
    assert entry.notes == (notes or None)
    assert "# trailing note\n[[trusted.t]]" in updated
