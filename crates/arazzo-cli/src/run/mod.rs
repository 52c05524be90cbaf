//! `arazzo-run run`: execute workflows and report what happened.
//!
//! The data flows one way: [`args`] (the flags, parsed and typed) →
//! [`request`] (what to run, decided from the flags, the environment and the
//! compiled document) → [`execute`] (compile, mock, engine, report) →
//! [`present`] (progress, summary or JSON, report files, exit code). Each
//! stage returns a [`Stop`] when the run cannot go on; only [`present`] prints.

mod args;
mod execute;
mod junit;
mod present;
mod pretty;
mod request;

use std::process::ExitCode;

use arazzo_engine::inputs::InputInfo;
use arazzo_model::Diagnostic;

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
    /// Something outside the document failed: the runtime, a report file (exit 1).
    Failure(String),
}

/// Runs `arazzo-run run`.
pub fn run(args: RunArgs) -> ExitCode {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build();
    match rt {
        Ok(rt) => rt.block_on(run_async(args)),
        Err(e) => present::stop(Stop::Failure(format!(
            "cannot start the async runtime: {e}"
        ))),
    }
}

/// Runs the stages in order and shows why the run stopped, if it did.
async fn run_async(args: RunArgs) -> ExitCode {
    run_stages(&args).await.unwrap_or_else(present::stop)
}

/// Flags → request → execution → presentation.
async fn run_stages(args: &RunArgs) -> Result<ExitCode, Stop> {
    let flags = args::parse(args)?;
    let compiled = execute::compile(&args.file, &flags.compile)?;
    let scoped = request::scope(compiled, &args.workflows)?;
    present::notices(args, &scoped);
    let request = request::build(args, flags, scoped, &|k| std::env::var(k).ok())?;
    let mut presenter = present::Presenter::new(args, &request.plan);
    let (report, plan) = execute::execute(request, &mut |p| presenter.progress(p)).await?;
    Ok(presenter.finish(report, &plan, args))
}
