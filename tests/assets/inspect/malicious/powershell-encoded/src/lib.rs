pub fn three() -> u8 { 3 }
