"""CycloneDX documents (JSON or XML, spec 1.4 to 1.6) built with ``cyclonedx-python-lib``.

:func:`render_cyclonedx` writes a :class:`~.model.ComponentGraph` as a BOM: the described
package (or the workspace) as ``metadata.component``, every other package as a library
component with purl, SHA-256, licence, authors, external references and scope, the full
``dependencies`` graph, and optionally the audit findings as ``vulnerabilities`` (VEX).
:func:`render_vex` writes a standalone VEX document: only the vulnerabilities, whose
``affects`` name components by the refs (purls) the SBOM uses.

Scopes: required packages are ``required``, packages not built with the selected features or
target ``optional``, build- and dev-only packages ``excluded`` (with a ``cratewatch:usage``
property saying which); lockfile-only graphs leave the scope out (Cargo.lock cannot tell).
"""

from __future__ import annotations

import datetime as dt
import uuid
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import assert_never

from cyclonedx.model import (
    ExternalReference,
    ExternalReferenceType,
    HashAlgorithm,
    HashType,
    Property,
    XsUri,
)
from cyclonedx.model.bom import Bom, BomMetaData
from cyclonedx.model.component import Component as CdxComponent
from cyclonedx.model.component import ComponentScope, ComponentType
from cyclonedx.model.contact import OrganizationalContact
from cyclonedx.model.dependency import Dependency
from cyclonedx.model.impact_analysis import (
    ImpactAnalysisAffectedStatus,
    ImpactAnalysisJustification,
    ImpactAnalysisResponse,
    ImpactAnalysisState,
)
from cyclonedx.model.license import DisjunctiveLicense, License, LicenseExpression
from cyclonedx.model.vulnerability import (
    BomTarget,
    BomTargetVersionRange,
    Vulnerability,
    VulnerabilityAdvisory,
    VulnerabilityAnalysis,
    VulnerabilityRating,
    VulnerabilityReference,
    VulnerabilityScoreSource,
    VulnerabilitySeverity,
    VulnerabilitySource,
)
from cyclonedx.output import make_outputter
from cyclonedx.schema import OutputFormat, SchemaVersion
from packageurl import PackageURL

from cratewatch import __version__
from cratewatch.sbom.model import Component, ComponentGraph, Usage
from cratewatch.sbom.vex import VexState, VexStatement

__all__ = [
    "CYCLONEDX_VERSIONS",
    "CycloneDxEncoding",
    "DocumentSettings",
    "build_bom",
    "render_cyclonedx",
    "render_vex",
]

CYCLONEDX_VERSIONS = ("1.4", "1.5", "1.6")
"""The CycloneDX spec versions cratewatch writes."""

_SCHEMA = {"1.4": SchemaVersion.V1_4, "1.5": SchemaVersion.V1_5, "1.6": SchemaVersion.V1_6}
_RUSTSEC = "RustSec"


class CycloneDxEncoding(StrEnum):
    """The serialisation."""

    JSON = "json"
    XML = "xml"


@dataclass(frozen=True, slots=True, kw_only=True)
class DocumentSettings:
    """Document-level values: when it was made and its serial number."""

    timestamp: dt.datetime
    """The creation time written in the document."""
    serial: uuid.UUID
    """The document's serial number (also seeds the SPDX namespace)."""

    @classmethod
    def fresh(cls, now: dt.datetime) -> DocumentSettings:
        """A new document: the current time and a random serial."""
        return cls(timestamp=now, serial=uuid.uuid4())

    @classmethod
    def reproducible(cls, graph: ComponentGraph, *, timestamp: dt.datetime) -> DocumentSettings:
        """Same inputs, same document: a fixed timestamp and a serial derived from the
        graph's input digest and subject."""
        seed = f"cratewatch:{graph.input_digest}:{graph.name}:{','.join(graph.roots)}"
        return cls(timestamp=timestamp, serial=uuid.uuid5(uuid.NAMESPACE_URL, seed))


def render_cyclonedx(
    graph: ComponentGraph,
    *,
    encoding: CycloneDxEncoding,
    spec_version: str,
    settings: DocumentSettings,
    vulnerabilities: Sequence[VexStatement] = (),
) -> str:
    """The BOM of *graph* as JSON or XML text."""
    schema = _schema(spec_version)
    bom = build_bom(graph, spec_version=spec_version, settings=settings)
    for vulnerability in _vulnerabilities(vulnerabilities):
        bom.vulnerabilities.add(vulnerability)
    return _serialise(bom, encoding, schema)


def render_vex(
    graph: ComponentGraph,
    statements: Sequence[VexStatement],
    *,
    encoding: CycloneDxEncoding,
    spec_version: str,
    settings: DocumentSettings,
) -> str:
    """A standalone VEX document: the subject as ``metadata.component``, no other component,
    and the vulnerabilities, whose ``affects`` refs are the SBOM's component refs (purls)."""
    schema = _schema(spec_version)
    metadata = _metadata(graph, settings, spec_version)
    bom = Bom(metadata=metadata, serial_number=settings.serial)
    for vulnerability in _vulnerabilities(statements):
        bom.vulnerabilities.add(vulnerability)
    return _serialise(bom, encoding, schema)


def build_bom(graph: ComponentGraph, *, spec_version: str, settings: DocumentSettings) -> Bom:
    """The :class:`cyclonedx.model.bom.Bom` of *graph* (without vulnerabilities)."""
    metadata = _metadata(graph, settings, spec_version)
    subject = metadata.component
    assert subject is not None
    single_root = graph.roots[0] if len(graph.roots) == 1 else None
    built = {
        c.ref: _component(c, spec_version) if c.ref != single_root else subject
        for c in graph.components
    }
    children: dict[str, list[str]] = {}
    for edge in graph.edges:
        children.setdefault(edge.parent, []).append(edge.child)
    # one Dependency per component, built directly: Bom.register_dependency is quadratic
    dependencies = [
        Dependency(
            ref=built[c.ref].bom_ref,
            dependencies=[Dependency(ref=built[d].bom_ref) for d in children.get(c.ref, ())],
        )
        for c in graph.components
    ]
    if single_root is None:
        dependencies.append(
            Dependency(
                ref=subject.bom_ref,
                dependencies=[Dependency(ref=built[r].bom_ref) for r in graph.roots],
            )
        )
    return Bom(
        components=[built[c.ref] for c in graph.components if c.ref != single_root],
        metadata=metadata,
        serial_number=settings.serial,
        dependencies=dependencies,
    )


# --- pieces -----------------------------------------------------------------------------------


def _schema(spec_version: str) -> SchemaVersion:
    try:
        return _SCHEMA[spec_version]
    except KeyError:
        raise ValueError(
            f"CycloneDX spec version {spec_version!r} is not supported "
            f"(choose from {', '.join(CYCLONEDX_VERSIONS)})"
        ) from None


def _serialise(bom: Bom, encoding: CycloneDxEncoding, schema: SchemaVersion) -> str:
    match encoding:
        case CycloneDxEncoding.JSON:
            text = make_outputter(bom, OutputFormat.JSON, schema).output_as_string(indent=2)
        case CycloneDxEncoding.XML:
            text = make_outputter(bom, OutputFormat.XML, schema).output_as_string(indent=2)
        case _:
            assert_never(encoding)
    return text if text.endswith("\n") else text + "\n"


def _metadata(graph: ComponentGraph, settings: DocumentSettings, spec_version: str) -> BomMetaData:
    if len(graph.roots) == 1:
        subject = _component(
            graph.get(graph.roots[0]), spec_version, kind=ComponentType.APPLICATION
        )
    else:
        subject = CdxComponent(
            name=graph.name,
            type=ComponentType.APPLICATION,
            bom_ref=f"workspace:{graph.name}",
            description=f"Cargo workspace {graph.name} ({len(graph.roots)} members)",
        )
    metadata = BomMetaData(
        component=subject,
        timestamp=settings.timestamp,
        properties=[
            Property(name="cratewatch:graph", value=graph.method.value),
            Property(name="cratewatch:input-sha256", value=graph.input_digest),
        ],
    )
    metadata.tools.components.add(
        CdxComponent(
            name="cratewatch",
            version=__version__,
            type=ComponentType.APPLICATION,
            group="cratewatch",
        )
    )
    return metadata


_SCOPES = {
    Usage.REQUIRED: ComponentScope.REQUIRED,
    Usage.OPTIONAL: ComponentScope.OPTIONAL,
    Usage.BUILD: ComponentScope.EXCLUDED,
    Usage.DEV: ComponentScope.EXCLUDED,
    Usage.UNKNOWN: None,
}


def _component(
    component: Component, spec_version: str, *, kind: ComponentType = ComponentType.LIBRARY
) -> CdxComponent:
    properties = [Property(name="cratewatch:usage", value=component.usage.value)]
    if component.source is not None and not component.source.is_crates_io:
        properties.append(Property(name="cratewatch:source", value=component.source.to_url()))
    if component.workspace_member:
        properties.append(Property(name="cratewatch:workspace-member", value="true"))
    if component.license.concluded:
        # a BOM may hold one licence expression: the declared one; the concluded one goes here
        properties.append(
            Property(name="cratewatch:concluded-license", value=component.license.concluded)
        )
    cdx = CdxComponent(
        name=component.name,
        version=component.version,
        type=kind,
        bom_ref=component.ref,
        purl=PackageURL.from_string(component.purl),
        scope=_SCOPES[component.usage],
        description=component.description,
        hashes=(
            [HashType(alg=HashAlgorithm.SHA_256, content=component.sha256)]
            if component.sha256
            else None
        ),
        licenses=_licenses(component),
        external_references=_references(component),
        properties=properties,
    )
    contacts = [_contact(a) for a in component.authors]
    if contacts and spec_version >= "1.6":
        cdx.authors = contacts
    elif contacts:
        with warnings.catch_warnings():  # `author` is deprecated from 1.6 on, current before
            warnings.simplefilter("ignore")
            cdx.author = ", ".join(component.authors)
    return cdx


def _licenses(component: Component) -> list[License] | None:
    info = component.license
    if info.expression is not None:
        return [LicenseExpression(info.expression)]
    if info.raw is not None:
        return [DisjunctiveLicense(name=info.raw)]
    return None


def _references(component: Component) -> list[ExternalReference]:
    refs = []
    for kind, url in (
        (ExternalReferenceType.VCS, component.repository),
        (ExternalReferenceType.WEBSITE, component.homepage),
        (ExternalReferenceType.DOCUMENTATION, component.documentation),
    ):
        if url:
            refs.append(ExternalReference(type=kind, url=XsUri(url)))
    return refs


def _contact(author: str) -> OrganizationalContact:
    name, email = split_author(author)
    return OrganizationalContact(name=name or None, email=email)


def split_author(author: str) -> tuple[str, str | None]:
    """``"Name <email>"`` -> ``("Name", "email")``; no angle brackets -> ``(author, None)``.

    >>> split_author("David Tolnay <dtolnay@gmail.com>")
    ('David Tolnay', 'dtolnay@gmail.com')
    """
    text = author.strip()
    if text.endswith(">") and "<" in text:
        name, _, email = text[:-1].rpartition("<")
        email = email.strip()
        return name.strip(), email if "@" in email and " " not in email else None
    return text, None


# --- vulnerabilities --------------------------------------------------------------------------


def _vulnerabilities(statements: Iterable[VexStatement]) -> list[Vulnerability]:
    return [_vulnerability(s) for s in statements]


def _vulnerability(statement: VexStatement) -> Vulnerability:
    rustsec = VulnerabilitySource(name=_RUSTSEC, url=XsUri(statement.url))
    ratings = []
    if statement.cvss is not None:
        cvss = statement.cvss
        ratings.append(
            VulnerabilityRating(
                source=rustsec,
                score=Decimal(str(cvss.base_score)),
                severity=VulnerabilitySeverity(cvss.severity.value),
                method=VulnerabilityScoreSource.get_from_vector(cvss.vector),
                vector=cvss.vector,
            )
        )
    status = (
        ImpactAnalysisAffectedStatus.AFFECTED
        if statement.state is VexState.AFFECTED
        else ImpactAnalysisAffectedStatus.UNAFFECTED
    )
    return Vulnerability(
        bom_ref=statement.ref,
        id=statement.id,
        source=rustsec,
        references=[_alias(a) for a in statement.aliases],
        ratings=ratings,
        description=statement.title,
        detail=statement.description or None,
        advisories=[VulnerabilityAdvisory(url=XsUri(u)) for u in statement.references],
        published=dt.datetime.combine(statement.published, dt.time(), dt.UTC),
        affects=[
            BomTarget(ref=ref, versions=[BomTargetVersionRange(version=version, status=status)])
            for ref, version in statement.affects
        ],
        analysis=_analysis(statement),
        properties=[Property(name="cratewatch:kind", value=statement.kind)],
    )


def _alias(alias: str) -> VulnerabilityReference:
    if alias.startswith("CVE-"):
        source = VulnerabilitySource(
            name="NVD", url=XsUri(f"https://nvd.nist.gov/vuln/detail/{alias}")
        )
    elif alias.startswith("GHSA-"):
        source = VulnerabilitySource(
            name="GitHub", url=XsUri(f"https://github.com/advisories/{alias}")
        )
    else:
        source = VulnerabilitySource(name=alias.partition("-")[0] or "other")
    return VulnerabilityReference(id=alias, source=source)


def _analysis(statement: VexStatement) -> VulnerabilityAnalysis | None:
    match statement.state:
        case VexState.AFFECTED:
            return None
        case VexState.NOT_AFFECTED:
            return VulnerabilityAnalysis(
                state=ImpactAnalysisState.NOT_AFFECTED,
                justification=(
                    ImpactAnalysisJustification(statement.justification)
                    if statement.justification
                    else None
                ),
                detail=statement.detail,
            )
        case VexState.WILL_NOT_FIX:
            return VulnerabilityAnalysis(
                responses=[ImpactAnalysisResponse.WILL_NOT_FIX], detail=statement.detail
            )
        case _:
            assert_never(statement.state)
