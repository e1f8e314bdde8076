"""Reading deny.toml: the current cargo-deny schema, plus the 0.14-era keys with warnings.

The 0.14-era graph keys at the top level (``targets``, ``exclude``, ``all-features``...) and
the lint-level keys (``[advisories] vulnerability``, ``[licenses] copyleft``...) still work as
they did, each with a :class:`~.model.ConfigWarning` naming its replacement. Any other unknown
key is an error naming the file, line, column and key.

>>> cfg = parse_config('[bans]\\nmultiple-versions = "deny"\\n', path="deny.toml")
>>> cfg.bans.multiple_versions
<LintLevel.DENY: 'deny'>
>>> parse_config('[bans]\\nmultiple-version = "deny"\\n', path="deny.toml")
Traceback (most recent call last):
    ...
cratewatch.policy.config.model.InvalidPolicyConfig: deny.toml:2:1: bans.multiple-version: \
unknown key (expected one of: multiple-versions, multiple-versions-include-dev, highlight, \
deny, allow, skip, skip-tree, features, external-default-features, workspace-default-features, \
wildcards, allow-wildcard-paths, build, workspace-dependencies, allow-workspace, \
allow-build-scripts)
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path as FsPath
from typing import Any

from cratewatch._textfile import read_text_file
from cratewatch.policy.config.model import (
    AdvisoriesConfig,
    AdvisoryIgnore,
    BanEntry,
    BansConfig,
    BlanketAgreement,
    BuildConfig,
    Bypass,
    BypassPath,
    Clarification,
    ClarifyFile,
    ConfigWarning,
    FeatureBan,
    GitSpec,
    GraphConfig,
    InvalidPolicyConfig,
    LicenseException,
    LicensesConfig,
    Named,
    OutputConfig,
    PolicyConfig,
    PrivateConfig,
    Scope,
    SourcesConfig,
    SpecEntry,
    TargetConfig,
    TreeSkip,
)
from cratewatch.policy.config.reader import Reader
from cratewatch.policy.config.spans import Path, scan_spans
from cratewatch.policy.diagnostics import LintLevel

__all__ = ["CONFIG_NAMES", "MAX_CONFIG_BYTES", "find_config", "load_config", "parse_config"]

MAX_CONFIG_BYTES = 4 * 1024 * 1024
"""The largest config file read."""
CONFIG_NAMES = ("deny.toml", ".deny.toml", ".cargo/deny.toml")
"""Where the config is looked for, in order, from the project directory."""

_TOP = ("graph", "output", "advisories", "licenses", "bans", "sources")
_LEGACY_GRAPH = (
    "targets",
    "exclude",
    "all-features",
    "no-default-features",
    "features",
    "exclude-dev",
)
_GRAPH = (*_LEGACY_GRAPH, "exclude-unpublished")
_ADVISORIES = (
    "version",
    "db-path",
    "db-urls",
    "ignore",
    "unmaintained",
    "unsound",
    "yanked",
    "git-fetch-with-cli",
    "disable-yank-checking",
    "maximum-db-staleness",
    "unused-ignored-advisory",
)
_ADVISORIES_LEGACY = ("vulnerability", "notice", "severity-threshold", "db-url")
_LICENSES = (
    "version",
    "allow",
    "exceptions",
    "clarify",
    "private",
    "confidence-threshold",
    "include-dev",
    "include-build",
    "unused-allowed-license",
    "unused-license-exception",
)
_LICENSES_LEGACY = ("unlicensed", "deny", "copyleft", "allow-osi-fsf-free", "default")
_BANS = (
    "multiple-versions",
    "multiple-versions-include-dev",
    "highlight",
    "deny",
    "allow",
    "skip",
    "skip-tree",
    "features",
    "external-default-features",
    "workspace-default-features",
    "wildcards",
    "allow-wildcard-paths",
    "build",
    "workspace-dependencies",
    "allow-workspace",
)
_BUILD = (
    "allow-build-scripts",
    "executables",
    "interpreted",
    "script-extensions",
    "enable-builtin-globs",
    "include-dependencies",
    "include-workspace",
    "include-archives",
    "bypass",
)
_SOURCES = (
    "unknown-registry",
    "unknown-git",
    "required-git-spec",
    "allow-registry",
    "allow-git",
    "private",
    "unused-allowed-source",
    "allow-org",
)
_REPLACEMENTS: dict[tuple[str | int, ...], str] = {
    ("advisories", "vulnerability"): "vulnerabilities are always denied now; accept one "
    "with an `ignore` entry and a reason",
    ("advisories", "notice"): "notice advisories are always denied now; accept one with an "
    "`ignore` entry and a reason",
    ("advisories", "severity-threshold"): "list the advisories you accept in `ignore`, with "
    "a reason",
    ("advisories", "db-url"): "use `db-urls = [...]`",
    ("advisories", "unmaintained"): 'use a scope: unmaintained = "all", "workspace", '
    '"transitive" or "none"',
    ("advisories", "unsound"): 'use a scope: unsound = "all", "workspace", "transitive" or "none"',
    ("licenses", "unlicensed"): "crates without a license are always rejected now; add a "
    "[[licenses.clarify]] entry",
    ("licenses", "deny"): "licenses not listed in `allow` are always rejected now; remove "
    "them from `allow`",
    ("licenses", "copyleft"): "list the copyleft licenses you accept in `allow` (or in "
    "`exceptions` for some crates)",
    ("licenses", "allow-osi-fsf-free"): "list the licenses you accept in `allow`",
    ("licenses", "default"): "licenses not listed in `allow` are always rejected now",
    ("bans", "allow-build-scripts"): "use [bans.build] allow-build-scripts",
}


def find_config(directory: FsPath) -> FsPath | None:
    """The first of :data:`CONFIG_NAMES` that exists in *directory*."""
    for name in CONFIG_NAMES:
        candidate = directory / name
        if candidate.is_file():
            return candidate
    return None


def load_config(path: FsPath) -> PolicyConfig:
    """Read and parse a deny.toml (at most :data:`MAX_CONFIG_BYTES`)."""
    text = read_text_file(path, limit=MAX_CONFIG_BYTES, what="config", error=InvalidPolicyConfig)
    return parse_config(text, path=str(path))


def parse_config(text: str, *, path: str = "deny.toml") -> PolicyConfig:
    """Parse the text of a deny.toml; *path* names it in errors and labels."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        match = re.search(r"\(at line (\d+), column (\d+)\)", str(e))
        where = f"{path}:{match.group(1)}:{match.group(2)}" if match else path
        reason = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(e))
        raise InvalidPolicyConfig(f"{where}: invalid TOML: {reason}") from e
    return _Parser(Reader(path, scan_spans(text))).parse(doc)


class _Parser:
    def __init__(self, reader: Reader) -> None:
        self.r = reader
        self.warnings: list[ConfigWarning] = []

    def deprecated(self, path: Path, replacement: str) -> None:
        self.warnings.append(
            ConfigWarning(
                message=f"`{'.'.join(str(p) for p in path)}` is deprecated: {replacement}",
                at=self.r.spans.key(path) or self.r.span(path),
            )
        )

    def parse(self, doc: dict[str, Any]) -> PolicyConfig:
        r = self.r
        r.known_keys(doc, (), [*_TOP, *_LEGACY_GRAPH, "feature-depth"])
        return PolicyConfig(
            path=r.file,
            graph=self.graph(doc),
            output=self.output(doc),
            advisories=self.advisories(r.subtable(doc, "advisories", ())),
            licenses=self.licenses(r.subtable(doc, "licenses", ())),
            bans=self.bans(r.subtable(doc, "bans", ())),
            sources=self.sources(r.subtable(doc, "sources", ())),
            warnings=tuple(self.warnings),
            spans=r.spans,
        )

    # --- [graph] / [output] ---------------------------------------------------------------

    def graph(self, doc: dict[str, Any]) -> GraphConfig:
        r = self.r
        table = dict(r.subtable(doc, "graph", ()))
        r.known_keys(table, ("graph",), _GRAPH)
        path: Path = ("graph",)
        for key in _LEGACY_GRAPH:
            if key not in doc:
                continue
            if key in table:
                r.fail(
                    (key,),
                    f"set both at the top level and in [graph]; keep [graph] {key}",
                    key=True,
                )
            self.deprecated((key,), f"move it to [graph] {key}")
        legacy = {key: doc[key] for key in _LEGACY_GRAPH if key in doc}
        if legacy and not table:
            table, path = legacy, ()
        elif legacy:
            table.update(legacy)
        targets = []
        for i, item in enumerate(r.array(table, "targets", path)):
            where = (*path, "targets", i)
            if isinstance(item, str):
                targets.append(TargetConfig(triple=item, at=r.span(where)))
                continue
            entry = r.table(item, where)
            r.known_keys(entry, where, ["triple", "features"])
            triple = r.string(entry.get("triple"), (*where, "triple"))
            targets.append(
                TargetConfig(
                    triple=triple, features=r.strings(entry, "features", where), at=r.span(where)
                )
            )
        return GraphConfig(
            targets=tuple(targets),
            exclude=tuple(
                r.spec(item, (*path, "exclude", i))
                for i, item in enumerate(r.array(table, "exclude", path))
            ),
            all_features=r.boolean(table, "all-features", path, False),
            no_default_features=r.boolean(table, "no-default-features", path, False),
            features=r.strings(table, "features", path),
            exclude_dev=r.boolean(table, "exclude-dev", path, False),
            exclude_unpublished=r.boolean(table, "exclude-unpublished", path, False),
        )

    def output(self, doc: dict[str, Any]) -> OutputConfig:
        r = self.r
        table = r.subtable(doc, "output", ())
        r.known_keys(table, ("output",), ["feature-depth"])
        depth = r.integer(table, "feature-depth", ("output",))
        if "feature-depth" in doc:
            self.deprecated(("feature-depth",), "move it to [output] feature-depth")
            depth = r.integer(doc, "feature-depth", ())
        return OutputConfig(feature_depth=depth)

    # --- [advisories] ---------------------------------------------------------------------

    def advisories(self, table: dict[str, Any]) -> AdvisoriesConfig:
        r = self.r
        path: Path = ("advisories",)
        r.known_keys(table, path, [*_ADVISORIES, *_ADVISORIES_LEGACY])
        for key in _ADVISORIES_LEGACY:
            if key in table:
                self.deprecated((*path, key), _REPLACEMENTS[(*path, key)])
        urls = r.named_list(table, "db-urls", path)
        if "db-url" in table:
            urls = (*urls, r.named(table["db-url"], (*path, "db-url")))
        ignore: list[AdvisoryIgnore] = []
        ignore_yanked: list[SpecEntry] = []
        for i, item in enumerate(r.array(table, "ignore", path)):
            where = (*path, "ignore", i)
            if isinstance(item, str) and _looks_like_advisory_id(item):
                ignore.append(AdvisoryIgnore(id=r.named(item, where)))
            elif isinstance(item, dict) and "id" in item:
                r.known_keys(item, where, ["id", "reason"])
                ignore.append(
                    AdvisoryIgnore(
                        id=r.named(item["id"], (*where, "id")),
                        reason=r.opt_named(item, "reason", where),
                    )
                )
            elif isinstance(item, (str, dict)):
                ignore_yanked.append(r.spec_entry(item, where))
            else:
                r.expect(item, "an advisory id or a crate spec", where)
        unmaintained, unmaintained_level = self.scope(table, "unmaintained")
        unsound, unsound_level = self.scope(table, "unsound")
        severity = r.opt_string(table, "severity-threshold", path)
        if severity is not None and severity.lower() not in (
            "none",
            "low",
            "medium",
            "high",
            "critical",
        ):
            r.fail((*path, "severity-threshold"), f"{severity!r} is not a CVSS severity")
        return AdvisoriesConfig(
            db_path=r.opt_string(table, "db-path", path),
            db_urls=urls,
            ignore=tuple(ignore),
            ignore_yanked=tuple(ignore_yanked),
            unmaintained=unmaintained,
            unmaintained_level=unmaintained_level,
            unsound=unsound,
            unsound_level=unsound_level,
            vulnerability=r.lint(table, "vulnerability", path, LintLevel.DENY),
            notice=r.lint(table, "notice", path, LintLevel.DENY),
            severity_threshold=severity,
            yanked=r.lint(table, "yanked", path, LintLevel.WARN),
            yanked_at=r.span((*path, "yanked")) if "yanked" in table else None,
            git_fetch_with_cli=r.boolean(table, "git-fetch-with-cli", path, False),
            disable_yank_checking=r.boolean(table, "disable-yank-checking", path, False),
            maximum_db_staleness=self.duration(table, "maximum-db-staleness"),
            unused_ignored_advisory=r.lint(table, "unused-ignored-advisory", path, LintLevel.WARN),
        )

    def scope(self, table: Mapping[str, Any], key: str) -> tuple[Scope, LintLevel]:
        r = self.r
        where = ("advisories", key)
        value = table.get(key)
        if value is None:
            return Scope.ALL, LintLevel.DENY
        text = r.string(value, where)
        if text in {level.value for level in LintLevel}:
            self.deprecated(where, _REPLACEMENTS[where])
            level = LintLevel(text)
            return Scope.ALL, level
        return Scope(r.choice(text, where, [s.value for s in Scope])), LintLevel.DENY

    def duration(self, table: Mapping[str, Any], key: str) -> dt.timedelta:
        r = self.r
        where = ("advisories", key)
        text = r.opt_string(table, key, ("advisories",))
        if text is None:
            return dt.timedelta(days=90)
        try:
            return parse_rfc3339_duration(text)
        except ValueError as e:
            r.fail(where, f"{text!r} is not an RFC 3339 duration (e.g. P90D): {e}")

    # --- [licenses] -----------------------------------------------------------------------

    def licenses(self, table: dict[str, Any]) -> LicensesConfig:
        r = self.r
        path: Path = ("licenses",)
        r.known_keys(table, path, [*_LICENSES, *_LICENSES_LEGACY])
        for key in _LICENSES_LEGACY:
            if key in table:
                self.deprecated((*path, key), _REPLACEMENTS[(*path, key)])
        threshold = table.get("confidence-threshold", 0.8)
        if (
            isinstance(threshold, bool)
            or not isinstance(threshold, (int, float))
            or not (0.0 <= threshold <= 1.0)
        ):
            r.expect(threshold, "a number between 0.0 and 1.0", (*path, "confidence-threshold"))
        private = r.subtable(table, "private", path)
        r.known_keys(private, (*path, "private"), ["ignore", "registries", "ignore-sources"])
        copyleft = table.get("copyleft")
        blanket = table.get("allow-osi-fsf-free", "neither")
        return LicensesConfig(
            allow=r.named_list(table, "allow", path),
            exceptions=tuple(
                self.exception(item, (*path, "exceptions", i))
                for i, item in enumerate(r.array(table, "exceptions", path))
            ),
            clarify=tuple(
                self.clarification(item, (*path, "clarify", i))
                for i, item in enumerate(r.array(table, "clarify", path))
            ),
            private=PrivateConfig(
                ignore=r.boolean(private, "ignore", (*path, "private"), False),
                registries=r.strings(private, "registries", (*path, "private")),
                ignore_sources=r.strings(private, "ignore-sources", (*path, "private")),
            ),
            confidence_threshold=float(threshold),
            include_dev=r.boolean(table, "include-dev", path, False),
            include_build=r.boolean(table, "include-build", path, True),
            unused_allowed_license=r.lint(table, "unused-allowed-license", path, LintLevel.WARN),
            unused_license_exception=r.lint(
                table, "unused-license-exception", path, LintLevel.WARN
            ),
            unlicensed=r.lint(table, "unlicensed", path, LintLevel.DENY),
            deny=r.named_list(table, "deny", path),
            copyleft=None if copyleft is None else r.lint_value(copyleft, (*path, "copyleft")),
            allow_osi_fsf_free=BlanketAgreement(
                r.choice(
                    blanket, (*path, "allow-osi-fsf-free"), [b.value for b in BlanketAgreement]
                )
            ),
            default=r.lint(table, "default", path, LintLevel.DENY),
        )

    def exception(self, item: object, where: Path) -> LicenseException:
        r = self.r
        spec = r.spec(item, where, ["allow", "reason"])
        table = r.table(item, where)
        if "allow" not in table:
            r.fail(where, "missing `allow` (the licenses allowed for this crate)")
        return LicenseException(
            spec=spec,
            allow=r.named_list(table, "allow", where),
            reason=r.opt_named(table, "reason", where),
        )

    def clarification(self, item: object, where: Path) -> Clarification:
        r = self.r
        spec = r.spec(item, where, ["expression", "license-files"])
        table = r.table(item, where)
        if "expression" not in table:
            r.fail(where, "missing `expression` (the SPDX expression of the crate)")
        files = []
        for i, entry in enumerate(r.array(table, "license-files", where)):
            fwhere = (*where, "license-files", i)
            ftable = r.table(entry, fwhere)
            r.known_keys(ftable, fwhere, ["path", "hash"])
            value = ftable.get("hash")
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**32:
                r.expect(value, "a 32-bit hash (e.g. 0xbd0eed23)", (*fwhere, "hash"))
            files.append(
                ClarifyFile(
                    path=r.string(ftable.get("path"), (*fwhere, "path")),
                    hash=value,
                    at=r.span(fwhere),
                )
            )
        return Clarification(
            spec=spec,
            expression=r.named(table["expression"], (*where, "expression")),
            license_files=tuple(files),
        )

    # --- [bans] ---------------------------------------------------------------------------

    def bans(self, table: dict[str, Any]) -> BansConfig:
        r = self.r
        path: Path = ("bans",)
        r.known_keys(table, path, [*_BANS, "allow-build-scripts"])
        build = None
        if "build" in table:
            build = self.build(r.table(table["build"], (*path, "build")))
        if "allow-build-scripts" in table:
            self.deprecated(
                (*path, "allow-build-scripts"), _REPLACEMENTS[(*path, "allow-build-scripts")]
            )
            if build is None:
                build = BuildConfig(
                    allow_build_scripts=tuple(
                        r.spec(item, (*path, "allow-build-scripts", i))
                        for i, item in enumerate(r.array(table, "allow-build-scripts", path))
                    ),
                    executables=LintLevel.ALLOW,
                    interpreted=LintLevel.WARN,
                )
        workspace = r.subtable(table, "workspace-dependencies", path)
        r.known_keys(
            workspace,
            (*path, "workspace-dependencies"),
            ["duplicates", "include-path-dependencies", "unused"],
        )
        if "workspace-dependencies" in table or "allow-workspace" in table:
            key = (
                "workspace-dependencies" if "workspace-dependencies" in table else "allow-workspace"
            )
            self.warnings.append(
                ConfigWarning(
                    message=f"`bans.{key}` is accepted but not checked by cratewatch",
                    at=r.spans.key((*path, key)),
                    code="unsupported-option",
                )
            )
        features_level = {}
        for key in ("external-default-features", "workspace-default-features"):
            features_level[key] = (
                None if key not in table else r.lint_value(table[key], (*path, key))
            )
        deny = tuple(
            self.ban(item, (*path, "deny", i))
            for i, item in enumerate(r.array(table, "deny", path))
        )
        return BansConfig(
            multiple_versions=r.lint(table, "multiple-versions", path, LintLevel.WARN),
            multiple_versions_include_dev=r.boolean(
                table, "multiple-versions-include-dev", path, False
            ),
            highlight=r.choice(
                table.get("highlight", "all"),
                (*path, "highlight"),
                ["all", "lowest-version", "simplest-path"],
            ),
            deny=deny,
            allow=self.spec_entries(table, "allow"),
            skip=self.spec_entries(table, "skip"),
            skip_tree=tuple(
                self.tree_skip(item, (*path, "skip-tree", i))
                for i, item in enumerate(r.array(table, "skip-tree", path))
            ),
            features=tuple(
                self.feature_ban(item, (*path, "features", i))
                for i, item in enumerate(r.array(table, "features", path))
            ),
            external_default_features=features_level["external-default-features"],
            external_default_features_at=r.span((*path, "external-default-features")),
            workspace_default_features=features_level["workspace-default-features"],
            workspace_default_features_at=r.span((*path, "workspace-default-features")),
            wildcards=r.lint(table, "wildcards", path, LintLevel.ALLOW),
            allow_wildcard_paths=r.boolean(table, "allow-wildcard-paths", path, False),
            build=build,
        )

    def spec_entries(self, table: Mapping[str, Any], key: str) -> tuple[SpecEntry, ...]:
        r = self.r
        return tuple(
            r.spec_entry(item, ("bans", key, i))
            for i, item in enumerate(r.array(table, key, ("bans",)))
        )

    def ban(self, item: object, where: Path) -> BanEntry:
        r = self.r
        extra = ["wrappers", "deny-multiple-versions", "reason", "use-instead"]
        spec = r.spec(item, where, extra)
        if not isinstance(item, dict):
            return BanEntry(spec=spec)
        wrappers = r.named_list(item, "wrappers", where)
        multiple = r.boolean(item, "deny-multiple-versions", where, False)
        if wrappers and multiple:
            r.fail(where, "a ban cannot have both `wrappers` and `deny-multiple-versions = true`")
        return BanEntry(
            spec=spec,
            wrappers=wrappers,
            deny_multiple_versions=multiple,
            reason=r.opt_named(item, "reason", where),
            use_instead=r.opt_named(item, "use-instead", where),
        )

    def tree_skip(self, item: object, where: Path) -> TreeSkip:
        r = self.r
        spec = r.spec(item, where, ["depth", "reason"])
        if not isinstance(item, dict):
            return TreeSkip(spec=spec)
        return TreeSkip(
            spec=spec,
            depth=r.integer(item, "depth", where),
            reason=r.opt_named(item, "reason", where),
        )

    def feature_ban(self, item: object, where: Path) -> FeatureBan:
        r = self.r
        spec = r.spec(item, where, ["allow", "deny", "exact", "reason"])
        table = r.table(item, where)
        allow = r.named_list(table, "allow", where)
        deny = r.named_list(table, "deny", where)
        both = {a.value for a in allow} & {d.value for d in deny}
        if both:
            r.fail(where, f"feature {sorted(both)[0]!r} is both allowed and denied")
        return FeatureBan(
            spec=spec,
            allow=allow,
            allow_at=r.span((*where, "allow")),
            deny=deny,
            exact=r.boolean(table, "exact", where, False),
            exact_at=r.span((*where, "exact")),
            reason=r.opt_named(table, "reason", where),
        )

    def build(self, table: dict[str, Any]) -> BuildConfig:
        r = self.r
        path: Path = ("bans", "build")
        r.known_keys(table, path, _BUILD)
        scripts = None
        if "allow-build-scripts" in table:
            scripts = tuple(
                r.spec(item, (*path, "allow-build-scripts", i))
                for i, item in enumerate(r.array(table, "allow-build-scripts", path))
            )
        extensions = r.named_list(table, "script-extensions", path)
        for i, ext in enumerate(extensions):
            if not ext.value or not ext.value.isascii() or not ext.value.isalnum():
                r.fail((*path, "script-extensions", i), f"{ext.value!r} is not a file extension")
        return BuildConfig(
            allow_build_scripts=scripts,
            executables=r.lint(table, "executables", path, LintLevel.DENY),
            interpreted=r.lint(table, "interpreted", path, LintLevel.ALLOW),
            script_extensions=extensions,
            enable_builtin_globs=r.boolean(table, "enable-builtin-globs", path, False),
            include_dependencies=r.boolean(table, "include-dependencies", path, False),
            include_workspace=r.boolean(table, "include-workspace", path, False),
            include_archives=r.boolean(table, "include-archives", path, False),
            bypass=tuple(
                self.bypass(item, (*path, "bypass", i))
                for i, item in enumerate(r.array(table, "bypass", path))
            ),
        )

    def bypass(self, item: object, where: Path) -> Bypass:
        r = self.r
        spec = r.spec(item, where, ["build-script", "required-features", "allow-globs", "allow"])
        table = r.table(item, where)
        allow = []
        for i, entry in enumerate(r.array(table, "allow", where)):
            awhere = (*where, "allow", i)
            atable = r.table(entry, awhere)
            r.known_keys(atable, awhere, ["path", "checksum"])
            path = r.named(atable.get("path"), (*awhere, "path"))
            if path.value.startswith("/"):
                r.fail((*awhere, "path"), "absolute paths are not allowed")
            allow.append(BypassPath(path=path, checksum=self.checksum(atable, "checksum", awhere)))
        return Bypass(
            spec=spec,
            build_script=self.checksum(table, "build-script", where),
            required_features=r.named_list(table, "required-features", where),
            allow_globs=r.named_list(table, "allow-globs", where),
            allow=tuple(sorted(allow, key=lambda a: a.path.value)),
        )

    def checksum(self, table: Mapping[str, Any], key: str, where: Path) -> Named | None:
        r = self.r
        value = r.opt_named(table, key, where)
        if value is not None and re.fullmatch(r"[0-9a-fA-F]{64}", value.value) is None:
            r.fail((*where, key), f"{value.value!r} is not a SHA-256 in hex (64 characters)")
        return value

    # --- [sources] ------------------------------------------------------------------------

    def sources(self, table: dict[str, Any]) -> SourcesConfig:
        r = self.r
        path: Path = ("sources",)
        r.known_keys(table, path, _SOURCES)
        orgs = r.subtable(table, "allow-org", path)
        r.known_keys(orgs, (*path, "allow-org"), ["github", "gitlab", "bitbucket"])
        spec = table.get("required-git-spec")
        registries = (
            r.named_list(table, "allow-registry", path)
            if "allow-registry" in table
            else SourcesConfig().allow_registry
        )
        return SourcesConfig(
            unknown_registry=r.lint(table, "unknown-registry", path, LintLevel.WARN),
            unknown_git=r.lint(table, "unknown-git", path, LintLevel.WARN),
            required_git_spec=None
            if spec is None
            else GitSpec[
                r.choice(
                    spec, (*path, "required-git-spec"), ["any", "branch", "tag", "rev"]
                ).upper()
            ],
            required_git_spec_at=r.span((*path, "required-git-spec")),
            allow_registry=registries,
            allow_git=r.named_list(table, "allow-git", path),
            private=r.named_list(table, "private", path),
            allow_org={
                key: r.named_list(orgs, key, (*path, "allow-org"))
                for key in ("github", "gitlab", "bitbucket")
                if key in orgs
            },
            unused_allowed_source=r.lint(table, "unused-allowed-source", path, LintLevel.WARN),
        )


def _looks_like_advisory_id(text: str) -> bool:
    return re.fullmatch(r"(RUSTSEC|CVE|GHSA|TROVE|OSV)-[0-9A-Za-z-]+", text) is not None


_DURATION = re.compile(
    r"P(?:(?P<weeks>\d+(?:\.\d+)?)W|"
    r"(?:(?P<years>\d+(?:\.\d+)?)Y)?(?:(?P<months>\d+(?:\.\d+)?)M)?(?:(?P<days>\d+(?:\.\d+)?)D)?"
    r"(?:T(?:(?P<hours>\d+(?:\.\d+)?)H)?(?:(?P<minutes>\d+(?:\.\d+)?)M)?"
    r"(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?)"
)


def parse_rfc3339_duration(text: str) -> dt.timedelta:
    """An RFC 3339 duration (``P90D``, ``PT12H``, ``P1Y2M``, ``P2W``) as cargo-deny reads it:
    a month is 30.43 days and a year 365 days.

    >>> parse_rfc3339_duration("P1DT12H")
    datetime.timedelta(days=1, seconds=43200)
    """
    if "," in text:
        raise ValueError("use '.' rather than ',' for fractions")
    match = _DURATION.fullmatch(text)
    if match is None or text in ("P", "PT") or text.endswith("T"):
        raise ValueError("expected P[nY][nM][nD][T[nH][nM][nS]] or PnW")
    parts = {k: float(v) for k, v in match.groupdict().items() if v is not None}
    if not parts:
        raise ValueError("no duration given")
    days = (
        parts.get("weeks", 0) * 7
        + parts.get("years", 0) * 365
        + parts.get("months", 0) * 30.43
        + parts.get("days", 0)
    )
    seconds = parts.get("hours", 0) * 3600 + parts.get("minutes", 0) * 60 + parts.get("seconds", 0)
    return dt.timedelta(days=days, seconds=seconds)
