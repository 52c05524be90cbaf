//! `arazzo-run`: run, validate and debug Arazzo workflows from the command line.
//!
//! This binary is deliberately thin: it parses arguments and presents results.
//! Everything else lives in the library crates so that embedders get the same
//! behaviour as the command line.

use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

mod eval;
mod exit;
mod graph;
mod input;
mod list;
mod mock_cmd;
mod output;
mod run;
mod validate;

/// Run, validate and debug Arazzo workflows.
///
/// `arazzo-run FILE` is short for `arazzo-run run FILE`.
#[derive(Debug, Parser)]
#[command(name = "arazzo-run", version, about, long_about = None, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run workflows: send the requests, check the results, follow the actions.
    Run(run::RunArgs),
    /// Check Arazzo documents and report every problem with its file, line and column.
    Validate(validate::ValidateArgs),
    /// List the workflows of a document with their inputs.
    List(list::ListArgs),
    /// Draw a document's control flow as a Mermaid flowchart.
    Graph(graph::GraphArgs),
    /// Evaluate a runtime expression, template, condition or criterion against a context.
    Eval(eval::EvalArgs),
    /// Serve an OpenAPI description as a mock server, logging each request and its validation.
    Mock(mock_cmd::MockArgs),
    /// Print shell completions (bash, zsh, fish, elvish, powershell).
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

const SUBCOMMANDS: &[&str] = &[
    "run",
    "validate",
    "list",
    "graph",
    "eval",
    "mock",
    "completions",
    "help",
];

fn main() -> ExitCode {
    // `RUST_LOG=arazzo=debug` (or any filter) logs the engine's tracing spans
    // and events to standard error.
    if std::env::var_os("RUST_LOG").is_some() {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_writer(std::io::stderr)
            .with_ansi(output::color_enabled(std::io::IsTerminal::is_terminal(
                &std::io::stderr(),
            )))
            .try_init();
    }
    // `arazzo-run FILE …` is `arazzo-run run FILE …`.
    let mut args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if let Some(first) = args.get(1).and_then(|a| a.to_str())
        && !first.starts_with('-')
        && !SUBCOMMANDS.contains(&first)
    {
        args.insert(1, "run".into());
    }
    let cli = match Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() {
                exit::INVALID
            } else {
                exit::SUCCESS
            };
            let _ = e.print();
            return exit::code(code);
        }
    };
    match cli.command {
        Command::Run(args) => run::run(args),
        Command::Validate(args) => validate::run(args),
        Command::List(args) => list::run(args),
        Command::Graph(args) => graph::run(args),
        Command::Eval(args) => eval::run(args),
        Command::Mock(args) => mock_cmd::run(args),
        Command::Completions { shell } => {
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "arazzo-run",
                &mut std::io::stdout(),
            );
            exit::code(exit::SUCCESS)
        }
    }
}
