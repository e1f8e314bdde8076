"""The sparse (HTTP) index protocol, as served by ``https://index.crates.io/``.

Each crate's file is fetched from ``{base}{index path}`` (see :mod:`~cratewatch.registry.paths`).
With a cache directory, responses are stored with their ``ETag`` / ``Last-Modified`` and
revalidated (``If-None-Match`` / ``If-Modified-Since``; a 304 reuses the stored copy); cache
files are written atomically. Offline, only the cache is read. 404, 410 and 451 mean the crate
does not exist (:class:`~cratewatch.registry.index.CrateNotFound`); any other failure is a
:class:`~cratewatch.errors.RegistryError` ending with a tip.

>>> index = SparseIndex("sparse+https://index.crates.io/", cache_dir=Path("/tmp/c"))
>>> index.versions("serde")[0].vers  # doctest: +SKIP
'0.1.0'
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib.util
import json
import os
import tempfile
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from cratewatch import __version__
from cratewatch.errors import RegistryError
from cratewatch.registry.index import CRATES_IO_SPARSE, CrateNotFound, Found, Index, Lookup, Missing
from cratewatch.registry.model import IndexConfig, IndexEntry
from cratewatch.registry.parse import MAX_FILE_BYTES, parse_config, parse_index_file
from cratewatch.registry.paths import index_path

__all__ = ["DEFAULT_CONCURRENCY", "DEFAULT_TIMEOUT", "SparseIndex"]

DEFAULT_TIMEOUT = 30.0
"""Seconds allowed for connecting and for each read (httpx timeouts)."""
DEFAULT_CONCURRENCY = 16
"""Requests in flight at once in :meth:`SparseIndex.fetch_many`."""

_HTTP2 = importlib.util.find_spec("h2") is not None
_NOT_FOUND = frozenset({404, 410, 451})
_TIP = "check the network, or use --offline (cached files only) or --index PATH (a local index)"


@dataclass(frozen=True, slots=True, kw_only=True)
class _Cached:
    """A stored response: its validators and body."""

    etag: str | None
    last_modified: str | None
    body: bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class _Response:
    status: int
    etag: str | None
    last_modified: str | None
    body: bytes


class SparseIndex(Index):
    """An index fetched over HTTP, one file per crate, with an optional revalidated cache."""

    def __init__(
        self,
        url: str = CRATES_IO_SPARSE,
        *,
        cache_dir: Path | None = None,
        offline: bool = False,
        timeout: float = DEFAULT_TIMEOUT,
        max_concurrency: int = DEFAULT_CONCURRENCY,
        max_file_bytes: int = MAX_FILE_BYTES,
    ) -> None:
        """*url* is the index root, with or without the ``sparse+`` prefix.

        *cache_dir* holds this library's cache (a subdirectory per index URL); without one,
        nothing is stored and *offline* cannot work.
        """
        base = url.removeprefix("sparse+")
        parts = urlsplit(base)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise RegistryError(f"{url}: a sparse index URL must be http:// or https://")
        self._base = base if base.endswith("/") else base + "/"
        self._offline = offline
        self._timeout = httpx.Timeout(timeout)
        self._max_concurrency = max_concurrency
        self._max_file_bytes = max_file_bytes
        self._cache_root: Path | None = None
        if cache_dir is not None:
            digest = hashlib.sha256(self._base.encode()).hexdigest()[:16]
            host = "".join(c if c.isalnum() or c in ".-" else "_" for c in parts.netloc)
            self._cache_root = cache_dir / "sparse" / f"{host}-{digest}"
        elif offline:
            raise RegistryError(f"{url}: offline mode needs a cache directory")
        self._client: httpx.Client | None = None
        self._memo: dict[str, tuple[IndexEntry, ...]] = {}

    @property
    def source(self) -> str:
        return f"sparse+{self._base}"

    @property
    def url(self) -> str:
        """The index root URL (ends with ``/``)."""
        return self._base

    # -- public API -----------------------------------------------------------------------

    def config(self) -> IndexConfig:
        return parse_config(self._get_file("config.json", crate=None), source="config.json")

    def versions(self, name: str) -> tuple[IndexEntry, ...]:
        """The crate's versions; each crate is fetched (or revalidated) once per instance."""
        path = index_path(name)
        key = name.lower()
        if (memo := self._memo.get(key)) is not None:
            return memo
        entries = self._parse(self._get_file(path, crate=name), path, name)
        self._memo[key] = entries
        return entries

    def fetch_many(self, names: Iterable[str]) -> dict[str, Lookup]:
        """Fetch many crates concurrently (at most ``max_concurrency`` requests in flight).

        Runs its own event loop: from async code, await :meth:`afetch_many` instead.
        """
        return asyncio.run(self.afetch_many(names))

    async def afetch_many(self, names: Iterable[str]) -> dict[str, Lookup]:
        """The async form of :meth:`fetch_many`."""
        wanted = {name: index_path(name) for name in names}
        semaphore = asyncio.Semaphore(self._max_concurrency)
        async with self._async_client() as client:

            async def one(name: str, path: str) -> Lookup:
                key = name.lower()
                if (memo := self._memo.get(key)) is not None:
                    return Found(name=name, entries=memo)
                async with semaphore:
                    try:
                        data = await self._aget_file(client, path, crate=name)
                    except CrateNotFound as e:
                        return Missing(name=name, reason=str(e))
                entries = self._parse(data, path, name)
                self._memo[key] = entries
                return Found(name=name, entries=entries)

            tasks = [asyncio.ensure_future(one(name, path)) for name, path in wanted.items()]
            try:
                results = await asyncio.gather(*tasks)
            except BaseException:
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
                raise
        return {result.name: result for result in results}

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    # -- fetching ---------------------------------------------------------------------------

    def _get_file(self, path: str, *, crate: str | None) -> bytes:
        cached = self._read_cache(path)
        if self._offline:
            return self._offline_copy(path, crate, cached)
        url = self._base + path
        try:
            with self._sync_client().stream("GET", url, headers=_validators(cached)) as response:
                received = _Response(
                    status=response.status_code,
                    etag=response.headers.get("etag"),
                    last_modified=response.headers.get("last-modified"),
                    body=_read_bounded(response.iter_bytes(), response, url, self._max_file_bytes),
                )
        except httpx.TimeoutException as e:
            raise RegistryError(f"{url}: timed out ({type(e).__name__}); {_TIP}") from e
        except httpx.HTTPError as e:
            raise RegistryError(f"{url}: {type(e).__name__}: {e}; {_TIP}") from e
        return self._outcome(path, crate, url, received, cached)

    async def _aget_file(self, client: httpx.AsyncClient, path: str, *, crate: str) -> bytes:
        cached = self._read_cache(path)
        if self._offline:
            return self._offline_copy(path, crate, cached)
        url = self._base + path
        try:
            async with client.stream("GET", url, headers=_validators(cached)) as response:
                received = _Response(
                    status=response.status_code,
                    etag=response.headers.get("etag"),
                    last_modified=response.headers.get("last-modified"),
                    body=await _aread_bounded(
                        response.aiter_bytes(), response, url, self._max_file_bytes
                    ),
                )
        except httpx.TimeoutException as e:
            raise RegistryError(f"{url}: timed out ({type(e).__name__}); {_TIP}") from e
        except httpx.HTTPError as e:
            raise RegistryError(f"{url}: {type(e).__name__}: {e}; {_TIP}") from e
        return self._outcome(path, crate, url, received, cached)

    def _outcome(
        self, path: str, crate: str | None, url: str, response: _Response, cached: _Cached | None
    ) -> bytes:
        """The file's content from a response (and the cache on 304); caches a 200."""
        if response.status == 200:
            if crate is not None:  # validate before caching: never store a bad file
                self._parse(response.body, path, crate)
            else:
                parse_config(response.body, source="config.json")
            self._write_cache(
                path,
                _Cached(
                    etag=response.etag, last_modified=response.last_modified, body=response.body
                ),
            )
            return response.body
        if response.status == 304 and cached is not None:
            return cached.body
        if response.status in _NOT_FOUND and crate is not None:
            self._drop_cache(path)
            raise CrateNotFound(crate, self.source)
        reason = httpx.codes.get_reason_phrase(response.status)
        status = f"HTTP {response.status} {reason}".rstrip()
        raise RegistryError(f"{url}: {status}; {_TIP}")

    def _offline_copy(self, path: str, crate: str | None, cached: _Cached | None) -> bytes:
        if cached is None:
            what = f"crate {crate!r}" if crate is not None else path
            raise RegistryError(
                f"{what}: not in the offline cache of {self.source} ({self._cache_root}); "
                "run once without --offline to fill it"
            )
        return cached.body

    def _parse(self, data: bytes, path: str, crate: str) -> tuple[IndexEntry, ...]:
        return parse_index_file(
            data, source=f"{self._base}{path}", crate=crate, max_file_bytes=self._max_file_bytes
        )

    def _sync_client(self) -> httpx.Client:
        if self._client is None:
            self._client = httpx.Client(
                http2=_HTTP2, timeout=self._timeout, headers=_HEADERS, follow_redirects=True
            )
        return self._client

    def _async_client(self) -> httpx.AsyncClient:
        limits = httpx.Limits(max_connections=self._max_concurrency)
        return httpx.AsyncClient(
            http2=_HTTP2,
            timeout=self._timeout,
            headers=_HEADERS,
            follow_redirects=True,
            limits=limits,
        )

    # -- cache ------------------------------------------------------------------------------
    # One file per index file: a JSON header line ({"etag": ..., "last_modified": ...}), then
    # the body exactly as served.

    def _cache_path(self, path: str) -> Path | None:
        return None if self._cache_root is None else self._cache_root / path

    def _read_cache(self, path: str) -> _Cached | None:
        file = self._cache_path(path)
        if file is None:
            return None
        try:
            fd = os.open(file, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
            with os.fdopen(fd, "rb") as f:
                raw = f.read(self._max_file_bytes + 64 * 1024)
        except OSError:
            return None  # absent or unreadable: fetch again
        header, newline, body = raw.partition(b"\n")
        try:
            meta = json.loads(header)
        except (ValueError, RecursionError):
            return None
        if not newline or not isinstance(meta, dict):
            return None
        etag, modified = meta.get("etag"), meta.get("last_modified")
        return _Cached(
            etag=etag if isinstance(etag, str) else None,
            last_modified=modified if isinstance(modified, str) else None,
            body=body,
        )

    def _write_cache(self, path: str, cached: _Cached) -> None:
        file = self._cache_path(path)
        if file is None:
            return
        header = json.dumps({"etag": cached.etag, "last_modified": cached.last_modified})
        try:
            file.parent.mkdir(parents=True, exist_ok=True)
            fd, temp = tempfile.mkstemp(prefix=".tmp-", dir=file.parent)
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(header.encode() + b"\n" + cached.body)
                os.replace(temp, file)
            except BaseException:
                Path(temp).unlink(missing_ok=True)
                raise
        except OSError as e:
            raise RegistryError(f"{file}: cannot write the index cache: {e}") from e

    def _drop_cache(self, path: str) -> None:
        file = self._cache_path(path)
        if file is not None:
            file.unlink(missing_ok=True)


_HEADERS = {"user-agent": f"cratewatch/{__version__}"}


def _validators(cached: _Cached | None) -> dict[str, str]:
    headers: dict[str, str] = {}
    if cached is not None:
        if cached.etag is not None:
            headers["if-none-match"] = cached.etag
        if cached.last_modified is not None:
            headers["if-modified-since"] = cached.last_modified
    return headers


def _too_large(url: str, limit: int) -> RegistryError:
    return RegistryError(f"{url}: response larger than the limit of {limit} bytes")


def _declared_too_large(response: httpx.Response, limit: int) -> bool:
    declared = response.headers.get("content-length", "")
    return declared.isdigit() and int(declared) > limit


def _read_bounded(chunks: Iterator[bytes], response: httpx.Response, url: str, limit: int) -> bytes:
    if response.status_code != 200:
        return b""
    if _declared_too_large(response, limit):
        raise _too_large(url, limit)
    body = bytearray()
    for chunk in chunks:
        body += chunk
        if len(body) > limit:
            raise _too_large(url, limit)
    return bytes(body)


async def _aread_bounded(
    chunks: AsyncIterator[bytes], response: httpx.Response, url: str, limit: int
) -> bytes:
    if response.status_code != 200:
        return b""
    if _declared_too_large(response, limit):
        raise _too_large(url, limit)
    body = bytearray()
    async for chunk in chunks:
        body += chunk
        if len(body) > limit:
            raise _too_large(url, limit)
    return bytes(body)
