"""Cargo.lock (formats v1 to v4) as frozen values, with the dependency graph precomputed.

The format is detected as cargo does (``EncodableResolve::into_resolve``): ``version = 3`` or
``version = 4`` say so; without a ``version`` key the file is v1 unless something only v2
writes is present (an inline ``checksum``, or a dependency entry that leaves out its version
or the source of a non-path package), or it is a one-package file ending in a single newline.

Every problem raises one :class:`InvalidLockfile` naming the file and the dotted path of the
bad field, e.g. ``Cargo.lock: package[3].dependencies[0]: no package named 'foo' in the
lockfile``.

>>> lock = parse_lockfile('''
... version = 4
... [[package]]
... name = "app"
... version = "0.1.0"
... dependencies = ["itoa"]
...
... [[package]]
... name = "itoa"
... version = "1.0.11"
... source = "registry+https://github.com/rust-lang/crates.io-index"
... checksum = "49f1f14873335454500d59611f1cf4a4b0f786f9ac11f4312a78e4cf2566695b"
... ''')
>>> [str(p.id) for p in lock.packages]
['app 0.1.0', 'itoa 1.0.11 (registry+https://github.com/rust-lang/crates.io-index)']
>>> itoa = lock.find("itoa")[0]
>>> itoa.line, itoa.source.is_crates_io
(8, True)
>>> [[p.name for p in path] for path in lock.paths_to_roots(itoa)]
[['itoa', 'app']]
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cratewatch._textfile import read_text_file
from cratewatch._toml import Fields, describe, dotted, header_lines, load_toml
from cratewatch.errors import ParseError
from cratewatch.semver import InvalidVersion, Version
from cratewatch.source_id import (
    GitBranch,
    GitDefaultBranch,
    GitReference,
    GitRev,
    GitTag,
    InvalidSourceId,
    SourceId,
    SourceKind,
)

__all__ = [
    "MAX_LOCKFILE_BYTES",
    "GitBranch",
    "GitDefaultBranch",
    "GitReference",
    "GitRev",
    "GitTag",
    "InvalidLockfile",
    "Lockfile",
    "Package",
    "PackageId",
    "SourceId",
    "SourceKind",
    "load_lockfile",
    "parse_lockfile",
]

MAX_LOCKFILE_BYTES = 64 * 1024 * 1024
"""The largest Cargo.lock :func:`load_lockfile` reads (the largest real ones are ~1 MB)."""

_PATH_SEARCH_BUDGET = 200_000
"""Partial paths :meth:`Lockfile.paths_to_roots` may queue before it returns what it has."""


class InvalidLockfile(ParseError):
    """A Cargo.lock is malformed: bad TOML, a bad field, or a dependency that resolves badly."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PackageId:
    """Identifies one package of a lockfile; ``str()`` is cargo's ``name version (source)``."""

    name: str
    """The crate name."""
    version: Version
    """The locked version."""
    source: SourceId | None
    """Where it comes from; ``None`` for workspace members and path dependencies."""

    def __str__(self) -> str:
        text = f"{self.name} {self.version}"
        return text if self.source is None else f"{text} ({self.source})"


@dataclass(frozen=True, slots=True, kw_only=True)
class Package:
    """One ``[[package]]`` entry (or one ``[[patch.unused]]`` entry)."""

    name: str
    """The crate name."""
    version: Version
    """The locked version."""
    source: SourceId | None
    """Where it comes from; ``None`` for workspace members and path dependencies."""
    checksum: str | None
    """The sha256 of the ``.crate`` file (inline in v2+, from ``[metadata]`` in v1); ``None``
    for git and path packages, or where the file records none."""
    dependencies: tuple[PackageId, ...]
    """The packages it depends on, each resolved to the exact entry of the lockfile."""
    line: int
    """The 1-based line of the entry's ``[[package]]`` header in the file."""
    replace: PackageId | None = None
    """The package that replaces this one through ``[replace]`` (deprecated; rare)."""

    @property
    def id(self) -> PackageId:
        """The package id (name, version, source)."""
        return PackageId(name=self.name, version=self.version, source=self.source)

    @property
    def is_local(self) -> bool:
        """Whether the package has no source: a workspace member or a path dependency."""
        return self.source is None


@dataclass(frozen=True, slots=True, kw_only=True)
class Lockfile:
    """A parsed Cargo.lock: its packages and the dependency graph between them."""

    version: int
    """The format: 1 to 4, detected as cargo does."""
    packages: tuple[Package, ...]
    """Every ``[[package]]`` in file order."""
    patch_unused: tuple[Package, ...]
    """The ``[[patch.unused]]`` entries: patches that matched no dependency."""
    path: str
    """The file name errors and reports use."""
    _index: dict[PackageId, int] = field(init=False, repr=False, compare=False)
    _deps: tuple[tuple[int, ...], ...] = field(init=False, repr=False, compare=False)
    _rdeps: tuple[tuple[int, ...], ...] = field(init=False, repr=False, compare=False)
    _by_name: dict[str, tuple[int, ...]] = field(init=False, repr=False, compare=False)
    _distances: dict[frozenset[int], list[int]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        index = {pkg.id: i for i, pkg in enumerate(self.packages)}
        if len(index) != len(self.packages):
            raise ValueError(f"{self.path}: a package id appears twice")
        try:
            deps = tuple(tuple(index[d] for d in _edges(pkg)) for pkg in self.packages)
        except KeyError as e:
            raise ValueError(
                f"{self.path}: an edge names {e.args[0]}, which is not a package"
            ) from e
        rdeps: list[list[int]] = [[] for _ in self.packages]
        for i, targets in enumerate(deps):
            for j in targets:
                rdeps[j].append(i)
        by_name: dict[str, list[int]] = {}
        for i, pkg in enumerate(self.packages):
            by_name.setdefault(pkg.name, []).append(i)
        object.__setattr__(self, "_index", index)
        object.__setattr__(self, "_deps", deps)
        object.__setattr__(self, "_rdeps", tuple(tuple(r) for r in rdeps))
        object.__setattr__(self, "_by_name", {k: tuple(v) for k, v in by_name.items()})
        object.__setattr__(self, "_distances", {})

    # --- lookups ------------------------------------------------------------------------------

    def get(self, package_id: PackageId) -> Package:
        """The package with this id; ``KeyError`` when the lockfile has none."""
        return self.packages[self._position(package_id)]

    def find(self, name: str, version: Version | str | None = None) -> tuple[Package, ...]:
        """The packages called ``name`` (of ``version`` when given), in file order."""
        wanted = Version.parse(version) if isinstance(version, str) else version
        return tuple(
            self.packages[i]
            for i in self._by_name.get(name, ())
            if wanted is None or self.packages[i].version == wanted
        )

    # --- graph --------------------------------------------------------------------------------

    def dependencies(self, package: Package | PackageId) -> tuple[Package, ...]:
        """The packages ``package`` depends on (every kind: the lockfile does not tell them)."""
        return tuple(self.packages[j] for j in self._deps[self._position(package)])

    def dependents(self, package: Package | PackageId) -> tuple[Package, ...]:
        """The packages that depend on ``package``."""
        return tuple(self.packages[j] for j in self._rdeps[self._position(package)])

    @property
    def roots(self) -> tuple[Package, ...]:
        """The workspace members: packages without a source (path dependencies included, as
        the lockfile cannot tell them apart). A lockfile with none (e.g. from ``cargo
        install``) falls back to the packages nothing depends on."""
        return tuple(self.packages[i] for i in self._default_roots())

    def paths_to_roots(
        self,
        package: Package | PackageId,
        *,
        limit: int = 10,
        roots: Collection[str] | None = None,
    ) -> tuple[tuple[Package, ...], ...]:
        """Up to ``limit`` dependency paths from ``package`` up to a root, shortest first.

        Each path starts with ``package`` and ends at the first root met (a root is
        ``package`` alone). ``roots`` names the members to stop at instead of :attr:`roots`.
        Paths never repeat a package; the search is bounded, so a huge graph returns the
        shortest paths it found rather than exploding.
        """
        start = self._position(package)
        if limit <= 0:
            return ()
        root_set = self._named_roots(roots) if roots is not None else self._default_roots()
        distance = self._distance_to(root_set)
        if distance[start] < 0:
            return ()
        found: list[tuple[Package, ...]] = []
        queue: list[tuple[int, tuple[int, ...]]] = [(distance[start], (start,))]
        pushed = 1
        while queue and len(found) < limit:
            _, path = heapq.heappop(queue)
            last = path[-1]
            if last in root_set:
                found.append(tuple(self.packages[i] for i in path))
                continue
            for parent in self._rdeps[last]:
                if distance[parent] < 0 or parent in path:
                    continue
                if pushed >= _PATH_SEARCH_BUDGET:
                    break
                heapq.heappush(queue, (len(path) + distance[parent], (*path, parent)))
                pushed += 1
        return tuple(found)

    def _position(self, package: Package | PackageId) -> int:
        package_id = package.id if isinstance(package, Package) else package
        try:
            return self._index[package_id]
        except KeyError:
            raise KeyError(f"{self.path}: no package {package_id}") from None

    def _default_roots(self) -> frozenset[int]:
        local = frozenset(i for i, pkg in enumerate(self.packages) if pkg.source is None)
        if local:
            return local
        return frozenset(i for i, parents in enumerate(self._rdeps) if not parents)

    def _named_roots(self, names: Collection[str]) -> frozenset[int]:
        positions: set[int] = set()
        for name in names:
            if name not in self._by_name:
                raise KeyError(f"{self.path}: no package named {name!r}")
            positions.update(self._by_name[name])
        return frozenset(positions)

    def _distance_to(self, roots: frozenset[int]) -> list[int]:
        """Edges from each package up to the nearest root (-1: no root above it)."""
        cached = self._distances.get(roots)
        if cached is not None:
            return cached
        distance = [-1] * len(self.packages)
        frontier = sorted(roots)
        for i in frontier:
            distance[i] = 0
        step = 0
        while frontier:
            step += 1
            following = []
            for i in frontier:
                for j in self._deps[i]:
                    if distance[j] < 0:
                        distance[j] = step
                        following.append(j)
            frontier = following
        self._distances[roots] = distance
        return distance


def _edges(package: Package) -> tuple[PackageId, ...]:
    return package.dependencies if package.replace is None else (package.replace,)


# --- parsing ----------------------------------------------------------------------------------


def load_lockfile(path: Path) -> Lockfile:
    """Read and parse the Cargo.lock at ``path`` (at most :data:`MAX_LOCKFILE_BYTES`).

    An unreadable file raises :class:`~cratewatch.errors.SourceError`; a file that is too
    large, not UTF-8 or malformed raises :class:`InvalidLockfile`.
    """
    text = read_text_file(
        path,
        limit=MAX_LOCKFILE_BYTES,
        what="lockfile",
        error=InvalidLockfile,
        not_a="Cargo.lock",
    )
    return parse_lockfile(text, path=str(path))


def parse_lockfile(text: str, *, path: str = "Cargo.lock") -> Lockfile:
    """Parse the text of a Cargo.lock; ``path`` only names the file in errors.

    >>> parse_lockfile('version = 4\\n[[package]]\\nname = "a"\\nversion = "x.y"\\n')
    Traceback (most recent call last):
        ...
    cratewatch.lockfile.InvalidLockfile: Cargo.lock: package[0].version: 'x.y' is not a \
valid version: unexpected character 'x' while parsing major version number
    """
    return _Parser(text, path).parse()


@dataclass(frozen=True, slots=True)
class _Encoded:
    """A dependency edge as written: ``name``, ``name version`` or ``name version (source)``."""

    name: str
    version: Version | None
    source: SourceId | None

    def __str__(self) -> str:
        text = self.name if self.version is None else f"{self.name} {self.version}"
        return text if self.source is None else f"{text} ({self.source})"


@dataclass(slots=True)
class _Raw:
    """A ``[[package]]`` entry with its edges not resolved yet."""

    where: str
    name: str
    version: Version
    source: SourceId | None
    checksum: str | None
    dependencies: list[tuple[str, _Encoded]]
    replace: tuple[str, _Encoded] | None
    line: int


class _Parser:
    def __init__(self, text: str, path: str) -> None:
        self.text = text
        self.path = path
        self.fields = Fields(path, InvalidLockfile)
        self.format = 1
        self.raws: list[_Raw] = []
        self.ids: list[PackageId] = []
        self.by_name: dict[str, dict[Version, list[int]]] = {}

    def parse(self) -> Lockfile:
        doc = load_toml(self.text, self.path, InvalidLockfile)
        declared = doc.get("version")
        if declared is not None:
            if isinstance(declared, bool) or not isinstance(declared, int):
                self.fields.expect(declared, "an integer", "version")
            if declared not in (3, 4):
                self.fields.fail(
                    "version",
                    f"lock file version {declared} is not supported (cargo writes 3 or 4, "
                    "and no version key for the v1 and v2 formats)",
                )
            self.format = declared
        lines = header_lines(self.text)
        entries: list[tuple[str, Any, int]] = []
        if "root" in doc:
            entries.append(("root", doc["root"], _first(lines.get("root"), 1)))
        package_lines = _lines_for(lines, "package", doc, self.text)
        for i, entry in enumerate(self.fields.array(doc, "package", "")):
            entries.append((dotted("package", i), entry, package_lines[i]))
        for where, entry, line in entries:
            self._add(self._raw(where, entry, line))

        packages = [self._resolve(raw) for raw in self.raws]
        packages = self._apply_metadata_checksums(doc, packages)
        if (
            self.format == 1
            and len(packages) == 1
            and self.text.endswith("\n")
            and not self.text.endswith("\n\n")
        ):
            self.format = 2  # cargo: a one-package v2 file looks like v1 but for its ending
        detected = self.format
        unused = self._patch_unused(doc, lines)
        return Lockfile(
            version=detected, packages=tuple(packages), patch_unused=unused, path=self.path
        )

    # --- one entry ----------------------------------------------------------------------------

    def _raw(self, where: str, entry: object, line: int) -> _Raw:
        f = self.fields
        table = f.as_table(entry, where)
        name = f.string(table, "name", where)
        version = self._version(f.string(table, "version", where), dotted(where, "version"))
        source_text = f.opt_string(table, "source", where)
        checksum = f.opt_string(table, "checksum", where)
        if checksum is not None:
            self.format = max(self.format, 2)
        deps = []
        for i, item in enumerate(f.array(table, "dependencies", where)):
            item_where = f"{where}.dependencies[{i}]"
            deps.append((item_where, f.as_string(item, item_where)))
        replace_text = f.opt_string(table, "replace", where)
        return _Raw(
            where=where,
            name=name,
            version=version,
            source=None if source_text is None else self._source(source_text, f"{where}.source"),
            checksum=checksum,
            dependencies=[(w, self._encoded(text, w)) for w, text in deps],
            replace=None
            if replace_text is None
            else (f"{where}.replace", self._encoded(replace_text, f"{where}.replace")),
            line=line,
        )

    def _add(self, raw: _Raw) -> None:
        key_source = None if raw.source is None else raw.source.without_precise()
        for j in self.by_name.get(raw.name, {}).get(raw.version, []):
            other = self.raws[j].source
            if (None if other is None else other.without_precise()) == key_source:
                self.fields.fail(
                    raw.where,
                    f"package '{raw.name} {raw.version}' is specified twice in the lockfile "
                    f"(also at {self.raws[j].where})",
                )
        self.by_name.setdefault(raw.name, {}).setdefault(raw.version, []).append(len(self.raws))
        self.raws.append(raw)
        self.ids.append(PackageId(name=raw.name, version=raw.version, source=raw.source))

    def _resolve(self, raw: _Raw) -> Package:
        deps: dict[PackageId, None] = {}
        for where, encoded in raw.dependencies:
            deps.setdefault(self.ids[self._lookup(encoded, where)])
        replace = None
        if raw.replace is not None:
            replace = self.ids[self._lookup(raw.replace[1], raw.replace[0])]
        return Package(
            name=raw.name,
            version=raw.version,
            source=raw.source,
            checksum=raw.checksum,
            dependencies=tuple(deps),
            line=raw.line,
            replace=replace,
        )

    def _lookup(self, encoded: _Encoded, where: str) -> int:
        """The package an edge names, found as cargo's ``lookup_id`` does (errors where it
        gives up)."""
        by_version = self.by_name.get(encoded.name)
        if by_version is None:
            self.fields.fail(where, f"no package named '{encoded.name}' in the lockfile")
        if encoded.version is None:
            self.format = max(self.format, 2)
            if len(by_version) != 1:
                versions = ", ".join(str(v) for v in sorted(by_version))
                self.fields.fail(
                    where,
                    f"'{encoded.name}' is ambiguous: the lockfile has versions {versions}",
                )
            candidates = next(iter(by_version.values()))
        else:
            found = by_version.get(encoded.version)
            if found is None:
                versions = ", ".join(str(v) for v in sorted(by_version))
                self.fields.fail(
                    where, f"no package '{encoded}' in the lockfile (it has versions {versions})"
                )
            candidates = found
        if encoded.source is not None:
            for i in candidates:
                source = self.raws[i].source
                if source is not None and _same_edge_source(source, encoded.source):
                    return i
            self.fields.fail(where, f"no package '{encoded}' in the lockfile")
        local = [i for i in candidates if self.raws[i].source is None]
        if len(local) == 1:
            return local[0]
        if len(candidates) == 1:
            self.format = max(self.format, 2)
            return candidates[0]
        sources = ", ".join(str(self.raws[i].source or "path") for i in candidates)
        raise self.fields.problem(
            where, f"'{encoded}' is ambiguous: the lockfile has it from {sources}"
        )

    # --- pieces -------------------------------------------------------------------------------

    def _version(self, text: str, where: str) -> Version:
        try:
            return Version.parse(text)
        except InvalidVersion as e:
            self.fields.fail(where, f"{describe(text)} is not a valid version: {e.reason}")

    def _source(self, text: str, where: str) -> SourceId:
        try:
            return SourceId.parse(text)
        except InvalidSourceId as e:
            self.fields.fail(where, str(e))

    def _encoded(self, text: str, where: str) -> _Encoded:
        name, _, rest = text.partition(" ")
        version_text, _, source_text = rest.partition(" ")
        if not name:
            self.fields.fail(where, f"{describe(text)} is not a package id")
        source = None
        if source_text:
            if not (source_text.startswith("(") and source_text.endswith(")")):
                self.fields.fail(
                    where, f"{describe(text)} is not a package id: the source must be in (...)"
                )
            source = self._source(source_text[1:-1], where)
        version = self._version(version_text, where) if version_text else None
        return _Encoded(name, version, source)

    def _apply_metadata_checksums(
        self, doc: Mapping[str, Any], packages: list[Package]
    ) -> list[Package]:
        metadata = self.fields.table(doc, "metadata", "")
        if not metadata:
            return packages
        found: dict[int, str | None] = {}
        seen = False
        for key, value in metadata.items():
            if not key.startswith("checksum "):
                continue
            seen = True
            where = dotted("metadata", key)
            checksum = self.fields.as_string(value, where)
            encoded = self._encoded(key.removeprefix("checksum "), where)
            if encoded.name not in self.by_name:
                continue  # cargo ignores checksums of packages that are gone
            try:
                position = self._lookup(encoded, where)
            except InvalidLockfile:
                continue
            found[position] = None if checksum == "<none>" else checksum
        if not seen:
            return packages
        if self.format >= 2:
            # cargo: `[metadata]` checksums in a v2+ file mean a bad merge; it drops them all
            return [_with_checksum(pkg, None) for pkg in packages]
        return [
            _with_checksum(pkg, found[i]) if i in found else pkg for i, pkg in enumerate(packages)
        ]

    def _patch_unused(
        self, doc: Mapping[str, Any], lines: Mapping[str, list[int]]
    ) -> tuple[Package, ...]:
        patch = self.fields.table(doc, "patch", "")
        if patch is None:
            return ()
        entries = self.fields.array(patch, "unused", "patch")
        header_lines = lines.get("patch.unused", [])
        unused = []
        for i, entry in enumerate(entries):
            where = dotted("patch", "unused", i)
            line = header_lines[i] if len(header_lines) == len(entries) else _first(header_lines, 1)
            raw = self._raw(where, entry, line)
            unused.append(
                Package(
                    name=raw.name,
                    version=raw.version,
                    source=raw.source,
                    checksum=raw.checksum,
                    dependencies=(),
                    line=raw.line,
                )
            )
        return tuple(unused)


def _same_edge_source(package: SourceId, edge: SourceId) -> bool:
    """Whether an edge's source names the package's: v1/v2 edges spell ``?branch=master`` as
    the default branch."""
    if package.same_source(edge):
        return True
    return (
        edge.is_git
        and isinstance(edge.reference, GitDefaultBranch)
        and package.reference == GitBranch(name="master")
        and package.url == edge.url
    )


def _with_checksum(package: Package, checksum: str | None) -> Package:
    return Package(
        name=package.name,
        version=package.version,
        source=package.source,
        checksum=checksum,
        dependencies=package.dependencies,
        line=package.line,
        replace=package.replace,
    )


# --- line numbers -----------------------------------------------------------------------------


def _lines_for(
    lines: Mapping[str, list[int]], key: str, doc: Mapping[str, Any], text: str
) -> list[int]:
    """One line per element of the array ``key``: its ``[[key]]`` header, or, for an inline
    array (which cargo never writes), the line of the ``key =`` assignment."""
    value = doc.get(key)
    count = len(value) if isinstance(value, list) else 0
    headers = lines.get(key, [])
    if len(headers) == count:
        return headers
    assignment = re.search(rf"^[ \t]*{re.escape(key)}[ \t]*=", text, re.MULTILINE)
    line = text.count("\n", 0, assignment.start()) + 1 if assignment else 1
    return [line] * count


def _first(values: Iterable[int] | None, default: int) -> int:
    return next(iter(values or ()), default)
