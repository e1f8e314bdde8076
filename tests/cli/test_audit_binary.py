"""``cratewatch audit --bin``: a real ELF program built by rustc, with cargo-auditable data."""

from __future__ import annotations

import json
import zlib
from pathlib import Path
from typing import Any

import pytest

from cratewatch.cli.errors import EXIT_FINDINGS, EXIT_USAGE
from tests.binaries.toolchain import Toolchain
from tests.cli_runner import run_cli

AUDIT_DATA = {
    "format": 1,
    "packages": [
        {
            "name": "app",
            "version": "0.1.0",
            "source": "local",
            "dependencies": [1, 2],
            "root": True,
        },
        {"name": "chrono", "version": "0.4.13", "source": "crates.io", "dependencies": [2]},
        {"name": "time", "version": "0.1.43", "source": "crates.io"},
    ],
}


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    return run_cli(["audit", *args, "--stale", "ignore", "--no-yanked"], capsys)


def test_binary_with_embedded_dependencies(
    toolchain: Toolchain,
    tmp_path: Path,
    real_db_args: list[str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    section = zlib.compress(json.dumps(AUDIT_DATA).encode())
    binary = toolchain.elf(tmp_path / "app", {".dep-v0": section})
    code, out, err = run(["--bin", str(binary), *real_db_args, "--format", "json"], capsys)
    assert "Traceback" not in err
    report: dict[str, Any] = json.loads(out)
    assert code == EXIT_FINDINGS
    assert report["inputs"] == [{"path": str(binary), "kind": "binary", "package_count": 3}]
    by_id = {f["id"]: f for f in report["findings"]}
    assert by_id["RUSTSEC-2020-0071"]["package"] == {
        "name": "time",
        "version": "0.1.43",
        "source": "crates.io",
    }
    assert ["app 0.1.0", "time 0.1.43"] in by_id["RUSTSEC-2020-0071"]["paths"]
    assert ["app 0.1.0", "chrono 0.4.13", "time 0.1.43"] in by_id["RUSTSEC-2020-0071"]["paths"]
    assert by_id["RUSTSEC-2020-0159"]["package"]["name"] == "chrono"


def test_binary_without_audit_data_is_a_clear_error(
    toolchain: Toolchain,
    tmp_path: Path,
    real_db_args: list[str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    binary = toolchain.elf(tmp_path / "plain", {})
    code, _, err = run(["--bin", str(binary), *real_db_args], capsys)
    assert code == EXIT_USAGE
    assert err == (
        f"cratewatch: error: {binary}: no embedded dependency data "
        "(build with `cargo auditable build`)\n"
    )


def test_a_file_that_is_not_a_binary(
    tmp_path: Path, real_db_args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    code, _, err = run(["--bin", str(text), *real_db_args], capsys)
    assert code == EXIT_USAGE
    assert err.startswith(f"cratewatch: error: {text}")
    assert err.count("\n") == 1
