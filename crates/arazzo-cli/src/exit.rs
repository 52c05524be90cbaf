//! The documented exit codes of `arazzo-run` (see `docs/cli.md`).

use std::process::ExitCode;

/// Everything succeeded.
pub const SUCCESS: u8 = 0;
/// A workflow failed, or an evaluation failed at run time.
pub const FAILURE: u8 = 1;
/// The input was invalid: a malformed document, invalid inputs, a syntax error or bad usage.
pub const INVALID: u8 = 2;

/// Converts one of the codes above into an [`ExitCode`].
pub fn code(c: u8) -> ExitCode {
    ExitCode::from(c)
}
