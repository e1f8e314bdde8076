"""``cratewatch inspect`` end to end: formats, exit codes, registry downloads, lockfiles."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from cratewatch.cli.errors import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE
from tests.cli_runner import run_cli
from tests.crates import index_line, make_crate, manifest, sha256, write_index

CORPUS = Path(__file__).resolve().parent.parent / "assets" / "inspect"
EVIL = str(CORPUS / "malicious" / "finch-env-post")
GOOD = str(CORPUS / "benign" / "rustc-probe")


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    return run_cli(["inspect", *args], capsys)


def test_json_report_and_exit_code(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run([EVIL, GOOD, "--format", "json"], capsys)
    assert (code, err) == (EXIT_FINDINGS, "")
    report = json.loads(out)
    assert report["schema"] == "cratewatch-inspect/1"
    assert report["fail_on"] == "high"
    assert report["summary"]["crates"] == 2
    assert report["summary"]["failing"] == 1
    evil, good = report["crates"]
    assert (evil["name"], evil["max_severity"], evil["fails"]) == (
        "finch-env-post",
        "critical",
        True,
    )
    assert (good["name"], good["max_severity"], good["fails"]) == ("rustc-probe", "info", False)
    first = evil["signals"][0]
    assert first == {
        "id": "combo.exfiltration",
        "title": "Code reads secrets and reaches the network",
        "severity": "critical",
        "file": "build.rs",
        "line": 9,
        "end_line": 9,
        "role": "build-script",
        "excerpt": "let client = reqwest::blocking::Client::new();",
        "why": first["why"],
    }
    assert first["why"].endswith("(see build.rs:6).")


@pytest.mark.parametrize(
    ("target", "fail_on", "expected"),
    [
        (GOOD, "high", EXIT_OK),
        (GOOD, "info", EXIT_FINDINGS),
        (EVIL, "never", EXIT_OK),
        (EVIL, "critical", EXIT_FINDINGS),
    ],
)
def test_fail_on(
    target: str, fail_on: str, expected: int, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, _ = _run([target, "--fail-on", fail_on, "--format", "json"], capsys)
    assert code == expected


def test_human_report(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run([EVIL, GOOD, "--show", "medium"], capsys)
    assert code == EXIT_FINDINGS
    lines = out.splitlines()
    assert lines[0] == f"finch-env-post 0.1.0  {EVIL}  max critical"
    assert "  CRITICAL combo.exfiltration  build.rs:9  [build-script]" in lines
    assert "      │ let client = reqwest::blocking::Client::new();" in lines
    assert "  (2 below medium not shown)" in lines
    assert lines[-1] == "2 crates inspected; 1 at high or above: finch-env-post 0.1.0"


def test_sarif_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "out.sarif"
    code, out, _ = _run([EVIL, "--format", "sarif", "--output", str(target)], capsys)
    assert (code, out) == (EXIT_FINDINGS, "")
    log = json.loads(target.read_text(encoding="utf-8"))
    assert log["version"] == "2.1.0"
    (run,) = log["runs"]
    rule_ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert len(rule_ids) == len(set(rule_ids))
    first = run["results"][0]
    assert first["ruleId"] == "combo.exfiltration"
    assert rule_ids[first["ruleIndex"]] == "combo.exfiltration"
    assert first["level"] == "error"
    assert first["properties"]["security-severity"] == "9.5"
    location = first["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "finch-env-post-0.1.0/build.rs"
    assert location["region"]["startLine"] == 9
    levels = {r["ruleId"]: r["level"] for r in run["results"]}
    assert levels["build-deps.network"] == "warning"
    assert levels["env.dump"] == "note"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["no/such/crate"], "cratewatch: error: no/such/crate: no such file or directory, "
         "and not NAME@VERSION (e.g. serde@1.0.200)\n"),
        (["../x@1.0.0"], "cratewatch: error: ../x@1.0.0: no such file or directory, "
         "and not NAME@VERSION (e.g. serde@1.0.200)\n"),
    ],
)  # fmt: skip
def test_bad_input_is_one_line_and_exit_2(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(args, capsys)
    assert (code, out, err) == (EXIT_USAGE, "", message)


def test_nothing_to_inspect(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run([], capsys)
    assert code == EXIT_USAGE
    assert "name at least one CRATE or give --lockfile" in err


def test_name_at_version_downloads_once_then_works_offline(
    httpserver: HTTPServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = make_crate(
        "evil",
        "0.1.0",
        {
            "Cargo.toml": manifest("evil", "0.1.0"),
            "build.rs": 'fn main() { std::process::Command::new("curl"); }',
        },
    )
    httpserver.expect_oneshot_request("/evil/evil-0.1.0.crate").respond_with_data(data)
    index = write_index(
        tmp_path / "index",
        httpserver.url_for("/{crate}/{crate}-{version}.crate"),
        {"evil": [index_line("evil", "0.1.0", sha256(data))]},
    )
    args = ["evil@0.1.0", "--index", str(index), "--cache-dir", str(tmp_path / "c")]
    code, out, err = _run([*args, "--format", "json"], capsys)
    assert code == EXIT_FINDINGS, (out, err)
    report = json.loads(out)["crates"][0]
    assert report["checksum"] == f"sha256 {sha256(data)} (verified)"
    code, out, _ = _run([*args, "--format", "json", "--offline"], capsys)
    assert code == EXIT_FINDINGS
    assert json.loads(out)["crates"][0]["origin"] == str(
        tmp_path / "c" / "crates" / "evil-0.1.0.crate"
    )


def test_unknown_version_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    index = write_index(tmp_path / "index", "https://example.invalid/", {"evil": []})
    code, _, err = _run(["evil@1.0.0", "--index", str(index), "--offline"], capsys)
    assert code == EXIT_USAGE
    assert err == f"cratewatch: error: evil@1.0.0: no such version in {index}\n"


def test_lockfile_from_cargo_home(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = make_crate("dep", "1.0.0", {"Cargo.toml": manifest("dep", "1.0.0")})
    cache = tmp_path / "home" / "registry" / "cache" / "index.crates.io-1949cf8c6b5b557f"
    cache.mkdir(parents=True)
    (cache / "dep-1.0.0.crate").write_bytes(data)
    lock = tmp_path / "Cargo.lock"
    lock.write_text(
        'version = 4\n\n[[package]]\nname = "app"\nversion = "0.1.0"\ndependencies = ["dep"]\n\n'
        '[[package]]\nname = "dep"\nversion = "1.0.0"\n'
        'source = "registry+https://github.com/rust-lang/crates.io-index"\n'
        f'checksum = "{sha256(data)}"\n'
    )
    args = ["--lockfile", str(lock), "--cargo-home", str(tmp_path / "home"), "--offline"]
    code, out, _ = _run([*args, "--format", "json"], capsys)
    assert code == EXIT_OK
    (crate,) = json.loads(out)["crates"]
    assert (crate["name"], crate["checksum"]) == (
        "dep",
        f"sha256 {sha256(data)} (verified against Cargo.lock)",
    )


def test_help_explains_every_option(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(["--help"], capsys)
    assert code == EXIT_OK
    for option in ("--lockfile", "--format", "--fail-on", "--show", "--index", "--cache-dir",
                   "--offline", "--cargo-home", "--output"):  # fmt: skip
        assert option in out
    assert "Exit status:" in out
