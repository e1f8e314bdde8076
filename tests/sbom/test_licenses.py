"""Concluded licences from licence files, and how they reach the documents."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from cratewatch.lockfile import parse_lockfile
from cratewatch.policy.crate_sources import SourceLocator
from cratewatch.policy.licensetext import license_text
from cratewatch.sbom.cyclonedx import CycloneDxEncoding, DocumentSettings, render_cyclonedx
from cratewatch.sbom.graph import MetadataLookup, graph_from_lockfile
from cratewatch.sbom.licenses import conclude_license, license_files
from cratewatch.sbom.spdx import build_spdx_document
from tests.sbom.documents import assert_valid_cyclonedx_json, assert_valid_spdx

MIT = license_text("MIT").replace("<year> <copyright holders>", "2024 Jane Doe")
APACHE = license_text("Apache-2.0")


def _package(root: Path, files: dict[str, str]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (root / name).write_text(text)
    return root


@pytest.mark.parametrize(
    ("files", "declared", "license_file", "concluded"),
    [
        (
            {"LICENSE-MIT": MIT, "LICENSE-APACHE": APACHE},
            "MIT OR Apache-2.0",
            None,
            "MIT OR Apache-2.0",
        ),
        ({"LICENSE": MIT}, "MIT", None, "MIT"),
        ({"COPYING.txt": MIT}, None, None, "MIT"),
        ({"LICENSE-MIT": MIT, "LICENSE-APACHE": APACHE}, None, None, "Apache-2.0 AND MIT"),
        ({"legal/terms.txt": ""}, None, "legal/terms.txt", None),
        ({"LICENSE": MIT}, "Apache-2.0", None, None),  # the files contradict the manifest
        ({"LICENSE": "All rights reserved. Do not copy."}, "MIT", None, None),
        ({"README.md": MIT}, "MIT", None, None),  # not a licence file name
        ({}, "MIT", None, None),
    ],
)
def test_conclusions(
    tmp_path: Path,
    files: dict[str, str],
    declared: str | None,
    license_file: str | None,
    concluded: str | None,
) -> None:
    root = tmp_path / "pkg"
    root.mkdir()
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    assert conclude_license(root, declared=declared, license_file=license_file) == concluded


def test_license_file_is_read_even_with_an_odd_name(tmp_path: Path) -> None:
    root = _package(tmp_path / "pkg", {"TERMS": MIT})
    assert conclude_license(root, declared=None, license_file="TERMS") == "MIT"


def test_files_out_of_the_root_and_symlinks_are_never_read(tmp_path: Path) -> None:
    outside = _package(tmp_path / "outside", {"LICENSE": MIT})
    root = _package(tmp_path / "pkg", {})
    (root / "LICENSE").symlink_to(outside / "LICENSE")
    assert license_files(root, "../outside/LICENSE") == []
    assert conclude_license(root, declared="MIT", license_file="../outside/LICENSE") is None


def test_concluded_licence_in_both_formats(tmp_path: Path) -> None:
    cache = tmp_path / "home" / "registry" / "src" / "index.crates.io-1949cf8c6b5b557f"
    pkg = _package(cache / "itoa-1.0.11", {"LICENSE-MIT": MIT, "LICENSE-APACHE": APACHE})
    (pkg / "Cargo.toml").write_text(
        '[package]\nname = "itoa"\nversion = "1.0.11"\nlicense = "MIT OR Apache-2.0"\n'
    )
    lock = parse_lockfile(
        'version = 4\n[[package]]\nname = "itoa"\nversion = "1.0.11"\n'
        'source = "registry+https://github.com/rust-lang/crates.io-index"\n'
    )
    graph = graph_from_lockfile(
        lock,
        metadata=MetadataLookup(
            locator=SourceLocator(vendor_dirs=(), cargo_home=tmp_path / "home")
        ),
        input_digest="0" * 64,
    )
    (itoa,) = graph.components
    assert itoa.license.concluded == "MIT OR Apache-2.0"
    settings = DocumentSettings.reproducible(
        graph, timestamp=dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    )
    document = build_spdx_document(graph, settings=settings)
    assert_valid_spdx(document)
    assert str(document.packages[0].license_concluded) == "MIT OR Apache-2.0"
    text = render_cyclonedx(
        graph, encoding=CycloneDxEncoding.JSON, spec_version="1.6", settings=settings
    )
    assert_valid_cyclonedx_json(text, "1.6")
    properties = {
        p["name"]: p["value"] for p in json.loads(text)["metadata"]["component"]["properties"]
    }
    assert properties["cratewatch:concluded-license"] == "MIT OR Apache-2.0"
