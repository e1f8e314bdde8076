use std::env;
use std::path::PathBuf;
use std::process::Command;

fn main() {
    let protoc = env::var("PROTOC").map(PathBuf::from).unwrap_or_else(|_| PathBuf::from("protoc"));
    let out = PathBuf::from(env::var("OUT_DIR").unwrap());
    let status = Command::new(&protoc)
        .arg("--proto_path=proto")
        .arg(format!("--cpp_out={}", out.display()))
        .arg("proto/messages.proto")
        .status()
        .expect("failed to run protoc");
    assert!(status.success());
    println!("cargo:rerun-if-changed=proto/messages.proto");
}
