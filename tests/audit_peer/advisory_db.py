"""The real RustSec advisory database, minus what cargo-deny 0.14.2 cannot load.

cargo-deny 0.14.2 (rustsec 0.28, cvss 2.0) rejects the whole database when one advisory
carries a CVSS 4.0 vector, so :func:`filtered_advisory_db` clones the advisory-db bundle and
removes those advisories in a commit of their own. Both tools then read the same repository.

>>> db = filtered_advisory_db(Path("advisory-db.bundle"), Path("/tmp/adb"))  # doctest: +SKIP
>>> db.removed[:1]  # doctest: +SKIP
('RUSTSEC-2024-0437',)
"""

from __future__ import annotations

import re
import subprocess
import tomllib
from dataclasses import dataclass
from pathlib import Path

__all__ = ["FilteredDb", "filtered_advisory_db", "front_matter"]

_FRONT_MATTER = re.compile(r"\A\s*```toml\s*\n(.*?)\n```", re.DOTALL)
_GIT_ENV = {
    "GIT_AUTHOR_NAME": "cratewatch tests",
    "GIT_AUTHOR_EMAIL": "tests@cratewatch.invalid",
    "GIT_COMMITTER_NAME": "cratewatch tests",
    "GIT_COMMITTER_EMAIL": "tests@cratewatch.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
    "HOME": "/nonexistent",
    "PATH": "/usr/local/bin:/usr/bin:/bin",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class FilteredDb:
    """A git checkout of the advisory database both tools read."""

    path: Path
    """The checkout (its HEAD is the filtering commit)."""
    removed: tuple[str, ...]
    """Ids of the advisories removed for their CVSS 4.0 vector, sorted."""
    upstream_commit: str
    """The bundle's commit the checkout started from."""


def front_matter(text: str) -> dict[str, object]:
    """The TOML front matter of an advisory file (the leading ```toml block)."""
    match = _FRONT_MATTER.match(text)
    if match is None:
        raise ValueError("no ```toml front matter")
    return tomllib.loads(match.group(1))


def filtered_advisory_db(bundle: Path, dest: Path) -> FilteredDb:
    """Clone *bundle* to *dest* and commit the removal of every CVSS 4.0 advisory."""
    subprocess.run(
        ["git", "clone", "-q", str(bundle), str(dest)], check=True, timeout=120, env=_GIT_ENV
    )
    upstream = _git(dest, "rev-parse", "HEAD")
    removed: list[tuple[str, Path]] = []
    for file in sorted(dest.glob("*/*/*.md")):
        doc = front_matter(file.read_text(encoding="utf-8"))
        advisory = doc.get("advisory")
        if isinstance(advisory, dict) and str(advisory.get("cvss", "")).startswith("CVSS:4"):
            removed.append((str(advisory["id"]), file.relative_to(dest)))
    if removed:
        _git(dest, "rm", "-q", "--", *(str(path) for _, path in removed))
        _git(dest, "commit", "-q", "-m", "remove advisories with CVSS 4.0 vectors")
    return FilteredDb(
        path=dest, removed=tuple(sorted(i for i, _ in removed)), upstream_commit=upstream
    )


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *args],
        cwd=repo,
        env=_GIT_ENV,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return done.stdout.strip()
