#![no_main]
//! See initlint::fuzz::dockerfile.
libfuzzer_sys::fuzz_target!(|data: &[u8]| initlint::fuzz::dockerfile(data));
