#![no_main]
//! See initlint::fuzz::elf.
libfuzzer_sys::fuzz_target!(|data: &[u8]| initlint::fuzz::elf(data));
