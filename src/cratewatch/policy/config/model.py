"""The values a deny.toml parses into (see :mod:`.parse`); defaults are cargo-deny's current ones.

Entries that diagnostics point back at carry ``at``, the :class:`~.spans.Span` of their text in
the config file, so a report can show ``deny.toml:12:5``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from types import MappingProxyType

from cratewatch.errors import PolicyError
from cratewatch.policy.config.spans import Span, SpanMap
from cratewatch.policy.diagnostics import LintLevel
from cratewatch.policy.graph import Krate
from cratewatch.semver import VersionReq

__all__ = [
    "CRATES_IO_INDEX_URL",
    "AdvisoriesConfig",
    "AdvisoryIgnore",
    "BanEntry",
    "BansConfig",
    "BlanketAgreement",
    "BuildConfig",
    "Bypass",
    "BypassPath",
    "Clarification",
    "ClarifyFile",
    "ConfigWarning",
    "FeatureBan",
    "GitSpec",
    "GraphConfig",
    "InvalidPolicyConfig",
    "LicenseException",
    "LicensesConfig",
    "Named",
    "OutputConfig",
    "PackageSpec",
    "PolicyConfig",
    "PrivateConfig",
    "Scope",
    "SourcesConfig",
    "SpecEntry",
    "TargetConfig",
    "TreeSkip",
]

CRATES_IO_INDEX_URL = "https://github.com/rust-lang/crates.io-index"
"""The default (and only default-allowed) registry."""


class InvalidPolicyConfig(PolicyError, ValueError):
    """A deny.toml is malformed; the message names the file, line, column and key."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Named:
    """A string from the config with where it is written."""

    value: str
    """The text."""
    at: Span | None = None
    """Its place in the config file."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PackageSpec:
    """A crate selector: a name and an optional version requirement.

    Written ``"name"``, ``"name@1.2.3"`` (exactly that version), ``"name:<2"`` (a
    requirement), ``{ crate = "..." }`` or ``{ name = "...", version = "..." }``.
    """

    name: str
    """The crate name."""
    version: VersionReq | None = None
    """The versions it selects; ``None``: every version."""
    at: Span | None = None
    """Where the name is written."""

    def matches(self, krate: Krate) -> bool:
        """Whether *krate* is selected."""
        return self.name == krate.name and (
            self.version is None or self.version.matches(krate.version)
        )

    def __str__(self) -> str:
        return self.name if self.version is None else f"{self.name} = {self.version}"


@dataclass(frozen=True, slots=True, kw_only=True)
class SpecEntry:
    """A package spec with an optional reason (``allow``, ``skip``, exceptions...)."""

    spec: PackageSpec
    """The crates selected."""
    reason: Named | None = None
    """Why, as the user wrote it."""


class GitSpec(IntEnum):
    """How precisely a git source is pinned (``required-git-spec``), weakest first."""

    ANY = 0
    BRANCH = 1
    TAG = 2
    REV = 3


class Scope(StrEnum):
    """Which crates unmaintained/unsound advisories apply to."""

    ALL = "all"
    WORKSPACE = "workspace"
    """Only crates the workspace depends on directly."""
    TRANSITIVE = "transitive"
    """Only crates the workspace depends on indirectly."""
    NONE = "none"


class BlanketAgreement(StrEnum):
    """The deprecated ``allow-osi-fsf-free`` values."""

    BOTH = "both"
    EITHER = "either"
    OSI_ONLY = "osi-only"
    FSF_ONLY = "fsf-only"
    NEITHER = "neither"


@dataclass(frozen=True, slots=True, kw_only=True)
class ConfigWarning:
    """A deprecation (or other remark) about the config file itself."""

    message: str
    """What is wrong and what to write instead."""
    at: Span | None
    """Where."""
    code: str = "deprecated"
    """The diagnostic code."""


@dataclass(frozen=True, slots=True, kw_only=True)
class TargetConfig:
    """One ``[graph] targets`` entry."""

    triple: str
    """The target triple."""
    features: tuple[str, ...] = ()
    """``target_feature`` values."""
    at: Span | None = None
    """Where it is written."""


@dataclass(frozen=True, slots=True, kw_only=True)
class GraphConfig:
    """``[graph]``."""

    targets: tuple[TargetConfig, ...] = ()
    exclude: tuple[PackageSpec, ...] = ()
    all_features: bool = False
    no_default_features: bool = False
    features: tuple[str, ...] = ()
    exclude_dev: bool = False
    exclude_unpublished: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class OutputConfig:
    """``[output]``."""

    feature_depth: int | None = None
    """How deep feature edges go in inclusion graphs (accepted; cratewatch shows crates)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AdvisoryIgnore:
    """An ``[advisories] ignore`` entry naming an advisory."""

    id: Named
    """The advisory id (or an alias)."""
    reason: Named | None = None
    """Why it is ignored."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AdvisoriesConfig:
    """``[advisories]``."""

    db_path: str | None = None
    db_urls: tuple[Named, ...] = ()
    ignore: tuple[AdvisoryIgnore, ...] = ()
    ignore_yanked: tuple[SpecEntry, ...] = ()
    unmaintained: Scope = Scope.ALL
    unmaintained_level: LintLevel = LintLevel.DENY
    """The severity of unmaintained findings (a lint level only in the deprecated schema)."""
    unsound: Scope = Scope.ALL
    unsound_level: LintLevel = LintLevel.DENY
    vulnerability: LintLevel = LintLevel.DENY
    """Deprecated: vulnerabilities are always denied now."""
    notice: LintLevel = LintLevel.DENY
    """Deprecated: notices are always denied now."""
    severity_threshold: str | None = None
    """Deprecated: vulnerabilities whose CVSS severity is below it are ignored."""
    yanked: LintLevel = LintLevel.WARN
    yanked_at: Span | None = None
    git_fetch_with_cli: bool = False
    disable_yank_checking: bool = False
    maximum_db_staleness: dt.timedelta = dt.timedelta(days=90)
    unused_ignored_advisory: LintLevel = LintLevel.WARN


@dataclass(frozen=True, slots=True, kw_only=True)
class LicenseException:
    """``[[licenses.exceptions]]``: licenses allowed for some crates only."""

    spec: PackageSpec
    allow: tuple[Named, ...]
    reason: Named | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ClarifyFile:
    """A file a clarification relies on, with the hash of its content."""

    path: str
    hash: int
    """cargo-deny's CRC32 of the normalized text (see :func:`.licensetext.clarify_hash`)."""
    at: Span | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Clarification:
    """``[[licenses.clarify]]``: the license expression of a crate, stated by the user."""

    spec: PackageSpec
    expression: Named
    license_files: tuple[ClarifyFile, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class PrivateConfig:
    """``[licenses.private]``."""

    ignore: bool = False
    registries: tuple[str, ...] = ()
    ignore_sources: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class LicensesConfig:
    """``[licenses]``."""

    allow: tuple[Named, ...] = ()
    exceptions: tuple[LicenseException, ...] = ()
    clarify: tuple[Clarification, ...] = ()
    private: PrivateConfig = PrivateConfig()
    confidence_threshold: float = 0.8
    include_dev: bool = False
    include_build: bool = True
    unused_allowed_license: LintLevel = LintLevel.WARN
    unused_license_exception: LintLevel = LintLevel.WARN
    unlicensed: LintLevel = LintLevel.DENY
    """Deprecated (0.14): the level for crates without a license."""
    deny: tuple[Named, ...] = ()
    """Deprecated (0.14): licenses explicitly denied."""
    copyleft: LintLevel | None = None
    """Deprecated (0.14): the level for copyleft licenses; ``None`` when not written."""
    allow_osi_fsf_free: BlanketAgreement = BlanketAgreement.NEITHER
    """Deprecated (0.14)."""
    default: LintLevel = LintLevel.DENY
    """Deprecated (0.14): the level for licenses nothing else decides."""


@dataclass(frozen=True, slots=True, kw_only=True)
class BanEntry:
    """A ``[bans] deny`` entry."""

    spec: PackageSpec
    wrappers: tuple[Named, ...] = ()
    deny_multiple_versions: bool = False
    reason: Named | None = None
    use_instead: Named | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class TreeSkip:
    """A ``[bans] skip-tree`` entry."""

    spec: PackageSpec
    depth: int | None = None
    reason: Named | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class FeatureBan:
    """A ``[[bans.features]]`` entry."""

    spec: PackageSpec
    allow: tuple[Named, ...] = ()
    allow_at: Span | None = None
    deny: tuple[Named, ...] = ()
    exact: bool = False
    exact_at: Span | None = None
    reason: Named | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class BypassPath:
    """An allowed file of a bypass entry."""

    path: Named
    checksum: Named | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Bypass:
    """A ``[[bans.build.bypass]]`` entry."""

    spec: PackageSpec
    build_script: Named | None = None
    required_features: tuple[Named, ...] = ()
    allow_globs: tuple[Named, ...] = ()
    allow: tuple[BypassPath, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class BuildConfig:
    """``[bans.build]``."""

    allow_build_scripts: tuple[PackageSpec, ...] | None = None
    executables: LintLevel = LintLevel.DENY
    interpreted: LintLevel = LintLevel.ALLOW
    script_extensions: tuple[Named, ...] = ()
    enable_builtin_globs: bool = False
    include_dependencies: bool = False
    include_workspace: bool = False
    include_archives: bool = False
    bypass: tuple[Bypass, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class BansConfig:
    """``[bans]``."""

    multiple_versions: LintLevel = LintLevel.WARN
    multiple_versions_include_dev: bool = False
    highlight: str = "all"
    deny: tuple[BanEntry, ...] = ()
    allow: tuple[SpecEntry, ...] = ()
    skip: tuple[SpecEntry, ...] = ()
    skip_tree: tuple[TreeSkip, ...] = ()
    features: tuple[FeatureBan, ...] = ()
    external_default_features: LintLevel | None = None
    external_default_features_at: Span | None = None
    workspace_default_features: LintLevel | None = None
    workspace_default_features_at: Span | None = None
    wildcards: LintLevel = LintLevel.ALLOW
    allow_wildcard_paths: bool = False
    build: BuildConfig | None = None


def _default_registries() -> tuple[Named, ...]:
    return (Named(value=CRATES_IO_INDEX_URL),)


def _no_orgs() -> Mapping[str, tuple[Named, ...]]:
    return MappingProxyType({})


@dataclass(frozen=True, slots=True, kw_only=True)
class SourcesConfig:
    """``[sources]``."""

    unknown_registry: LintLevel = LintLevel.WARN
    unknown_git: LintLevel = LintLevel.WARN
    required_git_spec: GitSpec | None = None
    required_git_spec_at: Span | None = None
    allow_registry: tuple[Named, ...] = field(default_factory=_default_registries)
    allow_git: tuple[Named, ...] = ()
    private: tuple[Named, ...] = ()
    allow_org: Mapping[str, tuple[Named, ...]] = field(default_factory=_no_orgs)
    """``github``/``gitlab``/``bitbucket`` -> organization names."""
    unused_allowed_source: LintLevel = LintLevel.WARN


def _empty_spans() -> SpanMap:
    return SpanMap()


@dataclass(frozen=True, slots=True, kw_only=True)
class PolicyConfig:
    """A whole deny.toml."""

    path: str = "deny.toml"
    """The file (labels point into it)."""
    graph: GraphConfig = GraphConfig()
    output: OutputConfig = OutputConfig()
    advisories: AdvisoriesConfig = AdvisoriesConfig()
    licenses: LicensesConfig = LicensesConfig()
    bans: BansConfig = BansConfig()
    sources: SourcesConfig = SourcesConfig()
    warnings: tuple[ConfigWarning, ...] = ()
    """Deprecations found while reading."""
    spans: SpanMap = field(default_factory=_empty_spans)
    """Positions of every key and value."""
