"""The labelled corpus: every malicious crate fails at the default --fail-on, no benign one does."""

from __future__ import annotations

from pathlib import Path

import pytest

from cratewatch.inspect.catalog import CATALOG
from cratewatch.inspect.model import InspectReport, Role, Severity
from cratewatch.inspect.scan import inspect_source
from cratewatch.inspect.source import from_directory

CORPUS = Path(__file__).resolve().parent.parent / "assets" / "inspect"

# crate directory -> (expected max severity, signal ids that must be among the findings)
MALICIOUS = {
    "finch-env-post": (
        Severity.CRITICAL,
        {
            "combo.exfiltration",
            "network.http-client",
            "env.dump",
            "network.suspicious-url",
            "build-deps.network",
        },
    ),
    "token-tcp-exfil": (Severity.CRITICAL, {"combo.exfiltration", "network.socket", "env.secret"}),
    "proc-macro-curl": (
        Severity.CRITICAL,
        {"process.network-tool", "combo.download-execute", "build.proc-macro"},
    ),
    "xor-build-payload": (
        Severity.CRITICAL,
        {
            "obfuscation.decoded-payload",
            "obfuscation.xor",
            "process.shell",
            "combo.obfuscated-behaviour",
        },
    ),
    "base64-build-payload": (Severity.CRITICAL, {"obfuscation.decoded-payload", "process.shell"}),
    "rustdecimal": (Severity.HIGH, {"combo.download-execute", "combo.ci-gated"}),
    "ssh-key-udp": (
        Severity.CRITICAL,
        {"combo.exfiltration", "network.socket", "fs.sensitive-path", "fs.home-dir"},
    ),
    "charcode-proc-macro": (
        Severity.CRITICAL,
        {"obfuscation.decoded-payload", "process.network-tool"},
    ),
    "ci-gated-revshell": (Severity.CRITICAL, {"combo.ci-gated", "process.shell-network", "env.ci"}),
    "shipped-binary-exec": (
        Severity.CRITICAL,
        {"process.exec-shipped-binary", "binary.executable", "binary.used-at-build"},
    ),
    "bashrc-persistence": (Severity.HIGH, {"fs.persistence", "network.suspicious-url"}),
    "dns-exfil": (Severity.CRITICAL, {"network.dns", "env.secret", "combo.exfiltration"}),
    "cargo-credentials-thief": (
        Severity.CRITICAL,
        {"fs.sensitive-path", "network.http-client", "combo.exfiltration"},
    ),
    "powershell-encoded": (Severity.CRITICAL, {"process.shell-network", "obfuscation.base64"}),
    "embedded-elf-dropper": (
        Severity.CRITICAL,
        {"obfuscation.include-binary", "fs.make-executable", "binary.executable"},
    ),
}

# crate directory -> the highest severity it may show (all below the default --fail-on)
BENIGN = {
    "rustc-probe": Severity.INFO,
    "cc-native": Severity.INFO,
    "pkg-config-sys": Severity.INFO,
    "git-version": Severity.INFO,
    "features-env": Severity.LOW,
    "derive-macro": Severity.INFO,
    "openssl-sys-like": Severity.INFO,
    "codegen-out-dir": Severity.INFO,
    "http-client-runtime": Severity.MEDIUM,
    "protoc-codegen": Severity.INFO,
    "windows-import-lib": Severity.LOW,
    "cmake-bindgen": Severity.LOW,
}


def _inspect(kind: str, name: str) -> InspectReport:
    return inspect_source(from_directory(CORPUS / kind / name))


def test_every_corpus_directory_is_labelled() -> None:
    assert sorted(p.name for p in (CORPUS / "malicious").iterdir()) == sorted(MALICIOUS)
    assert sorted(p.name for p in (CORPUS / "benign").iterdir()) == sorted(BENIGN)


@pytest.mark.parametrize("name", sorted(MALICIOUS))
def test_malicious_crates_fail_at_the_default_threshold(name: str) -> None:
    expected_max, expected_ids = MALICIOUS[name]
    report = _inspect("malicious", name)
    assert report.reaches(Severity.HIGH)
    assert report.max_severity is expected_max
    assert expected_ids <= {s.id for s in report.signals}


@pytest.mark.parametrize("name", sorted(BENIGN))
def test_benign_build_patterns_stay_below_high(name: str) -> None:
    report = _inspect("benign", name)
    assert not report.reaches(Severity.HIGH), [(s.id, s.severity) for s in report.signals]
    assert (report.max_severity or Severity.INFO) is BENIGN[name]


@pytest.mark.parametrize(
    ("kind", "name"), [*(("malicious", n) for n in MALICIOUS), *(("benign", n) for n in BENIGN)]
)
def test_every_emitted_id_is_documented(kind: str, name: str) -> None:
    assert {s.id for s in _inspect(kind, name).signals} <= set(CATALOG)


def test_signals_point_at_the_code() -> None:
    report = _inspect("malicious", "token-tcp-exfil")
    socket = next(s for s in report.signals if s.id == "network.socket")
    assert (socket.file, socket.line, socket.end_line) == ("build.rs", 15, 15)
    assert socket.excerpt == 'if let Ok(mut stream) = TcpStream::connect("telemetry-cdn.net:443") {'
    assert socket.role is Role.BUILD_SCRIPT


def test_signals_are_sorted_most_severe_first() -> None:
    for name in MALICIOUS:
        ranks = [s.severity.rank for s in _inspect("malicious", name).signals]
        assert ranks == sorted(ranks, reverse=True)
