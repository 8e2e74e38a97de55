#![no_main]
//! See initlint::fuzz::archive.
libfuzzer_sys::fuzz_target!(|data: &[u8]| initlint::fuzz::archive(data));
