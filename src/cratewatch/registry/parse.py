"""Parsing index files (one JSON object per line) into :class:`IndexEntry` values.

Index content is untrusted: every field goes through a typed getter, and the first bad field
raises one :class:`InvalidIndexEntry` naming the file, the line and the dotted field path::

    se/rd/serde: line 3: deps[2].req: expected a string, got 3

Required keys follow Cargo (``name``, ``vers``, ``deps``, ``cksum``; per dependency ``name`` and
``req``); the others take Cargo's defaults. Unknown keys are ignored, as Cargo does.

>>> line = '{"name":"a","vers":"0.1.0","deps":[],"cksum":"00","features":{}}'
>>> parse_index_file(line.encode(), source="1/a")[0].vers
'0.1.0'
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import NoReturn

from cratewatch.errors import ParseError
from cratewatch.registry.model import DepKind, IndexConfig, IndexDependency, IndexEntry

__all__ = [
    "MAX_FILE_BYTES",
    "MAX_LINE_BYTES",
    "InvalidIndexEntry",
    "InvalidIndexFile",
    "parse_config",
    "parse_index_file",
    "parse_index_line",
]

MAX_FILE_BYTES = 64 * 1024 * 1024
"""Default bound on one index file (the largest in the 2020 index is 1.3 MB)."""
MAX_LINE_BYTES = 8 * 1024 * 1024
"""Default bound on one line (the longest in the 2020 index is 326 kB)."""

_MAX_CONFIG_BYTES = 1024 * 1024
_KINDS: Mapping[object, DepKind] = {
    None: DepKind.NORMAL,
    "normal": DepKind.NORMAL,
    "build": DepKind.BUILD,
    "dev": DepKind.DEV,
}
_MISSING = object()
_DEP_KEYS = ("name", "req", "features", "optional", "default_features", "target", "kind")
"""The keys of a dependency, in the order crates.io writes them."""


class InvalidIndexFile(ParseError):
    """An index file cannot be read as index lines (too large, not UTF-8)."""


class InvalidIndexEntry(InvalidIndexFile):
    """One line of an index file is malformed; the message names the file, line and field."""


class _Bad(Exception):
    """Raised inside the getters; turned into :class:`InvalidIndexEntry` with the location."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(path, problem)
        self.path = path
        self.problem = problem


def parse_index_file(
    data: bytes,
    *,
    source: str,
    crate: str | None = None,
    max_file_bytes: int = MAX_FILE_BYTES,
    max_line_bytes: int = MAX_LINE_BYTES,
) -> tuple[IndexEntry, ...]:
    """Parse a whole index file; blank lines are skipped.

    *source* names the file in error messages (usually its index path). When *crate* is given,
    every line's ``name`` must equal it ignoring ASCII case, so a file cannot smuggle in versions
    of another crate.
    """
    if len(data) > max_file_bytes:
        raise InvalidIndexFile(
            f"{source}: index file is {len(data)} bytes, more than the limit of {max_file_bytes}"
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        lineno = data.count(b"\n", 0, e.start) + 1
        raise InvalidIndexFile(f"{source}: line {lineno}: not valid UTF-8") from e
    expected = crate.lower() if crate is not None else None
    cache: dict[tuple[object, ...], IndexDependency] = {}
    return tuple(
        _entry_from_text(line, source, lineno, expected, max_line_bytes=max_line_bytes, cache=cache)
        for lineno, line in _numbered_lines(text)
    )


def parse_index_line(
    line: str | bytes,
    *,
    source: str,
    lineno: int,
    crate: str | None = None,
    max_line_bytes: int = MAX_LINE_BYTES,
) -> IndexEntry:
    """Parse one line of an index file (*lineno* counts from 1, for messages)."""
    if isinstance(line, bytes):
        if len(line) > max_line_bytes:
            _too_long(source, lineno, len(line), max_line_bytes)
        try:
            line = line.decode("utf-8")
        except UnicodeDecodeError as e:
            raise InvalidIndexEntry(f"{source}: line {lineno}: not valid UTF-8") from e
    expected = crate.lower() if crate is not None else None
    return _entry_from_text(line, source, lineno, expected, max_line_bytes=max_line_bytes, cache={})


def parse_config(data: bytes, *, source: str) -> IndexConfig:
    """Parse an index's ``config.json`` (*source* names it in messages).

    >>> parse_config(b'{"dl": "https://static.crates.io/crates"}', source="config.json").api is None
    True
    """
    if len(data) > _MAX_CONFIG_BYTES:
        raise InvalidIndexFile(f"{source}: {len(data)} bytes, more than the limit of 1 MiB")
    try:
        obj = json.loads(data.decode("utf-8"))
    except (ValueError, RecursionError) as e:  # not UTF-8, not JSON, absurd numbers
        raise InvalidIndexFile(f"{source}: not a JSON document: {e}") from e
    try:
        if type(obj) is not dict:
            raise _Bad("", f"expected an object, got {_describe(obj)}")
        auth = obj.get("auth-required", False)
        if type(auth) is not bool:
            _wrong("auth-required", auth, "a boolean")
        return IndexConfig(dl=_str(obj, "dl"), api=_opt_str(obj, "api"), auth_required=auth)
    except _Bad as e:
        where = f"{e.path}: " if e.path else ""
        raise InvalidIndexFile(f"{source}: {where}{e.problem}") from None


def _numbered_lines(text: str) -> Iterator[tuple[int, str]]:
    for number, line in enumerate(text.split("\n"), start=1):
        if line and not line.isspace():
            yield number, line


def _too_long(source: str, lineno: int, size: int, limit: int) -> NoReturn:
    raise InvalidIndexEntry(
        f"{source}: line {lineno}: line is {size} bytes, more than the limit of {limit}"
    )


def _entry_from_text(
    line: str,
    source: str,
    lineno: int,
    expected: str | None,
    *,
    max_line_bytes: int,
    cache: dict[tuple[object, ...], IndexDependency],
) -> IndexEntry:
    # A str has at most 4 UTF-8 bytes per character: measure exactly only when it may matter.
    if len(line) * 4 > max_line_bytes and (size := len(line.encode())) > max_line_bytes:
        _too_long(source, lineno, size, max_line_bytes)
    try:
        obj = json.loads(line)
    except RecursionError as e:
        raise InvalidIndexEntry(f"{source}: line {lineno}: invalid JSON: nested too deeply") from e
    except json.JSONDecodeError as e:
        raise InvalidIndexEntry(
            f"{source}: line {lineno}: invalid JSON: {e.msg} (column {e.colno})"
        ) from e
    except ValueError as e:  # e.g. an integer past Python's digit limit
        raise InvalidIndexEntry(f"{source}: line {lineno}: invalid JSON: {e}") from e
    try:
        return _entry(obj, expected, cache)
    except _Bad as e:
        where = f"{e.path}: " if e.path else ""
        raise InvalidIndexEntry(f"{source}: line {lineno}: {where}{e.problem}") from None


def _entry(
    obj: object, expected: str | None, cache: dict[tuple[object, ...], IndexDependency]
) -> IndexEntry:
    if type(obj) is not dict:
        raise _Bad("", f"expected an object, got {_describe(obj)}")
    get = obj.get
    name = get("name")
    vers = get("vers")
    raw_deps = get("deps")
    cksum = get("cksum")
    links = get("links")
    rust_version = get("rust_version")
    yanked = get("yanked", False)
    schema = get("v", 1)
    if not (
        type(name) is str
        and type(vers) is str
        and type(raw_deps) is list
        and type(cksum) is str
        and (links is None or type(links) is str)
        and (rust_version is None or type(rust_version) is str)
        and (yanked is None or type(yanked) is bool)
        and (schema is None or (type(schema) is int and schema >= 1))
    ):
        _entry_problem(obj)
    if expected is not None and (name.lower() != expected or not name.isascii()):
        raise _Bad("name", f"expected {expected!r} (the file's crate), got {_describe(name)}")
    features = _features(get("features"), "features")
    if extra := _features(get("features2"), "features2"):
        features = {**features, **extra}
    return IndexEntry(
        name=name,
        vers=vers,
        deps=_deps(raw_deps, cache) if raw_deps else (),
        features=features,
        yanked=bool(yanked),
        links=links,
        rust_version=rust_version,
        cksum=cksum,
        schema=1 if schema is None else schema,
    )


def _entry_problem(obj: dict[str, object]) -> NoReturn:
    """Raise the error for the first bad top-level field of *obj*, in the index's key order."""
    _str(obj, "name")
    _str(obj, "vers")
    if type(deps := obj.get("deps", _MISSING)) is not list:
        _wrong("deps", deps, "an array")
    _str(obj, "cksum")
    _opt_str(obj, "links")
    _opt_str(obj, "rust_version")
    if (yanked := obj.get("yanked")) is not None and type(yanked) is not bool:
        _wrong("yanked", yanked, "a boolean")
    _wrong("v", obj.get("v"), "a positive integer")


def _deps(
    raw_deps: list[object], cache: dict[tuple[object, ...], IndexDependency]
) -> tuple[IndexDependency, ...]:
    # The hot loop of bulk reading (1.5 M dependencies in the 2020 index): every check is inline
    # and a dependency already seen in this file is reused; anything unusual goes through
    # _dep_checked, which names the bad field.
    deps: list[IndexDependency] = []
    for index, raw in enumerate(raw_deps):
        if type(raw) is dict:
            if tuple(raw) == _DEP_KEYS:  # 99% of the 2020 index: unpack instead of 9 lookups
                name, req, features, optional, default_features, target, kind_text = raw.values()
                package = registry = None
            else:
                get = raw.get
                name = get("name")
                req = get("req")
                kind_text = get("kind")
                target = get("target")
                optional = get("optional", False)
                default_features = get("default_features", True)
                package = get("package")
                registry = get("registry")
                features = get("features", ())
            if type(features) is list:
                if not features:
                    features = ()
                elif _is_str_list(features):
                    features = tuple(features)
            if (
                type(name) is str
                and type(req) is str
                and (kind_text is None or type(kind_text) is str)
                and (target is None or type(target) is str)
                and type(optional) is bool
                and type(default_features) is bool
                and (package is None or type(package) is str)
                and (registry is None or type(registry) is str)
                and type(features) is tuple
                and (kind := _KINDS.get(kind_text)) is not None
            ):
                key = (
                    name,
                    req,
                    kind,
                    target,
                    optional,
                    default_features,
                    features,
                    package,
                    registry,
                )
                dep = cache.get(key)
                if dep is None:
                    dep = cache[key] = IndexDependency(
                        name=name,
                        package=name if package is None else package,
                        req=req,
                        kind=kind,
                        target=target,
                        optional=optional,
                        default_features=default_features,
                        features=features,
                        registry=registry,
                    )
                deps.append(dep)
                continue
        deps.append(_dep_checked(raw, index))
    return tuple(deps)


def _dep_checked(raw: object, index: int) -> IndexDependency:
    """The slow path of :func:`_deps`: the same rules, one getter per field."""
    try:
        if type(raw) is not dict:
            raise _Bad("", f"expected an object, got {_describe(raw)}")
        name = _str(raw, "name")
        package = _opt_str(raw, "package")
        req = _str(raw, "req")
        kind_text = raw.get("kind")
        kind = _KINDS.get(kind_text) if type(kind_text) is str or kind_text is None else None
        if kind is None:
            _wrong("kind", kind_text, "one of 'normal', 'build', 'dev'")
        target = _opt_str(raw, "target")
        optional = raw.get("optional", False)
        if type(optional) is not bool:
            _wrong("optional", optional, "a boolean")
        default_features = raw.get("default_features", True)
        if type(default_features) is not bool:
            _wrong("default_features", default_features, "a boolean")
        features = _str_list(raw.get("features", ()), "features")
        registry = _opt_str(raw, "registry")
    except _Bad as e:
        raise _Bad(f"deps[{index}]{'.' if e.path else ''}{e.path}", e.problem) from None
    return IndexDependency(
        name=name,
        package=name if package is None else package,
        req=req,
        kind=kind,
        target=target,
        optional=optional,
        default_features=default_features,
        features=features,
        registry=registry,
    )


def _features(raw: object, key: str) -> dict[str, tuple[str, ...]]:
    if not raw:
        if raw is None or type(raw) is dict:
            return {}
        _wrong(key, raw, "an object")
    if type(raw) is not dict:
        _wrong(key, raw, "an object")
    features: dict[str, tuple[str, ...]] = {}
    for name, values in raw.items():
        features[name] = (
            tuple(values) if _is_str_list(values) else _str_list(values, f"{key}.{_short(name)}")
        )
    return features


def _is_str_list(values: object) -> bool:
    if type(values) is not list:
        return False
    try:
        "".join(values)  # C-speed check that every item is a str
    except TypeError:
        return False
    return True


def _str_list(raw: object, path: str) -> tuple[str, ...]:
    if type(raw) is tuple and not raw:
        return ()
    if type(raw) is not list:
        _wrong(path, raw, "an array of strings")
    for i, item in enumerate(raw):
        if type(item) is not str:
            _wrong(f"{path}[{i}]", item, "a string")
    return tuple(raw)


def _str(obj: dict[str, object], key: str) -> str:
    value = obj.get(key, _MISSING)
    if type(value) is not str:
        _wrong(key, value, "a string")
    return value


def _opt_str(obj: dict[str, object], key: str) -> str | None:
    value = obj.get(key)
    if value is not None and type(value) is not str:
        _wrong(key, value, "a string")
    return value


def _wrong(path: str, value: object, expected: str) -> NoReturn:
    if value is _MISSING:
        raise _Bad(path, "missing")
    raise _Bad(path, f"expected {expected}, got {_describe(value)}")


def _short(text: str) -> str:
    return text if len(text) <= 40 else text[:37] + "..."


def _describe(value: object) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    return _short(json.dumps(value))
