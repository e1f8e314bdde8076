pub fn ok() -> bool { true }
