"""Safe .crate reading and extraction against hostile tarballs built here."""

from __future__ import annotations

import gzip
import io
import tarfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cratewatch.archive import (
    ArchiveLimits,
    ArchiveLink,
    ArchiveTooLarge,
    LinkKind,
    UnsafeArchive,
    extract_crate,
    iter_crate_files,
    read_crate,
)


@dataclass(frozen=True)
class Entry:
    name: str
    data: bytes = b""
    kind: bytes = tarfile.REGTYPE
    linkname: str = ""
    mode: int = 0o644


def make_crate(entries: list[Entry], *, compresslevel: int = 9) -> bytes:
    buf = io.BytesIO()
    with (
        gzip.GzipFile(fileobj=buf, mode="wb", compresslevel=compresslevel, mtime=0) as gz,
        tarfile.open(fileobj=gz, mode="w", format=tarfile.GNU_FORMAT) as tar,
    ):
        for entry in entries:
            info = tarfile.TarInfo(entry.name)
            info.type = entry.kind
            info.mode = entry.mode
            info.linkname = entry.linkname
            if entry.kind == tarfile.REGTYPE:
                info.size = len(entry.data)
                tar.addfile(info, io.BytesIO(entry.data))
            else:
                tar.addfile(info)
    return buf.getvalue()


GOOD = [
    Entry("demo-0.1.0/Cargo.toml", b'[package]\nname = "demo"\n'),
    Entry("demo-0.1.0/src", kind=tarfile.DIRTYPE, mode=0o755),
    Entry("demo-0.1.0/src/lib.rs", b"pub fn f() {}\n"),
    Entry("demo-0.1.0/build.rs", b"fn main() {}\n", mode=0o755),
]


def test_reads_regular_files_relative_to_the_prefix() -> None:
    files = list(iter_crate_files(make_crate(GOOD), name="demo", version="0.1.0"))
    assert files == [
        ("Cargo.toml", b'[package]\nname = "demo"\n'),
        ("src/lib.rs", b"pub fn f() {}\n"),
        ("build.rs", b"fn main() {}\n"),
    ]


def test_read_crate_totals_and_reads_from_a_path(tmp_path: Path) -> None:
    path = tmp_path / "demo-0.1.0.crate"
    path.write_bytes(make_crate(GOOD))
    read = read_crate(path, name="demo", version="0.1.0")
    assert sorted(read.files) == ["Cargo.toml", "build.rs", "src/lib.rs"]
    assert read.total_bytes == sum(len(e.data) for e in GOOD)
    assert read.links == ()


def test_extracts_files_and_directories(tmp_path: Path) -> None:
    result = extract_crate(make_crate(GOOD), tmp_path / "out", name="demo", version="0.1.0")
    assert result.root == tmp_path / "out" / "demo-0.1.0"
    assert (result.root / "src" / "lib.rs").read_bytes() == b"pub fn f() {}\n"
    assert result.files == ("Cargo.toml", "src/lib.rs", "build.rs")
    assert (result.root / "build.rs").stat().st_mode & 0o777 == 0o755
    assert (result.root / "Cargo.toml").stat().st_mode & 0o777 == 0o644


HOSTILE = [
    pytest.param(
        [Entry("/etc/cron.d/x", b"x")], "member '/etc/cron.d/x': absolute path", id="absolute"
    ),
    pytest.param(
        [Entry("demo-0.1.0/../../evil", b"x")],
        "member 'demo-0.1.0/../../evil': '..' in path",
        id="dotdot",
    ),
    pytest.param(
        [Entry("other-1.0.0/src/lib.rs", b"x")],
        "member 'other-1.0.0/src/lib.rs': outside the demo-0.1.0/ prefix",
        id="other-prefix",
    ),
    pytest.param(
        [Entry("demo-0.1.0x/src/lib.rs", b"x")],
        "member 'demo-0.1.0x/src/lib.rs': outside the demo-0.1.0/ prefix",
        id="prefix-lookalike",
    ),
    pytest.param(
        [Entry("C:/Windows/evil.dll", b"x")],
        "member 'C:/Windows/evil.dll': absolute path",
        id="drive-letter",
    ),
    pytest.param(
        [Entry("demo-0.1.0\\..\\evil", b"x")],
        "member 'demo-0.1.0\\\\..\\\\evil': NUL or backslash in path",
        id="backslash",
    ),
    pytest.param(
        [Entry("demo-0.1.0/dev/null", kind=tarfile.CHRTYPE)],
        "member 'dev/null': device, FIFO or special file",
        id="char-device",
    ),
    pytest.param(
        [Entry("demo-0.1.0/disk", kind=tarfile.BLKTYPE)],
        "member 'disk': device, FIFO or special file",
        id="block-device",
    ),
    pytest.param(
        [Entry("demo-0.1.0/pipe", kind=tarfile.FIFOTYPE)],
        "member 'pipe': device, FIFO or special file",
        id="fifo",
    ),
    pytest.param(
        [Entry("demo-0.1.0/a.rs", b"1"), Entry("demo-0.1.0/./a.rs", b"2")],
        "member 'a.rs': appears twice",
        id="duplicate",
    ),
]


@pytest.mark.parametrize(("entries", "message"), HOSTILE)
def test_hostile_members_are_refused_in_memory(entries: list[Entry], message: str) -> None:
    with pytest.raises(UnsafeArchive) as caught:
        list(iter_crate_files(make_crate(entries), name="demo", version="0.1.0", source="x"))
    assert str(caught.value) == f"x: {message}"


@pytest.mark.parametrize(("entries", "message"), HOSTILE)
def test_hostile_members_are_refused_on_extraction(
    entries: list[Entry], message: str, tmp_path: Path
) -> None:
    dest = tmp_path / "deep" / "out"
    with pytest.raises(UnsafeArchive) as caught:
        extract_crate(make_crate(entries), dest, name="demo", version="0.1.0", source="x")
    assert str(caught.value) == f"x: {message}"
    written = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")}
    assert written <= {"deep", "deep/out", "deep/out/demo-0.1.0", "deep/out/demo-0.1.0/a.rs"}


LINKS = [
    Entry("demo-0.1.0/src/lib.rs", b"//"),
    Entry("demo-0.1.0/ssh", kind=tarfile.SYMTYPE, linkname="/home/user/.ssh/id_rsa"),
    Entry("demo-0.1.0/src/up", kind=tarfile.SYMTYPE, linkname="../../outside"),
    Entry("demo-0.1.0/src/alias.rs", kind=tarfile.SYMTYPE, linkname="lib.rs"),
    Entry("demo-0.1.0/passwd", kind=tarfile.LNKTYPE, linkname="/etc/passwd"),
    Entry("demo-0.1.0/copy.rs", kind=tarfile.LNKTYPE, linkname="demo-0.1.0/src/lib.rs"),
    Entry("demo-0.1.0/src/up/escaped.rs", b"through the link"),
]
EXPECTED_LINKS = (
    ArchiveLink(
        path="ssh", target="/home/user/.ssh/id_rsa", kind=LinkKind.SYMLINK, inside_root=False
    ),
    ArchiveLink(path="src/up", target="../../outside", kind=LinkKind.SYMLINK, inside_root=False),
    ArchiveLink(path="src/alias.rs", target="lib.rs", kind=LinkKind.SYMLINK, inside_root=True),
    ArchiveLink(path="passwd", target="/etc/passwd", kind=LinkKind.HARDLINK, inside_root=False),
    ArchiveLink(
        path="copy.rs", target="demo-0.1.0/src/lib.rs", kind=LinkKind.HARDLINK, inside_root=True
    ),
)


def test_links_are_reported_never_followed_in_memory() -> None:
    read = read_crate(make_crate(LINKS), name="demo", version="0.1.0")
    assert read.links == EXPECTED_LINKS
    assert read.files == {"src/lib.rs": b"//", "src/up/escaped.rs": b"through the link"}


def test_links_are_never_created_on_extraction(tmp_path: Path) -> None:
    result = extract_crate(make_crate(LINKS), tmp_path / "out", name="demo", version="0.1.0")
    assert result.links == EXPECTED_LINKS
    assert not (tmp_path / "outside").exists()
    created = sorted(p.relative_to(result.root).as_posix() for p in result.root.rglob("*"))
    assert created == ["src", "src/lib.rs", "src/up", "src/up/escaped.rs"]
    assert not any(p.is_symlink() for p in tmp_path.rglob("*"))
    assert (result.root / "src" / "up").is_dir()


def test_extraction_refuses_an_existing_destination(tmp_path: Path) -> None:
    (tmp_path / "demo-0.1.0").mkdir()
    with pytest.raises(UnsafeArchive, match="cannot create"):
        extract_crate(make_crate(GOOD), tmp_path, name="demo", version="0.1.0")


def test_file_over_the_per_file_cap() -> None:
    entries = [Entry("demo-0.1.0/big.bin", b"x" * 1001)]
    limits = ArchiveLimits(max_file_bytes=1000)
    with pytest.raises(ArchiveTooLarge) as caught:
        read_crate(make_crate(entries), name="demo", version="0.1.0", limits=limits, source="c")
    assert str(caught.value) == "c: member 'big.bin': 1001 bytes, more than the limit of 1000"


def test_too_many_members() -> None:
    entries = [Entry(f"demo-0.1.0/f{i}.rs", b"") for i in range(11)]
    limits = ArchiveLimits(max_files=10)
    with pytest.raises(ArchiveTooLarge) as caught:
        read_crate(make_crate(entries), name="demo", version="0.1.0", limits=limits, source="c")
    assert str(caught.value) == "c: more than 10 members"


def test_total_uncompressed_size_is_capped() -> None:
    entries = [Entry(f"demo-0.1.0/f{i}.bin", bytes(range(256)) * 40) for i in range(10)]
    limits = ArchiveLimits(max_total_bytes=50_000, max_ratio=10_000)
    with pytest.raises(ArchiveTooLarge) as caught:
        read_crate(make_crate(entries), name="demo", version="0.1.0", limits=limits, source="c")
    assert str(caught.value) == "c: more than 50000 bytes once uncompressed"


def test_gzip_bomb_stops_early() -> None:
    # 200 MB of zeros compress to ~200 KB; the default limits allow 512 MB in total, so
    # only the ratio can stop it, and it must do so long before the end.
    zeros = io.BytesIO()
    with gzip.GzipFile(fileobj=zeros, mode="wb", mtime=0) as gz:
        header = tarfile.TarInfo("demo-0.1.0/zeros.bin")
        header.size = 200 * 1024 * 1024
        gz.write(header.tobuf(format=tarfile.GNU_FORMAT))
        chunk = bytes(1024 * 1024)
        for _ in range(200):
            gz.write(chunk)
    bomb = zeros.getvalue()
    assert len(bomb) < 1024 * 1024
    limits = ArchiveLimits(max_file_bytes=512 * 1024 * 1024)
    with pytest.raises(ArchiveTooLarge, match=r"compression ratio above 200:1") as caught:
        read_crate(bomb, name="demo", version="0.1.0", limits=limits, source="bomb")
    assert str(caught.value).startswith("bomb: ")


def test_small_well_compressed_archives_are_fine() -> None:
    entries = [Entry("demo-0.1.0/zeros.txt", bytes(1024 * 1024))]
    read = read_crate(make_crate(entries), name="demo", version="0.1.0")
    assert read.total_bytes == 1024 * 1024


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param(b"not gzip at all", "c: not a valid gzip stream: ", id="not-gzip"),
        pytest.param(
            gzip.compress(b"\x01" * 1024, mtime=0), "c: not a tar archive: ", id="not-tar"
        ),
    ],
)
def test_garbage_is_refused(data: bytes, message: str) -> None:
    with pytest.raises(UnsafeArchive) as caught:
        read_crate(data, name="demo", version="0.1.0", source="c")
    assert str(caught.value).startswith(message)


def test_truncated_archive_is_refused() -> None:
    data = make_crate([Entry("demo-0.1.0/a.bin", bytes(range(256)) * 400)], compresslevel=0)
    with pytest.raises(UnsafeArchive) as caught:
        read_crate(data[: len(data) // 2], name="demo", version="0.1.0", source="c")
    assert str(caught.value).startswith("c: ")


def test_bad_crc_is_refused() -> None:
    data = bytearray(make_crate(GOOD))
    data[-8] ^= 0xFF  # the gzip trailer's CRC
    with pytest.raises(UnsafeArchive, match="not a valid gzip stream"):
        read_crate(bytes(data), name="demo", version="0.1.0")


_SEGMENT = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789_.-", min_size=1, max_size=8)
_PATHS = st.lists(st.lists(_SEGMENT, min_size=1, max_size=3), min_size=1, max_size=8).map(
    lambda parts: sorted({"/".join(p) for p in parts if all(s not in (".", "..") for s in p)})
)


@settings(max_examples=40, deadline=None)
@given(paths=_PATHS, data=st.binary(max_size=200))
def test_safe_trees_round_trip(paths: list[str], data: bytes) -> None:
    # a path that is a prefix directory of another cannot also be a file
    files = [p for p in paths if not any(q.startswith(p + "/") for q in paths)]
    entries = [Entry(f"demo-1.0.0/{p}", data + p.encode()) for p in files]
    read = read_crate(make_crate(entries), name="demo", version="1.0.0")
    assert read.files == {p: data + p.encode() for p in files}
