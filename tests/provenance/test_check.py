"""Every provenance status, produced from genuine ``cargo package`` output and real git repos."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pygit2
import pytest
from pytest_httpserver import HTTPServer

from cratewatch.archive import ArchiveLink, LinkKind, extract_crate
from cratewatch.inspect.source import CrateSource, from_crate_file, from_directory
from cratewatch.provenance import (
    Comparison,
    Errored,
    FileState,
    ProvenanceResult,
    RepoCache,
    Status,
    check_provenance,
    location_from_user,
)
from cratewatch.provenance.report import load_schema, result_to_json
from tests.provenance.world import SCENARIOS, World, git, member_manifest, moved_remote, write_file


def _check(
    world: World,
    scenario: str,
    cache_dir: Path,
    *,
    repo: str | None = None,
    offline: bool = False,
    timeout: float = 60.0,
) -> ProvenanceResult:
    crate = from_crate_file(world.crates[scenario])
    cache = RepoCache(cache_dir, offline=offline, clone_timeout=timeout, fetch_timeout=timeout)
    location = location_from_user(repo) if repo is not None else None
    return check_provenance(crate, cache=cache, repository=location, url_rewrites=[world.rewrite])


def _comparison(result: ProvenanceResult) -> Comparison:
    comparison = getattr(result.outcome, "comparison", None)
    assert isinstance(comparison, Comparison), result
    return comparison


def _states(result: ProvenanceResult) -> dict[str, tuple[FileState, str | None]]:
    return {f.path: (f.state, f.repo_path) for f in _comparison(result).files}


@pytest.fixture(scope="module")
def shared_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One repository cache for the module (clones are reused, as across runs)."""
    return tmp_path_factory.mktemp("repo-cache")


@pytest.mark.parametrize(("scenario", "expected"), sorted(SCENARIOS.items()))
def test_every_status_from_genuine_crates(
    world: World, shared_cache: Path, tmp_path: Path, scenario: str, expected: str
) -> None:
    repo = moved_remote(world, tmp_path) if scenario == "vend-moved" else None
    result = _check(world, scenario, shared_cache, repo=repo)
    assert result.status.value == expected, result.outcome
    document = result_to_json(result)
    jsonschema.validate(document, load_schema())
    assert document["status"] == expected
    assert document["verified"] is (expected in ("match", "symlink-caveat"))


def test_workspace_member_with_files_from_outside_the_package(
    world: World, shared_cache: Path
) -> None:
    result = _check(world, "core", shared_cache)
    assert result.commit == world.ws_commit
    assert (result.path_in_vcs, result.package_path) == ("crates/core", "crates/core")
    assert result.repository == f"file://{world.remote}/ws"
    assert result.declared_repository == "https://git.example.test/ws"
    assert _states(result) == {
        ".cargo_vcs_info.json": (FileState.GENERATED, None),
        "Cargo.lock": (FileState.GENERATED, None),
        "Cargo.toml": (FileState.GENERATED, None),
        "Cargo.toml.orig": (FileState.MATCH, "crates/core/Cargo.toml"),
        "LICENSE": (FileState.MATCH, "LICENSE"),
        "README.md": (FileState.MATCH, "README.md"),
        "src/lib.rs": (FileState.MATCH, "crates/core/src/lib.rs"),
    }
    notes = {f.path: f.note for f in _comparison(result).files}
    assert notes["README.md"] == "copied by cargo from README.md (readme outside the package)"
    assert notes["LICENSE"] == "copied by cargo from LICENSE (license-file outside the package)"
    assert _comparison(result).missing_from_crate == ("notes.txt",)


def test_symlinked_readme_and_submodule_files_match(world: World, shared_cache: Path) -> None:
    cli = _check(world, "cli", shared_cache)
    readme = next(f for f in _comparison(cli).files if f.path == "README.md")
    assert (readme.state, readme.repo_path) == (FileState.MATCH, "README.md")
    assert readme.note == "through symbolic link crates/cli/README.md -> ../../README.md"
    vend = _check(world, "vend", shared_cache)
    third = next(f for f in _comparison(vend).files if f.path == "third/src/third.rs")
    assert (third.state, third.repo_path) == (FileState.MATCH, "crates/vend/third/src/third.rs")
    assert third.note is not None
    assert third.note.startswith("in submodule crates/vend/third at ")
    assert f"file://{world.remote}/third" in third.note


def test_cargo_lock_is_compared_when_the_package_directory_has_one(
    world: World, shared_cache: Path
) -> None:
    result = _check(world, "tool", shared_cache)
    assert _states(result)["Cargo.lock"] == (FileState.MATCH, "Cargo.lock")


def test_old_crate_without_path_in_vcs_is_located_by_its_manifest(
    world: World, shared_cache: Path
) -> None:
    result = _check(world, "old-cli", shared_cache)
    assert result.path_in_vcs is None
    assert result.package_path == "crates/cli"
    assert result.status is Status.MATCH


def test_symlink_caveat_names_the_link(world: World, shared_cache: Path) -> None:
    result = _check(world, "nosym-cli", shared_cache)
    caveats = [f for f in _comparison(result).files if f.state is FileState.SYMLINK_CAVEAT]
    assert [(f.path, f.repo_path) for f in caveats] == [("README.md", "crates/cli/README.md")]
    assert _comparison(result).differences == ()


def test_modified_file_gives_a_unified_diff(world: World, shared_cache: Path) -> None:
    result = _check(world, "modified-core", shared_cache)
    (difference,) = _comparison(result).differences
    assert (difference.path, difference.state) == ("src/lib.rs", FileState.DIFFERS)
    assert difference.repo_path == "crates/core/src/lib.rs"
    assert difference.diff is not None
    lines = difference.diff.splitlines()
    assert lines[:2] == ["--- repository/crates/core/src/lib.rs", "+++ crate/src/lib.rs"]
    assert "+pub fn exfiltrate() { /* not in the repository */ }" in lines
    assert not [line for line in lines[2:] if line.startswith("-")]


def test_injected_file_is_extra_with_its_content(world: World, shared_cache: Path) -> None:
    result = _check(world, "injected-core", shared_cache)
    (difference,) = _comparison(result).differences
    assert (difference.path, difference.state, difference.repo_path) == (
        "src/backdoor.rs",
        FileState.EXTRA,
        None,
    )
    assert difference.diff is not None
    assert "+pub fn backdoor() {}" in difference.diff.splitlines()


def test_link_leaving_the_repository_is_a_mismatch(world: World, shared_cache: Path) -> None:
    result = _check(world, "escape", shared_cache)
    (difference,) = _comparison(result).differences
    assert difference.path == "src/extra.rs"
    assert difference.note is not None
    assert "leaves the repository" in difference.note
    assert difference.diff is not None
    assert "+pub fn from_outside_the_repository() {}" in difference.diff


def test_dirty_crate_still_shows_what_differs(world: World, shared_cache: Path) -> None:
    result = _check(world, "dirty-core", shared_cache)
    assert result.status is Status.DIRTY
    assert [d.path for d in _comparison(result).differences] == ["src/lib.rs"]


def test_reasons_of_statuses_that_compare_nothing(world: World, shared_cache: Path) -> None:
    unpushed = _check(world, "unpushed-core", shared_cache)
    assert unpushed.commit is not None
    assert getattr(unpushed.outcome, "reason", "").startswith(
        f"commit {unpushed.commit} is not in file://{world.remote}/ws"
    )
    bad = _check(world, "badinfo-core", shared_cache)
    assert bad.outcome == Errored(
        reason="core@0.1.0: .cargo_vcs_info.json: git.sha1: expected a string, got 3"
    )
    renamed = _check(world, "renamed-plain", shared_cache)
    assert getattr(renamed.outcome, "reason", "") == (
        f"no package named plainx in the 8 Cargo.toml file(s) at commit {world.ws_commit[:12]}"
    )
    norepo = _check(world, "norepo", shared_cache)
    assert "declares no package.repository" in getattr(norepo.outcome, "reason", "")


def test_unreachable_submodule_is_reported(world: World, tmp_path: Path) -> None:
    result = _check(world, "vend-moved", tmp_path / "cache", repo=moved_remote(world, tmp_path))
    (missing,) = _comparison(result).missing_submodules
    assert (missing.path, missing.url) == ("crates/vend/third", "../third")
    assert "git clone failed" in missing.reason


def test_extracted_directory_gives_the_same_result(
    world: World, shared_cache: Path, tmp_path: Path
) -> None:
    for scenario in ("core", "modified-core", "nosym-cli"):
        crate = from_crate_file(world.crates[scenario])
        extracted = extract_crate(
            world.crates[scenario], tmp_path / scenario, name=crate.name, version=crate.version
        )
        (extracted.root / ".cargo-ok").write_text('{"v":1}')
        from_dir = from_directory(extracted.root)
        cache = RepoCache(shared_cache)
        by_file = check_provenance(crate, cache=cache, url_rewrites=[world.rewrite])
        by_dir = check_provenance(from_dir, cache=cache, url_rewrites=[world.rewrite])
        assert by_dir.status is by_file.status
        assert _comparison(by_dir).differences == _comparison(by_file).differences
        assert _states(by_dir)[".cargo-ok"] == (FileState.GENERATED, None)


def test_clone_is_partial_and_reused_without_network(world: World, tmp_path: Path) -> None:
    cache_dir = tmp_path / "cache"
    first = _check(world, "cli", cache_dir)
    assert first.status is Status.MATCH
    clone = RepoCache(cache_dir).clone_path(f"file://{world.remote}/ws")
    repo = pygit2.Repository(str(clone))
    tree = repo.revparse_single(world.ws_commit).peel(pygit2.Tree)
    assert str(tree["crates/cli/src/main.rs"].id) not in repo  # never fetched: hash compared
    assert str(tree["crates/cli/README.md"].id) in repo  # the link target was needed
    # the remote disappears: the cached clone answers alone
    (world.remote / "ws").rename(world.remote / "ws.away")
    try:
        again = _check(world, "cli", cache_dir)
        assert again.status is Status.MATCH
        offline = _check(world, "cli", cache_dir, offline=True)
        assert offline.status is Status.MATCH
    finally:
        (world.remote / "ws.away").rename(world.remote / "ws")


def test_local_repository_is_read_in_place(world: World, tmp_path: Path) -> None:
    work = world.root / "work" / "ws"
    result = _check(world, "core", tmp_path / "cache", repo=str(work))
    assert result.status is Status.MATCH
    assert result.repository == str(work)
    assert not (tmp_path / "cache").exists()
    # the rewritten commit still exists in the clone that made it
    unpushed = _check(
        world, "unpushed-core", tmp_path / "cache", repo=str(world.root / "work" / "unpushed")
    )
    assert unpushed.status is Status.MATCH


def test_offline_without_a_cached_clone(world: World, tmp_path: Path) -> None:
    result = _check(world, "core", tmp_path / "cache", offline=True)
    assert result.status is Status.REPOSITORY_UNREACHABLE
    assert "offline mode is on" in getattr(result.outcome, "reason", "")


def test_private_repository_fails_at_once(
    world: World, httpserver: HTTPServer, tmp_path: Path
) -> None:
    httpserver.expect_request("/private/info/refs").respond_with_data(
        "Authentication required",
        status=401,
        headers={"WWW-Authenticate": 'Basic realm="private"'},
    )
    result = _check(world, "core", tmp_path / "cache", repo=httpserver.url_for("/private"))
    assert result.status is Status.REPOSITORY_UNREACHABLE
    reason = getattr(result.outcome, "reason", "")
    assert reason.startswith(f"{httpserver.url_for('/private')}: git clone failed:")
    assert "could not read Username" in reason


@pytest.fixture
def silent_server() -> Iterator[str]:
    """An HTTP server that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
                held.append(conn)
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}/stalled"
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


def test_stalled_server_times_out(world: World, silent_server: str, tmp_path: Path) -> None:
    result = _check(world, "core", tmp_path / "cache", repo=silent_server, timeout=2.0)
    assert result.status is Status.REPOSITORY_UNREACHABLE
    assert "git clone timed out after 2s" in getattr(result.outcome, "reason", "")
    assert not list((tmp_path / "cache" / "provenance" / "repos").glob("*.git"))


def test_links_inside_the_archive_are_extra(world: World, shared_cache: Path) -> None:
    crate = from_crate_file(world.crates["core"])
    linked = CrateSource(
        name=crate.name,
        version=crate.version,
        origin=crate.origin,
        checksum=crate.checksum,
        files=crate.files,
        links=(
            ArchiveLink(
                path="src/x.rs", target="/etc/passwd", kind=LinkKind.SYMLINK, inside_root=False
            ),
        ),
    )
    result = check_provenance(linked, cache=RepoCache(shared_cache), url_rewrites=[world.rewrite])
    assert result.status is Status.MISMATCH
    (difference,) = _comparison(result).differences
    assert difference.path == "src/x.rs"
    assert (
        difference.note
        == "a symlink to '/etc/passwd' in the archive (cargo never packages links); empty file"
    )


def test_huge_differing_file_is_not_loaded_for_a_diff(tmp_path: Path) -> None:
    repo = tmp_path / "big"
    git(tmp_path, "init", "-q", "-b", "main", str(repo))
    write_file(repo / "Cargo.toml", member_manifest("big", "0.1.0"))
    write_file(repo / "data.bin", "x" * (3 * 1024 * 1024))
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "big")
    commit = git(repo, "rev-parse", "HEAD")
    vcs = json.dumps({"git": {"sha1": commit}, "path_in_vcs": ""}).encode()
    crate = CrateSource(
        name="big",
        version="0.1.0",
        origin="memory",
        checksum="unverified",
        files={
            ".cargo_vcs_info.json": vcs,
            "Cargo.toml.orig": (repo / "Cargo.toml").read_bytes(),
            "data.bin": b"y" * 10,
        },
    )
    result = check_provenance(
        crate, cache=RepoCache(tmp_path / "cache"), repository=location_from_user(str(repo))
    )
    (difference,) = _comparison(result).differences
    assert (difference.repo_size, difference.diff, difference.note) == (
        3 * 1024 * 1024,
        None,
        "too large to diff",
    )
