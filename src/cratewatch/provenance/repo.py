"""Repositories to compare crates with: a cache of bare partial clones, or a local repository.

A repository URL from a crate's manifest is untrusted: only ``https``, ``http``, ``git`` and
``ssh`` are accepted, credentials are dropped, and forge URLs pointing into a tree
(``https://github.com/o/r/tree/main/crates/x``) are cut back to the repository. Each URL is
cloned once, bare and with ``--filter=blob:none`` (blobs are fetched on demand where the server
supports partial clone; otherwise git silently clones everything), into
``CACHE/provenance/repos`` and reused by later runs; it is fetched again only when a commit is
missing. Local paths and ``file://`` URLs are accepted only from the user (``--repo``,
``--url-rewrite``); a local repository is read in place, never cloned.

>>> location_from_manifest("https://github.com/serde-rs/serde/tree/master/serde_derive").url
'https://github.com/serde-rs/serde'
>>> location_from_manifest("git@github.com:tokio-rs/tokio.git").url
'https://github.com/tokio-rs/tokio'
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

import pygit2

from cratewatch.errors import ParseError, SourceError
from cratewatch.provenance._git import GitCommandFailed, redact, run_git

__all__ = [
    "CLONE_TIMEOUT",
    "FETCH_TIMEOUT",
    "GitRepository",
    "MissingObjects",
    "RepoCache",
    "RepoLocation",
    "RepositoryUnavailable",
    "UnsupportedRepositoryUrl",
    "location_from_manifest",
    "location_from_user",
    "submodule_location",
]

CLONE_TIMEOUT = 600.0
"""Seconds a clone may take by default."""
FETCH_TIMEOUT = 300.0
"""Seconds a fetch may take by default."""

_FORGES_OWNER_REPO = frozenset({"github.com", "codeberg.org", "bitbucket.org", "gitea.com"})
_FETCH_REFSPECS = ("+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*")
_FETCH_CHUNK = 1000
_UNSAFE = re.compile(r"[\x00-\x20\x7f]")


class UnsupportedRepositoryUrl(ParseError):
    """A repository URL that cratewatch will not hand to git."""


class RepositoryUnavailable(SourceError):
    """A repository could not be cloned, fetched or opened."""


class MissingObjects(SourceError):
    """Git objects needed for a comparison are not in the repository and could not be fetched."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RepoLocation:
    """Where a repository is."""

    url: str
    """The URL (or local path) handed to git, normalised."""
    trusted: bool
    """Chosen by the user (local paths and ``file://`` allowed) rather than read from a crate."""
    local_path: Path | None = None
    """A local repository read in place (no clone)."""


def location_from_user(text: str) -> RepoLocation:
    """A repository the user named: a local repository (read in place) or any git URL.

    ``file://`` URLs are cloned into the cache like remote ones.
    """
    if "://" in text or _is_scp_like(text):
        return RepoLocation(url=text.strip(), trusted=True)
    path = Path(text).expanduser()
    if path.exists():
        return RepoLocation(url=str(path.resolve()), trusted=True, local_path=path.resolve())
    raise UnsupportedRepositoryUrl(f"{text}: no such repository directory, and not a git URL")


def location_from_manifest(text: str, *, rewrites: Sequence[tuple[str, str]] = ()) -> RepoLocation:
    """A repository named by ``package.repository``, normalised; see the module docstring.

    *rewrites* are ``(prefix, replacement)`` pairs applied after normalisation (like git's
    ``url.<base>.insteadOf``); a rewritten URL counts as chosen by the user.
    """
    url = _normalize(text)
    for prefix, replacement in rewrites:
        if url.startswith(prefix):
            return location_from_user(replacement + url[len(prefix) :])
    return RepoLocation(url=url, trusted=False)


def submodule_location(parent: RepoLocation, url: str) -> RepoLocation:
    """The location of a submodule whose ``.gitmodules`` URL is *url*, inside *parent*.

    Relative URLs (``../lib.git``) are resolved against the parent's URL as git does; they
    stay trusted when the parent is. Absolute URLs are treated like manifest URLs.
    """
    if url.startswith(("./", "../")):
        base = parent.url.rstrip("/")
        parts = url.split("/")
        while parts and parts[0] in (".", ".."):
            if parts.pop(0) == "..":
                base = base.rsplit("/", 1)[0] if "/" in base else base
        joined = f"{base}/{'/'.join(parts)}"
        if parent.local_path is not None or parent.url.startswith("file://"):
            return location_from_user(joined)
        return (
            location_from_manifest(joined)
            if not parent.trusted
            else RepoLocation(url=joined, trusted=True)
        )
    return location_from_manifest(url)


def _is_scp_like(text: str) -> bool:
    return re.fullmatch(r"[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:[^\s]+", text) is not None


def _normalize(text: str) -> str:
    raw = text.strip()
    if not raw or len(raw) > 2048 or _UNSAFE.search(raw):
        raise UnsupportedRepositoryUrl(f"{raw[:80]!r}: not a usable repository URL")
    raw = raw.removeprefix("git+")
    scp = re.fullmatch(r"[A-Za-z0-9._-]+@(?P<host>[A-Za-z0-9.-]+):(?P<path>[^\s]+)", raw)
    if scp is not None:
        raw = f"ssh://{scp['host']}/{scp['path'].lstrip('/')}"
    try:
        parts = urlsplit(raw)
        port = f":{parts.port}" if parts.port else ""
    except ValueError as e:
        raise UnsupportedRepositoryUrl(f"{raw}: not a URL: {e}") from e
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if scheme not in ("https", "http", "git", "ssh"):
        raise UnsupportedRepositoryUrl(
            f"{raw}: unsupported scheme {scheme or '(none)'!r}; expected an https URL"
        )
    if not host or host.startswith("-") or not re.fullmatch(r"[a-z0-9.-]+", host):
        raise UnsupportedRepositoryUrl(f"{raw}: no usable host name")
    segments = [s for s in PurePosixPath(parts.path or "/").parts if s not in ("/", "")]
    forge = host.removeprefix("www.")
    if forge in _FORGES_OWNER_REPO or forge == "gitlab.com":
        if scheme in ("git", "ssh"):
            scheme, port = "https", ""
        host = forge
        segments = _forge_repository(forge, segments)
    if any(s in (".", "..") or s.startswith("-") for s in segments):
        raise UnsupportedRepositoryUrl(f"{raw}: unusual path")
    if not segments:
        raise UnsupportedRepositoryUrl(f"{raw}: no repository path")
    segments[-1] = segments[-1].removesuffix(".git") or segments[-1]
    return f"{scheme}://{host}{port}/{'/'.join(segments)}"


def _forge_repository(forge: str, segments: list[str]) -> list[str]:
    """The repository part of a forge URL's path (``owner/repo``, or GitLab groups)."""
    if "-" in segments:  # GitLab: /group/repo/-/tree/main
        segments = segments[: segments.index("-")]
    if forge in _FORGES_OWNER_REPO:
        return segments[:2]
    for marker in ("tree", "blob"):
        if marker in segments:
            segments = segments[: segments.index(marker)]
    return segments


class GitRepository:
    """One repository opened for reading: a cached bare clone or a local repository."""

    def __init__(self, location: RepoLocation, git_dir: Path, *, cache: RepoCache | None) -> None:
        self.location = location
        """Where it came from."""
        self.git_dir = git_dir
        """The git directory read."""
        self._cache = cache
        self._local = threading.local()

    @property
    def label(self) -> str:
        """The URL or path, for messages."""
        return redact(self.location.url)

    def handle(self) -> pygit2.Repository:
        """This thread's libgit2 handle."""
        repo: pygit2.Repository | None = getattr(self._local, "repo", None)
        if repo is None:
            repo = pygit2.Repository(str(self.git_dir))
            self._local.repo = repo
        return repo

    def commit(self, sha: str) -> pygit2.Commit | None:
        """The commit *sha*, when present (peeling an annotated tag)."""
        try:
            obj = self.handle().get(sha)
        except (ValueError, pygit2.GitError):
            return None
        if isinstance(obj, pygit2.Tag):
            return obj.peel(pygit2.Commit)
        return obj if isinstance(obj, pygit2.Commit) else None

    def ensure_commit(self, sha: str) -> pygit2.Commit | None:
        """The commit *sha*, fetching from the remote once when it is missing."""
        found = self.commit(sha)
        if found is not None or self._cache is None:
            return found
        self._cache.refresh(self, sha)
        return self.commit(sha)

    def read_blobs(self, oids: Iterable[str], *, max_bytes: int | None = None) -> dict[str, bytes]:
        """The content of each blob; missing ones are fetched from the remote in one go.

        Blobs larger than *max_bytes* are left out of the result (never loaded). Raises
        :class:`MissingObjects` when some cannot be had.
        """
        wanted = list(dict.fromkeys(oids))
        repo = self.handle()
        missing = [o for o in wanted if o not in repo]
        if missing and self._cache is not None:
            self._cache.fetch_objects(self, missing)
            missing = [o for o in missing if o not in repo]
        if missing:
            raise MissingObjects(
                f"{self.label}: {len(missing)} object(s) missing, e.g. {missing[0]}"
            )
        result: dict[str, bytes] = {}
        for oid in wanted:
            kind, size = repo.odb.read_header(oid)
            if kind != pygit2.enums.ObjectType.BLOB:
                raise MissingObjects(f"{self.label}: {oid} is not a blob")
            if max_bytes is None or size <= max_bytes:
                blob = repo[oid]
                assert isinstance(blob, pygit2.Blob)
                result[oid] = blob.data
        return result

    def blob_size(self, oid: str) -> int:
        """The size of a blob that is present."""
        _, size = self.handle().odb.read_header(oid)
        return int(size)

    def modules_dir(self) -> Path | None:
        """``.git/modules`` of a local repository (initialised submodules), if any."""
        if self.location.local_path is None:
            return None
        modules = self.git_dir / "modules"
        return modules if modules.is_dir() else None


class RepoCache:
    """Bare partial clones under ``root/provenance/repos``, shared by threads and processes.

    >>> cache = RepoCache(Path("/tmp/cw-cache"))  # doctest: +SKIP
    >>> log = location_from_manifest("https://github.com/rust-lang/log")
    >>> repo = cache.open(log)  # doctest: +SKIP
    """

    def __init__(
        self,
        root: Path,
        *,
        offline: bool = False,
        clone_timeout: float = CLONE_TIMEOUT,
        fetch_timeout: float = FETCH_TIMEOUT,
        low_speed_time: int = 30,
    ) -> None:
        self.root = root / "provenance" / "repos"
        """Where clones are kept."""
        self.offline = offline
        """Never clone or fetch: only cached clones and local repositories are read."""
        self._clone_timeout = clone_timeout
        self._fetch_timeout = fetch_timeout
        self._low_speed_time = low_speed_time
        self._guard = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}
        self._opened: dict[str, GitRepository | RepositoryUnavailable] = {}
        self._fetched: set[str] = set()

    def clone_path(self, url: str) -> Path:
        """Where the clone of *url* is (or would be) kept."""
        slug = re.sub(r"[^A-Za-z0-9._-]+", "_", url.rstrip("/").rsplit("/", 1)[-1])[:40]
        digest = hashlib.sha256(url.encode()).hexdigest()[:16]
        return self.root / f"{slug or 'repo'}-{digest}.git"

    def open(self, location: RepoLocation) -> GitRepository:
        """Open (cloning on first use) the repository; raises :class:`RepositoryUnavailable`.

        A failure is remembered for the life of this cache, so a batch does not retry an
        unreachable repository for each of its versions.
        """
        if location.local_path is not None:
            return _open_local(location)
        with self._lock_for(location.url):
            known = self._opened.get(location.url)
            if isinstance(known, GitRepository):
                return known
            if known is not None:
                raise known
            try:
                opened = self._open_clone(location)
            except RepositoryUnavailable as e:
                self._opened[location.url] = e
                raise
            self._opened[location.url] = opened
            return opened

    def refresh(self, repo: GitRepository, sha: str) -> None:
        """Fetch the remote's branches and tags (once per cache), then *sha* itself."""
        if self.offline or repo.location.local_path is not None:
            return
        url = repo.location.url
        with self._lock_for(url), _file_lock(repo.git_dir):
            if repo.commit(sha) is not None:
                return
            if url not in self._fetched:
                self._fetched.add(url)
                with contextlib.suppress(GitCommandFailed):
                    self._git(repo, ["fetch", "--quiet", "origin"], self._fetch_timeout)
            if repo.commit(sha) is None:
                # servers that allow it (GitHub does) serve commits no branch points to
                with contextlib.suppress(GitCommandFailed):
                    self._git(
                        repo,
                        ["fetch", "--quiet", "--no-tags", "--no-write-fetch-head", "origin", sha],
                        self._fetch_timeout,
                    )

    def fetch_objects(self, repo: GitRepository, oids: Sequence[str]) -> None:
        """Fetch missing blobs of a partial clone by id (what git's lazy fetch does)."""
        if self.offline or repo.location.local_path is not None:
            return
        with self._lock_for(repo.location.url), _file_lock(repo.git_dir):
            for start in range(0, len(oids), _FETCH_CHUNK):
                chunk = oids[start : start + _FETCH_CHUNK]
                with contextlib.suppress(GitCommandFailed):
                    self._git(
                        repo,
                        [
                            "-c",
                            "fetch.negotiationAlgorithm=noop",
                            "fetch",
                            "--quiet",
                            "origin",
                            "--no-tags",
                            "--no-write-fetch-head",
                            "--recurse-submodules=no",
                            "--filter=blob:none",
                            "--stdin",
                        ],
                        self._fetch_timeout,
                        stdin="".join(f"{o}\n" for o in chunk).encode(),
                    )

    def _git(
        self, repo: GitRepository, args: list[str], timeout: float, stdin: bytes | None = None
    ) -> bytes:
        return run_git(
            args,
            cwd=repo.git_dir,
            desc=repo.label,
            timeout=timeout,
            low_speed_time=self._low_speed_time,
            stdin=stdin,
            allow_file=repo.location.trusted,
        )

    def _lock_for(self, url: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(url, threading.Lock())

    def _open_clone(self, location: RepoLocation) -> GitRepository:
        dest = self.clone_path(location.url)
        if (dest / "HEAD").is_file():
            return GitRepository(location, dest, cache=self)
        if self.offline:
            raise RepositoryUnavailable(
                f"{redact(location.url)}: not in the repository cache {self.root} and offline "
                "mode is on; run once without --offline"
            )
        self.root.mkdir(parents=True, exist_ok=True)
        with _file_lock(dest):
            if (dest / "HEAD").is_file():  # another process cloned it meanwhile
                return GitRepository(location, dest, cache=self)
            self._clone(location, dest)
        return GitRepository(location, dest, cache=self)

    def _clone(self, location: RepoLocation, dest: Path) -> None:
        temp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", suffix=".tmp", dir=self.root))
        try:
            run_git(
                ["clone", "--quiet", "--bare", "--filter=blob:none", "--", location.url, str(temp)],
                cwd=self.root,
                desc=redact(location.url),
                timeout=self._clone_timeout,
                low_speed_time=self._low_speed_time,
                allow_file=location.trusted,
            )
            config = [
                ["config", "gc.auto", "0"],  # keep commits that branches no longer reach
                ["config", "--unset-all", "remote.origin.fetch"],
                *(["config", "--add", "remote.origin.fetch", spec] for spec in _FETCH_REFSPECS),
            ]
            for args in config:
                with contextlib.suppress(GitCommandFailed):
                    run_git(args, cwd=temp, desc=str(temp), timeout=60.0)
            os.replace(temp, dest)
        except GitCommandFailed as e:
            raise RepositoryUnavailable(
                f"{e}; check that the repository is public and reachable, or pass --repo"
            ) from e
        finally:
            shutil.rmtree(temp, ignore_errors=True)


def _open_local(location: RepoLocation) -> GitRepository:
    assert location.local_path is not None
    try:
        discovered = pygit2.discover_repository(str(location.local_path))
    except pygit2.GitError as e:
        raise RepositoryUnavailable(f"{location.url}: not a git repository: {e}") from e
    if discovered is None:
        raise RepositoryUnavailable(f"{location.url}: not a git repository")
    return GitRepository(location, Path(discovered), cache=None)


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """An exclusive lock on ``path.lock`` (beside *path*), for processes sharing the cache."""
    lock_path = path.with_name(path.name + ".lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a+b") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
