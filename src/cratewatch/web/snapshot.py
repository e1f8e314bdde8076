"""One loaded advisory database, indexed and pre-serialised for the web layer.

A :class:`Snapshot` is built once per database commit (:func:`build_snapshot`): advisories
of the ``crates`` collection grouped by crate, their OSV records (exactly
:func:`~cratewatch.advisories.osv.advisory_to_osv`, so API output equals ``advisories
export-osv``), and the JSON bytes the hot API routes send, so serving a crate's advisories is
a dictionary lookup. Toolchain advisories (``rust/``) are left out, as RustSec's OSV export
and crates.io leave them out.

>>> from cratewatch.advisories.database import load_database  # doctest: +SKIP
>>> snap = build_snapshot(load_database("advisory-db", cache_dir=cache))  # doctest: +SKIP
>>> snap.crate("SmallVec").name  # doctest: +SKIP
'smallvec'
"""

from __future__ import annotations

import datetime
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cratewatch.advisories.database import AdvisoryDatabase
from cratewatch.advisories.model import Advisory, AdvisoryKind, Collection
from cratewatch.advisories.osv import advisory_to_osv

__all__ = [
    "MAX_QUERY_CHARS",
    "AdvisoryHit",
    "CrateAdvisories",
    "CrateHit",
    "SearchResults",
    "Snapshot",
    "build_snapshot",
    "crate_key",
    "is_valid_crate_name",
]

MAX_QUERY_CHARS = 100
"""Search queries are cut to this length."""
_MAX_HITS = 25
_RECENT = 20
_CRATE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,63}")


def is_valid_crate_name(name: str) -> bool:
    """Whether crates.io accepts *name*: 1 to 64 ASCII letters, digits, ``-``, ``_``, starting
    with a letter (:func:`cratewatch.registry.paths.validate_crate_name`'s rule).

    >>> is_valid_crate_name("serde_json"), is_valid_crate_name("../etc"), is_valid_crate_name("")
    (True, False, False)
    """
    return _CRATE_NAME.fullmatch(name) is not None


def crate_key(name: str) -> str:
    """The key crates.io uses for name uniqueness: lowercase, ``-`` and ``_`` the same.

    >>> crate_key("Serde-JSON")
    'serde_json'
    """
    return name.lower().replace("-", "_")


def _compact(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


@dataclass(frozen=True, slots=True, kw_only=True)
class CrateAdvisories:
    """Every advisory against one crate, with its pre-serialised OSV forms."""

    name: str
    """Crate name as written in the advisories."""
    advisories: tuple[Advisory, ...]
    """All advisories (withdrawn ones included), newest publication first."""
    osv_json: bytes
    """Compact JSON array of the OSV records (the API response)."""
    osv_file: bytes
    """Pretty JSON array of the OSV records, as RustSec's web site writes per package."""

    @property
    def shown(self) -> tuple[Advisory, ...]:
        """The advisories a page lists: not withdrawn."""
        return tuple(a for a in self.advisories if not a.is_withdrawn)


@dataclass(frozen=True, slots=True, kw_only=True)
class CrateHit:
    """A crate found by a search."""

    name: str
    """Crate name."""
    advisories: int
    """Advisories shown on its Security tab (not withdrawn)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AdvisoryHit:
    """An advisory found by a search."""

    id: str
    """RustSec id."""
    package: str
    """Crate the advisory is about."""
    title: str
    """Advisory title (Markdown source)."""
    kind: AdvisoryKind
    """Vulnerability, unsound, unmaintained, notice or other."""
    aliases: tuple[str, ...]
    """CVE/GHSA ids."""
    withdrawn: bool
    """Whether the advisory was withdrawn."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SearchResults:
    """What a search query matched."""

    query: str
    """The query as used (trimmed and bounded)."""
    crates: tuple[CrateHit, ...]
    """Crates by name: exact match first, then prefix, then substring matches."""
    advisories: tuple[AdvisoryHit, ...]
    """Advisories by id, alias (CVE/GHSA) or words of the title."""


class Snapshot:
    """Lookups over one loaded database (immutable; replaced as a whole on reload)."""

    __slots__ = (
        "_by_alias",
        "_by_id",
        "_by_key",
        "_crates",
        "_osv",
        "_osv_json",
        "_published",
        "advisory_count",
        "crate_list_json",
        "database",
        "recent",
        "token",
    )

    def __init__(
        self,
        database: AdvisoryDatabase,
        *,
        crates: Mapping[str, CrateAdvisories],
        osv: Mapping[str, dict[str, Any]],
        published: Mapping[str, datetime.datetime],
        token: str,
    ) -> None:
        self.database = database
        """The loaded database (provenance in ``database.info``)."""
        self.token = token
        """Identifies the content: the commit, or a digest of every record without one."""
        self._crates = dict(crates)
        self._by_key = {crate_key(name): name for name in sorted(self._crates, reverse=True)}
        self._osv = dict(osv)
        self._osv_json = {aid: _compact(record) for aid, record in self._osv.items()}
        self._published = dict(published)
        self._by_id: dict[str, Advisory] = {}
        self._by_alias: dict[str, list[str]] = {}
        for crate in self._crates.values():
            for adv in crate.advisories:
                self._by_id[adv.id.upper()] = adv
                for alias in adv.aliases:
                    self._by_alias.setdefault(alias.upper(), []).append(adv.id)
        self.crate_list_json = _compact(
            [{"name": n, "advisories": len(self._crates[n].shown)} for n in sorted(self._crates)]
        )
        """``[{"name", "advisories"}]`` of every crate with advisories (compact JSON)."""
        self.advisory_count = len(self._by_id)
        """Advisories against crates (withdrawn included)."""
        listed = [a for a in self._by_id.values() if not a.is_withdrawn]
        listed.sort(key=lambda a: (self._published[a.id], a.id), reverse=True)
        self.recent: tuple[Advisory, ...] = tuple(listed[:_RECENT])
        """The most recently published advisories (first commit of the file), not withdrawn."""

    @property
    def commit(self) -> str | None:
        """The database commit, None for a directory that is not a git checkout."""
        return self.database.info.commit

    def crate(self, name: str) -> CrateAdvisories | None:
        """The advisories of crate *name* (exact name first, then crates.io's name key)."""
        found = self._crates.get(name)
        if found is not None:
            return found
        canonical = self._by_key.get(crate_key(name))
        return None if canonical is None else self._crates[canonical]

    def crate_names(self) -> tuple[str, ...]:
        """Every crate with at least one advisory (withdrawn included), sorted."""
        return tuple(sorted(self._crates))

    def advisory(self, advisory_id: str) -> Advisory | None:
        """The advisory with id *advisory_id* (case-insensitive), None when there is none."""
        return self._by_id.get(advisory_id.upper())

    def osv(self, advisory_id: str) -> dict[str, Any]:
        """The OSV record of a known advisory (KeyError otherwise)."""
        return self._osv[advisory_id]

    def osv_json(self, advisory_id: str) -> bytes:
        """The compact OSV JSON of a known advisory (KeyError otherwise)."""
        return self._osv_json[advisory_id]

    def published(self, advisory_id: str) -> datetime.datetime:
        """When a known advisory's file was first committed (its publication)."""
        return self._published[advisory_id]

    def aliases_to(self, alias: str) -> tuple[str, ...]:
        """Ids of advisories listing *alias* (a CVE or GHSA id) among their aliases."""
        return tuple(self._by_alias.get(alias.upper(), ()))

    def search(self, query: str) -> SearchResults:
        """Crates and advisories matching *query* (case-insensitive).

        An advisory id or alias matches exactly; crate names match by crates.io's name key
        (exact, prefix, then substring); advisory titles match when they contain every word.
        """
        q = " ".join(query.split())[:MAX_QUERY_CHARS]
        if not q:
            return SearchResults(query=q, crates=(), advisories=())
        key = crate_key(q)
        exact, prefix, inner = [], [], []
        for k, name in sorted(self._by_key.items()):
            if k == key:
                exact.append(name)
            elif k.startswith(key):
                prefix.append(name)
            elif key in k:
                inner.append(name)
        names = (exact + prefix + inner)[:_MAX_HITS]
        crates = tuple(CrateHit(name=n, advisories=len(self._crates[n].shown)) for n in names)
        ids: list[str] = []
        direct = self._by_id.get(q.upper())
        if direct is not None:
            ids.append(direct.id)
        ids.extend(self.aliases_to(q))
        words = q.lower().split()
        for adv in sorted(self._by_id.values(), key=lambda a: (a.date, a.id), reverse=True):
            if len(ids) >= _MAX_HITS:
                break
            title = adv.title.lower()
            if adv.id not in ids and all(w in title for w in words):
                ids.append(adv.id)
        hits = tuple(_hit(self._by_id[i.upper()]) for i in dict.fromkeys(ids))
        return SearchResults(query=q, crates=crates, advisories=hits[:_MAX_HITS])


def _hit(adv: Advisory) -> AdvisoryHit:
    return AdvisoryHit(
        id=adv.id,
        package=adv.package,
        title=adv.title,
        kind=adv.kind,
        aliases=adv.aliases,
        withdrawn=adv.is_withdrawn,
    )


def build_snapshot(database: AdvisoryDatabase) -> Snapshot:
    """Index and pre-serialise *database* (the ``crates`` collection only)."""
    grouped: dict[str, list[Advisory]] = {}
    osv: dict[str, dict[str, Any]] = {}
    published: dict[str, datetime.datetime] = {}
    for adv in database.advisories:
        if adv.collection is not Collection.CRATES:
            continue
        grouped.setdefault(adv.package, []).append(adv)
        osv[adv.id] = advisory_to_osv(adv, modified=database.file_modified(adv.path))
        published[adv.id] = database.file_created(adv.path)
    crates: dict[str, CrateAdvisories] = {}
    for name, items in grouped.items():
        # RustSec's site lists a package's advisories newest publication first.
        items.sort(key=lambda a: (published[a.id], a.id), reverse=True)
        records = [osv[a.id] for a in items]
        crates[name] = CrateAdvisories(
            name=name,
            advisories=tuple(items),
            osv_json=_compact(records),
            osv_file=json.dumps(records, indent=2, ensure_ascii=False).encode(),
        )
    token = database.info.commit
    if token is None or database.info.modified:
        digest = hashlib.sha256()
        for aid in sorted(osv):
            digest.update(_compact(osv[aid]))
        token = "content-" + digest.hexdigest()[:32]
    return Snapshot(database, crates=crates, osv=osv, published=published, token=token)
