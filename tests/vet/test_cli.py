"""``cratewatch vet check|suggest|certify`` end to end on real files, a real cargo project and a
loopback server."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from tests.cli_runner import run_cli
from tests.crates import lines, make_crate
from tests.policy.cargo_project import CargoProject, VendoredCrate, manifest


def test_check_fails_and_explains(acme: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(["vet", "check", str(acme / "Cargo.lock")], capsys)
    assert code == 1
    assert out.splitlines() == [
        "acme-fork:1.2.0 missing safe-to-deploy (requires safe-to-deploy)",
        "evil:0.5.2 violates >=0.5.0, <0.6 (audits.toml) (requires safe-to-deploy)",
        "leftpad:1.0.0 missing safe-to-deploy (requires safe-to-deploy)",
        "newcrate:0.1.0 missing safe-to-deploy (requires safe-to-deploy)",
        "serde-lite:1.0.104 missing safe-to-deploy (requires safe-to-deploy)",
        "Vetting failed: 5 unvetted, 0 violation conflicts (run `cratewatch vet suggest` for "
        "the audits to do)",
    ]
    code, out, _ = run_cli(["vet", "check", str(acme / "Cargo.lock"), "--format", "json"], capsys)
    report = json.loads(out)
    assert (code, report["ok"], report["counts"]["vetted"]) == (1, False, 4)


def test_certify_then_check_passes(
    acme: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(acme)
    audits = acme / "supply-chain" / "audits.toml"
    before = audits.read_text()
    code, out, _ = run_cli(
        [
            "vet",
            "certify",
            "serde-lite",
            "1.0.104",
            "--delta",
            "1.0.100",
            "--who",
            "Me <me@acme.example>",
        ],
        capsys,
    )
    assert (code, out) == (
        0,
        "Recorded the audit of serde-lite 1.0.100 -> 1.0.104 in supply-chain/audits.toml\n",
    )
    after = audits.read_text()
    entry = (
        '[[audits.serde-lite]]\nwho = "Me <me@acme.example>"\ncriteria = "safe-to-deploy"\n'
        'delta = "1.0.100 -> 1.0.104"\n\n'
    )
    assert after.replace(entry, "") == before
    for name, version in (("newcrate", "0.1.0"), ("leftpad", "1.0.0"), ("acme-fork", "1.2.0")):
        run_cli(["vet", "certify", name, version, "--who", "Me <me@acme.example>"], capsys)
    lock = acme / "Cargo.lock"
    lock.write_text(
        lock.read_text()
        .replace(' "evil",\n', "")
        .replace(
            '[[package]]\nname = "evil"\nversion = "0.5.2"\nsource = "registry+https://github.com/rust-lang/crates.io-index"\n\n',
            "",
        )
    )
    code, out, _ = run_cli(["vet", "check", "Cargo.lock"], capsys)
    assert (code, out) == (0, "Vetting succeeded (8 fully audited, 2 exempted, 2 first-party)\n")


def test_certify_takes_the_auditor_from_git(
    acme: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    gitconfig = tmp_path / "gitconfig"
    gitconfig.write_text("[user]\n\tname = Git User\n\temail = git@acme.example\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(gitconfig))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.chdir(tmp_path)
    code, _, _ = run_cli(
        [
            "vet",
            "certify",
            "newcrate",
            "0.1.0",
            "--criteria",
            "safe-to-run",
            "--notes",
            "ok",
            "--store",
            str(acme / "supply-chain"),
        ],
        capsys,
    )
    assert code == 0
    assert (
        '[[audits.newcrate]]\nwho = "Git User <git@acme.example>"\ncriteria = "safe-to-run"\n'
        'version = "0.1.0"\nnotes = "ok"\n'
    ) in (acme / "supply-chain" / "audits.toml").read_text()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["newcrate", "0.1.0", "--criteria", "safe-to-fly", "--who", "X"],
            "unknown criteria 'safe-to-fly'",
        ),
        (
            ["anyhow", "1.0.58", "--who", "X"],
            "anyhow 1.0.58 is already certified for safe-to-deploy",
        ),
    ],
)
def test_certify_refusals_leave_the_file_alone(
    acme: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    audits = acme / "supply-chain" / "audits.toml"
    before = audits.read_bytes()
    code, _, err = run_cli(["vet", "certify", *args, "--store", str(acme / "supply-chain")], capsys)
    assert code == 2
    assert err.startswith("cratewatch: error: ")
    assert message in err
    assert audits.read_bytes() == before


def test_update_imports_rewrites_imports_lock(
    acme: Path, vet_assets: Path, httpserver: HTTPServer, capsys: pytest.CaptureFixture[str]
) -> None:
    httpserver.expect_request("/globex.toml").respond_with_data(
        (vet_assets / "globex-audits.toml").read_bytes()
    )
    config = acme / "supply-chain" / "config.toml"
    config.write_text(
        config.read_text().replace(
            "https://raw.githubusercontent.com/globex/supply-chain/main/audits.toml",
            httpserver.url_for("/globex.toml"),
        )
    )
    imports = acme / "supply-chain" / "imports.lock"
    imports.unlink()
    code, _, _ = run_cli(["vet", "check", str(acme / "Cargo.lock"), "--update-imports"], capsys)
    assert code == 1
    text = imports.read_text()
    assert text.startswith("\n# cargo-vet imports lock\n\n[audits.globex.criteria.globex-fuzzed]")
    assert "[[audits.globex.audits.serde-lite]]" in text
    assert "leftpad" not in text
    assert "unused-crate" not in text


def test_suggest_over_a_loopback_registry(
    acme: Path, httpserver: HTTPServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    crates = {
        ("serde-lite", "1.0.100"): {"src/lib.rs": lines(20)},
        ("serde-lite", "1.0.104"): {"src/lib.rs": lines(21)},
        ("newcrate", "0.1.0"): {"src/lib.rs": lines(7)},
        ("leftpad", "1.0.0"): {"src/lib.rs": lines(3)},
        ("acme-fork", "1.2.0"): {"src/lib.rs": lines(50)},
        ("oldlib", "0.3.1"): {"src/lib.rs": lines(90)},
    }
    for (name, version), files in crates.items():
        httpserver.expect_request(f"/dl/{name}/{version}").respond_with_data(
            make_crate(name, version, files)
        )
    args = [
        "vet",
        "suggest",
        str(acme / "Cargo.lock"),
        "--cache-dir",
        str(tmp_path),
        "--dl",
        httpserver.url_for("/dl/{crate}/{version}"),
    ]
    code, out, _ = run_cli(args, capsys)
    assert code == 0
    assert out.splitlines() == [
        "cratewatch vet certify serde-lite 1.0.104 --delta 1.0.100 --criteria safe-to-deploy  "
        "# 1 lines (1 files)",
        "cratewatch vet certify leftpad 1.0.0 --criteria safe-to-deploy  # 3 lines (1 files)",
        "cratewatch vet certify newcrate 0.1.0 --criteria safe-to-deploy  # 7 lines (1 files)",
        "cratewatch vet certify acme-fork 1.2.0 --criteria safe-to-deploy  # 50 lines (1 files)",
        "cratewatch vet certify oldlib 0.3.1 --criteria safe-to-deploy  # 90 lines (1 files)",
        "5 audits, 151 lines to review",
    ]
    code, out, _ = run_cli([*args, "--offline", "--format", "json"], capsys)
    first = json.loads(out)[0]
    assert first == {
        "name": "serde-lite",
        "version": "1.0.104",
        "from": "1.0.100",
        "criteria": ["safe-to-deploy"],
        "lines": 1,
        "files_changed": 1,
        "size_unknown": None,
        "command": "cratewatch vet certify serde-lite 1.0.104 --delta 1.0.100 --criteria "
        "safe-to-deploy",
    }


def test_missing_store_is_a_one_line_error(
    tmp_path: Path, vet_assets: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copy(vet_assets / "acme" / "Cargo.lock", tmp_path / "Cargo.lock")
    code, _, err = run_cli(["vet", "check", str(tmp_path / "Cargo.lock")], capsys)
    assert (code, err) == (
        2,
        f"cratewatch: error: {tmp_path / 'supply-chain'}: no config.toml; is this a cargo-vet "
        "store (`cargo vet init`)?\n",
    )


# --- a real cargo project: dev-dependencies need only safe-to-run --------------------------------

APP = manifest(
    "app",
    body='[dependencies]\nruntime = "1"\n\n[dev-dependencies]\ntester = "1"\n',
)


@pytest.fixture(scope="module")
def cargo_project(tmp_path_factory: pytest.TempPathFactory) -> CargoProject:
    cargo = shutil.which("cargo")
    if cargo is None:
        pytest.skip("cargo is not on PATH")
    project = CargoProject(tmp_path_factory.mktemp("vet-project"), members={"": APP})
    project.add(
        VendoredCrate(name="runtime", version="1.0.0", body='[dependencies]\nleaf = "1"'),
        VendoredCrate(name="leaf", version="1.0.0"),
        VendoredCrate(name="tester", version="1.0.0"),
    )
    project.write(cargo=Path(cargo))
    store = project.root / "supply-chain"
    store.mkdir()
    (store / "config.toml").write_text(
        '\n# cargo-vet config file\n\n[cargo-vet]\nversion = "0.10"\n'
    )
    (store / "audits.toml").write_text(
        "\n# cargo-vet audits file\n\n"
        '[[audits.leaf]]\nwho = "A"\ncriteria = "safe-to-deploy"\nversion = "1.0.0"\n\n'
        '[[audits.runtime]]\nwho = "A"\ncriteria = "safe-to-deploy"\nversion = "1.0.0"\n\n'
        '[[audits.tester]]\nwho = "A"\ncriteria = "safe-to-run"\nversion = "1.0.0"\n'
    )
    return project


@pytest.mark.parametrize("no_cargo", [False, True])
def test_project_dev_dependencies_need_safe_to_run(
    cargo_project: CargoProject,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    no_cargo: bool,
) -> None:
    for key in [k for k in os.environ if k.startswith("CARGO")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("CARGO_HOME", str(cargo_project.home))
    args = [
        "vet",
        "check",
        str(cargo_project.root),
        "--vendor-dir",
        str(cargo_project.root / "vendor"),
        "--format",
        "json",
    ]
    code, out, err = run_cli([*args, "--no-cargo"] if no_cargo else args, capsys)
    report = json.loads(out)
    assert code == 0, (out, err)
    required = {p["name"]: p["required"] for p in report["packages"]}
    assert required == {
        "leaf": ["safe-to-deploy"],
        "runtime": ["safe-to-deploy"],
        "tester": ["safe-to-run"],
    }
