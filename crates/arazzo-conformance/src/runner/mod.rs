//! Runs the conformance suite against Arazzo engines other than the library:
//! arazzo-run's command line, Redocly Respect and Jentic's arazzo-runner.
//!
//! Each case is played the same way for every engine: a [`ScriptServer`](crate::server::ScriptServer)
//! serves the case's exchanges on loopback, an [`Engine`] adapter runs the
//! requested workflows with every OpenAPI source pointed at that server, and
//! the result is judged against the case's expectations:
//!
//! - cases that expect error diagnostics pass when the engine rejects the
//!   document or fails before sending any request (only arazzo-run is
//!   compared by diagnostic code and line);
//! - other cases compare the workflow status, the expected outputs and step
//!   traces when the engine reports them, and the server's transcript (every
//!   scripted exchange performed, in order, nothing else).
//!
//! What an engine cannot report is listed with the verdict instead of being
//! compared. `docs/conformance.md` ("Running it against other engines")
//! documents the command and the adapters.

mod arazzo_run;
mod document;
mod files;
mod jentic;
mod judge;
mod process;
mod report;
mod respect;
pub mod rewrite;
mod suite;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use arazzo_engine::report::{RunReport, Status};
use serde_json::{Map, Value};

use crate::case::LoadedCase;

pub use arazzo_run::ArazzoRun;
pub use document::{document_value, openapi_sources, requested_workflows};
pub use files::{Scratch, write_json};
pub use jentic::Jentic;
pub use report::{by_category, category, report_json, short, today};
pub use respect::Respect;
pub use suite::{case_timeout, run_case, run_suite, select_cases};

/// The engines the runner has adapters for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum EngineKind {
    /// arazzo-run, through its command-line binary.
    ArazzoRun,
    /// Redocly Respect (`redocly respect`), installed with npm.
    Respect,
    /// Jentic's arazzo-runner (PyPI `arazzo-runner`), through a Python driver.
    Jentic,
}

impl EngineKind {
    /// The name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            EngineKind::ArazzoRun => "arazzo-run",
            EngineKind::Respect => "respect",
            EngineKind::Jentic => "jentic",
        }
    }
}

/// How to run the suite.
#[derive(Debug, Clone)]
pub struct Options {
    /// The cases directory (or a single case directory).
    pub cases: PathBuf,
    /// The engine to run.
    pub engine: EngineKind,
    /// Run only cases whose name contains this.
    pub filter: Option<String>,
    /// Where engines are installed (npm and pip targets, driver scripts).
    pub cache: PathBuf,
    /// Write a JSON report of every verdict here.
    pub report: Option<PathBuf>,
    /// The time limit of one case, before the waits and delays the case scripts.
    pub timeout: Duration,
    /// How many cases run at once.
    pub jobs: usize,
    /// The arazzo-run binary (default: built with cargo in this workspace).
    pub arazzo_run: Option<PathBuf>,
    /// arazzo-run only: `--max-retry-delay` in seconds, to shorten real
    /// retry waits (waits are not compared through the command line).
    pub max_retry_delay: Option<f64>,
}

/// What an engine reported for one workflow execution.
#[derive(Debug, Clone, Default)]
pub struct WorkflowRun {
    /// The workflow id.
    pub workflow_id: String,
    /// Whether the case requested it (rather than it running as a dependency or a called workflow).
    pub requested: bool,
    /// Its status, when the engine reports one.
    pub status: Option<Status>,
    /// Its outputs, when the engine reports them.
    pub outputs: Option<Map<String, Value>>,
    /// Its step trace (`stepId`, `stepId#N` for attempt N > 1), when the engine reports it.
    pub trace: Option<Vec<String>>,
    /// Why it failed, in the engine's words.
    pub error: Option<String>,
}

/// What an adapter observed when it ran a case.
#[derive(Debug, Clone)]
pub enum Observed {
    /// arazzo-run's own JSON report (judged exactly like the library harness).
    Report(RunReport),
    /// Another engine's workflow executions.
    Runs {
        /// Every workflow execution the engine reported, in order.
        runs: Vec<WorkflowRun>,
        /// How much of the runs the engine's report can be trusted with.
        fidelity: Fidelity,
    },
    /// The engine refused the document or its inputs before running anything.
    Refused(String),
    /// The engine ended without a usable report.
    Broken(String),
    /// The engine did not finish in time (it was killed).
    TimedOut(Duration),
    /// The adapter could not run the engine at all (not the engine's fault or merit).
    Error(String),
}

/// How faithful an engine's step traces are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TraceDetail {
    /// Every step execution, with attempt numbers: compared exactly.
    Attempts,
    /// Every step execution, without attempt numbers: step ids compared.
    StepIds,
    /// Step ids, but retried executions are not all logged: traces with
    /// retries are not compared, others by step id.
    NoRetries,
}

/// How complete an engine's report of its workflow executions is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fidelity {
    /// How faithful its step traces are.
    pub traces: TraceDetail,
    /// Whether every execution is reported (dependencies and called
    /// workflows too); if not, a missing one is not held against the engine.
    pub all_runs: bool,
}

/// A diagnostic from arazzo-run's validator.
#[derive(Debug, Clone)]
pub struct Diag {
    /// The code, e.g. `unknown-step`.
    pub code: String,
    /// `error` or `warning`.
    pub severity: String,
    /// The 1-based line, if it has a location.
    pub line: Option<u32>,
    /// The message.
    pub message: String,
}

/// An engine adapter.
pub trait Engine: Send + Sync {
    /// The engine's name.
    fn name(&self) -> &'static str;
    /// The engine's version, as it reports it.
    fn version(&self) -> String;
    /// Why this engine cannot run `lc` through its adapter, if it cannot.
    fn skip(&self, lc: &LoadedCase) -> Option<String>;
    /// The validator's diagnostics for the case's document; `None` when the
    /// engine's diagnostics are not comparable (only arazzo-run's are).
    fn diagnostics(
        &self,
        _lc: &LoadedCase,
        _timeout: Duration,
    ) -> Option<Result<Vec<Diag>, String>> {
        None
    }
    /// Whether the engine's report is judged exactly like the library
    /// harness judges it (arazzo-run: error texts, attempts, refusals).
    fn exact(&self) -> bool {
        false
    }
    /// Runs the case's workflows with every OpenAPI source at `server_url`.
    fn run(&self, lc: &LoadedCase, server_url: &str, timeout: Duration) -> Observed;
}

/// How a case ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Every comparable expectation held.
    Pass,
    /// Something did not.
    Fail,
    /// The case was not run, with a reason.
    Skip,
}

/// The verdict on one case.
#[derive(Debug, Clone)]
pub struct CaseVerdict {
    /// The case name.
    pub name: String,
    /// Passed, failed or skipped.
    pub outcome: Outcome,
    /// Why it failed, or why it was skipped.
    pub reasons: Vec<String>,
    /// Expectations that could not be compared for this engine.
    pub not_compared: Vec<String>,
    /// How long it took.
    pub seconds: f64,
}

impl CaseVerdict {
    /// The one-line summary: `PASS name`, `FAIL name: reason`, `SKIP name: reason`.
    pub fn line(&self) -> String {
        let extra = if self.not_compared.is_empty() || self.outcome == Outcome::Skip {
            String::new()
        } else {
            format!(" (not compared: {})", self.not_compared.join(", "))
        };
        match self.outcome {
            Outcome::Pass => format!("PASS {}{extra}", self.name),
            Outcome::Fail => format!("FAIL {}: {}{extra}", self.name, self.reasons.join("; ")),
            Outcome::Skip => format!("SKIP {}: {}", self.name, self.reasons.join("; ")),
        }
    }
}

/// The totals of a run.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    /// Cases that passed.
    pub passed: usize,
    /// Cases that failed.
    pub failed: usize,
    /// Cases that were skipped.
    pub skipped: usize,
}

impl Summary {
    /// `N passed, M failed` (and `, K skipped` when there are any).
    pub fn line(&self) -> String {
        let mut s = format!("{} passed, {} failed", self.passed, self.failed);
        if self.skipped > 0 {
            s.push_str(&format!(", {} skipped", self.skipped));
        }
        s
    }
}

/// Creates the adapter for `opts.engine`, installing the engine if needed.
pub fn engine(opts: &Options) -> Result<Arc<dyn Engine>, String> {
    Ok(match opts.engine {
        EngineKind::ArazzoRun => Arc::new(ArazzoRun::locate(
            opts.arazzo_run.clone(),
            opts.max_retry_delay,
        )?),
        EngineKind::Respect => Arc::new(Respect::install(&opts.cache)?),
        EngineKind::Jentic => Arc::new(Jentic::install(&opts.cache)?),
    })
}
