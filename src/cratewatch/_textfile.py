"""Reading a local text file that may be hostile: bounded in size and strictly UTF-8.

The first step of the ``load_*`` functions (Cargo.lock, Cargo.toml, deny.toml, SBOMs), so that
all of them refuse the same things with the same messages.

>>> import tempfile
>>> from pathlib import Path
>>> from cratewatch.errors import ParseError
>>> with tempfile.TemporaryDirectory() as tmp:
...     path = Path(tmp, "big.txt")
...     _ = path.write_bytes(b"x" * (2 << 20))
...     try:
...         read_text_file(path, limit=1 << 20, what="text", error=ParseError, not_a="text")
...     except ParseError as e:
...         print(str(e).removeprefix(tmp))
/big.txt: larger than 1 MiB; not a text
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from cratewatch.errors import SourceError

__all__ = ["read_text_file"]


def read_text_file(
    path: Path,
    *,
    limit: int,
    what: str,
    error: Callable[[str], Exception],
    not_a: str | None = None,
) -> str:
    """The text of *path*, which must be at most *limit* bytes of UTF-8.

    An unreadable file raises :class:`~cratewatch.errors.SourceError`
    (``PATH: cannot read the WHAT: REASON``); a larger file (``PATH: larger than N MiB``,
    followed by ``; not a NOT_A`` when *not_a* is given) or one that is not UTF-8
    (``PATH: not UTF-8 text (byte N)``) raises *error*.
    """
    try:
        with path.open("rb") as stream:
            data = stream.read(limit + 1)
    except OSError as e:
        raise SourceError(f"{path}: cannot read the {what}: {e.strerror or e}") from e
    if len(data) > limit:
        suffix = "" if not_a is None else f"; not a {not_a}"
        raise error(f"{path}: larger than {limit >> 20} MiB{suffix}")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise error(f"{path}: not UTF-8 text (byte {e.start})") from e
