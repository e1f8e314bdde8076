"""Building the component graph: purls, refs, roots, checksums, manifest metadata, usage."""

from __future__ import annotations

from pathlib import Path

import pytest

from cratewatch.lockfile import parse_lockfile
from cratewatch.policy.graph import CrateGraph, DepKind, Edge, Krate
from cratewatch.sbom.graph import (
    MetadataLookup,
    component_ref,
    graph_from_crates,
    graph_from_lockfile,
    package_purl,
)
from cratewatch.sbom.licenses import spdx_expression
from cratewatch.sbom.model import ComponentGraph, EdgeKind, GraphMethod, Usage
from cratewatch.semver import Version
from cratewatch.source_id import SourceId

CRATES_IO = "registry+https://github.com/rust-lang/crates.io-index"


@pytest.mark.parametrize(
    ("source", "purl"),
    [
        (None, "pkg:cargo/foo@1.2.3"),
        (CRATES_IO, "pkg:cargo/foo@1.2.3"),
        ("sparse+https://index.crates.io/", "pkg:cargo/foo@1.2.3"),
        (
            "sparse+https://my.registry/index/",
            "pkg:cargo/foo@1.2.3?repository_url=sparse%2Bhttps://my.registry/index/",
        ),
        (
            "registry+https://git.example/index",
            "pkg:cargo/foo@1.2.3?repository_url=registry%2Bhttps://git.example/index",
        ),
        (
            "git+https://github.com/o/foo?tag=v1#abc123",
            "pkg:cargo/foo@1.2.3?vcs_url=git%2Bhttps://github.com/o/foo%40abc123",
        ),
    ],
)
def test_purl_of_each_source_kind(source: str | None, purl: str) -> None:
    parsed = None if source is None else SourceId.parse(source)
    assert package_purl("foo", "1.2.3", parsed) == purl


def test_local_packages_get_a_ref_distinct_from_the_registry_purl() -> None:
    assert component_ref("foo", "1.2.3", None) == "path+foo@1.2.3"
    assert component_ref("foo", "1.2.3", SourceId.parse(CRATES_IO)) == "pkg:cargo/foo@1.2.3"


@pytest.mark.parametrize(
    ("raw", "expression"),
    [
        ("MIT", "MIT"),
        ("MIT/Apache-2.0", "MIT OR Apache-2.0"),
        ("MIT OR Apache-2.0", "MIT OR Apache-2.0"),
        ("Apache-2.0 WITH LLVM-exception", "Apache-2.0 WITH LLVM-exception"),
        ("(MIT OR Apache-2.0) AND Unicode-DFS-2016", "(MIT OR Apache-2.0) AND Unicode-DFS-2016"),
        ("Example Proprietary License", None),
        ("", None),
        (None, None),
    ],
)
def test_license_field_to_spdx_expression(raw: str | None, expression: str | None) -> None:
    assert spdx_expression(raw) == expression


def test_lockfile_graph_lists_every_package_with_its_identity(ws_graph: ComponentGraph) -> None:
    rows = [(c.name, c.version, c.ref, c.sha256) for c in ws_graph.components]
    assert rows == [
        ("app", "0.1.0", "path+app@0.1.0", None),
        ("core", "0.2.0", "path+core@0.2.0", None),
        (
            "itoa",
            "1.0.11",
            "pkg:cargo/itoa@1.0.11",
            "49f1f14873335454500d59611f1cf4a4b0f786f9ac11f4312a78e4cf2566695b",
        ),
        (
            "mygit",
            "0.3.0",
            "pkg:cargo/mygit@0.3.0?vcs_url=git%2Bhttps://github.com/example/mygit"
            "%400123456789abcdef0123456789abcdef01234567",
            None,
        ),
        (
            "private",
            "2.0.0",
            "pkg:cargo/private@2.0.0?repository_url=sparse%2Bhttps://registry.example.com/index/",
            "1" * 64,
        ),
    ]
    assert ws_graph.roots == ("path+app@0.1.0", "path+core@0.2.0")
    assert {c.usage for c in ws_graph.components} == {Usage.UNKNOWN}
    assert ws_graph.method is GraphMethod.LOCKFILE
    assert ws_graph.name == "ws"


def test_lockfile_edges_are_recorded_with_unknown_kind(ws_graph: ComponentGraph) -> None:
    edges = {(e.parent, e.child) for e in ws_graph.edges}
    assert ("path+core@0.2.0", "pkg:cargo/itoa@1.0.11") in edges
    assert len(ws_graph.dependencies_of("path+app@0.1.0")) == 4
    assert {k for e in ws_graph.edges for k in e.kinds} == {EdgeKind.LOCKED}


def test_member_metadata_comes_from_the_workspace_with_inheritance(
    ws_graph: ComponentGraph,
) -> None:
    app = ws_graph.get("path+app@0.1.0")
    assert app.license.expression == "MIT OR Apache-2.0"
    assert app.authors == ("Ada Example <ada@example.org>", "Bob Example")
    assert app.repository == "https://github.com/example/app"
    assert app.homepage == "https://app.example.org/"
    assert app.description == "The demo application"
    assert app.workspace_member
    core = ws_graph.get("path+core@0.2.0")
    assert core.license.expression is None
    assert core.license.license_file == "LICENSE.txt"
    assert core.authors == app.authors


def test_dependency_metadata_comes_from_the_cargo_registry_cache(
    ws_graph: ComponentGraph,
) -> None:
    itoa = ws_graph.get("pkg:cargo/itoa@1.0.11")
    assert (itoa.license.expression, itoa.authors) == (
        "MIT OR Apache-2.0",
        ("David Tolnay <dtolnay@gmail.com>",),
    )
    assert (itoa.repository, itoa.documentation) == (
        "https://github.com/dtolnay/itoa",
        "https://docs.rs/itoa",
    )
    assert itoa.metadata_origin == "cargo registry cache"
    private = next(c for c in ws_graph.components if c.name == "private")
    assert private.license.expression == "MIT OR Apache-2.0"
    assert private.license.raw == "MIT/Apache-2.0"
    mygit = next(c for c in ws_graph.components if c.name == "mygit")
    assert (mygit.license.expression, mygit.license.raw) == (None, "Example Proprietary License")
    assert mygit.metadata_origin == "git checkout"


def test_without_a_cache_dependencies_say_why_they_have_no_metadata() -> None:
    lock = parse_lockfile(
        f'version = 4\n[[package]]\nname = "itoa"\nversion = "1.0.11"\nsource = "{CRATES_IO}"\n'
    )
    graph = graph_from_lockfile(lock, metadata=MetadataLookup(), input_digest="0" * 64)
    (itoa,) = graph.components
    assert itoa.metadata_origin == "no source lookup configured"
    assert graph.roots == (itoa.ref,)  # no local package: the packages nothing depends on


def _krate(name: str, *, member: bool = False, source: str | None = CRATES_IO) -> Krate:
    return Krate(
        name=name,
        version=Version.parse("1.0.0"),
        source=None if source is None or member else SourceId.parse(source),
        workspace_member=member,
    )


def test_crate_graph_usage_follows_edge_kinds(tmp_path: Path) -> None:
    # app -> run (normal) -> shared (normal); app -> gen (build) -> shared, gen -> genlib;
    # app -> tester (dev) -> testlib; the lockfile also has unused (not built)
    krates = [
        _krate("app", member=True),
        _krate("run"),
        _krate("shared"),
        _krate("gen"),
        _krate("genlib"),
        _krate("tester"),
        _krate("testlib"),
    ]
    normal, build, dev = ((DepKind.NORMAL, None),), ((DepKind.BUILD, None),), ((DepKind.DEV, None),)
    edges = [
        Edge(parent=0, child=1, kinds=normal),
        Edge(parent=1, child=2, kinds=normal),
        Edge(parent=0, child=3, kinds=build),
        Edge(parent=3, child=2, kinds=normal),
        Edge(parent=3, child=4, kinds=normal),
        Edge(parent=0, child=5, kinds=dev),
        Edge(parent=5, child=6, kinds=normal),
    ]
    crates = CrateGraph(krates=krates, edges=edges, roots=[0])
    lines = ['version = 4\n[[package]]\nname = "app"\nversion = "1.0.0"\n']
    for name in ("run", "shared", "gen", "genlib", "tester", "testlib", "unused"):
        lines.append(f'[[package]]\nname = "{name}"\nversion = "1.0.0"\nsource = "{CRATES_IO}"\n')
    lock = parse_lockfile("\n".join(lines))
    graph = graph_from_crates(
        crates,
        lock=lock,
        metadata=MetadataLookup(),
        input_digest="0" * 64,
        origin=str(tmp_path),
        method=GraphMethod.MANIFESTS,
    )
    usage = {c.name: c.usage for c in graph.components}
    assert usage == {
        "app": Usage.REQUIRED,
        "run": Usage.REQUIRED,
        "shared": Usage.REQUIRED,
        "gen": Usage.BUILD,
        "genlib": Usage.BUILD,
        "tester": Usage.DEV,
        "testlib": Usage.DEV,
        "unused": Usage.OPTIONAL,
    }
    kinds = {(graph.get(e.parent).name, graph.get(e.child).name): e.kinds for e in graph.edges}
    assert kinds[("app", "gen")] == frozenset({EdgeKind.BUILD})
    assert kinds[("app", "tester")] == frozenset({EdgeKind.DEV})


def test_subgraph_keeps_what_one_member_reaches(ws_graph: ComponentGraph) -> None:
    core = ws_graph.subgraph("path+core@0.2.0")
    assert [c.name for c in core.components] == ["core", "itoa"]
    assert (core.name, core.version, core.roots) == ("core", "0.2.0", ("path+core@0.2.0",))
    assert [(e.parent, e.child) for e in core.edges] == [
        ("path+core@0.2.0", "pkg:cargo/itoa@1.0.11")
    ]


def test_components_sort_by_semantic_version() -> None:
    lines = ['version = 4\n[[package]]\nname = "app"\nversion = "0.1.0"\n']
    lines.append('dependencies = ["x 1.9.0", "x 1.10.0"]\n')
    for version in ("1.10.0", "1.9.0"):
        lines.append(f'[[package]]\nname = "x"\nversion = "{version}"\nsource = "{CRATES_IO}"\n')
    lock = parse_lockfile("".join(lines))
    graph = graph_from_lockfile(lock, metadata=MetadataLookup(), input_digest="0" * 64)
    assert [c.version for c in graph.components] == ["0.1.0", "1.9.0", "1.10.0"]
