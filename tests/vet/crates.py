"""Building real ``.crate`` files (gzip'd tarballs under ``NAME-VERSION/``) for the tests."""

from __future__ import annotations

import gzip
import io
import tarfile
from collections.abc import Mapping


def make_crate(name: str, version: str, files: Mapping[str, str | bytes]) -> bytes:
    """A ``.crate`` holding *files* (relative paths) under ``NAME-VERSION/``."""
    buffer = io.BytesIO()
    with (
        gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as gz,
        tarfile.open(fileobj=gz, mode="w", format=tarfile.GNU_FORMAT) as tar,
    ):
        for path, content in sorted(files.items()):
            data = content.encode() if isinstance(content, str) else content
            info = tarfile.TarInfo(f"{name}-{version}/{path}")
            info.size = len(data)
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def lines(count: int, *, prefix: str = "line") -> str:
    """*count* numbered lines."""
    return "".join(f"{prefix} {i}\n" for i in range(count))
