"""Feature and target awareness: findings in packages a build never compiles are not-built.

The test project depends on crates.io packages served from a vendored directory source
(offline, through a test-local CARGO_HOME), so real cargo writes the Cargo.lock and answers
``cargo metadata`` exactly as it would for a user.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from cratewatch.cli.errors import EXIT_FINDINGS, EXIT_OK
from tests.cli_runner import run_cli

pytestmark = pytest.mark.skipif(shutil.which("cargo") is None, reason="needs cargo on PATH")


def vendored_crate(vendor: Path, name: str, version: str) -> None:
    root = vendor / f"{name}-{version}"
    (root / "src").mkdir(parents=True)
    (root / "Cargo.toml").write_text(
        f'[package]\nname = "{name}"\nversion = "{version}"\nedition = "2018"\n'
    )
    (root / "src" / "lib.rs").write_text("")
    digest = hashlib.sha256(f"{name}-{version}".encode()).hexdigest()
    (root / ".cargo-checksum.json").write_text(json.dumps({"files": {}, "package": digest}))


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("features")
    vendor = base / "vendor"
    vendored_crate(vendor, "time", "0.1.43")  # RUSTSEC-2020-0071
    vendored_crate(vendor, "smallvec", "1.4.1")  # RUSTSEC-2021-0003
    vendored_crate(vendor, "log", "0.4.11")
    home = base / "cargo-home"
    home.mkdir()
    (home / "config.toml").write_text(
        '[source.crates-io]\nreplace-with = "vendored"\n'
        f'[source.vendored]\ndirectory = "{vendor}"\n'
    )
    app = base / "app"
    (app / "src").mkdir(parents=True)
    (app / "src" / "main.rs").write_text("fn main() {}\n")
    (app / "Cargo.toml").write_text(
        '[package]\nname = "app"\nversion = "0.1.0"\nedition = "2018"\n\n'
        '[dependencies]\nlog = "0.4"\ntime = { version = "0.1", optional = true }\n\n'
        "[target.'cfg(windows)'.dependencies]\nsmallvec = \"1.4\"\n\n"
        '[features]\nclock = ["time"]\n'
    )
    subprocess.run(
        ["cargo", "generate-lockfile", "--offline"],
        cwd=app,
        env={"CARGO_HOME": str(home), "PATH": _path()},
        check=True,
        capture_output=True,
    )
    return app


def _path() -> str:
    return os.environ["PATH"]


def audit(
    project: Path,
    real_db_args: list[str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    *args: str,
) -> tuple[int, dict[str, Any]]:
    monkeypatch.setenv("CARGO_HOME", str(project.parent / "cargo-home"))
    command = ["audit", str(project), *real_db_args, "--stale", "ignore", "--no-yanked"]
    code, out, _ = run_cli([*command, "--format", "json", *args], capsys)
    return code, json.loads(out)


def statuses(report: dict[str, Any]) -> dict[str, str]:
    return {f["id"]: f["status"] for f in report["findings"] if f["kind"] == "vulnerability"}


def test_plain_audit_reports_every_locked_package(
    project: Path,
    real_db_args: list[str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    code, report = audit(project, real_db_args, capsys, monkeypatch)
    assert code == EXIT_FINDINGS
    assert statuses(report) == {"RUSTSEC-2020-0071": "reported", "RUSTSEC-2021-0003": "reported"}


def test_linux_build_without_the_feature_builds_neither(
    project: Path,
    real_db_args: list[str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    args = ("--target", "x86_64-unknown-linux-gnu")
    code, report = audit(project, real_db_args, capsys, monkeypatch, *args)
    assert code == EXIT_OK
    assert statuses(report) == {
        "RUSTSEC-2020-0071": "not-built",
        "RUSTSEC-2021-0003": "not-built",
    }
    assert report["settings"]["target_os"] == ["linux"]


def test_enabling_the_feature_builds_time(
    project: Path,
    real_db_args: list[str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    args = ("--features", "clock", "--target", "x86_64-unknown-linux-gnu")
    code, report = audit(project, real_db_args, capsys, monkeypatch, *args)
    assert code == EXIT_FINDINGS
    assert statuses(report) == {"RUSTSEC-2020-0071": "reported", "RUSTSEC-2021-0003": "not-built"}


def test_windows_build_compiles_the_windows_dependency(
    project: Path,
    real_db_args: list[str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    args = ("--no-default-features", "--target", "x86_64-pc-windows-msvc")
    code, report = audit(project, real_db_args, capsys, monkeypatch, *args)
    assert code == EXIT_FINDINGS
    # RUSTSEC-2020-0071 lists Unix-like systems only, so a Windows target drops it entirely.
    assert statuses(report) == {"RUSTSEC-2021-0003": "reported"}
    assert report["settings"]["target_os"] == ["windows"]
