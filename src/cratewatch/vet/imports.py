"""Fetching the audits other organisations publish, into imports.lock.

Each ``[imports.NAME]`` of config.toml names one or more audits.toml files by URL (HTTPS, or
HTTP for a local mirror) or by path (relative to the store). :func:`fetch_imports` reads them
all (bounded size, timed out), keeps what cargo-vet keeps (criteria, audits, trusted and
wildcard entries, without ``importable = false`` entries or the crates the import excludes;
only crates in the graph when the graph is given) and returns the new :class:`ImportsLock`,
carrying over the publisher and unpublished records of the previous one (they come from the
crates.io API, which cratewatch does not call).

>>> fetch_imports  # doctest: +ELLIPSIS
<function fetch_imports at ...>
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

import httpx

from cratewatch import __version__
from cratewatch.errors import SourceError
from cratewatch.vet.files import MAX_STORE_FILE_BYTES, parse_audits
from cratewatch.vet.model import (
    AuditEntry,
    AuditsFile,
    ConfigFile,
    CriteriaEntry,
    ImportsLock,
    RemoteImport,
    TrustEntry,
    WildcardEntry,
)

__all__ = ["DEFAULT_TIMEOUT", "ImportFetchError", "fetch_imports", "read_audits_source"]

DEFAULT_TIMEOUT = 30.0
"""Seconds allowed to connect and for each read."""


class ImportFetchError(SourceError):
    """An imported audits file could not be read."""


def read_audits_source(
    source: str, *, store: Path, client: httpx.Client, max_bytes: int = MAX_STORE_FILE_BYTES
) -> AuditsFile:
    """Read and parse the audits file at *source* (a URL, or a path relative to *store*)."""
    if source.startswith(("https://", "http://")):
        text = _download(source, client, max_bytes)
    else:
        path = Path(source.removeprefix("file://"))
        path = path if path.is_absolute() else store / path
        try:
            with path.open("rb") as stream:
                data = stream.read(max_bytes + 1)
        except OSError as e:
            raise ImportFetchError(f"{source}: cannot read: {e.strerror or e}") from e
        if len(data) > max_bytes:
            raise ImportFetchError(f"{source}: larger than {max_bytes} bytes")
        text = _decode(source, data)
    return parse_audits(text, path=source)


def _download(url: str, client: httpx.Client, max_bytes: int) -> str:
    tip = "check the URL and the network, or run without --update-imports to use imports.lock"
    try:
        with client.stream("GET", url) as response:
            if response.status_code != 200:
                raise ImportFetchError(
                    f"{url}: HTTP {response.status_code} "
                    f"{httpx.codes.get_reason_phrase(response.status_code)}; {tip}"
                )
            chunks = []
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise ImportFetchError(f"{url}: larger than {max_bytes} bytes")
                chunks.append(chunk)
    except httpx.TimeoutException as e:
        raise ImportFetchError(f"{url}: timed out; {tip}") from e
    except httpx.HTTPError as e:
        raise ImportFetchError(f"{url}: {e}; {tip}") from e
    return _decode(url, b"".join(chunks))


def _decode(source: str, data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ImportFetchError(f"{source}: not UTF-8 text (byte {e.start})") from e


def fetch_imports(
    config: ConfigFile,
    *,
    store: Path,
    previous: ImportsLock,
    crates: Collection[str] | None = None,
    client: httpx.Client | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> ImportsLock:
    """Read every import of *config* and return the imports.lock to write."""
    owned = client is None
    http = client or httpx.Client(
        timeout=httpx.Timeout(timeout),
        follow_redirects=True,
        max_redirects=5,
        headers={"User-Agent": f"cratewatch/{__version__}"},
    )
    try:
        audits = {
            name: _merged(
                [read_audits_source(url, store=store, client=http) for url in remote.urls],
                remote,
                crates,
            )
            for name, remote in sorted(config.imports.items())
        }
    finally:
        if owned:
            http.close()
    return ImportsLock(
        unpublished=previous.unpublished, publisher=previous.publisher, audits=audits
    )


def _merged(
    files: list[AuditsFile], remote: RemoteImport, crates: Collection[str] | None
) -> AuditsFile:
    excluded = set(remote.exclude)

    def wanted(name: str) -> bool:
        return name not in excluded and (crates is None or name in crates)

    criteria: dict[str, CriteriaEntry] = {}
    audits: dict[str, list[AuditEntry]] = {}
    trusted: dict[str, list[TrustEntry]] = {}
    wildcard: dict[str, list[WildcardEntry]] = {}
    for file in files:
        criteria.update(file.criteria)
        for name, entries in file.audits.items():
            if wanted(name):
                audits.setdefault(name, []).extend(e for e in entries if e.importable)
        for name, trusts in file.trusted.items():
            if wanted(name):
                trusted.setdefault(name, []).extend(trusts)
        for name, wildcards in file.wildcard_audits.items():
            if wanted(name):
                wildcard.setdefault(name, []).extend(wildcards)
    return AuditsFile(
        criteria=criteria,
        audits={k: tuple(v) for k, v in audits.items() if v},
        trusted={k: tuple(v) for k, v in trusted.items()},
        wildcard_audits={k: tuple(v) for k, v in wildcard.items()},
    )
