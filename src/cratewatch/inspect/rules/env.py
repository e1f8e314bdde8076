"""Environment access: secret-looking variables, CI detection, dumping every variable.

Build scripts read ``TARGET``, ``OUT_DIR``, ``CARGO_*``, ``PROFILE``, ``CC``... all the time:
those produce nothing. Reading a token, a key or a password at build time is ``medium`` on its
own (and ``critical`` next to network access, see the combination rules); iterating over
every variable is ``low`` (build scripts do it to collect ``CARGO_FEATURE_*``); checking for a
CI system is ``low`` (it is how malware hides from developers). ``env!``/``option_env!`` of a
secret bakes the builder's secret into the compiled code: ``medium`` everywhere.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from tree_sitter import Node

from cratewatch.inspect.model import Severity, Signal
from cratewatch.inspect.rules.base import FileContext, by_role, make_signal, role_of
from cratewatch.inspect.syntax import Site

__all__ = ["EnvKind", "check", "classify_variable"]

_SECRET = re.compile(
    r"TOKEN|SECRET|PASSW|PRIVATE_?KEY|API_?KEY|ACCESS_?KEY|CREDENTIAL|AUTH_?KEY|SESSION_?KEY|"
    r"_PAT$|^PAT_|WEBHOOK|SSH_AUTH_SOCK|SIGNING_KEY|ENCRYPTION_KEY|_KEY$|^AWS_|^AZURE_CLIENT|"
    r"^GOOGLE_APPLICATION_CREDENTIALS$|^NPM_|^DOCKER_AUTH|^KUBECONFIG$|COOKIE",
    re.IGNORECASE,
)
_NOT_SECRET = re.compile(
    r"^AWS_LC_|^AWS_REGION$|^AWS_DEFAULT_REGION$|^AWS_EXECUTION_ENV$|^CARGO_PKG_|^CARGO_CFG_|"
    r"^CARGO_FEATURE_|^DEP_|_KEY_TYPE$|^RING_",
    re.IGNORECASE,
)
_CI = re.compile(
    r"^(?:CI|CONTINUOUS_INTEGRATION|BUILD_NUMBER|GITHUB_ACTIONS|GITHUB_WORKFLOW|GITHUB_RUN_ID|"
    r"GITHUB_REPOSITORY|GITLAB_CI|CI_PROJECT_[A-Z_]+|CI_JOB_ID|TRAVIS|CIRCLECI|JENKINS_URL|"
    r"JENKINS_HOME|BUILDKITE|TF_BUILD|APPVEYOR|DRONE|TEAMCITY_VERSION|BITBUCKET_BUILD_NUMBER|"
    r"CODEBUILD_BUILD_ID|SEMAPHORE|BUDDY|CIRRUS_CI|NETLIFY|VERCEL|HEROKU_TEST_RUN_ID)$"
)
_HOME = re.compile(
    r"^(?:HOME|USERPROFILE|APPDATA|LOCALAPPDATA|XDG_CONFIG_HOME|XDG_DATA_HOME|USER|USERNAME|"
    r"LOGNAME|HOSTNAME|COMPUTERNAME)$"
)
_READ_PATHS = frozenset({"std::env::var", "std::env::var_os", "dotenv::var", "dotenvy::var"})
_DUMP_PATHS = frozenset({"std::env::vars", "std::env::vars_os", "dotenv::vars", "dotenvy::vars"})
_COMPILE_TIME_MACROS = frozenset({"env", "option_env", "std::env", "std::option_env"})


class EnvKind:
    """Classes of environment variables (plain strings, stable in signal ids)."""

    SECRET = "secret"
    CI = "ci"
    HOME = "home"
    ORDINARY = "ordinary"


def classify_variable(name: str) -> str:
    """``secret``, ``ci``, ``home`` or ``ordinary``.

    >>> [classify_variable(n) for n in ("GITHUB_TOKEN", "GITLAB_CI", "HOME", "OUT_DIR")]
    ['secret', 'ci', 'home', 'ordinary']
    """
    upper = name.upper()
    if _SECRET.search(upper) and not _NOT_SECRET.search(upper):
        return EnvKind.SECRET
    if _CI.match(upper):
        return EnvKind.CI
    if _HOME.match(upper):
        return EnvKind.HOME
    return EnvKind.ORDINARY


def _resolves_env(path: str, ctx: FileContext) -> bool:
    return path.startswith("std::env::") or (
        path.startswith("env::") and ctx.file.mentions("std::env")
    )


def check(ctx: FileContext) -> Iterator[Signal]:
    """Environment signals of one file."""
    file = ctx.file
    for call in file.calls():
        path = next(
            (p for p in call.candidates if _resolves_env(p, ctx) or p in _READ_PATHS | _DUMP_PATHS),
            None,
        )
        if path is None:
            continue
        normalized = "std::" + path if path.startswith("env::") else path
        if normalized in _DUMP_PATHS:
            yield from _dump(ctx, call.site, normalized)
        elif normalized in _READ_PATHS and call.args:
            names = _names(ctx, call.args[0])
            yield from _read(ctx, call.site, names, compile_time=False)
    for site in file.walk("macro_invocation"):
        name = file.macro_name(site)
        if name not in _COMPILE_TIME_MACROS:
            continue
        args = file.macro_args(site)
        if args:
            yield from _read(ctx, site, _names(ctx, args[0].node), compile_time=True)


def _names(ctx: FileContext, node: Node) -> list[str]:
    value = ctx.file.string_value(node)
    if value is not None:
        return [value]
    return ctx.file.literal_strings(node)


def _dump(ctx: FileContext, site: Site, path: str) -> Iterator[Signal]:
    severity = by_role(role_of(ctx, site), build=Severity.LOW, runtime=Severity.INFO)
    if severity is not None:
        yield make_signal(
            ctx,
            site,
            id="env.dump",
            severity=severity,
            why=f"Iterates over every environment variable ({path}), which includes any "
            "secret the builder has set; harmless only if the values stay local.",
        )


def _read(
    ctx: FileContext, site: Site, names: list[str], *, compile_time: bool
) -> Iterator[Signal]:
    kinds = {classify_variable(n): n for n in names}
    role = role_of(ctx, site)
    if EnvKind.SECRET in kinds:
        variable = kinds[EnvKind.SECRET]
        if compile_time:
            severity: Severity | None = Severity.MEDIUM
            why = (
                f"Embeds the value of {variable} into the compiled code with env!/option_env!: "
                "the builder's secret ends up in the binary."
            )
            signal_id = "env.compile-time-secret"
        else:
            severity = by_role(role, build=Severity.MEDIUM, runtime=Severity.INFO)
            why = (
                f"Reads {variable}, which looks like a secret; build-time code has no use "
                "for credentials unless it talks to a service."
            )
            signal_id = "env.secret"
        if severity is not None:
            yield make_signal(ctx, site, id=signal_id, severity=severity, why=why)
    elif EnvKind.CI in kinds:
        severity = by_role(role, build=Severity.LOW, runtime=Severity.INFO)
        if severity is not None:
            yield make_signal(
                ctx,
                site,
                id="env.ci",
                severity=severity,
                why=f"Checks {kinds[EnvKind.CI]} to tell whether it runs in CI; malware uses "
                "this to act only on build servers, where tokens are.",
            )
    elif EnvKind.HOME in kinds and not compile_time:
        severity = by_role(role, build=Severity.LOW, runtime=Severity.INFO)
        if severity is not None:
            yield make_signal(
                ctx,
                site,
                id="env.home",
                severity=severity,
                why=f"Reads {kinds[EnvKind.HOME]}: build-time code looking at the user's home "
                "directory or identity.",
            )
