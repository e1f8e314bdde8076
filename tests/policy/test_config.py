"""deny.toml: current schema, deprecated 0.14 keys, precise errors and key positions."""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cratewatch.policy.config import (
    TEMPLATE,
    InvalidPolicyConfig,
    Scope,
    find_config,
    load_config,
    parse_config,
    parse_rfc3339_duration,
)
from cratewatch.policy.config.model import BlanketAgreement, GitSpec
from cratewatch.policy.config.spans import scan_spans
from cratewatch.policy.diagnostics import LintLevel
from cratewatch.semver import VersionReq


def test_template_parses_to_the_defaults_without_warnings() -> None:
    config = parse_config(TEMPLATE, path="deny.toml")
    assert config.warnings == ()
    assert config.advisories.unmaintained is Scope.ALL
    assert config.advisories.maximum_db_staleness == dt.timedelta(days=90)
    assert config.licenses.confidence_threshold == 0.8
    assert config.bans.multiple_versions is LintLevel.WARN
    assert [r.value for r in config.sources.allow_registry] == [
        "https://github.com/rust-lang/crates.io-index"
    ]
    assert config.output.feature_depth == 1


def test_empty_config_has_current_defaults() -> None:
    config = parse_config("")
    assert (config.advisories.unmaintained_level, config.advisories.yanked) == (
        LintLevel.DENY,
        LintLevel.WARN,
    )
    assert config.licenses.include_dev is False
    assert config.licenses.include_build is True
    assert config.licenses.copyleft is None
    assert config.bans.wildcards is LintLevel.ALLOW
    assert config.sources.unknown_git is LintLevel.WARN


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[bans]\nmultiple-versions = "deny"\nwildcard = "deny"\n',
            "deny.toml:3:1: bans.wildcard: unknown key (expected one of: multiple-versions, "
            "multiple-versions-include-dev, highlight, deny, allow, skip, skip-tree, features, "
            "external-default-features, workspace-default-features, wildcards, "
            "allow-wildcard-paths, build, workspace-dependencies, allow-workspace, "
            "allow-build-scripts)",
        ),
        (
            "[licence]\nallow = []\n",
            "deny.toml:1:1: licence: unknown key (expected one of: graph, output, advisories, "
            "licenses, bans, sources, targets, exclude, all-features, no-default-features, "
            "features, exclude-dev, feature-depth)",
        ),
        (
            '[licenses]\nallow = ["MIT", 3]\n',
            "deny.toml:2:17: licenses.allow[1]: expected a string, got 3",
        ),
        (
            '[bans]\nmultiple-versions = "forbid"\n',
            "deny.toml:2:21: bans.multiple-versions: 'forbid' is not a lint level "
            "(expected deny, warn or allow)",
        ),
        (
            '[bans]\ndeny = [\n  { crate = "openssl", wrappers = ["a"], color = "red" },\n]\n',
            "deny.toml:3:42: bans.deny[0].color: unknown key (expected one of: crate, wrappers, "
            "deny-multiple-versions, reason, use-instead)",
        ),
        (
            '[bans]\ndeny = [{ crate = "x@not-a-version" }]\n',
            "deny.toml:2:19: bans.deny[0].crate: '=not-a-version' is not a version "
            "requirement: unexpected character 'n' while parsing major version number",
        ),
        (
            '[bans]\ndeny = [{ version = "1" }]\n',
            "deny.toml:2:9: bans.deny[0]: missing `crate` (the crate name, optionally "
            "`name@version`)",
        ),
        (
            '[bans]\ndeny = [{ crate = "x", wrappers = ["a"], deny-multiple-versions = true }]\n',
            "deny.toml:2:9: bans.deny[0]: a ban cannot have both `wrappers` and "
            "`deny-multiple-versions = true`",
        ),
        (
            '[[bans.features]]\ncrate = "x"\nallow = ["a"]\ndeny = ["a"]\n',
            "deny.toml:1:1: bans.features[0]: feature 'a' is both allowed and denied",
        ),
        (
            '[advisories]\nunmaintained = "some"\n',
            "deny.toml:2:16: advisories.unmaintained: 'some' is not one of: all, workspace, "
            "transitive, none",
        ),
        (
            '[advisories]\nmaximum-db-staleness = "90 days"\n',
            "deny.toml:2:24: advisories.maximum-db-staleness: '90 days' is not an RFC 3339 "
            "duration (e.g. P90D): expected P[nY][nM][nD][T[nH][nM][nS]] or PnW",
        ),
        (
            "[licenses]\nconfidence-threshold = 1.5\n",
            "deny.toml:2:24: licenses.confidence-threshold: expected a number between 0.0 and "
            "1.0, got 1.5",
        ),
        (
            '[[licenses.clarify]]\ncrate = "ring"\nexpression = "MIT"\n'
            'license-files = [{ path = "LICENSE", hash = "abc" }]\n',
            "deny.toml:4:45: licenses.clarify[0].license-files[0].hash: expected a 32-bit hash "
            "(e.g. 0xbd0eed23), got 'abc'",
        ),
        (
            '[sources]\nrequired-git-spec = "commit"\n',
            "deny.toml:2:21: sources.required-git-spec: 'commit' is not one of: any, branch, "
            "tag, rev",
        ),
        (
            "[sources.allow-org]\ngitea = []\n",
            "deny.toml:2:1: sources.allow-org.gitea: unknown key (expected one of: github, "
            "gitlab, bitbucket)",
        ),
        (
            '[bans.build]\nbypass = [{ crate = "x", allow = [{ path = "/usr/bin/x" }] }]\n',
            "deny.toml:2:44: bans.build.bypass[0].allow[0].path: absolute paths are not allowed",
        ),
        (
            '[bans.build]\nscript-extensions = ["c s"]\n',
            "deny.toml:2:22: bans.build.script-extensions[0]: 'c s' is not a file extension",
        ),
        (
            'targets = ["a"]\n[graph]\ntargets = ["b"]\n',
            "deny.toml:1:1: targets: set both at the top level and in [graph]; keep [graph] "
            "targets",
        ),
        ("[bans]\nx = = 1\n", "deny.toml:2:5: invalid TOML: Invalid value"),
    ],
)
def test_bad_config_errors_name_file_line_and_key(text: str, message: str) -> None:
    with pytest.raises(InvalidPolicyConfig) as info:
        parse_config(text, path="deny.toml")
    assert str(info.value) == message


def test_deprecated_014_keys_still_work_and_name_their_replacement() -> None:
    text = """\
targets = [{ triple = "x86_64-unknown-linux-gnu" }]
exclude-dev = true
feature-depth = 2

[advisories]
vulnerability = "warn"
unmaintained = "warn"
unsound = "deny"
notice = "allow"
severity-threshold = "medium"

[licenses]
unlicensed = "warn"
copyleft = "deny"
allow-osi-fsf-free = "either"
default = "warn"
deny = ["GPL-3.0"]

[bans]
allow-build-scripts = [{ name = "cc" }]
"""
    config = parse_config(text, path="deny.toml")
    messages = [(w.at.line if w.at else 0, w.message) for w in config.warnings]
    assert messages == [
        (1, "`targets` is deprecated: move it to [graph] targets"),
        (2, "`exclude-dev` is deprecated: move it to [graph] exclude-dev"),
        (3, "`feature-depth` is deprecated: move it to [output] feature-depth"),
        (
            6,
            "`advisories.vulnerability` is deprecated: vulnerabilities are always denied now; "
            "accept one with an `ignore` entry and a reason",
        ),
        (
            9,
            "`advisories.notice` is deprecated: notice advisories are always denied now; "
            "accept one with an `ignore` entry and a reason",
        ),
        (
            10,
            "`advisories.severity-threshold` is deprecated: list the advisories you accept in "
            "`ignore`, with a reason",
        ),
        (
            7,
            '`advisories.unmaintained` is deprecated: use a scope: unmaintained = "all", '
            '"workspace", "transitive" or "none"',
        ),
        (
            8,
            '`advisories.unsound` is deprecated: use a scope: unsound = "all", "workspace", '
            '"transitive" or "none"',
        ),
        (
            13,
            "`licenses.unlicensed` is deprecated: crates without a license are always rejected "
            "now; add a [[licenses.clarify]] entry",
        ),
        (
            17,
            "`licenses.deny` is deprecated: licenses not listed in `allow` are always rejected "
            "now; remove them from `allow`",
        ),
        (
            14,
            "`licenses.copyleft` is deprecated: list the copyleft licenses you accept in "
            "`allow` (or in `exceptions` for some crates)",
        ),
        (
            15,
            "`licenses.allow-osi-fsf-free` is deprecated: list the licenses you accept in `allow`",
        ),
        (
            16,
            "`licenses.default` is deprecated: licenses not listed in `allow` are always "
            "rejected now",
        ),
        (20, "`bans.allow-build-scripts` is deprecated: use [bans.build] allow-build-scripts"),
    ]
    assert {w.code for w in config.warnings} == {"deprecated"}
    assert config.graph.targets[0].triple == "x86_64-unknown-linux-gnu"
    assert config.graph.exclude_dev is True
    assert config.output.feature_depth == 2
    advisories = config.advisories
    assert advisories.vulnerability is LintLevel.WARN
    assert (advisories.unmaintained, advisories.unmaintained_level) == (Scope.ALL, LintLevel.WARN)
    assert advisories.notice is LintLevel.ALLOW
    assert advisories.severity_threshold == "medium"
    licenses = config.licenses
    assert (licenses.unlicensed, licenses.copyleft, licenses.default) == (
        LintLevel.WARN,
        LintLevel.DENY,
        LintLevel.WARN,
    )
    assert licenses.allow_osi_fsf_free is BlanketAgreement.EITHER
    assert [d.value for d in licenses.deny] == ["GPL-3.0"]
    assert config.bans.build is not None
    assert [s.name for s in config.bans.build.allow_build_scripts or ()] == ["cc"]


@pytest.mark.parametrize(
    ("text", "name", "req"),
    [
        ('"serde"', "serde", None),
        ('"serde@1.0.100"', "serde", "=1.0.100"),
        ('"serde:<1.0.100"', "serde", "<1.0.100"),
        ('{ crate = "serde@1.0.100", reason = "r" }', "serde", "=1.0.100"),
        ('{ name = "serde", version = "^1" }', "serde", "^1"),
        ('{ name = "serde" }', "serde", None),
    ],
)
def test_package_spec_spellings(text: str, name: str, req: str | None) -> None:
    config = parse_config(f"[bans]\nskip = [{text}]\n")
    (entry,) = config.bans.skip
    assert entry.spec.name == name
    assert entry.spec.version == (None if req is None else VersionReq.parse(req))
    assert entry.spec.at is not None
    assert entry.spec.at.line == 2


def test_advisory_ignores_split_ids_and_yanked_specs() -> None:
    config = parse_config(
        '[advisories]\nignore = ["RUSTSEC-2020-0071", { id = "GHSA-xxxx-yyyy-zzzz", '
        'reason = "unused" }, "spin@0.9.8", { crate = "x@1.0.0", reason = "pinned" }]\n'
    )
    ids = [(i.id.value, i.reason.value if i.reason else None) for i in config.advisories.ignore]
    assert ids == [("RUSTSEC-2020-0071", None), ("GHSA-xxxx-yyyy-zzzz", "unused")]
    assert [(e.spec.name, str(e.spec.version)) for e in config.advisories.ignore_yanked] == [
        ("spin", "=0.9.8"),
        ("x", "=1.0.0"),
    ]


def test_sources_and_build_sections() -> None:
    config = parse_config(
        "[sources]\n"
        'allow-git = ["https://github.com/a/b"]\n'
        'required-git-spec = "tag"\n'
        '[sources.allow-org]\ngithub = ["embark"]\n'
        "[bans.build]\n"
        'allow-build-scripts = ["cc"]\n'
        'executables = "warn"\n'
        'bypass = [{ crate = "x", build-script = "' + "a" * 64 + '", allow-globs = ["*.sh"] }]\n'
    )
    assert config.sources.required_git_spec is GitSpec.TAG
    assert [o.value for o in config.sources.allow_org["github"]] == ["embark"]
    build = config.bans.build
    assert build is not None
    assert build.executables is LintLevel.WARN
    assert build.bypass[0].build_script is not None
    assert [g.value for g in build.bypass[0].allow_globs] == ["*.sh"]


def test_unsupported_options_are_accepted_with_a_warning() -> None:
    config = parse_config('[bans.workspace-dependencies]\nduplicates = "deny"\n')
    assert [(w.code, w.message) for w in config.warnings] == [
        (
            "unsupported-option",
            "`bans.workspace-dependencies` is accepted but not checked by cratewatch",
        )
    ]


def test_config_is_found_in_cargo_deny_locations(tmp_path: Path) -> None:
    assert find_config(tmp_path) is None
    (tmp_path / ".cargo").mkdir()
    (tmp_path / ".cargo" / "deny.toml").write_text("")
    assert find_config(tmp_path) == tmp_path / ".cargo" / "deny.toml"
    (tmp_path / ".deny.toml").write_text("")
    assert find_config(tmp_path) == tmp_path / ".deny.toml"
    (tmp_path / "deny.toml").write_text("[bans]\n")
    assert find_config(tmp_path) == tmp_path / "deny.toml"
    assert load_config(tmp_path / "deny.toml").path == str(tmp_path / "deny.toml")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("P90D", dt.timedelta(days=90)),
        ("PT12H", dt.timedelta(hours=12)),
        ("P2W", dt.timedelta(weeks=2)),
        ("P1Y", dt.timedelta(days=365)),
        ("P1M", dt.timedelta(days=30.43)),
        ("P1DT1H1M1S", dt.timedelta(days=1, seconds=3661)),
        ("PT0.5S", dt.timedelta(seconds=0.5)),
    ],
)
def test_rfc3339_durations(text: str, expected: dt.timedelta) -> None:
    assert parse_rfc3339_duration(text) == expected


@pytest.mark.parametrize("text", ["90D", "P", "PT", "P1H", "P1,5D", "P1DT"])
def test_bad_rfc3339_durations(text: str) -> None:
    with pytest.raises(ValueError, match=r"."):
        parse_rfc3339_duration(text)


_KEY = st.from_regex(r"[a-z][a-z0-9-]{0,8}", fullmatch=True)
_SCALAR = st.one_of(
    st.integers(min_value=-1000, max_value=1000),
    st.booleans(),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), max_size=12),
)


def _toml_scalar(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    assert isinstance(value, str)
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


@given(
    st.dictionaries(
        _KEY,
        st.dictionaries(_KEY, st.one_of(_SCALAR, st.lists(_SCALAR, max_size=4)), max_size=4),
        max_size=4,
    )
)
def test_spans_point_at_every_value_written(doc: dict[str, dict[str, object]]) -> None:
    lines: list[str] = []
    expected: dict[tuple[str | int, ...], str] = {}
    for table, entries in doc.items():
        lines.append(f"[{table}]")
        for key, value in entries.items():
            if isinstance(value, list):
                items = [_toml_scalar(v) for v in value]
                lines.append(f"{key} = [ {', '.join(items)} ]  # comment")
                for i, item in enumerate(items):
                    expected[(table, key, i)] = item
                continue
            text = _toml_scalar(value)
            lines.append(f"{key} = {text}")
            expected[(table, key)] = text
    source = "\n".join(lines) + "\n"
    tomllib.loads(source)
    spans = scan_spans(source)
    for path, text in expected.items():
        span = spans.value(path)
        assert span is not None, path
        assert span.text == text
        line = source.splitlines()[span.line - 1]
        assert line[span.column - 1 : span.column - 1 + len(text)] == text
