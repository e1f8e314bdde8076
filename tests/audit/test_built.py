"""Which packages a build compiles, from real ``cargo metadata`` on a vendored project.

The project's crates.io dependencies come from a vendored directory source configured in the
project's own ``.cargo/config.toml`` (as ``cargo vendor`` tells users to set up), and the test
runs from another directory: cargo must still see the project's configuration.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cratewatch.audit.built import BuildSelection, MetadataError, built_packages, run_cargo_metadata
from tests.policy.cargo_project import CargoProject, VendoredCrate, cargo_env, manifest

pytestmark = pytest.mark.skipif(shutil.which("cargo") is None, reason="needs cargo on PATH")

APP = manifest(
    "app",
    body="""
[dependencies]
log = "0.4"

[target.'cfg(windows)'.dependencies]
winonly = "1"

[dev-dependencies]
testonly = "1"
""",
)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> CargoProject:
    root = tmp_path_factory.mktemp("built") / "app"
    project = CargoProject(root, members={"": APP})
    project.add(
        VendoredCrate(name="log", version="0.4.11"),
        VendoredCrate(name="winonly", version="1.0.0"),
        VendoredCrate(name="testonly", version="1.0.0"),
    )
    project.write(cargo=Path(str(shutil.which("cargo"))))
    return project


@pytest.mark.parametrize(
    ("selection", "expected"),
    [
        (BuildSelection(target="x86_64-unknown-linux-gnu"), {"app", "log"}),
        (BuildSelection(target="x86_64-pc-windows-msvc"), {"app", "log", "winonly"}),
        (BuildSelection(no_default_features=True), {"app", "log", "winonly"}),
    ],
)
def test_project_configuration_applies_from_another_directory(
    project: CargoProject,
    monkeypatch: pytest.MonkeyPatch,
    selection: BuildSelection,
    expected: set[str],
) -> None:
    monkeypatch.chdir(project.root.parent)
    metadata = run_cargo_metadata(
        str(shutil.which("cargo")),
        Path(project.root.name) / "Cargo.toml",  # relative to the caller's directory
        selection,
        env=cargo_env(project.home),
    )
    assert {name for name, _ in built_packages(metadata)} == expected


def test_failure_names_the_manifest(project: CargoProject, tmp_path: Path) -> None:
    broken = tmp_path / "Cargo.toml"
    broken.write_text(manifest("broken", body='[dependencies]\nmissing = "1"'))
    with pytest.raises(MetadataError, match=r"Cargo\.toml: cargo metadata failed: error: "):
        run_cargo_metadata(
            str(shutil.which("cargo")), broken, BuildSelection(), env=cargo_env(project.home)
        )
