"""The project the differential tests run both tools on: every check has something to find.

- sources: crates.io crates, a crate of another registry, git crates on github.com (a branch)
  and gitlab.com (a tag);
- bans: two versions of ``leaf`` (one through a dev-dependency too), a banned crate with a
  wrapper and a non-wrapper parent, ``*`` requirements in a registry crate and in a private
  path crate, features to allow/deny, a build script shipping a native executable, a script
  and a ``.py`` file, a proc-macro;
- licenses: dual licenses, ``/``, copyleft, an exception, ``WITH``, a ``LicenseRef``, an
  unparsable expression, a crate with only LICENSE files, one without any, a clarified one;
- advisories: a vulnerability, an unmaintained crate (direct and transitive), an unsound one,
  a notice and a withdrawn advisory.
"""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

from cratewatch.policy.licensetext import license_text
from tests.policy.cargo_project import CargoProject, VendoredCrate, manifest, registries_config

GITHUB = "git+https://github.com/someorg/gdep?branch=main"
GITLAB = "git+https://gitlab.com/team/tagged?tag=v1.0.0"
OTHER_REGISTRY = "registry+https://my.registry.example/index"
ELF = b"\x7fELF\x02\x01\x01" + bytes(120)
CLARIFIED_TEXT = "All of this is under the MIT license, the ISC license and the OpenSSL license.\n"

APP = manifest(
    "app",
    package='license = "MIT"\npublish = false',
    body="""
[dependencies]
mid = "0.1"
leaf = "2"
wrap = "1"
dual = "1"
slashed = "1"
gpl = "1"
gpllater = "1"
bsd = "1"
llvm = "1"
proprietary = "1"
broken = "1"
filesonly = "1"
nothing = "1"
clarified = "1"
feat = { version = "1", features = ["b"] }
sysish = "1"
pm = "1"
old = "1"
ub = "1"
noticed = "1"
pathy = { path = "pathy" }
gdep = { git = "https://github.com/someorg/gdep", branch = "main" }
tagged = { git = "https://gitlab.com/team/tagged", tag = "v1.0.0" }
other = { version = "0.2", registry = "myreg" }

[dev-dependencies]
devonly = "1"
""",
)
PATHY = manifest(
    "pathy", package='license = "MIT"\npublish = false', body='[dependencies]\nleaf = "*"'
)


def crates() -> list[VendoredCrate]:
    mit = 'license = "MIT"'
    return [
        VendoredCrate(name="leaf", version="1.0.0"),
        VendoredCrate(name="leaf", version="2.0.0"),
        VendoredCrate(
            name="mid",
            version="0.1.0",
            body='[dependencies]\nleaf = "1"\nstar = "*"\nbanned = "1"\ndeep = "1"',
        ),
        VendoredCrate(name="star", version="1.0.0"),
        VendoredCrate(name="star", version="0.9.0"),
        VendoredCrate(name="banned", version="1.0.0"),
        VendoredCrate(name="wrap", version="1.0.0", body='[dependencies]\nbanned = "1"'),
        VendoredCrate(
            name="devonly", version="1.0.0", body='[dependencies]\nstar = "0.9"\nleaf = "1"'
        ),
        VendoredCrate(name="dual", version="1.0.0", package='license = "MIT OR Apache-2.0"'),
        VendoredCrate(name="slashed", version="1.0.0", package='license = "MIT/Apache-2.0"'),
        VendoredCrate(name="gpl", version="1.0.0", package='license = "GPL-3.0-only"'),
        VendoredCrate(name="gpllater", version="1.0.0", package='license = "GPL-3.0-or-later"'),
        VendoredCrate(name="bsd", version="1.0.0", package='license = "BSD-3-Clause"'),
        VendoredCrate(
            name="llvm", version="1.0.0", package='license = "Apache-2.0 WITH LLVM-exception"'
        ),
        VendoredCrate(
            name="proprietary", version="1.0.0", package='license = "LicenseRef-Proprietary"'
        ),
        VendoredCrate(name="broken", version="1.0.0", package='license = "MIT OR"'),
        VendoredCrate(
            name="filesonly",
            version="1.0.0",
            package="",
            files={
                "LICENSE-MIT": license_text("MIT"),
                "LICENSE-APACHE": license_text("Apache-2.0"),
            },
        ),
        VendoredCrate(name="nothing", version="1.0.0", package=""),
        VendoredCrate(
            name="clarified", version="1.0.0", package="", files={"LICENSE": CLARIFIED_TEXT}
        ),
        VendoredCrate(
            name="feat",
            version="1.0.0",
            body='[features]\ndefault = ["a"]\na = []\nb = []\nc = []',
        ),
        VendoredCrate(
            name="sysish",
            version="1.0.0",
            package=mit,
            files={
                "build.rs": "fn main() {}\n",
                "bin/tool": ELF,
                "scripts/gen.py": "print('hi')\n",
                "configure": "#!/bin/sh\necho configuring\n",
            },
            modes={"configure": 0o755},
        ),
        VendoredCrate(name="pm", version="1.0.0", body="[lib]\nproc-macro = true"),
        VendoredCrate(name="old", version="1.0.0"),
        VendoredCrate(name="deep", version="1.0.0"),
        VendoredCrate(name="ub", version="1.0.0"),
        VendoredCrate(name="noticed", version="1.0.0"),
        VendoredCrate(
            name="gdep", version="0.3.0", source=GITHUB, body='[dependencies]\nleaf = "2"'
        ),
        VendoredCrate(name="tagged", version="1.0.0", source=GITLAB),
        VendoredCrate(name="other", version="0.2.1", source=OTHER_REGISTRY),
    ]


def build(root: Path, cargo: Path) -> CargoProject:
    """Write the project and lock it with *cargo*."""
    project = CargoProject(
        root, members={"": APP}, files={"pathy/Cargo.toml": PATHY, "pathy/src/lib.rs": ""}
    )
    project.add(*crates())
    project.write(
        cargo=cargo,
        extra_config=registries_config([("myreg", "https://my.registry.example/index")]),
    )
    return project


ADVISORIES = {
    "leaf/RUSTSEC-2024-0001.md": (
        "leaf",
        None,
        ">= 2.0.0",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N",
    ),
    "old/RUSTSEC-2024-0002.md": ("old", "unmaintained", None, None),
    "deep/RUSTSEC-2024-0003.md": ("deep", "unmaintained", None, None),
    "ub/RUSTSEC-2024-0004.md": ("ub", "unsound", ">= 2.0.0", None),
    "noticed/RUSTSEC-2024-0005.md": ("noticed", "notice", ">= 2.0.0", None),
    "dual/RUSTSEC-2024-0006.md": (
        "dual",
        None,
        ">= 2.0.0",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N",
    ),
    "star/RUSTSEC-2024-0007.md": (
        "star",
        None,
        ">= 5.0.0",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
    ),
}
WITHDRAWN = "bsd/RUSTSEC-2024-0008.md"


def advisory_db(root: Path) -> Path:
    """A git advisory database (CVSS 3.x vectors: cargo-deny 0.14.2 rejects 4.0)."""
    db = root / "advisory-db"
    for relative, (package, informational, patched, cvss) in ADVISORIES.items():
        _write_advisory(db / "crates" / relative, package, informational, patched, cvss)
    _write_advisory(db / "crates" / WITHDRAWN, "bsd", None, None, None, withdrawn="2024-03-01")
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.com", "PATH": "/usr/bin:/bin"}  # fmt: skip
    for command in (
        ["git", "init", "-q", "-b", "main"],
        ["git", "add", "."],
        ["git", "commit", "-q", "-m", "advisories"],
    ):
        subprocess.run(command, cwd=db, env=env, check=True, timeout=60)
    return db


def _write_advisory(
    path: Path,
    package: str,
    informational: str | None,
    patched: str | None,
    cvss: str | None,
    *,
    withdrawn: str | None = None,
) -> None:
    advisory_id = path.stem
    lines = [
        "```toml",
        "[advisory]",
        f'id = "{advisory_id}"',
        f'package = "{package}"',
        f'date = "{dt.date(2024, 1, 2).isoformat()}"',
        f'url = "https://example.com/{advisory_id}"',
    ]
    if informational:
        lines.append(f'informational = "{informational}"')
    if cvss:
        lines.append(f'cvss = "{cvss}"')
    if withdrawn:
        lines.append(f'withdrawn = "{withdrawn}"')
    lines += [
        "",
        "[versions]",
        f"patched = [{'' if patched is None else repr(patched).replace(chr(39), chr(34))}]",
        "```",
        "",
    ]
    lines += [f"# {package} has a problem", "", f"Details about {package}.", ""]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines))
