#![no_main]
//! See initlint::fuzz::config.
libfuzzer_sys::fuzz_target!(init: initlint::fuzz::warm_up(), |data: &[u8]| initlint::fuzz::config(data));
