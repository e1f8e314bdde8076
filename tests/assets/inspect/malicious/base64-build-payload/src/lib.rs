pub const VERSION: u32 = 2;
