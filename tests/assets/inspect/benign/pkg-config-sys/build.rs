use std::env;
use std::path::PathBuf;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=FOO_LIB_DIR");
    println!("cargo:rerun-if-env-changed=FOO_STATIC");
    if let Ok(dir) = env::var("FOO_LIB_DIR") {
        println!("cargo:rustc-link-search=native={}", dir);
        let kind = if env::var_os("FOO_STATIC").is_some() { "static" } else { "dylib" };
        println!("cargo:rustc-link-lib={}=foo", kind);
        return;
    }
    let pkg_config = env::var("PKG_CONFIG").unwrap_or_else(|_| "pkg-config".to_string());
    let ok = Command::new(&pkg_config).args(["--exists", "foo"]).status().map(|s| s.success());
    if ok.unwrap_or(false) {
        pkg_config::Config::new().atleast_version("1.2").probe("foo").unwrap();
    } else if let Ok(sdk) = env::var("SDKROOT") {
        let lib = PathBuf::from(sdk).join("usr/lib");
        println!("cargo:rustc-link-search=native={}", lib.display());
        println!("cargo:rustc-link-lib=dylib=foo");
    }
    let _ = Command::new("pkg-config").arg("--modversion").arg("foo").output();
}
