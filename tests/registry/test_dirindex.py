"""The directory backend on real files: layout, strays, symlinks and FIFOs planted in it."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from cratewatch.errors import RegistryError
from cratewatch.registry.dirindex import DirIndex
from cratewatch.registry.index import CrateNotFound
from cratewatch.registry.model import DepKind
from cratewatch.registry.parse import InvalidIndexEntry, InvalidIndexFile
from tests.registry.conftest import FIXTURE_INDEX


@pytest.fixture
def index_dir(tmp_path: Path) -> Path:
    root = tmp_path / "index"
    shutil.copytree(FIXTURE_INDEX, root)
    return root


def test_versions_names_and_config(index_dir: Path) -> None:
    index = DirIndex(index_dir)
    syn = index.versions("SYN")
    assert [e.vers for e in syn] == ["1.0.0", "1.0.1"]
    assert [(d.name, d.kind, d.target) for d in syn[1].deps] == [
        ("proc-macro2", DepKind.NORMAL, None),
        ("winapi", DepKind.NORMAL, "cfg(windows)"),
        ("insta", DepKind.DEV, None),
        ("cc", DepKind.BUILD, None),
    ]
    assert sorted(index.names()) == ["a", "demo", "syn"]
    assert len(list(index.iter_entries())) == 6
    assert index.config().dl == "https://static.example.test/crates"


def test_strays_are_not_crates(index_dir: Path) -> None:
    (index_dir / "README.md").write_text("hi\n")
    (index_dir / "iso").mkdir()
    (index_dir / "iso" / "build90.sh").write_text("#!/bin/sh\n")
    (index_dir / "se" / "rd").mkdir(parents=True)
    (index_dir / "se" / "rd" / "Serde").write_text("{}\n")  # not lowercase: not where Cargo looks
    assert list(DirIndex(index_dir).names()) == ["a", "syn", "demo"]


def test_missing_crate(index_dir: Path) -> None:
    with pytest.raises(CrateNotFound) as info:
        DirIndex(index_dir).versions("serde")
    assert str(info.value) == f"crate 'serde': not found in {index_dir}"


def test_a_symlink_out_of_the_root_is_refused(index_dir: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text('{"name": "ab"}\n')
    (index_dir / "2").mkdir()
    (index_dir / "2" / "ab").symlink_to(secret)
    index = DirIndex(index_dir)
    with pytest.raises(RegistryError) as info:
        index.versions("ab")
    assert str(info.value) == f"{index_dir}: 2/ab leads outside the index (symlink)"
    assert "ab" not in list(index.names())  # walking never follows symlinks either


def test_a_symlinked_directory_out_of_the_root_is_refused(index_dir: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside" / "s"
    outside.mkdir(parents=True)
    (outside / "sss").write_text("{}\n")
    (index_dir / "3" / "x").symlink_to(outside, target_is_directory=True)
    with pytest.raises(RegistryError, match="leads outside the index"):
        DirIndex(index_dir).versions("xxx")


def test_a_symlink_inside_the_root_is_read(index_dir: Path) -> None:
    (index_dir / "2").mkdir()
    (index_dir / "2" / "ab").symlink_to("../1/a")
    with pytest.raises(InvalidIndexEntry) as info:
        DirIndex(index_dir).versions("ab")
    # the file is read, and its lines must be about the crate the path names
    assert str(info.value) == "2/ab: line 1: name: expected 'ab' (the file's crate), got \"a\""


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_does_not_hang(index_dir: Path) -> None:
    (index_dir / "2").mkdir()
    os.mkfifo(index_dir / "2" / "ff")
    with pytest.raises(CrateNotFound):
        DirIndex(index_dir).versions("ff")


def test_file_size_bound(index_dir: Path) -> None:
    with pytest.raises(InvalidIndexFile) as info:
        DirIndex(index_dir, max_file_bytes=100).versions("demo")
    assert str(info.value) == "de/mo/demo: index file is more than the limit of 100 bytes"


def test_not_a_directory_and_no_config(tmp_path: Path) -> None:
    with pytest.raises(RegistryError) as info:
        DirIndex(tmp_path / "nope")
    assert str(info.value) == f"{tmp_path / 'nope'}: not a directory"
    with pytest.raises(RegistryError) as info:
        DirIndex(tmp_path).config()
    assert str(info.value) == f"{tmp_path}: no config.json at the index root"
