use std::env;
use std::fmt::Write as _;

fn main() {
    let mut features = String::new();
    for (key, _) in env::vars() {
        if let Some(name) = key.strip_prefix("CARGO_FEATURE_") {
            let _ = write!(features, "{},", name.to_lowercase());
        }
        if key.starts_with("DEP_OPENSSL_") {
            println!("cargo:rustc-cfg=have_openssl");
        }
    }
    let out = env::var("OUT_DIR").unwrap();
    std::fs::write(format!("{out}/features.txt"), features).unwrap();
    let manifest = env::var("CARGO_MANIFEST_DIR").unwrap();
    let _ = std::fs::read_to_string(format!("{manifest}/features.toml"));
}
