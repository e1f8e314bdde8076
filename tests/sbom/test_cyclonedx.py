"""CycloneDX output: every spec version and encoding validates against the official schemas,
and carries what the graph knows."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from cratewatch.sbom.cyclonedx import (
    CYCLONEDX_VERSIONS,
    CycloneDxEncoding,
    DocumentSettings,
    render_cyclonedx,
    render_vex,
    split_author,
)
from cratewatch.sbom.model import ComponentGraph
from cratewatch.sbom.vex import VexState
from tests.sbom.documents import (
    FIXED,
    assert_valid_cyclonedx_json,
    assert_valid_cyclonedx_xml,
    statement,
)

ITOA = "pkg:cargo/itoa@1.0.11"


def _settings(graph: ComponentGraph) -> DocumentSettings:
    return DocumentSettings.reproducible(graph, timestamp=FIXED)


def _statements() -> tuple:  # type: ignore[type-arg]
    return (
        statement("RUSTSEC-2024-0001", ((ITOA, "1.0.11"),)),
        statement(
            "RUSTSEC-2024-0002",
            ((ITOA, "1.0.11"),),
            VexState.NOT_AFFECTED,
            justification="code_not_reachable",
            detail="only the CLI calls it",
            cvss="CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:N/VA:N/SC:N/SI:N/SA:N",
        ),
        statement(
            "RUSTSEC-2024-0003",
            (("path+core@0.2.0", "0.2.0"),),
            VexState.WILL_NOT_FIX,
            detail="accepted risk",
            cvss=None,
        ),
    )


@pytest.mark.parametrize("version", CYCLONEDX_VERSIONS)
def test_json_and_xml_validate_for_every_spec_version(
    ws_graph: ComponentGraph, version: str
) -> None:
    for encoding, check in (
        (CycloneDxEncoding.JSON, assert_valid_cyclonedx_json),
        (CycloneDxEncoding.XML, assert_valid_cyclonedx_xml),
    ):
        text = render_cyclonedx(
            ws_graph,
            encoding=encoding,
            spec_version=version,
            settings=_settings(ws_graph),
            vulnerabilities=_statements(),
        )
        check(text, version)


def _bom(graph: ComponentGraph, version: str = "1.6", **kwargs: object) -> dict:  # type: ignore[type-arg]
    text = render_cyclonedx(
        graph,
        encoding=CycloneDxEncoding.JSON,
        spec_version=version,
        settings=_settings(graph),
        **kwargs,  # type: ignore[arg-type]
    )
    return json.loads(text)  # type: ignore[no-any-return]


def test_components_carry_identity_hash_license_authors_links(ws_graph: ComponentGraph) -> None:
    bom = _bom(ws_graph)
    itoa = next(c for c in bom["components"] if c["name"] == "itoa")
    assert itoa["bom-ref"] == itoa["purl"] == ITOA
    assert itoa["hashes"] == [
        {
            "alg": "SHA-256",
            "content": "49f1f14873335454500d59611f1cf4a4b0f786f9ac11f4312a78e4cf2566695b",
        }
    ]
    assert itoa["licenses"] == [{"expression": "MIT OR Apache-2.0"}]
    assert itoa["authors"] == [{"name": "David Tolnay", "email": "dtolnay@gmail.com"}]
    assert {r["type"]: r["url"] for r in itoa["externalReferences"]} == {
        "vcs": "https://github.com/dtolnay/itoa",
        "documentation": "https://docs.rs/itoa",
    }
    assert itoa["description"] == "Fast integer primitive to string conversion"
    mygit = next(c for c in bom["components"] if c["name"] == "mygit")
    assert mygit["licenses"] == [{"license": {"name": "Example Proprietary License"}}]
    props = {p["name"]: p["value"] for p in mygit["properties"]}
    assert props["cratewatch:source"].startswith("git+https://github.com/example/mygit")
    assert "scope" not in itoa  # lockfile-only: Cargo.lock cannot tell


def test_older_specs_keep_authors_in_the_author_field(ws_graph: ComponentGraph) -> None:
    bom = _bom(ws_graph, "1.5")
    itoa = next(c for c in bom["components"] if c["name"] == "itoa")
    assert itoa["author"] == "David Tolnay <dtolnay@gmail.com>"
    assert "authors" not in itoa


def test_workspace_subject_and_full_dependency_graph(ws_graph: ComponentGraph) -> None:
    bom = _bom(ws_graph)
    subject = bom["metadata"]["component"]
    assert (subject["bom-ref"], subject["type"]) == ("workspace:ws", "application")
    depends = {d["ref"]: d.get("dependsOn", []) for d in bom["dependencies"]}
    assert depends["workspace:ws"] == ["path+app@0.1.0", "path+core@0.2.0"]
    assert sorted(depends["path+app@0.1.0"]) == sorted(
        [
            "path+core@0.2.0",
            ITOA,
            *(c.ref for c in ws_graph.components if c.name in ("mygit", "private")),
        ]
    )
    assert depends["path+core@0.2.0"] == [ITOA]
    assert depends[ITOA] == []
    assert bom["metadata"]["tools"]["components"][0]["name"] == "cratewatch"


def test_single_member_document_describes_that_member(ws_graph: ComponentGraph) -> None:
    core = ws_graph.subgraph("path+core@0.2.0")
    bom = _bom(core)
    assert bom["metadata"]["component"]["bom-ref"] == "path+core@0.2.0"
    assert [c["name"] for c in bom["components"]] == ["itoa"]
    assert_valid_cyclonedx_json(json.dumps(bom), "1.6")


def test_reproducible_output_is_byte_identical_and_serial_derives_from_input(
    ws_graph: ComponentGraph,
) -> None:
    first = render_cyclonedx(
        ws_graph, encoding=CycloneDxEncoding.JSON, spec_version="1.6", settings=_settings(ws_graph)
    )
    second = render_cyclonedx(
        ws_graph, encoding=CycloneDxEncoding.JSON, spec_version="1.6", settings=_settings(ws_graph)
    )
    assert first == second
    bom = json.loads(first)
    assert bom["metadata"]["timestamp"] == "2024-05-06T07:08:09+00:00"
    other = DocumentSettings.reproducible(ws_graph.subgraph("path+core@0.2.0"), timestamp=FIXED)
    assert bom["serialNumber"] == f"urn:uuid:{_settings(ws_graph).serial}"
    assert other.serial != _settings(ws_graph).serial


def test_vulnerabilities_carry_source_ratings_affects_and_analysis(
    ws_graph: ComponentGraph,
) -> None:
    bom = _bom(ws_graph, vulnerabilities=_statements())
    by_id = {v["id"]: v for v in bom["vulnerabilities"]}
    reported = by_id["RUSTSEC-2024-0001"]
    assert reported["source"] == {
        "name": "RustSec",
        "url": "https://rustsec.org/advisories/RUSTSEC-2024-0001.html",
    }
    assert reported["ratings"] == [
        {
            "source": reported["source"],
            "score": 7.5,
            "severity": "high",
            "method": "CVSSv31",
            "vector": "AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N",
        }
    ]
    assert reported["affects"] == [
        {"ref": ITOA, "versions": [{"version": "1.0.11", "status": "affected"}]}
    ]
    assert "analysis" not in reported
    assert {r["id"] for r in reported["references"]} == {"CVE-2024-0001", "GHSA-aaaa-bbbb-cccc"}
    not_affected = by_id["RUSTSEC-2024-0002"]
    assert not_affected["analysis"] == {
        "state": "not_affected",
        "justification": "code_not_reachable",
        "detail": "only the CLI calls it",
    }
    assert not_affected["ratings"][0]["method"] == "CVSSv4"
    assert not_affected["affects"][0]["versions"][0]["status"] == "unaffected"
    assert by_id["RUSTSEC-2024-0003"]["analysis"] == {
        "response": ["will_not_fix"],
        "detail": "accepted risk",
    }


@pytest.mark.parametrize("version", CYCLONEDX_VERSIONS)
def test_vex_only_document_has_no_components_and_validates(
    ws_graph: ComponentGraph, version: str
) -> None:
    settings = _settings(ws_graph)
    text = render_vex(
        ws_graph,
        _statements(),
        encoding=CycloneDxEncoding.JSON,
        spec_version=version,
        settings=settings,
    )
    assert_valid_cyclonedx_json(text, version)
    bom = json.loads(text)
    assert "components" not in bom or bom["components"] == []
    assert [v["affects"][0]["ref"] for v in bom["vulnerabilities"]] == [
        ITOA,
        ITOA,
        "path+core@0.2.0",
    ]
    xml = render_vex(
        ws_graph,
        _statements(),
        encoding=CycloneDxEncoding.XML,
        spec_version=version,
        settings=settings,
    )
    assert_valid_cyclonedx_xml(xml, version)


def test_xml_has_the_same_components(ws_graph: ComponentGraph) -> None:
    text = render_cyclonedx(
        ws_graph, encoding=CycloneDxEncoding.XML, spec_version="1.6", settings=_settings(ws_graph)
    )
    ns = {"c": "http://cyclonedx.org/schema/bom/1.6"}
    names = [e.text for e in ET.fromstring(text).findall("c:components/c:component/c:name", ns)]
    assert names == ["app", "core", "itoa", "mygit", "private"]


def test_unknown_spec_version_is_refused(ws_graph: ComponentGraph) -> None:
    with pytest.raises(ValueError, match=r"CycloneDX spec version '1\.3' is not supported"):
        render_cyclonedx(
            ws_graph,
            encoding=CycloneDxEncoding.JSON,
            spec_version="1.3",
            settings=_settings(ws_graph),
        )


@pytest.mark.parametrize(
    ("author", "parts"),
    [
        ("David Tolnay <dtolnay@gmail.com>", ("David Tolnay", "dtolnay@gmail.com")),
        ("Bob Example", ("Bob Example", None)),
        ("The Team <not an email>", ("The Team", None)),
        ("<only@mail.org>", ("", "only@mail.org")),
    ],
)
def test_split_author(author: str, parts: tuple[str, str | None]) -> None:
    assert split_author(author) == parts
