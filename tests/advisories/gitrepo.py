"""Real git repositories for advisory-database tests (no mocks: the git CLI, in tmp dirs)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

FIXTURE_DB = Path(__file__).resolve().parent.parent / "assets" / "advisories" / "db"
"""A small advisory database: six advisories of every kind, both collections."""

# 2024-01-02T03:04:05Z and later: fixed times so that file times can be asserted.
BASE_TIME = 1_704_164_645


def git(repo: Path, *args: str, when: int | None = None) -> str:
    """Run git in *repo* with a fixed identity (and commit time *when*, Unix seconds)."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("GIT_") or k == "GIT_CONFIG_GLOBAL"
    }
    env.update(
        GIT_AUTHOR_NAME="Test",
        GIT_AUTHOR_EMAIL="test@example.com",
        GIT_COMMITTER_NAME="Test",
        GIT_COMMITTER_EMAIL="test@example.com",
        GIT_CONFIG_NOSYSTEM="1",
    )
    if when is not None:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = f"@{when} +0000"
    result = subprocess.run(
        ["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=True
    )
    return result.stdout


def commit_all(repo: Path, message: str, *, when: int) -> str:
    """Stage everything and commit at time *when*; returns the new commit id."""
    git(repo, "add", "-A")
    git(repo, "commit", "--quiet", "--allow-empty", "-m", message, when=when)
    return git(repo, "rev-parse", "HEAD").strip()


def make_db_repo(path: Path, *, when: int = BASE_TIME) -> str:
    """A git repository at *path* holding the fixture database in one commit; returns it."""
    shutil.copytree(FIXTURE_DB, path)
    git(path, "init", "--quiet", "--initial-branch=main")
    return commit_all(path, "Initial advisories", when=when)


def add_advisory(repo: Path, package: str, advisory_id: str, *, when: int) -> str:
    """Commit a new vulnerability advisory against *package*; returns the commit id."""
    directory = repo / "crates" / package
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{advisory_id}.md").write_text(advisory_text(package, advisory_id))
    return commit_all(repo, f"Add {advisory_id}", when=when)


def advisory_text(package: str, advisory_id: str, *, title: str = "A new flaw") -> str:
    """The text of a minimal valid advisory."""
    year = advisory_id.split("-")[1]
    return (
        "```toml\n[advisory]\n"
        f'id = "{advisory_id}"\npackage = "{package}"\ndate = "{year}-05-06"\n\n'
        '[versions]\npatched = [">= 9.9.9"]\n```\n\n'
        f"# {title}\n\nDetails.\n"
    )
