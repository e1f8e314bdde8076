use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

fn env_inner(name: &str) -> Option<String> {
    let var = env::var(name).ok();
    println!("cargo:rerun-if-env-changed={}", name);
    var
}

fn main() {
    let target = env::var("TARGET").unwrap();
    let host = env::var("HOST").unwrap();
    let dir = env_inner("OPENSSL_DIR").map(PathBuf::from);
    let lib_dir = env_inner("OPENSSL_LIB_DIR");
    let include_dir = env_inner("OPENSSL_INCLUDE_DIR");
    let static_ = env_inner("OPENSSL_STATIC").is_some();
    if let (Some(lib), Some(include)) = (lib_dir, include_dir) {
        println!("cargo:rustc-link-search=native={}", lib);
        println!("cargo:include={}", include);
    } else if let Some(dir) = dir {
        println!("cargo:rustc-link-search=native={}", dir.join("lib").display());
    } else {
        let out = PathBuf::from(env::var("OUT_DIR").unwrap());
        let build = out.join("openssl-build");
        std::fs::create_dir_all(&build).unwrap();
        let mut configure = Command::new("perl");
        configure.arg(Path::new("openssl").join("Configure")).arg("--prefix").arg(&build);
        if target != host {
            configure.arg("--cross-compile-prefix=");
        }
        configure.current_dir(&build).status().unwrap();
        let make = if target.contains("windows") { "nmake" } else { "make" };
        Command::new(make).arg("-j").arg(env::var("NUM_JOBS").unwrap_or("1".into())).current_dir(&build).status().unwrap();
        println!("cargo:rustc-link-search=native={}", build.join("lib").display());
    }
    let kind = if static_ { "static" } else { "dylib" };
    println!("cargo:rustc-link-lib={}=ssl", kind);
    println!("cargo:rustc-link-lib={}=crypto", kind);
    if target.contains("apple") {
        let _ = Command::new("xcrun").args(["--show-sdk-path"]).output();
    }
}
