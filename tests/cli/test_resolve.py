"""``cratewatch resolve`` end to end through the real entry point, against real Cargo.

The index is a real git repository (the resolver scenarios' registry); expected answers come
from ``cargo generate-lockfile`` on that same repository, never from literals.
"""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest

from cratewatch.cli.resolve import resolve
from cratewatch.resolver import RootRequest
from tests.cli_runner import run_cli
from tests.resolver.cargo_harness import CARGO, CargoFailed, LocalRegistry
from tests.resolver.scenarios import CASES, INDEX, LINUX, Case, R, cargo_answer

pytestmark = pytest.mark.skipif(CARGO is None, reason="cargo is not on PATH")


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> LocalRegistry:
    return LocalRegistry.create(tmp_path_factory.mktemp("registry"), INDEX)


def _batch_line(request: RootRequest) -> str:
    text = request.describe()
    if request.features:
        text += " features=" + ",".join(request.features)
    if request.all_features:
        text += " all-features"
    if not request.default_features:
        text += " no-default-features"
    return text


def _as_set(packages: list[dict[str, str]]) -> frozenset[str]:
    return frozenset(f"{p['name']}@{p['version']}" for p in packages)


def test_batch_answers_like_cargo_in_input_order(
    registry: LocalRegistry, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cases = [c for c in CASES if c.target is None and not c.request.include_dev]
    batch = tmp_path / "roots.txt"
    batch.write_text("# roots\n\n" + "\n".join(_batch_line(c.request) for c in cases) + "\n")
    code, out, err = run_cli(
        ["resolve", "--batch", str(batch), "--index", str(registry.index), "--format", "json"],
        capsys,
    )
    assert (code, err) == (0, "")
    answers = [json.loads(text) for text in out.splitlines()]
    assert len(answers) == len(cases)
    for case, answer in zip(cases, answers, strict=True):
        assert answer["root"] == {"name": case.request.name, "version": case.request.version}
        expected = cargo_answer(registry, case)
        if isinstance(expected, CargoFailed):
            assert answer["packages"] == [], case.id
            assert isinstance(answer["error"], str), case.id
            assert answer["error"], case.id
        else:
            assert answer["error"] is None, (case.id, answer["error"])
            assert _as_set(answer["packages"]) == expected, case.id


def test_single_root_prints_the_sorted_package_set(
    registry: LocalRegistry, capsys: pytest.CaptureFixture[str]
) -> None:
    case = next(c for c in CASES if c.id == "duplicates")
    code, out, err = run_cli(
        ["resolve", "droot@1.0.0", "--index", str(registry.index), "--format", "json"], capsys
    )
    assert (code, err) == (0, "")
    data = json.loads(out)
    assert set(data) == {"root", "packages"}
    assert data["root"] == {"name": "droot", "version": "1.0.0"}
    assert _as_set(data["packages"]) == cargo_answer(registry, case)
    names = [p["name"] for p in data["packages"]]
    assert names == sorted(names)
    dx = [p["version"] for p in data["packages"] if p["name"] == "dx"]
    assert dx == ["0.7.5", "0.8.1", "1.0.0", "2.0.0"]


@pytest.mark.parametrize(
    ("flags", "request_"),
    [
        (["--features", "opt,hid"], R("fo", features=("opt", "hid"))),
        (["--all-features"], R("fo", all_features=True)),
        (["--no-default-features"], R("fo", default_features=False)),
        (["--include-dev"], R("dv", include_dev=True)),
    ],
    ids=["features", "all-features", "no-default-features", "include-dev"],
)
def test_feature_flags_match_cargo(
    registry: LocalRegistry,
    capsys: pytest.CaptureFixture[str],
    flags: list[str],
    request_: RootRequest,
) -> None:
    args = ["resolve", request_.describe(), "--index", str(registry.index), "--format", "json"]
    code, out, err = run_cli([*args, *flags], capsys)
    assert (code, err) == (0, "")
    expected = cargo_answer(registry, Case("flags", request_))
    assert _as_set(json.loads(out)["packages"]) == expected


def test_target_keeps_what_the_target_builds(
    registry: LocalRegistry, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["resolve", "tg@1.0.0", "--index", str(registry.index), "--format", "json"]
    code, out, err = run_cli([*args, "--target", LINUX], capsys)
    assert (code, err) == (0, "")
    expected = cargo_answer(registry, Case("target", R("tg"), target=LINUX))
    assert _as_set(json.loads(out)["packages"]) == expected
    code, out, _ = run_cli(args, capsys)
    assert code == 0
    assert "tg-win" in {p["name"] for p in json.loads(out)["packages"]}


def test_unknown_target_is_one_line_error(
    registry: LocalRegistry, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_cli(
        ["resolve", "tg@1.0.0", "--index", str(registry.index), "--target", "no-such-target"],
        capsys,
    )
    assert code == 2
    assert out == ""
    assert err.startswith(
        "cratewatch: error: --target no-such-target: rustc does not know this target: "
    )
    assert err.count("\n") == 1


def test_unresolvable_root_is_one_line_error(
    registry: LocalRegistry, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_cli(["resolve", "nsroot@1.0.0", "--index", str(registry.index)], capsys)
    assert isinstance(cargo_answer(registry, Case("ns", R("nsroot"))), CargoFailed)
    assert (code, out) == (2, "")
    assert err == (
        "cratewatch: error: nsroot@1.0.0: failed to select a version for the requirement "
        'ns-x = "^2" (required by `nsroot v1.0.0`): candidate versions found which didn\'t '
        "match: 1.0.0\n"
    )


def test_human_output_lists_packages_and_features(
    registry: LocalRegistry, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_cli(["resolve", "uroot@1.0.0", "--index", str(registry.index)], capsys)
    assert (code, err) == (0, "")
    assert out.startswith("uroot@1.0.0: 5 packages")
    row = next(text for text in out.splitlines() if " uc " in text)
    assert "1.2.0" in row
    assert "extra, ud" in row


def test_batch_human_output(
    registry: LocalRegistry, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    batch = tmp_path / "roots.txt"
    batch.write_text("uroot@1.0.0\nnsmissing@1.0.0\n")
    code, out, err = run_cli(
        ["resolve", "--batch", str(batch), "--index", str(registry.index)], capsys
    )
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "uroot@1.0.0: 5 packages",
        "nsmissing@1.0.0: error: no matching package named `no-such-crate` found "
        "(required by `nsmissing v1.0.0`)",
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "Error: give either NAME@VERSION or --batch FILE"),
        (["uroot"], "cratewatch: error: root: expected NAME@VERSION, got 'uroot'"),
        (
            ["uroot@1.0.0", "--all-features", "--features", "a"],
            "Error: --all-features cannot be combined with other feature flags",
        ),
    ],
    ids=["nothing", "no-version", "all-and-features"],
)
def test_bad_usage(
    registry: LocalRegistry, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, out, err = run_cli(["resolve", *args, "--index", str(registry.index)], capsys)
    assert (code, out) == (2, "")
    assert err.strip().splitlines()[-1] == message


def test_bad_batch_line_names_file_and_line(
    registry: LocalRegistry, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    batch = tmp_path / "roots.txt"
    batch.write_text("uroot@1.0.0\n\nfo@1.0.0 features=a fast\n")
    code, out, err = run_cli(
        ["resolve", "--batch", str(batch), "--index", str(registry.index)], capsys
    )
    assert (code, out) == (2, "")
    assert err == (
        f"cratewatch: error: {batch}: line 3: unknown option 'fast' (expected features=a,b, "
        "all-features or no-default-features)\n"
    )


def test_every_option_is_documented() -> None:
    for param in resolve.params:
        if isinstance(param, click.Option):
            assert param.help, param.name
    assert resolve.help
