#![no_main]
//! See initlint::fuzz::layer.
libfuzzer_sys::fuzz_target!(|data: &[u8]| initlint::fuzz::layer(data));
