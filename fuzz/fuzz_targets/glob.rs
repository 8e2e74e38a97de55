#![no_main]
//! See initlint::fuzz::glob.
libfuzzer_sys::fuzz_target!(init: initlint::fuzz::warm_up(), |data: &[u8]| initlint::fuzz::glob(data));
