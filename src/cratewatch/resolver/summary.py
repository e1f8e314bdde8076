"""Index lines as the resolver sees them: Cargo's ``Summary`` with validated features.

Cargo turns each index line into a ``Summary`` (``sources/registry/index``, ``core/summary.rs``)
and silently skips a line it cannot: a version or requirement that does not parse, a ``target``
that is not a platform, an optional dev-dependency, a feature table that names something that
is neither a feature nor a dependency. Such a version is never chosen. :func:`build_summary`
applies exactly those checks and returns a :class:`Summary` or an :class:`InvalidSummary`.

The classes here are the resolver's hot data: plain slotted objects compared by identity
(each is built once per index line and shared), not dataclasses.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from cratewatch.registry.model import DepKind, IndexDependency, IndexEntry
from cratewatch.resolver.model import PackageId
from cratewatch.resolver.platform import InvalidPlatform, Platform, parse_platform
from cratewatch.semver import InvalidVersion, InvalidVersionReq, Version, VersionReq

__all__ = [
    "CRATES_IO_INDEX",
    "DEP",
    "DEP_FEATURE",
    "FEATURE",
    "INDEX_SCHEMA_MAX",
    "Dep",
    "DepInterner",
    "FeatureValue",
    "InvalidSummary",
    "Summary",
    "activation_key",
    "build_summary",
    "parse_feature_value",
]

CRATES_IO_INDEX = "https://github.com/rust-lang/crates.io-index"
"""The ``registry`` value that names crates.io itself."""

INDEX_SCHEMA_MAX = 2
"""The newest index line format (``v``) Cargo reads; newer lines are skipped."""

FEATURE = 0
"""``FeatureValue`` tag: enables another feature of the same package (``"foo"``)."""
DEP = 1
"""``FeatureValue`` tag: enables an optional dependency (``"dep:foo"``)."""
DEP_FEATURE = 2
"""``FeatureValue`` tag: enables a feature of a dependency (``"foo/bar"``, weak ``"foo?/bar"``)."""

FeatureValue = tuple[int, str, str, bool]
"""``(tag, name, dep_feature, weak)``; ``dep_feature`` is ``""`` and ``weak`` False unless
the tag is :data:`DEP_FEATURE`."""


def parse_feature_value(text: str) -> FeatureValue:
    """Classify one entry of a feature table like Cargo's ``FeatureValue::new``.

    >>> parse_feature_value("serde?/std")
    (2, 'serde', 'std', True)
    >>> parse_feature_value("dep:serde")
    (1, 'serde', '', False)
    """
    dep, slash, feat = text.partition("/")
    if slash:
        if dep.endswith("?"):
            return (DEP_FEATURE, dep[:-1], feat, True)
        return (DEP_FEATURE, dep, feat, False)
    if text.startswith("dep:"):
        return (DEP, text[4:], "", False)
    return (FEATURE, text, "", False)


def activation_key(name: str, version: Version) -> str:
    """Cargo's ``ActivationsKey`` minus the source: the name and the semver-compatibility class.

    Two versions with the same key cannot both be in one resolution.

    >>> activation_key("rand", Version.parse("0.7.3"))
    'rand 0.7'
    >>> activation_key("rand", Version.parse("1.2.0"))
    'rand 1'

    """
    if version.major:
        return f"{name} {version.major}"
    if version.minor:
        return f"{name} 0.{version.minor}"
    return f"{name} 0.0.{version.patch}"


class Dep:
    """One dependency declaration of a summary, parsed (shared between equal declarations)."""

    __slots__ = (
        "foreign",
        "kind",
        "name",
        "optional",
        "package",
        "platform",
        "req",
        "req_text",
        "source",
        "transitive",
        "uses_default",
        "want",
    )

    def __init__(self, source: IndexDependency, req: VersionReq, platform: Platform | None) -> None:
        self.source = source
        """The index dependency this was built from."""
        self.name = source.name
        """The name in the dependent's ``Cargo.toml`` (features refer to it)."""
        self.package = source.package
        """The crate it resolves to."""
        self.req = req
        self.req_text = source.req
        self.kind = source.kind
        self.transitive = source.kind is not DepKind.DEV
        """Normal and build dependencies are; dev-dependencies only count for the root."""
        self.optional = source.optional
        self.uses_default = source.default_features
        self.want = frozenset(f for f in source.features if f)
        """Features asked of the dependency; Cargo drops the empty name old indexes contain."""
        self.platform = platform
        self.foreign = source.registry is not None and source.registry != CRATES_IO_INDEX
        """Whether it names another registry (which this resolver cannot see)."""

    def describe(self) -> str:
        """``name = "req"`` as Cargo prints a requirement."""
        return f'{self.package} = "{self.req_text}"'


class DepInterner:
    """Shares one :class:`Dep` per distinct index dependency, and the checked feature tables.

    Index lines of one crate repeat the same dependencies and feature tables from version to
    version, so both are validated once and shared.
    """

    __slots__ = ("_by_id", "_deps", "_tables")

    def __init__(self) -> None:
        self._deps: dict[IndexDependency, Dep | str] = {}
        self._by_id: dict[int, tuple[IndexDependency, Dep | str]] = {}
        self._tables: dict[tuple[object, ...], _Table | str] = {}

    def get(self, source: IndexDependency) -> Dep | str:
        """The shared :class:`Dep`, or the reason the declaration makes its line invalid."""
        # the index parser shares equal dependencies of one file: try identity first (the
        # cached tuple keeps ``source`` alive, so its id cannot be reused)
        known = self._by_id.get(id(source))
        if known is not None and known[0] is source:
            return known[1]
        dep = self._deps.get(source)
        if dep is None:
            dep = self._deps[source] = _build_dep(source)
        self._by_id[id(source)] = (source, dep)
        return dep

    def table(self, raw: Mapping[str, tuple[str, ...]], deps: tuple[Dep, ...]) -> _Table | str:
        """The validated feature table for ``raw`` over ``deps`` (memoised)."""
        key = (tuple(raw.items()), deps)  # deps are shared objects: hashed by identity
        found = self._tables.get(key)
        if found is None:
            found = self._tables[key] = _build_table(raw, deps)
        return found


class _Table:
    """A validated feature table and what the resolver asks of it."""

    __slots__ = ("dep_names", "features", "has_default", "optional_names")

    def __init__(
        self, features: dict[str, tuple[FeatureValue, ...]], deps: tuple[Dep, ...]
    ) -> None:
        self.features = features
        self.has_default = "default" in features
        self.optional_names = frozenset(d.name for d in deps if d.optional)
        self.dep_names = frozenset(d.name for d in deps)


def _build_table(raw: Mapping[str, tuple[str, ...]], deps: tuple[Dep, ...]) -> _Table | str:
    features = _build_feature_map(raw, deps)
    if isinstance(features, str):
        return features
    return _Table(features, deps)


def _build_dep(source: IndexDependency) -> Dep | str:
    try:
        req = VersionReq.parse(source.req)
    except InvalidVersionReq as e:
        return f"dependency `{source.name}`: {e.args[0].splitlines()[0]}"
    platform = None
    if source.target is not None:
        try:
            platform = parse_platform(source.target)
        except InvalidPlatform as e:
            return f"dependency `{source.name}`: {e}"
    if source.optional and source.kind is DepKind.DEV:
        return f"dev-dependencies are not allowed to be optional: `{source.name}`"
    return Dep(source, req, platform)


class Summary:
    """One usable published version: parsed deps and the validated feature table."""

    __slots__ = (
        "_package_id",
        "dep_names",
        "deps",
        "entry",
        "features",
        "has_default",
        "key",
        "links",
        "name",
        "optional_names",
        "version",
    )

    def __init__(
        self, entry: IndexEntry, version: Version, deps: tuple[Dep, ...], table: _Table
    ) -> None:
        self.entry = entry
        self.name = entry.name
        self.version = version
        self.key = activation_key(entry.name, version)
        self.deps = deps
        self.features = table.features
        """Feature name -> values, with the implicit features of optional dependencies."""
        self.has_default = table.has_default
        self.links = entry.links
        self.optional_names = table.optional_names
        self.dep_names = table.dep_names
        self._package_id: PackageId | None = None

    @property
    def package_id(self) -> PackageId:
        """The public identity of this version (made once)."""
        pid = self._package_id
        if pid is None:
            pid = self._package_id = PackageId(name=self.name, version=self.version)
        return pid

    def __repr__(self) -> str:
        return f"<Summary {self.name} {self.version}>"

    def describe(self) -> str:
        """``name v1.2.3`` as Cargo names a package."""
        return f"{self.name} v{self.version}"


@dataclass(frozen=True, slots=True, kw_only=True)
class InvalidSummary:
    """An index line Cargo would skip, and why."""

    entry: IndexEntry
    """The skipped line."""
    reason: str
    """Cargo's objection."""


def build_summary(entry: IndexEntry, interner: DepInterner) -> Summary | InvalidSummary:
    """Validate one index line the way Cargo's index loader and ``Summary::new`` do."""
    if entry.schema > INDEX_SCHEMA_MAX:
        return InvalidSummary(
            entry=entry,
            reason=f"index schema version {entry.schema} is newer than Cargo's "
            f"({INDEX_SCHEMA_MAX})",
        )
    try:
        version = Version.parse(entry.vers)
    except InvalidVersion as e:
        return InvalidSummary(entry=entry, reason=e.args[0].splitlines()[0])
    deps: list[Dep] = []
    for source in entry.deps:
        dep = interner.get(source)
        if isinstance(dep, str):
            return InvalidSummary(entry=entry, reason=dep)
        deps.append(dep)
    frozen = tuple(deps)
    table = interner.table(entry.features, frozen)
    if isinstance(table, str):
        return InvalidSummary(entry=entry, reason=table)
    return Summary(entry, version, frozen, table)


_VALID_NAMES: dict[str, bool] = {}
_PARSED_VALUES: dict[tuple[str, ...], tuple[FeatureValue, ...]] = {}
_MEMO_LIMIT = 1 << 18


def _memo_valid_name(name: str) -> bool:
    valid = _VALID_NAMES.get(name)
    if valid is None:
        valid = _valid_feature_name(name)
        if len(_VALID_NAMES) < _MEMO_LIMIT:
            _VALID_NAMES[name] = valid
    return valid


def _parse_values(values: tuple[str, ...]) -> tuple[FeatureValue, ...]:
    parsed = _PARSED_VALUES.get(values)
    if parsed is None:
        parsed = tuple(parse_feature_value(v) for v in values)
        if len(_PARSED_VALUES) < _MEMO_LIMIT:
            _PARSED_VALUES[values] = parsed
    return parsed


def _valid_feature_name(name: str) -> bool:
    if not name:
        return False
    first = name[0]
    if not (first.isidentifier() or "0" <= first <= "9"):
        return False
    return all(ch in "+-." or ("a" + ch).isidentifier() for ch in name[1:])


def _build_feature_map(
    raw: Mapping[str, tuple[str, ...]], deps: tuple[Dep, ...]
) -> dict[str, tuple[FeatureValue, ...]] | str:
    """Cargo's ``build_feature_map``: implicit features, then every validation it makes."""
    dep_map: dict[str, bool] = {}
    for dep in deps:
        dep_map[dep.name] = dep_map.get(dep.name, False) or dep.optional
    fmap = {name: _parse_values(values) for name, values in raw.items()}
    explicit = {fv[1] for fvs in fmap.values() for fv in fvs if fv[0] == DEP}
    for dep in deps:
        if dep.optional and dep.name not in raw and dep.name not in explicit:
            fmap[dep.name] = ((DEP, dep.name, "", False),)
    for feature, fvs in fmap.items():
        if not _memo_valid_name(feature):
            return f"invalid feature name `{feature}`"
        for fv in fvs:
            problem = _check_value(fv, raw, fmap, dep_map)
            if problem:
                return f"feature `{feature}` {problem}"
    used = {fv[1] for fvs in fmap.values() for fv in fvs if fv[0] != FEATURE}
    for name, optional in dep_map.items():
        if optional and name not in used:
            return f"optional dependency `{name}` is not included in any feature"
    return fmap


def _check_value(
    fv: FeatureValue,
    raw: Mapping[str, tuple[str, ...]],
    fmap: Mapping[str, tuple[FeatureValue, ...]],
    dep_map: Mapping[str, bool],
) -> str:
    """Cargo's objection to one value of a feature table, or ``""``."""
    tag, name, dep_feature, weak = fv
    is_dep = name in dep_map
    is_optional = dep_map.get(name, False)
    if tag == FEATURE:
        problem = ""
        if name not in raw:
            if not is_dep:
                problem = f"includes `{name}` which is neither a dependency nor another feature"
            elif not is_optional:
                problem = f"includes `{name}`, but `{name}` is not an optional dependency"
            elif name not in fmap:
                problem = f"includes `{name}`, an optional dependency without implicit feature"
        return problem
    if tag == DEP:
        if not is_optional:
            qualifier = "an optional dependency" if is_dep else "listed as a dependency"
            return f"includes `dep:{name}`, but `{name}` is not {qualifier}"
        return ""
    shown = f"{name}{'?' if weak else ''}/{dep_feature}"
    problems = (
        ("/" in dep_feature, " with more than one slash"),
        (name.startswith("dep:"), " with both `dep:` and `/`"),
        (not is_dep, f", but `{name}` is not a dependency"),
        (weak and not is_optional, f" with a `?`, but `{name}` is not an optional dependency"),
    )
    return next((f"includes `{shown}`{why}" for bad, why in problems if bad), "")
