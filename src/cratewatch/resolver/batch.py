"""Many roots in one run: the batch file format and the JSON shape of an answer.

A batch file has one root per line, ``NAME@VERSION``, optionally followed by options separated
by spaces: ``features=a,b,c`` (features asked explicitly; they may name optional
dependencies), ``all-features`` or ``no-default-features``. Blank lines and lines starting with
``#`` are skipped.

>>> parse_batch("serde@1.0.100 features=derive\\n# a comment\\nrand@0.7.3 no-default-features\\n",
...             source="roots.txt")[1]
RootRequest(name='rand', version='0.7.3', features=(), all_features=False, \
default_features=False, include_dev=False)
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from cratewatch.errors import ParseError
from cratewatch.resolver.engine import Resolver
from cratewatch.resolver.model import Resolution, Resolved, RootRequest

__all__ = [
    "MAX_LINE_CHARS",
    "InvalidBatchLine",
    "parse_batch",
    "parse_root",
    "resolution_json",
    "resolve_all",
]

MAX_LINE_CHARS = 64 * 1024
"""Longest accepted line of a batch file."""

_ROOT = re.compile(r"(?P<name>[A-Za-z0-9_-]{1,64})@(?P<version>[0-9A-Za-z.+-]{1,256})")
_FEATURE = re.compile(r"[^\s,]+")


class InvalidBatchLine(ParseError):
    """A line of a batch file (or a root on the command line) is malformed."""


def parse_root(text: str, *, where: str = "root") -> tuple[str, str]:
    """Split ``NAME@VERSION``; ``where`` prefixes the error message.

    >>> parse_root("serde@1.0.100")
    ('serde', '1.0.100')
    >>> parse_root("serde")
    Traceback (most recent call last):
    ...
    cratewatch.resolver.batch.InvalidBatchLine: root: expected NAME@VERSION, got 'serde'
    """
    match = _ROOT.fullmatch(text)
    if match is None:
        shown = text if len(text) <= 80 else text[:77] + "..."
        raise InvalidBatchLine(f"{where}: expected NAME@VERSION, got {shown!r}")
    return match["name"], match["version"]


def parse_batch(text: str, *, source: str, include_dev: bool = False) -> list[RootRequest]:
    """Read every root of a batch file; ``source`` names it in error messages."""
    requests = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        where = f"{source}: line {number}"
        if len(line) > MAX_LINE_CHARS:
            raise InvalidBatchLine(f"{where}: longer than {MAX_LINE_CHARS} characters")
        requests.append(_parse_line(line, where, include_dev))
    return requests


def _parse_line(line: str, where: str, include_dev: bool) -> RootRequest:
    first, *options = line.split()
    name, version = parse_root(first, where=where)
    features: tuple[str, ...] = ()
    all_features = False
    default_features = True
    seen: set[str] = set()
    for option in options:
        key = option.split("=", 1)[0] if option.startswith("features=") else option
        if key in seen:
            raise InvalidBatchLine(f"{where}: option {key!r} given twice")
        seen.add(key)
        if key == "features":
            features = tuple(_FEATURE.findall(option.removeprefix("features=")))
        elif key == "all-features":
            all_features = True
        elif key == "no-default-features":
            default_features = False
        else:
            raise InvalidBatchLine(
                f"{where}: unknown option {option[:40]!r} (expected features=a,b, "
                "all-features or no-default-features)"
            )
    if all_features and len(seen) > 1:
        raise InvalidBatchLine(f"{where}: all-features cannot be combined with other options")
    return RootRequest(
        name=name,
        version=version,
        features=features,
        all_features=all_features,
        default_features=default_features,
        include_dev=include_dev,
    )


def resolve_all(resolver: Resolver, requests: Iterable[RootRequest]) -> Iterator[Resolution]:
    """Resolve the roots in order with one resolver, so each reuses what the others learnt."""
    for request in requests:
        yield resolver.resolve(request)


def resolution_json(resolution: Resolution) -> dict[str, Any]:
    """``{"root": {name, version}, "packages": [...], "error": null | "why"}``."""
    request = resolution.request
    root = {"name": request.name, "version": request.version}
    if isinstance(resolution, Resolved):
        packages = [{"name": p.name, "version": str(p.version)} for p in resolution.packages]
        return {"root": root, "packages": packages, "error": None}
    return {"root": root, "packages": [], "error": resolution.reason}
