#![no_main]
//! See initlint::fuzz::shell.
libfuzzer_sys::fuzz_target!(|data: &[u8]| initlint::fuzz::shell(data));
