"""Read the dependency list ``cargo auditable`` embeds in Rust binaries (``.dep-v0``).

``cargo auditable build`` stores the crate graph, zlib-compressed JSON, in a linker section
of the executable; :func:`read_auditable` finds it in ELF, PE, Mach-O and WebAssembly files
and returns typed packages an auditor can match against advisories.

>>> import sys
>>> from pathlib import Path
>>> match read_auditable(Path(sys.executable)):
...     case AuditableDeps() as deps:
...         print(packages_for_audit(deps))
...     case NoAuditData(reason=reason):
...         print(reason)
no embedded dependency data (build with `cargo auditable build`)
"""

from cratewatch.binaries.formats import SECTION_NAME, detect_format
from cratewatch.binaries.graph import (
    DEFAULT_PATH_LIMIT,
    AuditTarget,
    DependencyGraph,
    dependency_paths,
    packages_for_audit,
)
from cratewatch.binaries.model import (
    NO_AUDIT_DATA_REASON,
    AuditableDeps,
    AuditableResult,
    BinaryFormat,
    BinaryPackage,
    DependencyKind,
    InvalidBinary,
    NoAuditData,
    parse_audit_json,
)
from cratewatch.binaries.reader import DEFAULT_MAX_JSON_BYTES, UnreadableBinary, read_auditable

__all__ = [
    "DEFAULT_MAX_JSON_BYTES",
    "DEFAULT_PATH_LIMIT",
    "NO_AUDIT_DATA_REASON",
    "SECTION_NAME",
    "AuditTarget",
    "AuditableDeps",
    "AuditableResult",
    "BinaryFormat",
    "BinaryPackage",
    "DependencyGraph",
    "DependencyKind",
    "InvalidBinary",
    "NoAuditData",
    "UnreadableBinary",
    "dependency_paths",
    "detect_format",
    "packages_for_audit",
    "parse_audit_json",
    "read_auditable",
]
