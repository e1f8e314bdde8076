"""Building diagnostic labels that point into Cargo.lock, deny.toml and crates' Cargo.toml.

A :class:`Labeller` belongs to one run: it knows the config file and reads the lockfile text
once (lazily) to point at the exact line of a package's ``source = ...`` or ``version = ...``.

>>> from cratewatch.policy.config.spans import Span
>>> Labeller(config_path="deny.toml", lockfile=None).config(
...     Span(3, 5, 3, 10, '"MIT"'), "allowed here").line
3
"""

from __future__ import annotations

from pathlib import Path

from cratewatch.policy.config.spans import Span, SpanMap, scan_spans
from cratewatch.policy.diagnostics import CrateRef, Label
from cratewatch.policy.graph import DeclaredDependency, DepKind, Krate, ManifestFound

__all__ = ["Labeller", "crate_ref", "labels"]

_MAX_ENTRY_LINES = 64


def crate_ref(krate: Krate) -> CrateRef:
    """The diagnostic's view of a crate."""
    return CrateRef(
        name=krate.name,
        version=str(krate.version),
        source=None if krate.source is None else krate.source.to_url(),
    )


class Labeller:
    """Makes labels for one config file and one lockfile."""

    def __init__(self, *, config_path: str, lockfile: str | None) -> None:
        self.config_path = config_path
        """The deny.toml labels point into."""
        self.lockfile = lockfile
        """The Cargo.lock labels point into, when there is one."""
        self._lines: list[str] | None = None
        self._manifests: dict[Path, SpanMap] = {}
        self._manifest_lines: dict[Path, list[str]] = {}

    def config(self, at: Span | None, message: str = "", *, primary: bool = True) -> Label | None:
        """A label on a config value (``None`` when its position is unknown, e.g. a default)."""
        if at is None:
            return None
        return Label(
            file=self.config_path,
            line=at.line,
            column=at.column,
            text=at.text,
            message=message,
            primary=primary,
        )

    def lock(self, krate: Krate, message: str = "", *, key: str = "name") -> Label | None:
        """A label on the crate's Cargo.lock entry: its ``key = ...`` line (``name`` by
        default), else the ``[[package]]`` header."""
        if self.lockfile is None or krate.lock_line is None:
            return None
        line = krate.lock_line
        text = f"{krate.name} {krate.version}"
        if key:
            lines = self._lock_lines()
            for number in range(line, min(line + _MAX_ENTRY_LINES, len(lines))):
                content = lines[number]
                if content.startswith("[") or not content.strip():
                    break
                if content.split("=", 1)[0].strip() == key:
                    value = content.split("=", 1)[1].strip()
                    return Label(
                        file=self.lockfile,
                        line=number + 1,
                        column=content.index(value) + 1,
                        text=value,
                        message=message,
                    )
        return Label(file=self.lockfile, line=line, column=1, text=text, message=message)

    def manifest(self, krate: Krate, key: tuple[str | int, ...], message: str = "") -> Label | None:
        """A label on the value at *key* of the crate's Cargo.toml (e.g. ``("package",
        "license")``), when the manifest is on disk and has it."""
        if not isinstance(krate.manifest, ManifestFound):
            return None
        path = krate.manifest.path
        if len(key) == 2 and key[0] == "package" and isinstance(key[1], str):
            found = self._package_key(path, key[1], message)
            if found is not None:
                return found
        spans = self._manifests.get(path)
        if spans is None:
            try:
                spans = scan_spans(path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError):
                spans = SpanMap()
            self._manifests[path] = spans
        at = spans.value(key)
        if at is None:
            return None
        return Label(file=str(path), line=at.line, column=at.column, text=at.text, message=message)

    def dependency(self, krate: Krate, dep: DeclaredDependency, message: str = "") -> Label | None:
        """A label on a dependency declaration in the crate's Cargo.toml: its version
        requirement when written, else the whole entry."""
        table = {
            DepKind.NORMAL: "dependencies",
            DepKind.DEV: "dev-dependencies",
            DepKind.BUILD: "build-dependencies",
        }[dep.kind]
        prefix: tuple[str | int, ...] = () if dep.target is None else ("target", dep.target)
        base = (*prefix, table, dep.name)
        return self.manifest(krate, (*base, "version"), message) or self.manifest(
            krate, base, message
        )

    def _package_key(self, path: Path, key: str, message: str) -> Label | None:
        """A quick look for a plain ``key = "value"`` line of ``[package]`` (the common case);
        ``None`` sends the caller to the full scan."""
        lines = self._manifest_lines.get(path)
        if lines is None:
            try:
                lines = path.read_text(encoding="utf-8").splitlines()
            except (OSError, UnicodeDecodeError):
                lines = []
            self._manifest_lines[path] = lines
        section = False
        for number, line in enumerate(lines, start=1):
            stripped = line.strip()
            if stripped.startswith("["):
                section = stripped in ("[package]", "[project]")
                continue
            if not section:
                continue
            name, equals, value = line.partition("=")
            if not equals or name.strip() != key:
                continue
            value = value.strip()
            end = value.find('"', 1)
            if not value.startswith('"') or end < 0 or "\\" in value[: end + 1]:
                return None
            text = value[: end + 1]
            return Label(
                file=str(path),
                line=number,
                column=line.index(text) + 1,
                text=text,
                message=message,
            )
        return None

    def _lock_lines(self) -> list[str]:
        if self._lines is None:
            try:
                self._lines = Path(self.lockfile or "").read_text(encoding="utf-8").splitlines()
            except (OSError, UnicodeDecodeError):
                self._lines = []
        return self._lines


def labels(*candidates: Label | None) -> tuple[Label, ...]:
    """The labels that exist, in order."""
    return tuple(label for label in candidates if label is not None)
