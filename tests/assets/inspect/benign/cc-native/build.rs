fn main() {
    let mut build = cc::Build::new();
    build.file("csrc/fastmath.c").include("csrc").opt_level(3);
    if std::env::var("CARGO_CFG_TARGET_ENV").as_deref() == Ok("msvc") {
        build.flag("/W4");
    } else {
        build.flag_if_supported("-Wall");
    }
    build.compile("fastmath");
    println!("cargo:rerun-if-changed=csrc/fastmath.c");
    println!("cargo:rustc-link-lib=static=fastmath");
    println!("cargo:root={}", std::env::var("OUT_DIR").unwrap());
}
