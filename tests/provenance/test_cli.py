"""``cratewatch provenance CRATE``: formats, exit statuses, registry downloads, hostile input."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner
from pytest_httpserver import HTTPServer

from cratewatch.cli.main import cli, main
from cratewatch.provenance.report import load_schema
from cratewatch.registry.paths import index_path
from tests.provenance.world import World


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Runner:
    """Run ``cratewatch provenance ...`` through the real entry point: (status, out, err)."""

    def invoke(world: World, tmp_path: Path, *args: str) -> tuple[int, str, str]:
        with pytest.raises(SystemExit) as exited:
            main(
                [
                    "provenance",
                    *args,
                    "--cache-dir",
                    str(tmp_path / "cache"),
                    "--url-rewrite",
                    "=".join(world.rewrite),
                ]
            )
        captured = capsys.readouterr()
        code = exited.value.code
        return code if isinstance(code, int) else 1, captured.out, captured.err

    return invoke


Runner = Callable[..., tuple[int, str, str]]


@pytest.mark.parametrize(
    ("scenario", "code"),
    [
        ("core", 0),
        ("nosym-cli", 0),
        ("modified-core", 1),
        ("dirty-core", 1),
        ("loose", 4),
        ("norepo", 4),
        ("unpushed-core", 4),
        ("badinfo-core", 4),
    ],
)
def test_exit_status_and_json(
    world: World, tmp_path: Path, run: Runner, scenario: str, code: int
) -> None:
    exit_code, output, _ = run(world, tmp_path, str(world.crates[scenario]), "--format", "json")
    assert exit_code == code, output
    document = json.loads(output)
    jsonschema.validate(document, load_schema())
    assert document["crate"]["origin"] == str(world.crates[scenario])


def test_human_report_with_diff(world: World, tmp_path: Path, run: Runner) -> None:
    code, output, _ = run(world, tmp_path, "check", str(world.crates["modified-core"]))
    assert code == 1
    lines = output.splitlines()
    assert lines[0] == "core 0.1.0  mismatch"
    assert f"  commit      {world.ws_commit}" in lines
    assert "  package     crates/core (path_in_vcs)" in lines
    assert "  files       7: 3 match, 3 generated, 1 differs" in lines
    assert "    differs        src/lib.rs" in lines
    assert "+pub fn exfiltrate() { /* not in the repository */ }" in output
    assert "  not in the crate (information): notes.txt" in lines
    code, quiet, _ = run(world, tmp_path, str(world.crates["modified-core"]), "--no-diff")
    assert "+pub fn" not in quiet


def test_repo_option_and_output_file(world: World, tmp_path: Path, run: Runner) -> None:
    report = tmp_path / "report.json"
    code, output, _ = run(
        world,
        tmp_path,
        str(world.crates["norepo"]),
        "--repo",
        str(world.root / "work" / "ws"),
        "--format",
        "json",
        "-o",
        str(report),
    )
    assert (code, output) == (0, "")
    assert json.loads(report.read_text())["status"] == "match"


def test_hostile_archive_is_an_error(world: World, tmp_path: Path, run: Runner) -> None:
    crate = tmp_path / "evil-0.1.0.crate"
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        info = tarfile.TarInfo("evil-0.1.0/../../escaped.rs")
        info.size = 2
        tar.addfile(info, io.BytesIO(b"//"))
    crate.write_bytes(buffer.getvalue())
    code, output, err = run(world, tmp_path, str(crate))
    assert (code, output) == (2, "")
    assert err == (
        f"cratewatch: error: {crate}: member 'evil-0.1.0/../../escaped.rs': '..' in path\n"
    )
    assert not (tmp_path.parent / "escaped.rs").exists()


def test_name_at_version_from_a_registry(
    world: World, httpserver: HTTPServer, tmp_path: Path, run: Runner
) -> None:
    data = world.crates["cli"].read_bytes()
    httpserver.expect_request("/crates/cli/cli-0.2.0.crate").respond_with_data(data)
    index = tmp_path / "index"
    (index / index_path("cli")).parent.mkdir(parents=True)
    (index / "config.json").write_text(
        json.dumps({"dl": httpserver.url_for("/crates/{crate}/{crate}-{version}.crate")})
    )
    entry = {"name": "cli", "vers": "0.2.0", "deps": [], "features": {}, "yanked": False}
    good = {**entry, "cksum": hashlib.sha256(data).hexdigest()}
    (index / index_path("cli")).write_text(json.dumps(good) + "\n")
    code, output, err = run(world, tmp_path, "cli@0.2.0", "--index", str(index), "--format", "json")
    assert code == 0, output
    document = json.loads(output)
    assert document["crate"]["origin"] == httpserver.url_for("/crates/cli/cli-0.2.0.crate")
    assert document["crate"]["checksum"] == f"sha256 {good['cksum']} (verified)"
    # a registry that serves other bytes than the index records
    (index / index_path("cli")).write_text(json.dumps({**entry, "cksum": "1" * 64}) + "\n")
    code, output, err = run(world, tmp_path / "other", "cli@0.2.0", "--index", str(index))
    assert code == 2
    (line,) = [x for x in err.splitlines() if x.startswith("cratewatch:")]  # werkzeug logs too
    assert line.startswith("cratewatch: error: http://")
    assert f"expected {'1' * 64}" in line


def test_bad_input(world: World, tmp_path: Path, run: Runner) -> None:
    code, _, err = run(world, tmp_path, "no-such-thing")
    assert code == 2
    assert err == (
        "cratewatch: error: no-such-thing: no such file or directory, and not NAME@VERSION "
        "(e.g. serde@1.0.200)\n"
    )
    code, _, err = run(world, tmp_path, str(world.crates["core"]), "--url-rewrite", "nothing")
    assert code == 2
    assert "'nothing': expected FROM=TO" in err


def test_group_help_lists_the_subcommands() -> None:
    result = CliRunner().invoke(cli, ["provenance", "--help"])
    assert result.exit_code == 0
    for command in ("batch", "check", "site"):
        assert f"  {command} " in result.output
