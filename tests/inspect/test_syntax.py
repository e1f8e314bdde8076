"""Parsing helpers: import resolution, constant folding, macro re-parsing, test-code detection."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cratewatch.inspect.syntax import RustFile


def value_of(code: str, name: str = "x") -> str | None:
    """Fold the value bound to *name* (``let``/``const``) in *code*."""
    file = RustFile.parse("t.rs", code.encode())
    (site,) = file.bindings(name)
    return file.string_value(site.node)


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ('const x: &str = "plain";', "plain"),
        (r'const x: &str = "tab\there \x41\u{1F600}\\";', "tab\there A\U0001f600\\"),
        (r'const x: &str = r#"raw "quoted" \n"#;', r'raw "quoted" \n'),
        ('const x: &str = concat!("ht", "tp", "://", "h");', "http://h"),
        ('const A: &str = "cu"; const x: &str = concat!(A, "rl");', "curl"),
        ('fn f() { let x = format!("{}-{}", "a", "b"); }', "a-b"),
        ('fn f() { let x = format!("{} {:?}", 1, "b"); }', None),
        ('fn f() { let x = String::from("s") + "t"; }', "st"),
        ('fn f() { let x = "a".to_string() + &"b".to_owned(); }', "ab"),
        ("fn f() { let x = String::from_utf8(vec![99, 117, 114, 108]).unwrap(); }", "curl"),
        ("fn f() { let x = std::str::from_utf8(&[0x63, 0x75]).unwrap(); }", "cu"),
        ("const B: [u8; 2] = [b'o', b'k']; fn f() { let x = String::from_utf8_lossy(&B); }", "ok"),
        ('fn tool() -> String { String::from("wget") } fn f() { let x = tool(); }', "wget"),
        ('fn f() { let x = ["a", "b"].concat(); }', "ab"),
        ('fn f() { let x = ["a", "b"].join("/"); }', "a/b"),
        ("fn f(y: &str) { let x = y; }", None),
        ('fn f() { let x = std::env::var("HOME").unwrap(); }', None),
    ],
)
def test_string_folding(code: str, expected: str | None) -> None:
    assert value_of(code) == expected


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("use std::process::Command; fn f() { Command::new(); }", "std::process::Command::new"),
        ("use std::process::Command as C; fn f() { C::new(); }", "std::process::Command::new"),
        (
            "use std::{env, process::{self, Command}}; fn f() { process::exit(); }",
            "std::process::exit",
        ),
        ("use std::{env, process::{self, Command}}; fn f() { env::var(); }", "std::env::var"),
        (
            "use ::std::net::TcpStream; fn f() { TcpStream::connect(); }",
            "std::net::TcpStream::connect",
        ),
        ("extern crate reqwest as r; fn f() { r::get(); }", "reqwest::get"),
        ("fn f() { self::helper(); }", "helper"),
        ("fn f() { Vec::<u8>::new(); }", "Vec::new"),
        ("fn f() { std::env::var::<&str>(); }", "std::env::var"),
    ],
)
def test_paths_resolve_through_imports(code: str, expected: str) -> None:
    file = RustFile.parse("t.rs", code.encode())
    (call,) = [c for c in file.calls() if c.path is not None]
    assert call.path == expected


def test_glob_imports_add_candidates() -> None:
    file = RustFile.parse("t.rs", b"use ureq::*; fn f() { get(); }")
    (call,) = file.calls()
    assert call.candidates == ("get", "ureq::get")


def test_method_calls_have_receivers() -> None:
    file = RustFile.parse("t.rs", b'fn f() { cmd.arg("-c"); }')
    (call,) = file.calls()
    assert (call.path, call.method, [file.string_value(a) for a in call.args]) == (
        None,
        "arg",
        ["-c"],
    )


def test_macro_bodies_are_parsed_with_file_lines() -> None:
    code = (
        b'fn f() {\n    println!("{}",\n        std::env::var("X"));\n    lazy_static! {\n'
        b'        static ref Y: String = std::env::var("Y").unwrap();\n    }\n}\n'
    )
    file = RustFile.parse("t.rs", code)
    found = sorted((c.path, c.site.line) for c in file.calls() if c.path)
    assert found == [("std::env::var", 3), ("std::env::var", 5)]


def test_test_code_is_recognised() -> None:
    code = (
        b"fn a() {}\n#[cfg(test)]\nmod tests {\n    #[test]\n    fn t() {}\n}\n"
        b"#[tokio::test]\nasync fn u() {\n}\n"
    )
    file = RustFile.parse("t.rs", code)
    assert [line for line in range(1, 10) if file.in_test_code(line)] == [3, 4, 5, 6, 8, 9]


def test_excerpt_is_trimmed_and_bounded() -> None:
    code = b"fn f() {\n  one();\n  two();\n  three();\n  four();\n  five();\n}\n"
    file = RustFile.parse("t.rs", code)
    assert file.excerpt(2, 3) == "one();\ntwo();"
    assert file.excerpt(2, 7) == "one();\ntwo();\nthree();\nfour();\n..."


@given(st.text(max_size=200))
def test_any_string_literal_folds_to_itself(text: str) -> None:
    escaped = "".join(
        f"\\u{{{ord(c):x}}}" if not c.isprintable() or c in '"\\' else c for c in text
    )
    assert value_of(f'const x: &str = "{escaped}";') == text


@given(st.binary(max_size=300))
def test_parsing_never_fails(data: bytes) -> None:
    file = RustFile.parse("t.rs", data)
    list(file.calls())
    for site in file.walk("string_literal"):
        file.string_value(site.node)
