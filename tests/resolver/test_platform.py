"""Dependency platforms: ``cfg(...)`` parsing as ``cargo-platform`` does, and matching."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from cratewatch.resolver.platform import InvalidPlatform, Target, parse_platform

LINUX = Target.from_rustc_cfg(
    "x86_64-unknown-linux-gnu",
    'debug_assertions\npanic="unwind"\ntarget_arch="x86_64"\ntarget_env="gnu"\n'
    'target_family="unix"\ntarget_os="linux"\ntarget_pointer_width="64"\nunix\n',
)


@pytest.mark.parametrize(
    ("text", "matches"),
    [
        ("cfg(unix)", True),
        ("cfg(windows)", False),
        ('cfg(target_os = "linux")', True),
        ('cfg(target_os="macos")', False),
        ('cfg(all(unix, target_pointer_width = "64"))', True),
        ('cfg(all(unix, target_pointer_width = "32"))', False),
        ('cfg(any(windows, target_env = "gnu"))', True),
        ("cfg(not(windows))", True),
        ("cfg(all())", True),
        ("cfg(any())", False),
        ("cfg(any(windows, unix,))", True),
        ("cfg(true)", True),
        ("cfg(false)", False),
        ("cfg(r#unix)", True),
        ("x86_64-unknown-linux-gnu", True),
        ("x86_64-pc-windows-msvc", False),
        ("wasm32-unknown-unknown", False),
    ],
)
def test_platform_matches(text: str, matches: bool) -> None:
    assert parse_platform(text).matches(LINUX) is matches


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("cfg(target_os = linux)", "expected a string, found an identifier"),
        ("cfg()", "expected the start of a cfg expression, found end of input"),
        ("cfg(unix windows)", "unexpected content after the cfg expression"),
        ('cfg(target_os = "linux)', "unterminated string in cfg"),
        ("cfg(unix&windows)", "unexpected character `&` in cfg"),
        ("cfg(not(unix, windows))", "expected `)`, found `,`"),
        ("x86_64 linux", "unexpected character ` ` in target name"),
        ("windows(x)", "unexpected `(` character, cfg expressions must start with `cfg(`"),
    ],
)
def test_invalid_platforms_are_refused(text: str, problem: str) -> None:
    with pytest.raises(InvalidPlatform) as info:
        parse_platform(text)
    assert str(info.value) == f"target `{text}`: {problem}"


def test_rustc_cfg_output_with_bad_line_is_refused() -> None:
    with pytest.raises(InvalidPlatform) as info:
        Target.from_rustc_cfg("t", "unix\ntarget_os=linux\n")
    assert str(info.value) == "rustc cfg output for t: cannot read line 'target_os=linux'"


@pytest.mark.skipif(shutil.which("rustc") is None, reason="rustc is not on PATH")
def test_real_rustc_cfg_of_a_windows_target() -> None:
    out = subprocess.run(
        ["rustc", "--print", "cfg", "--target", "x86_64-pc-windows-msvc"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    windows = Target.from_rustc_cfg("x86_64-pc-windows-msvc", out)
    assert parse_platform("cfg(windows)").matches(windows)
    assert parse_platform('cfg(target_env = "msvc")').matches(windows)
    assert not parse_platform("cfg(unix)").matches(windows)
    assert parse_platform("x86_64-pc-windows-msvc").matches(windows)
