"""Reading cargo-vet's files: every field, byte-identical round trips, exact error messages."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from cratewatch.errors import SourceError
from cratewatch.semver import Version
from cratewatch.vet.files import (
    StoreFile,
    load_store,
    parse_audits,
    parse_config,
    parse_imports,
    write_atomic,
)
from cratewatch.vet.model import (
    DeltaAudit,
    FullAudit,
    InvalidVetStore,
    Store,
    VetVersion,
    ViolationAudit,
)
from cratewatch.vet.render import render_imports_lock

FILES = ["config.toml", "audits.toml", "imports.lock"]


@pytest.mark.parametrize("name", FILES)
def test_reading_and_writing_an_unchanged_file_is_byte_identical(
    vet_assets: Path, tmp_path: Path, name: str
) -> None:
    source = vet_assets / "acme" / "supply-chain" / name
    copy = tmp_path / name
    copy.write_bytes(source.read_bytes())
    stored = StoreFile.read(copy)
    assert stored.dumps() == stored.text == source.read_text()
    write_atomic(copy, stored.dumps())
    assert copy.read_bytes() == source.read_bytes()


def test_imports_lock_renders_back_to_the_same_bytes(vet_assets: Path) -> None:
    text = (vet_assets / "acme" / "supply-chain" / "imports.lock").read_text()
    assert render_imports_lock(parse_imports(text)) == text


def test_config_fields(acme_store: Store) -> None:
    config = acme_store.config
    assert config.store_version == "0.10"
    assert config.default_criteria == "safe-to-deploy"
    globex = config.imports["globex"]
    assert globex.urls == (
        "https://raw.githubusercontent.com/globex/supply-chain/main/audits.toml",
    )
    assert globex.exclude == ("leftpad",)
    assert dict(globex.criteria_map) == {"globex-reviewed": ("safe-to-deploy",)}
    tool = config.policy["acme-tool"]
    assert (tool.criteria, tool.dev_criteria, tool.notes) == (
        ("safe-to-run",),
        None,
        "An internal tool: it never ships.",
    )
    assert config.policy["acme-fork"].audit_as_crates_io is True
    (frozen,) = config.exemptions["frozen"]
    assert (str(frozen.version), frozen.criteria, frozen.suggest) == (
        "2.0.0",
        ("safe-to-deploy",),
        False,
    )
    assert config.exemptions["oldlib"][0].suggest is True


def test_audit_fields(acme_store: Store) -> None:
    audits = acme_store.audits
    full, delta = audits.audits["anyhow"]
    assert full.kind == FullAudit(version=VetVersion.parse("1.0.58"))
    assert delta.kind == DeltaAudit(from_=VetVersion.parse("1.0.58"), to=VetVersion.parse("1.0.66"))
    assert delta.notes is not None
    assert delta.notes.startswith("New unsafe code")
    (violation,) = audits.audits["evil"]
    assert isinstance(violation.kind, ViolationAudit)
    assert violation.kind.req.matches(Version.parse("0.5.2"))
    assert not violation.kind.req.matches(Version.parse("0.6.0"))
    (ring,) = audits.audits["ring-lite"]
    assert ring.who == ("Ada Lovelace <ada@acme.example>", "Grace Hopper <grace@acme.example>")
    assert audits.criteria["crypto-reviewed"].implies == ("safe-to-deploy",)
    (trust,) = audits.trusted["tokio-lite"]
    assert (trust.user_id, trust.start, trust.end) == (
        4242,
        dt.date(2022, 1, 1),
        dt.date(2027, 1, 1),
    )


def test_imports_lock_fields(acme_store: Store) -> None:
    imports = acme_store.imports
    first, second = imports.publisher["tokio-lite"]
    assert (str(first.version), first.when, first.user_login) == (
        "1.20.0",
        dt.date(2021, 6, 1),
        "tokio-bot",
    )
    assert second.user_name == "Tokio Maintainer"
    globex = imports.audits["globex"]
    assert list(globex.audits) == ["leftpad", "serde-lite"]
    assert globex.criteria["globex-reviewed"].description == "Reviewed by the Globex security team."


def test_git_versions_and_legacy_unaudited_table() -> None:
    config = parse_config(
        '[[unaudited.x]]\nversion = "1.0.0@git:' + "ab" * 20 + '"\ncriteria = []\n'
    )
    (entry,) = config.exemptions["x"]
    assert entry.version.git_rev == "ab" * 20
    assert entry.criteria == ()


def test_toml_dates_are_accepted_too() -> None:
    audits = parse_audits(
        "[[trusted.x]]\ncriteria = 'safe-to-run'\nuser-id = 1\n"
        "start = 2020-01-01\nend = 2021-01-01\n"
    )
    assert audits.trusted["x"][0].end == dt.date(2021, 1, 1)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[[audits.x]]\nwho = "a"\ncriteria = "safe-to-run"\n',
            "audits.toml: audits.x[0]: audit entries must have exactly one of 'version', "
            "'delta' and 'violation'",
        ),
        (
            '[[audits.x]]\ncriteria = "safe-to-run"\nversion = "1"\ndelta = "1.0.0 -> 1.0.1"\n',
            "audits.toml: audits.x[0]: audit entries must have exactly one of",
        ),
        (
            '[[audits.x]]\ncriteria = "safe-to-run"\ndelta = "1.0.0"\n',
            "audits.toml: audits.x[0].delta: expected 'VERSION -> VERSION', got '1.0.0'",
        ),
        (
            '[[audits.x]]\ncriteria = "safe-to-run"\nversion = "one"\n',
            "audits.toml: audits.x[0].version: 'one' is not a valid version:",
        ),
        (
            '[[audits.x]]\ncriteria = 3\nversion = "1.0.0"\n',
            "audits.toml: audits.x[0].criteria: expected an array, got 3",
        ),
        (
            '[[audits.x]]\ncriteria = "safe-to-run"\nversion = "1.0.0"\nreviewer = "me"\n',
            "audits.toml: audits.x[0].reviewer: unknown field",
        ),
        (
            '[[audits.x]]\ncriteria = "safe-to-run"\nviolation = "=>1"\n',
            "audits.toml: audits.x[0].violation: '=>1' is not a version requirement",
        ),
        (
            '[[audits.x]]\ncriteria = "a"\nversion = "1.0.0@hg:1234"\n',
            "audits.toml: audits.x[0].version: '1.0.0@hg:1234': unknown revision kind",
        ),
        (
            "[[trusted.x]]\ncriteria = 'a'\nuser-id = 'me'\nstart = 2020-01-01\nend = 2021-01-01\n",
            "audits.toml: trusted.x[0].user-id: expected an integer, got 'me'",
        ),
        (
            "[[trusted.x]]\ncriteria = 'a'\nuser-id = 1\nstart = 'soon'\nend = 2021-01-01\n",
            "audits.toml: trusted.x[0].start: expected a date (YYYY-MM-DD), got 'soon'",
        ),
        (
            "[criteria.x]\nimplies = 'y'\ncolour = 'red'\n",
            "audits.toml: criteria.x.colour: unknown field",
        ),
        ("audits = [", "audits.toml: invalid TOML:"),
    ],
)
def test_bad_audits_name_the_field(text: str, message: str) -> None:
    with pytest.raises(InvalidVetStore) as caught:
        parse_audits(text)
    assert str(caught.value).startswith(message)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[imports.x]\nexclude = []\n", "config.toml: imports.x.url: missing"),
        (
            '[policy."x:one"]\ncriteria = "a"\n',
            "config.toml: policy.\"x:one\": 'one' is not a valid version",
        ),
        ("[[exemptions.x]]\ncriteria = 'a'\n", "config.toml: exemptions.x[0].version: missing"),
        (
            "[policy.x]\naudit-as-crates-io = 'yes'\n",
            "config.toml: policy.x.audit-as-crates-io: expected a boolean, got 'yes'",
        ),
    ],
)
def test_bad_config_names_the_field(text: str, message: str) -> None:
    with pytest.raises(InvalidVetStore) as caught:
        parse_config(text)
    assert str(caught.value).startswith(message)


def test_bad_imports_lock_names_the_field() -> None:
    with pytest.raises(InvalidVetStore) as caught:
        parse_imports('[[publisher.x]]\nversion = "1.0.0"\nwhen = "2020-01-01"\nuser-login = "a"\n')
    assert str(caught.value) == "imports.lock: publisher.x[0].user-id: missing"


def test_missing_store_files(tmp_path: Path) -> None:
    with pytest.raises(SourceError) as caught:
        load_store(tmp_path)
    assert str(caught.value) == (
        f"{tmp_path}: no config.toml; is this a cargo-vet store (`cargo vet init`)?"
    )
    (tmp_path / "config.toml").write_text("")
    (tmp_path / "audits.toml").write_text("[audits]\n")
    store = load_store(tmp_path)
    assert (dict(store.audits.audits), dict(store.imports.audits)) == ({}, {})


def test_oversized_and_binary_files_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "audits.toml"
    path.write_bytes(b"\xff\xfe")
    with pytest.raises(InvalidVetStore) as caught:
        StoreFile.read(path)
    assert str(caught.value) == f"{path}: not UTF-8 text (byte 0)"
