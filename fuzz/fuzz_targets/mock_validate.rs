//! Fuzz target `mock_validate`: see `arazzo_fuzz_targets::mock_validate` for what it drives and checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    arazzo_fuzz_targets::mock_validate(data);
});
