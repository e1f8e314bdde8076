"""Shared helpers: validating documents with the official libraries' validators."""

from __future__ import annotations

import datetime as dt

from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from cyclonedx.validation.xml import XmlValidator
from spdx_tools.spdx.model.document import Document
from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

from cratewatch.advisories.cvss import parse_cvss
from cratewatch.audit.model import FindingStatus
from cratewatch.sbom.vex import VexState, VexStatement

SCHEMAS = {"1.4": SchemaVersion.V1_4, "1.5": SchemaVersion.V1_5, "1.6": SchemaVersion.V1_6}
FIXED = dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=dt.UTC)


def assert_valid_cyclonedx_json(text: str, version: str) -> None:
    """Fail with the validator's message unless *text* is a valid (strict) CycloneDX JSON BOM."""
    error = JsonStrictValidator(SCHEMAS[version]).validate_str(text)
    assert error is None, str(error)


def assert_valid_cyclonedx_xml(text: str, version: str) -> None:
    """Fail unless *text* is a valid CycloneDX XML BOM."""
    error = XmlValidator(SCHEMAS[version]).validate_str(text)
    assert error is None, str(error)


def assert_valid_spdx(document: Document) -> None:
    """Fail with the messages of spdx-tools' full validation."""
    messages = validate_full_spdx_document(document)
    assert messages == [], [m.validation_message for m in messages]


def statement(
    ref: str,
    affects: tuple[tuple[str, str], ...],
    state: VexState = VexState.AFFECTED,
    *,
    justification: str | None = None,
    detail: str | None = None,
    cvss: str | None = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N",
) -> VexStatement:
    """A VEX statement for writer tests."""
    return VexStatement(
        ref=ref,
        id=ref.partition(":")[0],
        kind="vulnerability",
        title=f"{ref} title",
        description="Details of the flaw.",
        url=f"https://rustsec.org/advisories/{ref.partition(':')[0]}.html",
        references=("https://github.com/example/issue/1",),
        aliases=("CVE-2024-0001", "GHSA-aaaa-bbbb-cccc"),
        cvss=None if cvss is None else parse_cvss(cvss),
        published=dt.date(2024, 1, 2),
        affects=affects,
        state=state,
        justification=justification,
        detail=detail,
        status=FindingStatus.REPORTED if state is VexState.AFFECTED else FindingStatus.IGNORED,
    )
