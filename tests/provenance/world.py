"""Real git repositories and genuine ``cargo package`` output for the provenance tests.

:func:`build_world` creates, under one directory:

* ``remote/ws``: a bare repository (the "published" one, served over ``file://`` with partial
  clone enabled) holding a workspace: ``crates/core`` (readme and license-file inherited from
  ``[workspace.package]`` / outside the package), ``crates/cli`` (a binary whose README is a
  symbolic link to ``../../README.md``), ``crates/vend`` (files in a git submodule),
  ``crates/escape`` (a symbolic link to a file outside the repository), ``crates/norepo`` (no
  ``repository``) and ``crates/private`` (a repository that does not resolve);
* ``remote/third``: the submodule's repository; ``remote/tool``: a standalone binary with a
  committed ``Cargo.lock``;
* ``crates/<scenario>/<name>-<version>.crate``: what ``cargo package --no-verify --offline``
  produced for each scenario (see :data:`SCENARIOS`).

Every manifest declares ``https://git.example.test/<repo>``; tests map that prefix to the
``remote`` directory with :data:`REWRITE_FROM`. A few scenarios edit cargo's output afterwards
to stand for what cargo cannot produce today (an injected file, the pre-1.58 VCS info without
``path_in_vcs``, a corrupt ``.cargo_vcs_info.json``); each says so.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import tarfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "REWRITE_FROM",
    "SCENARIOS",
    "Cargo",
    "World",
    "build_world",
    "git",
    "init_bare",
    "member_manifest",
    "moved_remote",
    "rewrite_crate",
    "write_file",
]

REWRITE_FROM = "https://git.example.test/"
"""The URL prefix every test manifest uses for its repository."""

_ENV = {
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.test",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.test",
    "GIT_AUTHOR_DATE": "2024-01-02T03:04:05Z",
    "GIT_COMMITTER_DATE": "2024-01-02T03:04:05Z",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_TERMINAL_PROMPT": "0",
}

SCENARIOS: dict[str, str] = {
    "core": "match",
    "cli": "match",
    "vend": "match",
    "tool": "match",
    "old-cli": "match",
    "nosym-cli": "symlink-caveat",
    "modified-core": "mismatch",
    "injected-core": "mismatch",
    "escape": "mismatch",
    "unpushed-core": "revision-not-found",
    "loose": "no-vcs-info",
    "dirty-core": "dirty",
    "norepo": "no-repository",
    "private": "repository-unreachable",
    "vend-moved": "submodule-missing",
    "renamed-plain": "not-found-in-repository",
    "badinfo-core": "error",
}
"""Scenario -> the status the check must give (``vend-moved`` is ``vend`` checked against a
copy of the repository whose relative submodule URL leads nowhere)."""


def git(cwd: Path, *args: str) -> str:
    """Run git with a fixed identity and date and no user configuration."""
    done = subprocess.run(
        ["git", "-c", "protocol.file.allow=always", *args],
        cwd=cwd,
        env={**os.environ, **_ENV},
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} in {cwd}: {done.stderr}")
    return done.stdout.strip()


@dataclass(frozen=True, slots=True, kw_only=True)
class World:
    """Everything :func:`build_world` made."""

    root: Path
    """The directory holding it all."""
    remote: Path
    """Directory of the bare "published" repositories (``ws``, ``third``, ``tool``)."""
    crates: dict[str, Path]
    """Scenario -> its ``.crate`` file."""
    ws_commit: str
    """The commit of ``remote/ws`` the clean crates were packaged from."""

    @property
    def rewrite(self) -> tuple[str, str]:
        """The ``(FROM, TO)`` URL rewrite that points manifests at :attr:`remote`."""
        return REWRITE_FROM, f"file://{self.remote}/"


def write_file(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def member_manifest(name: str, version: str, extra: str = "") -> str:
    return (
        f'[package]\nname = "{name}"\nversion = "{version}"\nedition = "2021"\n'
        f'description = "{name}"\nlicense = "MIT"\n{extra}'
    )


class Cargo:
    """``cargo`` with its own home, offline."""

    def __init__(self, home: Path, out: Path) -> None:
        self.home = home
        self.out = out

    def run(self, cwd: Path, *args: str) -> None:
        env = {**os.environ, **_ENV, "CARGO_HOME": str(self.home), "CARGO_TERM_COLOR": "never"}
        env["CARGO_TARGET_DIR"] = str(cwd / "target")
        done = subprocess.run(
            ["cargo", *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            raise AssertionError(f"cargo {' '.join(args)} in {cwd}: {done.stderr}")

    def package(self, cwd: Path, scenario: str, *packages: str, allow_dirty: bool = False) -> Path:
        args = ["package", "--no-verify", "--offline", "--quiet"]
        for package in packages:
            args += ["-p", package]
        if allow_dirty:
            args.append("--allow-dirty")
        self.run(cwd, *args)
        wanted = packages[-1] if packages else None
        built = sorted((cwd / "target" / "package").glob("*.crate"))
        chosen = [p for p in built if wanted is None or p.name.rsplit("-", 1)[0] == wanted]
        assert len(chosen) == 1, (built, wanted)
        dest = self.out / scenario / chosen[0].name
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(chosen[0], dest)
        shutil.rmtree(cwd / "target" / "package")
        return dest


def rewrite_crate(
    crate: Path, dest: Path, edit: Callable[[dict[str, bytes]], dict[str, bytes]]
) -> Path:
    """Copy *crate* to *dest* with its files passed through *edit* (path -> content)."""
    prefix = crate.name.removesuffix(".crate")
    files: dict[str, bytes] = {}
    with tarfile.open(crate, "r:gz") as tar:
        for member in tar.getmembers():
            handle = tar.extractfile(member)
            if handle is not None:
                files[member.name.removeprefix(prefix + "/")] = handle.read()
    edited = edit(files)
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(dest, "w:gz") as tar:
        for path, data in edited.items():
            info = tarfile.TarInfo(f"{prefix}/{path}")
            info.size = len(data)
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
    return dest


def build_world(root: Path) -> World:
    """Build the repositories and package every scenario (takes a few seconds)."""
    remote = root / "remote"
    work = root / "work"
    cargo = Cargo(root / "cargo-home", root / "crates")
    for path in (remote, work, root / "outside"):
        path.mkdir(parents=True)
    third = init_bare(remote / "third")
    _seed(work / "third", third, {"src/third.rs": "pub fn third() -> u32 { 3 }\n"})
    ws_remote = init_bare(remote / "ws")
    ws = work / "ws"
    git(work, "clone", "-q", str(ws_remote), str(ws))
    _write_workspace(ws, root / "outside")
    git(ws, "submodule", "add", "-q", "../third", "crates/vend/third")
    git(ws, "add", "-A")
    git(ws, "commit", "-q", "-m", "workspace")
    git(ws, "push", "-q", "origin", "HEAD:main")
    ws_commit = git(ws, "rev-parse", "HEAD")

    crates = {
        "core": cargo.package(ws, "core", "core"),
        "cli": cargo.package(ws, "cli", "core", "cli"),
        "vend": cargo.package(ws, "vend", "vend"),
        "escape": cargo.package(ws, "escape", "escape"),
        "norepo": cargo.package(ws, "norepo", "norepo"),
        "private": cargo.package(ws, "private", "private"),
    }
    crates["vend-moved"] = crates["vend"]
    crates.update(_behind_gits_back(ws, cargo))
    crates.update(_edited_after_packaging(root, crates))
    crates.update(_other_checkouts(work, ws_remote, cargo))
    crates.update(_standalone(root, cargo))
    return World(root=root, remote=remote, crates=crates, ws_commit=ws_commit)


def _behind_gits_back(ws: Path, cargo: Cargo) -> dict[str, Path]:
    """Work-tree changes git does not report (assume-unchanged) or cargo records as dirty."""
    crates: dict[str, Path] = {}
    lib = ws / "crates/core/src/lib.rs"
    original = lib.read_text()
    lib.write_text(original + "pub fn exfiltrate() { /* not in the repository */ }\n")
    git(ws, "update-index", "--assume-unchanged", "crates/core/src/lib.rs")
    crates["modified-core"] = cargo.package(ws, "modified-core", "core")
    git(ws, "update-index", "--no-assume-unchanged", "crates/core/src/lib.rs")
    crates["dirty-core"] = cargo.package(ws, "dirty-core", "core", allow_dirty=True)
    lib.write_text(original)
    # a publish script renamed the package without committing (and an old cargo, see below)
    manifest = ws / "crates/plain/Cargo.toml"
    manifest_text = manifest.read_text()
    manifest.write_text(manifest_text.replace('name = "plain"', 'name = "plainx"'))
    git(ws, "update-index", "--assume-unchanged", "crates/plain/Cargo.toml")
    crates["renamed-plain"] = cargo.package(ws, "renamed-plain-new", "plainx")
    git(ws, "update-index", "--no-assume-unchanged", "crates/plain/Cargo.toml")
    manifest.write_text(manifest_text)
    return crates


def _edited_after_packaging(root: Path, crates: dict[str, Path]) -> dict[str, Path]:
    """What cargo cannot produce today, made from its output."""
    out = root / "crates"
    return {
        # an uploader added a file to the .crate after cargo packaged it
        "injected-core": rewrite_crate(
            crates["core"],
            out / "injected-core/core-0.1.0.crate",
            lambda files: {**files, "src/backdoor.rs": b"pub fn backdoor() {}\n"},
        ),
        # the VCS info cargo < 1.58 wrote: no path_in_vcs
        "old-cli": rewrite_crate(
            crates["cli"], out / "old-cli/cli-0.2.0.crate", _without_path_in_vcs
        ),
        "renamed-plain": rewrite_crate(
            crates["renamed-plain"], out / "renamed-plain/plainx-0.8.0.crate", _without_path_in_vcs
        ),
        # a corrupt .cargo_vcs_info.json
        "badinfo-core": rewrite_crate(
            crates["core"],
            out / "badinfo-core/core-0.1.0.crate",
            lambda files: {**files, ".cargo_vcs_info.json": b'{"git": {"sha1": 3}}'},
        ),
    }


def _other_checkouts(work: Path, ws_remote: Path, cargo: Cargo) -> dict[str, Path]:
    crates: dict[str, Path] = {}
    # a checkout without symlink support (what Windows produces): README.md holds the link text
    nosym = work / "nosym"
    git(work, "clone", "-q", "-c", "core.symlinks=false", str(ws_remote), str(nosym))
    crates["nosym-cli"] = cargo.package(nosym, "nosym-cli", "core", "cli")
    # a commit packaged, pushed, then rewritten away (force-push and gc on the remote)
    unpushed = work / "unpushed"
    git(work, "clone", "-q", str(ws_remote), str(unpushed))
    lib = unpushed / "crates/core/src/lib.rs"
    lib.write_text(lib.read_text() + "pub fn later() {}\n")
    git(unpushed, "commit", "-q", "-am", "released, then rewritten")
    git(unpushed, "push", "-q", "origin", "HEAD:main")
    crates["unpushed-core"] = cargo.package(unpushed, "unpushed-core", "core")
    git(unpushed, "commit", "-q", "--amend", "-m", "rewritten")
    git(unpushed, "push", "-q", "-f", "origin", "HEAD:main")
    git(ws_remote, "reflog", "expire", "--expire=now", "--all")
    git(ws_remote, "gc", "-q", "--prune=now")
    return crates


def _standalone(root: Path, cargo: Cargo) -> dict[str, Path]:
    crates: dict[str, Path] = {}
    # packaged outside any git work tree: no .cargo_vcs_info.json
    loose = root / "outside/loose"
    write_file(
        loose / "Cargo.toml",
        member_manifest("loose", "0.5.0", f'repository = "{REWRITE_FROM}ws"\n'),
    )
    write_file(loose / "src/lib.rs", "pub fn loose() {}\n")
    crates["loose"] = cargo.package(loose, "loose")
    # a binary with its Cargo.lock committed next to its manifest
    tool_remote = init_bare(root / "remote/tool")
    tool = root / "work/tool"
    git(tool.parent, "clone", "-q", str(tool_remote), str(tool))
    write_file(
        tool / "Cargo.toml",
        member_manifest("tool", "1.0.0", f'repository = "{REWRITE_FROM}tool"\n'),
    )
    write_file(tool / "src/main.rs", "fn main() {}\n")
    cargo.run(tool, "generate-lockfile", "--offline")
    git(tool, "add", "-A")
    git(tool, "commit", "-q", "-m", "tool")
    git(tool, "push", "-q", "origin", "HEAD:main")
    crates["tool"] = cargo.package(tool, "tool")
    return crates


def moved_remote(world: World, dest: Path) -> str:
    """A copy of ``remote/ws`` alone in *dest*: its submodule URL ``../third`` leads nowhere."""
    shutil.copytree(world.remote / "ws", dest / "ws")
    return f"file://{dest}/ws"


def _without_path_in_vcs(files: dict[str, bytes]) -> dict[str, bytes]:
    info = json.loads(files[".cargo_vcs_info.json"])
    info.pop("path_in_vcs")
    return {**files, ".cargo_vcs_info.json": json.dumps(info, indent=2).encode()}


def init_bare(path: Path) -> Path:
    git(path.parent, "init", "-q", "--bare", "-b", "main", str(path))
    git(path, "config", "uploadpack.allowFilter", "true")
    git(path, "config", "uploadpack.allowAnySHA1InWant", "true")
    return path


def _seed(work: Path, remote: Path, files: dict[str, str]) -> None:
    git(work.parent, "clone", "-q", str(remote), str(work))
    for path, text in files.items():
        write_file(work / path, text)
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "seed")
    git(work, "push", "-q", "origin", "HEAD:main")


def _write_workspace(ws: Path, outside: Path) -> None:
    repo = f'repository = "{REWRITE_FROM}ws"\n'
    write_file(
        ws / "Cargo.toml",
        '[workspace]\nmembers = ["crates/*"]\nresolver = "2"\n\n[workspace.package]\n'
        f'readme = "README.md"\nrepository = "{REWRITE_FROM}ws"\n',
    )
    write_file(ws / "README.md", "# The workspace\n\nShared readme.\n")
    write_file(ws / "LICENSE", "MIT License\n\nCopyright (c) the authors\n")
    write_file(
        ws / "crates/core/Cargo.toml",
        member_manifest(
            "core",
            "0.1.0",
            "readme.workspace = true\nrepository.workspace = true\n"
            'license-file = "../../LICENSE"\nexclude = ["notes.txt"]\n',
        ),
    )
    write_file(ws / "crates/core/src/lib.rs", "//! core\npub fn answer() -> u32 {\n    42\n}\n")
    write_file(ws / "crates/core/notes.txt", "kept in the repository only\n")
    write_file(
        ws / "crates/cli/Cargo.toml",
        member_manifest(
            "cli",
            "0.2.0",
            repo + '\n[dependencies]\ncore = { path = "../core", version = "0.1.0" }\n',
        ),
    )
    write_file(
        ws / "crates/cli/src/main.rs", 'fn main() {\n    println!("{}", core::answer());\n}\n'
    )
    (ws / "crates/cli/README.md").symlink_to("../../README.md")
    write_file(ws / "crates/vend/Cargo.toml", member_manifest("vend", "0.3.0", repo))
    write_file(ws / "crates/vend/src/lib.rs", '#[path = "../third/src/third.rs"]\npub mod third;\n')
    write_file(ws / "crates/escape/Cargo.toml", member_manifest("escape", "0.4.0", repo))
    write_file(ws / "crates/escape/src/lib.rs", "mod extra;\n")
    write_file(outside / "extra.rs", "pub fn from_outside_the_repository() {}\n")
    (ws / "crates/escape/src/extra.rs").symlink_to(outside / "extra.rs")
    write_file(ws / "crates/norepo/Cargo.toml", member_manifest("norepo", "0.6.0"))
    write_file(ws / "crates/norepo/src/lib.rs", "pub fn norepo() {}\n")
    write_file(
        ws / "crates/private/Cargo.toml",
        member_manifest("private", "0.7.0", 'repository = "https://git.invalid/private/repo"\n'),
    )
    write_file(ws / "crates/private/src/lib.rs", "pub fn private() {}\n")
    write_file(ws / "crates/plain/Cargo.toml", member_manifest("plain", "0.8.0", repo))
    write_file(ws / "crates/plain/src/lib.rs", "pub fn plain() {}\n")
