"""Comparing two SBOMs for a release review: components added, removed, changed, and new
vulnerabilities.

:func:`load_sbom` reads a CycloneDX JSON or SPDX JSON document (any tool's, not only
cratewatch's) into an :class:`SbomSummary`; :func:`diff_sboms` compares two. A component is
identified by its name and where it comes from (the purl's ``repository_url``, or ``vcs_url``
without the commit); when one version of it left and one arrived, that is a change, otherwise
each version is added or removed on its own. A vulnerability counts against a component unless
the document's analysis says ``not_affected``.

>>> old = parse_sbom('{"bomFormat": "CycloneDX", "components": [{"name": "a", "version": "1.0.0",'
...                  ' "purl": "pkg:cargo/a@1.0.0", "bom-ref": "a"}]}', name="old.json")
>>> new = parse_sbom('{"bomFormat": "CycloneDX", "components": [{"name": "a", "version": "1.1.0",'
...                  ' "purl": "pkg:cargo/a@1.1.0", "bom-ref": "a"}]}', name="new.json")
>>> [(c.name, c.old_version, c.new_version) for c in diff_sboms(old, new).changed]
[('a', '1.0.0', '1.1.0')]
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from packageurl import PackageURL

from cratewatch._textfile import read_text_file
from cratewatch._toml import Fields, dotted
from cratewatch.errors import ParseError

__all__ = [
    "MAX_SBOM_BYTES",
    "ComponentChange",
    "InvalidSbom",
    "SbomComponent",
    "SbomDiff",
    "SbomKind",
    "SbomSummary",
    "SbomVulnerability",
    "diff_json",
    "diff_sboms",
    "load_sbom",
    "parse_sbom",
]

MAX_SBOM_BYTES = 256 * 1024 * 1024
"""The largest SBOM file read."""


class InvalidSbom(ParseError):
    """A file is not a CycloneDX or SPDX JSON document, or a field in it is malformed."""


class SbomKind(StrEnum):
    """The document standard."""

    CYCLONEDX = "cyclonedx"
    SPDX = "spdx"


@dataclass(frozen=True, slots=True, kw_only=True, order=True)
class SbomComponent:
    """A package of an SBOM."""

    name: str
    """The package name."""
    version: str
    """Its version (empty when the document has none)."""
    origin: str = ""
    """Where it comes from (registry or repository URL; empty for crates.io or unknown)."""
    purl: str = ""
    """Its purl, when the document gives one."""


@dataclass(frozen=True, slots=True, kw_only=True, order=True)
class SbomVulnerability:
    """An advisory that affects one component version."""

    id: str
    """The advisory id."""
    name: str
    """The affected component's name."""
    version: str
    """Its version."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SbomSummary:
    """What a diff needs of one SBOM."""

    path: str
    """The file, as named."""
    kind: SbomKind
    """CycloneDX or SPDX."""
    components: frozenset[SbomComponent]
    """Every component (the described one included)."""
    vulnerabilities: frozenset[SbomVulnerability]
    """Advisories affecting components (``not_affected`` analyses left out)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ComponentChange:
    """A component whose version changed."""

    name: str
    """The package name."""
    origin: str
    """Where it comes from (empty: crates.io or unknown)."""
    old_version: str
    """Before."""
    new_version: str
    """After."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SbomDiff:
    """The differences from an old SBOM to a new one."""

    old: SbomSummary
    """The old document."""
    new: SbomSummary
    """The new document."""
    added: tuple[SbomComponent, ...]
    """Components only in the new document."""
    removed: tuple[SbomComponent, ...]
    """Components only in the old document."""
    changed: tuple[ComponentChange, ...]
    """Components with one version before and another after."""
    new_vulnerabilities: tuple[SbomVulnerability, ...]
    """Advisory/component pairs only in the new document."""
    resolved_vulnerabilities: tuple[SbomVulnerability, ...]
    """Advisory/component pairs only in the old document."""

    @property
    def unchanged(self) -> bool:
        """Whether nothing differs."""
        return not (
            self.added
            or self.removed
            or self.changed
            or self.new_vulnerabilities
            or self.resolved_vulnerabilities
        )


def load_sbom(path: Path) -> SbomSummary:
    """Read and parse the SBOM at *path* (at most :data:`MAX_SBOM_BYTES`)."""
    text = read_text_file(path, limit=MAX_SBOM_BYTES, what="SBOM", error=InvalidSbom)
    return parse_sbom(text, name=str(path))


def parse_sbom(text: str, *, name: str) -> SbomSummary:
    """Parse a CycloneDX JSON or SPDX JSON document; *name* names it in errors."""
    if text.lstrip().startswith("<"):
        raise InvalidSbom(f"{name}: XML SBOMs are not supported; compare JSON documents")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise InvalidSbom(f"{name}: not JSON: {e}") from e
    f = Fields(name, InvalidSbom)
    table = f.as_table(doc, "")
    if table.get("bomFormat") == "CycloneDX":
        return _cyclonedx(table, f, name)
    if isinstance(table.get("spdxVersion"), str):
        return _spdx(table, f, name)
    raise InvalidSbom(f"{name}: neither a CycloneDX (bomFormat) nor an SPDX (spdxVersion) document")


def _cyclonedx(doc: Mapping[str, Any], f: Fields, name: str) -> SbomSummary:
    by_ref: dict[str, SbomComponent] = {}
    entries: list[tuple[str, Any]] = []
    metadata = f.table(doc, "metadata", "")
    if metadata is not None and metadata.get("component") is not None:
        entries.append(("metadata.component", metadata["component"]))
    entries += [(dotted("components", i), c) for i, c in enumerate(f.array(doc, "components", ""))]
    components: set[SbomComponent] = set()
    while entries:
        where, entry = entries.pop(0)
        table = f.as_table(entry, where)
        component = _component(
            f.string(table, "name", where),
            f.opt_string(table, "version", where) or "",
            f.opt_string(table, "purl", where),
        )
        components.add(component)
        ref = f.opt_string(table, "bom-ref", where)
        if ref is not None:
            by_ref[ref] = component
        nested = f.array(table, "components", where)
        entries += [(dotted(where, "components", i), c) for i, c in enumerate(nested)]
    vulnerabilities: set[SbomVulnerability] = set()
    for i, entry in enumerate(f.array(doc, "vulnerabilities", "")):
        where = dotted("vulnerabilities", i)
        table = f.as_table(entry, where)
        advisory = f.opt_string(table, "id", where) or f.opt_string(table, "bom-ref", where) or ""
        analysis = f.table(table, "analysis", where) or {}
        if analysis.get("state") in ("not_affected", "false_positive", "resolved"):
            continue
        for j, target in enumerate(f.array(table, "affects", where)):
            twhere = dotted(where, "affects", j)
            ref = f.string(f.as_table(target, twhere), "ref", twhere)
            found = by_ref.get(ref.rpartition("#")[2] if ref.startswith("urn:cdx:") else ref)
            hit = found if found is not None else _from_purl_ref(ref)
            if hit is not None:
                vulnerabilities.add(
                    SbomVulnerability(id=advisory, name=hit.name, version=hit.version)
                )
    return SbomSummary(
        path=name,
        kind=SbomKind.CYCLONEDX,
        components=frozenset(components),
        vulnerabilities=frozenset(vulnerabilities),
    )


def _spdx(doc: Mapping[str, Any], f: Fields, name: str) -> SbomSummary:
    components: set[SbomComponent] = set()
    vulnerabilities: set[SbomVulnerability] = set()
    for i, entry in enumerate(f.array(doc, "packages", "")):
        where = dotted("packages", i)
        table = f.as_table(entry, where)
        purl = None
        advisories: list[tuple[str, str]] = []
        for j, ref in enumerate(f.array(table, "externalRefs", where)):
            rwhere = dotted(where, "externalRefs", j)
            rtable = f.as_table(ref, rwhere)
            kind = f.opt_string(rtable, "referenceType", rwhere)
            locator = f.opt_string(rtable, "referenceLocator", rwhere) or ""
            if kind == "purl":
                purl = locator
            elif kind == "advisory":
                comment = f.opt_string(rtable, "comment", rwhere) or ""
                advisories.append((comment.partition(":")[0].strip() or locator, comment))
        component = _component(
            f.string(table, "name", where), f.opt_string(table, "versionInfo", where) or "", purl
        )
        components.add(component)
        for advisory, comment in advisories:
            if "[not_affected" not in comment:
                vulnerabilities.add(
                    SbomVulnerability(id=advisory, name=component.name, version=component.version)
                )
    return SbomSummary(
        path=name,
        kind=SbomKind.SPDX,
        components=frozenset(components),
        vulnerabilities=frozenset(vulnerabilities),
    )


def _component(name: str, version: str, purl: str | None) -> SbomComponent:
    origin = ""
    if purl:
        try:
            parsed = PackageURL.from_string(purl)
        except ValueError:
            parsed = None
        if parsed is not None:
            qualifiers = parsed.qualifiers if isinstance(parsed.qualifiers, dict) else {}
            repository = qualifiers.get("repository_url")
            vcs = qualifiers.get("vcs_url")
            if repository:
                origin = repository
            elif vcs:
                origin = vcs.rpartition("@")[0] if "@" in vcs.partition("://")[2] else vcs
    return SbomComponent(name=name, version=version, origin=origin, purl=purl or "")


def _from_purl_ref(ref: str) -> SbomComponent | None:
    if not ref.startswith("pkg:"):
        return None
    try:
        parsed = PackageURL.from_string(ref)
    except ValueError:
        return None
    return _component(parsed.name, parsed.version or "", ref)


def diff_sboms(old: SbomSummary, new: SbomSummary) -> SbomDiff:
    """What changed from *old* to *new*."""
    before = _by_identity(old.components)
    after = _by_identity(new.components)
    added: list[SbomComponent] = []
    removed: list[SbomComponent] = []
    changed: list[ComponentChange] = []
    for key in sorted(set(before) | set(after)):
        old_versions = before.get(key, {})
        new_versions = after.get(key, {})
        gone = [old_versions[v] for v in sorted(set(old_versions) - set(new_versions))]
        came = [new_versions[v] for v in sorted(set(new_versions) - set(old_versions))]
        if len(gone) == 1 and len(came) == 1:
            changed.append(
                ComponentChange(
                    name=key[0],
                    origin=key[1],
                    old_version=gone[0].version,
                    new_version=came[0].version,
                )
            )
        else:
            removed += gone
            added += came
    return SbomDiff(
        old=old,
        new=new,
        added=tuple(added),
        removed=tuple(removed),
        changed=tuple(changed),
        new_vulnerabilities=tuple(sorted(new.vulnerabilities - old.vulnerabilities)),
        resolved_vulnerabilities=tuple(sorted(old.vulnerabilities - new.vulnerabilities)),
    )


def _by_identity(
    components: frozenset[SbomComponent],
) -> dict[tuple[str, str], dict[str, SbomComponent]]:
    found: dict[tuple[str, str], dict[str, SbomComponent]] = {}
    for component in components:
        found.setdefault((component.name, component.origin), {})[component.version] = component
    return found


def diff_json(diff: SbomDiff) -> dict[str, Any]:
    """The diff as a JSON-ready mapping (``cratewatch sbom diff --format json``)."""

    def component(c: SbomComponent) -> dict[str, str]:
        return {"name": c.name, "version": c.version, "origin": c.origin, "purl": c.purl}

    def vulnerability(v: SbomVulnerability) -> dict[str, str]:
        return {"id": v.id, "name": v.name, "version": v.version}

    return {
        "old": {"path": diff.old.path, "format": diff.old.kind.value},
        "new": {"path": diff.new.path, "format": diff.new.kind.value},
        "added": [component(c) for c in diff.added],
        "removed": [component(c) for c in diff.removed],
        "changed": [
            {
                "name": c.name,
                "origin": c.origin,
                "old_version": c.old_version,
                "new_version": c.new_version,
            }
            for c in diff.changed
        ],
        "new_vulnerabilities": [vulnerability(v) for v in diff.new_vulnerabilities],
        "resolved_vulnerabilities": [vulnerability(v) for v in diff.resolved_vulnerabilities],
    }
