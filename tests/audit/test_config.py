"""Reading cargo-audit's audit.toml and cratewatch's expiring-ignore extension."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from cratewatch.audit.config import InvalidAuditConfig, load_audit_config, parse_audit_config
from cratewatch.audit.model import FindingKind, IgnoreRule, Severity

CARGO_AUDIT_EXAMPLE = """\
[advisories]
ignore = ["RUSTSEC-2019-0001"]
informational_warnings = ["unmaintained"]
severity_threshold = "low"

[database]
path = "~/.cargo/advisory-db"
url = "https://github.com/RustSec/advisory-db.git"
fetch = true
stale = false

[output]
deny = ["unmaintained"]
format = "terminal"
quiet = false
show_tree = true

[binary]
max_binary_size = 104857600
audit_data_size_limit = 8388608

[target]
arch = ["x86_64"]
os = ["linux", "windows"]

[yanked]
enabled = true
update_index = true
"""


def test_cargo_audit_example_reads_every_key() -> None:
    cfg = parse_audit_config(CARGO_AUDIT_EXAMPLE, path=".cargo/audit.toml")
    assert cfg.ignore == (IgnoreRule(id="RUSTSEC-2019-0001", origin=".cargo/audit.toml"),)
    assert cfg.informational == frozenset({FindingKind.UNMAINTAINED})
    assert cfg.severity_threshold is Severity.LOW
    assert cfg.deny == frozenset({FindingKind.UNMAINTAINED})
    assert cfg.database_url == "https://github.com/RustSec/advisory-db.git"
    assert cfg.fetch is True
    assert cfg.allow_stale is False
    assert cfg.target_arch == frozenset({"x86_64"})
    assert cfg.target_os == frozenset({"linux", "windows"})
    assert cfg.yanked_enabled is True
    assert cfg.show_tree is True


def test_ignore_tables_carry_reason_and_expiry() -> None:
    cfg = parse_audit_config(
        '[advisories]\nignore = [{ id = "RUSTSEC-2020-0071", reason = "no untrusted TZ",'
        " until = 2026-12-31 }]\n",
        path="audit.toml",
    )
    assert cfg.ignore == (
        IgnoreRule(
            id="RUSTSEC-2020-0071",
            reason="no untrusted TZ",
            until=dt.date(2026, 12, 31),
            origin="audit.toml",
        ),
    )


def test_deny_warnings_means_every_informational_kind() -> None:
    cfg = parse_audit_config('[output]\ndeny = ["warnings"]\n')
    assert cfg.deny == frozenset(
        {FindingKind.UNSOUND, FindingKind.UNMAINTAINED, FindingKind.NOTICE, FindingKind.YANKED}
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[advisories]\nignroe = []\n", "audit.toml: advisories.ignroe: unknown key"),
        ("[colour]\n", "audit.toml: unknown section [colour]"),
        (
            "[advisories]\nignore = [1]\n",
            "audit.toml: advisories.ignore[0]: expected a table, got a number (1)",
        ),
        (
            '[advisories]\nignore = [{ reason = "x" }]\n',
            "audit.toml: advisories.ignore[0]: missing key 'id'",
        ),
        (
            '[advisories]\nignore = [{ id = "X", until = "soon" }]\n',
            "audit.toml: advisories.ignore[0].until: expected a date (YYYY-MM-DD), "
            "got a string ('soon')",
        ),
        (
            '[advisories]\nseverity_threshold = "severe"\n',
            "audit.toml: advisories.severity_threshold: unknown severity 'severe' "
            "(expected one of none, low, medium, high, critical)",
        ),
        (
            '[output]\ndeny = ["bugs"]\n',
            "audit.toml: output.deny[0]: unknown kind 'bugs' "
            "(expected unmaintained, unsound, notice, yanked, warnings)",
        ),
        (
            "[yanked]\nenabled = 1\n",
            "audit.toml: yanked.enabled: expected true or false, got a number (1)",
        ),
    ],
)
def test_bad_configs_name_the_file_and_key(text: str, message: str) -> None:
    with pytest.raises(InvalidAuditConfig) as info:
        parse_audit_config(text, path="audit.toml")
    assert str(info.value) == message


def test_invalid_toml_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "audit.toml"
    path.write_text("[advisories\n")
    with pytest.raises(InvalidAuditConfig, match=r"audit\.toml: invalid TOML: "):
        load_audit_config(path)
