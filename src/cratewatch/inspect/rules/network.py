"""Network access: sockets, HTTP clients, DNS lookups and suspicious URLs.

A build script or proc-macro that talks to the network can fetch a payload or send data
away from the builder's machine: ``high``. In runtime code network use is ordinary and is
kept only as evidence for the combination rules; suspicious endpoints (request-capture
services, chat webhooks, raw public IPs) are reported everywhere.
"""

from __future__ import annotations

from collections.abc import Iterator

from cratewatch.inspect.model import Severity, Signal
from cratewatch.inspect.rules.base import (
    FileContext,
    by_role,
    make_signal,
    role_of,
    suspicious_url,
)
from cratewatch.inspect.syntax import Call

__all__ = ["HTTP_CRATES", "SOCKET_PATHS", "check"]

SOCKET_PATHS = (
    "std::net::TcpStream", "std::net::UdpSocket", "std::net::TcpListener",
    "std::net::ToSocketAddrs", "tokio::net", "async_std::net", "smol::net", "mio::net",
    "socket2", "std::os::unix::net",
)  # fmt: skip
"""Path prefixes of raw socket APIs (Unix sockets included: they reach local daemons)."""

HTTP_CRATES = frozenset(
    {
        "reqwest", "ureq", "curl", "hyper", "attohttpc", "minreq", "isahc", "surf", "http_req",
        "ehttp", "awc", "tungstenite", "tokio_tungstenite", "websocket", "ssh2", "ftp",
        "suppaftp", "lettre", "trust_dns_resolver", "hickory_resolver", "libcurl", "native_tls",
        "hyper_util", "reqwest_middleware", "octocrab", "rusoto_core", "aws_sdk_s3",
    }
)  # fmt: skip
"""Crates whose calls reach the network (HTTP, WebSocket, SSH, FTP, SMTP, DNS)."""

_DNS_METHODS = frozenset({"to_socket_addrs"})
_DNS_PATHS = ("std::net::ToSocketAddrs", "tokio::net::lookup_host", "dns_lookup")
_URL_SCHEMES = ("http://", "https://", "ftp://", "ws://", "wss://")


def check(ctx: FileContext) -> Iterator[Signal]:
    """Network signals of one file."""
    for call in ctx.file.calls():
        yield from _call(ctx, call)
    yield from _urls(ctx)


def _call(ctx: FileContext, call: Call) -> Iterator[Signal]:
    role = role_of(ctx, call.site)
    if call.method in _DNS_METHODS:
        severity = by_role(role, build=Severity.HIGH, runtime=Severity.INFO)
        if severity is not None:
            yield make_signal(
                ctx,
                call.site,
                id="network.dns",
                severity=severity,
                why="Resolves a host name; DNS queries can carry data out even when other "
                "traffic is blocked, and build-time code has no reason to look up hosts.",
            )
        return
    for path in call.candidates:
        kind = _kind(path)
        if kind is None:
            continue
        severity = by_role(role, build=Severity.HIGH, runtime=Severity.INFO)
        if severity is None:
            return
        if kind == "socket":
            why = (
                f"Opens a network socket ({path}). Code that runs while the crate is built "
                "should not connect anywhere; this can fetch payloads or send data away."
            )
            yield make_signal(ctx, call.site, id="network.socket", severity=severity, why=why)
        elif kind == "dns":
            why = f"Resolves host names ({path}) at build time."
            yield make_signal(ctx, call.site, id="network.dns", severity=severity, why=why)
        else:
            why = (
                f"Uses an HTTP/network client ({path}). Network access while the crate is "
                "built can download code or upload the builder's secrets."
            )
            yield make_signal(ctx, call.site, id="network.http-client", severity=severity, why=why)
        return


def _kind(path: str) -> str | None:
    if any(path == p or path.startswith(p + "::") for p in _DNS_PATHS):
        return "dns"
    if any(path == p or path.startswith(p + "::") for p in SOCKET_PATHS):
        return "socket"
    head = path.split("::", 1)[0]
    if head in HTTP_CRATES and "::" in path:
        return "http"
    return None


def _urls(ctx: FileContext) -> Iterator[Signal]:
    for site in ctx.file.walk("string_literal", "raw_string_literal"):
        value = ctx.file.string_value(site.node)
        if not value or not any(s in value.lower() for s in _URL_SCHEMES):
            continue
        for token in value.split():
            if not token.lower().startswith(_URL_SCHEMES):
                continue
            reason = suspicious_url(token.strip("\"'(),;"))
            if reason is None:
                continue
            role = role_of(ctx, site)
            severity = by_role(role, build=Severity.HIGH, runtime=Severity.MEDIUM)
            if severity is None:
                continue
            yield make_signal(
                ctx,
                site,
                id="network.suspicious-url",
                severity=severity,
                why=f"Contains the URL {_short(token)}: {reason}.",
            )
            break


def _short(text: str) -> str:
    return text if len(text) <= 100 else text[:97] + "..."
