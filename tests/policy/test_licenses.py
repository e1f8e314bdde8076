"""check licenses on crates written to disk: expressions, clarifications, detected files,
exceptions, unused entries, private crates, dev/build filtering and the 0.14 lint levels."""

from __future__ import annotations

from pathlib import Path

import pytest

from cratewatch.policy.config import InvalidPolicyConfig, parse_config
from cratewatch.policy.diagnostics import Diagnostic
from cratewatch.policy.graph import CrateGraph, DepKind, Krate, ManifestMissing
from cratewatch.policy.licenses import check_licenses
from cratewatch.policy.licensetext import clarify_hash, license_text
from tests.policy.graphs import CRATES_IO, graph, krate


def crate_dir(
    root: Path, name: str, license: str | None, files: dict[str, str] | None = None
) -> Path:
    directory = root / name
    directory.mkdir(parents=True, exist_ok=True)
    line = "" if license is None else f'license = "{license}"\n'
    (directory / "Cargo.toml").write_text(f'[package]\nname = "{name}"\nversion = "1.0.0"\n{line}')
    for relative, text in (files or {}).items():
        (directory / relative).write_text(text)
    return directory


def licensed(
    root: Path,
    name: str,
    license: str | None,
    files: dict[str, str] | None = None,
    *,
    member: bool = False,
    publish: bool | None = None,
) -> Krate:
    return krate(
        f"{name} 1.0.0",
        None if member else CRATES_IO,
        root=crate_dir(root, name, license, files),
        license=license,
        member=member,
        publish=publish,
    )


def workspace(root: Path, *crates: Krate, kinds: dict[str, DepKind] | None = None) -> CrateGraph:
    app = licensed(root, "app", "MIT", member=True)
    edges = [
        ("app 1.0.0", f"{k.name} {k.version}", (kinds or {}).get(k.name, DepKind.NORMAL))
        for k in crates
    ]
    return graph([app, *crates], edges)


def verdicts(diags: tuple[Diagnostic, ...]) -> list[tuple[str, str, str]]:
    return [(d.code, d.severity.value, d.crates[0].name if d.crates else "") for d in diags]


def run(g: CrateGraph, config: str) -> tuple[Diagnostic, ...]:
    return check_licenses(g, parse_config(config, path="deny.toml"))


def test_expressions_are_accepted_or_rejected_per_requirement(tmp_path: Path) -> None:
    g = workspace(
        tmp_path,
        licensed(tmp_path, "dual", "MIT OR Apache-2.0"),
        licensed(tmp_path, "both", "MIT AND BSD-3-Clause"),
        licensed(tmp_path, "slashed", "MIT/Apache-2.0"),
    )
    found = run(g, '[licenses]\nallow = ["MIT", "Apache-2.0"]\n')
    assert verdicts(found) == [
        ("accepted", "help", "app"),
        ("rejected", "error", "both"),
        ("accepted", "help", "dual"),
        ("accepted", "help", "slashed"),
    ]
    both = found[1]
    assert [(label.column, label.text, label.message) for label in both.labels] == [
        (11, '"MIT AND BSD-3-Clause"', "license expression retrieved via Cargo.toml `license`"),
        (12, "MIT", "accepted: license is explicitly allowed"),
        (20, "BSD-3-Clause", "rejected: not explicitly allowed"),
    ]
    assert "`MIT AND BSD-3-Clause` needs every part; failing: `BSD-3-Clause`" in both.notes
    assert "read leniently: `/` read as `OR`" in found[3].notes


def test_rejections_explain_near_misses(tmp_path: Path) -> None:
    g = workspace(
        tmp_path,
        licensed(tmp_path, "later", "GPL-3.0-or-later"),
        licensed(tmp_path, "llvm", "Apache-2.0 WITH LLVM-exception"),
    )
    found = run(g, '[licenses]\nallow = ["MIT", "GPL-3.0-only", "Apache-2.0"]\n')
    reasons = {d.crates[0].name: d.notes[-1] for d in found if d.code == "rejected"}
    assert reasons == {
        "later": "`GPL-3.0-or-later` rejected: not explicitly allowed; `GPL-3.0-or-later` is not "
        "satisfied by `GPL-3.0-only` in the allow list (a later version is only acceptable when "
        "the crate says so with `+`)",
        "llvm": "`Apache-2.0 WITH LLVM-exception` rejected: not explicitly allowed; "
        "`Apache-2.0 WITH LLVM-exception` is not satisfied by `Apache-2.0` in the allow list: "
        "the exception `LLVM-exception` must be allowed too",
    }


def test_exceptions_and_unused_entries(tmp_path: Path) -> None:
    g = workspace(
        tmp_path, licensed(tmp_path, "adler", "Zlib"), licensed(tmp_path, "other", "Zlib")
    )
    config = (
        '[licenses]\nallow = ["MIT", "ISC"]\n'
        'exceptions = [{ crate = "adler", allow = ["Zlib"] }, '
        '{ crate = "gone", allow = ["MPL-2.0"] }]\n'
    )
    found = run(g, config)
    assert verdicts(found) == [
        ("accepted", "help", "adler"),
        ("accepted", "help", "app"),
        ("rejected", "error", "other"),
        ("license-exception-not-encountered", "warning", ""),
        ("license-not-encountered", "warning", ""),
    ]
    assert found[1].labels[1].message == "accepted: license is explicitly allowed"
    assert found[0].labels[1].message == "accepted: license is explicitly allowed via an exception"
    unused = found[-1]
    assert (unused.labels[0].line, unused.labels[0].text) == (2, '"ISC"')
    quiet = config + 'unused-allowed-license = "allow"\nunused-license-exception = "deny"\n'
    assert verdicts(run(g, quiet))[-1] == ("license-exception-not-encountered", "error", "")


def test_license_files_are_detected_and_joined_with_and(tmp_path: Path) -> None:
    files = {"LICENSE-MIT": license_text("MIT"), "LICENSE-APACHE": license_text("Apache-2.0")}
    g = workspace(tmp_path, licensed(tmp_path, "nofield", None, files))
    found = run(g, '[licenses]\nallow = ["MIT"]\n')
    (rejected,) = [d for d in found if d.crates and d.crates[0].name == "nofield"]
    assert rejected.code == "rejected"
    assert (
        rejected.notes[0] == "license expression retrieved via LICENSE file(s): Apache-2.0 AND MIT"
    )
    accepted = run(g, '[licenses]\nallow = ["MIT", "Apache-2.0"]\n')
    assert ("accepted", "help", "nofield") in verdicts(accepted)


def test_low_confidence_and_missing_files_make_a_crate_unlicensed(tmp_path: Path) -> None:
    g = workspace(
        tmp_path,
        licensed(tmp_path, "vague", None, {"LICENSE": "You may do whatever you like with this."}),
        licensed(tmp_path, "bare", None),
        licensed(tmp_path, "broken", "MIT OR"),
    )
    found = run(g, '[licenses]\nallow = ["MIT"]\n')
    by_crate = {(d.code, d.crates[0].name): d for d in found if d.crates}
    assert by_crate[("unlicensed", "bare")].notes == (
        "license expression was not specified in the manifest",
        "no LICENSE or COPYING file found",
    )
    assert by_crate[("unlicensed", "bare")].message == "bare = 1.0.0 is unlicensed"
    vague = by_crate[("unlicensed", "vague")].notes[-1]
    assert vague.startswith("LICENSE: low confidence in the license text: score ")
    assert vague.endswith(", threshold 0.80)")
    assert ("parse-error", "broken") in by_crate
    assert by_crate[("parse-error", "broken")].severity.value == "warning"
    legacy = run(g, '[licenses]\nallow = ["MIT"]\nunlicensed = "warn"\n')
    assert {d.severity.value for d in legacy if d.code == "unlicensed"} == {"warning"}


def test_a_crate_without_its_manifest_says_so_instead_of_blaming_the_manifest(
    tmp_path: Path,
) -> None:
    lost = krate(
        "lost 1.0.0",
        manifest=ManifestMissing(reason="not in the registry cache and downloads are off"),
    )
    found = run(workspace(tmp_path, lost), '[licenses]\nallow = ["MIT"]\n')
    (unlicensed,) = [d for d in found if d.code == "unlicensed"]
    assert unlicensed.notes[0] == (
        "the crate's manifest is not available: not in the registry cache and downloads are off"
    )


def test_clarifications_apply_only_while_the_files_hash_the_same(tmp_path: Path) -> None:
    text = "This crate is proprietary-ish; see the README.\n"
    g = workspace(tmp_path, licensed(tmp_path, "ring", None, {"LICENSE": text}))
    good = clarify_hash(text)

    def config(hash_: int, path: str = "LICENSE") -> str:
        return (
            '[licenses]\nallow = ["MIT", "ISC", "OpenSSL"]\n'
            '[[licenses.clarify]]\ncrate = "ring"\nexpression = "MIT AND ISC AND OpenSSL"\n'
            f'license-files = [{{ path = "{path}", hash = 0x{hash_:08x} }}]\n'
        )

    found = run(g, config(good))
    ring = [d for d in found if d.crates and d.crates[0].name == "ring"]
    assert [d.code for d in ring] == ["accepted"]
    assert ring[0].labels[0].file == "deny.toml"
    assert ring[0].labels[0].line == 5
    changed = run(g, config(good ^ 1))
    assert [d.code for d in changed if d.crates and d.crates[0].name == "ring"] == ["unlicensed"]
    missing = run(g, config(good, "COPYRIGHT"))
    codes = [d.code for d in missing if d.crates and d.crates[0].name == "ring"]
    assert codes == ["missing-clarification-file", "unlicensed"]


def test_private_crates_dev_and_build_dependencies(tmp_path: Path) -> None:
    g = workspace(
        tmp_path,
        licensed(tmp_path, "internal", "LicenseRef-Proprietary", publish=False),
        licensed(tmp_path, "devtool", "GPL-3.0-only"),
        licensed(tmp_path, "builder", "BSD-3-Clause"),
        kinds={"devtool": DepKind.DEV, "builder": DepKind.BUILD},
    )
    base = '[licenses]\nallow = ["MIT"]\nunused-allowed-license = "allow"\n'
    assert verdicts(run(g, base)) == [
        ("accepted", "help", "app"),
        ("rejected", "error", "builder"),
        ("rejected", "error", "internal"),
    ]
    found = run(
        g, base + "include-dev = true\ninclude-build = false\n[licenses.private]\nignore = true\n"
    )
    assert verdicts(found) == [
        ("accepted", "help", "app"),
        ("rejected", "error", "devtool"),
        ("skipped-private-workspace-crate", "note", "internal"),
    ]


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ('copyleft = "warn"', {"gpl": ("accepted", "warning"), "osi": ("rejected", "error")}),
        ('copyleft = "deny"', {"gpl": ("rejected", "error"), "osi": ("rejected", "error")}),
        (
            'allow-osi-fsf-free = "either"',
            {"gpl": ("accepted", "help"), "osi": ("accepted", "help")},
        ),
        (
            'allow-osi-fsf-free = "osi-only"',
            {"gpl": ("rejected", "error"), "osi": ("accepted", "help")},
        ),
        ('default = "warn"', {"gpl": ("accepted", "warning"), "osi": ("accepted", "warning")}),
        (
            'deny = ["GPL-3.0-only"]\ndefault = "allow"',
            {"gpl": ("rejected", "error"), "osi": ("accepted", "help")},
        ),
    ],
)
def test_deprecated_014_lint_levels(
    tmp_path: Path, config: str, expected: dict[str, tuple[str, str]]
) -> None:
    g = workspace(
        tmp_path, licensed(tmp_path, "gpl", "GPL-3.0-only"), licensed(tmp_path, "osi", "AAL")
    )
    found = run(g, '[licenses]\nallow = ["MIT"]\n' + config + "\n")
    got = {
        d.crates[0].name: (d.code, d.severity.value)
        for d in found
        if d.crates and d.crates[0].name != "app"
    }
    assert got == expected


def test_bad_allow_entries_are_config_errors_and_deprecated_ids_warn(tmp_path: Path) -> None:
    g = workspace(tmp_path)
    with pytest.raises(InvalidPolicyConfig) as info:
        run(g, '[licenses]\nallow = [\n  "MIT",\n  "Nonsense-1.0",\n]\n')
    assert (
        str(info.value)
        == "deny.toml:4:3: invalid licensee 'Nonsense-1.0': unknown license id `Nonsense-1.0`"
    )
    found = run(g, '[licenses]\nallow = ["MIT", "GPL-2.0"]\nunused-allowed-license = "allow"\n')
    (warning,) = [d for d in found if d.code == "deprecated"]
    assert (
        warning.message
        == "allowed license 'GPL-2.0' read as `GPL-2.0-only`: `GPL-2.0` read as `GPL-2.0-only`"
    )
    assert warning.check is None
