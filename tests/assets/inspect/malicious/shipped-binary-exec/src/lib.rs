pub fn generated() {}
