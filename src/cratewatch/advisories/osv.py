"""OSV export and import of advisories (https://ossf.github.io/osv-schema/).

Export follows the ``rustsec`` crate's ``src/osv/advisory.rs`` field for field, so a file
written here has the same content as the one RustSec publishes on advisory-db's ``osv``
branch (and osv.dev): ``modified`` is the last commit time of the advisory file, ``published``
and ``withdrawn`` are the advisory dates at 12:00:00Z, ``affected`` holds one ``crates.io``
package with RustSec's ``ecosystem_specific`` and ``database_specific`` blocks and one
``SEMVER`` range (see :mod:`cratewatch.advisories.ranges`), and ``references`` are the
crates.io page, the rustsec.org page, ``url`` and ``references``, typed by RustSec's URL
rules. Two deliberate differences: ``schema_version`` is left out instead of written as
``null`` (which the OSV schema forbids, as does RustSec's current code), and each file ends
with a newline.

Import (:func:`load_osv`, implemented in :mod:`cratewatch.advisories.osv_import` and
re-exported here) reads a directory of OSV JSON files or a zip of them (osv.dev's
``all.zip``), keeps the ``crates.io`` entries and turns each into an :class:`Advisory` whose
:meth:`~Advisory.affects` goes by the OSV ranges.

>>> import datetime
>>> from cratewatch.semver import VersionReq
>>> from cratewatch.advisories.model import Advisory
>>> adv = Advisory(id="RUSTSEC-2019-0009", package="smallvec", date=datetime.date(2019, 6, 6),
...                title="Double-free", description="", patched=(VersionReq.parse(">= 0.6.10"),),
...                unaffected=(VersionReq.parse("< 0.6.5"),))
>>> record = advisory_to_osv(adv, modified=datetime.datetime(2023, 6, 13, 13, 10, 24,
...                                                          tzinfo=datetime.UTC))
>>> record["modified"], record["published"], record["affected"][0]["ranges"]
('2023-06-13T13:10:24Z', '2019-06-06T12:00:00Z', [{'type': 'SEMVER', 'events': \
[{'introduced': '0.6.5'}, {'fixed': '0.6.10'}]}])
"""

from __future__ import annotations

import datetime
import json
import os
import re
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from cratewatch.advisories.model import (
    Advisory,
    AdvisoryOrigin,
    Collection,
)
from cratewatch.advisories.osv_import import (
    ECOSYSTEM,
    InvalidOsv,
    OsvLimits,
    load_osv,
    osv_to_advisories,
)
from cratewatch.advisories.ranges import (
    AffectedRange,
    affected_ranges,
)
from cratewatch.errors import AdvisoryDbError

__all__ = [
    "ECOSYSTEM",
    "ExportSummary",
    "InvalidOsv",
    "OsvLimits",
    "advisory_to_osv",
    "dump_osv",
    "export_osv",
    "load_osv",
    "osv_to_advisories",
]

_SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


class _Exportable(Protocol):
    """What :func:`export_osv` needs of an advisory database."""

    @property
    def advisories(self) -> Sequence[Advisory]: ...

    def file_modified(self, path: str) -> datetime.datetime: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class ExportSummary:
    """What :func:`export_osv` did."""

    out_dir: Path
    """Directory the ``<ID>.json`` files are in."""
    written: tuple[str, ...]
    """Ids whose file was created or changed."""
    unchanged: tuple[str, ...]
    """Ids whose file already had exactly this content (left untouched)."""
    not_exported: int
    """Advisories outside the ``crates`` collection (RustSec exports ``crates`` only)."""

    @property
    def files(self) -> int:
        """Number of OSV files the export produced (written or unchanged)."""
        return len(self.written) + len(self.unchanged)


def _rfc3339(moment: datetime.datetime) -> str:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"modified time {moment.isoformat()} has no time zone")
    utc = moment.astimezone(datetime.UTC)
    text = utc.strftime("%Y-%m-%dT%H:%M:%S")
    if utc.microsecond:
        text += f".{utc.microsecond:06d}".rstrip("0")
    return text + "Z"


def _noon(date: datetime.date) -> str:
    return f"{date.year:04d}-{date.month:02d}-{date.day:02d}T12:00:00Z"


def _normalize_url(url: str) -> str:
    """The few rewrites the ``url`` crate's parser makes to a well-formed http(s) URL."""
    match = re.fullmatch(r"(?i)(https?)://([^/?#]*)(.*)", url, re.DOTALL)
    if match is None:
        return url
    scheme, authority, rest = match.groups()
    userinfo, at, host = authority.rpartition("@")
    if not rest.startswith("/"):
        rest = "/" + rest
    return f"{scheme.lower()}://{userinfo}{at}{host.lower()}{rest}"


def _reference_type(url: str) -> str:
    """RustSec's ``guess_url_kind``."""
    if ("://github.com/" in url or "://gitlab." in url) and "/issues/" in url:
        return "REPORT"
    # "/advisories/" matches both RustSec and GHSA URLs
    if "/advisories/" in url or "://www.cve.org/" in url:
        return "ADVISORY"
    if "://crates.io/crates/" in url:
        return "PACKAGE"
    return "WEB"


def _severity_type(version: str) -> str:
    return "CVSS_V2" if version == "2.0" else "CVSS_V4" if version == "4.0" else "CVSS_V3"


def _events(ranges: Sequence[AffectedRange]) -> list[dict[str, str]]:
    events: list[dict[str, str]] = []
    for r in ranges:
        events.append({"introduced": str(r.introduced)})
        if r.fixed is not None:
            events.append({"fixed": str(r.fixed)})
    return events


def advisory_to_osv(adv: Advisory, *, modified: datetime.datetime) -> dict[str, Any]:
    """The OSV record RustSec publishes for *adv*; *modified* must carry a time zone.

    Keys are in RustSec's order (the order of its serde struct), not sorted.
    """
    if adv.origin is AdvisoryOrigin.RUSTSEC:
        ranges: Sequence[AffectedRange] = affected_ranges(adv.patched, adv.unaffected)
    else:
        ranges = adv.ranges
    urls = [
        f"https://crates.io/crates/{adv.package}",
        f"https://rustsec.org/advisories/{adv.id}.html",
        *([adv.url] if adv.url else []),
        *adv.references,
    ]
    functions = sorted(adv.affected.functions, key=lambda path: path.split("::"))
    record: dict[str, Any] = {
        "id": adv.id,
        "modified": _rfc3339(modified),
        "published": _noon(adv.date),
    }
    if adv.withdrawn is not None:
        record["withdrawn"] = _noon(adv.withdrawn)
    record |= {
        "aliases": list(adv.aliases),
        "related": list(adv.related),
        "summary": adv.title,
        "details": adv.description,
        "severity": (
            []
            if adv.cvss is None
            else [{"type": _severity_type(adv.cvss.version), "score": adv.cvss.vector}]
        ),
        "affected": [
            {
                "package": {
                    "ecosystem": ECOSYSTEM,
                    "name": adv.package,
                    "purl": f"pkg:cargo/{adv.package}",
                },
                "ecosystem_specific": {
                    "affects": {
                        "arch": list(adv.affected.arch),
                        "os": list(adv.affected.os),
                        "functions": functions,
                    },
                    "affected_functions": None,
                },
                "database_specific": {
                    "categories": list(adv.categories),
                    "cvss": None if adv.cvss is None else adv.cvss.vector,
                    "informational": adv.informational,
                },
                "ranges": [{"type": "SEMVER", "events": _events(ranges)}] if ranges else [],
                "versions": [],
            }
        ],
        "references": [{"type": _reference_type(u), "url": u} for u in map(_normalize_url, urls)],
        "database_specific": {"license": adv.license},
    }
    return record


def dump_osv(record: Mapping[str, Any]) -> str:
    """*record* as RustSec writes it (serde_json's pretty printer), plus a final newline."""
    return json.dumps(record, indent=2, ensure_ascii=False) + "\n"


def _write_atomically(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _unchanged(path: Path, text: str) -> bool:
    if path.is_symlink() or not path.is_file():
        return False
    try:
        return path.read_text(encoding="utf-8") == text
    except (OSError, UnicodeDecodeError):
        return False


def export_osv(db: _Exportable, out_dir: Path) -> ExportSummary:
    """Write ``<ID>.json`` for every advisory of the ``crates`` collection into *out_dir*.

    *out_dir* is created when missing. Each file is written atomically (a temporary file in
    the same directory, then a rename); files whose content would not change are left alone.
    Raises :class:`~cratewatch.errors.AdvisoryDbError` when *out_dir* cannot be written.
    """
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise AdvisoryDbError(f"{out_dir}: cannot create the output directory: {e}") from e
    written: list[str] = []
    unchanged: list[str] = []
    not_exported = 0
    for adv in sorted(db.advisories, key=lambda a: a.id):
        if adv.collection is not Collection.CRATES:
            not_exported += 1
            continue
        if not _SAFE_ID.fullmatch(adv.id):
            raise InvalidOsv(f"{adv.path or adv.id}: id {adv.id!r} cannot be used as a file name")
        text = dump_osv(advisory_to_osv(adv, modified=db.file_modified(adv.path)))
        target = out_dir / f"{adv.id}.json"
        if _unchanged(target, text):
            unchanged.append(adv.id)
            continue
        try:
            _write_atomically(target, text)
        except OSError as e:
            raise AdvisoryDbError(f"{target}: cannot write: {e}") from e
        written.append(adv.id)
    return ExportSummary(
        out_dir=out_dir,
        written=tuple(written),
        unchanged=tuple(unchanged),
        not_exported=not_exported,
    )
