"""The entry points: `cratewatch` and the cargo plugin `cargo cratewatch`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cratewatch import __version__
from cratewatch.cli.main import cargo_main, main

BIN = Path(sys.executable).parent


def test_cargo_plugin_drops_the_subcommand_name(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        cargo_main(["cratewatch", "--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out == f"cratewatch, version {__version__}\n"


@pytest.mark.skipif(shutil.which("cargo") is None, reason="needs cargo on PATH")
def test_real_cargo_runs_the_plugin(tmp_path: Path) -> None:
    assert (BIN / "cargo-cratewatch").is_file(), "the console script is installed"
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    result = subprocess.run(
        ["cargo", "cratewatch", "--version"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert (result.returncode, result.stdout) == (0, f"cratewatch, version {__version__}\n")


def test_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["frobnicate"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "No such command 'frobnicate'" in err
    assert "Traceback" not in err


def test_every_command_answers_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    for command in ("audit", "check", "db", "advisories", "index", "resolve", "sbom", "serve"):
        assert f"  {command} " in out
