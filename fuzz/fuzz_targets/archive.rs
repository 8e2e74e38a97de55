#![no_main]
//! See initlint::fuzz::archive.
libfuzzer_sys::fuzz_target!(init: initlint::fuzz::warm_up(), |data: &[u8]| initlint::fuzz::archive(data));
