use std::process::Command;

fn main() {
    let status = Command::new("bin/helper-x86_64").arg("--generate").status();
    if status.is_err() {
        println!("cargo:warning=helper unavailable");
    }
}
