pub fn id() -> u8 { 9 }
