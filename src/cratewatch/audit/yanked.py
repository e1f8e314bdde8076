"""Asking the crates.io index which of the audited versions are yanked."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from cratewatch.audit.engine import CRATES_IO
from cratewatch.audit.model import AuditedPackage, YankedCheck, YankedChecked, YankedUnavailable
from cratewatch.errors import RegistryError
from cratewatch.registry.index import Found, Index, open_index

__all__ = ["check_yanked", "yanked_versions"]


def check_yanked(
    spec: str, packages: Iterable[AuditedPackage], *, cache_dir: Path, offline: bool
) -> YankedCheck:
    """Open the index *spec* and look up every crates.io package; never raises on I/O.

    When the index cannot be reached (offline, no cache, server down), the result is
    :class:`YankedUnavailable` with the reason, and the rest of the audit goes on.
    """
    wanted = {(p.name, str(p.version)) for p in packages if p.registry_key == CRATES_IO}
    if not wanted:
        return YankedChecked(yanked=frozenset())
    try:
        with open_index(spec, cache_dir=cache_dir / "index", offline=offline) as index:
            return YankedChecked(yanked=yanked_versions(index, wanted))
    except RegistryError as e:
        return YankedUnavailable(reason=str(e))


def yanked_versions(index: Index, wanted: set[tuple[str, str]]) -> frozenset[tuple[str, str]]:
    """The (name, version) pairs of *wanted* that *index* marks yanked.

    A crate missing from the index is not reported as yanked (it may come from a mirror).
    """
    names = sorted({name for name, _ in wanted})
    yanked: set[tuple[str, str]] = set()
    for name, lookup in index.fetch_many(names).items():
        if not isinstance(lookup, Found):
            continue
        for entry in lookup.entries:
            if entry.yanked and (name, entry.vers) in wanted:
                yanked.add((name, entry.vers))
    return frozenset(yanked)
