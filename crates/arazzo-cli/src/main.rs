//! `arazzo-run`: run, validate and debug Arazzo workflows from the command line.
//!
//! This binary is deliberately thin: it parses arguments and presents results.
//! Everything else lives in the library crates so that embedders get the same
//! behaviour as the command line.

use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

mod cache;
mod eval;
mod exit;
mod graph;
mod input;
mod list;
mod mock_cmd;
mod output;
mod run;
mod suggest;
mod validate;

/// Run, validate and debug Arazzo workflows.
///
/// `arazzo-run FILE` is short for `arazzo-run run FILE` when FILE exists or is
/// an http(s) URL.
#[derive(Debug, Parser)]
#[command(name = "arazzo-run", version, about, long_about = None, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run workflows: send the requests, check the results, follow the actions.
    Run(Box<run::RunArgs>),
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

/// What the first argument means when it is not a subcommand.
#[derive(Debug, PartialEq)]
enum Shortcut {
    /// A flag or a subcommand: clap decides.
    None,
    /// An existing path or an http(s) URL: `arazzo-run FILE` runs it.
    Run,
    /// Neither: a misspelt subcommand or a file that does not exist (exit 2).
    Refuse(String),
}

/// Decides what `arazzo-run FIRST …` means. The `FILE` shortcut applies only
/// to an existing path or an http(s) URL, so a misspelt subcommand
/// (`valdate`) is answered with the subcommand it resembles rather than run
/// as a file, and a missing file is named as such.
fn shortcut(first: &std::ffi::OsStr) -> Shortcut {
    let text = first.to_str();
    if let Some(t) = text
        && (t.starts_with('-') || SUBCOMMANDS.contains(&t))
    {
        return Shortcut::None;
    }
    if text.is_some_and(|t| t.starts_with("http://") || t.starts_with("https://")) {
        return Shortcut::Run;
    }
    // A glob pattern (`'flows/*.arazzo.yaml'`): `run` expands it, or says
    // that nothing matches.
    if text.is_some_and(|t| t.contains(['*', '?'])) {
        return Shortcut::Run;
    }
    // A path that cannot be checked (a permission problem) is left to `run`,
    // which says what is wrong with it.
    if std::path::Path::new(first).try_exists().unwrap_or(true) {
        return Shortcut::Run;
    }
    let shown = suggest::shown(&first.to_string_lossy());
    // Only a bare word can be a misspelt subcommand: `lists.yaml` or
    // `flows/run` is a path.
    let word = text.filter(|t| !t.contains(['/', '\\', '.']));
    if let Some(close) = word.and_then(|w| suggest::closest_strict(w, SUBCOMMANDS)) {
        return Shortcut::Refuse(format!(
            "unknown subcommand `{shown}` (did you mean `{close}`?); no file of that name exists either"
        ));
    }
    Shortcut::Refuse(format!(
        "no such file: `{shown}` (`arazzo-run FILE` runs an existing file or an http(s) URL; the subcommands are {})",
        SUBCOMMANDS.join(", ")
    ))
}

/// A clap error as a JSON diagnostic: its first line without the `error: `
/// prefix, and its tip (a similar flag) as the hint; the usage lines are
/// for people.
fn clap_diagnostic(e: &clap::Error) -> serde_json::Value {
    let text = e.render().to_string();
    let first = text.lines().next().unwrap_or_default();
    let message = first.strip_prefix("error: ").unwrap_or(first);
    let tip = text
        .lines()
        .find_map(|l| l.trim_start().strip_prefix("tip: "));
    output::message("usage", message, tip)
}

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
    // Errors found before a command runs are answered in the format asked
    // for: with `--format json`, one JSON document on standard output too.
    let format = if output::wants_json(&args) {
        output::Format::Json
    } else {
        output::Format::Human
    };
    match args.get(1).map(|a| shortcut(a)) {
        Some(Shortcut::Run) => args.insert(1, "run".into()),
        Some(Shortcut::Refuse(message)) => return output::usage_error(format, &message),
        Some(Shortcut::None) | None => {}
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
            if code == exit::INVALID && format == output::Format::Json {
                let _ = output::print_json(&output::failure(code, vec![clap_diagnostic(&e)]));
            }
            return exit::code(code);
        }
    };
    match cli.command {
        Command::Run(args) => run::run(*args),
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
