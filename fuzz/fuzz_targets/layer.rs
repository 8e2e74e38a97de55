#![no_main]
//! See initlint::fuzz::layer.
libfuzzer_sys::fuzz_target!(init: initlint::fuzz::warm_up(), |data: &[u8]| initlint::fuzz::layer(data));
