"""``cratewatch audit`` end to end on the demo project, the real advisory-db and real lockfiles."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from cratewatch.cli.errors import EXIT_DB_ERROR, EXIT_FINDINGS, EXIT_OK, EXIT_USAGE
from cratewatch.report.audit_json import load_schema
from tests.cli_runner import run_cli
from tests.conftest import REPO_ROOT

DEMO = REPO_ROOT / "examples" / "demo-project"

# Checked by hand against the advisory files: each locked version is below the patched range.
DEMO_VULNERABILITIES = {
    ("time", "0.1.43", "RUSTSEC-2020-0071"),
    ("chrono", "0.4.13", "RUSTSEC-2020-0159"),
    ("smallvec", "1.4.1", "RUSTSEC-2021-0003"),
    ("regex", "1.3.9", "RUSTSEC-2022-0013"),
    ("thread_local", "1.0.1", "RUSTSEC-2022-0006"),
    ("tokio", "0.2.21", "RUSTSEC-2021-0124"),
}


@pytest.fixture(scope="module")
def db_args(real_db_args: list[str]) -> list[str]:
    return [*real_db_args, "--stale", "ignore", "--no-yanked"]


def audit_json(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any]]:
    code, out, err = run_cli(["audit", *args, "--format", "json"], capsys)
    assert "Traceback" not in err
    return code, json.loads(out)


def test_demo_project_reports_known_vulnerabilities(
    db_args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, report = audit_json([str(DEMO), *db_args], capsys)
    jsonschema.validate(report, load_schema())
    assert code == EXIT_FINDINGS
    found = {
        (f["package"]["name"], f["package"]["version"], f["id"])
        for f in report["findings"]
        if f["kind"] == "vulnerability"
    }
    assert found >= DEMO_VULNERABILITIES
    assert report["lockfile"] == {"path": str(DEMO / "Cargo.lock"), "package_count": 75}
    assert report["summary"]["failing"] == report["summary"]["reported"]["vulnerability"]
    time_finding = next(f for f in report["findings"] if f["id"] == "RUSTSEC-2020-0071")
    assert ["demo-service 0.1.0", "time 0.1.43"] in time_finding["paths"]
    assert ["demo-service 0.1.0", "chrono 0.4.13", "time 0.1.43"] in time_finding["paths"]
    assert time_finding["severity"] == {
        "cvss": "CVSS:3.1/AV:L/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H",
        "score": 6.2,
        "rating": "medium",
    }
    assert time_finding["patched"] == [">=0.2.23"]
    assert "CVE-2020-26235" in time_finding["aliases"]


def test_ignoring_every_vulnerability_exits_zero_and_reports_unused_ignores(
    db_args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    _, report = audit_json([str(DEMO), *db_args], capsys)
    ids = sorted({f["id"] for f in report["findings"] if f["kind"] == "vulnerability"})
    ignores = [arg for i in [*ids, "RUSTSEC-2000-0000"] for arg in ("--ignore", i)]
    code, report = audit_json([str(DEMO), *db_args, *ignores], capsys)
    assert code == EXIT_OK
    assert {f["status"] for f in report["findings"] if f["kind"] == "vulnerability"} == {"ignored"}
    assert [u["id"] for u in report["unused_ignores"]] == ["RUSTSEC-2000-0000"]


def test_deny_unmaintained_fails_on_informational_findings(
    db_args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    _, plain = audit_json([str(DEMO), *db_args], capsys)
    _, denied = audit_json([str(DEMO), *db_args, "--deny", "unmaintained"], capsys)
    unmaintained = plain["summary"]["reported"]["unmaintained"]
    assert unmaintained > 0
    assert denied["summary"]["failing"] == plain["summary"]["failing"] + unmaintained


def test_config_file_ignore_with_expiry(
    db_args: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = tmp_path / "project"
    shutil.copytree(DEMO, project)
    (project / ".cargo").mkdir()
    (project / ".cargo" / "audit.toml").write_text(
        "[advisories]\nignore = [\n"
        '  { id = "RUSTSEC-2020-0071", reason = "no TZ changes", until = 2999-01-01 },\n'
        '  { id = "RUSTSEC-2020-0159", reason = "old", until = 2020-01-01 },\n]\n'
    )
    _, report = audit_json([str(project), *db_args], capsys)
    by_id = {f["id"]: f for f in report["findings"]}
    assert by_id["RUSTSEC-2020-0071"]["status"] == "ignored"
    assert by_id["RUSTSEC-2020-0071"]["note"].endswith(": no TZ changes")
    assert by_id["RUSTSEC-2020-0159"]["status"] == "reported"
    assert by_id["RUSTSEC-2020-0159"]["note"].startswith("ignore expired on 2020-01-01")


def test_lockfile_on_stdin(
    db_args: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    data = (DEMO / "Cargo.lock").read_bytes()
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(data)))
    code, report = audit_json(["-", *db_args], capsys)
    assert code == EXIT_FINDINGS
    assert report["inputs"] == [{"path": "-", "kind": "lockfile", "package_count": 75}]


def test_recursive_combines_every_lockfile(
    db_args: list[str], shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("sharkdp__fd", "BurntSushi__ripgrep@11.0.2"):
        target = tmp_path / "mono" / name
        target.mkdir(parents=True)
        shutil.copy(shared_data / "lockfiles" / name / "Cargo.lock", target / "Cargo.lock")
    (tmp_path / "mono" / "target").mkdir()
    (tmp_path / "mono" / "target" / "Cargo.lock").write_text("not a lockfile")
    code, report = audit_json(["--recursive", str(tmp_path / "mono"), *db_args], capsys)
    assert [Path(i["path"]).parent.name for i in report["inputs"]] == [
        "BurntSushi__ripgrep@11.0.2",
        "sharkdp__fd",
    ]
    assert report["lockfile"]["path"] is None
    assert report["lockfile"]["package_count"] == sum(i["package_count"] for i in report["inputs"])
    assert {f["input"] for f in report["findings"]} <= {i["path"] for i in report["inputs"]}
    assert code in (EXIT_OK, EXIT_FINDINGS)
    assert code == (EXIT_FINDINGS if report["summary"]["failing"] else EXIT_OK)


def test_sarif_points_at_the_package_line(
    db_args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run_cli(["audit", str(DEMO), *db_args, "--format", "sarif"], capsys)
    assert code == EXIT_FINDINGS
    sarif = json.loads(out)
    assert sarif["version"] == "2.1.0"
    (sarif_run,) = sarif["runs"]
    rules = {r["id"]: r for r in sarif_run["tool"]["driver"]["rules"]}
    assert rules["RUSTSEC-2020-0071"]["properties"]["security-severity"] == "6.2"
    result = next(r for r in sarif_run["results"] if r["ruleId"] == "RUSTSEC-2020-0071")
    assert result["level"] == "error"
    location = result["locations"][0]["physicalLocation"]
    lines = (DEMO / "Cargo.lock").read_text().splitlines()
    line = location["region"]["startLine"]
    assert lines[line - 1] == "[[package]]"
    assert lines[line] == 'name = "time"'
    assert sarif_run["results"][result["ruleIndex"]] is not None


def test_markdown_and_human_reports(
    db_args: list[str], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, _ = run_cli(["audit", str(DEMO), *db_args, "--format", "markdown"], capsys)
    assert code == EXIT_FINDINGS
    assert out.startswith("# cratewatch audit\n")
    assert "| time | 0.1.43 | vulnerability | [RUSTSEC-2020-0071]" in out
    report_file = tmp_path / "report.txt"
    code, out, _ = run_cli(["audit", str(DEMO), *db_args, "-o", str(report_file)], capsys)
    assert (code, out) == (EXIT_FINDINGS, "")
    text = report_file.read_text()
    assert "RUSTSEC-2020-0071 (CVE-2020-26235, GHSA-wcg3-cvx6-7396)" in text
    assert "Upgrade to >=0.2.23" in text
    assert "time 0.1.43 <- demo-service 0.1.0" in text
    assert "vulnerabilities" in text.splitlines()[-1]


def test_manifest_without_lockfile_suggests_generate_lockfile(
    db_args: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "Cargo.toml").write_text('[package]\nname = "x"\nversion = "0.1.0"\n')
    code, _, err = run_cli(["audit", str(tmp_path), *db_args], capsys)
    assert code == EXIT_USAGE
    assert err == (
        f"cratewatch: error: {tmp_path}: has a Cargo.toml but no Cargo.lock; run "
        "`cargo generate-lockfile` there first, or pass --generate-lockfile\n"
    )


def test_malformed_lockfile_is_one_line_naming_the_field(
    db_args: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lock = tmp_path / "Cargo.lock"
    lock.write_text('version = 3\n\n[[package]]\nname = "foo"\nversion = "x.y"\n')
    code, _, err = run_cli(["audit", str(lock), *db_args], capsys)
    assert code == EXIT_USAGE
    assert err.startswith(f"cratewatch: error: {lock}: package[0].version: ")
    assert err.count("\n") == 1


def test_unloadable_database_exits_3(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["audit", str(DEMO), "--db", str(tmp_path / "missing"), "--cache-dir", str(tmp_path)]
    code, _, err = run_cli([*args, "--no-yanked"], capsys)
    assert code == EXIT_DB_ERROR
    assert err.startswith("cratewatch: error: ")
    assert "Traceback" not in err


def test_help_documents_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(["audit", "--help"], capsys)
    assert code == 0
    for line in (
        "0  nothing that fails",
        "1  findings that fail",
        "2  bad input",
        "3  the advisory",
    ):
        assert line in out


def test_fix_plan_on_the_2020_index_names_the_blockers(
    db_args: list[str], shared_data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    index = str(shared_data / "crates-io-index-2020.bundle")
    code, report = audit_json([str(DEMO), *db_args, "--fix-plan", "--index", index], capsys)
    jsonschema.validate(report, load_schema())
    assert code == EXIT_FINDINGS
    steps = {step["name"]: step for step in report["fix_plan"]}
    # time 0.2.0 is listed unaffected by RUSTSEC-2020-0071, but chrono 0.4.13, hyper 0.13.7
    # and the project itself ask for ^0.1, so the fix is a semver-incompatible upgrade.
    assert steps["time"]["status"] == "blocked"
    assert steps["time"]["fixed"] == "0.2.0"
    assert {(b["dependent"], b["requirement"]) for b in steps["time"]["blockers"]} == {
        ("chrono 0.4.13", "^0.1.43"),
        ("hyper 0.13.7", "^0.1"),
        ("demo-service 0.1.0", "^0.1"),
    }
    # The 2020 snapshot predates the regex 1.5.5 fix of RUSTSEC-2022-0013.
    assert steps["regex"]["status"] == "no-fix"


@pytest.mark.skipif(shutil.which("cargo") is None, reason="needs cargo on PATH")
def test_generate_lockfile_runs_cargo_first(
    db_args: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "lib.rs").write_text("")
    (tmp_path / "Cargo.toml").write_text('[package]\nname = "solo"\nversion = "0.1.0"\n')
    code, report = audit_json([str(tmp_path), *db_args, "--generate-lockfile"], capsys)
    assert code == EXIT_OK
    assert (tmp_path / "Cargo.lock").is_file()
    assert report["lockfile"] == {"path": str(tmp_path / "Cargo.lock"), "package_count": 1}
