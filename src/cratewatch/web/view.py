"""What each page shows, computed from :class:`~cratewatch.advisories.model.Advisory` values.

Pure functions from advisories (and optionally the crate's published versions) to frozen
view models; templates only lay these out. Nothing here does I/O, so every rule the pages
follow is testable without HTTP:

- a crate's Security tab lists vulnerabilities **and unsound advisories** (flagged
  "Unsound"), as the crates.io Security tab RFC (rust-lang/rfcs#3872) asks for
  "vulnerabilities and unsound API surface"; unmaintained, notice and other informational
  advisories go to a separate collapsed section; withdrawn advisories are not listed;
- for a selected version, each advisory says whether it affects that version
  (:meth:`Advisory.affects`, cargo-audit's rule), and the header shows the highest CVSS
  base score among the listed advisories affecting it (see :data:`SEVERITY_METHOD`);
- no score, rank or grade of the crate is computed: facts only.

>>> import datetime
>>> from cratewatch.semver import VersionReq
>>> adv = Advisory(id="RUSTSEC-2019-0009", package="smallvec", date=datetime.date(2019, 6, 6),
...                title="Double-free", description="Text.",
...                patched=(VersionReq.parse(">= 0.6.10"),),
...                unaffected=(VersionReq.parse("< 0.6.5"),))
>>> page = security_page("smallvec", (adv,), version_text="0.6.9", index_versions=None,
...                      db=DbStamp(commit=None, date=None))
>>> page.main[0].affected, page.main[0].affects_selected, page.summary.affecting
(('>= 0.6.5, < 0.6.10',), True, ('RUSTSEC-2019-0009',))
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import assert_never

from markupsafe import Markup

from cratewatch.advisories.cvss import CvssScore, Severity
from cratewatch.advisories.model import Advisory, AdvisoryKind, AdvisoryOrigin
from cratewatch.advisories.ranges import UNBOUNDED_START, AffectedRange, affected_ranges
from cratewatch.registry.model import IndexEntry
from cratewatch.semver import InvalidVersion, Version
from cratewatch.web.render import is_safe_url, render_inline, render_markdown, render_summary

__all__ = [
    "COUNTED_CVSS_VERSIONS",
    "MAX_VERSION_CHARS",
    "SEVERITY_METHOD",
    "AdvisoryView",
    "CrateOverview",
    "CvssView",
    "DbStamp",
    "Link",
    "SecurityPage",
    "SeveritySummary",
    "VersionChoice",
    "advisory_view",
    "alias_link",
    "crate_overview",
    "is_listed",
    "kind_label",
    "parse_selected_version",
    "security_page",
    "severity_summary",
    "version_table",
]

MAX_VERSION_CHARS = 100
"""A ``?version=`` longer than this is refused without parsing."""
COUNTED_CVSS_VERSIONS = frozenset({"3.0", "3.1", "4.0"})
"""CVSS versions whose base scores count towards the highest severity."""
SEVERITY_METHOD = (
    "Highest severity is the highest CVSS base score (CVSS v3.0, v3.1 or v4.0) among the "
    "vulnerability and unsoundness advisories listed here that affect the selected version, "
    "with its qualitative rating (None 0.0, Low 0.1-3.9, Medium 4.0-6.9, High 7.0-8.9, "
    "Critical 9.0-10.0). Advisories without such a vector, CVSS v2 vectors and informational "
    "advisories are not counted; scores are those the advisories give, not re-assessed."
)
"""How the header's highest severity is computed (shown on the page)."""

_CVE = re.compile(r"CVE-\d{4}-\d{4,}")
_GHSA = re.compile(r"GHSA(-[23456789cfghjmpqrvwx]{4}){3}")
_RUSTSEC = re.compile(r"RUSTSEC-\d{4}-\d{4}")


@dataclass(frozen=True, slots=True, kw_only=True)
class Link:
    """A labelled link; ``url`` is None when the target is not a safe external URL."""

    text: str
    """What is shown."""
    url: str | None = None
    """External http(s) URL, or None (shown as text)."""
    advisory: str | None = None
    """Id of an advisory of this site to link to instead (related advisories)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CvssView:
    """A CVSS vector with its base score and rating."""

    vector: str
    """The vector as the advisory gives it."""
    version: str
    """CVSS version (``3.1``)."""
    base_score: float
    """Base score 0.0-10.0."""
    severity: Severity
    """Qualitative rating."""
    counted: bool
    """Whether this version's scores count towards the highest severity."""

    @property
    def rating(self) -> str:
        """The rating as a word: ``High``."""
        return self.severity.value.capitalize()


@dataclass(frozen=True, slots=True, kw_only=True)
class AdvisoryView:
    """Everything a page shows about one advisory."""

    id: str
    """RustSec id."""
    package: str
    """Crate name."""
    kind: AdvisoryKind
    """Vulnerability, unsound, unmaintained, notice, other."""
    kind_label: str
    """``Vulnerability``, ``Unsound``, ``Unmaintained``, ``Notice`` or ``Informational (x)``."""
    title: str
    """Title as plain Markdown source (for ``<title>`` and search)."""
    title_html: Markup
    """Title rendered inline (safe HTML)."""
    summary_html: Markup
    """First paragraph of the description (safe HTML)."""
    description_html: Markup
    """Whole description (safe HTML), headings below an ``<h2>``."""
    aliases: tuple[Link, ...]
    """CVE ids linked to NVD, GHSA ids to GitHub, others as text."""
    related: tuple[Link, ...]
    """Related ids, RustSec ones linked to their pages here."""
    date: datetime.date
    """Date reported (the advisory's ``date``)."""
    published: datetime.date | None
    """Date the advisory file was first committed, when known."""
    withdrawn: datetime.date | None
    """Date withdrawn, None when not."""
    affected: tuple[str, ...]
    """Affected version ranges in human form (``>= 0.10.0, < 0.10.3``)."""
    patched: tuple[str, ...]
    """Patched version requirements as written (``>=0.10.3``)."""
    unaffected: tuple[str, ...]
    """Never-affected version requirements as written."""
    cvss: CvssView | None
    """CVSS vector and score, when the advisory has one."""
    categories: tuple[str, ...]
    """RustSec categories."""
    keywords: tuple[str, ...]
    """Keywords."""
    functions: tuple[tuple[str, str], ...]
    """Affected functions and the versions in which they are affected."""
    platforms: tuple[str, ...]
    """Affected architectures and operating systems (empty: all)."""
    links: tuple[Link, ...]
    """Advisory URL, references, the rustsec.org page."""
    license: str
    """License of the advisory text."""
    affects_selected: bool | None
    """Whether the selected version is affected; None when no version is selected."""

    @property
    def listed(self) -> bool:
        """Whether it belongs in the main list (vulnerability or unsound)."""
        return self.kind in (AdvisoryKind.VULNERABILITY, AdvisoryKind.UNSOUND)


@dataclass(frozen=True, slots=True, kw_only=True)
class VersionChoice:
    """One entry of the version selector."""

    text: str
    """The version."""
    yanked: bool
    """Whether it is yanked (known only with an index)."""
    selected: bool
    """Whether it is the selected version."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SeveritySummary:
    """What the header says about the selected version."""

    version: str
    """The selected version."""
    affecting: tuple[str, ...]
    """Ids of listed (vulnerability/unsound) advisories affecting it."""
    informational: tuple[str, ...]
    """Ids of informational advisories that apply to it."""
    highest: CvssView | None
    """The highest counted CVSS score among :attr:`affecting`; None when none has one."""
    highest_id: str | None
    """The advisory :attr:`highest` comes from."""
    unscored: tuple[str, ...]
    """Ids in :attr:`affecting` without a counted CVSS score."""

    @property
    def affected(self) -> bool:
        """Whether any vulnerability or unsoundness advisory affects the version."""
        return bool(self.affecting)


@dataclass(frozen=True, slots=True, kw_only=True)
class DbStamp:
    """Which database state a page was computed from."""

    commit: str | None
    """Full commit id, None when not a git checkout."""
    date: datetime.datetime | None
    """Committer time of :attr:`commit`."""

    @property
    def short(self) -> str | None:
        """The first 12 hex digits of the commit."""
        return None if self.commit is None else self.commit[:12]


@dataclass(frozen=True, slots=True, kw_only=True)
class SecurityPage:
    """A crate's Security tab."""

    crate: str
    """Crate name."""
    main: tuple[AdvisoryView, ...]
    """Vulnerability and unsound advisories, not withdrawn, newest first."""
    informational: tuple[AdvisoryView, ...]
    """Unmaintained, notice and other informational advisories, not withdrawn."""
    withdrawn_count: int
    """How many withdrawn advisories are not shown."""
    versions: tuple[VersionChoice, ...]
    """Versions offered by the selector, newest first."""
    versions_from_index: bool
    """True: :attr:`versions` are the published versions; False: versions the advisories name."""
    version_input: str
    """The version as entered (shown back in the form)."""
    selected: str | None
    """The selected version, normalised; None when none or invalid."""
    version_error: str | None
    """Why the entered version is not a version (shown on the page)."""
    version_notes: tuple[str, ...]
    """Facts about the selected version (not published, yanked)."""
    summary: SeveritySummary | None
    """Header facts for the selected version."""
    db: DbStamp
    """Database state checked."""
    severity_method: str = SEVERITY_METHOD
    """How the highest severity is computed."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CrateOverview:
    """The crate page's header and Overview tab."""

    crate: str
    """Crate name."""
    in_index: bool | None
    """Whether the index lists the crate; None without an index."""
    latest: str | None
    """Highest non-yanked release (from the index)."""
    version_count: int
    """Published versions (from the index)."""
    yanked_count: int
    """Yanked versions (from the index)."""
    listed: int
    """Vulnerability/unsound advisories shown on the Security tab."""
    informational: int
    """Informational advisories shown on the Security tab."""
    summary: SeveritySummary | None
    """Facts for the latest (or selected) version."""
    db: DbStamp
    """Database state checked."""


def kind_label(adv: Advisory) -> str:
    """How a page names the kind of *adv*."""
    kind = adv.kind
    match kind:
        case AdvisoryKind.VULNERABILITY:
            return "Vulnerability"
        case AdvisoryKind.UNSOUND:
            return "Unsound"
        case AdvisoryKind.UNMAINTAINED:
            return "Unmaintained"
        case AdvisoryKind.NOTICE:
            return "Notice"
        case AdvisoryKind.OTHER:
            return f"Informational ({adv.informational})"
        case _:
            assert_never(kind)


def is_listed(adv: Advisory) -> bool:
    """Whether *adv* goes in the main list: a vulnerability or unsound, not withdrawn."""
    return not adv.is_withdrawn and adv.kind in (AdvisoryKind.VULNERABILITY, AdvisoryKind.UNSOUND)


def alias_link(alias: str) -> Link:
    """*alias* linked to NVD (CVE) or GitHub (GHSA); other ids as text.

    >>> alias_link("CVE-2019-15551").url
    'https://nvd.nist.gov/vuln/detail/CVE-2019-15551'
    """
    if _CVE.fullmatch(alias):
        return Link(text=alias, url=f"https://nvd.nist.gov/vuln/detail/{alias}")
    if _GHSA.fullmatch(alias):
        return Link(text=alias, url=f"https://github.com/advisories/{alias}")
    if _RUSTSEC.fullmatch(alias):
        return Link(text=alias, advisory=alias)
    return Link(text=alias)


def _cvss_view(score: CvssScore | None) -> CvssView | None:
    if score is None:
        return None
    return CvssView(
        vector=score.vector,
        version=score.version,
        base_score=score.base_score,
        severity=score.severity,
        counted=score.version in COUNTED_CVSS_VERSIONS,
    )


def _ranges(adv: Advisory) -> tuple[AffectedRange, ...]:
    if adv.origin is AdvisoryOrigin.RUSTSEC:
        return affected_ranges(adv.patched, adv.unaffected)
    return adv.ranges


def _human_ranges(adv: Advisory) -> tuple[str, ...]:
    shown = [str(r) for r in _ranges(adv) if not r.is_empty]
    return tuple("every version" if s == "*" else s for s in shown)


def _url_link(url: str, text: str | None = None) -> Link:
    return Link(text=text or url, url=url if is_safe_url(url) else None)


def advisory_view(
    adv: Advisory,
    *,
    selected: Version | None = None,
    published: datetime.date | None = None,
) -> AdvisoryView:
    """The view of *adv*; ``affects_selected`` answers for *selected* when given."""
    links = [_url_link(adv.url, "Announcement") if adv.url else None]
    links += [_url_link(ref) for ref in adv.references]
    links.append(
        Link(text="RustSec advisory page", url=f"https://rustsec.org/advisories/{adv.id}.html")
    )
    return AdvisoryView(
        id=adv.id,
        package=adv.package,
        kind=adv.kind,
        kind_label=kind_label(adv),
        title=adv.title,
        title_html=render_inline(adv.title),
        summary_html=render_summary(adv.description, heading_offset=2),
        description_html=render_markdown(adv.description, heading_offset=1),
        aliases=tuple(alias_link(a) for a in adv.aliases),
        related=tuple(alias_link(r) for r in adv.related),
        date=adv.date,
        published=published,
        withdrawn=adv.withdrawn,
        affected=_human_ranges(adv),
        patched=tuple(str(r) for r in adv.patched),
        unaffected=tuple(str(r) for r in adv.unaffected),
        cvss=_cvss_view(adv.cvss),
        categories=adv.categories,
        keywords=adv.keywords,
        functions=tuple(
            (path, ", ".join(str(r) for r in reqs) or "every version")
            for path, reqs in sorted(adv.affected.functions.items())
        ),
        platforms=(*adv.affected.arch, *adv.affected.os),
        links=tuple(link for link in links if link is not None),
        license=adv.license,
        affects_selected=None if selected is None else adv.affects(selected),
    )


def parse_selected_version(text: str) -> Version | str:
    """The version in *text* (trimmed), or a one-line message saying why it is not one.

    >>> parse_selected_version(" 1.2.3 "), parse_selected_version("1.2")
    (Version.parse('1.2.3'), "'1.2' is not a version: unexpected end of input while \
parsing minor version number; expected a full version such as 1.2.3")
    """
    text = text.strip()
    if len(text) > MAX_VERSION_CHARS:
        return f"the version is too long ({len(text)} characters, at most {MAX_VERSION_CHARS})"
    try:
        return Version.parse(text)
    except InvalidVersion as e:
        reason = str(e).splitlines()[0]
        prefix = f"invalid version {text!r}: "
        reason = reason.removeprefix(prefix) if reason.startswith(prefix) else reason
        return f"{text!r} is not a version: {reason}; expected a full version such as 1.2.3"


def severity_summary(advisories: Sequence[Advisory], version: Version) -> SeveritySummary:
    """Header facts for *version*: affecting advisories and their highest counted CVSS score.

    *advisories* are a crate's advisories; withdrawn ones are ignored.
    """
    affecting: list[Advisory] = []
    informational: list[str] = []
    for adv in advisories:
        if adv.is_withdrawn or not adv.affects(version):
            continue
        if is_listed(adv):
            affecting.append(adv)
        else:
            informational.append(adv.id)
    best: Advisory | None = None
    unscored: list[str] = []
    for adv in affecting:
        score = adv.cvss
        if score is None or score.version not in COUNTED_CVSS_VERSIONS:
            unscored.append(adv.id)
        elif best is None or best.cvss is None or score.base_score > best.cvss.base_score:
            best = adv
    return SeveritySummary(
        version=str(version),
        affecting=tuple(a.id for a in affecting),
        informational=tuple(informational),
        highest=None if best is None else _cvss_view(best.cvss),
        highest_id=None if best is None else best.id,
        unscored=tuple(unscored),
    )


def _parsed_entries(entries: Sequence[IndexEntry]) -> list[tuple[Version, IndexEntry]]:
    parsed: list[tuple[Version, IndexEntry]] = []
    for entry in entries:
        try:
            parsed.append((Version.parse(entry.vers), entry))
        except InvalidVersion:
            continue  # cargo never selects such a version; the selector leaves it out
    parsed.sort(key=lambda pair: pair[0], reverse=True)
    return parsed


def _default_version(entries: Sequence[IndexEntry]) -> Version | None:
    """The version crates.io shows by default: the highest non-yanked release."""
    parsed = _parsed_entries(entries)
    releases = [v for v, e in parsed if not e.yanked and not v.is_prerelease]
    unyanked = [v for v, e in parsed if not e.yanked]
    for candidates in (releases, unyanked, [v for v, _ in parsed]):
        if candidates:
            return candidates[0]
    return None


def _mentioned_versions(advisories: Sequence[Advisory]) -> list[Version]:
    """Versions the advisories' patched/unaffected requirements name, newest first."""
    found: set[Version] = set()
    for adv in advisories:
        for req in (*adv.patched, *adv.unaffected):
            for c in req.comparators:
                found.add(Version(c.major, c.minor or 0, c.patch or 0, c.pre))
        for r in adv.ranges:
            for v in (r.introduced, r.fixed):
                if v is not None and v != UNBOUNDED_START:
                    found.add(v)
    return sorted(found, reverse=True)


def _split(advisories: Sequence[Advisory]) -> tuple[list[Advisory], list[Advisory], int]:
    main, info, withdrawn = [], [], 0
    for adv in sorted(advisories, key=lambda a: (a.date, a.id), reverse=True):
        if adv.is_withdrawn:
            withdrawn += 1
        elif is_listed(adv):
            main.append(adv)
        else:
            info.append(adv)
    return main, info, withdrawn


def security_page(
    crate: str,
    advisories: Sequence[Advisory],
    *,
    version_text: str | None,
    index_versions: Sequence[IndexEntry] | None,
    db: DbStamp,
    published: Callable[[Advisory], datetime.date | None] = lambda adv: None,
    default_to_latest: bool = True,
) -> SecurityPage:
    """The Security tab of *crate*.

    *version_text* is ``?version=`` (None: not given; then the highest non-yanked release
    from *index_versions* is selected when an index is given, unless *default_to_latest* is
    False, as on the static site). *index_versions* are the
    crate's index entries (None without an index): the selector offers them; without an
    index it offers the versions the advisories name (plus free text).
    """
    main, info, withdrawn = _split(advisories)
    error: str | None = None
    selected: Version | None = None
    if version_text is not None and version_text.strip():
        parsed = parse_selected_version(version_text)
        if isinstance(parsed, Version):
            selected = parsed
        else:
            error = parsed
    elif index_versions is not None and default_to_latest:
        selected = _default_version(index_versions)
    notes: list[str] = []
    choices: list[VersionChoice] = []
    if index_versions is not None:
        published_versions = _parsed_entries(index_versions)
        choices = [
            VersionChoice(text=str(v), yanked=e.yanked, selected=v == selected)
            for v, e in published_versions
        ]
        if selected is not None:
            match = next((e for v, e in published_versions if v == selected), None)
            if match is None:
                notes.append(f"{selected} is not a published version of {crate} in the index.")
            elif match.yanked:
                notes.append(f"{selected} is yanked.")
    else:
        choices = [
            VersionChoice(text=str(v), yanked=False, selected=v == selected)
            for v in _mentioned_versions(advisories)
        ]
    return SecurityPage(
        crate=crate,
        main=tuple(advisory_view(a, selected=selected, published=published(a)) for a in main),
        informational=tuple(
            advisory_view(a, selected=selected, published=published(a)) for a in info
        ),
        withdrawn_count=withdrawn,
        versions=tuple(choices),
        versions_from_index=index_versions is not None,
        version_input=_shown_input(version_text, selected),
        selected=None if selected is None else str(selected),
        version_error=error,
        version_notes=tuple(notes),
        summary=None if selected is None else severity_summary(advisories, selected),
        db=db,
    )


def _shown_input(version_text: str | None, selected: Version | None) -> str:
    if version_text is not None and version_text.strip():
        return version_text.strip()[:MAX_VERSION_CHARS]
    return "" if selected is None else str(selected)


def crate_overview(
    crate: str,
    advisories: Sequence[Advisory],
    *,
    index_versions: Sequence[IndexEntry] | None,
    db: DbStamp,
    selected: Version | None = None,
) -> CrateOverview:
    """The crate page's Overview: versions from the index and advisory counts.

    The summary is for *selected* when given, else for the latest release in the index.
    """
    main, info, _ = _split(advisories)
    latest = None if index_versions is None else _default_version(index_versions)
    shown = selected if selected is not None else latest
    return CrateOverview(
        crate=crate,
        in_index=None if index_versions is None else bool(index_versions),
        latest=None if latest is None else str(latest),
        version_count=0 if index_versions is None else len(index_versions),
        yanked_count=0 if index_versions is None else sum(e.yanked for e in index_versions),
        listed=len(main),
        informational=len(info),
        summary=None if shown is None else severity_summary(advisories, shown),
        db=db,
    )


def version_table(
    advisories: Sequence[Advisory], versions: Sequence[str]
) -> Mapping[str, Mapping[str, object]]:
    """For a static page: per version, which advisories apply and the highest severity.

    ``{"0.6.9": {"affected": [ids], "informational": [ids], "highest": {...} | None}}``
    """
    table: dict[str, Mapping[str, object]] = {}
    for text in versions:
        parsed = parse_selected_version(text)
        if not isinstance(parsed, Version):
            continue
        summary = severity_summary(advisories, parsed)
        highest = summary.highest
        table[text] = {
            "affected": list(summary.affecting),
            "informational": list(summary.informational),
            "unscored": list(summary.unscored),
            "highest": None
            if highest is None
            else {
                "id": summary.highest_id,
                "score": highest.base_score,
                "rating": highest.rating,
                "version": highest.version,
            },
        }
    return table
