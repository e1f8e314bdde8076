"""One provenance check: a crate's files against its repository at the recorded commit.

>>> from cratewatch.inspect.source import from_crate_file
>>> crate = from_crate_file(Path("foo-0.1.0.crate"))  # doctest: +SKIP
>>> result = check_provenance(crate, cache=RepoCache(Path("/tmp/cache")))  # doctest: +SKIP
>>> result.status  # doctest: +SKIP
<Status.MATCH: 'match'>
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial

import pygit2

from cratewatch.errors import CratewatchError
from cratewatch.inspect.source import CrateSource
from cratewatch.provenance._manifest import ManifestReader
from cratewatch.provenance.compare import compare_files
from cratewatch.provenance.locate import Located, locate_package
from cratewatch.provenance.model import (
    Comparison,
    Dirty,
    Errored,
    FileState,
    Match,
    Mismatch,
    NoRepository,
    NotFoundInRepository,
    NoVcsInfo,
    Outcome,
    ProvenanceResult,
    RepositoryUnreachable,
    RevisionNotFound,
    SubmoduleMissing,
    SymlinkCaveat,
)
from cratewatch.provenance.outside import outside_package_files
from cratewatch.provenance.repo import (
    RepoCache,
    RepoLocation,
    location_from_manifest,
)
from cratewatch.provenance.tree import Tip, TreeResolver
from cratewatch.provenance.vcsinfo import VCS_INFO_FILE, VcsInfo, parse_vcs_info

__all__ = ["check_provenance", "verdict"]

_NO_VCS_REASON = (
    "the crate has no .cargo_vcs_info.json: it was packaged outside a git work tree, by a "
    "cargo older than 1.29, or with --allow-dirty by a cargo that did not record dirty state"
)


@dataclass(slots=True)
class _Where:
    repository: str | None = None
    declared: str | None = None
    commit: str | None = None
    path_in_vcs: str | None = None
    package_path: str | None = None


def check_provenance(
    crate: CrateSource,
    *,
    cache: RepoCache,
    repository: RepoLocation | None = None,
    url_rewrites: Sequence[tuple[str, str]] = (),
) -> ProvenanceResult:
    """Check that *crate*'s files are in its repository at the commit it records.

    *repository* overrides ``package.repository``; *url_rewrites* rewrite the declared URL
    (see :func:`~cratewatch.provenance.repo.location_from_manifest`). Never raises for a
    problem with the crate or the repository: that is the result's outcome.
    """
    where = _Where()
    try:
        outcome = _check(crate, cache, repository, url_rewrites, where)
    except (CratewatchError, pygit2.GitError, OSError) as e:
        outcome = Errored(reason=f"{crate.name}@{crate.version}: {e}")
    return ProvenanceResult(
        name=crate.name,
        version=crate.version,
        origin=crate.origin,
        checksum=crate.checksum,
        repository=where.repository,
        declared_repository=where.declared,
        commit=where.commit,
        path_in_vcs=where.path_in_vcs,
        package_path=where.package_path,
        outcome=outcome,
    )


def verdict(comparison: Comparison) -> Match | SymlinkCaveat | Mismatch | SubmoduleMissing:
    """The status a comparison earns: differences, then unreadable submodules, then caveats."""
    if comparison.differences:
        return Mismatch(comparison=comparison)
    if comparison.missing_submodules or comparison.count(FileState.UNVERIFIED):
        return SubmoduleMissing(comparison=comparison)
    if comparison.count(FileState.SYMLINK_CAVEAT):
        return SymlinkCaveat(comparison=comparison)
    return Match(comparison=comparison)


def _check(
    crate: CrateSource,
    cache: RepoCache,
    repository: RepoLocation | None,
    rewrites: Sequence[tuple[str, str]],
    where: _Where,
) -> Outcome:
    if crate.oversized:
        return Errored(
            reason=f"{len(crate.oversized)} file(s) too large to read, e.g. {crate.oversized[0]}"
        )
    reader = ManifestReader()
    where.declared = _declared_repository(crate, reader)
    raw = crate.files.get(VCS_INFO_FILE)
    if raw is None:
        return NoVcsInfo(reason=_NO_VCS_REASON)
    info = parse_vcs_info(raw)
    where.commit, where.path_in_vcs = info.commit, info.path_in_vcs
    compared = _compare(
        crate,
        cache=cache,
        repository=repository,
        rewrites=rewrites,
        where=where,
        info=info,
        reader=reader,
    )
    if info.dirty:
        comparison = _comparison_of(compared)
        reason = "packaged with --allow-dirty from a work tree with uncommitted changes"
        if comparison is None:
            reason += f"; not compared: {getattr(compared, 'reason', compared.status.value)}"
        else:
            reason += f"; {len(comparison.differences)} file(s) differ from the commit"
        return Dirty(comparison=comparison, reason=reason)
    return compared


def _compare(  # noqa: PLR0911 - one return per outcome
    crate: CrateSource,
    *,
    cache: RepoCache,
    repository: RepoLocation | None,
    rewrites: Sequence[tuple[str, str]],
    where: _Where,
    info: VcsInfo,
    reader: ManifestReader,
) -> Outcome:
    if len(info.commit) != 40:
        return Errored(reason=f"commit {info.commit}: SHA-256 repositories are not supported")
    location = repository
    if location is None:
        if where.declared is None:
            return NoRepository(
                reason="the manifest declares no package.repository; pass --repo to compare "
                "with a repository"
            )
        try:
            location = location_from_manifest(where.declared, rewrites=rewrites)
        except CratewatchError as e:
            return NoRepository(reason=f"package.repository is not usable: {e}")
    where.repository = location.url
    try:
        repo = cache.open(location)
    except CratewatchError as e:
        return RepositoryUnreachable(reason=str(e))
    commit = repo.ensure_commit(info.commit)
    if commit is None:
        searched = (
            ""
            if location.local_path is not None or cache.offline
            else " (after fetching its branches, tags and the commit itself)"
        )
        return RevisionNotFound(
            reason=f"commit {info.commit} is not in {repo.label}{searched}; it was never "
            "pushed, or history was rewritten"
        )
    resolver = TreeResolver(Tip(repo=repo, commit=commit, prefix=""), cache=cache)
    manifest = crate.files.get("Cargo.toml.orig", crate.files.get("Cargo.toml"))
    located = locate_package(
        resolver, name=crate.name, path_in_vcs=info.path_in_vcs, manifest=manifest
    )
    if not isinstance(located, Located):
        return NotFoundInRepository(reason=located.reason)
    where.package_path = located.package_path
    comparison = compare_files(
        resolver,
        package_path=located.package_path,
        files=crate.files,
        links=crate.links,
        outside=partial(
            outside_package_files,
            resolver,
            package_path=located.package_path,
            manifest=manifest,
            reader=reader,
        ),
    )
    return verdict(comparison)


def _comparison_of(outcome: Outcome) -> Comparison | None:
    match outcome:
        case Match() | SymlinkCaveat() | Mismatch() | SubmoduleMissing():
            return outcome.comparison
        case _:
            return None


def _declared_repository(crate: CrateSource, reader: ManifestReader) -> str | None:
    """``package.repository`` from the original manifest, else from the normalised one.

    Cargo copies a literal value into the normalised manifest unchanged; the original is
    read first because it is small (the normalised one lists every target).
    """
    for name in ("Cargo.toml.orig", "Cargo.toml"):
        data = crate.files.get(name)
        facts = reader.facts(data) if data is not None else None
        if facts is not None and facts.repository is not None:
            return facts.repository
    return None
