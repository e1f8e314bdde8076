"""What every rule receives and the helpers rules share (signal building, text indicators).

A rule is a function ``(FileContext) -> Iterable[Signal]`` over one parsed Rust file.
Severities depend on when the code runs (:class:`~cratewatch.inspect.model.Role`): rules
pick one per role with :func:`by_role`. Signals a rule emits at ``INFO`` in runtime code
are evidence for the combination rules and are dropped from the report unless combined.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TypeAlias
from urllib.parse import urlsplit

from cratewatch.inspect.model import Role, Severity, Signal
from cratewatch.inspect.syntax import RustFile, Site

__all__ = [
    "NETWORK_TOOLS",
    "PACKAGE_MANAGERS",
    "FileContext",
    "FileRule",
    "Indicator",
    "by_role",
    "describe_indicators",
    "find_indicators",
    "make_signal",
    "persistence_path",
    "role_of",
    "sensitive_path",
    "suspicious_url",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class FileContext:
    """One Rust file to check, with what the crate around it holds."""

    file: RustFile
    """The parsed file."""
    role: Role
    """When the file's code runs."""
    crate_files: Mapping[str, bytes] = field(hash=False)
    """Every file of the crate (to look at what ``include_bytes!`` or a command names)."""
    binaries: Mapping[str, str] = field(hash=False)
    """Path -> kind description of shipped binary files."""


FileRule: TypeAlias = Callable[[FileContext], Iterable[Signal]]
"""A rule over one file."""


def role_of(ctx: FileContext, site: Site) -> Role:
    """The role of the code at *site*: ``quote!`` bodies are generated code, ``#[test]`` and
    ``#[cfg(test)]`` items are test code."""
    if ctx.file.in_test_code(site.line):
        return Role.TEST
    return site.fragment.role or ctx.role


def by_role(
    role: Role,
    *,
    build: Severity | None,
    runtime: Severity | None,
    proc_macro: Severity | None = None,
    generated: Severity | None = None,
) -> Severity | None:
    """Pick a severity for *role*; ``proc_macro`` defaults to ``build``, ``generated`` to
    ``runtime``. ``None`` means no signal (always for test code)."""
    match role:
        case Role.TEST:
            return None
        case Role.BUILD_SCRIPT:
            return build
        case Role.PROC_MACRO:
            return build if proc_macro is None else proc_macro
        case Role.RUNTIME:
            return runtime
        case Role.GENERATED:
            return runtime if generated is None else generated


def make_signal(
    ctx: FileContext,
    site: Site,
    *,
    id: str,
    severity: Severity,
    why: str,
) -> Signal:
    """A signal at *site* with the source lines as excerpt."""
    line, end_line = site.line, site.end_line
    return Signal(
        id=id,
        severity=severity,
        file=ctx.file.path,
        line=line,
        end_line=end_line,
        excerpt=ctx.file.excerpt(line, end_line),
        why=why,
        role=role_of(ctx, site),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Indicator:
    """Something in a piece of text that suggests network use, execution or data theft."""

    kind: str
    """``url``, ``suspicious-url``, ``downloader``, ``pipe-to-shell``, ``reverse-shell``,
    ``decode-exec``, ``make-executable``, ``sensitive-path``."""
    text: str
    """The matching text."""


NETWORK_TOOLS = frozenset(
    {
        "curl", "wget", "nc", "ncat", "netcat", "socat", "ssh", "scp", "sftp", "ftp", "tftp",
        "telnet", "rsync", "aria2c", "bitsadmin", "certutil", "invoke-webrequest", "iwr",
        "invoke-restmethod", "irm", "invoke-expression", "iex", "start-bitstransfer",
        "nslookup", "dig", "fetch",
    }
)  # fmt: skip
"""Programs whose main use is talking to the network."""

PACKAGE_MANAGERS = frozenset(
    {
        "npm", "npx", "yarn", "pnpm", "pip", "pip3", "gem", "apt", "apt-get", "brew", "choco",
        "winget", "docker", "podman", "go",
    }
)  # fmt: skip
"""Programs that download and run third-party code."""

_URL = re.compile(r"\b(?:https?|ftp|wss?)://[^\s\"'<>`]+", re.IGNORECASE)
_DOWNLOADER = re.compile(
    r"(?:^|[\s;&|(`$'\"])(curl|wget|nc|ncat|netcat|socat|invoke-webrequest|iwr|"
    r"invoke-restmethod|irm|bitsadmin|certutil|start-bitstransfer)(?=[\s;&|)`'\"]|$)",
    re.IGNORECASE,
)
_PIPE_TO_SHELL = re.compile(r"\|\s*(?:sudo\s+)?(?:ba|z|da|k)?sh\b|\|\s*iex\b|\|\s*python", re.I)
_REVERSE_SHELL = re.compile(r"/dev/(?:tcp|udp)/|\bnc\b[^\n]*\s-e\s|bash\s+-i\s+>&", re.I)
_DECODE_EXEC = re.compile(r"base64\s+(?:-d|--decode)|frombase64string|-encodedcommand", re.I)
_MAKE_EXEC = re.compile(r"chmod\s+(?:\+x|[0-7]?[1357][0-7]{2})\b", re.I)

_SENSITIVE_PATHS: tuple[tuple[str, str], ...] = (
    (r"\.ssh(?:/|$)|\bid_(?:rsa|dsa|ecdsa|ed25519)\b|authorized_keys", "SSH keys"),
    (r"\.aws/(?:credentials|config)", "AWS credentials"),
    (r"\.cargo/credentials", "the crates.io publish token"),
    (r"\.git-credentials|\.netrc\b|\.npmrc\b|\.pypirc\b", "stored credentials"),
    (r"\.docker/config\.json|\.kube/config|\.config/gcloud|\.azure/|\.config/gh/", "cloud tokens"),
    (r"\.gnupg(?:/|$)", "GPG keys"),
    (r"/etc/(?:shadow|passwd|sudoers)\b", "system accounts"),
    (r"\.(?:bash|zsh)_history\b", "shell history"),
    (r"google/chrome|google-chrome|chromium/|bravesoftware|\.mozilla/firefox|mozilla/firefox|"
     r"opera software|microsoft/edge|login data|/local state\b|/web data\b|\bkey4\.db\b|"
     r"\blogins\.json\b|/network/cookies", "browser profiles"),
    (r"wallet\.dat|\.bitcoin(?:/|$)|\.electrum|/exodus(?:/|$)|exodus\.wallet|\.ethereum/keystore|"
     r"keystore/utc--|metamask|nkbihfbeogaeaoehlefnkodbefgpgknn|solana/id\.json|"
     r"bfnaelmomeimhlpmgjnjophhpkkoljpa|\.monero|ledger live|atomic/local storage",
     "cryptocurrency wallets"),
)  # fmt: skip
_PERSISTENCE_PATHS = re.compile(
    r"\.(?:bashrc|bash_profile|zshrc|zprofile)\b|(?:^|/)\.profile\b|\.config/autostart|"
    r"/etc/cron|\bcrontab\b|/etc/systemd|\.config/systemd/user|launchagents|launchdaemons|"
    r"currentversion/run|/etc/rc\.local|ld\.so\.preload|\.git/hooks|\.cargo/bin/|"
    r"\.cargo/config",
    re.IGNORECASE,
)
_SENSITIVE = [(re.compile(p, re.IGNORECASE), what) for p, what in _SENSITIVE_PATHS]

_EXFIL_HOSTS = (
    "webhook.site", "requestbin", "pipedream.net", "ngrok.io", "ngrok-free.app", "ngrok.app",
    "interact.sh", "oast.", "burpcollaborator", "canarytokens", "pastebin.com", "paste.ee",
    "hastebin", "transfer.sh", "trycloudflare.com", "serveo.net", "loca.lt", "localtunnel.me",
    "ipinfo.io", "ifconfig.me", "api.ipify.org", "icanhazip.com", "requestcatcher", "beeceptor",
    "hookbin", "dnslog.cn", "ceye.io",
)  # fmt: skip
_EXFIL_PATHS = ("/api/webhooks/", "api.telegram.org/bot", "hooks.slack.com/services")


def sensitive_path(text: str) -> str | None:
    """What kind of secret a path-like text points at, if any."""
    normalized = text.replace("\\", "/")
    for pattern, what in _SENSITIVE:
        if pattern.search(normalized):
            return what
    return None


def persistence_path(text: str) -> bool:
    """Whether a path-like text names a place that runs code at login or on a schedule."""
    return _PERSISTENCE_PATHS.search(text.replace("\\", "/")) is not None


def suspicious_url(url: str) -> str | None:
    """Why a URL looks like an exfiltration or payload endpoint, if it does."""
    lowered = url.lower()
    service = next((h for h in _EXFIL_HOSTS if h in lowered), None)
    if service is not None:
        return f"{service} is a request-capture, tunnel or paste service"
    if any(path in lowered for path in _EXFIL_PATHS):
        return "it is a chat webhook, a common exfiltration channel"
    try:
        hostname = urlsplit(url).hostname or ""
    except ValueError:
        hostname = ""
    if hostname.endswith(".onion"):
        return "it is a Tor hidden service"
    try:
        address = ipaddress.ip_address(hostname)
    except ValueError:
        return None
    return "it names a raw public IP address instead of a host name" if address.is_global else None


def find_indicators(text: str) -> list[Indicator]:
    """Indicators of network use, execution or data theft in *text* (a command, a payload)."""
    found: list[Indicator] = []
    for url_match in _URL.finditer(text):
        url = url_match.group(0)
        kind = "suspicious-url" if suspicious_url(url) else "url"
        found.append(Indicator(kind=kind, text=url))
    for pattern, kind in (
        (_DOWNLOADER, "downloader"),
        (_PIPE_TO_SHELL, "pipe-to-shell"),
        (_REVERSE_SHELL, "reverse-shell"),
        (_DECODE_EXEC, "decode-exec"),
        (_MAKE_EXEC, "make-executable"),
    ):
        match = pattern.search(text)
        if match:
            found.append(Indicator(kind=kind, text=match.group(0).strip()))
    what = sensitive_path(text)
    if what is not None:
        found.append(Indicator(kind="sensitive-path", text=what))
    return found


def describe_indicators(indicators: Iterable[Indicator]) -> str:
    """A short human list: ``curl, a pipe into a shell``."""
    names = {
        "url": "a URL",
        "suspicious-url": "a suspicious URL",
        "downloader": "a downloader",
        "pipe-to-shell": "a pipe into a shell",
        "reverse-shell": "a reverse shell",
        "decode-exec": "decode-and-run",
        "make-executable": "chmod +x",
        "sensitive-path": "a secret file path",
    }
    seen: dict[str, None] = {}
    for indicator in indicators:
        label = names.get(indicator.kind, indicator.kind)
        if indicator.kind in ("downloader", "sensitive-path"):
            label = f"{label} ({indicator.text})"
        seen.setdefault(label, None)
    return ", ".join(seen)
