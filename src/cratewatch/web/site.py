"""The Security pages as a static site any static file server can host.

:func:`build_site` writes, for every crate with advisories, the same pages ``cratewatch
serve`` renders (Overview and Security tabs), one page and one OSV file per advisory,
per-crate OSV arrays (``osv/crates/NAME.json``), the index page with the recently published
advisories and a client-side search over ``search-index.json``, and the stylesheet and
script. Every link is relative (:class:`~cratewatch.web.links.SiteLinks`), so the site works
under any path prefix. A static page cannot compute per request, so each Security page
carries a table of the facts for every version its selector offers (computed here with the
same :mod:`~cratewatch.web.view` functions as the server), which the script shows for
``?version=``.

Files are written atomically (temporary file in the same directory, then a rename); files
of earlier builds that this build does not produce are left in place.

>>> summary = build_site(build_snapshot(db), Path("site"))  # doctest: +SKIP
>>> summary.crates, summary.advisories  # doctest: +SKIP
(908, 1191)
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cratewatch.advisories.osv import dump_osv
from cratewatch.errors import CratewatchError, SourceError
from cratewatch.registry.index import Found, Index
from cratewatch.registry.model import IndexEntry
from cratewatch.web.links import SiteLinks
from cratewatch.web.responses import db_stamp
from cratewatch.web.snapshot import Snapshot, is_valid_crate_name
from cratewatch.web.templating import STATIC_DIR, render_page
from cratewatch.web.view import advisory_view, crate_overview, security_page, version_table

__all__ = ["SiteSummary", "build_site"]

_SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


@dataclass(frozen=True, slots=True, kw_only=True)
class SiteSummary:
    """What :func:`build_site` wrote."""

    out_dir: Path
    """The site's root directory."""
    crates: int
    """Crates with pages (every crate with an advisory)."""
    advisories: int
    """Advisory pages."""
    files: int
    """Files written in total."""


class _Writer:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.count = 0

    def write(self, relative: str, data: bytes | str) -> None:
        target = self.root / relative
        parent = target.parent
        self._check_inside(parent)
        parent.mkdir(parents=True, exist_ok=True)
        payload = data.encode() if isinstance(data, str) else data
        fd, tmp = tempfile.mkstemp(dir=parent, prefix=f".{target.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(payload)
            os.chmod(tmp, 0o644)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self.count += 1

    def _check_inside(self, directory: Path) -> None:
        """Refuse to write through a symlink that could lead out of the site root."""
        current = self.root
        for part in directory.relative_to(self.root).parts:
            current = current / part
            if current.is_symlink():
                raise SourceError(f"{current}: is a symbolic link; refusing to write through it")


def _index_entries(
    index: Index | None, names: list[str]
) -> Mapping[str, tuple[IndexEntry, ...] | None]:
    if index is None:
        return dict.fromkeys(names)
    found = index.fetch_many(names)
    return {
        name: lookup.entries if isinstance(lookup, Found) else None
        for name, lookup in found.items()
    }


def build_site(snapshot: Snapshot, out_dir: Path, *, index: Index | None = None) -> SiteSummary:
    """Write the static site for *snapshot* into *out_dir* (created when missing).

    With *index*, each Security page offers the crate's published versions (yanked ones
    marked); without, the versions its advisories name. Raises
    :class:`~cratewatch.errors.SourceError` when *out_dir* cannot be written and
    :class:`~cratewatch.errors.RegistryError` when the index cannot be read.
    """
    names = list(snapshot.crate_names())
    for name in names:
        if not is_valid_crate_name(name):
            raise CratewatchError(f"crate {name!r}: not a valid crate name; cannot be a file name")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise SourceError(f"{out_dir}: cannot create the output directory: {e}") from e
    writer = _Writer(out_dir)
    db = db_stamp(snapshot)
    entries = _index_entries(index, names)

    try:
        root_links = SiteLinks(depth=0)
        recent = [
            advisory_view(a, published=snapshot.published(a.id).date()) for a in snapshot.recent
        ]
        writer.write(
            "index.html",
            render_page(
                "home.html",
                links=root_links,
                db=db,
                recent=recent,
                crate_count=len(names),
                advisory_count=snapshot.advisory_count,
            ),
        )
        writer.write(
            "404.html",
            render_page(
                "error.html",
                links=root_links,
                db=db,
                title="Not found",
                message="There is no page at this address.",
            ),
        )
        crate_links = SiteLinks(depth=2)
        search_crates: list[dict[str, object]] = []
        search_advisories: list[dict[str, object]] = []
        advisory_count = 0
        for name in names:
            data = snapshot.crate(name)
            assert data is not None
            versions = entries[name]
            page = security_page(
                name,
                data.advisories,
                version_text=None,
                index_versions=versions,
                db=db,
                published=lambda adv: snapshot.published(adv.id).date(),
                default_to_latest=False,
            )
            overview = crate_overview(name, data.advisories, index_versions=versions, db=db)
            table = version_table(data.advisories, [c.text for c in page.versions])
            writer.write(
                f"crates/{name}/security.html",
                render_page(
                    "security.html",
                    links=crate_links,
                    db=db,
                    page=page,
                    latest=overview.latest,
                    explicit_version=False,
                    index_problem=None
                    if index is None or versions is not None
                    else f"the index does not list {name}",
                    version_table=table,
                ),
            )
            writer.write(
                f"crates/{name}/index.html",
                render_page("crate.html", links=crate_links, db=db, o=overview, version=None),
            )
            writer.write(f"osv/crates/{name}.json", data.osv_file)
            search_crates.append({"name": name, "advisories": len(data.shown)})
            search_advisories.extend(
                {
                    "id": adv.id,
                    "package": adv.package,
                    "title": adv.title,
                    "aliases": [a.upper() for a in adv.aliases],
                    "kind": adv.kind.value,
                }
                for adv in data.shown
            )
            advisory_links = SiteLinks(depth=1)
            for adv in data.advisories:
                if not _SAFE_ID.fullmatch(adv.id):
                    raise CratewatchError(f"advisory {adv.id!r}: id cannot be a file name")
                view = advisory_view(adv, published=snapshot.published(adv.id).date())
                writer.write(
                    f"advisories/{adv.id}.html",
                    render_page("advisory.html", links=advisory_links, db=db, v=view),
                )
                writer.write(f"advisories/{adv.id}.json", dump_osv(snapshot.osv(adv.id)))
                advisory_count += 1
        search_advisories.sort(key=lambda a: str(a["id"]), reverse=True)
        writer.write(
            "search-index.json",
            json.dumps(
                {"crates": search_crates, "advisories": search_advisories},
                ensure_ascii=False,
                separators=(",", ":"),
            ),
        )
        for asset in sorted(STATIC_DIR.iterdir()):
            if asset.is_file():
                writer.write(f"static/{asset.name}", asset.read_bytes())
    except OSError as e:
        raise SourceError(f"{out_dir}: cannot write the site: {e}") from e
    return SiteSummary(
        out_dir=out_dir, crates=len(names), advisories=advisory_count, files=writer.count
    )
