"""``check sources``: every crate comes from a registry or git repository the config allows.

As cargo-deny: a source URL (query and fragment dropped, a trailing ``.git`` removed) is
allowed when it equals an ``allow-registry``/``allow-git`` entry, starts like a ``private``
entry (same host, path prefix), or is a github.com/gitlab.com/bitbucket.org repository of an
``allow-org`` organization. Both spellings of crates.io (the git index and
``sparse+https://index.crates.io/``) are the same registry. ``required-git-spec`` asks git
sources to be pinned at least by branch, tag or rev (a ``master`` branch counts as no pin,
as in cargo-deny). Allowed entries no crate used are reported (``unused-allowed-source``).

>>> from cratewatch.policy.config import parse_config
>>> normalize_source_url("sparse+https://index.crates.io/")
'https://github.com/rust-lang/crates.io-index'
"""

from __future__ import annotations

from typing import assert_never
from urllib.parse import urlsplit, urlunsplit

from cratewatch.policy.config.model import CRATES_IO_INDEX_URL, GitSpec, Named, PolicyConfig
from cratewatch.policy.diagnostics import Check, Diagnostic, LintLevel, Severity
from cratewatch.policy.graph import CrateGraph, Krate
from cratewatch.policy.labels import Labeller, crate_ref, labels
from cratewatch.source_id import GitBranch, GitDefaultBranch, GitRev, GitTag, SourceId

__all__ = ["check_sources", "git_spec", "normalize_source_url"]

_ORG_HOSTS = {"github": "github.com", "gitlab": "gitlab.com", "bitbucket": "bitbucket.org"}
_CRATES_IO_SPELLINGS = frozenset(
    {
        "https://github.com/rust-lang/crates.io-index",
        "https://index.crates.io",
        "sparse+https://index.crates.io",
        "registry+https://github.com/rust-lang/crates.io-index",
    }
)


def normalize_source_url(url: str) -> str:
    """A registry or git URL in the form allow lists are compared in: no ``kind+`` prefix,
    query, fragment, trailing ``/`` or ``.git``, a lowercase host; crates.io in one spelling."""
    bare = url.removeprefix("sparse+") if url.startswith("sparse+") else url
    if bare.startswith(("registry+", "git+")):
        bare = bare.split("+", 1)[1]
    parts = urlsplit(bare)
    path = parts.path.rstrip("/").removesuffix(".git")
    text = urlunsplit((parts.scheme, parts.netloc.lower(), path, "", ""))
    if text in _CRATES_IO_SPELLINGS or url.rstrip("/") in _CRATES_IO_SPELLINGS:
        return CRATES_IO_INDEX_URL
    return text


def git_spec(source: SourceId) -> GitSpec:
    """How precisely a git source is pinned."""
    reference = source.reference or GitDefaultBranch()
    match reference:
        case GitRev():
            return GitSpec.REV
        case GitTag():
            return GitSpec.TAG
        case GitBranch(name=name):
            return GitSpec.ANY if name == "master" else GitSpec.BRANCH
        case GitDefaultBranch():
            return GitSpec.ANY
        case _:
            assert_never(reference)


def check_sources(graph: CrateGraph, config: PolicyConfig) -> tuple[Diagnostic, ...]:
    """Run the sources check."""
    cfg = config.sources
    if cfg.unknown_registry is LintLevel.ALLOW and cfg.unknown_git is LintLevel.ALLOW:
        return ()
    labeller = Labeller(config_path=config.path, lockfile=graph.lockfile)
    allowed: list[tuple[Named, str, bool]] = [
        (entry, normalize_source_url(entry.value), True)
        for entry in (*cfg.allow_registry, *cfg.allow_git)
    ]
    allowed += [(entry, normalize_source_url(entry.value), False) for entry in cfg.private]
    orgs = [(kind, entry) for kind, entries in cfg.allow_org.items() for entry in entries]
    source_hits = [False] * len(allowed)
    org_hits = [False] * len(orgs)
    out: list[Diagnostic] = []
    for krate in graph.krates:
        source = krate.source
        if source is None or source.is_path:
            continue
        url = normalize_source_url(source.url)
        source_label = labeller.lock(krate, "source", key="source")
        if source.is_git:
            level, type_name = cfg.unknown_git, "git"
            out.extend(_check_spec(krate, source, config, labeller))
        else:
            level, type_name = cfg.unknown_registry, "registry"
        match = next(
            (n for n, (_, u, exact) in enumerate(allowed) if _matches(url, u, exact)), None
        )
        if match is not None:
            source_hits[match] = True
            if url != CRATES_IO_INDEX_URL:
                out.append(
                    Diagnostic(
                        code="allowed-source",
                        severity=Severity.NOTE,
                        check=Check.SOURCES,
                        message=f"'{type_name}' source explicitly allowed",
                        crates=(crate_ref(krate),),
                        labels=labels(
                            source_label,
                            labeller.config(
                                allowed[match][0].at, "source allowance", primary=False
                            ),
                        ),
                    )
                )
            continue
        org = _org_of(url)
        org_match = next(
            (n for n, (kind, entry) in enumerate(orgs) if org == (kind, entry.value)), None
        )
        if org_match is not None:
            org_hits[org_match] = True
            out.append(
                Diagnostic(
                    code="allowed-by-organization",
                    severity=Severity.NOTE,
                    check=Check.SOURCES,
                    message="source allowed by organization allowance",
                    crates=(crate_ref(krate),),
                    labels=labels(
                        source_label,
                        labeller.config(
                            orgs[org_match][1].at, "organization allowance", primary=False
                        ),
                    ),
                )
            )
            continue
        out.append(
            Diagnostic(
                code="source-not-allowed",
                severity=level.severity,
                check=Check.SOURCES,
                message=f"detected '{type_name}' source not explicitly allowed",
                crates=(crate_ref(krate),),
                notes=(f"source: {source.to_url()}", f"normalized: {url}"),
                labels=labels(source_label),
            )
        )
    out.extend(
        _unused(
            config,
            labeller=labeller,
            allowed=allowed,
            source_hits=source_hits,
            orgs=orgs,
            org_hits=org_hits,
        )
    )
    return tuple(out)


def _unused(
    config: PolicyConfig,
    *,
    labeller: Labeller,
    allowed: list[tuple[Named, str, bool]],
    source_hits: list[bool],
    orgs: list[tuple[str, Named]],
    org_hits: list[bool],
) -> list[Diagnostic]:
    cfg = config.sources
    if cfg.unused_allowed_source is LintLevel.ALLOW:
        return []
    unused = cfg.unused_allowed_source.severity
    out: list[Diagnostic] = []
    for hit, (entry, url, _) in zip(source_hits, allowed, strict=True):
        if hit or url == CRATES_IO_INDEX_URL:
            continue
        out.append(
            Diagnostic(
                code="unmatched-source",
                severity=unused,
                check=Check.SOURCES,
                message="allowed source was not encountered",
                labels=labels(labeller.config(entry.at, "no crate source matched these criteria")),
            )
        )
    for hit, (kind, entry) in zip(org_hits, orgs, strict=True):
        if not hit:
            out.append(
                Diagnostic(
                    code="unmatched-organization",
                    severity=unused,
                    check=Check.SOURCES,
                    message=f"allowed '{_ORG_HOSTS[kind]}' organization was not encountered",
                    labels=labels(
                        labeller.config(entry.at, "no crate source fell under this organization")
                    ),
                )
            )
    return out


def _check_spec(
    krate: Krate, source: SourceId, config: PolicyConfig, labeller: Labeller
) -> list[Diagnostic]:
    minimum = config.sources.required_git_spec
    if minimum is None:
        return []
    actual = git_spec(source)
    if actual >= minimum:
        return []
    return [
        Diagnostic(
            code="git-source-underspecified",
            severity=Severity.ERROR,
            check=Check.SOURCES,
            message=(
                f"'git' source is underspecified, expected '{minimum.name.lower()}', "
                f"but found '{actual.name.lower()}'"
            ),
            crates=(crate_ref(krate),),
            labels=labels(
                labeller.lock(krate, "source", key="source"),
                labeller.config(
                    config.sources.required_git_spec_at, "minimum spec defined here", primary=False
                ),
            ),
        )
    ]


def _matches(url: str, allowed: str, exact: bool) -> bool:
    if exact:
        return url == allowed
    ours, theirs = urlsplit(url), urlsplit(allowed)
    return ours.netloc == theirs.netloc and ours.path.startswith(theirs.path)


def _org_of(url: str) -> tuple[str, str] | None:
    parts = urlsplit(url)
    host = parts.hostname or ""
    for kind, org_host in _ORG_HOSTS.items():
        if host == org_host:
            first = parts.path.strip("/").split("/", 1)[0]
            return (kind, first) if first else None
    return None
