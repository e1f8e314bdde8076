"""The compiled per-commit cache (cratewatch.advisories.cache), through real loads."""

from __future__ import annotations

import hashlib
import marshal
from pathlib import Path

import pytest

from cratewatch.advisories.cache import (
    CacheMiss,
    CompiledDatabase,
    compiled_cache_path,
    read_compiled,
    write_compiled,
)
from cratewatch.advisories.database import (
    AdvisoryDatabase,
    CacheBuilt,
    CacheHit,
    NotCached,
    load_database,
)
from cratewatch.advisories.source import GitRemote
from tests.advisories.gitrepo import BASE_TIME, add_advisory, git, make_db_repo


@pytest.fixture
def upstream(tmp_path: Path) -> Path:
    repo = tmp_path / "upstream"
    make_db_repo(repo)
    return repo


def _load(upstream: Path, cache: Path) -> AdvisoryDatabase:
    return load_database(GitRemote(url=upstream.as_uri()), cache_dir=cache)


def _same(a: AdvisoryDatabase, b: AdvisoryDatabase) -> None:
    assert a.advisories == b.advisories
    assert a.info.commit == b.info.commit
    assert a.info.last_commit_time == b.info.last_commit_time
    assert a.info.skipped == b.info.skipped
    for adv in a.advisories:
        assert a.file_modified(adv.path) == b.file_modified(adv.path)
        assert a.file_created(adv.path) == b.file_created(adv.path)


def test_warm_load_equals_cold_load(upstream: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cold = _load(upstream, cache)
    assert isinstance(cold.info.cache, CacheBuilt)
    assert cold.info.cache.reason == "no compiled cache for this commit"
    warm = _load(upstream, cache)
    assert warm.info.cache == CacheHit(path=cold.info.cache.path)
    _same(cold, warm)


def test_new_commit_gets_its_own_cache(upstream: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = _load(upstream, cache)
    add_advisory(upstream, "newcrate", "RUSTSEC-2024-0100", when=BASE_TIME + 1)
    second = _load(upstream, cache)
    assert isinstance(second.info.cache, CacheBuilt)
    assert len(second) == len(first) + 1
    assert second.get("RUSTSEC-2024-0100") is not None


def _corrupt_flip_payload_byte(data: bytes) -> bytes:
    return data[:-10] + bytes([data[-10] ^ 0xFF]) + data[-9:]


def _rewrite_payload(data: bytes, payload: bytes) -> bytes:
    """A well-formed header (right fingerprint, commit and checksum) around *payload*."""
    magic, fingerprint, commit, _digest, _ = data.split(b"\n", 4)
    digest = hashlib.sha256(payload).hexdigest().encode()
    return b"\n".join([magic, fingerprint, commit, digest, payload])


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (lambda data: data[: len(data) // 2], "checksum mismatch (corrupt file)"),
        (_corrupt_flip_payload_byte, "checksum mismatch (corrupt file)"),
        (lambda data: b"", "not a cratewatch advisory cache"),
        (lambda data: b"\x80\x04garbage pickle", "not a cratewatch advisory cache"),
        (
            lambda data: data.replace(data.split(b"\n")[1], b"0" * 64, 1),
            "written by another cratewatch version or cache format",
        ),
        (
            lambda data: _rewrite_payload(data, marshal.dumps((1, 2))),
            "undecodable payload: not enough values to unpack (expected 4, got 2)",
        ),
        (
            lambda data: _rewrite_payload(data, b"\xff\x00\x01"),
            "undecodable payload: bad marshal data (unknown type code)",
        ),
    ],
)
def test_damaged_cache_is_rebuilt(
    upstream: Path, tmp_path: Path, damage: object, reason: str
) -> None:
    cache = tmp_path / "cache"
    cold = _load(upstream, cache)
    assert isinstance(cold.info.cache, CacheBuilt)
    path = cold.info.cache.path
    path.write_bytes(damage(path.read_bytes()))  # type: ignore[operator]
    rebuilt = _load(upstream, cache)
    assert rebuilt.info.cache == CacheBuilt(path=path, reason=reason)
    _same(cold, rebuilt)
    assert isinstance(_load(upstream, cache).info.cache, CacheHit)


def test_cache_of_another_commit_is_not_used(upstream: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = _load(upstream, cache)
    assert first.info.commit is not None
    add_advisory(upstream, "newcrate", "RUSTSEC-2024-0100", when=BASE_TIME + 1)
    new_commit = git(upstream, "rev-parse", "HEAD").strip()
    impostor = compiled_cache_path(cache, new_commit)
    impostor.write_bytes(compiled_cache_path(cache, first.info.commit).read_bytes())
    second = _load(upstream, cache)
    assert second.info.cache == CacheBuilt(path=impostor, reason="written for another commit")
    assert second.get("RUSTSEC-2024-0100") is not None


def test_unreadable_cache_directory_still_loads(upstream: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    (cache / "advisory-db").mkdir(parents=True)
    (cache / "advisory-db" / "compiled").write_text("a file where a directory should be")
    db = _load(upstream, cache)
    assert len(db) == 6
    assert isinstance(db.info.cache, NotCached)
    assert db.info.cache.reason.startswith("cannot write the compiled cache: ")


def test_writes_are_atomic_and_old_caches_pruned(upstream: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    for i in range(6):
        add_advisory(upstream, f"crate{i}", f"RUSTSEC-2024-01{i:02}", when=BASE_TIME + i)
        _load(upstream, cache)
    files = sorted(p.name for p in (cache / "advisory-db" / "compiled").iterdir())
    assert len(files) == 4
    assert all(name.endswith(".bin") for name in files)  # no temporary files left
    head = git(upstream, "rev-parse", "HEAD").strip()
    assert f"{head}.bin" in files


def test_read_and_write_round_trip(upstream: Path, tmp_path: Path) -> None:
    db = _load(upstream, tmp_path / "cache")
    assert db.info.commit is not None
    assert db.info.last_commit_time is not None
    compiled = CompiledDatabase(
        commit=db.info.commit,
        last_commit_time=db.info.last_commit_time,
        advisories=db.advisories,
        skipped=(),
        file_times={a.path: (1, 2) for a in db.advisories},
    )
    path = tmp_path / "x" / "c.bin"
    write_compiled(path, compiled)
    assert read_compiled(path, commit=db.info.commit) == compiled
    assert read_compiled(tmp_path / "missing.bin", commit=db.info.commit) == CacheMiss(
        reason="no compiled cache for this commit"
    )


def test_cache_path_refuses_non_commit_ids(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not a git commit id"):
        compiled_cache_path(tmp_path, "../../etc/passwd")
