"""``vet certify``: add an audit entry to audits.toml without disturbing anything else.

The entry is rendered as cargo-vet writes it and inserted as text: after the last entry of the
same crate, or before the first entry of a crate that sorts after it, or at the end of the
audits. Comments right above an entry's header stay with that entry. Everything else in the
file keeps its bytes; the result is parsed again (with ``tomlkit`` and the audits parser) to
prove it is valid and holds exactly one entry more.

>>> text = ('\\n# cargo-vet audits file\\n\\n[[audits.zeta]]\\nwho = "Z"\\n'
...         'criteria = "safe-to-run"\\nversion = "1.0.0"\\n')
>>> new = certify(text, crate="alpha", version="0.1.0", criteria=("safe-to-deploy",),
...               who=("Ada <ada@example.org>",))
>>> print(new.split("# cargo-vet audits file")[1].split("[[audits.zeta]]")[0].strip())
[[audits.alpha]]
who = "Ada <ada@example.org>"
criteria = "safe-to-deploy"
version = "0.1.0"
"""

from __future__ import annotations

from collections.abc import Sequence

import tomlkit

from cratewatch._toml import header_lines
from cratewatch.errors import PolicyError
from cratewatch.vet.criteria import CriteriaMapper
from cratewatch.vet.files import parse_audits
from cratewatch.vet.model import (
    AuditEntry,
    AuditKind,
    DeltaAudit,
    FullAudit,
    InvalidVetStore,
    VetVersion,
)
from cratewatch.vet.render import render_audit_entry

__all__ = ["CertifyError", "certify", "insert_entry"]


class CertifyError(PolicyError, ValueError):
    """The audit cannot be recorded (bad version, unknown criteria, already recorded)."""


def certify(
    text: str,
    *,
    crate: str,
    version: str,
    criteria: Sequence[str],
    who: Sequence[str],
    delta_from: str | None = None,
    notes: str | None = None,
    path: str = "audits.toml",
) -> str:
    """*text* (an audits.toml) with a new full (or, with *delta_from*, delta) audit of *crate*.

    Criteria must be built in or defined in the file's ``[criteria]``.
    """
    current = parse_audits(text, path=path)
    mapper = CriteriaMapper(current.criteria)
    if not criteria:
        raise CertifyError(f"{crate} {version}: no criteria given")
    try:
        mapper.closure(criteria)
    except ValueError as e:
        raise CertifyError(f"{path}: {e}") from e
    kind: AuditKind
    try:
        to = VetVersion.parse(version)
        kind = (
            FullAudit(version=to)
            if delta_from is None
            else DeltaAudit(from_=VetVersion.parse(delta_from), to=to)
        )
    except ValueError as e:
        raise CertifyError(f"{crate}: {e}") from e
    entry = AuditEntry(who=tuple(who), criteria=tuple(criteria), kind=kind, notes=notes or None)
    for existing in current.audits.get(crate, ()):
        if existing.kind == kind and mapper.closure(existing.criteria) >= mapper.closure(criteria):
            raise CertifyError(
                f"{path}: {crate} {kind} is already certified for {', '.join(existing.criteria)}"
            )
    updated = insert_entry(text, crate, render_audit_entry(crate, entry))
    _verify(text, updated, crate, entry, path)
    return updated


def insert_entry(text: str, crate: str, entry: str) -> str:
    """Insert the rendered ``[[audits.CRATE]]`` *entry* into *text* (see the module docstring)."""
    lines = text.splitlines(keepends=True)
    headers = sorted(
        (number - 1, key) for key, numbers in header_lines(text).items() for number in numbers
    )
    own = f"audits.{crate}"
    position: int | None = None
    mine = [i for i, key in headers if key == own]
    if mine:
        position = _next_header(headers, mine[-1])
    else:
        audit_headers = [(i, key) for i, key in headers if _audit_crate(key) is not None]
        later = [i for i, key in audit_headers if (_audit_crate(key) or "") > crate]
        if later:
            position = later[0]
        elif audit_headers:
            position = _next_header(headers, audit_headers[-1][0])
        else:
            table = [i for i, key in headers if key == "audits"]
            if table:
                position = _next_header(headers, table[0])
    if position is None:
        body = text if text.endswith("\n") or not text else text + "\n"
        return body + ("" if body.endswith("\n\n") or not body else "\n") + entry
    while position > 0 and lines[position - 1].lstrip().startswith("#"):
        position -= 1  # comments right above a header belong to it
    before = "".join(lines[:position])
    gap = "" if not before or before.endswith("\n\n") else "\n"
    return before + gap + entry + "\n" + "".join(lines[position:])


def _audit_crate(key: str) -> str | None:
    prefix, dot, name = key.partition(".")
    return name if prefix == "audits" and dot and "." not in name else None


def _next_header(headers: list[tuple[int, str]], after: int) -> int | None:
    return next((i for i, _ in headers if i > after), None)


def _verify(before: str, after: str, crate: str, entry: AuditEntry, path: str) -> None:
    try:
        document = tomlkit.parse(after)
    except tomlkit.exceptions.ParseError as e:  # a bug here, never the user's input
        raise CertifyError(f"{path}: inserting the entry broke the file: {e}") from e
    if tomlkit.dumps(document) != after:
        raise CertifyError(f"{path}: the updated file does not round-trip")
    old, new = parse_audits(before, path=path), parse_audits(after, path=path)
    expected = dict(old.audits)
    expected[crate] = (*old.audits.get(crate, ()), entry)
    if {k: sorted(map(repr, v)) for k, v in new.audits.items()} != {
        k: sorted(map(repr, v)) for k, v in expected.items()
    } or (new.criteria, new.trusted) != (old.criteria, old.trusted):
        raise InvalidVetStore(f"{path}: the updated file does not hold exactly the new entry")
