"""A small registry for the batch tests: genuine crates of several releases and an index.

:func:`build_releases` makes a bare repository ``remote/multi`` whose workspace holds five
crates, releases it four times (``cargo package --workspace`` at each release commit: 20
crate versions) and adds a few crates that cannot be verified. :func:`write_index` writes a
directory index whose ``dl`` points at a loopback HTTP server standing in for
static.crates.io.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from cratewatch.registry.paths import index_path
from tests.provenance.world import REWRITE_FROM, Cargo, git, init_bare, member_manifest, write_file

__all__ = ["MEMBERS", "RELEASES", "Published", "Releases", "build_releases", "write_index"]

MEMBERS = ("alpha", "beta", "gamma", "delta", "epsilon")
"""The workspace's crates."""
RELEASES = ("1.0.0", "1.1.0", "1.2.0", "2.0.0")
"""The workspace's releases, oldest first."""
DEPENDS_ON_ALPHA = ("beta", "gamma", "delta")
"""Crates whose index entries depend on alpha (alpha has the most reverse dependencies)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Published:
    """One ``.crate`` as the registry holds it."""

    name: str
    version: str
    path: Path
    expected: str
    """The status the check must give."""
    cksum: str
    """The checksum the index records (wrong on purpose for one crate)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Releases:
    """What :func:`build_releases` made."""

    remote: Path
    crates: tuple[Published, ...]

    @property
    def rewrite(self) -> tuple[str, str]:
        """The URL rewrite pointing manifests at :attr:`remote`."""
        return REWRITE_FROM, f"file://{self.remote}/"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build_releases(root: Path) -> Releases:
    """Build the repository and every release (a few seconds)."""
    remote = root / "remote"
    work = root / "work"
    out = root / "out"
    for path in (remote, work, out):
        path.mkdir(parents=True)
    cargo = Cargo(root / "cargo-home", out)
    bare = init_bare(remote / "multi")
    ws = work / "multi"
    git(work, "clone", "-q", str(bare), str(ws))
    published: list[Published] = []
    for release in RELEASES:
        write_file(
            ws / "Cargo.toml",
            '[workspace]\nmembers = ["crates/*"]\nresolver = "2"\n\n[workspace.package]\n'
            f'version = "{release}"\nrepository = "{REWRITE_FROM}multi"\n',
        )
        for name in MEMBERS:
            write_file(ws / f"crates/{name}/Cargo.toml", _workspace_member(name))
            write_file(
                ws / f"crates/{name}/src/lib.rs",
                f'//! {name}\npub const RELEASE: &str = "{release}";\n',
            )
        git(ws, "add", "-A")
        git(ws, "commit", "-q", "-m", f"release {release}")
        git(ws, "push", "-q", "origin", "HEAD:main")
        tampered = release == "1.1.0"
        if tampered:  # gamma 1.1.0 ships a line its repository never had
            lib = ws / "crates/gamma/src/lib.rs"
            lib.write_text(lib.read_text() + "pub fn injected() {}\n")
            git(ws, "update-index", "--assume-unchanged", "crates/gamma/src/lib.rs")
        cargo.run(ws, "package", "--workspace", "--no-verify", "--offline", "--quiet")
        if tampered:
            git(ws, "update-index", "--no-assume-unchanged", "crates/gamma/src/lib.rs")
            git(ws, "checkout", "--", "crates/gamma/src/lib.rs")
        for name in MEMBERS:
            built = ws / "target/package" / f"{name}-{release}.crate"
            dest = out / f"{name}-{release}.crate"
            shutil.copyfile(built, dest)
            expected = "mismatch" if tampered and name == "gamma" else "match"
            published.append(
                Published(
                    name=name, version=release, path=dest, expected=expected, cksum=_sha256(dest)
                )
            )
        shutil.rmtree(ws / "target/package")
    published.extend(_unverifiable(root, cargo, out))
    return Releases(remote=remote, crates=tuple(published))


def _workspace_member(name: str) -> str:
    return (
        f'[package]\nname = "{name}"\nversion.workspace = true\nedition = "2021"\n'
        f'description = "{name}"\nlicense = "MIT"\nrepository.workspace = true\n'
    )


def _unverifiable(root: Path, cargo: Cargo, out: Path) -> list[Published]:
    loose = root / "loose"
    write_file(
        loose / "Cargo.toml", member_manifest("loose", "0.1.0", f'repository = "{REWRITE_FROM}x"\n')
    )
    write_file(loose / "src/lib.rs", "pub fn loose() {}\n")
    cargo.run(loose, "package", "--no-verify", "--offline", "--quiet")
    gone = root / "gone"
    git(root, "init", "-q", "-b", "main", str(gone))
    write_file(
        gone / "Cargo.toml",
        member_manifest("gone", "0.9.0", 'repository = "https://git.invalid/g"\n'),
    )
    write_file(gone / "src/lib.rs", "pub fn gone() {}\n")
    git(gone, "add", "-A")
    git(gone, "commit", "-q", "-m", "gone")
    cargo.run(gone, "package", "--no-verify", "--offline", "--quiet")
    result: list[Published] = []
    for directory, name, version, expected in (
        (loose, "loose", "0.1.0", "no-vcs-info"),
        (gone, "gone", "0.9.0", "repository-unreachable"),
    ):
        dest = out / f"{name}-{version}.crate"
        shutil.copyfile(directory / "target/package" / dest.name, dest)
        result.append(
            Published(name=name, version=version, path=dest, expected=expected, cksum=_sha256(dest))
        )
    # the registry serves other bytes than the index's checksum
    forged = out / "forged-0.1.0.crate"
    shutil.copyfile(out / "loose-0.1.0.crate", forged)
    result.append(
        Published(name="forged", version="0.1.0", path=forged, expected="error", cksum="0" * 64)
    )
    return result


def write_index(index: Path, releases: Releases, dl: str) -> None:
    """A directory index of every published crate whose downloads come from *dl*."""
    index.mkdir(parents=True)
    (index / "config.json").write_text(json.dumps({"dl": dl}))
    lines: dict[str, list[str]] = {}
    for crate in releases.crates:
        deps = (
            [
                {
                    "name": "alpha",
                    "req": "^1",
                    "features": [],
                    "optional": False,
                    "default_features": True,
                    "target": None,
                    "kind": "normal",
                }
            ]
            if crate.name in DEPENDS_ON_ALPHA
            else []
        )
        entry = {
            "name": crate.name,
            "vers": crate.version,
            "deps": deps,
            "cksum": crate.cksum,
            "features": {},
            "yanked": False,
        }
        lines.setdefault(crate.name, []).append(json.dumps(entry))
    for name, entries in lines.items():
        path = index / index_path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(entries) + "\n")
