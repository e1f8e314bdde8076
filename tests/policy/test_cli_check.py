"""``cratewatch check`` end to end: exit bitset, formats, init, list, codes, errors."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from cratewatch.policy.config import TEMPLATE, parse_config
from cratewatch.policy.diagnostics import CODES
from tests.cli_runner import run_cli
from tests.policy.cargo_project import (
    CargoProject,
    VendoredCrate,
    cargo_env,
    manifest,
    registries_config,
)

APP = manifest(
    "app",
    package='license = "MIT"',
    body='[dependencies]\nmid = "1"\nleaf = "2"\nother = { version = "0.2", registry = "myreg" }\n',
)
CONFIG = """[bans]
multiple-versions = "deny"

[sources]
unknown-registry = "deny"

[licenses]
allow = ["MIT"]
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory, cargo: Path) -> CargoProject:
    root = tmp_path_factory.mktemp("cli-project")
    built = CargoProject(root, members={"": APP})
    built.add(
        VendoredCrate(name="leaf", version="1.0.0"),
        VendoredCrate(name="leaf", version="2.0.0", package='license = "Apache-2.0"'),
        VendoredCrate(name="mid", version="1.0.0", body='[dependencies]\nleaf = "1"'),
        VendoredCrate(
            name="other", version="0.2.0", source="registry+https://my.registry.example/index"
        ),
    )
    built.write(
        cargo=cargo,
        extra_config=registries_config([("myreg", "https://my.registry.example/index")]),
    )
    (root / "deny.toml").write_text(CONFIG)
    return built


@pytest.fixture
def env(project: CargoProject) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in ("CARGO_HOME", "CARGO")}
    os.environ["CARGO_HOME"] = str(project.home)
    os.environ.pop("CARGO", None)
    yield
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def check_args(project: CargoProject, *extra: str) -> list[str]:
    return ["check", "--manifest-path", str(project.root / "Cargo.toml"), "--offline", *extra]


@pytest.mark.usefixtures("env")
def test_exit_status_is_the_bitset_of_failed_checks(
    project: CargoProject, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run_cli(check_args(project, "bans", "licenses", "sources"), capsys)
    assert code == 2 | 4 | 8
    assert out.rstrip().endswith("bans FAILED, licenses FAILED, sources FAILED")
    assert run_cli(check_args(project, "bans"), capsys)[0] == 2
    assert run_cli(check_args(project, "sources"), capsys)[0] == 8
    assert run_cli(check_args(project, "--config", "/dev/null", "bans", "sources"), capsys)[0] == 0


@pytest.mark.usefixtures("env")
def test_json_lines_with_a_summary(
    project: CargoProject, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run_cli(check_args(project, "bans", "sources", "--format", "json"), capsys)
    lines = [json.loads(line) for line in out.splitlines()]
    *diagnostics, summary = lines
    assert summary == {
        "type": "summary",
        "checks": {
            "bans": {"errors": 1, "warnings": 0, "notes": 0, "helps": 0, "failed": True},
            "sources": {"errors": 1, "warnings": 0, "notes": 0, "helps": 0, "failed": True},
        },
        "exit_status": code,
    }
    duplicate = next(d for d in diagnostics if d["code"] == "duplicate")
    assert duplicate["check"] == "bans"
    assert [c["version"] for c in duplicate["crates"]] == ["1.0.0", "2.0.0"]
    assert {label["file"] for label in duplicate["labels"]} == {str(project.root / "Cargo.lock")}
    assert duplicate["inclusion"]["leaf@1.0.0"] == [
        "leaf v1.0.0",
        "└── mid v1.0.0",
        "    └── app v0.1.0",
    ]
    assert all(d["code"] in CODES for d in diagnostics)


@pytest.mark.usefixtures("env")
def test_sarif(project: CargoProject, capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run_cli(check_args(project, "sources", "--format", "sarif"), capsys)
    sarif = json.loads(out)
    assert sarif["version"] == "2.1.0"
    (sarif_run,) = sarif["runs"]
    assert [r["id"] for r in sarif_run["tool"]["driver"]["rules"]] == ["source-not-allowed"]
    (result,) = sarif_run["results"]
    assert result["level"] == "error"
    assert (
        result["message"]["text"]
        == "detected 'registry' source not explicitly allowed (other 0.2.0)"
    )
    region = result["locations"][0]["physicalLocation"]["region"]
    lock_lines = (project.root / "Cargo.lock").read_text().splitlines()
    assert lock_lines[region["startLine"] - 1].startswith('source = "registry+https://my.registry')


@pytest.mark.usefixtures("env")
def test_human_output_shows_the_source_line_and_why_a_crate_is_there(
    project: CargoProject, capsys: pytest.CaptureFixture[str]
) -> None:
    _, out, _ = run_cli(check_args(project, "licenses"), capsys)
    assert "error[rejected]: failed to satisfy license requirements" in out
    assert 'license = "Apache-2.0"' in out
    assert "^^^^^^^^^^ rejected: not explicitly allowed" in out
    assert "= leaf v2.0.0" in out
    assert "licenses FAILED" in out
    quiet = run_cli(check_args(project, "licenses", "--hide-inclusion-graph"), capsys)[1]
    assert "= leaf v2.0.0" not in quiet
    verbose = run_cli(check_args(project, "licenses", "--verbose"), capsys)[1]
    assert "help[accepted]: license requirements satisfied" in verbose


@pytest.mark.usefixtures("env")
def test_graph_from_metadata_file_and_without_cargo(
    project: CargoProject, cargo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    metadata = subprocess.run(
        [str(cargo), "metadata", "--format-version", "1", "--offline"],
        cwd=project.root,
        env=cargo_env(project.home),
        capture_output=True,
        check=True,
    ).stdout
    path = tmp_path / "metadata.json"
    path.write_bytes(metadata)
    from_file = run_cli(
        check_args(project, "bans", "--metadata-path", str(path), "--format", "json"), capsys
    )
    without = run_cli(
        check_args(
            project,
            "bans",
            "--no-cargo",
            "--vendor",
            str(project.root / "vendor"),
            "--format",
            "json",
        ),
        capsys,
    )
    assert from_file[0] == without[0] == 2
    assert from_file[1] == without[1]


@pytest.mark.usefixtures("env")
def test_list_licenses(project: CargoProject, capsys: pytest.CaptureFixture[str]) -> None:
    manifest_args = ["--manifest-path", str(project.root / "Cargo.toml"), "--offline"]
    code, out, _ = run_cli(["check", "list", *manifest_args, "--format", "json"], capsys)
    assert code == 0
    assert json.loads(out) == {
        "Apache-2.0": ["leaf 2.0.0"],
        "MIT": ["app 0.1.0", "leaf 1.0.0", "mid 1.0.0", "other 0.2.0"],
    }
    _, out, _ = run_cli(
        ["check", "list", *manifest_args, "--by", "crate", "--format", "json"], capsys
    )
    assert json.loads(out)["leaf 2.0.0"] == ["Apache-2.0"]


def test_list_codes(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(["check", "--list-codes", "--format", "json"], capsys)
    assert code == 0
    listed = {entry["code"]: entry for entry in json.loads(out)}
    assert set(listed) == set(CODES)
    assert listed["duplicate"] == {
        "code": "duplicate",
        "check": "bans",
        "description": "Detected two or more versions of the same crate",
        "cratewatch_only": False,
    }
    _, table, _ = run_cli(["check", "--list-codes"], capsys)
    assert "source-not-allowed" in table


def test_init_writes_the_template_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(["check", "init", str(tmp_path)], capsys)
    assert (code, out) == (0, f"wrote {tmp_path / 'deny.toml'}\n")
    assert (tmp_path / "deny.toml").read_text() == TEMPLATE
    assert parse_config(TEMPLATE).warnings == ()
    code, _, err = run_cli(["check", "init", str(tmp_path)], capsys)
    assert code == 16
    target = tmp_path / "deny.toml"
    assert err == f"cratewatch: error: {target}: already exists (pass --force to overwrite it)\n"
    assert run_cli(["check", "init", str(tmp_path), "--force"], capsys)[0] == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["check", "nonsense"], "unknown check 'nonsense'"),
        (["check", "--format", "xml"], "Invalid value for '--format'"),
        (["check", "list", "--by", "author"], "Invalid value for '--by'"),
    ],
)
def test_usage_errors_exit_16(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_cli(args, capsys)
    assert code == 16
    assert message in err


@pytest.mark.usefixtures("env")
def test_bad_config_and_missing_manifest_exit_16(
    project: CargoProject, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "deny.toml"
    bad.write_text('[bans]\nmultiple-version = "deny"\n')
    code, _, err = run_cli(check_args(project, "--config", str(bad)), capsys)
    assert code == 16
    assert err.startswith(f"cratewatch: error: {bad}:2:1: bans.multiple-version: unknown key")
    assert err.count("\n") == 1
    code, _, err = run_cli(
        ["check", "--manifest-path", str(tmp_path / "nope" / "Cargo.toml")], capsys
    )
    assert code == 16
    missing = tmp_path / "nope" / "Cargo.toml"
    assert err == f"cratewatch: error: {missing}: no such Cargo.toml (pass --manifest-path)\n"


@pytest.mark.usefixtures("env")
def test_no_config_means_defaults_with_a_warning(
    project: CargoProject, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = tmp_path / "copy"
    copy.mkdir()
    for name in ("Cargo.toml", "Cargo.lock"):
        (copy / name).write_text((project.root / name).read_text())
    (copy / "src").mkdir()
    (copy / "src" / "lib.rs").write_text("")
    (copy / ".cargo").mkdir()
    config = (project.root / ".cargo" / "config.toml").read_text()
    (copy / ".cargo" / "config.toml").write_text(
        config.replace('directory = "vendor', f'directory = "{project.root}/vendor')
    )
    code, _, err = run_cli(
        ["check", "--manifest-path", str(copy / "Cargo.toml"), "--offline", "bans"], capsys
    )
    assert code == 0
    assert err == f"cratewatch: warning: {copy}: no deny.toml found; using the defaults\n"
