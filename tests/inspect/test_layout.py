"""Which files run at build time: build script detection, module closure, proc-macros."""

from __future__ import annotations

from cratewatch.inspect.layout import plan
from cratewatch.inspect.model import Role
from cratewatch.manifest import parse_manifest

B, P, R = Role.BUILD_SCRIPT, Role.PROC_MACRO, Role.RUNTIME


def roles(files: dict[str, str], manifest: str | None = None) -> dict[str, Role]:
    parsed = parse_manifest(manifest) if manifest is not None else None
    return dict(plan({k: v.encode() for k, v in files.items()}, parsed).roles)


def test_auto_detected_build_script_and_its_modules() -> None:
    files = {
        "build.rs": (
            'mod a;\n#[path = "gen/b.rs"] mod b;\nmod c { mod d; }\n'
            'include!("inc.rs");\nfn main() {}'
        ),
        "a.rs": "mod nested;",
        "a/nested.rs": "",
        "gen/b.rs": "",
        "c/d.rs": "",
        "inc.rs": "",
        "src/lib.rs": "mod m;",
        "src/m.rs": "",
        "tests/t.rs": "",
        "examples/e.rs": "",
        "benches/b.rs": "",
    }
    assert roles(files) == {
        "a.rs": B,
        "a/nested.rs": B,
        "build.rs": B,
        "c/d.rs": B,
        "gen/b.rs": B,
        "inc.rs": B,
        "src/lib.rs": R,
        "src/m.rs": R,
    }


def test_manifest_build_path_and_build_false() -> None:
    files = {"build.rs": "", "tools/build.rs": "mod x;", "tools/x.rs": "", "src/lib.rs": ""}
    named = '[package]\nname = "a"\nversion = "0.1.0"\nbuild = "tools/build.rs"\n'
    assert roles(files, named) == {
        "build.rs": R,
        "tools/build.rs": B,
        "tools/x.rs": B,
        "src/lib.rs": R,
    }
    off = '[package]\nname = "a"\nversion = "0.1.0"\nbuild = false\n'
    assert roles(files, off) == {
        "build.rs": R,
        "tools/build.rs": R,
        "tools/x.rs": R,
        "src/lib.rs": R,
    }


def test_proc_macro_crates_run_in_the_compiler() -> None:
    manifest = (
        '[package]\nname = "m"\nversion = "0.1.0"\n[lib]\nproc-macro = true\npath = "lib.rs"\n'
    )
    files = {"lib.rs": "mod inner;", "inner.rs": "", "src/stray.rs": "", "tests/t.rs": ""}
    layout = plan({k: v.encode() for k, v in files.items()}, parse_manifest(manifest))
    assert layout.proc_macro
    assert layout.build_script is None
    assert dict(layout.roles) == {"inner.rs": P, "lib.rs": P, "src/stray.rs": P}


def test_module_paths_cannot_escape_the_crate() -> None:
    files = {"build.rs": '#[path = "../../etc/x.rs"] mod x;\nfn main() {}', "src/lib.rs": ""}
    assert roles(files) == {"build.rs": B, "src/lib.rs": R}
