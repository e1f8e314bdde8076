use std::env;
use std::ffi::OsString;
use std::fs;
use std::path::PathBuf;
use std::process::{Command, Stdio};

fn main() {
    let rustc: OsString = env::var_os("RUSTC").unwrap_or_else(|| OsString::from("rustc"));
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR"));
    let output = Command::new(&rustc).arg("--version").output().expect("rustc --version");
    let version = String::from_utf8_lossy(&output.stdout);
    let minor: u32 = version.split('.').nth(1).and_then(|m| m.parse().ok()).unwrap_or(0);
    if minor >= 60 {
        println!("cargo:rustc-cfg=has_const_generics");
    }
    let probe = out_dir.join("probe.rs");
    fs::write(&probe, "pub fn probe() {}").unwrap();
    let status = Command::new(&rustc)
        .arg("--crate-type=lib")
        .arg("--out-dir")
        .arg(&out_dir)
        .arg(&probe)
        .stderr(Stdio::null())
        .status();
    if status.map(|s| s.success()).unwrap_or(false) {
        println!("cargo:rustc-cfg=probe_ok");
    }
    let target = env::var("TARGET").unwrap();
    let profile = env::var("PROFILE").unwrap();
    let jobs = env::var("NUM_JOBS").unwrap_or_default();
    let opt = env::var("OPT_LEVEL").unwrap_or_default();
    let debug = env::var("DEBUG").unwrap_or_default();
    let host = env::var("HOST").unwrap();
    println!("cargo:rustc-env=BUILD_INFO={target}/{host}/{profile}/{jobs}/{opt}/{debug}");
    println!("cargo:rerun-if-env-changed=RUSTC");
}
