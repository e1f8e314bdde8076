"""Real cargo projects for the policy tests, readable by cargo without any network.

Every dependency is a small crate written here into a local ``directory`` source (a vendor
directory with ``.cargo-checksum.json`` files, as ``cargo vendor`` makes), wired up through the
project's ``.cargo/config.toml`` source replacement. crates.io crates keep their real
``registry+https://github.com/rust-lang/crates.io-index`` source id in Cargo.lock; crates of
other registries and git repositories keep theirs too, so the sources check sees what it would
see in a real project. A test-local ``CARGO_HOME`` keeps the user's cargo configuration out.

>>> project = CargoProject(Path("/tmp/p"), members={"": APP})  # doctest: +SKIP
>>> project.add(VendoredCrate(name="leaf", version="1.0.0"))  # doctest: +SKIP
>>> project.write(cargo=Path("cargo"))  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["CRATES_IO", "CargoProject", "VendoredCrate", "cargo_env", "manifest"]

CRATES_IO = "registry+https://github.com/rust-lang/crates.io-index"
"""The source id of crates.io as Cargo.lock spells it."""


def manifest(name: str, version: str = "0.1.0", *, package: str = "", body: str = "") -> str:
    """A Cargo.toml: ``[package]`` with ``name``/``version``/``edition`` plus *package* lines,
    then *body* (dependency tables, features, ``[lib]``...)."""
    head = f'[package]\nname = "{name}"\nversion = "{version}"\nedition = "2018"\n'
    return head + (package.strip() + "\n" if package.strip() else "") + "\n" + body.strip() + "\n"


@dataclass(frozen=True, slots=True, kw_only=True)
class VendoredCrate:
    """One dependency crate, written into the vendor directory of its source."""

    name: str
    """The crate name."""
    version: str
    """The version."""
    package: str = 'license = "MIT"'
    """Extra lines of its ``[package]`` table."""
    body: str = ""
    """The rest of its Cargo.toml (dependencies, features, ``[lib]``)."""
    files: Mapping[str, str | bytes] = field(default_factory=dict)
    """Files besides Cargo.toml (``src/lib.rs`` is added when absent)."""
    source: str = CRATES_IO
    """Its source id without the git commit: crates.io, ``registry+URL``, ``sparse+URL`` or
    ``git+URL[?branch=..]``."""
    modes: Mapping[str, int] = field(default_factory=dict)
    """File modes to set (e.g. ``0o755`` for an executable script)."""
    sha256: str = ""
    """The ``.crate`` SHA-256 the vendor directory declares (a real lockfile's checksum);
    empty: a stand-in derived from the source, name and version."""

    @property
    def checksum(self) -> str:
        """The ``.crate`` SHA-256 the vendor directory declares (:attr:`sha256` or a stand-in)."""
        if self.sha256:
            return self.sha256
        return hashlib.sha256(f"{self.source} {self.name} {self.version}".encode()).hexdigest()

    @property
    def commit(self) -> str:
        """The commit a git crate is locked at (derived from its name and version)."""
        return hashlib.sha1(f"{self.name} {self.version}".encode()).hexdigest()


def cargo_env(home: Path) -> dict[str, str]:
    """The environment for running cargo with a test-local ``CARGO_HOME``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARGO")}
    env["CARGO_HOME"] = str(home)
    env["CARGO_NET_OFFLINE"] = "true"
    return env


class CargoProject:
    """A workspace on disk with its vendored dependencies and a complete Cargo.lock."""

    def __init__(
        self,
        root: Path,
        *,
        members: Mapping[str, str],
        files: Mapping[str, str | bytes] | None = None,
        workspace: str | None = None,
    ) -> None:
        self.root = root
        """The project directory (holds Cargo.toml, Cargo.lock, vendor dirs, CARGO_HOME)."""
        self.members = dict(members)
        """Relative directory (``""`` for the root) -> Cargo.toml text of each member."""
        self.files = dict(files or {})
        """Other project files, relative to the root."""
        self.workspace = workspace
        """A virtual root Cargo.toml, when the root is not itself a package."""
        self.crates: list[VendoredCrate] = []
        self.home = root / ".cargo-home"
        """The test-local CARGO_HOME."""

    def add(self, *crates: VendoredCrate) -> CargoProject:
        """Add dependency crates (returns self for chaining)."""
        self.crates.extend(crates)
        return self

    def vendor_dir(self, source: str) -> Path:
        """The directory source holding the crates of *source*."""
        if source == CRATES_IO:
            return self.root / "vendor"
        return self.root / f"vendor-{hashlib.sha1(source.encode()).hexdigest()[:10]}"

    def crate_dir(self, crate: VendoredCrate) -> Path:
        """Where *crate* is written."""
        return self.vendor_dir(crate.source) / f"{crate.name}-{crate.version}"

    def write(self, *, cargo: Path, extra_config: str = "") -> Path:
        """Write everything and complete Cargo.lock with *cargo* (offline); return the root."""
        self.root.mkdir(parents=True, exist_ok=True)
        self.home.mkdir(exist_ok=True)
        if self.workspace is not None:
            _write(self.root / "Cargo.toml", self.workspace)
        for relative, text in self.members.items():
            directory = self.root / relative
            _write(directory / "Cargo.toml", text)
            if not (directory / "src").exists():
                _write(directory / "src" / "lib.rs", "")
        for relative, content in self.files.items():
            _write(self.root / relative, content)
        for crate in self.crates:
            self._write_crate(crate)
        _write(self.root / ".cargo" / "config.toml", self._config() + extra_config)
        self._seed_lock()
        done = subprocess.run(
            [str(cargo), "metadata", "--format-version", "1", "--offline"],
            cwd=self.root,
            env=cargo_env(self.home),
            check=False,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if done.returncode != 0:
            raise RuntimeError(f"{cargo} metadata failed in {self.root}:\n{done.stderr}")
        return self.root

    def _write_crate(self, crate: VendoredCrate) -> None:
        directory = self.crate_dir(crate)
        body = f"{crate.package.strip()}\n\n{crate.body.strip()}\n"
        _write(directory / "Cargo.toml", manifest(crate.name, crate.version) + body)
        files = dict(crate.files)
        files.setdefault("src/lib.rs", "")
        for relative, content in files.items():
            _write(directory / relative, content)
        for relative, mode in crate.modes.items():
            (directory / relative).chmod(mode)
        package = crate.checksum if not crate.source.startswith("git+") else None
        (directory / ".cargo-checksum.json").write_text(
            json.dumps({"files": {}, "package": package})
        )

    def _config(self) -> str:
        lines = [
            "[net]",
            "offline = true",
            "",
            "[source.crates-io]",
            'replace-with = "vendored-crates-io"',
            "[source.vendored-crates-io]",
            'directory = "vendor"',
        ]
        for number, source in enumerate(sorted({c.source for c in self.crates} - {CRATES_IO})):
            kind, _, rest = source.partition("+")
            url, _, query = rest.partition("?")
            lines += ["", f'[source."{source}"]']
            if kind == "git":
                lines.append(f'git = "{url}"')
                for part in filter(None, query.split("&")):
                    key, _, value = part.partition("=")
                    lines.append(f'{key} = "{value}"')
            else:
                registry = url if kind == "registry" else source
                lines.append(f'registry = "{registry}"')
            lines += [
                f'replace-with = "vendored-{number}"',
                f"[source.vendored-{number}]",
                f'directory = "{self.vendor_dir(source).name}"',
            ]
        return "\n".join(lines) + "\n"

    def _seed_lock(self) -> None:
        """cargo cannot lock a vendored git source by itself: write those entries first."""
        git = [c for c in self.crates if c.source.startswith("git+")]
        if not git:
            return
        entries = ["version = 3", ""]
        for crate in git:
            entries += [
                "[[package]]",
                f'name = "{crate.name}"',
                f'version = "{crate.version}"',
                f'source = "{crate.source}#{crate.commit}"',
                "",
            ]
        _write(self.root / "Cargo.lock", "\n".join(entries))


def _write(path: Path, content: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)


def registries_config(names: Sequence[tuple[str, str]]) -> str:
    """``[registries]`` entries mapping names to index URLs (for ``registry = "name"``)."""
    lines = ["", "[registries]"]
    for name, index in names:
        lines.append(f'{name} = {{ index = "{index}" }}')
    return "\n".join(lines) + "\n"
