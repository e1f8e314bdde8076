"""``cratewatch typosquat`` end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cratewatch.cli.errors import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE
from tests.cli_runner import run_cli
from tests.conftest import ASSETS
from tests.inspect.gitindex import init_index, line, publish

CSV = str(ASSETS / "typosquat" / "downloads.csv")


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    return run_cli(["typosquat", *args], capsys)


def test_named_crates_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(["rustdecimal", "tokio", "--popularity", CSV, "--format", "json"], capsys)
    assert (code, err) == (EXIT_FINDINGS, "")
    report = json.loads(out)
    assert report["schema"] == "cratewatch-typosquat/1"
    assert report["popularity"] == {"kind": "downloads", "source": f"download counts from {CSV}"}
    assert report["checked"] == 2
    (suspect,) = report["suspects"]
    assert suspect["name"] == "rustdecimal"
    assert suspect["candidates"][0] == {
        "target": "rust_decimal",
        "kind": "separator-dropped",
        "edit": "drops the separators of rust_decimal",
        "distance": 1,
        "target_popularity": 50_000_000,
        "name_popularity": 120,
        "gap": 416666.7,
        "target_first_seen": None,
        "name_first_seen": None,
        "score": 0.9,
    }


def test_human_output_and_clean_exit(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(["c1ap", "--popularity", CSV], capsys)
    assert code == EXIT_FINDINGS
    assert out.splitlines() == [
        "c1ap",
        "  0.95  clap  homoglyph: swaps look-alike characters of clap  (250,000,000 downloads vs "
        "unknown)",
        f"1 name checked against download counts from {CSV}; 1 looks like a popular crate",
    ]
    code, out, _ = _run(["completely-unrelated", "--popularity", CSV], capsys)
    assert code == EXIT_OK
    assert out.endswith("0 look like a popular crate\n")


def test_scan_new_crates_from_git_history(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = tmp_path / "index"
    init_index(repo, "https://dl.example/", date="2024-01-01T00:00:00+00:00")
    publish(repo, [line("rust_decimal", "1.0.0")], date="2024-02-01T00:00:00+00:00")
    publish(repo, [line("rustdecimal", "1.23.1")], date="2024-05-02T00:00:00+00:00")
    publish(repo, [line("fresh-idea", "0.1.0")], date="2024-05-03T00:00:00+00:00")
    args = ["--scan", "--since", "2024-05-01", "--index", str(repo), "--popularity", CSV]
    code, out, _ = _run([*args, "--format", "json"], capsys)
    assert code == EXIT_FINDINGS
    report = json.loads(out)
    assert report["checked"] == 2
    assert report["notes"] == [
        f"2 crates first published since 2024-05-01 (dates from git history of {repo})"
    ]
    (suspect,) = report["suspects"]
    assert (suspect["name"], suspect["first_seen"]) == ("rustdecimal", "2024-05-02T00:00:00+00:00")


def test_scan_with_db_dump_dates(capsys: pytest.CaptureFixture[str]) -> None:
    dump = str(ASSETS / "typosquat" / "dump-2024")
    code, out, _ = _run(
        ["--scan", "--since", "2024-01-01", "--popularity", dump, "--format", "json"], capsys
    )
    assert code == EXIT_FINDINGS
    report = json.loads(out)
    (suspect,) = report["suspects"]
    assert (suspect["name"], suspect["first_seen"]) == ("serdee", "2024-06-02T11:00:00+00:00")
    assert suspect["candidates"][0]["target"] == "serde"
    assert suspect["candidates"][0]["target_first_seen"] == "2015-01-02T00:00:00+00:00"


def test_scan_on_a_snapshot_explains(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = tmp_path / "index"
    init_index(repo, "https://dl.example/", date="2024-01-01T00:00:00+00:00")
    code, out, err = _run(
        ["--scan", "--since", "2023-01-01", "--index", str(repo), "--popularity", CSV], capsys
    )
    assert (code, out) == (EXIT_USAGE, "")
    assert err.startswith(f"cratewatch: error: {repo}: cannot date publications since 2023-01-01")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["x"], "typosquat needs --popularity (download counts) or --index (to count reverse"),
        (["x", "--scan", "--since", "2024-01-01", "--popularity", CSV],
         "give NAMEs to check, or --scan --since DATE (not both)"),
        (["--scan", "--popularity", CSV], "--scan needs --since DATE"),
    ],
)  # fmt: skip
def test_bad_usage(args: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(args, capsys)
    assert code == EXIT_USAGE
    assert message in err


@pytest.mark.shared
def test_reverse_dependencies_of_the_2020_index(
    shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bundle = str(shared_data / "crates-io-index-2020.bundle")
    args = [
        "rustdecimal",
        "serde-jsno",
        "--index",
        bundle,
        "--cache-dir",
        str(tmp_path),
        "--format",
        "json",
    ]
    code, out, _ = _run(args, capsys)
    assert code == EXIT_FINDINGS
    report = json.loads(out)
    assert report["popularity"]["kind"] == "reverse-dependencies"
    assert report["notes"][0].startswith(
        "no --popularity given: popularity is the number of crates"
    )
    best = {s["name"]: s["candidates"][0] for s in report["suspects"]}
    assert (best["rustdecimal"]["target"], best["rustdecimal"]["kind"]) == (
        "rust_decimal",
        "separator-dropped",
    )
    assert (best["serde-jsno"]["target"], best["serde-jsno"]["kind"]) == ("serde_json", "edit")
    assert best["rustdecimal"]["target_popularity"] > 10
