"""Reading OSV records (https://ossf.github.io/osv-schema/) into :class:`Advisory` values.

:func:`load_osv` takes a directory of OSV JSON files, a zip of them (osv.dev's ``all.zip``
layout: one ``<ID>.json`` per member) or a single file, keeps the ``crates.io`` packages and
turns each into an :class:`~cratewatch.advisories.model.Advisory` with ``origin = OSV``, whose
:meth:`~cratewatch.advisories.model.Advisory.affects` goes by the OSV ranges:

- ``SEMVER`` and ``ECOSYSTEM`` ranges (crates.io versions are SemVer) are evaluated as OSV's
  event timeline: ``introduced`` opens an interval, ``fixed`` closes it, ``last_affected``
  closes it after that version, ``limit`` caps everything; ``"0"`` means every version;
  ``GIT`` ranges (commits, not versions) are ignored;
- ``versions`` (enumerated affected versions) is used only when a package has no such range;
- ``informational`` and ``categories`` come from RustSec's ``database_specific``, CVSS from the
  first CVSS entry of ``severity``;
- the two references RustSec's export puts first (crates.io page, rustsec.org page) are
  dropped, the others kept in :attr:`~cratewatch.advisories.model.Advisory.references`; the advisory
  ``url`` cannot be told apart from them and stays ``None``.

Input is hostile: files and zip members are size-bounded (:class:`OsvLimits`), zip members
with absolute or ``..`` names are refused, and every error names the file and the JSON path::

    all.zip:RUSTSEC-2019-0009.json: affected[0].ranges[0].events[1].fixed: expected a string, got 3

>>> advisories = osv_to_advisories({"id": "RUSTSEC-2019-0009", "modified": "2023-06-13T13:10:24Z",
...     "affected": [{"package": {"ecosystem": "crates.io", "name": "smallvec"},
...                   "ranges": [{"type": "SEMVER", "events": [{"introduced": "0.6.5"},
...                                                            {"fixed": "0.6.10"}]}]}]},
...     file="RUSTSEC-2019-0009.json")
>>> [(a.package, [str(r) for r in a.ranges]) for a in advisories]
[('smallvec', ['>= 0.6.5, < 0.6.10'])]
"""

from __future__ import annotations

import datetime
import json
import os
import re
import zipfile
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import Any

from cratewatch.advisories.cvss import CvssScore, InvalidCvss, parse_cvss
from cratewatch.advisories.model import Advisory, AdvisoryOrigin, Affected, Collection
from cratewatch.advisories.ranges import UNBOUNDED_START, AffectedRange, next_version
from cratewatch.errors import AdvisoryDbError, ParseError
from cratewatch.semver import InvalidVersion, Version

__all__ = ["ECOSYSTEM", "InvalidOsv", "OsvLimits", "load_osv", "osv_to_advisories"]

ECOSYSTEM = "crates.io"
"""OSV ecosystem name of crates.io packages."""


class InvalidOsv(ParseError):
    """An OSV file, or a zip of them, is malformed or exceeds the size limits."""


@dataclass(frozen=True, slots=True, kw_only=True)
class OsvLimits:
    """Size bounds for :func:`load_osv` (OSV records are a few KiB; osv.dev's zip some MiB)."""

    max_file_bytes: int = 4 << 20
    """Largest single OSV JSON file or zip member, uncompressed."""
    max_total_bytes: int = 1 << 30
    """Largest sum of uncompressed member sizes of one zip."""
    max_files: int = 200_000
    """Most JSON files read from one directory or zip."""


def _describe(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value if len(value) <= 80 else value[:77] + "...")
    if isinstance(value, int | float):
        return str(value)
    return "an object" if isinstance(value, dict) else "an array"


class _Reader:
    """Typed getters over one parsed OSV file; errors name the file and the JSON path."""

    __slots__ = ("file",)

    def __init__(self, file: str) -> None:
        self.file = file

    def fail(self, where: str, message: str) -> InvalidOsv:
        return InvalidOsv(
            f"{self.file}: {where}: {message}" if where else f"{self.file}: {message}"
        )

    def expect(self, value: object, expected: str, where: str) -> InvalidOsv:
        return self.fail(where, f"expected {expected}, got {_describe(value)}")

    def obj(self, value: object, where: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.expect(value, "an object", where)
        return value

    def string(self, value: object, where: str) -> str:
        if not isinstance(value, str):
            raise self.expect(value, "a string", where)
        return value

    def array(self, value: object, where: str) -> list[Any]:
        if not isinstance(value, list):
            raise self.expect(value, "an array", where)
        return value

    def opt_obj(self, parent: Mapping[str, Any], key: str, where: str) -> dict[str, Any]:
        value = parent.get(key)
        return {} if value is None else self.obj(value, _join(where, key))

    def opt_string(self, parent: Mapping[str, Any], key: str, where: str) -> str | None:
        value = parent.get(key)
        return None if value is None else self.string(value, _join(where, key))

    def strings(self, parent: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
        value = parent.get(key)
        if value is None:
            return ()
        path = _join(where, key)
        return tuple(self.string(v, f"{path}[{i}]") for i, v in enumerate(self.array(value, path)))

    def items(self, parent: Mapping[str, Any], key: str, where: str) -> Iterator[tuple[str, Any]]:
        value = parent.get(key)
        if value is None:
            return
        path = _join(where, key)
        for i, item in enumerate(self.array(value, path)):
            yield f"{path}[{i}]", item

    def timestamp(self, parent: Mapping[str, Any], key: str, where: str) -> datetime.date | None:
        text = self.opt_string(parent, key, where)
        if text is None:
            return None
        try:
            return datetime.datetime.fromisoformat(text).date()
        except ValueError as e:
            raise self.fail(_join(where, key), f"expected an RFC 3339 time, got {text!r}") from e

    def version(self, text: str, where: str) -> Version:
        if text == "0":
            return UNBOUNDED_START
        try:
            return Version.parse(text)
        except InvalidVersion as e:
            # RustSec's deserialize_semver_compat also accepts "1" and "1.2"
            if re.fullmatch(r"\d+(\.\d+)?", text):
                return Version.parse(text + ".0" * (2 - text.count(".")))
            raise self.fail(where, f"invalid version {text!r}") from e


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


_SEVERITY_TYPES = ("CVSS_V2", "CVSS_V3", "CVSS_V4")


def _intervals(r: _Reader, events: list[tuple[str, Version]], where: str) -> list[AffectedRange]:
    """OSV's event-timeline evaluation of one range, as ``[introduced, fixed)`` intervals."""
    if not any(kind == "introduced" for kind, _ in events):
        raise r.fail(where, "a range needs an 'introduced' event")
    limits = [v for kind, v in events if kind == "limit"]
    out: list[AffectedRange] = []
    start: Version | None = None
    for kind, v in sorted(events, key=lambda e: e[1]):  # stable: ties keep file order
        if kind == "introduced" and start is None:
            start = v
        elif kind in ("fixed", "last_affected") and start is not None:
            out.append(
                AffectedRange(introduced=start, fixed=v if kind == "fixed" else next_version(v))
            )
            start = None
    if start is not None:
        out.append(AffectedRange(introduced=start, fixed=None))
    if limits:
        cap = max(limits)
        out = [
            AffectedRange(
                introduced=a.introduced, fixed=cap if a.fixed is None else min(a.fixed, cap)
            )
            for a in out
            if a.introduced < cap
        ]
    return out


def _ranges(r: _Reader, entry: Mapping[str, Any], where: str) -> list[AffectedRange]:
    out: list[AffectedRange] = []
    semver_ranges = 0
    for range_where, item in r.items(entry, "ranges", where):
        rng = r.obj(item, range_where)
        kind = r.string(rng.get("type"), _join(range_where, "type"))
        if kind not in ("SEMVER", "ECOSYSTEM"):
            continue  # GIT ranges name commits, not crate versions
        semver_ranges += 1
        events: list[tuple[str, Version]] = []
        for event_where, raw in r.items(rng, "events", range_where):
            event = r.obj(raw, event_where)
            if len(event) != 1:
                raise r.fail(event_where, "expected exactly one of introduced/fixed/...")
            ((name, value),) = event.items()
            if name not in ("introduced", "fixed", "last_affected", "limit"):
                raise r.fail(_join(event_where, name), "unknown event")
            text = r.string(value, _join(event_where, name))
            events.append((name, r.version(text, _join(event_where, name))))
        out.extend(_intervals(r, events, range_where))
    if semver_ranges == 0:
        # only enumerated versions: each is the interval [v, next possible version)
        for text in r.strings(entry, "versions", where):
            try:
                v = Version.parse(text)
            except InvalidVersion:
                continue  # not a Cargo version, so never in a Cargo.lock
            out.append(AffectedRange(introduced=v, fixed=next_version(v)))
    return out


def _cvss(
    r: _Reader, record: Mapping[str, Any], entry: Mapping[str, Any], where: str
) -> CvssScore | None:
    """The first CVSS entry of the record's ``severity``, else of the package's."""
    candidates = [*r.items(record, "severity", ""), *r.items(entry, "severity", where)]
    for sev_where, raw in candidates:
        sev = r.obj(raw, sev_where)
        kind = r.string(sev.get("type"), _join(sev_where, "type"))
        if kind in _SEVERITY_TYPES:
            score = r.string(sev.get("score"), _join(sev_where, "score"))
            try:
                return parse_cvss(score)
            except InvalidCvss as e:
                raise r.fail(_join(sev_where, "score"), str(e)) from e
    return None


def osv_to_advisories(record: object, *, file: str) -> list[Advisory]:
    """One :class:`Advisory` per ``crates.io`` package of a parsed OSV *record*.

    A package listed more than once has its ranges combined. Other ecosystems are skipped.
    Raises :class:`InvalidOsv` naming *file* and the JSON path of the first bad field.
    """
    r = _Reader(file)
    top = r.obj(record, "")
    osv_id = r.string(top.get("id"), "id")
    published = r.timestamp(top, "published", "") or r.timestamp(top, "modified", "")
    if published is None:
        raise r.fail("modified", "missing")
    license_ = r.opt_obj(top, "database_specific", "").get("license")
    base: dict[str, Any] = {
        "id": osv_id,
        "date": published,
        "title": r.opt_string(top, "summary", "") or "",
        "description": r.opt_string(top, "details", "") or "",
        "aliases": r.strings(top, "aliases", ""),
        "related": r.strings(top, "related", ""),
        "withdrawn": r.timestamp(top, "withdrawn", ""),
        "collection": Collection.CRATES,
        "path": file,
        "origin": AdvisoryOrigin.OSV,
    }
    if isinstance(license_, str):
        base["license"] = license_
    references: list[str] = []
    for ref_where, raw in r.items(top, "references", ""):
        url = r.string(r.obj(raw, ref_where).get("url"), _join(ref_where, "url"))
        references.append(url)
    by_package: dict[str, Advisory] = {}
    for where, raw in r.items(top, "affected", ""):
        entry = r.obj(raw, where)
        package = r.obj(entry.get("package"), _join(where, "package"))
        ecosystem = r.string(package.get("ecosystem"), _join(where, "package.ecosystem"))
        if ecosystem != ECOSYSTEM:
            continue
        name = r.string(package.get("name"), _join(where, "package.name"))
        ranges = _ranges(r, entry, where)
        if name in by_package:
            old = by_package[name]
            by_package[name] = replace(old, ranges=(*old.ranges, *ranges))
            continue
        eco = r.opt_obj(entry, "ecosystem_specific", where)
        affects = r.opt_obj(eco, "affects", _join(where, "ecosystem_specific"))
        affects_where = _join(where, "ecosystem_specific.affects")
        db_where = _join(where, "database_specific")
        dbs = r.opt_obj(entry, "database_specific", where)
        generated = [
            f"https://crates.io/crates/{name}",
            f"https://rustsec.org/advisories/{osv_id}.html",
        ]
        own = references[2:] if references[:2] == generated else references
        by_package[name] = Advisory(
            **base,
            package=name,
            categories=r.strings(dbs, "categories", db_where),
            informational=r.opt_string(dbs, "informational", db_where),
            cvss=_cvss(r, top, entry, where),
            references=tuple(own),
            affected=Affected(
                arch=r.strings(affects, "arch", affects_where),
                os=r.strings(affects, "os", affects_where),
                functions=dict.fromkeys(r.strings(affects, "functions", affects_where), ()),
            ),
            ranges=tuple(ranges),
        )
    return list(by_package.values())


def _parse_json(data: bytes, file: str) -> object:
    try:
        return json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as e:
        raise InvalidOsv(f"{file}: not UTF-8 text: {e}") from e
    except json.JSONDecodeError as e:
        raise InvalidOsv(f"{file}: invalid JSON: {e}") from e
    except RecursionError as e:
        raise InvalidOsv(f"{file}: invalid JSON: nested too deeply") from e


def _zip_members(path: Path, limits: OsvLimits) -> Iterator[tuple[str, bytes]]:
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as e:
        raise AdvisoryDbError(f"{path}: cannot open the zip file: {e}") from e
    with archive:
        infos = [i for i in archive.infolist() if not i.is_dir()]
        total = 0
        count = 0
        for info in infos:
            name = info.filename
            parts = PurePosixPath(name.replace("\\", "/")).parts
            if name.startswith(("/", "\\")) or ".." in parts or re.match(r"[A-Za-z]:", name):
                raise InvalidOsv(f"{path}: {name}: unsafe member name")
            if not name.endswith(".json"):
                continue
            count += 1
            if count > limits.max_files:
                raise InvalidOsv(f"{path}: more than {limits.max_files} JSON files")
            if info.file_size > limits.max_file_bytes:
                raise InvalidOsv(
                    f"{path}: {name}: {info.file_size} bytes uncompressed, "
                    f"more than the limit of {limits.max_file_bytes}"
                )
            total += info.file_size
            if total > limits.max_total_bytes:
                raise InvalidOsv(
                    f"{path}: more than {limits.max_total_bytes} bytes uncompressed in total"
                )
            try:
                with archive.open(info) as member:
                    data = member.read(limits.max_file_bytes + 1)
            except (OSError, zipfile.BadZipFile, EOFError, RuntimeError, NotImplementedError,
                    zlib.error) as e:  # fmt: skip
                raise InvalidOsv(f"{path}: {name}: cannot read: {e}") from e
            if len(data) > limits.max_file_bytes:  # the header lied about the size
                raise InvalidOsv(f"{path}: {name}: larger than {limits.max_file_bytes} bytes")
            yield f"{path.name}:{name}", data


def _dir_members(
    root: Path, limits: OsvLimits, *, only: str | None = None
) -> Iterator[tuple[str, bytes]]:
    real_root = root.resolve()
    count = 0
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [] if only is not None else sorted(dirnames)
        for filename in sorted(filenames):
            if not filename.endswith(".json") or (only is not None and filename != only):
                continue
            file = Path(dirpath) / filename
            if not file.resolve().is_relative_to(real_root):
                continue  # a symlink out of the directory
            count += 1
            if count > limits.max_files:
                raise InvalidOsv(f"{root}: more than {limits.max_files} JSON files")
            rel = file.relative_to(root).as_posix()
            try:
                with file.open("rb") as f:
                    data = f.read(limits.max_file_bytes + 1)
            except OSError as e:
                raise AdvisoryDbError(f"{file}: cannot read: {e}") from e
            if len(data) > limits.max_file_bytes:
                raise InvalidOsv(f"{rel}: larger than {limits.max_file_bytes} bytes")
            yield rel, data


def load_osv(path: Path, *, limits: OsvLimits | None = None) -> list[Advisory]:
    """Advisories for crates.io packages from a directory of OSV files or a zip of them.

    *path* may also be a single ``.json`` file. Every ``*.json`` file is read (recursively
    in a directory; symlinks leading out of it are skipped). Records without a ``crates.io``
    package are skipped. Raises
    :class:`InvalidOsv` naming the file (``all.zip:RUSTSEC-2019-0009.json`` inside a zip)
    and JSON path, or :class:`~cratewatch.errors.AdvisoryDbError` if *path* is unreadable.
    """
    bounds = limits or OsvLimits()
    members: Iterator[tuple[str, bytes]]
    if path.is_dir():
        members = _dir_members(path, bounds)
    elif path.is_file() and path.suffix == ".json":
        members = _dir_members(path.parent, bounds, only=path.name)
    elif path.is_file():
        members = _zip_members(path, bounds)
    else:
        raise AdvisoryDbError(f"{path}: no such directory or zip file")
    advisories: list[Advisory] = []
    for name, data in members:
        advisories.extend(osv_to_advisories(_parse_json(data, name), file=name))
    return advisories
