"""Writing cargo-vet's files the way cargo-vet formats them (toml_edit's style).

Entries are sorted as cargo-vet sorts them (full audits by version, then deltas, then
violations), separated by one blank line, keys in cargo-vet's field order; a field that holds
one string or several (``who``, ``criteria``) is written as a string when it has one value;
strings use basic quotes, triple quotes when they span lines, literal quotes when they contain
a backslash, as toml_edit chooses.

>>> from cratewatch.vet.model import AuditEntry, FullAudit, VetVersion
>>> entry = AuditEntry(who=("Ada <ada@example.org>",), criteria=("safe-to-deploy",),
...                    kind=FullAudit(version=VetVersion.parse("1.0.0")))
>>> print(render_audit_entry("itoa", entry), end="")
[[audits.itoa]]
who = "Ada <ada@example.org>"
criteria = "safe-to-deploy"
version = "1.0.0"
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from cratewatch.vet.model import (
    AuditEntry,
    AuditKind,
    AuditsFile,
    DeltaAudit,
    FullAudit,
    ImportsLock,
)

__all__ = [
    "AUDITS_HEADER",
    "IMPORTS_HEADER",
    "render_audit_entry",
    "render_imports_lock",
    "toml_key",
    "toml_string",
]

AUDITS_HEADER = "\n# cargo-vet audits file\n"
"""How cargo-vet starts audits.toml."""
IMPORTS_HEADER = "\n# cargo-vet imports lock\n"
"""How cargo-vet starts imports.lock."""

_ARRAY_WRAP = 80

_BARE = re.compile(r"[A-Za-z0-9_-]+")


def toml_key(key: str) -> str:
    """A key, quoted when it is not a bare key."""
    return key if _BARE.fullmatch(key) else toml_string(key, multiline=False)


def toml_string(value: str, *, multiline: bool = True) -> str:
    r"""A string as cargo-vet (toml_edit) writes it: basic quotes, triple quotes when it has
    newlines, literal quotes when it has a backslash and no quote or control character
    forbids them.

    >>> print(toml_string('say "hi"'), toml_string("C:\\dir"))
    "say \"hi\"" 'C:\dir'
    >>> toml_string("two\nlines\n") == '"' * 3 + "\ntwo\nlines\n" + '"' * 3
    True
    """
    lines = multiline and "\n" in value
    if "\\" in value and not _CONTROL.search(value.replace("\n", "") if lines else value):
        if lines and "'''" not in value and not value.endswith("'"):
            return f"'''\n{value}'''"
        if not lines and "'" not in value:
            return f"'{value}'"
    if lines:
        body = _escape(value, keep_newlines=True).replace('"""', '""\\"')
        return f'"""\n{body}"""'
    return f'"{_escape(value, keep_newlines=False)}"'


_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


def _escape(value: str, *, keep_newlines: bool) -> str:
    out = []
    for char in value:
        if char == "\\":
            out.append("\\\\")
        elif char == '"' and not keep_newlines:
            out.append('\\"')
        elif char == "\n":
            out.append("\n" if keep_newlines else "\\n")
        elif char == "\t":
            out.append("\\t")
        elif char == "\r":
            out.append("\\r")
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04X}")
        else:
            out.append(char)
    return "".join(out)


def _strings(key: str, values: tuple[str, ...]) -> str:
    """cargo-vet's ``string_or_vec``: one value as a string, else an array (wrapped when long)."""
    if len(values) == 1:
        return f"{key} = {toml_string(values[0])}"
    inline = f"[{', '.join(toml_string(v, multiline=False) for v in values)}]"
    if len(key) + 3 + len(inline) <= _ARRAY_WRAP:
        return f"{key} = {inline}"
    lines = "".join(f"    {toml_string(v, multiline=False)},\n" for v in values)
    return f"{key} = [\n{lines}]"


def _lines(pairs: Iterable[tuple[str, object]]) -> str:
    out = []
    for key, value in pairs:
        if value is None:
            continue
        if isinstance(value, tuple):
            if value:
                out.append(_strings(key, value))
        elif isinstance(value, bool):
            out.append(f"{key} = {'true' if value else 'false'}")
        elif isinstance(value, int):
            out.append(f"{key} = {value}")
        else:
            out.append(f"{key} = {toml_string(str(value))}")
    return "".join(line + "\n" for line in out)


def _audit_kind_pair(kind: AuditKind) -> tuple[str, str]:
    if isinstance(kind, FullAudit):
        return "version", str(kind.version)
    if isinstance(kind, DeltaAudit):
        return "delta", str(kind)
    return "violation", kind.text


def render_audit_entry(crate: str, entry: AuditEntry, *, table: str = "audits") -> str:
    """One ``[[audits.CRATE]]`` entry as cargo-vet writes it."""
    key, value = _audit_kind_pair(entry.kind)
    body = _lines(
        [
            ("who", entry.who),
            ("criteria", entry.criteria),
            (key, value),
            ("importable", None if entry.importable else False),
            ("notes", entry.notes),
            ("aggregated-from", entry.aggregated_from),
        ]
    )
    return f"[[{table}.{toml_key(crate)}]]\n{body}"


def _audit_order(entry: AuditEntry) -> tuple[object, ...]:
    kind = entry.kind
    if isinstance(kind, FullAudit):
        rank: tuple[object, ...] = (0, kind.version)
    elif isinstance(kind, DeltaAudit):
        rank = (1, kind.from_, kind.to)
    else:
        rank = (2, kind.text)
    return (rank, entry.criteria, entry.who, entry.notes or "")


def _render_audits_sections(audits: AuditsFile, prefix: str) -> list[str]:
    blocks: list[str] = []
    for name in sorted(audits.criteria):
        criteria = audits.criteria[name]
        body = _lines(
            [
                ("description", criteria.description),
                ("description-url", criteria.description_url),
                ("implies", criteria.implies),
                ("aggregated-from", criteria.aggregated_from),
            ]
        )
        blocks.append(f"[{prefix}criteria.{toml_key(name)}]\n{body}")
    for name in sorted(audits.wildcard_audits):
        for w in sorted(audits.wildcard_audits[name], key=lambda w: (w.user_id, w.start, w.end)):
            body = _lines(
                [
                    ("who", w.who),
                    ("criteria", w.criteria),
                    ("user-id", w.user_id),
                    ("start", w.start.isoformat()),
                    ("end", w.end.isoformat()),
                    ("renew", w.renew),
                    ("notes", w.notes),
                    ("aggregated-from", w.aggregated_from),
                ]
            )
            blocks.append(f"[[{prefix}wildcard-audits.{toml_key(name)}]]\n{body}")
    for name in sorted(audits.audits):
        for entry in sorted(audits.audits[name], key=_audit_order):
            blocks.append(render_audit_entry(name, entry, table=f"{prefix}audits"))
    for name in sorted(audits.trusted):
        for t in sorted(audits.trusted[name], key=lambda t: (t.user_id, t.start, t.end)):
            body = _lines(
                [
                    ("criteria", t.criteria),
                    ("user-id", t.user_id),
                    ("start", t.start.isoformat()),
                    ("end", t.end.isoformat()),
                    ("notes", t.notes),
                    ("aggregated-from", t.aggregated_from),
                ]
            )
            blocks.append(f"[[{prefix}trusted.{toml_key(name)}]]\n{body}")
    return blocks


def render_imports_lock(lock: ImportsLock) -> str:
    """imports.lock as cargo-vet writes it (entries sorted, one blank line between them)."""
    blocks: list[str] = []
    for name in sorted(lock.unpublished):
        for u in sorted(lock.unpublished[name]):
            body = _lines([("version", str(u.version)), ("audited_as", str(u.audited_as))])
            blocks.append(f"[[unpublished.{toml_key(name)}]]\n{body}")
    for name in sorted(lock.publisher):
        for p in sorted(lock.publisher[name], key=lambda p: p.version):
            body = _lines(
                [
                    ("version", str(p.version)),
                    ("when", p.when.isoformat()),
                    ("user-id", p.user_id),
                    ("user-login", p.user_login),
                    ("user-name", p.user_name),
                ]
            )
            blocks.append(f"[[publisher.{toml_key(name)}]]\n{body}")
    for name in sorted(lock.audits):
        sections = _render_audits_sections(lock.audits[name], f"audits.{toml_key(name)}.")
        blocks += sections or [f"[audits.{toml_key(name)}.audits]\n"]
    return IMPORTS_HEADER + "".join("\n" + block for block in blocks)
