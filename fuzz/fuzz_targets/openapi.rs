//! Fuzz target `openapi`: see `arazzo_fuzz_targets::openapi` for what it drives and checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    arazzo_fuzz_targets::openapi(data);
});
