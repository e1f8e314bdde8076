"""``cratewatch index versions`` end to end on the fixture index (directory and git)."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest

from cratewatch.cli.errors import EXIT_USAGE
from cratewatch.cli.index import index as index_group
from cratewatch.cli.index import versions
from tests.cli_runner import run_cli
from tests.registry.conftest import FIXTURE_INDEX, make_index_repo


def _versions(*args: str) -> list[str]:
    return ["index", "versions", *args, "--index", str(FIXTURE_INDEX)]


def test_json_lists_entries_with_the_index_field_names(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run_cli(_versions("demo", "--format", "json"), capsys)
    assert (code, err) == (0, "")
    entries = json.loads(out)
    assert [e["vers"] for e in entries] == ["0.1.0", "0.2.0", "1.0.0-beta.1"]
    assert entries[1] == {
        "name": "Demo",
        "vers": "0.2.0",
        "deps": [
            {
                "name": "syn1",
                "package": "syn",
                "req": "=1.0.0",
                "kind": "normal",
                "target": None,
                "optional": True,
                "default_features": True,
                "features": [],
                "registry": None,
            },
            {
                "name": "ext",
                "package": "ext",
                "req": "^2",
                "kind": "normal",
                "target": None,
                "optional": False,
                "default_features": True,
                "features": [],
                "registry": "https://other.example.test/index",
            },
        ],
        "features": {"default": ["old"], "old": []},
        "yanked": True,
        "links": "demo-sys",
        "rust_version": None,
        "cksum": "56c936cfd179597c655d33904d10fce1b59244097658d94d453d278b6176f0b4",
        "v": 1,
    }
    assert entries[2]["features"]["parse"] == ["dep:syn"]  # features2 merged
    assert entries[2]["v"] == 2


def test_yanked_versions_can_be_left_out(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run_cli(_versions("demo", "--format", "json", "--no-include-yanked"), capsys)
    assert [e["vers"] for e in json.loads(out)] == ["0.1.0", "1.0.0-beta.1"]


def test_human_table(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(_versions("Demo"), capsys)
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == f"Demo in {FIXTURE_INDEX}"
    rows = [line.strip("│ ").split("│") for line in lines if line.startswith("│")]
    assert [[cell.strip() for cell in row] for row in rows] == [
        ["0.1.0", "", "1", "0", "", "", "2e2922db1c22"],
        ["0.2.0", "yanked", "2", "2", "", "demo-sys", "56c936cfd179"],
        ["1.0.0-beta.1", "", "1", "3", "1.60", "", "7a74a052bae8"],
    ]


def test_git_index(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_index_repo(tmp_path / "repo")
    args = ["index", "versions", "syn", "--index", str(tmp_path / "repo"), "--format", "json"]
    code, out, _ = run_cli(args, capsys)
    assert code == 0
    assert [e["vers"] for e in json.loads(out)] == ["1.0.0", "1.0.1"]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (
            "../etc/passwd",
            "crate name '../etc/passwd': only ASCII letters, digits, '-' and '_' are allowed",
        ),
        ("9lives", "crate name '9lives': must start with an ASCII letter"),
    ],
)
def test_a_bad_name_is_one_line_and_exit_2(
    name: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_cli(_versions(name), capsys)
    assert (code, out) == (EXIT_USAGE, "")
    assert err == f"cratewatch: error: {message}\n"


def test_a_bad_name_fails_before_any_network_use(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["index", "versions", "a/b", "--cache-dir", str(tmp_path)]  # default: crates.io
    code, _, err = run_cli(args, capsys)
    assert code == EXIT_USAGE
    assert err.startswith("cratewatch: error: crate name 'a/b'")
    assert not any(tmp_path.iterdir())


def test_unknown_crate(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(_versions("serde"), capsys)
    assert code == EXIT_USAGE
    assert err == f"cratewatch: error: crate 'serde': not found in {FIXTURE_INDEX}\n"


def test_offline_sparse_without_cache(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["index", "versions", "serde", "--offline", "--cache-dir", str(tmp_path)]
    code, _, err = run_cli(args, capsys)
    assert code == EXIT_USAGE
    assert err.startswith(
        "cratewatch: error: crate 'serde': not in the offline cache of "
        "sparse+https://index.crates.io/"
    )
    assert err.endswith("run once without --offline to fill it\n")


def test_every_option_is_documented() -> None:
    assert index_group.help
    for param in versions.params:
        if isinstance(param, click.Option):
            assert param.help, param.name
