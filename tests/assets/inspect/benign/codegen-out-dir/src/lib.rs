include!(concat!(env!("OUT_DIR"), "/tables.rs"));
