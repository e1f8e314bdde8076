"""``cratewatch sbom`` and ``cratewatch sbom diff`` end to end: real files, real cargo projects,
the real advisory database."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.cli_runner import run_cli
from tests.policy.cargo_project import CargoProject, VendoredCrate, manifest
from tests.sbom.documents import assert_valid_cyclonedx_json, assert_valid_cyclonedx_xml


def lockfile_args(workspace: Path, cargo_home: Path) -> list[str]:
    return ["sbom", str(workspace / "Cargo.lock"), "--cargo-home", str(cargo_home)]


def test_lockfile_mode_to_a_file_is_reproducible(
    workspace: Path,
    cargo_home: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    outputs = []
    for n in range(2):
        out = tmp_path / f"bom{n}.json"
        code, stdout, _ = run_cli(
            [*lockfile_args(workspace, cargo_home), "--reproducible", "-o", str(out)], capsys
        )
        assert (code, stdout) == (0, "")
        outputs.append(out.read_text())
    assert outputs[0] == outputs[1]
    assert_valid_cyclonedx_json(outputs[0], "1.6")
    bom = json.loads(outputs[0])
    assert bom["metadata"]["timestamp"] == "2023-11-14T22:13:20+00:00"
    assert len(bom["components"]) == 5


def test_fresh_documents_get_new_serial_numbers(
    workspace: Path, cargo_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    serials = set()
    for _ in range(2):
        _, out, _ = run_cli(lockfile_args(workspace, cargo_home), capsys)
        serials.add(json.loads(out)["serialNumber"])
    assert len(serials) == 2


@pytest.mark.parametrize(
    ("fmt", "version", "marker"),
    [
        ("cyclonedx-xml", "1.4", '<bom xmlns="http://cyclonedx.org/schema/bom/1.4"'),
        ("spdx-json", "2.3", '"spdxVersion": "SPDX-2.3"'),
        ("spdx-tag-value", None, "SPDXVersion: SPDX-2.3"),
    ],
)
def test_formats_and_spec_versions(
    workspace: Path,
    cargo_home: Path,
    capsys: pytest.CaptureFixture[str],
    *,
    fmt: str,
    version: str | None,
    marker: str,
) -> None:
    args = [*lockfile_args(workspace, cargo_home), "--format", fmt]
    if version:
        args += ["--spec-version", version]
    code, out, _ = run_cli(args, capsys)
    assert code == 0
    assert marker in out
    if fmt == "cyclonedx-xml":
        assert_valid_cyclonedx_xml(out, "1.4")


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--spec-version", "2.3"], "--spec-version 2.3: cyclonedx-json supports 1.4, 1.5, 1.6"),
        (["--format", "spdx-json", "--vex-only"], "--vex-only writes CycloneDX"),
        (["--member", "nope"], "--member nope: not a workspace member (members: app, core)"),
        (["--per-member"], "several documents need --output DIR (a directory)"),
    ],
)
def test_bad_options_are_one_line_errors(
    workspace: Path,
    cargo_home: Path,
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    message: str,
) -> None:
    code, _, err = run_cli([*lockfile_args(workspace, cargo_home), *extra], capsys)
    assert code == 2
    assert err.startswith("cratewatch: error: ")
    assert message in err


def test_missing_input_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(["sbom", str(tmp_path)], capsys)
    assert (code, err) == (
        2,
        f"cratewatch: error: {tmp_path}: no Cargo.toml here (pass a project or a Cargo.lock)\n",
    )


def test_per_member_documents(
    workspace: Path, cargo_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "sboms"
    code, _, _ = run_cli(
        [*lockfile_args(workspace, cargo_home), "--per-member", "-o", str(out)], capsys
    )
    assert code == 0
    assert sorted(p.name for p in out.iterdir()) == ["app.cdx.json", "core.cdx.json"]
    core = json.loads((out / "core.cdx.json").read_text())
    assert core["metadata"]["component"]["name"] == "core"
    assert [c["name"] for c in core["components"]] == ["itoa"]
    code, text, _ = run_cli([*lockfile_args(workspace, cargo_home), "--member", "core"], capsys)
    assert json.loads(text)["metadata"]["component"]["name"] == "core"


# --- project mode -------------------------------------------------------------------------------

APP = manifest(
    "app",
    package='license = "MIT"',
    body="""
[dependencies]
runtime = "1"
extra = { version = "1", optional = true }

[build-dependencies]
gen = "1"

[dev-dependencies]
tester = "1"

[features]
fancy = ["extra"]
""",
)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory, cargo: Path) -> CargoProject:
    built = CargoProject(tmp_path_factory.mktemp("sbom-project"), members={"": APP})
    built.add(
        VendoredCrate(name="runtime", version="1.0.0", package='license = "MIT/Apache-2.0"'),
        VendoredCrate(name="extra", version="1.2.0"),
        VendoredCrate(name="gen", version="1.1.0", body='[dependencies]\ngenlib = "1"'),
        VendoredCrate(name="genlib", version="1.0.3"),
        VendoredCrate(name="tester", version="1.0.0"),
    )
    built.write(cargo=cargo)
    return built


@pytest.fixture
def cargo_env(project: CargoProject, monkeypatch: pytest.MonkeyPatch) -> None:
    for key in [k for k in __import__("os").environ if k.startswith("CARGO")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("CARGO_HOME", str(project.home))
    monkeypatch.setenv("CARGO_NET_OFFLINE", "true")


def scopes(bom: dict[str, Any]) -> dict[str, str]:
    found = {}
    for component in bom["components"]:
        usage = {p["name"]: p["value"] for p in component["properties"]}["cratewatch:usage"]
        found[component["name"]] = f"{component.get('scope', '-')}/{usage}"
    return found


@pytest.mark.usefixtures("cargo_env")
@pytest.mark.parametrize("no_cargo", [False, True])
def test_project_scopes_from_cargo_metadata_and_from_manifests(
    project: CargoProject, capsys: pytest.CaptureFixture[str], no_cargo: bool
) -> None:
    args = ["sbom", str(project.root), "--vendor-dir", str(project.root / "vendor")]
    if no_cargo:
        args.append("--no-cargo")
    code, out, err = run_cli(args, capsys)
    assert code == 0, err
    assert_valid_cyclonedx_json(out, "1.6")
    bom = json.loads(out)
    assert bom["metadata"]["component"]["name"] == "app"
    assert scopes(bom) == {
        "runtime": "required/required",
        "gen": "excluded/build",
        "genlib": "excluded/build",
        "tester": "excluded/dev",
        "extra": "optional/optional",
    }
    graph_kind = {p["name"]: p["value"] for p in bom["metadata"]["properties"]}["cratewatch:graph"]
    assert graph_kind == ("lockfile-and-manifests" if no_cargo else "cargo-metadata")
    runtime = next(c for c in bom["components"] if c["name"] == "runtime")
    assert runtime["licenses"] == [{"expression": "MIT OR Apache-2.0"}]


@pytest.mark.usefixtures("cargo_env")
def test_project_features_and_exclude_dev(
    project: CargoProject, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run_cli(
        ["sbom", str(project.root), "--features", "fancy", "--exclude-dev"], capsys
    )
    assert code == 0
    found = scopes(json.loads(out))
    assert found["extra"] == "required/required"
    assert "tester" not in found


# --- vulnerabilities ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ripgrep_11(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """ripgrep 11.0.2's Cargo.lock: regex 1.2.0 is affected by RUSTSEC-2022-0013."""
    target = tmp_path_factory.mktemp("rg11") / "Cargo.lock"
    target.write_bytes(
        (shared_data / "lockfiles" / "BurntSushi__ripgrep@11.0.2" / "Cargo.lock").read_bytes()
    )
    return target


def test_with_vulnerabilities_embeds_findings_and_reasons(
    ripgrep_11: Path, real_db_args: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "audit.toml"
    config.write_text(
        '[advisories]\nignore = [{ id = "RUSTSEC-2022-0006", '
        'reason = "code_not_reachable: ripgrep never shares the value across threads" }]\n'
    )
    code, out, err = run_cli(
        [
            "sbom",
            str(ripgrep_11),
            "--with-vulnerabilities",
            "--audit-config",
            str(config),
            *real_db_args,
            "--stale",
            "ignore",
        ],
        capsys,
    )
    assert code == 0, err
    assert_valid_cyclonedx_json(out, "1.6")
    by_id = {v["id"]: v for v in json.loads(out)["vulnerabilities"]}
    regex = by_id["RUSTSEC-2022-0013"]
    assert regex["affects"] == [
        {"ref": "pkg:cargo/regex@1.2.0", "versions": [{"version": "1.2.0", "status": "affected"}]}
    ]
    assert regex["ratings"][0]["severity"] == "high"
    assert "analysis" not in regex
    assert by_id["RUSTSEC-2022-0006"]["analysis"] == {
        "state": "not_affected",
        "justification": "code_not_reachable",
        "detail": "ripgrep never shares the value across threads",
    }


def test_vex_only_and_spdx_security_references(
    ripgrep_11: Path, real_db_args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run_cli(
        ["sbom", str(ripgrep_11), "--vex-only", *real_db_args, "--stale", "ignore"], capsys
    )
    assert code == 0
    assert_valid_cyclonedx_json(out, "1.6")
    vex = json.loads(out)
    assert vex.get("components", []) == []
    assert "RUSTSEC-2022-0013" in {v["id"] for v in vex["vulnerabilities"]}
    code, out, _ = run_cli(
        [
            "sbom",
            str(ripgrep_11),
            "--format",
            "spdx-json",
            "--with-vulnerabilities",
            *real_db_args,
            "--stale",
            "ignore",
        ],
        capsys,
    )
    regex = next(p for p in json.loads(out)["packages"] if p["name"] == "regex")
    assert {
        "referenceCategory": "SECURITY",
        "referenceType": "advisory",
        "referenceLocator": "https://rustsec.org/advisories/RUSTSEC-2022-0013.html",
        "comment": "RUSTSEC-2022-0013: Regexes with large repetitions on empty sub-expressions "
        "take a very long time to parse [affected]",
    } in regex["externalRefs"]


# --- diff ---------------------------------------------------------------------------------------


def test_diff_between_two_releases(
    shared_data: Path,
    ripgrep_11: Path,
    real_db_args: list[str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    newer = shared_data / "lockfiles" / "BurntSushi__ripgrep@13.0.0" / "Cargo.lock"
    for lockfile, target in ((ripgrep_11, old), (newer, new)):
        code, _, _ = run_cli(
            [
                "sbom",
                str(lockfile),
                "--with-vulnerabilities",
                "-o",
                str(target),
                *real_db_args,
                "--stale",
                "ignore",
            ],
            capsys,
        )
        assert code == 0
    code, out, _ = run_cli(["sbom", "diff", str(old), str(new), "--format", "json"], capsys)
    assert code == 0
    report = json.loads(out)
    changed = {c["name"]: (c["old_version"], c["new_version"]) for c in report["changed"]}
    assert changed["regex"] == ("1.2.0", "1.5.4")
    assert {"id": "RUSTSEC-2022-0013", "name": "regex", "version": "1.2.0"} in report[
        "resolved_vulnerabilities"
    ]
    code, out, _ = run_cli(["sbom", "diff", str(old), str(new)], capsys)
    assert "~ regex 1.2.0 -> 1.5.4" in out
    code, out, _ = run_cli(
        ["sbom", "diff", str(new), str(old), "--fail-on-new-vulnerabilities"], capsys
    )
    assert code == 1
    assert "! RUSTSEC-2022-0013 in regex 1.2.0" in out
