"""Every real lockfile in the shared data makes SBOMs that validate in both formats."""

from __future__ import annotations

from pathlib import Path

import pytest

from cratewatch.lockfile import load_lockfile
from cratewatch.sbom.cyclonedx import CycloneDxEncoding, DocumentSettings, render_cyclonedx
from cratewatch.sbom.graph import MetadataLookup, graph_from_lockfile, input_digest
from cratewatch.sbom.spdx import build_spdx_document
from tests.conftest import _shared_data_dir
from tests.sbom.documents import (
    FIXED,
    assert_valid_cyclonedx_json,
    assert_valid_cyclonedx_xml,
    assert_valid_spdx,
)

_LOCKFILES = sorted((_shared_data_dir() / "lockfiles").glob("*/Cargo.lock"))


@pytest.mark.shared
@pytest.mark.parametrize("lockfile", _LOCKFILES, ids=[p.parent.name for p in _LOCKFILES])
def test_every_shared_lockfile_validates_as_cyclonedx_and_spdx(
    shared_data: Path, lockfile: Path
) -> None:
    lock = load_lockfile(lockfile)
    graph = graph_from_lockfile(
        lock,
        metadata=MetadataLookup(workspace_root=lockfile.parent),
        input_digest=input_digest(lockfile.read_bytes(), {}),
    )
    assert len(graph.components) == len(lock.packages)
    settings = DocumentSettings.reproducible(graph, timestamp=FIXED)
    for encoding, check in (
        (CycloneDxEncoding.JSON, assert_valid_cyclonedx_json),
        (CycloneDxEncoding.XML, assert_valid_cyclonedx_xml),
    ):
        check(
            render_cyclonedx(graph, encoding=encoding, spec_version="1.6", settings=settings),
            "1.6",
        )
    assert_valid_spdx(build_spdx_document(graph, settings=settings))
