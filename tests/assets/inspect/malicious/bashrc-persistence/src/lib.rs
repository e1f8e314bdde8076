pub fn four() -> u8 { 4 }
