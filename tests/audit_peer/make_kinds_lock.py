"""Regenerate ``tests/assets/audit_peer/advisory-kinds/Cargo.lock`` with real cargo.

cargo resolves the project against the 2020 crates.io index snapshot (the shared
``crates-io-index-2020.bundle``, cloned bare and served to cargo as a ``file://`` git registry
that replaces crates.io), so the lockfile is what cargo wrote in July 2020 for these
requirements, with crates.io source ids and the index checksums. No network is used; the first
run clones the index into a temporary CARGO_HOME (about a minute).

    uv run python -m tests.audit_peer.make_kinds_lock
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.conftest import ASSETS, REPO_ROOT

PROJECT = ASSETS / "audit_peer" / "advisory-kinds"


def main() -> int:
    data = Path(os.environ.get("CRATEWATCH_SHARED_DATA", REPO_ROOT.parent / "shared" / "data"))
    bundle = data / "crates-io-index-2020.bundle"
    cargo = shutil.which("cargo")
    if cargo is None or not bundle.is_file():
        print(f"needs cargo on PATH and {bundle}", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="kinds-lock-") as tmp:
        base = Path(tmp)
        index = base / "index.git"
        subprocess.run(["git", "clone", "-q", "--bare", str(bundle), str(index)], check=True)
        home = base / "cargo-home"
        home.mkdir()
        (home / "config.toml").write_text(
            '[source.crates-io]\nreplace-with = "index-2020"\n'
            f'[source.index-2020]\nregistry = "file://{index}"\n'
        )
        work = base / "project"
        shutil.copytree(PROJECT, work, ignore=shutil.ignore_patterns("Cargo.lock"))
        env = {k: v for k, v in os.environ.items() if not k.startswith("CARGO")}
        env["CARGO_HOME"] = str(home)
        subprocess.run([cargo, "generate-lockfile"], cwd=work, env=env, check=True, timeout=900)
        shutil.copyfile(work / "Cargo.lock", PROJECT / "Cargo.lock")
    print(f"wrote {PROJECT / 'Cargo.lock'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
