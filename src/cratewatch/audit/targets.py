"""Target triples to the os/arch names RustSec advisories use in ``[affected]``."""

from __future__ import annotations

__all__ = ["triple_os_arch"]

_ARCH_ALIASES = {"i586": "x86", "i686": "x86", "armv7": "arm", "thumbv7em": "arm"}
_OS_WORDS = {
    "linux": "linux",
    "windows": "windows",
    "darwin": "macos",
    "ios": "ios",
    "android": "android",
    "freebsd": "freebsd",
    "netbsd": "netbsd",
    "openbsd": "openbsd",
    "dragonfly": "dragonfly",
    "solaris": "solaris",
    "illumos": "illumos",
    "fuchsia": "fuchsia",
    "wasi": "wasi",
}


def triple_os_arch(triple: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """``(os names, arch names)`` of a target triple, empty where unknown.

    >>> triple_os_arch("x86_64-unknown-linux-gnu")
    (('linux',), ('x86_64',))
    >>> triple_os_arch("aarch64-apple-darwin")
    (('macos',), ('aarch64',))
    >>> triple_os_arch("i686-pc-windows-msvc")
    (('windows',), ('x86',))
    """
    parts = triple.split("-")
    arch = _ARCH_ALIASES.get(parts[0], parts[0])
    os_names = tuple(dict.fromkeys(_OS_WORDS[p] for p in parts[1:] if p in _OS_WORDS))
    return os_names, (arch,)
