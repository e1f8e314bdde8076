"""Building real ``.crate`` files (gzip'd tarballs under ``NAME-VERSION/``) and a directory
index for the tests."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from collections.abc import Mapping
from pathlib import Path

from cratewatch.registry.paths import index_path


def make_crate(name: str, version: str, files: Mapping[str, bytes | str]) -> bytes:
    """A ``.crate`` (gzip-compressed tar under ``name-version/``) as cargo lays it out."""
    buf = io.BytesIO()
    with (
        gzip.GzipFile(fileobj=buf, mode="wb", mtime=0) as gz,
        tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar,
    ):
        for path, content in sorted(files.items()):
            data = content.encode() if isinstance(content, str) else content
            info = tarfile.TarInfo(f"{name}-{version}/{path}")
            info.size = len(data)
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def manifest(name: str, version: str, extra: str = "") -> str:
    return f'[package]\nname = "{name}"\nversion = "{version}"\nedition = "2021"\n{extra}'


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def index_line(name: str, version: str, cksum: str, *, yanked: bool = False) -> str:
    return json.dumps(
        {
            "name": name,
            "vers": version,
            "deps": [],
            "cksum": cksum,
            "features": {},
            "yanked": yanked,
        }
    )


def write_index(root: Path, dl: str, crates: Mapping[str, list[str]]) -> Path:
    """A directory index: ``config.json`` and one file of JSON lines per crate."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "config.json").write_text(json.dumps({"dl": dl, "api": None}))
    for name, lines in crates.items():
        path = root / index_path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(line + "\n" for line in lines))
    return root


def lines(count: int, *, prefix: str = "line") -> str:
    """*count* numbered lines (file contents of a known size)."""
    return "".join(f"{prefix} {i}\n" for i in range(count))
