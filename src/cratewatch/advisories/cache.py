"""The compiled advisory cache: a parsed database stored per commit, loaded in milliseconds.

Parsing ~1,200 advisory files (TOML, requirements, CVSS, ranges) and walking the git history
for file times takes about a second; after the first load the result is written to
``<cache_dir>/advisory-db/compiled/<commit>.bin`` and read back from there.

The file is a text header and a :mod:`marshal` payload of plain tuples, strings and numbers.
Unlike pickle, unmarshalling cannot run code, and the payload is only unmarshalled when the
header names this cache format, this code (a fingerprint of the parser's source files), the
expected commit and the SHA-256 of the payload. Anything else -- a missing, truncated,
corrupt, foreign or outdated file -- is a :class:`CacheMiss` with a reason, and the caller
rebuilds. Files are written atomically (temporary file in the same directory, then
``os.replace``).
"""

from __future__ import annotations

import contextlib
import datetime
import functools
import gc
import hashlib
import importlib.util
import marshal
import os
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cratewatch import __version__
from cratewatch.advisories.cvss import CvssScore, Severity
from cratewatch.advisories.model import (
    Advisory,
    AdvisoryOrigin,
    Affected,
    Collection,
)
from cratewatch.advisories.ranges import AffectedRange
from cratewatch.advisories.rustsec import SkippedFile
from cratewatch.errors import ParseError
from cratewatch.semver import Version, VersionReq

__all__ = [
    "CACHE_FORMAT_VERSION",
    "CacheMiss",
    "CompiledDatabase",
    "compiled_cache_path",
    "read_compiled",
    "write_compiled",
]

CACHE_FORMAT_VERSION = 1
"""Bumped whenever the payload layout changes."""

_MAGIC = b"cratewatch advisory cache\n"
_MAX_CACHE_BYTES = 256 << 20
_KEEP_FILES = 4  # compiled caches kept per cache directory (newest first)
_COMMIT = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
_FINGERPRINT_MODULES = (
    "cvss",  # a package: its __init__.py carries the version, which decides the scores
    "cratewatch._toml",
    "cratewatch.semver",
    "cratewatch.advisories.cvss",
    "cratewatch.advisories.model",
    "cratewatch.advisories.ranges",
    "cratewatch.advisories.rustsec",
    "cratewatch.advisories.cache",
)
_COLLECTIONS = {c.value: c for c in Collection}
_ORIGINS = {o.value: o for o in AdvisoryOrigin}
_SEVERITIES = {s.value: s for s in Severity}


@dataclass(frozen=True, slots=True, kw_only=True)
class CompiledDatabase:
    """Everything derived from one commit of the database."""

    commit: str
    """The commit the advisories were parsed from."""
    last_commit_time: datetime.datetime
    """Committer time of :attr:`commit` (UTC)."""
    advisories: tuple[Advisory, ...]
    """Every advisory, in path order."""
    skipped: tuple[SkippedFile, ...]
    """Files under ``crates/``/``rust/`` that are not advisories."""
    file_times: Mapping[str, tuple[int, int]]
    """``path -> (first, last)`` committer times (Unix seconds) of each advisory file."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CacheMiss:
    """No usable compiled cache; the database must be parsed."""

    reason: str
    """Why, e.g. ``no compiled cache for this commit`` or ``checksum mismatch``."""


def compiled_cache_path(cache_dir: Path, commit: str) -> Path:
    """``cache_dir/advisory-db/compiled/<commit>.bin``; *commit* must be a hex object id."""
    if not _COMMIT.fullmatch(commit):
        raise ValueError(f"not a git commit id: {commit!r}")
    return cache_dir / "advisory-db" / "compiled" / f"{commit}.bin"


def write_compiled(path: Path, compiled: CompiledDatabase) -> None:
    """Write *compiled* to *path* atomically, then prune older compiled caches beside it."""
    payload = marshal.dumps(_encode(compiled))
    data = _header(compiled.commit, hashlib.sha256(payload).hexdigest()) + payload
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    _prune(path)


def read_compiled(path: Path, *, commit: str) -> CompiledDatabase | CacheMiss:
    """Read the compiled cache for *commit*, or say why it cannot be used. Never raises on
    bad content: any problem is a :class:`CacheMiss`.
    """
    try:
        with open(path, "rb") as f:
            data = f.read(_MAX_CACHE_BYTES + 1)
    except FileNotFoundError:
        return CacheMiss(reason="no compiled cache for this commit")
    except OSError as e:
        return CacheMiss(reason=f"cannot read {path}: {e.strerror or e}")
    payload = _verified_payload(data, commit)
    if isinstance(payload, CacheMiss):
        return payload
    collecting = gc.isenabled()
    gc.disable()  # tens of thousands of new objects, none cyclic: skip the collector passes
    try:
        return _decode(commit, marshal.loads(payload))
    except (ValueError, TypeError, IndexError, KeyError, EOFError, ParseError) as e:
        return CacheMiss(reason=f"undecodable payload: {e}")
    finally:
        if collecting:
            gc.enable()


def _verified_payload(data: bytes, commit: str) -> bytes | CacheMiss:
    """The payload of a cache file, if its header matches this code, *commit* and checksum."""
    if len(data) > _MAX_CACHE_BYTES:
        return CacheMiss(reason="compiled cache is too large")
    lines = data.split(b"\n", 4)
    if len(lines) < 5 or lines[0] + b"\n" != _MAGIC:
        return CacheMiss(reason="not a cratewatch advisory cache")
    _, fingerprint, stored_commit, digest, payload = lines
    reason = None
    if fingerprint.decode("ascii", "replace") != _fingerprint():
        reason = "written by another cratewatch version or cache format"
    elif stored_commit.decode("ascii", "replace") != commit:
        reason = "written for another commit"
    elif hashlib.sha256(payload).hexdigest() != digest.decode("ascii", "replace"):
        reason = "checksum mismatch (corrupt file)"
    return payload if reason is None else CacheMiss(reason=reason)


def _header(commit: str, digest: str) -> bytes:
    return _MAGIC + f"{_fingerprint()}\n{commit}\n{digest}\n".encode("ascii")


@functools.cache
def _fingerprint() -> str:
    """Hash of the cache format, the cratewatch version and the source code of the parser and
    of the cvss library, so that any change to how advisories are parsed invalidates caches.
    """
    h = hashlib.sha256(f"{CACHE_FORMAT_VERSION}:{__version__}".encode())
    for name in _FINGERPRINT_MODULES:
        spec = importlib.util.find_spec(name)
        h.update(name.encode())
        if spec is None or spec.origin is None:
            continue
        origin = Path(spec.origin)
        ours = name.startswith("cratewatch.") and spec.submodule_search_locations
        files = sorted(origin.parent.rglob("*.py")) if ours else [origin]
        for file in files:
            with contextlib.suppress(OSError):
                h.update(file.read_bytes())
    return h.hexdigest()


def _prune(current: Path) -> None:
    try:
        others = [p for p in current.parent.glob("*.bin") if p != current]
        others.sort(key=lambda p: p.stat().st_mtime, reverse=True)
        for old in others[_KEEP_FILES - 1 :]:
            old.unlink()
    except OSError:
        pass  # pruning is housekeeping; a concurrent prune or a permission problem is harmless


# --- payload layout: plain tuples only ----------------------------------------------------------


def _encode(compiled: CompiledDatabase) -> tuple[Any, ...]:
    return (
        int(compiled.last_commit_time.timestamp()),
        tuple(_encode_advisory(a) for a in compiled.advisories),
        tuple((s.path, s.reason) for s in compiled.skipped),
        dict(compiled.file_times),
    )


def _decode(commit: str, payload: Any) -> CompiledDatabase:
    commit_ts, advisories, skipped, file_times = payload
    if not isinstance(file_times, dict):
        raise TypeError("file times are not a mapping")
    return CompiledDatabase(
        commit=commit,
        last_commit_time=datetime.datetime.fromtimestamp(commit_ts, tz=datetime.UTC),
        advisories=tuple(_decode_advisory(a) for a in advisories),
        skipped=tuple(SkippedFile(path=p, reason=r) for p, r in skipped),
        file_times={str(k): (int(v[0]), int(v[1])) for k, v in file_times.items()},
    )


def _encode_advisory(a: Advisory) -> tuple[Any, ...]:
    cvss = (
        None
        if a.cvss is None
        else (a.cvss.vector, a.cvss.version, a.cvss.base_score, a.cvss.severity.value)
    )
    return (
        a.id,
        a.package,
        a.date.toordinal(),
        a.title,
        a.description,
        a.url,
        a.categories,
        a.keywords,
        a.aliases,
        a.related,
        a.references,
        cvss,
        a.informational,
        a.source,
        None if a.withdrawn is None else a.withdrawn.toordinal(),
        a.license,
        a.expect_deleted,
        a.affected.arch,
        a.affected.os,
        tuple((path, _reqs(reqs)) for path, reqs in a.affected.functions.items()),
        _reqs(a.patched),
        _reqs(a.unaffected),
        tuple((str(r.introduced), None if r.fixed is None else str(r.fixed)) for r in a.ranges),
        a.collection.value,
        a.path,
        a.origin.value,
    )


def _reqs(reqs: tuple[VersionReq, ...]) -> tuple[str, ...]:
    return tuple(str(r) for r in reqs)


def _decode_advisory(t: tuple[Any, ...]) -> Advisory:
    (
        id_,
        package,
        date,
        title,
        description,
        url,
        categories,
        keywords,
        aliases,
        related,
        references,
        cvss,
        informational,
        source,
        withdrawn,
        license_,
        expect_deleted,
        arch,
        os_,
        functions,
        patched,
        unaffected,
        ranges,
        collection,
        path,
        origin,
    ) = t
    parse_req = VersionReq.parse
    parse_version = Version.parse
    return Advisory(
        id=id_,
        package=package,
        date=datetime.date.fromordinal(date),
        title=title,
        description=description,
        url=url,
        categories=categories,
        keywords=keywords,
        aliases=aliases,
        related=related,
        references=references,
        cvss=None
        if cvss is None
        else CvssScore(
            vector=cvss[0], version=cvss[1], base_score=cvss[2], severity=_SEVERITIES[cvss[3]]
        ),
        informational=informational,
        source=source,
        withdrawn=None if withdrawn is None else datetime.date.fromordinal(withdrawn),
        license=license_,
        expect_deleted=expect_deleted,
        affected=Affected(
            arch=arch,
            os=os_,
            functions={p: tuple(map(parse_req, reqs)) for p, reqs in functions},
        ),
        patched=tuple(map(parse_req, patched)),
        unaffected=tuple(map(parse_req, unaffected)),
        ranges=tuple(
            AffectedRange(
                introduced=parse_version(i), fixed=None if f is None else parse_version(f)
            )
            for i, f in ranges
        ),
        collection=_COLLECTIONS[collection],
        path=path,
        origin=_ORIGINS[origin],
    )
