"""Reading RustSec advisory files and advisory-db trees.

An advisory file (``crates/<crate>/RUSTSEC-YYYY-NNNN.md`` or ``rust/<component>/<ID>.md``)
is a fenced ```` ```toml ```` front matter followed by Markdown whose first line is the
``# Title`` and whose remainder is the description. The front matter may omit the leading
``[advisory]`` table header (then every key up to the first other table belongs to it).

The rules follow the ``rustsec`` crate (``src/advisory/parts.rs``, ``metadata.rs``,
``affected.rs``, ``versions.rs``, ``id.rs``, ``date.rs``) and its linter's key lists: unknown
keys are errors, ``title``/``description`` must not appear in the TOML, dates are
``YYYY-MM-DD`` between 2000 and 2100, affected function paths are canonical Rust paths, and
``patched``/``unaffected`` must be convertible to version ranges. Every error is one
:class:`InvalidAdvisory` naming the file and the dotted key::

    crates/foo/RUSTSEC-2020-0001.md: advisory.date: expected a date YYYY-MM-DD, got '2020-1-1'

>>> adv = parse_advisory('''```toml
... [advisory]
... id = "RUSTSEC-2020-0001"
... package = "foo"
... date = "2020-01-31"
... [versions]
... patched = [">= 1.2.3"]
... ```
...
... # Flaw in foo
...
... Details.
... ''', path="crates/foo/RUSTSEC-2020-0001.md")
>>> adv.id, adv.title, adv.description, [str(r) for r in adv.patched]
('RUSTSEC-2020-0001', 'Flaw in foo', 'Details.', ['>=1.2.3'])
"""

from __future__ import annotations

import datetime
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from cratewatch._toml import Fields, dotted, key_path
from cratewatch.advisories.cvss import CvssScore, InvalidCvss, parse_cvss
from cratewatch.advisories.model import (
    DEFAULT_LICENSE,
    Advisory,
    Affected,
    Collection,
)
from cratewatch.advisories.ranges import AffectedRange, UnsupportedRange, affected_ranges
from cratewatch.errors import ParseError
from cratewatch.semver import InvalidVersionReq, VersionReq

__all__ = [
    "MAX_ADVISORY_BYTES",
    "InvalidAdvisory",
    "ParsedTree",
    "SkippedFile",
    "load_advisory_file",
    "parse_advisory",
    "parse_tree",
    "scan_tree",
]

MAX_ADVISORY_BYTES = 1 << 20
"""Largest advisory file read (1 MiB); real advisories are a few KiB."""

_ADVISORY_KEYS = frozenset(
    {
        "id",
        "package",
        "date",
        "url",
        "categories",
        "keywords",
        "aliases",
        "related",
        "references",
        "cvss",
        "informational",
        "source",
        "withdrawn",
        "license",
        "expect-deleted",
    }
)
_FORBIDDEN_ADVISORY_KEYS: Mapping[str, str] = {
    "title": 'not allowed in the front matter: the title is the Markdown "# " heading',
    "description": "not allowed in the front matter: the description is the Markdown text",
    "collection": "not allowed: the collection is inferred from the file's directory",
    "yanked": "deprecated key: use `withdrawn`",
}
_AFFECTED_KEYS = frozenset({"arch", "os", "functions"})
_VERSIONS_KEYS = frozenset({"patched", "unaffected"})
_SECTIONS = frozenset({"advisory", "affected", "versions"})

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DIGITS = re.compile(r"[0-9]+")
_YEAR_MIN, _YEAR_MAX = 2000, 2100
_YEAR_ID_PREFIXES = ("RUSTSEC-", "CVE-", "TALOS-")
_PLACEHOLDER_ID = "RUSTSEC-0000-0000"
_PACKAGE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]{0,63}")
_TOML_POSITION = re.compile(r"\(at line (\d+), column (\d+)\)$")


class InvalidAdvisory(ParseError):
    """An advisory file is malformed; the message names the file and the bad key."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SkippedFile:
    """A file under ``crates/`` or ``rust/`` that is not an advisory and was not read."""

    path: str
    """Repository-relative path."""
    reason: str
    """Why it was not read, e.g. ``not a .md advisory file``."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ParsedTree:
    """The result of reading a whole advisory-db checkout."""

    advisories: tuple[Advisory, ...]
    """Every advisory that parsed, in path order."""
    errors: tuple[InvalidAdvisory, ...]
    """One error per advisory file that did not parse."""
    skipped: tuple[SkippedFile, ...]
    """Files that are not advisories (not read)."""


def parse_advisory(text: str, *, path: str) -> Advisory:
    """Parse the text of one advisory file; *path* is its repository-relative path.

    *path* prefixes every error message; when it has the database shape
    ``crates|rust/<name>/<file>.md`` it also sets the collection and is checked against the
    advisory's ``package`` (directory) and ``id`` (file name).
    """
    return _Parser(path).parse(text)


def load_advisory_file(root: Path, path: str) -> Advisory:
    """Read and parse ``root / path`` (bounded to :data:`MAX_ADVISORY_BYTES`, no symlinks)."""
    file = root / path
    try:
        fd = os.open(file, os.O_RDONLY | os.O_NOFOLLOW)
        with os.fdopen(fd, "rb") as f:
            data = f.read(MAX_ADVISORY_BYTES + 1)
    except OSError as e:
        raise InvalidAdvisory(f"{path}: cannot read: {e.strerror or e}") from e
    if len(data) > MAX_ADVISORY_BYTES:
        raise InvalidAdvisory(f"{path}: file is larger than {MAX_ADVISORY_BYTES} bytes")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InvalidAdvisory(f"{path}: not valid UTF-8: {e}") from e
    return parse_advisory(text, path=path)


def scan_tree(root: Path) -> tuple[tuple[str, ...], tuple[SkippedFile, ...]]:
    """List advisory files under ``root/crates`` and ``root/rust`` (sorted) and the skipped.

    Advisory files are ``<collection>/<name>/<file>.md``; anything else under the two
    collection directories (stray files, nested directories, symbolic links, which are never
    followed) is returned as a :class:`SkippedFile`.
    """
    files: list[str] = []
    skipped: list[SkippedFile] = []
    for collection in Collection:
        base = root / collection.value
        if base.is_symlink() or not base.is_dir():
            continue
        for top in sorted(os.scandir(base), key=lambda e: e.name):
            rel_top = f"{collection.value}/{top.name}"
            if top.is_symlink():
                skipped.append(SkippedFile(path=rel_top, reason="symbolic link (not followed)"))
            elif not top.is_dir():
                skipped.append(SkippedFile(path=rel_top, reason="not inside a package directory"))
            else:
                _scan_package_dir(top.path, rel_top, files, skipped)
    return tuple(files), tuple(skipped)


def _scan_package_dir(
    directory: str, rel_dir: str, files: list[str], skipped: list[SkippedFile]
) -> None:
    for entry in sorted(os.scandir(directory), key=lambda e: e.name):
        rel = f"{rel_dir}/{entry.name}"
        if entry.is_symlink():
            skipped.append(SkippedFile(path=rel, reason="symbolic link (not followed)"))
        elif entry.is_dir():
            skipped.append(SkippedFile(path=rel, reason="unexpected directory"))
        elif not entry.name.endswith(".md"):
            skipped.append(SkippedFile(path=rel, reason="not a .md advisory file"))
        else:
            files.append(rel)


def parse_tree(root: Path) -> ParsedTree:
    """Parse every advisory of an advisory-db checkout, collecting per-file errors."""
    files, skipped = scan_tree(root)
    advisories: list[Advisory] = []
    errors: list[InvalidAdvisory] = []
    for path in files:
        try:
            advisories.append(load_advisory_file(root, path))
        except InvalidAdvisory as e:
            errors.append(e)
    return ParsedTree(advisories=tuple(advisories), errors=tuple(errors), skipped=skipped)


class _Parser:
    """Parses one file; every error is prefixed with the file's path."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.fields = Fields(path, InvalidAdvisory)
        parts = path.split("/")
        self.location: tuple[Collection, str, str] | None = None
        if len(parts) == 3 and parts[0] in ("crates", "rust") and parts[2].endswith(".md"):
            self.location = (Collection(parts[0]), parts[1], parts[2][: -len(".md")])

    def fail(self, where: str, message: str) -> NoReturn:
        self.fields.fail(where, message)

    def parse(self, text: str) -> Advisory:
        front, title, description, front_line = self._split(text.replace("\r\n", "\n"))
        prepended = not front.startswith("[advisory]")
        toml_text = "[advisory]\n" + front if prepended else front
        try:
            doc = tomllib.loads(toml_text)
        except tomllib.TOMLDecodeError as e:
            raise InvalidAdvisory(self._toml_error(str(e), front_line - 1 - prepended)) from e
        for key in doc:
            if key not in _SECTIONS:
                self.fail(
                    key_path("", key), "unknown section (expected advisory, affected, versions)"
                )
        meta = self.fields.as_table(doc.get("advisory"), "advisory")
        affected_table = self.fields.table(doc, "affected", "")
        if "versions" not in doc:
            self.fail("versions", "missing")
        versions = self.fields.as_table(doc["versions"], "versions")
        return self._advisory(meta, affected_table, versions, title, description)

    def _split(self, text: str) -> tuple[str, str, str, int]:
        """``(front matter, title, description, file line of the front matter's first line)``."""
        if not text.startswith("```toml"):
            self.fail("", f"expected the file to start with ```toml, got {text[:20]!r}")
        end = text.find("\n```")
        if end < 0:
            self.fail("", "no closing ``` after the TOML front matter")
        raw_front = text[7:end]
        front = raw_front.strip()
        leading = raw_front[: len(raw_front) - len(raw_front.lstrip())]
        front_line = 1 + leading.count("\n")
        markdown = text[end + 4 :].lstrip()
        if not markdown.startswith("# "):
            self.fail("", 'expected a "# title" heading after the TOML front matter')
        newline = markdown.find("\n")
        if newline < 0:
            self.fail("", "no description after the title")
        return front, markdown[2:newline].rstrip(), markdown[newline + 1 :].strip(), front_line

    def _toml_error(self, message: str, line_offset: int) -> str:
        match = _TOML_POSITION.search(message)
        if match is None:
            return f"{self.path}: invalid TOML front matter: {message}"
        line = int(match.group(1)) + line_offset
        reason = message[: match.start()].rstrip()
        return (
            f"{self.path}: invalid TOML front matter at line {line}, "
            f"column {match.group(2)}: {reason}"
        )

    def _advisory(
        self,
        meta: dict[str, Any],
        affected_table: dict[str, Any] | None,
        versions: dict[str, Any],
        title: str,
        description: str,
    ) -> Advisory:
        f = self.fields
        for key in meta:
            if key in _FORBIDDEN_ADVISORY_KEYS:
                self.fail(key_path("advisory", key), _FORBIDDEN_ADVISORY_KEYS[key])
            if key not in _ADVISORY_KEYS:
                self.fail(key_path("advisory", key), "unknown key")
        advisory_id, package, collection = self._identity(meta)
        date = self._date(f.string(meta, "date", "advisory"), "advisory.date")
        withdrawn = f.opt_string(meta, "withdrawn", "advisory")
        url = f.opt_string(meta, "url", "advisory")
        if url is not None:
            self._url(url, "advisory.url")
        references = f.strings(meta, "references", "advisory")
        for i, reference in enumerate(references):
            self._url(reference, dotted("advisory", "references", i))
        cvss = f.opt_string(meta, "cvss", "advisory")
        patched, unaffected, ranges = self._versions(versions)
        return Advisory(
            id=advisory_id,
            package=package,
            date=date,
            title=title,
            description=description,
            url=url,
            categories=self._nonempty_strings(meta, "categories"),
            keywords=self._nonempty_strings(meta, "keywords"),
            aliases=self._ids(meta, "aliases"),
            related=self._ids(meta, "related"),
            references=references,
            cvss=None if cvss is None else self._cvss(cvss),
            informational=self._nonempty_opt(meta, "informational"),
            source=self._nonempty_opt(meta, "source"),
            withdrawn=None if withdrawn is None else self._date(withdrawn, "advisory.withdrawn"),
            license=self._nonempty_opt(meta, "license") or DEFAULT_LICENSE,
            expect_deleted=bool(f.opt_bool(meta, "expect-deleted", "advisory")),
            affected=self._affected(affected_table),
            patched=patched,
            unaffected=unaffected,
            ranges=ranges,
            collection=collection,
            path=self.path,
        )

    def _identity(self, meta: dict[str, Any]) -> tuple[str, str, Collection]:
        """``(id, package, collection)``, checked against the file's location."""
        advisory_id = self._id(self.fields.string(meta, "id", "advisory"), "advisory.id")
        package = self.fields.string(meta, "package", "advisory")
        if not _PACKAGE.fullmatch(package):
            self.fail("advisory.package", f"not a valid crate name: {package!r}")
        if self.location is None:
            return advisory_id, package, Collection.CRATES
        collection, directory, stem = self.location
        if package != directory:
            self.fail(
                "advisory.package",
                f"{package!r} does not match the directory {collection.value}/{directory}",
            )
        if advisory_id != stem:
            self.fail("advisory.id", f"{advisory_id!r} does not match the file name")
        return advisory_id, package, collection

    def _cvss(self, vector: str) -> CvssScore:
        try:
            return parse_cvss(vector)
        except InvalidCvss as e:
            raise InvalidAdvisory(f"{self.path}: advisory.cvss: {e}") from e

    def _versions(
        self, versions: dict[str, Any]
    ) -> tuple[tuple[VersionReq, ...], tuple[VersionReq, ...], tuple[AffectedRange, ...]]:
        for key in versions:
            if key not in _VERSIONS_KEYS:
                self.fail(key_path("versions", key), "unknown key")
        patched = self._reqs(versions, "patched", required=True)
        unaffected = self._reqs(versions, "unaffected", required=False)
        try:
            ranges = affected_ranges(patched, unaffected)
        except UnsupportedRange as e:
            raise InvalidAdvisory(f"{self.path}: versions: {e}") from e
        return patched, unaffected, ranges

    def _affected(self, table: dict[str, Any] | None) -> Affected:
        if table is None:
            return Affected()
        f = self.fields
        for key in table:
            if key not in _AFFECTED_KEYS:
                self.fail(key_path("affected", key), "unknown key")
        functions: dict[str, tuple[VersionReq, ...]] = {}
        functions_table = f.table(table, "functions", "affected")
        for function, reqs in (functions_table or {}).items():
            where = key_path("affected.functions", function)
            problem = _function_path_problem(function)
            if problem is not None:
                self.fail(where, problem)
            items = f.as_array(reqs, where)
            functions[function] = tuple(
                self._req(f.as_string(item, f"{where}[{i}]"), f"{where}[{i}]")
                for i, item in enumerate(items)
            )
        return Affected(
            arch=self._nonempty_strings(table, "arch", section="affected"),
            os=self._nonempty_strings(table, "os", section="affected"),
            functions=functions,
        )

    def _reqs(
        self, versions: dict[str, Any], key: str, *, required: bool
    ) -> tuple[VersionReq, ...]:
        if required and key not in versions:
            self.fail(key_path("versions", key), "missing")
        texts = self.fields.strings(versions, key, "versions")
        return tuple(self._req(t, dotted("versions", key, i)) for i, t in enumerate(texts))

    def _req(self, text: str, where: str) -> VersionReq:
        try:
            return VersionReq.parse(text)
        except InvalidVersionReq as e:
            raise InvalidAdvisory(f"{self.path}: {where}: {e}") from e

    def _date(self, text: str, where: str) -> datetime.date:
        if not _DATE.fullmatch(text):
            self.fail(where, f"expected a date YYYY-MM-DD, got {text!r}")
        try:
            date = datetime.date.fromisoformat(text)
        except ValueError as e:
            raise InvalidAdvisory(f"{self.path}: {where}: invalid date {text!r}: {e}") from e
        if not _YEAR_MIN <= date.year <= _YEAR_MAX:
            self.fail(where, f"year must be between {_YEAR_MIN} and {_YEAR_MAX}, got {text!r}")
        return date

    def _id(self, text: str, where: str) -> str:
        problem = _id_problem(text)
        if problem is not None:
            self.fail(where, problem)
        return text

    def _ids(self, meta: dict[str, Any], key: str) -> tuple[str, ...]:
        ids = self.fields.strings(meta, key, "advisory")
        for i, text in enumerate(ids):
            self._id(text, dotted("advisory", key, i))
        return ids

    def _url(self, text: str, where: str) -> None:
        scheme, sep, rest = text.partition("://")
        if (
            not sep
            or scheme.lower() not in ("http", "https")
            or not rest
            or rest[0] in "/?#"
            or any(c.isspace() for c in text)
        ):
            self.fail(where, f"expected an http(s) URL, got {text!r}")

    def _nonempty_opt(self, meta: dict[str, Any], key: str) -> str | None:
        value = self.fields.opt_string(meta, key, "advisory")
        if value is not None and not value.strip():
            self.fail(key_path("advisory", key), "must not be empty")
        return value

    def _nonempty_strings(
        self, table: dict[str, Any], key: str, *, section: str = "advisory"
    ) -> tuple[str, ...]:
        values = self.fields.strings(table, key, section)
        for i, value in enumerate(values):
            if not value.strip():
                self.fail(dotted(section, key, i), "must not be empty")
        return values


def _id_problem(text: str) -> str | None:
    """Why *text* is not an advisory id, as the ``rustsec`` crate's ``Id`` parser sees it."""
    if not text or any(c.isspace() for c in text):
        return f"not an advisory id: {text!r}"
    if text == _PLACEHOLDER_ID or not text.startswith(_YEAR_ID_PREFIXES):
        return None  # GHSA and other namespaces are not checked further, as in rustsec
    year, sep, number = text.partition("-")[2].partition("-")
    problem = None
    if not _DIGITS.fullmatch(year):
        problem = "malformed year in advisory id"
    elif not _YEAR_MIN <= int(year) <= _YEAR_MAX:
        problem = "out-of-range year in advisory id"
    elif not sep:
        problem = "incomplete advisory id"
    elif not _DIGITS.fullmatch(number):
        problem = "malformed advisory id"
    return None if problem is None else f"{problem}: {text!r}"


def _function_path_problem(path: str) -> str | None:
    """Why *path* is not a canonical Rust path (``rustsec``'s ``FunctionPath`` rules)."""
    segments = path.split("::")
    if len(segments) < 2:
        return f"paths must start with the crate name (at least two segments): {path!r}"
    for segment in segments:
        if not segment:
            return f"empty segment in affected path: {path!r}"
        if not (segment[0].isascii() and (segment[0].isalpha() or segment[0] in "_<")):
            return f"invalid character at start of segment {segment!r} of {path!r}"
        for c in segment[1:]:
            if c in "()":
                return f"omit parameters when specifying affected paths: {path!r}"
            if not (c.isascii() and (c.isalnum() or c in "_<>,")):
                return f"invalid character {c!r} in segment {segment!r} of {path!r}"
    return None
