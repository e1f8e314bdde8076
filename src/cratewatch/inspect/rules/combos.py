"""Combinations: behaviours that are each explainable alone but malicious together.

At build time (build script and proc-macro code taken together):

* network + a secret (token variable, every variable, credential file) -> ``critical``
  ``combo.exfiltration``;
* network + running something that is not a toolchain program, or making a file executable
  -> ``critical`` ``combo.download-execute``;
* a CI check + network or execution -> ``critical`` ``combo.ci-gated``;
* obfuscation + network, execution or secrets -> ``critical`` ``combo.obfuscated-behaviour``.

In runtime code the same evidence must sit in one file and the results are milder
(``high`` for download-and-execute and CI-gated network plus execution, ``medium`` for
network next to secrets, which HTTP API clients legitimately do).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence

from cratewatch.inspect.model import Role, Severity, Signal

__all__ = ["combine"]

_NET = frozenset(
    {
        "network.socket",
        "network.http-client",
        "network.dns",
        "network.suspicious-url",
        "process.network-tool",
        "process.shell-network",
    }
)
_SECRET = frozenset({"env.secret", "env.dump", "fs.sensitive-path"})
_CI = frozenset({"env.ci"})
_EXEC = frozenset(
    {
        "fs.make-executable",
        "process.spawn",
        "process.shell",
        "process.shell-script",
        "process.exec",
        "process.exec-shipped-binary",
        "process.shell-network",
    }
)
_RUNTIME_EXEC = frozenset({"fs.make-executable", "process.exec", "process.shell-network"})


def combine(signals: Sequence[Signal]) -> Iterator[Signal]:
    """The combination signals implied by *signals* (which are not repeated)."""
    build = [s for s in signals if s.role is not None and s.role.at_build_time]
    yield from _build_time(build)
    by_file: dict[str, list[Signal]] = defaultdict(list)
    for s in signals:
        if s.role in (Role.RUNTIME, Role.GENERATED):
            by_file[s.file].append(s)
    for group in by_file.values():
        yield from _runtime(group)


def _pick(signals: Iterable[Signal], ids: frozenset[str], *, prefix: str = "") -> list[Signal]:
    return [s for s in signals if s.id in ids or (prefix and s.id.startswith(prefix))]


def _strong_net(signals: Sequence[Signal]) -> list[Signal]:
    return [s for s in _pick(signals, _NET) if s.severity >= Severity.HIGH]


def _where(signal: Signal) -> str:
    return f"{signal.file}:{signal.line}" if signal.line else signal.file


def _combo(
    anchor: Signal,
    partner: Signal,
    *,
    id: str,
    severity: Severity,
    why: str,
) -> Signal:
    return Signal(
        id=id,
        severity=severity,
        file=anchor.file,
        line=anchor.line,
        end_line=anchor.end_line,
        excerpt=anchor.excerpt,
        why=f"{why} (see {_where(partner)}).",
        role=anchor.role,
    )


def _build_time(signals: Sequence[Signal]) -> Iterator[Signal]:
    net = _strong_net(signals)
    secret = _pick(signals, _SECRET)
    execs = [s for s in _pick(signals, _EXEC) if s.severity >= Severity.LOW]
    ci = _pick(signals, _CI)
    obfuscated = _pick(signals, frozenset(), prefix="obfuscation.")
    if net and secret:
        yield _combo(
            net[0],
            secret[0],
            id="combo.exfiltration",
            severity=Severity.CRITICAL,
            why="Build-time code both reads secrets (credentials, tokens or the whole "
            "environment) and reaches the network: the shape of credential theft",
        )
    partners = [s for s in execs if not net or s is not net[0]]
    partners += _pick(signals, frozenset({"process.shell-network"}))
    if net and partners:
        yield _combo(
            net[0],
            partners[0],
            id="combo.download-execute",
            severity=Severity.CRITICAL,
            why="Build-time code reaches the network and also runs a program or makes a file "
            "executable: it can download and execute a payload",
        )
    if ci and (net or execs):
        partner = net[0] if net else execs[0]
        yield _combo(
            ci[0],
            partner,
            id="combo.ci-gated",
            severity=Severity.CRITICAL,
            why="Build-time code checks whether it runs in CI and also reaches the network or "
            "runs programs: malware does this to act only where deploy tokens live",
        )
    if obfuscated and (net or execs or secret):
        partner = (net or execs or secret)[0]
        yield _combo(
            obfuscated[0],
            partner,
            id="combo.obfuscated-behaviour",
            severity=Severity.CRITICAL,
            why="Build-time code hides data or strings and also reaches the network, runs "
            "programs or reads secrets",
        )


def _runtime(signals: Sequence[Signal]) -> Iterator[Signal]:
    net = _pick(signals, _NET)
    if not net:
        return
    execs = _pick(signals, _RUNTIME_EXEC)
    secret = _pick(signals, _SECRET)
    ci = _pick(signals, _CI)
    any_exec = _pick(signals, _EXEC)
    if execs and execs[0] is not net[0]:
        yield _combo(
            net[0],
            execs[0],
            id="combo.download-execute",
            severity=Severity.HIGH,
            why="This code reaches the network and makes files executable or runs shell "
            "command lines: it can download and execute a payload",
        )
    if ci and (any_exec or secret):
        yield _combo(
            ci[0],
            net[0],
            id="combo.ci-gated",
            severity=Severity.HIGH,
            why="This code checks for a CI environment, reaches the network and runs programs "
            "or reads secrets: behaviour that hides from developers and targets build servers",
        )
    elif ci:
        yield _combo(
            ci[0],
            net[0],
            id="combo.ci-gated",
            severity=Severity.MEDIUM,
            why="This code checks for a CI environment and reaches the network",
        )
    if secret:
        yield _combo(
            net[0],
            secret[0],
            id="combo.exfiltration",
            severity=Severity.MEDIUM,
            why="This code reads secrets and reaches the network; fine for an API client, "
            "suspicious anywhere else",
        )
