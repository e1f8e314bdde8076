"""The RustSec advisory database: obtaining it, parsing it, caching it and querying it.

- :mod:`.model` -- :class:`Advisory` and its parts (kinds, affected functions);
- :mod:`.rustsec` -- parsing advisory files and advisory-db trees;
- :mod:`.cvss` -- CVSS v2/v3/v4 vectors and scores;
- :mod:`.ranges` -- ``patched``/``unaffected`` requirements as affected intervals;
- :mod:`.source` -- cloning/fetching a git URL or bundle, or using a local checkout;
- :mod:`.cache` -- the compiled per-commit cache;
- :mod:`.database` -- :class:`AdvisoryDatabase` and :func:`load_database`;
- :mod:`.osv` -- OSV import and export.

>>> from pathlib import Path
>>> db = load_database("https://github.com/rustsec/advisory-db",
...                    cache_dir=Path.home() / ".cache/cratewatch")  # doctest: +SKIP
>>> db.counts()[AdvisoryKind.VULNERABILITY]  # doctest: +SKIP
749
"""

from __future__ import annotations

from cratewatch.advisories.cvss import CvssScore, Severity
from cratewatch.advisories.database import AdvisoryDatabase, DatabaseInfo, load_database
from cratewatch.advisories.model import (
    Advisory,
    AdvisoryKind,
    AdvisoryOrigin,
    Affected,
    Collection,
)

__all__ = [
    "Advisory",
    "AdvisoryDatabase",
    "AdvisoryKind",
    "AdvisoryOrigin",
    "Affected",
    "Collection",
    "CvssScore",
    "DatabaseInfo",
    "Severity",
    "load_database",
]
