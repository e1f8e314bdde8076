"""Reading and writing cargo-vet's files: config.toml, audits.toml, imports.lock.

Parsing goes through typed getters: a bad field raises one :class:`~.model.InvalidVetStore`
naming the file and its dotted path (``audits.toml: audits.foo[1].delta: expected
'VERSION -> VERSION', got '1.0.0'``). Fields cargo-vet accepts as a string or a list of strings
(``who``, ``criteria``, ``implies``...) are read either way.

Files are kept byte for byte: :class:`StoreFile` holds the text and its ``tomlkit`` document,
and writes back the text it read unless something was changed on purpose. New content is
rendered the way cargo-vet formats it (:mod:`.render`), so a team can switch between the
tools without reformatting churn.

>>> audits = parse_audits('[[audits.itoa]]\\nwho = "A <a@x>"\\ncriteria = "safe-to-run"\\n'
...                       'version = "1.0.11"\\n', path="audits.toml")
>>> entry = audits.audits["itoa"][0]
>>> entry.who, entry.criteria, str(entry.kind)
(('A <a@x>',), ('safe-to-run',), '1.0.11')
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import tomlkit
from tomlkit.toml_document import TOMLDocument

from cratewatch._toml import Fields, dotted, key_path, load_toml
from cratewatch.errors import SourceError
from cratewatch.semver import InvalidVersionReq, VersionReq
from cratewatch.vet.model import (
    SAFE_TO_DEPLOY,
    AuditEntry,
    AuditKind,
    AuditsFile,
    ConfigFile,
    CratesPublisher,
    CriteriaEntry,
    DeltaAudit,
    Exemption,
    FullAudit,
    ImportsLock,
    InvalidVetStore,
    PolicyEntry,
    RemoteImport,
    Store,
    TrustEntry,
    UnpublishedEntry,
    VetVersion,
    ViolationAudit,
    WildcardEntry,
)

__all__ = [
    "AUDITS_TOML",
    "CONFIG_TOML",
    "IMPORTS_LOCK",
    "MAX_STORE_FILE_BYTES",
    "StoreFile",
    "load_store",
    "parse_audits",
    "parse_config",
    "parse_imports",
    "write_atomic",
]

CONFIG_TOML = "config.toml"
AUDITS_TOML = "audits.toml"
IMPORTS_LOCK = "imports.lock"
MAX_STORE_FILE_BYTES = 64 * 1024 * 1024
"""The largest supply-chain file read (Firefox's audits.toml is ~1 MB)."""


_AUDIT_KEYS = frozenset(
    {"who", "criteria", "version", "delta", "violation", "importable", "notes", "aggregated-from"}
)
_CRITERIA_KEYS = frozenset({"description", "description-url", "implies", "aggregated-from"})
_T = TypeVar("_T")


# --- files on disk ----------------------------------------------------------------------------


@dataclass(slots=True)
class StoreFile:
    """One supply-chain file as read: its path, exact text and tomlkit document."""

    path: Path
    """Where it lives."""
    text: str
    """The text as read (written back unchanged when nothing changes)."""
    document: TOMLDocument
    """The tomlkit document of :attr:`text` (comments and formatting kept)."""

    @classmethod
    def read(cls, path: Path) -> StoreFile:
        """Read *path* (at most :data:`MAX_STORE_FILE_BYTES`)."""
        text = _read_text(path)
        try:
            document = tomlkit.parse(text)
        except tomlkit.exceptions.ParseError as e:
            raise InvalidVetStore(f"{path}: invalid TOML: {e}") from e
        return cls(path=path, text=text, document=document)

    def dumps(self) -> str:
        """The document as text: byte-identical to :attr:`text` when unchanged."""
        return tomlkit.dumps(self.document)


def _read_text(path: Path) -> str:
    try:
        with path.open("rb") as stream:
            data = stream.read(MAX_STORE_FILE_BYTES + 1)
    except OSError as e:
        raise SourceError(f"{path}: cannot read: {e.strerror or e}") from e
    if len(data) > MAX_STORE_FILE_BYTES:
        raise InvalidVetStore(f"{path}: larger than {MAX_STORE_FILE_BYTES >> 20} MiB")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InvalidVetStore(f"{path}: not UTF-8 text (byte {e.start})") from e


def write_atomic(path: Path, text: str) -> None:
    """Write *text* to *path* through a temporary file in the same directory."""
    try:
        fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            out.write(text)
        os.replace(temp, path)
    except OSError as e:
        raise SourceError(f"{path}: cannot write: {e.strerror or e}") from e


def load_store(directory: Path) -> Store:
    """Read the store in *directory*: config.toml and audits.toml must exist; imports.lock is
    optional (no imports fetched yet)."""
    for required in (CONFIG_TOML, AUDITS_TOML):
        if not (directory / required).is_file():
            raise SourceError(
                f"{directory}: no {required}; is this a cargo-vet store (`cargo vet init`)?"
            )
    imports_path = directory / IMPORTS_LOCK
    return Store(
        path=directory,
        config=parse_config(_read_text(directory / CONFIG_TOML), path=str(directory / CONFIG_TOML)),
        audits=parse_audits(_read_text(directory / AUDITS_TOML), path=str(directory / AUDITS_TOML)),
        imports=(
            parse_imports(_read_text(imports_path), path=str(imports_path))
            if imports_path.is_file()
            else ImportsLock()
        ),
    )


# --- parsing ----------------------------------------------------------------------------------


class _Reader:
    def __init__(self, path: str) -> None:
        self.f = Fields(path, InvalidVetStore)

    def strings(self, table: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
        """cargo-vet's ``string_or_vec``: a string, a list of strings, or absent."""
        value = table.get(key)
        if value is None:
            return ()
        if isinstance(value, str):
            return (value,)
        return self.f.as_strings(value, key_path(where, key))

    def opt_strings(self, table: Mapping[str, Any], key: str, where: str) -> tuple[str, ...] | None:
        return self.strings(table, key, where) if key in table else None

    def version(self, text: str, where: str) -> VetVersion:
        try:
            return VetVersion.parse(text)
        except ValueError as e:
            self.f.fail(where, str(e))

    def date(self, table: Mapping[str, Any], key: str, where: str) -> dt.date:
        value = table.get(key)
        at = key_path(where, key)
        if value is None:
            self.f.fail(at, "missing")
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        text = self.f.as_string(value, at)
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            self.f.fail(at, f"expected a date (YYYY-MM-DD), got {text!r}")

    def integer(self, table: Mapping[str, Any], key: str, where: str) -> int:
        value = table.get(key)
        at = key_path(where, key)
        if value is None:
            self.f.fail(at, "missing")
        if isinstance(value, bool) or not isinstance(value, int):
            self.f.expect(value, "an integer", at)
        return value

    def entries(
        self,
        doc: Mapping[str, Any],
        key: str,
        where: str,
        parse: Callable[[dict[str, Any], str], _T],
    ) -> dict[str, tuple[_T, ...]]:
        """A ``[[key.CRATE]]`` family: crate name -> parsed entries."""
        table = self.f.table(doc, key, where) or {}
        prefix = key_path(where, key)
        found: dict[str, tuple[_T, ...]] = {}
        for name, items in table.items():
            at = key_path(prefix, name)
            found[name] = tuple(
                parse(self.f.as_table(item, f"{at}[{i}]"), f"{at}[{i}]")
                for i, item in enumerate(self.f.as_array(items, at))
            )
        return found

    def unknown(self, table: Mapping[str, Any], known: frozenset[str], where: str) -> None:
        for key in table:
            if key not in known:
                self.f.fail(key_path(where, key), "unknown field")


def parse_audits(text: str, *, path: str = AUDITS_TOML) -> AuditsFile:
    """Parse an audits.toml (own or imported); *path* names it in errors."""
    reader = _Reader(path)
    doc = load_toml(text, path, InvalidVetStore)
    return _audits_file(reader, doc, "")


def _audits_file(reader: _Reader, doc: Mapping[str, Any], where: str) -> AuditsFile:
    f = reader.f
    criteria: dict[str, CriteriaEntry] = {}
    prefix = key_path(where, "criteria")
    for name, value in (f.table(doc, "criteria", where) or {}).items():
        at = key_path(prefix, name)
        table = f.as_table(value, at)
        reader.unknown(table, _CRITERIA_KEYS, at)
        criteria[name] = CriteriaEntry(
            description=f.opt_string(table, "description", at),
            description_url=f.opt_string(table, "description-url", at),
            implies=reader.strings(table, "implies", at),
            aggregated_from=reader.strings(table, "aggregated-from", at),
        )
    return AuditsFile(
        criteria=criteria,
        wildcard_audits=reader.entries(
            doc, "wildcard-audits", where, lambda t, w: _wildcard(reader, t, w)
        ),
        audits=reader.entries(doc, "audits", where, lambda t, w: _audit(reader, t, w)),
        trusted=reader.entries(doc, "trusted", where, lambda t, w: _trusted(reader, t, w)),
    )


def _audit(reader: _Reader, table: dict[str, Any], where: str) -> AuditEntry:
    f = reader.f
    reader.unknown(table, _AUDIT_KEYS, where)
    present = [k for k in ("version", "delta", "violation") if k in table]
    if len(present) != 1:
        f.fail(where, "audit entries must have exactly one of 'version', 'delta' and 'violation'")
    key = present[0]
    text = f.string(table, key, where)
    at = key_path(where, key)
    kind: AuditKind
    if key == "version":
        kind = FullAudit(version=reader.version(text, at))
    elif key == "delta":
        before, arrow, after = text.partition("->")
        if not arrow:
            f.fail(at, f"expected 'VERSION -> VERSION', got {text!r}")
        kind = DeltaAudit(
            from_=reader.version(before.strip(), at), to=reader.version(after.strip(), at)
        )
    else:
        try:
            kind = ViolationAudit(req=VersionReq.parse(text), text=text)
        except InvalidVersionReq as e:
            f.fail(at, f"{text!r} is not a version requirement: {e}")
    return AuditEntry(
        who=reader.strings(table, "who", where),
        criteria=reader.strings(table, "criteria", where),
        kind=kind,
        notes=f.opt_string(table, "notes", where),
        importable=f.opt_bool(table, "importable", where) is not False,
        aggregated_from=reader.strings(table, "aggregated-from", where),
    )


def _trusted(reader: _Reader, table: dict[str, Any], where: str) -> TrustEntry:
    f = reader.f
    return TrustEntry(
        criteria=reader.strings(table, "criteria", where),
        user_id=reader.integer(table, "user-id", where),
        start=reader.date(table, "start", where),
        end=reader.date(table, "end", where),
        notes=f.opt_string(table, "notes", where),
        aggregated_from=reader.strings(table, "aggregated-from", where),
    )


def _wildcard(reader: _Reader, table: dict[str, Any], where: str) -> WildcardEntry:
    f = reader.f
    return WildcardEntry(
        who=reader.strings(table, "who", where),
        criteria=reader.strings(table, "criteria", where),
        user_id=reader.integer(table, "user-id", where),
        start=reader.date(table, "start", where),
        end=reader.date(table, "end", where),
        renew=f.opt_bool(table, "renew", where),
        notes=f.opt_string(table, "notes", where),
        aggregated_from=reader.strings(table, "aggregated-from", where),
    )


def parse_config(text: str, *, path: str = CONFIG_TOML) -> ConfigFile:
    """Parse a config.toml; *path* names it in errors."""
    reader = _Reader(path)
    f = reader.f
    doc = load_toml(text, path, InvalidVetStore)
    meta = f.table(doc, "cargo-vet", "") or {}
    imports: dict[str, RemoteImport] = {}
    for name, value in (f.table(doc, "imports", "") or {}).items():
        at = key_path("imports", name)
        table = f.as_table(value, at)
        urls = reader.strings(table, "url", at)
        if not urls:
            f.fail(key_path(at, "url"), "missing")
        imports[name] = RemoteImport(
            urls=urls,
            exclude=f.strings(table, "exclude", at),
            criteria_map=_criteria_map(reader, table, "criteria-map", at),
        )
    policy: dict[str, PolicyEntry] = {}
    for key, value in (f.table(doc, "policy", "") or {}).items():
        at = key_path("policy", key)
        table = f.as_table(value, at)
        name, colon, version = key.partition(":")
        if colon:
            reader.version(version, at)
        policy[key] = PolicyEntry(
            audit_as_crates_io=f.opt_bool(table, "audit-as-crates-io", at),
            criteria=reader.opt_strings(table, "criteria", at),
            dev_criteria=reader.opt_strings(table, "dev-criteria", at),
            dependency_criteria=_criteria_map(reader, table, "dependency-criteria", at),
            notes=f.opt_string(table, "notes", at),
        )
    family = "exemptions" if "exemptions" in doc else "unaudited"
    exemptions = reader.entries(
        doc,
        family,
        "",
        lambda t, w: Exemption(
            version=reader.version(f.string(t, "version", w), key_path(w, "version")),
            criteria=reader.strings(t, "criteria", w),
            suggest=f.opt_bool(t, "suggest", w) is not False,
            notes=f.opt_string(t, "notes", w),
        ),
    )
    return ConfigFile(
        store_version=f.opt_string(meta, "version", "cargo-vet"),
        default_criteria=f.opt_string(doc, "default-criteria", "") or SAFE_TO_DEPLOY,
        imports=imports,
        policy=policy,
        exemptions=exemptions,
    )


def _criteria_map(
    reader: _Reader, table: Mapping[str, Any], key: str, where: str
) -> dict[str, tuple[str, ...]]:
    mapping = reader.f.table(table, key, where) or {}
    at = key_path(where, key)
    return {name: reader.strings(mapping, name, at) for name in mapping}


def parse_imports(text: str, *, path: str = IMPORTS_LOCK) -> ImportsLock:
    """Parse an imports.lock; *path* names it in errors."""
    reader = _Reader(path)
    f = reader.f
    doc = load_toml(text, path, InvalidVetStore)
    audits = {
        name: _audits_file(
            reader, f.as_table(value, key_path("audits", name)), dotted("audits", name)
        )
        for name, value in (f.table(doc, "audits", "") or {}).items()
    }
    return ImportsLock(
        unpublished=reader.entries(
            doc,
            "unpublished",
            "",
            lambda t, w: UnpublishedEntry(
                version=reader.version(f.string(t, "version", w), key_path(w, "version")),
                audited_as=reader.version(f.string(t, "audited_as", w), key_path(w, "audited_as")),
            ),
        ),
        publisher=reader.entries(
            doc,
            "publisher",
            "",
            lambda t, w: CratesPublisher(
                version=reader.version(f.string(t, "version", w), key_path(w, "version")),
                when=reader.date(t, "when", w),
                user_id=reader.integer(t, "user-id", w),
                user_login=f.string(t, "user-login", w),
                user_name=f.opt_string(t, "user-name", w),
            ),
        ),
        audits=audits,
    )
