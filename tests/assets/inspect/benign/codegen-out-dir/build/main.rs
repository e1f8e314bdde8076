mod tables;

use std::env;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

fn main() {
    let out_dir = env::var_os("OUT_DIR").unwrap();
    let path = Path::new(&out_dir).join("tables.rs");
    let mut file = BufWriter::new(File::create(&path).unwrap());
    writeln!(file, "pub static TABLE: [u32; 256] = {:?};", tables::crc_table()).unwrap();
    writeln!(file, "pub const NAME: &str = {:?};", env::var("CARGO_PKG_NAME").unwrap()).unwrap();
}
