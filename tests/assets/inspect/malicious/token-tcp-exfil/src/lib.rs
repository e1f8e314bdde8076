pub fn version() -> &'static str { "1.2.0" }
