"""``cratewatch db update|info`` and ``cratewatch advisories list`` end to end, on real git
repositories, through the real entry point (exit codes and one-line errors included).
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import click
import pytest

from cratewatch.cli.advisories import advisories
from cratewatch.cli.db import db
from cratewatch.cli.errors import EXIT_DB_ERROR
from tests.advisories.gitrepo import add_advisory, git, make_db_repo
from tests.cli_runner import run_cli

DAY = 86_400
_RECENT = int(time.time()) - 3 * DAY


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A fixture database committed three days ago (fresh)."""
    path = tmp_path / "advisory-db"
    make_db_repo(path, when=_RECENT)
    return path


def _head(repo: Path) -> str:
    return git(repo, "rev-parse", "HEAD").strip()


def test_db_update_clones_then_fetches(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = repo.as_uri()
    args = ["db", "update", "--db", url, "--cache-dir", str(tmp_path / "cache")]
    first = _head(repo)
    assert run_cli(args, capsys) == (0, f"Cloned {url} at {first[:12]} (6 advisories).\n", "")
    assert run_cli(args, capsys) == (
        0,
        f"{url} is up to date at {first[:12]} (6 advisories).\n",
        "",
    )
    second = add_advisory(repo, "newcrate", "RUSTSEC-2024-0100", when=_RECENT + 60)
    assert run_cli(args, capsys) == (
        0,
        f"Updated {url}: {first[:12]} -> {second[:12]} (7 advisories).\n",
        "",
    )


def test_db_update_of_a_local_checkout_only_reads_it(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["db", "update", "--db", str(repo), "--cache-dir", str(tmp_path / "cache")]
    assert run_cli(args, capsys) == (
        0,
        f"{repo}: not fetched (a local checkout is used as it is); 6 advisories.\n",
        "",
    )


def test_db_info_json(repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["db", "info", "--db", str(repo), "--cache-dir", str(tmp_path / "c"), "--format", "json"]
    code, out, err = run_cli(args, capsys)
    assert (code, err) == (0, "")
    data = json.loads(out)
    assert data["source"] == str(repo)
    assert data["commit"] == _head(repo)
    assert data["last_commit_time"] == time.strftime(
        "%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(_RECENT)
    )
    assert data["staleness"] == {"status": "fresh", "age_days": 3}
    assert data["counts"] == {
        "vulnerability": 2,
        "unsound": 1,
        "unmaintained": 1,
        "notice": 1,
        "other": 1,
    }
    assert (data["total"], data["withdrawn"], data["skipped"]) == (6, 1, [])
    assert data["cache"]["status"] == "built"
    assert data["fetch"] == {"status": "not fetched", "reason": "a local checkout is used as it is"}
    _, again, _ = run_cli(args, capsys)
    assert json.loads(again)["cache"]["status"] == "hit"


def test_db_info_human(repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(["db", "info", "--db", str(repo), "--cache-dir", str(tmp_path)], capsys)
    assert code == 0
    rows = dict(re.split(r"\s{2,}", line.strip(), maxsplit=1) for line in out.splitlines())
    assert rows["Source"] == rows["Checkout"] == str(repo)
    assert rows["Commit"] == _head(repo)
    assert rows["Age"] == "3 days (fresh)"
    assert (rows["Advisories"], rows["unsound"], rows["withdrawn"]) == ("6", "1", "1")
    assert rows["Skipped files"] == "0"
    assert rows["Compiled cache"].startswith("built: ")


def test_stale_database_warns_or_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old = tmp_path / "old-db"
    make_db_repo(old, when=int(time.time()) - 100 * DAY - 60)
    base = ["db", "info", "--db", str(old), "--cache-dir", str(tmp_path / "c")]
    message = (
        f"{old}: the advisory database is stale: its last commit is 100 days old, more than 90 "
        "(run `cratewatch db update`, or pass --stale-days)"
    )
    code, out, err = run_cli([*base, "--format", "json"], capsys)
    assert (code, err) == (0, f"cratewatch: warning: {message}\n")
    assert json.loads(out)["staleness"] == {"status": "stale", "age_days": 100, "max_age_days": 90}
    assert run_cli([*base, "--stale", "fail"], capsys) == (
        EXIT_DB_ERROR,
        "",
        f"cratewatch: error: {message}\n",
    )
    assert run_cli([*base, "--stale", "ignore", "--format", "json"], capsys)[2] == ""
    assert (
        run_cli([*base, "--stale", "fail", "--stale-days", "120", "--format", "json"], capsys)[0]
        == 0
    )


def test_no_fetch_without_a_cached_copy_fails_with_exit_3(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = repo.as_uri()
    args = ["db", "info", "--db", url, "--cache-dir", str(tmp_path), "--no-fetch"]
    code, out, err = run_cli(args, capsys)
    assert (code, out) == (EXIT_DB_ERROR, "")
    assert err.startswith(f"cratewatch: error: {url}: no cached copy of the advisory database in ")
    assert err.count("\n") == 1


def test_bad_db_argument_and_broken_advisory_are_one_line_errors(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "missing"
    assert run_cli(["db", "info", "--db", str(missing), "--cache-dir", str(tmp_path)], capsys) == (
        EXIT_DB_ERROR,
        "",
        f"cratewatch: error: {missing}: not an advisory database: expected a directory, a git "
        "bundle file or a git URL\n",
    )
    path = repo / "crates" / "foo" / "RUSTSEC-2020-0001.md"
    path.write_text(path.read_text().replace('">= 1.3.4"', '">= 1.3.4.5"'))
    code, _, err = run_cli(["db", "info", "--db", str(repo), "--cache-dir", str(tmp_path)], capsys)
    assert (code, err) == (
        EXIT_DB_ERROR,
        f"cratewatch: error: {repo}: 1 advisory file(s) could not be parsed: "
        "crates/foo/RUSTSEC-2020-0001.md: versions.patched[1]: invalid version requirement "
        "'>= 1.3.4.5': expected comma after patch version number, found '.'\n",
    )


@pytest.mark.parametrize(
    ("extra", "ids"),
    [
        (
            [],
            [
                "RUSTSEC-2020-0001",
                "CVE-2021-28877",
                "RUSTSEC-2022-0003",
                "RUSTSEC-2023-0004",
                "RUSTSEC-2024-0005",
            ],
        ),
        (["--include-withdrawn", "--crate", "foo"], ["RUSTSEC-2020-0001", "RUSTSEC-2021-0002"]),
        (["--crate", "foo"], ["RUSTSEC-2020-0001"]),
        (["--kind", "notice"], ["RUSTSEC-2023-0004"]),
        (["--kind", "unsound"], []),
        (["--kind", "unsound", "--include-withdrawn"], ["RUSTSEC-2021-0002"]),
        (["--crate", "nothing"], []),
    ],
)
def test_advisories_list_json(
    repo: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    ids: list[str],
) -> None:
    args = ["advisories", "list", "--db", str(repo), "--cache-dir", str(tmp_path), *extra]
    code, out, err = run_cli([*args, "--format", "json"], capsys)
    assert (code, err) == (0, "")
    assert [a["id"] for a in json.loads(out)] == ids


def test_advisories_list_json_fields(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["advisories", "list", "--db", str(repo), "--cache-dir", str(tmp_path)]
    _, out, _ = run_cli([*args, "--crate", "baz", "--format", "json"], capsys)
    assert json.loads(out) == [
        {
            "id": "RUSTSEC-2023-0004",
            "package": "baz",
            "kind": "notice",
            "informational": "notice",
            "date": "2023-10-10",
            "title": "Security notice about baz's default features",
            "url": None,
            "aliases": [],
            "related": [],
            "categories": [],
            "keywords": [],
            "cvss": {
                "vector": "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
                "version": "4.0",
                "score": 9.3,
                "severity": "critical",
            },
            "withdrawn": None,
            "patched": ["^0.9.5", ">=1.0.1"],
            "unaffected": ["=1.0.0-alpha.1"],
            "license": "CC0-1.0",
            "collection": "crates",
            "path": "crates/baz/RUSTSEC-2023-0004.md",
        }
    ]


def test_advisories_list_human(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["advisories", "list", "--db", str(repo), "--cache-dir", str(tmp_path)]
    code, out, _ = run_cli([*args, "--crate", "foo", "--include-withdrawn"], capsys)
    assert code == 0
    lines = [line.rstrip() for line in out.splitlines()]
    assert lines[0].split() == ["ID", "Crate", "Kind", "Date", "Severity", "Title"]
    assert lines[1].split() == [
        "RUSTSEC-2020-0001",
        "foo",
        "vulnerability",
        "2020-01-31",
        "critical",
        "9.8",
        "Heap",
        "overflow",
        "in",
        "`foo::Buffer::with_capacity`",
    ]
    assert lines[2].endswith("`foo::Shared` is `Sync` for every `T` (withdrawn 2021-07-15)")
    assert lines[3] == "2 advisories"
    _, none, _ = run_cli([*args, "--crate", "nothing"], capsys)
    assert none == "No advisories match.\n"


def test_environment_gives_the_defaults(
    repo: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cache = tmp_path / "env-cache"
    monkeypatch.setenv("CRATEWATCH_ADVISORY_DB", repo.as_uri())
    monkeypatch.setenv("CRATEWATCH_CACHE_DIR", str(cache))
    code, out, _ = run_cli(["db", "info", "--format", "json"], capsys)
    assert code == 0
    assert json.loads(out)["source"] == repo.as_uri()
    assert (cache / "advisory-db").is_dir()


def test_shared_bundle_beside_the_project_is_the_default(
    repo: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bundle = tmp_path / "shared" / "data" / "advisory-db.bundle"
    bundle.parent.mkdir(parents=True)
    git(repo, "bundle", "create", "--quiet", str(bundle), "HEAD", "main")
    project = tmp_path / "project"
    project.mkdir()
    monkeypatch.chdir(project)
    monkeypatch.delenv("CRATEWATCH_ADVISORY_DB", raising=False)
    args = ["db", "info", "--cache-dir", str(tmp_path / "c"), "--format", "json"]
    code, out, _ = run_cli(args, capsys)
    assert code == 0
    data = json.loads(out)
    assert (data["source"], data["commit"]) == (str(bundle), _head(repo))
    assert data["fetch"]["status"] == "cloned"


@pytest.mark.parametrize(
    "command",
    [db.commands["update"], db.commands["info"], advisories.commands["list"]],
    ids=["db update", "db info", "advisories list"],
)
def test_every_option_is_documented(command: click.Command) -> None:
    assert command.help
    for param in command.params:
        if isinstance(param, click.Option):
            assert param.help, f"{command.name}: {param.opts} has no help"
