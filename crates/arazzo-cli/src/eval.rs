//! `arazzo-run eval`: evaluate expressions, conditions and criteria (placeholder).

use std::process::ExitCode;

/// Arguments of `arazzo-run eval`.
#[derive(Debug, clap::Args)]
pub struct EvalArgs {
    /// The expression or template to evaluate.
    pub expression: Option<String>,
}

/// Runs `arazzo-run eval`.
pub fn run(_args: EvalArgs) -> ExitCode {
    crate::exit::code(crate::exit::INVALID)
}
