use std::env;
use std::path::PathBuf;

fn main() {
    let dst = cmake::Config::new("vendor/zed").define("BUILD_SHARED_LIBS", "OFF").build();
    println!("cargo:rustc-link-search=native={}/lib", dst.display());
    println!("cargo:rustc-link-lib=static=zed");
    if let Ok(path) = env::var("LIBCLANG_PATH") {
        println!("cargo:warning=using libclang from {path}");
    }
    let bindings = bindgen::Builder::default()
        .header("wrapper.h")
        .allowlist_function("zed_.*")
        .generate()
        .expect("bindings");
    let out = PathBuf::from(env::var("OUT_DIR").unwrap());
    bindings.write_to_file(out.join("bindings.rs")).unwrap();
    if env::var("CI").is_ok() {
        println!("cargo:warning=building in CI");
    }
}
