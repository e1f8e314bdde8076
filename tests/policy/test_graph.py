"""The crate graph: cargo metadata and Cargo.lock + manifests agree, and [graph] pruning."""

from __future__ import annotations

import hashlib
import io
import subprocess
import tarfile
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from cratewatch.lockfile import parse_lockfile
from cratewatch.policy.crate_sources import SourceFound, SourceLocator, SourceNotFound
from cratewatch.policy.graph import CrateGraph, DepKind, GraphTarget, ManifestMissing, prune
from cratewatch.policy.graph_lock import FeatureRequest, graph_from_lockfile
from cratewatch.policy.graph_metadata import (
    InvalidMetadata,
    MetadataOptions,
    graph_from_metadata,
    run_cargo_metadata,
)
from cratewatch.registry.crates import CrateFetcher
from cratewatch.resolver.platform import Target
from tests.policy.cargo_project import CargoProject, VendoredCrate, cargo_env, manifest

APP = manifest(
    "app",
    body="""
[dependencies]
a = { version = "1", features = ["extra"] }
b = { version = "1", optional = true }
c = { version = "1", default-features = false }

[dev-dependencies]
d = "1"

[build-dependencies]
e = "1"

[target.'cfg(windows)'.dependencies]
w = "1"

[target.x86_64-pc-windows-msvc.dependencies]
wm = "1"

[features]
with-b = ["dep:b"]
weak = ["b?/bfeat"]
""",
)
WORKSPACE = "[workspace]\nmembers = ['tool']\n\n[dependencies]"
TOOL = manifest("tool", body='[dependencies]\napp = { path = "..", features = ["with-b", "weak"] }')
CRATES = (
    VendoredCrate(
        name="a",
        version="1.0.0",
        body="""
[dependencies]
opt1 = { version = "1", optional = true }
opt2 = { version = "1", optional = true }

[features]
default = ["x"]
x = []
extra = ["dep:opt1"]
""",
    ),
    VendoredCrate(name="b", version="1.0.0", body="[features]\nbfeat = []"),
    VendoredCrate(
        name="c",
        version="1.0.0",
        body='[dependencies]\ncopt = { version = "1", optional = true }\n'
        '[features]\ndefault = ["copt"]',
    ),
    *(
        VendoredCrate(name=n, version="1.0.0")
        for n in ("d", "e", "w", "wm", "opt1", "opt2", "copt")
    ),
)


@pytest.fixture(scope="module")
def features_project(tmp_path_factory: pytest.TempPathFactory, cargo: Path) -> CargoProject:
    root = tmp_path_factory.mktemp("features")
    project = CargoProject(
        root,
        members={
            "": APP.replace(
                "[dependencies]", "[workspace]\nmembers = ['tool']\n\n[dependencies]", 1
            ),
            "tool": TOOL,
        },
    )
    project.add(*CRATES)
    project.write(cargo=cargo)
    return project


def metadata_graph(
    project: CargoProject, cargo: Path, options: MetadataOptions | None = None
) -> CrateGraph:
    doc = run_cargo_metadata(
        cargo,
        project.root / "Cargo.toml",
        options or MetadataOptions(offline=True),
        env=cargo_env(project.home),
    )
    return graph_from_metadata(doc)


def summary(graph: CrateGraph) -> dict[str, object]:
    names = [k.name for k in graph.krates]
    return {
        "features": {k.name: sorted(k.enabled_features) for k in graph.krates},
        "edges": sorted(
            (names[e.parent], names[e.child], sorted((k.value, t or "") for k, t in e.kinds))
            for e in graph.edges
        ),
        "roots": [names[r] for r in graph.roots],
    }


def vendor_locator(project: CargoProject) -> SourceLocator:
    return SourceLocator(vendor_dirs=[project.root / "vendor"], cargo_home=None)


def test_lockfile_graph_matches_cargo_metadata(features_project: CargoProject, cargo: Path) -> None:
    from_cargo = metadata_graph(features_project, cargo)
    from_lock = graph_from_lockfile(features_project.root, vendor_locator(features_project))
    assert summary(from_lock) == summary(from_cargo)
    by_name = {k.name: k for k in from_lock.krates}
    # the weak feature fired because `tool` activated `b`; opt2 and copt never were
    assert by_name["a"].enabled_features == {"default", "x", "extra"}
    assert by_name["b"].enabled_features == {"bfeat"}
    assert "opt2" not in by_name
    assert "copt" not in by_name
    assert by_name["c"].enabled_features == frozenset()


@pytest.mark.parametrize(
    ("options", "request_"),
    [
        (MetadataOptions(offline=True, all_features=True), FeatureRequest(all_features=True)),
        (
            MetadataOptions(offline=True, no_default_features=True),
            FeatureRequest(no_default_features=True),
        ),
        (MetadataOptions(offline=True, features=("weak",)), FeatureRequest(features=("weak",))),
    ],
    ids=["all-features", "no-default-features", "features"],
)
def test_feature_flags_agree_with_cargo(
    features_project: CargoProject,
    cargo: Path,
    options: MetadataOptions,
    request_: FeatureRequest,
) -> None:
    from_cargo = metadata_graph(features_project, cargo, options)
    request = request_
    from_lock = graph_from_lockfile(
        features_project.root, vendor_locator(features_project), request=request
    )
    assert summary(from_lock) == summary(from_cargo)


def test_optional_dependency_is_absent_until_a_feature_enables_it(
    tmp_path: Path, cargo: Path
) -> None:
    project = CargoProject(tmp_path, members={"": APP})
    project.add(*CRATES)
    project.write(cargo=cargo)
    graph = graph_from_lockfile(tmp_path, vendor_locator(project))
    assert "b" not in {k.name for k in graph.krates}
    with_b = graph_from_lockfile(
        tmp_path, vendor_locator(project), request=FeatureRequest(features=("with-b",))
    )
    assert "b" in {k.name for k in with_b.krates}
    options = MetadataOptions(offline=True, features=("with-b",))
    assert summary(with_b) == summary(metadata_graph(project, cargo, options))


def rustc_target(triple: str) -> GraphTarget:
    out = subprocess.run(
        ["rustc", "--print", "cfg", "--target", triple], capture_output=True, text=True, check=True
    ).stdout
    return GraphTarget(triple=triple, cfgs=Target.from_rustc_cfg(triple, out).cfgs)


def names(graph: CrateGraph) -> set[str]:
    return {k.name for k in graph.krates}


def test_prune_exclude_dev_targets_and_excluded_roots(
    features_project: CargoProject, cargo: Path
) -> None:
    graph = metadata_graph(features_project, cargo)
    assert {"d", "w", "wm", "b"} <= names(graph)
    assert "d" not in names(prune(graph, exclude_dev=True))
    linux = prune(graph, targets=[rustc_target("x86_64-unknown-linux-gnu")])
    assert not {"w", "wm"} & names(linux)
    windows = prune(graph, targets=[rustc_target("x86_64-pc-windows-msvc")])
    assert {"w", "wm"} <= names(windows)
    # a target rustc does not describe only matches [target.<triple>] tables (cargo-deny)
    unknown = prune(graph, targets=[GraphTarget(triple="x86_64-pc-windows-msvc")])
    assert "wm" in names(unknown)
    assert "w" not in names(unknown)
    (tool,) = graph.by_name("tool")
    assert names(graph) - names(prune(graph, exclude=[tool])) == {"tool"}
    (d,) = prune(graph).by_name("d")
    edges = prune(graph).dependents(d)
    assert [e.kind_set for e in edges] == [frozenset({DepKind.DEV})]


def test_inclusion_tree_lists_dependents_up_to_the_roots(
    features_project: CargoProject, cargo: Path
) -> None:
    graph = metadata_graph(features_project, cargo)
    (e,) = graph.by_name("e")
    assert graph.inclusion_tree(e) == ("e v1.0.0", "└── app v0.1.0 (build)", "    └── tool v0.1.0")


def test_missing_sources_keep_lockfile_edges(tmp_path: Path) -> None:
    (tmp_path / "Cargo.toml").write_text(manifest("app", body='[dependencies]\nx = "1"'))
    (tmp_path / "src").mkdir()
    (tmp_path / "src/lib.rs").write_text("")
    (tmp_path / "Cargo.lock").write_text(LOCK)
    graph = graph_from_lockfile(tmp_path, SourceLocator(vendor_dirs=(), cargo_home=None))
    by_name = {k.name: k for k in graph.krates}
    assert by_name["x"].manifest == ManifestMissing(
        reason="not vendored, not in the cargo registry cache, and downloading is off"
    )
    assert summary(graph)["edges"] == [
        ("app", "x", [("normal", "")]),
        ("x", "y", [("normal", "")]),
    ]


LOCK = """version = 4

[[package]]
name = "app"
version = "0.1.0"
dependencies = ["x"]

[[package]]
name = "x"
version = "1.0.0"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "{x}"
dependencies = ["y"]

[[package]]
name = "y"
version = "1.0.0"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "{y}"
"""


def crate_file(name: str, version: str, files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for path, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(f"{name}-{version}/{path}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def test_downloaded_crates_are_verified_and_extracted(
    tmp_path: Path, httpserver: HTTPServer
) -> None:
    x = crate_file(
        "x", "1.0.0", {"Cargo.toml": manifest("x", "1.0.0", body='[dependencies]\ny = "1"')}
    )
    y = crate_file("y", "1.0.0", {"Cargo.toml": manifest("y", "1.0.0", package='license = "MIT"')})
    httpserver.expect_request("/x/x-1.0.0.crate").respond_with_data(x)
    httpserver.expect_request("/y/y-1.0.0.crate").respond_with_data(b"tampered")
    lock = parse_lockfile(
        LOCK.replace("{x}", hashlib.sha256(x).hexdigest()).replace(
            "{y}", hashlib.sha256(y).hexdigest()
        )
    )
    dl = httpserver.url_for("/") + "{crate}/{crate}-{version}.crate"
    with CrateFetcher(tmp_path / "cache", dl=dl, timeout=5) as fetcher:
        locator = SourceLocator(
            vendor_dirs=(), cargo_home=None, fetcher=fetcher, extract_dir=tmp_path / "src"
        )
        found = locator.locate(lock.find("x")[0])
        assert found == SourceFound(
            manifest=tmp_path / "src" / "x-1.0.0" / "Cargo.toml", origin="downloaded .crate"
        )
        assert found.manifest.read_text().startswith('[package]\nname = "x"')
        again = locator.locate(lock.find("x")[0])
        assert again == found
        bad = locator.locate(lock.find("y")[0])
    assert isinstance(bad, SourceNotFound)
    assert bad.reason.startswith("download failed: ")
    assert "downloaded file has sha256" in bad.reason


def test_registry_cache_and_vendor_directories_are_searched(tmp_path: Path) -> None:
    home = tmp_path / "home"
    cached = home / "registry/src/index.crates.io-1949cf8c6b5b557f/x-1.0.0"
    cached.mkdir(parents=True)
    (cached / "Cargo.toml").write_text(manifest("x", "1.0.0"))
    vendor = tmp_path / "vendor" / "y"
    vendor.mkdir(parents=True)
    (vendor / "Cargo.toml").write_text(manifest("y", "1.0.0"))
    lock = parse_lockfile(LOCK.replace("{x}", "0" * 64).replace("{y}", "1" * 64))
    locator = SourceLocator(vendor_dirs=[tmp_path / "vendor"], cargo_home=home)
    assert locator.locate(lock.find("x")[0]) == SourceFound(
        manifest=cached / "Cargo.toml", origin="cargo registry cache"
    )
    assert locator.locate(lock.find("y")[0]) == SourceFound(
        manifest=vendor / "Cargo.toml", origin="vendor directory"
    )


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        (
            {"packages": []},
            "cargo metadata: resolve: missing (was cargo metadata run with --no-deps?)",
        ),
        (
            {"packages": [{"id": "a", "name": "a", "version": 3}], "resolve": {"nodes": []}},
            "cargo metadata: packages[0].version: expected a string, got 3",
        ),
        (
            {"packages": [], "resolve": {"nodes": [{"id": "ghost"}]}},
            "cargo metadata: resolve.nodes[0].id: 'ghost' is not in packages",
        ),
    ],
)
def test_bad_metadata_names_the_field(doc: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidMetadata) as info:
        graph_from_metadata(doc)
    assert str(info.value) == message
