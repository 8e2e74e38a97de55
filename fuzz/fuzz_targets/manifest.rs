#![no_main]
//! See initlint::fuzz::manifest.
libfuzzer_sys::fuzz_target!(init: initlint::fuzz::warm_up(), |data: &[u8]| initlint::fuzz::manifest(data));
