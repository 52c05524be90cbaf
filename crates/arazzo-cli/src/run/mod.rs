//! `arazzo-run run`: execute workflows and report what happened.
//!
//! The data flows one way: [`args`] (the flags, parsed and typed) →
//! [`request`] (what to run, decided from the flags, the environment and the
//! compiled document) → [`execute`] (compile, mock, engine, report) →
//! [`present`] (progress, summary or JSON, report files, exit code). Each
//! stage returns a [`Stop`] when the run cannot go on; only [`present`] prints,
//! and every byte it writes leaves through [`edge`], masked with the run's
//! secrets.

mod args;
mod edge;
mod execute;
mod junit;
mod present;
mod pretty;
mod request;

use std::process::ExitCode;

use arazzo_engine::inputs::{InputError, InputInfo};
use arazzo_model::Diagnostic;

use edge::Edge;

pub use args::RunArgs;
pub use present::FlagHints;

/// Why a run stops before its workflows run, or why it fails after.
pub enum Stop {
    /// Bad usage: a malformed flag, an unknown workflow, an incomplete
    /// credential, a mock or client that cannot start (exit 2).
    Usage(String),
    /// The `--inputs` file is not YAML or JSON (exit 2).
    Unreadable(Diagnostic),
    /// The document is invalid for this run; `runnable` names the workflows
    /// its errors do not reach (exit 2).
    Invalid {
        /// Every finding of the document.
        diagnostics: Vec<Diagnostic>,
        /// Workflows that `--workflow` can still run.
        runnable: Vec<String>,
    },
    /// Workflows lack required inputs (exit 2).
    MissingInputs(Vec<(String, Vec<InputInfo>)>),
    /// Workflows were given inputs their schemas reject (exit 2); the
    /// messages never quote a secret input.
    InvalidInputs(Vec<(String, Vec<InputError>)>),
    /// Something outside the document failed: the runtime, a report file (exit 1).
    Failure(String),
}

/// Runs `arazzo-run run`.
pub fn run(args: RunArgs) -> ExitCode {
    let edge = Edge::new();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build();
    match rt {
        Ok(rt) => rt.block_on(run_async(args, &edge)),
        Err(e) => present::stop(
            &edge,
            Stop::Failure(format!("cannot start the async runtime: {e}")),
        ),
    }
}

/// Runs the stages in order and shows why the run stopped, if it did.
async fn run_async(args: RunArgs, edge: &Edge) -> ExitCode {
    run_stages(&args, edge)
        .await
        .unwrap_or_else(|stop| present::stop(edge, stop))
}

/// Flags → request → execution → presentation. The edge's secrets grow as
/// they become known: the `--auth` credentials, then the environment's and
/// the secret inputs, then what the run learns (tokens).
async fn run_stages(args: &RunArgs, edge: &Edge) -> Result<ExitCode, Stop> {
    let mut flags = args::parse(args)?;
    flags.credentials = flags.credentials.with_shared_secrets(edge.secrets());
    // Fills the shared set with the `--auth` values.
    flags.credentials.secrets();
    let compiled = execute::compile(&args.file, &flags.compile)?;
    let scoped = request::scope(compiled, &args.workflows)?;
    present::notices(edge, args, &scoped);
    let warnings = args::check_input_names(&flags, &scoped.plan, &scoped.workflows)?;
    present::warnings(edge, &warnings);
    let request = request::build(args, flags, scoped, &|k| std::env::var(k).ok())?;
    let mut presenter = present::Presenter::new(edge, args, &request.plan);
    let (report, plan) = execute::execute(request, &mut |p| presenter.progress(p)).await?;
    Ok(presenter.finish(report, &plan, args))
}
