"""Downloading ``.crate`` files, verified against their checksum and cached atomically.

The URL comes from the index's ``config.json`` ``dl`` value exactly as Cargo builds it
(:func:`download_url`); without an index, crates.io's static host is used. Every file is
checked against the SHA-256 the index (``cksum``) or a Cargo.lock (``checksum``) records before
it is cached; a cached file is re-hashed on every use, so a tampered cache is noticed.

>>> download_url(STATIC_CRATES_IO, "serde", "1.0.0")
'https://static.crates.io/crates/serde/serde-1.0.0.crate'
>>> download_url("https://crates.io/api/v1/crates", "serde", "1.0.0")
'https://crates.io/api/v1/crates/serde/1.0.0/download'
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Self, TypeAlias

import httpx

from cratewatch import __version__
from cratewatch.errors import RegistryError
from cratewatch.registry.paths import validate_crate_name

__all__ = [
    "DEFAULT_TIMEOUT",
    "MAX_CRATE_BYTES",
    "STATIC_CRATES_IO",
    "ChecksumMismatch",
    "ChecksumStatus",
    "CrateDownloadError",
    "CrateFetcher",
    "CrateFile",
    "NotCached",
    "Unverified",
    "Verified",
    "download_url",
    "sha256_file",
]

STATIC_CRATES_IO = "https://static.crates.io/crates/{crate}/{crate}-{version}.crate"
"""Where crates.io serves ``.crate`` files (a ``dl`` template)."""
MAX_CRATE_BYTES = 128 * 1024 * 1024
"""Largest ``.crate`` accepted (crates.io's upload limit is 10 MB unless raised per crate)."""
DEFAULT_TIMEOUT = 30.0
"""Seconds allowed for connecting and for each read."""

_MARKERS = ("{crate}", "{version}", "{prefix}", "{lowerprefix}", "{sha256-checksum}")
_VERSION = re.compile(r"[0-9A-Za-z.+-]{1,128}")
_HEX64 = re.compile(r"[0-9a-f]{64}")
_RETRIES = 2
_CHUNK = 64 * 1024


class CrateDownloadError(RegistryError):
    """A ``.crate`` could not be downloaded (network, HTTP status, size)."""


class ChecksumMismatch(RegistryError):
    """A ``.crate``'s SHA-256 differs from the one the index or lockfile records."""


class NotCached(CrateDownloadError):
    """Offline mode and the ``.crate`` is not in the cache."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Verified:
    """The file's SHA-256 matched the expected checksum."""

    sha256: str
    """The checksum (lowercase hex)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Unverified:
    """No checksum was available to compare against."""

    sha256: str
    """The file's SHA-256 (lowercase hex), for the record."""
    reason: str
    """Why it could not be verified."""


ChecksumStatus: TypeAlias = Verified | Unverified
"""Whether a ``.crate`` was checked against a known checksum."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CrateFile:
    """A ``.crate`` on disk (in the cache)."""

    name: str
    """The crate name."""
    version: str
    """The version text."""
    path: Path
    """The cached file."""
    checksum: ChecksumStatus
    """Whether and how it was verified."""
    url: str | None
    """Where it was downloaded from; ``None`` when it came from the cache."""


def download_url(dl: str, name: str, version: str, checksum: str | None = None) -> str:
    """The download URL of ``name``/``version`` for the index ``dl`` value, as Cargo builds it.

    Without any marker, ``/{crate}/{version}/download`` is appended; ``{prefix}`` is the
    index directory of the name (``se/rd``, ``3/s``...), ``{lowerprefix}`` the same lowercased.
    """
    if not any(marker in dl for marker in _MARKERS):
        return f"{dl.rstrip('/')}/{name}/{version}/download"
    if "{sha256-checksum}" in dl and checksum is None:
        raise CrateDownloadError(
            f"{name} {version}: the registry's download URL needs the checksum, which is unknown"
        )
    prefix = _prefix(name)
    return (
        dl.replace("{crate}", name)
        .replace("{version}", version)
        .replace("{prefix}", prefix)
        .replace("{lowerprefix}", prefix.lower())
        .replace("{sha256-checksum}", checksum or "")
    )


def _prefix(name: str) -> str:
    match len(name):
        case 1:
            return "1"
        case 2:
            return "2"
        case 3:
            return f"3/{name[0]}"
        case _:
            return f"{name[:2]}/{name[2:4]}"


def sha256_file(path: Path) -> str:
    """The SHA-256 of a file, lowercase hex."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


class CrateFetcher:
    """Downloads ``.crate`` files into ``cache_dir/crates/{name}-{version}.crate``.

    Use as a context manager (it holds an HTTP client). *dl* is the index's ``dl`` value or
    template. *offline* serves from the cache only.

    >>> with CrateFetcher(Path("/tmp/cache"), offline=True) as fetcher:  # doctest: +SKIP
    ...     fetcher.fetch("serde", "1.0.0", checksum="...").path
    PosixPath('/tmp/cache/crates/serde-1.0.0.crate')
    """

    def __init__(
        self,
        cache_dir: Path,
        *,
        dl: str = STATIC_CRATES_IO,
        offline: bool = False,
        timeout: float = DEFAULT_TIMEOUT,
        max_bytes: int = MAX_CRATE_BYTES,
        client: httpx.Client | None = None,
    ) -> None:
        self.cache_dir = cache_dir / "crates"
        """Where ``.crate`` files are kept."""
        self.dl = dl
        """The download template."""
        self.offline = offline
        """Whether the network is off limits."""
        self._timeout = timeout
        self._max_bytes = max_bytes
        self._client = client
        self._owns_client = client is None

    def cached_path(self, name: str, version: str) -> Path:
        """Where the ``.crate`` of *name* *version* is (or would be) cached."""
        validate_crate_name(name)
        if _VERSION.fullmatch(version) is None:
            raise CrateDownloadError(f"{name} {version!r}: not a version that can name a file")
        return self.cache_dir / f"{name}-{version}.crate"

    def fetch(self, name: str, version: str, *, checksum: str | None) -> CrateFile:
        """The ``.crate`` of *name* *version*, from the cache or downloaded.

        *checksum* is the expected SHA-256 (lowercase hex); without one the file is marked
        :class:`Unverified`. Raises :class:`ChecksumMismatch` when the download (or the
        cached copy) differs, :class:`NotCached` offline when the file is not cached, and
        :class:`CrateDownloadError` on network failures.
        """
        path = self.cached_path(name, version)
        expected = _expected(name, version, checksum)
        if path.is_file():
            actual = sha256_file(path)
            if expected is None or actual == expected:
                return CrateFile(
                    name=name,
                    version=version,
                    path=path,
                    checksum=_status(actual, expected),
                    url=None,
                )
            if self.offline:
                raise ChecksumMismatch(
                    f"{path}: cached file has sha256 {actual}, expected {expected}; "
                    "delete it or run without --offline to download it again"
                )
        if self.offline:
            raise NotCached(
                f"{name} {version}: not in the crate cache {self.cache_dir} and offline mode "
                "is on; run once without --offline to download it"
            )
        url = download_url(self.dl, name, version, expected)
        self._download(url, path, name=name, version=version, expected=expected)
        return CrateFile(
            name=name,
            version=version,
            path=path,
            checksum=_status(sha256_file(path), expected),
            url=url,
        )

    def _download(
        self, url: str, path: Path, *, name: str, version: str, expected: str | None
    ) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        for attempt in range(_RETRIES + 1):
            try:
                self._download_once(url, path, expected=expected)
                return
            except _Transient as e:
                if attempt == _RETRIES:
                    raise CrateDownloadError(
                        f"{url}: {e} (after {_RETRIES + 1} attempts); check the network or "
                        "use --offline with a filled cache"
                    ) from e.__cause__
                time.sleep(0.5 * 2**attempt)

    def _download_once(self, url: str, path: Path, *, expected: str | None) -> None:
        client = self._http()
        digest = hashlib.sha256()
        fd, temp_name = tempfile.mkstemp(prefix=".dl-", suffix=".part", dir=path.parent)
        temp = Path(temp_name)
        try:
            with os.fdopen(fd, "wb") as out:
                try:
                    with client.stream("GET", url) as response:
                        _check_status(url, response)
                        size = 0
                        for chunk in response.iter_raw(_CHUNK):
                            size += len(chunk)
                            if size > self._max_bytes:
                                raise CrateDownloadError(
                                    f"{url}: larger than the limit of {self._max_bytes} bytes"
                                )
                            digest.update(chunk)
                            out.write(chunk)
                except httpx.TimeoutException as e:
                    raise _Transient(f"timed out after {self._timeout:g}s") from e
                except httpx.HTTPError as e:
                    raise _Transient(f"download failed: {e}") from e
            actual = digest.hexdigest()
            if expected is not None and actual != expected:
                raise ChecksumMismatch(
                    f"{url}: downloaded file has sha256 {actual}, expected {expected}; "
                    "the registry or something between it and you served other content"
                )
            os.replace(temp, path)
        finally:
            temp.unlink(missing_ok=True)

    def _http(self) -> httpx.Client:
        if self._client is None:
            self._client = httpx.Client(
                timeout=httpx.Timeout(self._timeout),
                follow_redirects=True,
                max_redirects=5,
                headers={"User-Agent": f"cratewatch/{__version__}", "Accept-Encoding": "identity"},
            )
        return self._client

    def close(self) -> None:
        """Close the HTTP client if this fetcher created it."""
        if self._client is not None and self._owns_client:
            self._client.close()
            self._client = None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class _Transient(Exception):
    """A failure worth retrying (timeout, connection reset, HTTP 5xx / 429)."""


def _check_status(url: str, response: httpx.Response) -> None:
    status = response.status_code
    if status == 200:
        return
    reason = httpx.codes.get_reason_phrase(status)
    if status >= 500 or status == 429:
        raise _Transient(f"HTTP {status} {reason}")
    raise CrateDownloadError(f"{url}: HTTP {status} {reason}")


def _expected(name: str, version: str, checksum: str | None) -> str | None:
    if checksum is None:
        return None
    lowered = checksum.lower()
    if _HEX64.fullmatch(lowered) is None:
        raise ChecksumMismatch(
            f"{name} {version}: expected checksum {checksum!r} is not a SHA-256 in hex"
        )
    return lowered


def _status(actual: str, expected: str | None) -> ChecksumStatus:
    if expected is None:
        return Unverified(sha256=actual, reason="no checksum recorded for this version")
    return Verified(sha256=actual)
