"""A real git crates.io-style index in a temporary directory, to which tests publish."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Sequence
from pathlib import Path

from cratewatch.registry.paths import index_path


def git(repo: Path, *args: str, date: str | None = None) -> str:
    env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(repo.parent)}
    if date is not None:
        env |= {"GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
    done = subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    return done.stdout.strip()


def dep(name: str, req: str = "^1", kind: str = "normal") -> dict[str, object]:
    return {
        "name": name,
        "req": req,
        "features": [],
        "optional": False,
        "default_features": True,
        "target": None,
        "kind": kind,
    }


def line(
    name: str, version: str, cksum: str = "0" * 64, deps: Sequence[dict[str, object]] = ()
) -> str:
    return json.dumps(
        {"name": name, "vers": version, "deps": list(deps), "cksum": cksum, "features": {},
         "yanked": False}
    )  # fmt: skip


def init_index(repo: Path, dl: str, *, date: str = "2024-01-01T00:00:00+00:00") -> str:
    """A git index with config.json as its root (snapshot) commit; returns the commit id."""
    repo.mkdir(parents=True)
    git(repo, "init", "-q", "-b", "master")
    (repo / "config.json").write_text(json.dumps({"dl": dl, "api": None}))
    git(repo, "add", "config.json")
    git(repo, "commit", "-q", "-m", "snapshot", date=date)
    return git(repo, "rev-parse", "HEAD")


def publish(repo: Path, lines: Sequence[str], *, date: str) -> str:
    """Append index lines (one commit, like crates.io); returns the commit id."""
    names = []
    for text in lines:
        name = json.loads(text)["name"]
        path = repo / index_path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as f:
            f.write(text + "\n")
        git(repo, "add", index_path(name))
        names.append(name)
    git(repo, "commit", "-q", "-m", f"Update crates {', '.join(names)}", date=date)
    return git(repo, "rev-parse", "HEAD")
