"""Collecting what ``cratewatch audit`` audits: lockfiles, stdin, --recursive, --bin."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import assert_never

from cratewatch.audit.inputs import PackageSet, from_binary, from_lockfile
from cratewatch.audit.run import AuditInput, InputKind
from cratewatch.errors import CratewatchError
from cratewatch.lockfile import Lockfile, load_lockfile, parse_lockfile

__all__ = ["AuditInputError", "Loaded", "collect_inputs"]

_MAX_STDIN_BYTES = 64 << 20
_RECURSIVE_SKIP = frozenset({"target", ".git", "node_modules", "vendor"})


class AuditInputError(CratewatchError):
    """An input to audit is missing or unusable."""


@dataclass(frozen=True, slots=True)
class _Located:
    lockfile: Path
    display: str


@dataclass(frozen=True, slots=True)
class Loaded:
    """One collected input: what the report shows, its packages, and (for a lockfile) the
    parsed lockfile and its project directory."""

    item: AuditInput
    packages: PackageSet
    lock: Lockfile | None = None
    project: Path | None = None


def collect_inputs(
    path: str | None,
    recursive: Path | None,
    binaries: tuple[Path, ...],
    *,
    generate_lockfile: bool,
) -> list[Loaded]:
    inputs: list[Loaded] = []
    if binaries:
        inputs.extend(_binary_inputs(binaries))
    if recursive is not None:
        found = sorted(_find_lockfiles(recursive))
        if not found:
            raise AuditInputError(f"{recursive}: no Cargo.lock found under this directory")
        for lockfile in found:
            inputs.append(_lockfile_input(lockfile, str(lockfile)))
    if path == "-":
        data = sys.stdin.buffer.read(_MAX_STDIN_BYTES + 1)
        if len(data) > _MAX_STDIN_BYTES:
            raise AuditInputError(f"<stdin>: larger than {_MAX_STDIN_BYTES} bytes")
        lock = parse_lockfile(data.decode("utf-8", errors="replace"), path="<stdin>")
        item = AuditInput(path="-", kind=InputKind.LOCKFILE, package_count=len(lock.packages))
        inputs.append(Loaded(item, from_lockfile(lock), lock, None))
    elif path is not None or not inputs:
        located = _locate(Path(path or "."), generate_lockfile=generate_lockfile)
        inputs.append(_lockfile_input(located.lockfile, located.display))
    return inputs


def _binary_inputs(binaries: tuple[Path, ...]) -> list[Loaded]:
    # The binary-format readers (pyelftools, pefile, macholib) take a third of a second to
    # import, so only --bin pays for them.
    from cratewatch.binaries import (  # noqa: PLC0415
        AuditableDeps,
        NoAuditData,
        read_auditable,
    )

    loaded = []
    for binary in binaries:
        result = read_auditable(binary)
        match result:
            case AuditableDeps():
                package_set = from_binary(result, origin=str(binary))
            case NoAuditData(reason=reason):
                raise AuditInputError(f"{binary}: {reason}")
            case _:
                assert_never(result)
        item = AuditInput(
            path=str(binary), kind=InputKind.BINARY, package_count=len(package_set.packages)
        )
        loaded.append(Loaded(item, package_set))
    return loaded


def _lockfile_input(lockfile: Path, display: str) -> Loaded:
    lock = load_lockfile(lockfile)
    item = AuditInput(path=display, kind=InputKind.LOCKFILE, package_count=len(lock.packages))
    return Loaded(item, from_lockfile(lock, origin=display), lock, lockfile.parent)


def _locate(path: Path, *, generate_lockfile: bool) -> _Located:
    if path.is_file():
        return _Located(path, str(path))
    if not path.is_dir():
        raise AuditInputError(f"{path}: no such file or directory")
    lockfile = path / "Cargo.lock"
    if lockfile.is_file():
        return _Located(lockfile, str(lockfile))
    if (path / "Cargo.toml").is_file():
        if not generate_lockfile:
            raise AuditInputError(
                f"{path}: has a Cargo.toml but no Cargo.lock; run `cargo generate-lockfile` "
                "there first, or pass --generate-lockfile"
            )
        _run_generate_lockfile(path)
        return _Located(lockfile, str(lockfile))
    raise AuditInputError(f"{path}: no Cargo.lock or Cargo.toml in this directory")


def _run_generate_lockfile(project: Path) -> None:
    cargo = shutil.which("cargo")
    if cargo is None:
        raise AuditInputError(f"{project}: --generate-lockfile needs cargo on PATH")
    try:
        subprocess.run(
            [cargo, "generate-lockfile"],
            cwd=project,
            check=True,
            capture_output=True,
            text=True,
            timeout=600,
        )
    except subprocess.CalledProcessError as e:
        last = (e.stderr or "").strip().splitlines()[-1:] or ["no output"]
        raise AuditInputError(f"{project}: cargo generate-lockfile failed: {last[0]}") from e
    except subprocess.TimeoutExpired as e:
        raise AuditInputError(f"{project}: cargo generate-lockfile timed out") from e


def _find_lockfiles(root: Path) -> Iterator[Path]:
    for entry in sorted(root.iterdir()):
        if entry.is_symlink():
            continue
        if entry.is_dir() and entry.name not in _RECURSIVE_SKIP:
            yield from _find_lockfiles(entry)
        elif entry.name == "Cargo.lock" and entry.is_file():
            yield entry
