//! `arazzo-run`: run, validate and debug Arazzo workflows from the command line.
//!
//! This binary is deliberately thin: it parses arguments and presents results.
//! Everything else lives in the library crates so that embedders get the same
//! behaviour as the command line.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod eval;
mod exit;
mod input;
mod output;
mod validate;

/// Run, validate and debug Arazzo workflows.
#[derive(Debug, Parser)]
#[command(name = "arazzo-run", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check Arazzo documents and report every problem with its file, line and column.
    Validate(validate::ValidateArgs),
    /// Evaluate a runtime expression, template, condition or criterion against a context.
    Eval(eval::EvalArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Validate(args) => validate::run(args),
        Command::Eval(args) => eval::run(args),
    }
}
