"""The dependency list ``cargo auditable`` embeds in a binary, and its JSON parser.

The JSON is auditable-serde's ``VersionInfo``::

    {"packages": [{"name": "adler", "version": "0.2.3", "source": "crates.io",
                   "kind": "build", "dependencies": [1, 2], "root": false}, ...],
     "format": 1}

``kind`` (default ``"runtime"``), ``dependencies`` (default ``[]``), ``root`` (default
``false``) and ``format`` (default ``0``) may be omitted; unknown keys are ignored. Like
auditable-serde, the parser refuses more than one root package and a cyclic dependency graph,
and like serde_json it refuses duplicate keys, ``NaN``/``Infinity`` and non-integer indices.

>>> deps = parse_audit_json(
...     b'{"packages": [{"name": "app", "version": "0.1.0", "source": "local",'
...     b' "dependencies": [1], "root": true},'
...     b' {"name": "libc", "version": "0.2.155", "source": "crates.io"}]}',
...     origin="app: .dep-v0",
... )
>>> [(p.name, str(p.version), p.is_crates_io) for p in deps.packages]
[('app', '0.1.0', False), ('libc', '0.2.155', True)]
"""

from __future__ import annotations

import json
import re
from collections import deque
from dataclasses import dataclass
from enum import StrEnum
from typing import NoReturn

from cratewatch.errors import ParseError
from cratewatch.semver import InvalidVersion, Version

__all__ = [
    "NO_AUDIT_DATA_REASON",
    "AuditableDeps",
    "AuditableResult",
    "BinaryFormat",
    "BinaryPackage",
    "DependencyKind",
    "InvalidBinary",
    "NoAuditData",
    "parse_audit_json",
]

NO_AUDIT_DATA_REASON = "no embedded dependency data (build with `cargo auditable build`)"
"""The reason a :class:`NoAuditData` gives for a binary without a ``.dep-v0`` section."""

_U32_MAX = 2**32 - 1
_SHOWN = 60  # characters of a bad string value quoted in a message
_CRATE_NAME = re.compile(r"(?!\d)\w[\w-]*")
_CYCLE_SHOWN = 8  # packages of a dependency cycle named in a message


class InvalidBinary(ParseError):
    """A file is not a readable executable, or its embedded dependency data is malformed."""


class BinaryFormat(StrEnum):
    """The executable format a binary was recognised as."""

    ELF = "elf"
    """Linux, BSD and most other Unix-like systems."""
    PE = "pe"
    """Windows (PE/COFF images: ``.exe``, ``.dll``)."""
    MACHO = "macho"
    """macOS and iOS (thin or fat/universal Mach-O)."""
    WASM = "wasm"
    """WebAssembly modules."""


class DependencyKind(StrEnum):
    """How the root package depends on a package (auditable-serde ``DependencyKind``)."""

    RUNTIME = "runtime"
    """Linked into the binary (also recorded when it is both a build and a runtime dependency)."""
    BUILD = "build"
    """Only used at build time: build scripts, proc-macros and their dependencies."""


@dataclass(frozen=True, slots=True, kw_only=True)
class BinaryPackage:
    """One package of the embedded dependency tree."""

    name: str
    """Crate name, e.g. ``"libc"``."""
    version: Version
    """The exact version that was compiled in."""
    source: str
    """``"crates.io"``, ``"git"``, ``"local"``, ``"registry"`` or another source kind."""
    kind: DependencyKind
    """Whether the package is linked in or only used at build time."""
    dependencies: tuple[int, ...]
    """Indices (into :attr:`AuditableDeps.packages`) of the packages this one depends on."""
    root: bool
    """Whether this is the root package (the crate the binary was built from)."""

    @property
    def is_crates_io(self) -> bool:
        """Whether the package came from crates.io (the only source advisories cover)."""
        return self.source == "crates.io"


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditableDeps:
    """A binary's embedded dependency tree."""

    packages: tuple[BinaryPackage, ...]
    """Every package, in the embedded order (dependency indices point into this tuple)."""
    format: int
    """The data's format revision: 0 (``cargo metadata``), 1 (proc-macros recorded as build
    dependencies), 8 (Cargo's SBOM precursor); unknown values mean the nearest lower one."""
    binary_format: BinaryFormat | None = None
    """The executable format the data was read from (``None`` for bare JSON)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class NoAuditData:
    """A readable binary without embedded dependency data."""

    reason: str
    """Why there is nothing to audit, e.g. :data:`NO_AUDIT_DATA_REASON`."""
    binary_format: BinaryFormat
    """The executable format the file was recognised as."""


AuditableResult = AuditableDeps | NoAuditData
"""What :func:`~cratewatch.binaries.read_auditable` found in a binary."""


# --------------------------------------------------------------------------------------------
# JSON decoding


class _DuplicateKeys(dict[str, object]):
    """A JSON object in which a key occurred more than once (rejected when it is read)."""

    __slots__ = ("duplicate",)

    def __init__(self, pairs: list[tuple[str, object]], duplicate: str) -> None:
        super().__init__(pairs)
        self.duplicate = duplicate


def _object_pairs(pairs: list[tuple[str, object]]) -> dict[str, object]:
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            return _DuplicateKeys(pairs, key)
        seen.add(key)
    return dict(pairs)


def _no_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not valid JSON")


def _describe(value: object) -> str:
    """Name a JSON value for a message: ``3``, ``"text"``, ``null``, ``an object``."""
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        shown = json.dumps(value[:_SHOWN])
        return shown[:-1] + '..."' if len(value) > _SHOWN else shown
    return json.dumps(value)


class _Fields:
    """Typed getters over decoded JSON that fail with ``ORIGIN: FIELD.PATH: problem``."""

    def __init__(self, origin: str) -> None:
        self.origin = origin

    def fail(self, where: str, problem: str) -> NoReturn:
        prefix = f"{self.origin}: {where}" if where else self.origin
        raise InvalidBinary(f"{prefix}: {problem}")

    def mapping(self, value: object, where: str) -> dict[str, object]:
        if not isinstance(value, dict):
            self.fail(where, f"expected an object, got {_describe(value)}")
        if isinstance(value, _DuplicateKeys):
            self.fail(where, f"duplicate key {json.dumps(value.duplicate)}")
        return value

    def required(self, obj: dict[str, object], key: str, where: str) -> object:
        if key not in obj:
            self.fail(_join(where, key), "required field is missing")
        return obj[key]

    def string(self, value: object, where: str) -> str:
        if not isinstance(value, str):
            self.fail(where, f"expected a string, got {_describe(value)}")
        return value

    def integer(self, value: object, where: str, maximum: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(where, f"expected an integer, got {_describe(value)}")
        if not 0 <= value <= maximum:
            self.fail(where, f"expected an integer from 0 to {maximum}, got {value}")
        return value

    def boolean(self, value: object, where: str) -> bool:
        if not isinstance(value, bool):
            self.fail(where, f"expected true or false, got {_describe(value)}")
        return value

    def array(self, value: object, where: str) -> list[object]:
        if not isinstance(value, list):
            self.fail(where, f"expected an array, got {_describe(value)}")
        return value


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _is_crate_name(name: str) -> bool:
    """Cargo's package-name alphabet: letters, digits, ``_`` and ``-``, not starting with a
    digit or ``-``. Refusing anything else keeps terminal escapes out of reports."""
    return _CRATE_NAME.fullmatch(name) is not None


def _decode(data: bytes, fields: _Fields) -> object:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InvalidBinary(f"{fields.origin}: the data is not UTF-8 text: {e}") from e
    try:
        return json.loads(text, object_pairs_hook=_object_pairs, parse_constant=_no_constant)
    except ValueError as e:  # json.JSONDecodeError and the NaN/Infinity refusal
        raise InvalidBinary(f"{fields.origin}: invalid JSON: {e}") from e
    except RecursionError as e:  # the C decoder recurses once per nesting level
        raise InvalidBinary(f"{fields.origin}: invalid JSON: nested too deeply") from e


def parse_audit_json(data: bytes, *, origin: str) -> AuditableDeps:
    """Parse decompressed ``.dep-v0`` content (UTF-8 JSON) into :class:`AuditableDeps`.

    ``origin`` starts every error message (``"app: .dep-v0"``), which then names the field:
    ``app: .dep-v0: packages[3].version: expected a string, got 3``.
    """
    fields = _Fields(origin)
    top = fields.mapping(_decode(data, fields), "")
    raw_packages = fields.array(fields.required(top, "packages", ""), "packages")
    version_format = fields.integer(top.get("format", 0), "format", _U32_MAX)
    count = len(raw_packages)
    packages = tuple(
        _package(fields, raw, f"packages[{i}]", count) for i, raw in enumerate(raw_packages)
    )
    _check_single_root(fields, packages)
    _check_acyclic(fields, packages)
    return AuditableDeps(packages=packages, format=version_format)


def _package(fields: _Fields, raw: object, where: str, count: int) -> BinaryPackage:
    obj = fields.mapping(raw, where)
    name = fields.string(fields.required(obj, "name", where), f"{where}.name")
    if not _is_crate_name(name):
        fields.fail(f"{where}.name", f"not a valid crate name: {_describe(name)}")
    version_text = fields.string(fields.required(obj, "version", where), f"{where}.version")
    try:
        version = Version.parse(version_text)
    except InvalidVersion as e:
        message = str(e).splitlines()[0]
        raise InvalidBinary(f"{fields.origin}: {where}.version: {message}") from e
    source = fields.string(fields.required(obj, "source", where), f"{where}.source")
    if source == "" or not source.isprintable():
        fields.fail(f"{where}.source", f"not a valid source: {_describe(source)}")
    kind_text = fields.string(obj.get("kind", "runtime"), f"{where}.kind")
    if kind_text not in ("runtime", "build"):
        fields.fail(f"{where}.kind", f'expected "runtime" or "build", got {_describe(kind_text)}')
    raw_deps = fields.array(obj.get("dependencies", []), f"{where}.dependencies")
    dependencies = []
    for j, raw_dep in enumerate(raw_deps):
        dep_where = f"{where}.dependencies[{j}]"
        index = fields.integer(raw_dep, dep_where, _U32_MAX)
        if index >= count:
            fields.fail(dep_where, f"no package has index {index} (there are {count})")
        dependencies.append(index)
    return BinaryPackage(
        name=name,
        version=version,
        source=source,
        kind=DependencyKind(kind_text),
        dependencies=tuple(dependencies),
        root=fields.boolean(obj.get("root", False), f"{where}.root"),
    )


def _check_single_root(fields: _Fields, packages: tuple[BinaryPackage, ...]) -> None:
    first: int | None = None
    for i, package in enumerate(packages):
        if package.root:
            if first is not None:
                fields.fail(
                    f"packages[{i}].root",
                    f"more than one root package (packages[{first}] is one too)",
                )
            first = i


def _check_acyclic(fields: _Fields, packages: tuple[BinaryPackage, ...]) -> None:
    """Kahn's algorithm; on a cycle, name one (iteratively: the input may be a long chain)."""
    dependents = [0] * len(packages)
    for package in packages:
        for dep in package.dependencies:
            dependents[dep] += 1
    queue = deque(i for i, n in enumerate(dependents) if n == 0)
    removed = 0
    while queue:
        i = queue.popleft()
        removed += 1
        for dep in packages[i].dependencies:
            dependents[dep] -= 1
            if dependents[dep] == 0:
                queue.append(dep)
    if removed == len(packages):
        return
    # Every package left has a dependent left, so walking dependents backwards must repeat.
    left = {i for i, n in enumerate(dependents) if n > 0}
    parent = {dep: i for i in left for dep in packages[i].dependencies if dep in left}
    node = min(left)
    walk: dict[int, int] = {}  # package -> position in the walk
    while node not in walk:
        walk[node] = len(walk)
        node = parent[node]
    cycle = list(walk)[walk[node] :]
    cycle.reverse()  # the walk went from dependency to dependent
    first = cycle.index(min(cycle))
    cycle = cycle[first:] + cycle[:first]
    names = [f"{packages[n].name} {packages[n].version}" for n in cycle]
    if len(names) > _CYCLE_SHOWN:
        names[_CYCLE_SHOWN - 1 :] = [f"... ({len(cycle) - _CYCLE_SHOWN + 1} more)"]
    shown = " -> ".join([*names, names[0]])
    fields.fail(f"packages[{cycle[0]}].dependencies", f"dependency cycle: {shown}")
