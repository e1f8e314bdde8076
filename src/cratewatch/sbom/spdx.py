"""SPDX 2.3 documents (JSON or tag-value) built with ``spdx-tools``.

:func:`build_spdx_document` turns a :class:`~.model.ComponentGraph` into an
:class:`spdx_tools.spdx.model.Document`: one package per component (purl as a
``PACKAGE-MANAGER`` reference, SHA-256 checksum, declared licence as an SPDX expression,
concluded licence from the licence files when recognised (else ``NOASSERTION``), the first
author as originator and supplier,
repository and documentation as ``OTHER`` references), the document ``DESCRIBES`` the
workspace members, and every dependency edge is a relationship: ``DEPENDS_ON`` for normal (and
lockfile) edges, ``BUILD_DEPENDENCY_OF`` / ``DEV_DEPENDENCY_OF`` for build- and dev-only ones.
With vulnerabilities, each affected package gets a ``SECURITY advisory`` reference to the
RustSec page, commented with the id and the analysis (SPDX 2.3 has no vulnerability section).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
from collections.abc import Sequence
from enum import StrEnum
from typing import assert_never

from license_expression import LicenseExpression
from spdx_tools.spdx.model.actor import Actor, ActorType
from spdx_tools.spdx.model.checksum import Checksum, ChecksumAlgorithm
from spdx_tools.spdx.model.document import CreationInfo, Document
from spdx_tools.spdx.model.package import (
    ExternalPackageRef,
    ExternalPackageRefCategory,
    Package,
    PackagePurpose,
)
from spdx_tools.spdx.model.relationship import Relationship, RelationshipType
from spdx_tools.spdx.model.spdx_no_assertion import SpdxNoAssertion
from spdx_tools.spdx.writer.json import json_writer
from spdx_tools.spdx.writer.tagvalue import tagvalue_writer

from cratewatch import __version__
from cratewatch.sbom.cyclonedx import DocumentSettings, split_author
from cratewatch.sbom.licenses import spdx_licensing
from cratewatch.sbom.model import Component, ComponentGraph, EdgeKind, Usage
from cratewatch.sbom.vex import VexStatement

__all__ = ["SPDX_VERSIONS", "SpdxEncoding", "build_spdx_document", "render_spdx", "spdx_id"]

SPDX_VERSIONS = ("2.3",)
"""The SPDX spec versions cratewatch writes."""

_ID_UNSAFE = re.compile(r"[^A-Za-z0-9.-]+")


class SpdxEncoding(StrEnum):
    """The serialisation."""

    JSON = "json"
    TAG_VALUE = "tag-value"


def render_spdx(
    graph: ComponentGraph,
    *,
    encoding: SpdxEncoding,
    settings: DocumentSettings,
    spec_version: str = "2.3",
    vulnerabilities: Sequence[VexStatement] = (),
) -> str:
    """The SPDX document of *graph* as JSON or tag-value text (not validated here: the
    validator is slow on large graphs; the tests validate every kind of document)."""
    document = build_spdx_document(
        graph, settings=settings, spec_version=spec_version, vulnerabilities=vulnerabilities
    )
    out = io.StringIO()
    match encoding:
        case SpdxEncoding.JSON:
            json_writer.write_document_to_stream(document, out, validate=False)
        case SpdxEncoding.TAG_VALUE:
            tagvalue_writer.write_document_to_stream(document, out, validate=False)
        case _:
            assert_never(encoding)
    text = out.getvalue()
    return text if text.endswith("\n") else text + "\n"


def spdx_id(component: Component, taken: set[str]) -> str:
    """An ``SPDXRef-`` id for *component*, unique among *taken* (which it joins)."""
    base = "SPDXRef-Package-" + _ID_UNSAFE.sub("-", f"{component.name}-{component.version}")
    candidate = base
    if candidate in taken:
        candidate = f"{base}-{hashlib.sha256(component.ref.encode()).hexdigest()[:10]}"
    taken.add(candidate)
    return candidate


def build_spdx_document(
    graph: ComponentGraph,
    *,
    settings: DocumentSettings,
    spec_version: str = "2.3",
    vulnerabilities: Sequence[VexStatement] = (),
) -> Document:
    """The :class:`spdx_tools.spdx.model.Document` of *graph*."""
    if spec_version not in SPDX_VERSIONS:
        raise ValueError(
            f"SPDX spec version {spec_version!r} is not supported "
            f"(choose from {', '.join(SPDX_VERSIONS)})"
        )
    taken: set[str] = set()
    ids = {c.ref: spdx_id(c, taken) for c in graph.components}
    advisories: dict[str, list[ExternalPackageRef]] = {}
    for statement in vulnerabilities:
        for ref, _version in statement.affects:
            advisories.setdefault(ref, []).append(_advisory_ref(statement))
    roots = set(graph.roots)
    packages = [
        _package(c, ids[c.ref], root=c.ref in roots, advisories=advisories.get(c.ref, []))
        for c in graph.components
    ]
    relationships = [
        Relationship("SPDXRef-DOCUMENT", RelationshipType.DESCRIBES, ids[r]) for r in graph.roots
    ]
    for edge in graph.edges:
        parent, child = ids[edge.parent], ids[edge.child]
        if edge.kinds & {EdgeKind.NORMAL, EdgeKind.LOCKED}:
            relationships.append(Relationship(parent, RelationshipType.DEPENDS_ON, child))
        elif EdgeKind.BUILD in edge.kinds:
            relationships.append(Relationship(child, RelationshipType.BUILD_DEPENDENCY_OF, parent))
        else:
            relationships.append(Relationship(child, RelationshipType.DEV_DEPENDENCY_OF, parent))
    name = graph.name if graph.version is None else f"{graph.name}-{graph.version}"
    creation = CreationInfo(
        spdx_version=f"SPDX-{spec_version}",
        spdx_id="SPDXRef-DOCUMENT",
        name=name,
        document_namespace=(
            f"https://spdx.org/spdxdocs/{_ID_UNSAFE.sub('-', name)}-{settings.serial}"
        ),
        creators=[Actor(ActorType.TOOL, f"cratewatch-{__version__}")],
        created=settings.timestamp.astimezone(dt.UTC).replace(tzinfo=None, microsecond=0),
        creator_comment=f"Built from {graph.method.value}; input sha256 {graph.input_digest}",
    )
    return Document(creation, packages=packages, relationships=relationships)


def _package(
    component: Component, package_id: str, *, root: bool, advisories: list[ExternalPackageRef]
) -> Package:
    refs = [ExternalPackageRef(ExternalPackageRefCategory.PACKAGE_MANAGER, "purl", component.purl)]
    for kind, url in (("vcs", component.repository), ("documentation", component.documentation)):
        if url:
            refs.append(ExternalPackageRef(ExternalPackageRefCategory.OTHER, kind, url))
    refs.extend(advisories)
    info = component.license
    declared: LicenseExpression | SpdxNoAssertion = SpdxNoAssertion()
    comment = None
    if info.expression is not None:
        declared = spdx_licensing().parse(info.expression)
    elif info.raw is not None:
        comment = f"Cargo.toml license = {info.raw!r} is not an SPDX expression"
    elif info.license_file is not None:
        comment = f"Cargo.toml license-file = {info.license_file!r}"
    concluded: LicenseExpression | SpdxNoAssertion = (
        spdx_licensing().parse(info.concluded) if info.concluded else SpdxNoAssertion()
    )
    originator = None
    if component.authors:
        author, email = split_author(component.authors[0])
        if author:
            originator = Actor(ActorType.PERSON, author, email)
    return Package(
        spdx_id=package_id,
        name=component.name,
        download_location=component.download_url or SpdxNoAssertion(),
        version=component.version,
        supplier=originator,
        originator=originator,
        files_analyzed=False,
        checksums=(
            [Checksum(ChecksumAlgorithm.SHA256, component.sha256)] if component.sha256 else []
        ),
        homepage=component.homepage,
        license_concluded=concluded,
        license_declared=declared,
        license_comment=comment,
        copyright_text=SpdxNoAssertion(),
        summary=component.description,
        comment=_usage_comment(component.usage),
        external_references=refs,
        primary_package_purpose=PackagePurpose.APPLICATION if root else PackagePurpose.LIBRARY,
    )


def _usage_comment(usage: Usage) -> str:
    match usage:
        case Usage.REQUIRED:
            return "cratewatch usage: required (normal dependency)"
        case Usage.BUILD:
            return "cratewatch usage: build (only needed to build)"
        case Usage.DEV:
            return "cratewatch usage: dev (only for tests, benchmarks, examples)"
        case Usage.OPTIONAL:
            return "cratewatch usage: optional (not built with the selected features and target)"
        case Usage.UNKNOWN:
            return "cratewatch usage: unknown (listed in Cargo.lock)"
        case _:
            assert_never(usage)


def _advisory_ref(statement: VexStatement) -> ExternalPackageRef:
    analysis = statement.state.value
    if statement.justification:
        analysis += f" ({statement.justification})"
    return ExternalPackageRef(
        ExternalPackageRefCategory.SECURITY,
        "advisory",
        statement.url,
        f"{statement.id}: {statement.title} [{analysis}]",
    )
