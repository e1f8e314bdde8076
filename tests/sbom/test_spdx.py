"""SPDX 2.3 output: documents pass spdx-tools' full validation and read back with its parsers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from spdx_tools.spdx.model.relationship import RelationshipType
from spdx_tools.spdx.parser.json import json_parser
from spdx_tools.spdx.parser.tagvalue import tagvalue_parser

from cratewatch.sbom.cyclonedx import DocumentSettings
from cratewatch.sbom.model import (
    Component,
    ComponentGraph,
    DependencyEdge,
    EdgeKind,
    GraphMethod,
    Usage,
)
from cratewatch.sbom.spdx import SpdxEncoding, build_spdx_document, render_spdx
from cratewatch.sbom.vex import VexState
from tests.sbom.documents import FIXED, assert_valid_spdx, statement

ITOA = "pkg:cargo/itoa@1.0.11"


def _settings(graph: ComponentGraph) -> DocumentSettings:
    return DocumentSettings.reproducible(graph, timestamp=FIXED)


def test_document_passes_full_validation(ws_graph: ComponentGraph) -> None:
    document = build_spdx_document(
        ws_graph,
        settings=_settings(ws_graph),
        vulnerabilities=(
            statement("RUSTSEC-2024-0001", ((ITOA, "1.0.11"),)),
            statement(
                "RUSTSEC-2024-0002",
                ((ITOA, "1.0.11"),),
                VexState.NOT_AFFECTED,
                justification="code_not_present",
            ),
        ),
    )
    assert_valid_spdx(document)


# spdx-tools' tag-value parser (ply) leaves its debug file open: not ours to fix
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.parametrize("encoding", list(SpdxEncoding))
def test_written_documents_parse_back_and_validate(
    ws_graph: ComponentGraph, encoding: SpdxEncoding, tmp_path: Path
) -> None:
    text = render_spdx(ws_graph, encoding=encoding, settings=_settings(ws_graph))
    if encoding is SpdxEncoding.JSON:
        document = json_parser.parse_from_file(_write(tmp_path, "doc.spdx.json", text))
    else:
        document = tagvalue_parser.parse_from_file(_write(tmp_path, "doc.spdx", text))
    assert_valid_spdx(document)
    assert sorted(p.name for p in document.packages) == ["app", "core", "itoa", "mygit", "private"]


def _write(directory: Path, name: str, text: str) -> str:
    path = directory / name
    path.write_text(text)
    return str(path)


def test_packages_and_relationships(ws_graph: ComponentGraph) -> None:
    doc = json.loads(
        render_spdx(ws_graph, encoding=SpdxEncoding.JSON, settings=_settings(ws_graph))
    )
    packages = {p["name"]: p for p in doc["packages"]}
    itoa = packages["itoa"]
    assert itoa["SPDXID"] == "SPDXRef-Package-itoa-1.0.11"
    assert itoa["licenseDeclared"] == "MIT OR Apache-2.0"
    assert itoa["licenseConcluded"] == "NOASSERTION"
    assert itoa["downloadLocation"] == "https://crates.io/api/v1/crates/itoa/1.0.11/download"
    assert itoa["checksums"] == [
        {
            "algorithm": "SHA256",
            "checksumValue": "49f1f14873335454500d59611f1cf4a4b0f786f9ac11f4312a78e4cf2566695b",
        }
    ]
    assert itoa["originator"] == "Person: David Tolnay (dtolnay@gmail.com)"
    assert itoa["supplier"] == itoa["originator"]
    refs = {(r["referenceType"], r["referenceLocator"]) for r in itoa["externalRefs"]}
    assert refs == {
        ("purl", ITOA),
        ("vcs", "https://github.com/dtolnay/itoa"),
        ("documentation", "https://docs.rs/itoa"),
    }
    assert packages["mygit"]["licenseDeclared"] == "NOASSERTION"
    assert "Example Proprietary License" in packages["mygit"]["licenseComments"]
    assert packages["mygit"]["downloadLocation"].startswith(
        "git+https://github.com/example/mygit@0123456789abcdef"
    )
    assert packages["private"]["downloadLocation"] == "NOASSERTION"
    assert packages["core"]["licenseComments"] == "Cargo.toml license-file = 'LICENSE.txt'"
    assert packages["app"]["primaryPackagePurpose"] == "APPLICATION"
    relationships = {
        (r["spdxElementId"], r["relationshipType"], r["relatedSpdxElement"])
        for r in doc["relationships"]
    }
    assert ("SPDXRef-DOCUMENT", "DESCRIBES", "SPDXRef-Package-app-0.1.0") in relationships
    assert ("SPDXRef-DOCUMENT", "DESCRIBES", "SPDXRef-Package-core-0.2.0") in relationships
    assert (
        "SPDXRef-Package-core-0.2.0",
        "DEPENDS_ON",
        "SPDXRef-Package-itoa-1.0.11",
    ) in relationships
    assert doc["creationInfo"]["created"] == "2024-05-06T07:08:09Z"
    assert doc["documentNamespace"].endswith(str(_settings(ws_graph).serial))


def test_vulnerabilities_become_security_references(ws_graph: ComponentGraph) -> None:
    document = build_spdx_document(
        ws_graph,
        settings=_settings(ws_graph),
        vulnerabilities=(statement("RUSTSEC-2024-0001", ((ITOA, "1.0.11"),)),),
    )
    itoa = next(p for p in document.packages if p.name == "itoa")
    (advisory,) = [r for r in itoa.external_references if r.reference_type == "advisory"]
    assert advisory.locator == "https://rustsec.org/advisories/RUSTSEC-2024-0001.html"
    assert advisory.comment == "RUSTSEC-2024-0001: RUSTSEC-2024-0001 title [affected]"


def test_dev_and_build_edges_use_their_relationship_types() -> None:
    def component(name: str, usage: Usage) -> Component:
        return Component(
            ref=f"path+{name}@1.0.0",
            name=name,
            version="1.0.0",
            purl=f"pkg:cargo/{name}@1.0.0",
            source=None,
            usage=usage,
        )

    graph = ComponentGraph(
        name="app",
        components=(
            component("app", Usage.REQUIRED),
            component("gen", Usage.BUILD),
            component("tester", Usage.DEV),
        ),
        edges=(
            DependencyEdge(
                parent="path+app@1.0.0", child="path+gen@1.0.0", kinds=frozenset({EdgeKind.BUILD})
            ),
            DependencyEdge(
                parent="path+app@1.0.0", child="path+tester@1.0.0", kinds=frozenset({EdgeKind.DEV})
            ),
        ),
        roots=("path+app@1.0.0",),
        input_digest="0" * 64,
        origin="x",
        method=GraphMethod.MANIFESTS,
    )
    document = build_spdx_document(graph, settings=_settings(graph))
    assert_valid_spdx(document)
    kinds = {(r.spdx_element_id, r.relationship_type) for r in document.relationships}
    assert ("SPDXRef-Package-gen-1.0.0", RelationshipType.BUILD_DEPENDENCY_OF) in kinds
    assert ("SPDXRef-Package-tester-1.0.0", RelationshipType.DEV_DEPENDENCY_OF) in kinds


def test_unsupported_spec_version(ws_graph: ComponentGraph) -> None:
    with pytest.raises(ValueError, match=r"SPDX spec version '2\.2' is not supported"):
        build_spdx_document(ws_graph, settings=_settings(ws_graph), spec_version="2.2")
