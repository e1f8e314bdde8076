"""``vet suggest``: the cheapest audit that would vet each unvetted package.

The check runs again without the exemptions ``suggest`` may propose replacing (cargo-vet's
``suggest = true``, the default). For each package that fails, the audit graph of its criteria
tells which versions are already vetted (reachable from the root) and which lead to the version
in use; every delta from one of the first to one of the second would do, and so would a full
audit of the version in use. Each candidate is sized by diffing the two ``.crate`` files (lines
inserted plus deleted, as ``git diff --shortstat`` counts, skipping ``Cargo.lock``,
``.cargo_vcs_info.json`` and ``.cargo-ok`` like cargo-vet); the smallest wins. Suggestions are
ordered by size; a candidate whose crates could not be fetched is sized as unknown.

>>> diffstat({"src/lib.rs": b"a\\nb\\n"}, {"src/lib.rs": b"a\\nc\\nd\\n", "README": b"x\\n"})
DiffStat(files_changed=2, insertions=3, deletions=1)
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Protocol

from cratewatch.archive import UnsafeArchive, read_crate
from cratewatch.errors import RegistryError
from cratewatch.policy.graph import CrateGraph
from cratewatch.registry.crates import CrateFetcher
from cratewatch.vet.audit_graph import AuditGraphs
from cratewatch.vet.check import (
    PackageResult,
    VetStatus,
    mapper_for,
    target_version,
    vet_check,
)
from cratewatch.vet.model import ConfigFile, Store, VetVersion

__all__ = [
    "DIFF_SKIP_PATHS",
    "CrateFiles",
    "DiffStat",
    "FetchedCrateFiles",
    "SizeUnknown",
    "Suggestion",
    "diffstat",
    "suggest_audits",
]

DIFF_SKIP_PATHS = frozenset({"Cargo.lock", ".cargo_vcs_info.json", ".cargo-ok"})
"""Files left out of diff sizes (cargo-vet's list)."""

_MAX_CANDIDATES = 6


@dataclass(frozen=True, slots=True)
class DiffStat:
    """The size of a diff."""

    files_changed: int
    """Files added, removed or modified."""
    insertions: int
    """Lines added."""
    deletions: int
    """Lines removed."""

    @property
    def count(self) -> int:
        """Lines to review: insertions plus deletions."""
        return self.insertions + self.deletions


@dataclass(frozen=True, slots=True, kw_only=True)
class SizeUnknown:
    """The diff could not be sized."""

    reason: str
    """Why (a crate could not be downloaded or read)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Suggestion:
    """An audit to perform."""

    name: str
    """The crate."""
    version: VetVersion
    """The version the audit must reach."""
    from_version: VetVersion | None
    """The vetted version a delta starts from; ``None`` for a full audit."""
    criteria: tuple[str, ...]
    """The criteria to certify."""
    size: DiffStat | SizeUnknown
    """How much there is to read."""

    @property
    def command(self) -> str:
        """The ``cratewatch vet certify`` command that records the audit once done."""
        delta = f" --delta {self.from_version}" if self.from_version is not None else ""
        criteria = "".join(f" --criteria {c}" for c in self.criteria)
        return f"cratewatch vet certify {self.name} {self.version}{delta}{criteria}"


class CrateFiles(Protocol):
    """Gives the files of a published crate version."""

    def files(self, name: str, version: str, checksum: str | None) -> Mapping[str, bytes]:
        """The regular files of the ``.crate`` (raises :class:`~cratewatch.errors.
        RegistryError` or :class:`~cratewatch.archive.UnsafeArchive` when unavailable)."""
        ...


class FetchedCrateFiles:
    """:class:`CrateFiles` from a :class:`~cratewatch.registry.crates.CrateFetcher` (downloaded,
    checksum-verified when the checksum is known, cached) read safely in memory."""

    def __init__(self, fetcher: CrateFetcher) -> None:
        self.fetcher = fetcher
        """Downloads and caches ``.crate`` files."""
        self._cache: dict[tuple[str, str], Mapping[str, bytes]] = {}

    def files(self, name: str, version: str, checksum: str | None) -> Mapping[str, bytes]:
        """The files of *name* *version* (read once per run)."""
        key = (name, version)
        if key not in self._cache:
            crate = self.fetcher.fetch(name, version, checksum=checksum)
            self._cache[key] = read_crate(crate.path, name=name, version=version).files
        return self._cache[key]


def diffstat(old: Mapping[str, bytes] | None, new: Mapping[str, bytes]) -> DiffStat:
    """The size of the change from *old* (``None``: nothing) to *new*, file by file."""
    before = old or {}
    files = insertions = deletions = 0
    for path in sorted(set(before) | set(new)):
        if path.rsplit("/", 1)[-1] in DIFF_SKIP_PATHS:
            continue
        a, b = before.get(path), new.get(path)
        if a == b:
            continue
        files += 1
        a_lines, b_lines = _lines(a), _lines(b)
        if a_lines is None or b_lines is None:
            continue  # binary: counted as a changed file, as git does
        matcher = difflib.SequenceMatcher(None, a_lines, b_lines, autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag in ("replace", "delete"):
                deletions += i2 - i1
            if tag in ("replace", "insert"):
                insertions += j2 - j1
    return DiffStat(files_changed=files, insertions=insertions, deletions=deletions)


def _lines(data: bytes | None) -> list[str] | None:
    if data is None:
        return []
    if b"\0" in data[:8000]:
        return None
    try:
        return data.decode("utf-8").splitlines()
    except UnicodeDecodeError:
        return None


def suggest_audits(
    graph: CrateGraph,
    store: Store,
    crates: CrateFiles,
    *,
    progress: Callable[[str], None] | None = None,
) -> tuple[Suggestion, ...]:
    """The cheapest audit for each package that fails once suggestable exemptions are gone,
    smallest first (unknown sizes last)."""
    trimmed = replace(store, config=_without_suggestable(store.config))
    report = vet_check(graph, trimmed)
    graphs = AuditGraphs(trimmed, mapper_for(trimmed))
    mapper = mapper_for(trimmed)
    checksums = {(k.name, str(k.version)): k.checksum for k in graph.krates}
    suggestions = []
    for result in report.results:
        if result.status is not VetStatus.UNVETTED:
            continue
        if progress is not None:
            progress(f"{result.name} {result.version}")
        krate = next(
            k for k in graph.krates if k.name == result.name and k.version == result.version
        )
        target = target_version(trimmed, krate)
        missing = mapper.closure(result.missing)
        audit_graph = graphs.get(result.name)
        vetted = audit_graph.reachable(missing, forward=True, start=None)
        leading = audit_graph.reachable(missing, forward=False, start=target)
        suggestions.append(
            _cheapest(
                result,
                target,
                vetted=vetted,
                leading=leading,
                crates=crates,
                checksums=checksums,
                criteria=result.missing,
            )
        )
    return tuple(sorted(suggestions, key=_order))


def _without_suggestable(config: ConfigFile) -> ConfigFile:
    kept = {
        name: tuple(e for e in entries if not e.suggest)
        for name, entries in config.exemptions.items()
    }
    return replace(config, exemptions={k: v for k, v in kept.items() if v})


def _cheapest(
    result: PackageResult,
    target: VetVersion,
    *,
    vetted: set[VetVersion | None],
    leading: set[VetVersion | None],
    crates: CrateFiles,
    checksums: Mapping[tuple[str, str], str | None],
    criteria: tuple[str, ...],
) -> Suggestion:
    ends = sorted((v for v in leading if v is not None), key=lambda v: _distance(v, target))
    starts = [v for v in vetted if v is not None]
    deltas = sorted(
        ((s, e) for s in starts for e in ends if s != e),
        key=lambda pair: _distance(pair[0], pair[1]),
    )[:_MAX_CANDIDATES]
    pairs: list[tuple[VetVersion | None, VetVersion]] = [*deltas, (None, target)]
    best: Suggestion | None = None
    for start, end in pairs:
        size = _size(result.name, start, end, crates, checksums)
        candidate = Suggestion(
            name=result.name, version=end, from_version=start, criteria=criteria, size=size
        )
        if best is None or _order(candidate) < _order(best):
            best = candidate
    assert best is not None
    return best


def _size(
    name: str,
    start: VetVersion | None,
    end: VetVersion,
    crates: CrateFiles,
    checksums: Mapping[tuple[str, str], str | None],
) -> DiffStat | SizeUnknown:
    try:
        new = crates.files(name, str(end), checksums.get((name, str(end))))
        old = (
            None
            if start is None
            else crates.files(name, str(start), checksums.get((name, str(start))))
        )
    except (RegistryError, UnsafeArchive) as e:
        return SizeUnknown(reason=str(e))
    return diffstat(old, new)


def _distance(a: VetVersion | None, b: VetVersion) -> tuple[int, int, int]:
    if a is None:
        return (1 << 30, 0, 0)
    x, y = a.version, b.version
    return (abs(x.major - y.major), abs(x.minor - y.minor), abs(x.patch - y.patch))


def _order(suggestion: Suggestion) -> tuple[int, int, str, str]:
    size = suggestion.size
    lines = size.count if isinstance(size, DiffStat) else 1 << 62
    return (lines, suggestion.from_version is None, suggestion.name, str(suggestion.version))
