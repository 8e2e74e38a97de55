#![no_main]
//! See initlint::fuzz::config.
libfuzzer_sys::fuzz_target!(|data: &[u8]| initlint::fuzz::config(data));
