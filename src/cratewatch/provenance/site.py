"""A static report site from batch results (``cratewatch provenance site``).

Layout (every link relative, so the site works under any path prefix)::

    index.html                    counts per status, the trend over release history, and a
                                  filterable table of crates (rows from data/crates.json)
    crates/NAME/index.html        the versions of one crate
    crates/NAME/VERSION.html      one version: verdict and where; its file list and diffs
                                  come from data/crates/NAME.json, fetched when the page opens
    data/crates.json              one small row per crate
    data/crates/NAME.json         every version's full result (the JSON of --format json)
    assets/style.css, assets/site.js, assets/favicon.svg

Pages carry a Content-Security-Policy allowing only the site's own script and styles; every
value from the results is escaped (templates) or set as text (script). Rows whose name or
version could not name a file are left out and counted. Files are written atomically.

>>> build_site(Path("results.parquet"), Path("site"))  # doctest: +SKIP
SiteSummary(out_dir=PosixPath('site'), crates=20, versions=24, skipped_rows=0)
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2

from cratewatch.errors import SourceError
from cratewatch.provenance.model import Status
from cratewatch.provenance.store import read_rows
from cratewatch.registry.paths import InvalidCrateName, validate_crate_name
from cratewatch.semver import InvalidVersion, Version

__all__ = ["TREND_BUCKETS", "SiteError", "SiteSummary", "build_site", "trend"]

TREND_BUCKETS = 5
"""Buckets of release history (oldest to newest) in the trend chart."""

_VERSION = re.compile(r"[0-9A-Za-z][0-9A-Za-z.+-]{0,127}")
_STATUS_ORDER = [s.value for s in Status]
_COLORS = {  # the badge colours of style.css (white text on each passes WCAG AA)
    "match": "#1a7f37",
    "symlink-caveat": "#116329",
    "mismatch": "#cf222e",
    "dirty": "#a40e26",
    "revision-not-found": "#7d4e00",
    "no-vcs-info": "#57606a",
    "no-repository": "#424a53",
    "repository-unreachable": "#6c4400",
    "submodule-missing": "#9a6700",
    "not-found-in-repository": "#953800",
    "error": "#8250df",
}


class SiteError(SourceError):
    """The site could not be written."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SiteSummary:
    """What :func:`build_site` wrote."""

    out_dir: Path
    """The site's directory."""
    crates: int
    """Crates with a page."""
    versions: int
    """Crate versions with a page."""
    skipped_rows: int
    """Rows left out because their name or version could not name a file."""


@dataclass(frozen=True, slots=True, kw_only=True)
class _Version:
    version: str
    status: str
    row: dict[str, Any]
    result: dict[str, Any]


def build_site(results: Path, out_dir: Path, *, title: str = "Crate provenance") -> SiteSummary:
    """Write the site for the results file *results* into *out_dir*."""
    crates, skipped = _group(read_rows(results))
    env = _environment()
    _write_assets(out_dir)
    counts = Counter(v.status for versions in crates.values() for v in versions)
    chart = trend({name: [v.status for v in versions] for name, versions in crates.items()})
    summary_rows = [_summary_row(name, versions) for name, versions in sorted(crates.items())]
    _write(out_dir / "data" / "crates.json", _json(summary_rows))
    total = sum(counts.values())
    _write(
        out_dir / "index.html",
        env.get_template("index.html").render(
            title=title,
            root=".",
            total=total,
            crate_count=len(crates),
            counts=[
                {
                    "status": status,
                    "count": counts.get(status, 0),
                    "share": counts.get(status, 0) / total if total else 0.0,
                    "color": _COLORS[status],
                }
                for status in _STATUS_ORDER
            ],
            trend=chart,
            colors=_COLORS,
            statuses=_STATUS_ORDER,
        ),
    )
    for name, versions in crates.items():
        directory = out_dir / "crates" / name
        _write(
            out_dir / "data" / "crates" / f"{name}.json",
            _json({"name": name, "versions": [_version_doc(v) for v in versions]}),
        )
        _write(
            directory / "index.html",
            env.get_template("crate.html").render(
                title=title, root="../..", name=name, versions=list(reversed(versions))
            ),
        )
        for entry in versions:
            _write(
                directory / f"{entry.version}.html",
                env.get_template("version.html").render(
                    title=title,
                    root="../..",
                    name=name,
                    entry=entry,
                    result=entry.result,
                    color=_COLORS[entry.status],
                ),
            )
    return SiteSummary(
        out_dir=out_dir,
        crates=len(crates),
        versions=sum(len(v) for v in crates.values()),
        skipped_rows=skipped,
    )


def trend(histories: Mapping[str, Sequence[str]], buckets: int = TREND_BUCKETS) -> dict[str, Any]:
    """Status counts by position in each crate's release history (oldest to newest).

    A crate's versions, oldest first, are spread over *buckets* equal slices of its history
    (a crate with one version counts in the newest slice).

    >>> trend({"a": ["no-vcs-info", "match"], "b": ["match"]}, buckets=2)["buckets"][1]["counts"]
    {'match': 2}
    """
    counts: list[Counter[str]] = [Counter() for _ in range(buckets)]
    for statuses in histories.values():
        n = len(statuses)
        for i, status in enumerate(statuses):
            position = (buckets - 1) if n == 1 else min(buckets - 1, i * buckets // n)
            counts[position][status] += 1
    labels = _bucket_labels(buckets)
    return {
        "buckets": [
            {
                "label": labels[i],
                "total": sum(c.values()),
                "counts": {s: c[s] for s in _STATUS_ORDER if c[s]},
                "bars": _stack(c),
            }
            for i, c in enumerate(counts)
        ],
        "width": 120 * buckets + 40,
    }


def _bucket_labels(buckets: int) -> list[str]:
    step = 100 // buckets
    return [f"{i * step}-{(i + 1) * step if i < buckets - 1 else 100}%" for i in range(buckets)]


def _stack(counts: Counter[str]) -> list[dict[str, Any]]:
    """Stacked bar segments (y and height in a 0..200 box)."""
    total = sum(counts.values())
    segments: list[dict[str, Any]] = []
    y = 200.0
    for status in _STATUS_ORDER:
        if not counts[status] or not total:
            continue
        height = 200.0 * counts[status] / total
        y -= height
        segments.append(
            {
                "status": status,
                "count": counts[status],
                "y": round(y, 2),
                "height": round(height, 2),
                "color": _COLORS[status],
            }
        )
    return segments


def _group(rows: list[dict[str, Any]]) -> tuple[dict[str, list[_Version]], int]:
    crates: dict[str, list[_Version]] = defaultdict(list)
    skipped = 0
    for row in rows:
        name, version, status = row.get("name"), row.get("version"), row.get("status")
        if not (isinstance(name, str) and isinstance(version, str) and status in _COLORS):
            skipped += 1
            continue
        try:
            validate_crate_name(name)
        except InvalidCrateName:
            skipped += 1
            continue
        if _VERSION.fullmatch(version) is None:
            skipped += 1
            continue
        try:
            result = json.loads(row.get("result_json") or "{}")
        except ValueError:
            result = {}
        crates[name].append(
            _Version(version=version, status=str(status), row=row, result=_safe(result))
        )
    for versions in crates.values():
        versions.sort(key=lambda v: _version_key(v.version))
    return dict(crates), skipped


def _safe(result: object) -> dict[str, Any]:
    return result if isinstance(result, dict) else {}


def _version_key(text: str) -> tuple[int, Version | str]:
    try:
        return (0, Version.parse(text))
    except InvalidVersion:
        return (1, text)


def _summary_row(name: str, versions: list[_Version]) -> dict[str, Any]:
    latest = versions[-1]
    return {
        "name": name,
        "versions": len(versions),
        "latest": latest.version,
        "status": latest.status,
        "history": [v.status for v in versions],
        "counts": dict(Counter(v.status for v in versions)),
    }


def _version_doc(entry: _Version) -> dict[str, Any]:
    result = entry.result
    return {
        "version": entry.version,
        "status": entry.status,
        "duration_ms": entry.row.get("duration_ms"),
        "checked_at": str(entry.row.get("checked_at")),
        "result": result,
    }


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("cratewatch.provenance", "site_templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["pct"] = lambda x: f"{100 * x:.1f}%"
    env.filters["http_url"] = lambda url: (
        url if isinstance(url, str) and url.startswith(("https://", "http://")) else None
    )
    return env


def _write_assets(out_dir: Path) -> None:
    assets = resources.files("cratewatch.provenance").joinpath("site_static")
    for name in ("style.css", "site.js", "favicon.svg"):
        _write(out_dir / "assets" / name, assets.joinpath(name).read_text(encoding="utf-8"))


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _write(path: Path, text: str) -> None:
    """Write *text* to *path* atomically (temporary file in the same directory, rename)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    except OSError as e:
        raise SiteError(f"{path}: cannot write: {e.strerror or e}") from e
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(temp, 0o644)
        os.replace(temp, path)
    except OSError as e:
        raise SiteError(f"{path}: cannot write: {e.strerror or e}") from e
    finally:
        Path(temp).unlink(missing_ok=True)
