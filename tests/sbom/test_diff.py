"""sbom diff: added/removed/changed components and new vulnerabilities, CycloneDX and SPDX."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cratewatch.lockfile import parse_lockfile
from cratewatch.sbom.cyclonedx import CycloneDxEncoding, DocumentSettings, render_cyclonedx
from cratewatch.sbom.diff import (
    InvalidSbom,
    SbomKind,
    SbomVulnerability,
    diff_json,
    diff_sboms,
    load_sbom,
    parse_sbom,
)
from cratewatch.sbom.graph import MetadataLookup, graph_from_lockfile
from cratewatch.sbom.model import ComponentGraph
from cratewatch.sbom.spdx import SpdxEncoding, render_spdx
from cratewatch.sbom.vex import VexState
from tests.sbom.documents import FIXED, statement

CRATES_IO = "registry+https://github.com/rust-lang/crates.io-index"


def _graph(packages: dict[str, str]) -> ComponentGraph:
    deps = ", ".join(f'"{n} {v}"' for n, v in packages.items())
    text = f'version = 4\n[[package]]\nname = "app"\nversion = "0.1.0"\ndependencies = [{deps}]\n'
    for name, version in packages.items():
        text += f'[[package]]\nname = "{name}"\nversion = "{version}"\nsource = "{CRATES_IO}"\n'
    return graph_from_lockfile(
        parse_lockfile(text), metadata=MetadataLookup(), input_digest="0" * 64
    )


OLD = {"serde": "1.0.100", "log": "0.4.17", "gone": "1.0.0"}
NEW = {"serde": "1.0.200", "log": "0.4.17", "fresh": "2.0.0"}


def _render(graph: ComponentGraph, kind: SbomKind, statements: tuple = ()) -> str:  # type: ignore[type-arg]
    settings = DocumentSettings.reproducible(graph, timestamp=FIXED)
    if kind is SbomKind.CYCLONEDX:
        return render_cyclonedx(
            graph,
            encoding=CycloneDxEncoding.JSON,
            spec_version="1.6",
            settings=settings,
            vulnerabilities=statements,
        )
    return render_spdx(
        graph, encoding=SpdxEncoding.JSON, settings=settings, vulnerabilities=statements
    )


@pytest.mark.parametrize("kind", list(SbomKind))
def test_added_removed_changed_and_new_vulnerabilities(kind: SbomKind) -> None:
    old_graph, new_graph = _graph(OLD), _graph(NEW)
    log = "pkg:cargo/log@0.4.17"
    old = parse_sbom(
        _render(
            old_graph, kind, (statement("RUSTSEC-2020-0001", (("pkg:cargo/gone@1.0.0", "1.0.0"),)),)
        ),
        name="old.json",
    )
    new = parse_sbom(
        _render(
            new_graph,
            kind,
            (
                statement("RUSTSEC-2024-0009", ((log, "0.4.17"),)),
                statement(
                    "RUSTSEC-2024-0010",
                    ((log, "0.4.17"),),
                    VexState.NOT_AFFECTED,
                    justification="code_not_present",
                ),
            ),
        ),
        name="new.json",
    )
    assert old.kind is new.kind is kind
    result = diff_sboms(old, new)
    report = diff_json(result)
    assert [(c["name"], c["version"]) for c in report["added"]] == [("fresh", "2.0.0")]
    assert [(c["name"], c["version"]) for c in report["removed"]] == [("gone", "1.0.0")]
    assert [(c["name"], c["old_version"], c["new_version"]) for c in report["changed"]] == [
        ("serde", "1.0.100", "1.0.200")
    ]
    assert result.new_vulnerabilities == (
        SbomVulnerability(id="RUSTSEC-2024-0009", name="log", version="0.4.17"),
    )
    assert result.resolved_vulnerabilities == (
        SbomVulnerability(id="RUSTSEC-2020-0001", name="gone", version="1.0.0"),
    )
    assert not result.unchanged
    assert diff_sboms(new, new).unchanged


def test_two_versions_of_a_crate_are_added_and_removed_individually() -> None:
    old = parse_sbom(
        json.dumps(
            {
                "bomFormat": "CycloneDX",
                "components": [
                    {"name": "rand", "version": "0.7.3"},
                    {"name": "rand", "version": "0.8.5"},
                ],
            }
        ),
        name="old",
    )
    new = parse_sbom(
        json.dumps(
            {
                "bomFormat": "CycloneDX",
                "components": [
                    {"name": "rand", "version": "0.8.5"},
                    {"name": "rand", "version": "0.9.0"},
                    {"name": "rand", "version": "0.9.1"},
                ],
            }
        ),
        name="new",
    )
    result = diff_sboms(old, new)
    assert [c.version for c in result.added] == ["0.9.0", "0.9.1"]
    assert [c.version for c in result.removed] == ["0.7.3"]
    assert result.changed == ()


def test_components_from_other_sources_are_told_apart() -> None:
    old = parse_sbom(
        json.dumps(
            {
                "bomFormat": "CycloneDX",
                "components": [{"name": "x", "version": "1.0.0", "purl": "pkg:cargo/x@1.0.0"}],
            }
        ),
        name="old",
    )
    new = parse_sbom(
        json.dumps(
            {
                "bomFormat": "CycloneDX",
                "components": [
                    {
                        "name": "x",
                        "version": "1.0.0",
                        "purl": "pkg:cargo/x@1.0.0?vcs_url=git%2Bhttps://github.com/o/x%40abc",
                    }
                ],
            }
        ),
        name="new",
    )
    result = diff_sboms(old, new)
    assert [(c.name, c.origin) for c in result.added] == [("x", "git+https://github.com/o/x")]
    assert [(c.name, c.origin) for c in result.removed] == [("x", "")]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("<bom/>", "old.json: XML SBOMs are not supported; compare JSON documents"),
        ("{", "old.json: not JSON: Expecting property name enclosed in double quotes"),
        ("[]", "old.json: expected a table, got an array"),
        (
            '{"a": 1}',
            "old.json: neither a CycloneDX (bomFormat) nor an SPDX (spdxVersion) document",
        ),
        (
            '{"bomFormat": "CycloneDX", "components": [{"version": "1"}]}',
            "old.json: components[0].name: missing",
        ),
        (
            '{"spdxVersion": "SPDX-2.3", "packages": [{"name": 3}]}',
            "old.json: packages[0].name: expected a string, got 3",
        ),
    ],
)
def test_malformed_documents_name_the_file_and_field(text: str, message: str) -> None:
    with pytest.raises(InvalidSbom) as caught:
        parse_sbom(text, name="old.json")
    assert str(caught.value).startswith(message)


def test_load_sbom_reads_a_file(tmp_path: Path) -> None:
    path = tmp_path / "a.cdx.json"
    path.write_text(_render(_graph(OLD), SbomKind.CYCLONEDX))
    summary = load_sbom(path)
    assert summary.path == str(path)
    assert {c.name for c in summary.components} == {"app", "serde", "log", "gone"}
