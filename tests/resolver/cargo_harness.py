"""Real Cargo as the oracle: a local git registry, a wrapper package, ``cargo generate-lockfile``.

:class:`LocalRegistry` writes index lines into a git repository (``config.json`` + one file per
crate, Cargo's layout), points a private ``CARGO_HOME`` at it through source replacement, and
asks Cargo for the lock file of a package depending on ``NAME = "=VERSION"``. No ``.crate``
file is needed: generating a lock file only reads the index.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cratewatch.registry.model import IndexEntry
from cratewatch.registry.parse import parse_index_file
from cratewatch.registry.paths import index_path
from cratewatch.resolver import Resolution, Resolved, RootRequest

__all__ = [
    "WRAPPER",
    "CargoFailed",
    "LocalRegistry",
    "dep",
    "line",
    "package_set",
]

WRAPPER = "zz-cratewatch-wrapper"
"""Name of the package that depends on the root (no test crate may use it)."""

CARGO = shutil.which("cargo")


def line(
    name: str,
    vers: str,
    *deps: dict[str, object],
    features: Mapping[str, Sequence[str]] | None = None,
    features2: Mapping[str, Sequence[str]] | None = None,
    yanked: bool = False,
    links: str | None = None,
    v: int | None = None,
) -> dict[str, object]:
    """One index line as crates.io writes it (``v: 2`` when ``features2`` is present)."""
    obj: dict[str, object] = {
        "name": name,
        "vers": vers,
        "deps": list(deps),
        "cksum": "0" * 64,
        "features": {k: list(v) for k, v in (features or {}).items()},
        "yanked": yanked,
    }
    if links is not None:
        obj["links"] = links
    if features2 is not None:
        obj["features2"] = {k: list(vals) for k, vals in features2.items()}
        obj["v"] = 2
    if v is not None:
        obj["v"] = v
    return obj


def dep(
    name: str,
    req: str,
    *,
    kind: str = "normal",
    optional: bool = False,
    default_features: bool = True,
    features: Sequence[str] = (),
    target: str | None = None,
    package: str | None = None,
) -> dict[str, object]:
    """One entry of an index line's ``deps`` (``name`` is the dependent's name for it)."""
    obj: dict[str, object] = {
        "name": name,
        "req": req,
        "features": list(features),
        "optional": optional,
        "default_features": default_features,
        "target": target,
        "kind": kind,
    }
    if package is not None:
        obj["package"] = package
    return obj


@dataclass(frozen=True, slots=True)
class CargoFailed:
    """Cargo refused to write a lock file."""

    stderr: str


def package_set(resolution: Resolution) -> frozenset[str] | None:
    """``name@version`` of every package of a resolution, or None when it failed."""
    if isinstance(resolution, Resolved):
        return frozenset(str(p) for p in resolution.packages)
    return None


def _toml_str(text: str) -> str:
    return json.dumps(text)


def _toml_list(items: Iterable[str]) -> str:
    return "[" + ", ".join(_toml_str(i) for i in items) + "]"


@dataclass
class LocalRegistry:
    """A git index repository plus a private ``CARGO_HOME`` that replaces crates.io with it."""

    index: Path
    home: Path
    work: Path
    local_registry: bool = False
    last_edges: dict[str, frozenset[str]] = field(default_factory=dict, init=False)
    """Edges of the last lock file written: ``name@version`` -> its dependencies (the
    wrapper is ``WRAPPER``)."""
    _fetched: bool = field(default=False, init=False)
    _count: int = field(default=0, init=False)

    @classmethod
    def create(cls, root: Path, lines: Iterable[Mapping[str, object]]) -> LocalRegistry:
        """Write ``lines`` into a new git index under ``root`` and commit them."""
        index = root / "index"
        index.mkdir(parents=True)
        crates = root / "crates"
        crates.mkdir()
        files: dict[str, list[str]] = {}
        for obj in lines:
            data = _crate_file(obj)
            (crates / f"{obj['name']}-{obj['vers']}.crate").write_bytes(data)
            published = {**obj, "cksum": hashlib.sha256(data).hexdigest()}
            files.setdefault(index_path(str(obj["name"])), []).append(json.dumps(published))
        for rel, content in files.items():
            path = index / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("\n".join(content) + "\n")
        dl = crates.as_uri() + "/{crate}-{version}.crate"
        (index / "config.json").write_text(json.dumps({"dl": dl}))
        _git(index, "init", "-q", "-b", "main")
        _git(index, "add", "-A")
        _git(index, "commit", "-q", "-m", "index")
        return cls.for_index(root, index)

    @classmethod
    def for_index(cls, root: Path, index: Path, *, local_registry: bool = False) -> LocalRegistry:
        """Use an existing index checkout (git, or a plain directory when ``local_registry``)."""
        home = root / "cargo-home"
        home.mkdir(parents=True, exist_ok=True)
        if local_registry:
            registry_root = root / "local-registry"
            registry_root.mkdir(exist_ok=True)
            link = registry_root / "index"
            if not link.exists():
                link.symlink_to(index)
            source = f"local-registry = {_toml_str(str(registry_root))}"
        else:
            source = f"registry = {_toml_str(index.as_uri())}"
        # the git CLI fetches a local file:// index in seconds (libgit2 takes ~40 s on 2020's)
        (home / "config.toml").write_text(
            f'[source.crates-io]\nreplace-with = "local"\n\n[source.local]\n{source}\n\n'
            "[net]\ngit-fetch-with-cli = true\n"
        )
        work = root / "work"
        work.mkdir(exist_ok=True)
        return cls(index=index, home=home, work=work, local_registry=local_registry)

    def lookup(self, name: str) -> tuple[IndexEntry, ...]:
        """Index lines of a crate, read from the repository's files."""
        path = self.index / index_path(name)
        if not path.is_file():
            return ()
        return parse_index_file(path.read_bytes(), source=index_path(name))

    def lock(
        self,
        request: RootRequest,
        *,
        dev_deps: Sequence[Mapping[str, object]] = (),
        all_features: Sequence[str] = (),
        target: str | None = None,
    ) -> frozenset[str] | CargoFailed:
        """The package set of Cargo's lock file for a wrapper depending on the root.

        ``dev_deps`` (index ``deps`` entries) become the wrapper's dev-dependencies, which is
        how the resolver models ``include_dev``; ``all_features`` lists the root's features
        for ``all_features``. With ``target``, the answer is ``cargo tree --target`` instead.
        """
        self._count += 1
        project = self.work / f"p{self._count}"
        (project / "src").mkdir(parents=True)
        (project / "src" / "lib.rs").write_text("")
        (project / "Cargo.toml").write_text(_manifest(request, dev_deps, all_features))
        env = {**os.environ, "CARGO_HOME": str(self.home), "CARGO_TERM_COLOR": "never"}
        env.pop("CARGO_TARGET_DIR", None)
        args = [CARGO or "cargo", "generate-lockfile"]
        if self._fetched or self.local_registry:
            args.append("--offline")
        done = subprocess.run(
            args, cwd=project, env=env, capture_output=True, text=True, timeout=600, check=False
        )
        if done.returncode != 0:
            return CargoFailed(done.stderr)
        self._fetched = True
        if target is not None:
            return self._tree(project, env, target, request)
        with (project / "Cargo.lock").open("rb") as f:
            lock = tomllib.load(f)
        self.last_edges = _lock_edges(lock.get("package", []))
        return frozenset(
            f"{p['name']}@{p['version']}" for p in lock.get("package", []) if p["name"] != WRAPPER
        )

    def _tree(
        self, project: Path, env: Mapping[str, str], target: str, request: RootRequest
    ) -> frozenset[str] | CargoFailed:
        edges = "normal,build,dev" if request.include_dev else "normal,build"
        done = subprocess.run(
            [CARGO or "cargo", "tree", "--target", target, "-e", edges,
             "--prefix", "none", "--no-dedupe", "--format", "{p}"],
            cwd=project, env=dict(env), capture_output=True, text=True, timeout=600, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            return CargoFailed(done.stderr)
        found = set()
        for text in done.stdout.splitlines():
            parts = text.split()
            if len(parts) >= 2 and parts[1].startswith("v") and parts[0] != WRAPPER:
                found.add(f"{parts[0]}@{parts[1][1:]}")
        return frozenset(found)


def _lock_edges(packages: list[dict[str, object]]) -> dict[str, frozenset[str]]:
    """``dependencies`` of each lock file package, each entry resolved to ``name@version``."""
    versions: dict[str, list[str]] = {}
    for p in packages:
        versions.setdefault(str(p["name"]), []).append(str(p["version"]))
    edges = {}
    for p in packages:
        found = set()
        for entry in p.get("dependencies", []):  # type: ignore[attr-defined]
            name, _, version = str(entry).partition(" ")
            found.add(f"{name}@{version or versions[name][0]}")
        key = WRAPPER if p["name"] == WRAPPER else f"{p['name']}@{p['version']}"
        edges[key] = frozenset(found)
    return edges


def _dep_line(obj: Mapping[str, object]) -> tuple[str, str]:
    name = str(obj["name"])
    fields = [f"version = {_toml_str(str(obj['req']))}"]
    package = obj.get("package")
    if package is not None and package != name:
        fields.append(f"package = {_toml_str(str(package))}")
    features = [str(f) for f in obj.get("features", []) or [] if f]  # type: ignore[attr-defined]
    if features:
        fields.append(f"features = {_toml_list(features)}")
    if obj.get("default_features") is False:
        fields.append("default-features = false")
    target = obj.get("target")
    return str(target or ""), f"{_toml_str(name)} = {{ {', '.join(fields)} }}"


def _manifest(
    request: RootRequest, dev_deps: Sequence[Mapping[str, object]], all_features: Sequence[str]
) -> str:
    features = list(all_features) if request.all_features else list(request.features)
    root = [f"version = {_toml_str('=' + request.version)}"]
    if features:
        root.append(f"features = {_toml_list(features)}")
    if not request.default_features:
        root.append("default-features = false")
    text = (
        f'[package]\nname = "{WRAPPER}"\nversion = "0.0.0"\nedition = "2021"\n\n'
        f"[dependencies]\n{_toml_str(request.name)} = {{ {', '.join(root)} }}\n"
    )
    tables: dict[str, list[str]] = {}
    for obj in dev_deps:
        target, entry = _dep_line(obj)
        tables.setdefault(target, []).append(entry)
    for target in sorted(tables):
        header = (
            "[dev-dependencies]"
            if not target
            else (f"[target.{_toml_str(target)}.dev-dependencies]")
        )
        text += f"\n{header}\n" + "\n".join(tables[target]) + "\n"
    return text


def _git(cwd: Path, *args: str) -> None:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
    }
    subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True)


def _crate_file(obj: Mapping[str, object]) -> bytes:
    """A ``.crate`` whose manifest matches the index line (``cargo tree`` reads manifests)."""
    name, vers = str(obj["name"]), str(obj["vers"])
    text = f'[package]\nname = {_toml_str(name)}\nversion = {_toml_str(vers)}\nedition = "2015"\n'
    files = {"src/lib.rs": b""}
    if obj.get("links"):
        text += f'links = {_toml_str(str(obj["links"]))}\nbuild = "build.rs"\n'
        files["build.rs"] = b"fn main() {}\n"
    tables: dict[str, list[str]] = {}
    kinds = {"normal": "dependencies", "build": "build-dependencies", "dev": "dev-dependencies"}
    for d in obj["deps"]:  # type: ignore[attr-defined]
        target, entry = _dep_line(d)
        if d.get("optional"):
            entry = entry[:-2] + ", optional = true }"
        table = kinds[str(d.get("kind") or "normal")]
        header = f"[{table}]" if not target else f"[target.{_toml_str(target)}.{table}]"
        tables.setdefault(header, []).append(entry)
    features: dict[str, list[str]] = {
        **obj.get("features", {}),  # type: ignore[dict-item]
        **obj.get("features2", {}),  # type: ignore[dict-item]
    }
    for header, entries in tables.items():
        text += f"\n{header}\n" + "\n".join(entries) + "\n"
    if features:
        text += "\n[features]\n" + "".join(
            f"{_toml_str(k)} = {_toml_list(v)}\n" for k, v in features.items()
        )
    files["Cargo.toml"] = text.encode()
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        for rel, content in sorted(files.items()):
            info = tarfile.TarInfo(f"{name}-{vers}/{rel}")
            info.size = len(content)
            info.mtime = 0
            tar.addfile(info, io.BytesIO(content))
    return gzip.compress(raw.getvalue(), mtime=0)
