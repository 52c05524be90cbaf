//! Runs the conformance suite against Arazzo engines other than the library:
//! arazzo-run's command line, Redocly Respect and Jentic's arazzo-runner.
//!
//! Each case is played the same way for every engine: a [`ScriptServer`]
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
mod jentic;
mod process;
mod respect;
pub mod rewrite;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use arazzo_engine::report::{RunReport, Status};
use serde_json::{Map, Value, json};

use crate::case::{Case, LoadedCase, load_case, load_cases};
use crate::server::{ScriptServer, Transcript};

pub use arazzo_run::ArazzoRun;
pub use jentic::Jentic;
pub use respect::Respect;

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

/// Loads the cases `opts` selects: every case under `opts.cases` (or that
/// directory itself when it holds a `case.yaml`), filtered by name.
pub fn select_cases(opts: &Options) -> Result<Vec<LoadedCase>, String> {
    // Absolute paths: engines run in other working directories.
    let dir =
        std::fs::canonicalize(&opts.cases).map_err(|e| format!("{}: {e}", opts.cases.display()))?;
    let mut cases = if dir.join("case.yaml").exists() {
        vec![load_case(&dir)?]
    } else {
        load_cases(&dir)?
    };
    if let Some(f) = &opts.filter {
        cases.retain(|c| c.name.contains(f.as_str()));
    }
    Ok(cases)
}

/// Runs every selected case against `engine`, printing one line per case to
/// `out` in case order, then the summary line.
pub async fn run_suite(
    engine: Arc<dyn Engine>,
    cases: Vec<LoadedCase>,
    opts: &Options,
    out: &mut (dyn Write + Send),
) -> (Summary, Vec<CaseVerdict>) {
    let limit = Arc::new(tokio::sync::Semaphore::new(opts.jobs.max(1)));
    let mut tasks = Vec::new();
    for lc in cases {
        let engine = engine.clone();
        let limit = limit.clone();
        let base = opts.timeout;
        tasks.push((
            lc.name.clone(),
            tokio::spawn(async move {
                let _permit = limit.acquire_owned().await;
                run_case(engine, &lc, base).await
            }),
        ));
    }
    let mut summary = Summary::default();
    let mut verdicts = Vec::new();
    for (name, task) in tasks {
        let v = match task.await {
            Ok(v) => v,
            Err(e) => CaseVerdict {
                name,
                outcome: Outcome::Fail,
                reasons: vec![format!("the runner failed: {e}")],
                not_compared: Vec::new(),
                seconds: 0.0,
            },
        };
        match v.outcome {
            Outcome::Pass => summary.passed += 1,
            Outcome::Fail => summary.failed += 1,
            Outcome::Skip => summary.skipped += 1,
        }
        let _ = writeln!(out, "{}", v.line());
        let _ = out.flush();
        verdicts.push(v);
    }
    let _ = writeln!(out, "{}", summary.line());
    (summary, verdicts)
}

/// The time one case may take: `base`, plus the waits and response delays it scripts.
pub fn case_timeout(case: &Case, base: Duration) -> Duration {
    let sleeps: u64 = case.expect.sleeps.iter().flatten().sum();
    let delays: u64 = case
        .exchanges
        .iter()
        .map(|x| x.response.delay_ms.unwrap_or(0) * x.repeat.unwrap_or(1) as u64)
        .sum();
    base + Duration::from_millis(sleeps + delays)
}

/// Runs and judges one case.
pub async fn run_case(engine: Arc<dyn Engine>, lc: &LoadedCase, base: Duration) -> CaseVerdict {
    let started = Instant::now();
    let mut v = CaseVerdict {
        name: lc.name.clone(),
        outcome: Outcome::Pass,
        reasons: Vec::new(),
        not_compared: Vec::new(),
        seconds: 0.0,
    };
    judge_case(engine, lc, base, &mut v).await;
    if v.outcome != Outcome::Skip && !v.reasons.is_empty() {
        v.outcome = Outcome::Fail;
    }
    v.seconds = started.elapsed().as_secs_f64();
    v
}

async fn judge_case(engine: Arc<dyn Engine>, lc: &LoadedCase, base: Duration, v: &mut CaseVerdict) {
    let case = &lc.case;
    if let Some(reason) = &case.unsupported {
        v.outcome = Outcome::Skip;
        v.reasons.push(format!("unsupported: {reason}"));
        return;
    }
    if let Some(reason) = engine.skip(lc) {
        v.outcome = Outcome::Skip;
        v.reasons.push(reason);
        return;
    }
    let timeout = case_timeout(case, base);
    let expects_errors = case
        .expect
        .diagnostics
        .iter()
        .any(|d| d.severity.as_deref().unwrap_or("error") == "error");
    // Diagnostics: compared by code and line where the engine's are comparable.
    let diags = {
        let (e, l) = (engine.clone(), lc.clone());
        tokio::task::spawn_blocking(move || e.diagnostics(&l, timeout))
            .await
            .unwrap_or_else(|e| Some(Err(format!("the validator task failed: {e}"))))
    };
    match diags {
        Some(Err(e)) => {
            v.reasons.push(e);
            return;
        }
        Some(Ok(diags)) => {
            for e in &case.expect.diagnostics {
                let severity = e.severity.as_deref().unwrap_or("error");
                let found = diags.iter().any(|d| {
                    d.code == e.code
                        && d.severity == severity
                        && e.line.is_none_or(|l| d.line == Some(l))
                });
                if !found {
                    v.reasons.push(format!(
                        "expected {severity} `{}`{} but got: {}",
                        e.code,
                        e.line.map(|l| format!(" at line {l}")).unwrap_or_default(),
                        if diags.is_empty() {
                            "no diagnostics".to_string()
                        } else {
                            diags
                                .iter()
                                .map(|d| {
                                    format!(
                                        "{} {}{}: {}",
                                        d.severity,
                                        d.code,
                                        d.line.map(|l| format!(" (line {l})")).unwrap_or_default(),
                                        d.message
                                    )
                                })
                                .collect::<Vec<_>>()
                                .join(" | ")
                        }
                    ));
                }
            }
            if !case.expect.diagnostics.is_empty() && case.expect.status.is_none() {
                return;
            }
            let errors: Vec<String> = diags
                .iter()
                .filter(|d| d.severity == "error")
                .map(|d| format!("{}: {}", d.code, d.message))
                .collect();
            if !errors.is_empty() {
                if case.expect.diagnostics.is_empty() {
                    v.reasons
                        .push(format!("the document has errors: {}", errors.join(" | ")));
                }
                return;
            }
        }
        None => {
            if !case.expect.diagnostics.is_empty() {
                v.not_compared.push("diagnostic codes and lines".into());
                if !expects_errors && case.expect.status.is_none() {
                    v.outcome = Outcome::Skip;
                    v.reasons.push(
                        "expects only warnings, which only arazzo-run's validator reports".into(),
                    );
                    return;
                }
            }
        }
    }
    let server = match ScriptServer::start(case.exchanges.clone()).await {
        Ok(s) => s,
        Err(e) => {
            v.reasons
                .push(format!("cannot start the script server: {e}"));
            return;
        }
    };
    let url = server.url();
    let observed = {
        let (e, l) = (engine.clone(), lc.clone());
        tokio::task::spawn_blocking(move || e.run(&l, &url, timeout))
            .await
            .unwrap_or_else(|e| Observed::Error(format!("the adapter task failed: {e}")))
    };
    let transcript = server.transcript();
    server.stop().await;
    if expects_errors {
        judge_rejection(&observed, &transcript, v);
    } else {
        judge_run(lc, engine.exact(), &observed, &transcript, v);
    }
}

/// An invalid document: the engine must reject it, or fail before any request.
fn judge_rejection(observed: &Observed, transcript: &Transcript, v: &mut CaseVerdict) {
    match observed {
        Observed::TimedOut(d) => {
            v.reasons
                .push(format!("timed out after {:.0} s", d.as_secs_f64()));
            return;
        }
        Observed::Error(e) => {
            v.reasons.push(format!("adapter error: {e}"));
            return;
        }
        _ => {}
    }
    if let Some(first) = transcript.requests.first() {
        v.reasons.push(format!(
            "the document is invalid, but the engine sent {} request(s), first {first}",
            transcript.requests.len()
        ));
    }
    let succeeded: Vec<String> = match observed {
        Observed::Report(r) => r
            .workflows
            .iter()
            .filter(|w| w.reason == "requested" && w.status == Status::Succeeded)
            .map(|w| w.workflow_id.clone())
            .collect(),
        Observed::Runs { runs, .. } => runs
            .iter()
            .filter(|w| w.requested && w.status == Some(Status::Succeeded))
            .map(|w| w.workflow_id.clone())
            .collect(),
        _ => Vec::new(),
    };
    if !succeeded.is_empty() {
        v.reasons.push(format!(
            "the document is invalid, but the engine ran it: {} succeeded",
            succeeded.join(", ")
        ));
    }
}

/// The workflows a case requests: `workflows:`, or the document's first workflow.
pub fn requested_workflows(lc: &LoadedCase) -> Vec<String> {
    if !lc.case.workflows.is_empty() {
        return lc.case.workflows.clone();
    }
    document_value(lc)
        .and_then(|d| {
            d.get("workflows")?
                .as_array()?
                .first()?
                .get("workflowId")?
                .as_str()
                .map(str::to_string)
        })
        .into_iter()
        .collect()
}

/// The case's Arazzo document, parsed (YAML or JSON).
pub fn document_value(lc: &LoadedCase) -> Option<Value> {
    let path = lc.document().ok()?;
    let bytes = std::fs::read(&path).ok()?;
    arazzo_model::load::load(&path.display().to_string(), &bytes)
        .ok()
        .map(|l| l.value)
}

/// The names of the root document's OpenAPI source descriptions, as written
/// (`type: openapi`, or no type and a URL that does not look like an Arazzo document).
pub fn openapi_sources(doc: &Value) -> Vec<String> {
    doc.get("sourceDescriptions")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter(|s| {
                    let url = s.get("url").and_then(Value::as_str).unwrap_or("");
                    match s.get("type").and_then(Value::as_str) {
                        Some(t) => t == "openapi",
                        None => !url.contains(".arazzo."),
                    }
                })
                .filter_map(|s| s.get("name").and_then(Value::as_str).map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn status_name(s: Status) -> &'static str {
    match s {
        Status::Succeeded => "succeeded",
        Status::Failed => "failed",
    }
}

/// A report for a run the engine refused: every requested workflow failed with `msg`, no steps.
fn refused_report(lc: &LoadedCase, msg: &str) -> RunReport {
    RunReport {
        workflows: requested_workflows(lc)
            .into_iter()
            .map(|id| arazzo_engine::report::WorkflowRecord {
                workflow_id: id,
                status: Status::Failed,
                inputs: Value::Object(lc.case.inputs.clone()),
                outputs: json!({}),
                duration_ms: 0,
                error: Some(msg.to_string()),
                failure: None,
                steps: Vec::new(),
                warnings: Vec::new(),
                reason: arazzo_engine::report::Reason::Requested,
                synthesized_inputs: Vec::new(),
            })
            .collect(),
    }
}

/// A valid document: status, outputs, traces and the transcript.
fn judge_run(
    lc: &LoadedCase,
    exact: bool,
    observed: &Observed,
    transcript: &Transcript,
    v: &mut CaseVerdict,
) {
    let case = &lc.case;
    let transcript_problems = transcript.failures.clone();
    match observed {
        Observed::TimedOut(d) => {
            v.reasons
                .push(format!("timed out after {:.0} s", d.as_secs_f64()));
            v.reasons.extend(transcript_problems);
        }
        Observed::Error(e) => v.reasons.push(format!("adapter error: {e}")),
        Observed::Report(report) => {
            v.reasons.extend(transcript_problems);
            check_exact(case, report, v);
        }
        Observed::Refused(msg) if exact => {
            // arazzo-run refused to start (exit 2, e.g. a missing required
            // input): every requested workflow failed before any request.
            v.reasons.extend(transcript_problems);
            v.not_compared
                .push(format!("the CLI refused to run: {}", short(msg)));
            check_exact(case, &refused_report(lc, msg), v);
        }
        Observed::Broken(msg) if exact => {
            v.reasons.extend(transcript_problems);
            v.reasons.push(format!("no report: {}", short(msg)));
        }
        Observed::Refused(msg) | Observed::Broken(msg) => {
            // The engine stopped without a report: every requested workflow failed.
            v.reasons.extend(transcript_problems);
            push_once(&mut v.not_compared, "everything but the status (no report)");
            let runs: Vec<WorkflowRun> = requested_workflows(lc)
                .into_iter()
                .map(|id| WorkflowRun {
                    workflow_id: id,
                    requested: true,
                    status: Some(Status::Failed),
                    error: Some(msg.clone()),
                    ..WorkflowRun::default()
                })
                .collect();
            check_generic(
                lc,
                &runs,
                Fidelity {
                    traces: TraceDetail::Attempts,
                    all_runs: true,
                },
                v,
            );
        }
        Observed::Runs { runs, fidelity } => {
            v.reasons.extend(transcript_problems);
            check_generic(lc, runs, *fidelity, v);
        }
    }
}

/// The library harness's checks, minus the retry waits (no virtual clock out of process).
fn check_exact(case: &Case, report: &RunReport, v: &mut CaseVerdict) {
    let mut c = case.clone();
    if c.expect
        .sleeps
        .take()
        .is_some_and(|s| s.iter().any(|&ms| ms > 0))
    {
        v.not_compared.push("retry waits (real clock)".into());
    }
    crate::harness::check(&c, report, &[], &mut v.reasons);
}

/// Step ids without attempt numbers.
fn strip_attempts(trace: &[String]) -> Vec<String> {
    trace
        .iter()
        .map(|s| match s.rsplit_once('#') {
            Some((id, n)) if n.chars().all(|c| c.is_ascii_digit()) => id.to_string(),
            _ => s.clone(),
        })
        .collect()
}

fn push_once(list: &mut Vec<String>, s: &str) {
    if !list.iter().any(|x| x == s) {
        list.push(s.to_string());
    }
}

/// Checks another engine's runs against the expectations it can be compared on.
fn check_generic(lc: &LoadedCase, runs: &[WorkflowRun], fidelity: Fidelity, v: &mut CaseVerdict) {
    let detail = fidelity.traces;
    let e = &lc.case.expect;
    let requested = requested_workflows(lc);
    let first = requested
        .first()
        .and_then(|id| runs.iter().find(|r| r.requested && &r.workflow_id == id))
        .or_else(|| runs.iter().find(|r| r.requested));
    let Some(first) = first else {
        v.reasons.push("no workflow ran".into());
        return;
    };
    if let Some(s) = &e.status {
        match first.status {
            Some(got) if status_name(got) == s => {}
            Some(got) => v.reasons.push(format!(
                "expected status {s}, got {}{}",
                status_name(got),
                first
                    .error
                    .as_deref()
                    .map(|e| format!(" ({})", short(e)))
                    .unwrap_or_default()
            )),
            None => push_once(&mut v.not_compared, "status (not reported)"),
        }
    }
    for (wf, s) in &e.statuses {
        match runs.iter().find(|w| &w.workflow_id == wf) {
            Some(w) => match w.status {
                Some(got) if status_name(got) == s => {}
                Some(got) => v.reasons.push(format!(
                    "expected workflow {wf} {s}, got {}",
                    status_name(got)
                )),
                None => push_once(&mut v.not_compared, "statuses of other workflows"),
            },
            None if !fidelity.all_runs => push_once(
                &mut v.not_compared,
                "runs of other workflows (not all reported)",
            ),
            None => v
                .reasons
                .push(format!("workflow {wf} did not run (or was not reported)")),
        }
    }
    if !e.outputs.is_empty() {
        match &first.outputs {
            Some(outputs) => {
                for (k, want) in &e.outputs {
                    match outputs.get(k) {
                        Some(got) if got == want => {}
                        Some(got) => v
                            .reasons
                            .push(format!("output {k}: expected {want}, got {got}")),
                        None => v.reasons.push(format!(
                            "output {k}: missing (outputs: {})",
                            Value::Object(outputs.clone())
                        )),
                    }
                }
            }
            None => push_once(&mut v.not_compared, "outputs (not reported)"),
        }
    }
    // Whether a trace can be compared, and how; notes what cannot.
    let comparable = |want: &[String], not_compared: &mut Vec<String>| -> bool {
        let retries = want.iter().any(|s| s.contains('#'));
        match detail {
            TraceDetail::Attempts => true,
            TraceDetail::StepIds => {
                if retries {
                    push_once(not_compared, "attempt numbers");
                }
                true
            }
            TraceDetail::NoRetries => {
                if retries {
                    push_once(
                        not_compared,
                        "traces with retries (the engine's log drops retried executions)",
                    );
                }
                !retries
            }
        }
    };
    let same = |want: &[String], got: &[String]| -> bool {
        if detail == TraceDetail::Attempts {
            want == got
        } else {
            strip_attempts(want) == strip_attempts(got)
        }
    };
    if let Some(t) = &e.trace {
        match &first.trace {
            Some(got) => {
                if comparable(t, &mut v.not_compared) && !same(t, got) {
                    v.reasons.push(format!("expected trace {t:?}, got {got:?}"));
                }
            }
            None => push_once(&mut v.not_compared, "trace (not reported)"),
        }
    }
    for (wf, t) in &e.traces {
        let of: Vec<&WorkflowRun> = runs.iter().filter(|w| &w.workflow_id == wf).collect();
        if of.is_empty() && !fidelity.all_runs {
            push_once(
                &mut v.not_compared,
                "runs of other workflows (not all reported)",
            );
            continue;
        }
        if of.iter().any(|w| w.trace.is_none()) {
            push_once(
                &mut v.not_compared,
                "traces of other workflows (not reported)",
            );
            continue;
        }
        let got: Vec<String> = of
            .iter()
            .flat_map(|w| w.trace.clone().unwrap_or_default())
            .collect();
        if comparable(t, &mut v.not_compared) && !same(t, &got) {
            v.reasons
                .push(format!("expected trace of {wf} {t:?}, got {got:?}"));
        }
    }
    if e.error.is_some() {
        push_once(&mut v.not_compared, "error text");
    }
    if e.sleeps
        .as_ref()
        .is_some_and(|s| s.iter().any(|&ms| ms > 0))
    {
        push_once(&mut v.not_compared, "retry waits");
    }
}

/// The first line of `s`, at most 200 characters.
pub fn short(s: &str) -> String {
    let line = s
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    let mut out: String = line.chars().take(200).collect();
    if line.chars().count() > 200 {
        out.push('…');
    }
    out
}

/// The category of a case: its name up to the first `-` (`retry`, `param`, …).
pub fn category(name: &str) -> &str {
    name.split('-').next().unwrap_or(name)
}

/// Counts verdicts with `outcome` by category.
pub fn by_category(verdicts: &[CaseVerdict], outcome: Outcome) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for v in verdicts.iter().filter(|v| v.outcome == outcome) {
        *m.entry(category(&v.name).to_string()).or_insert(0) += 1;
    }
    m
}

/// The JSON report of a run.
pub fn report_json(
    engine: &str,
    version: &str,
    summary: &Summary,
    verdicts: &[CaseVerdict],
) -> Value {
    let outcome = |o: Outcome| match o {
        Outcome::Pass => "pass",
        Outcome::Fail => "fail",
        Outcome::Skip => "skip",
    };
    json!({
        "engine": engine,
        "version": version,
        "date": today(),
        "passed": summary.passed,
        "failed": summary.failed,
        "skipped": summary.skipped,
        "failedByCategory": by_category(verdicts, Outcome::Fail),
        "skippedByCategory": by_category(verdicts, Outcome::Skip),
        "cases": verdicts.iter().map(|v| json!({
            "name": v.name,
            "result": outcome(v.outcome),
            "reasons": v.reasons,
            "notCompared": v.not_compared,
            "seconds": (v.seconds * 1000.0).round() / 1000.0,
        })).collect::<Vec<_>>(),
    })
}

/// Today's date (UTC) as `YYYY-MM-DD`.
pub fn today() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    // Howard Hinnant's civil_from_days.
    let z = (secs / 86_400) as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// A fresh scratch directory under the system temp dir, removed on drop.
#[derive(Debug)]
pub struct Scratch {
    path: PathBuf,
}

impl Scratch {
    /// Creates one.
    pub fn new(tag: &str) -> std::io::Result<Scratch> {
        use std::sync::atomic::{AtomicU64, Ordering};
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let path = std::env::temp_dir().join(format!(
            "conformance-run-{}-{n}-{}",
            std::process::id(),
            tag.chars()
                .map(|c| if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '_'
                })
                .collect::<String>()
        ));
        std::fs::create_dir_all(&path)?;
        Ok(Scratch { path })
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        // `CONFORMANCE_RUN_KEEP=1` keeps them, to see what an engine was given and said.
        if std::env::var_os("CONFORMANCE_RUN_KEEP").is_none() {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

/// Writes the JSON of `value` to `path`.
pub fn write_json(path: &Path, value: &Value) -> Result<(), String> {
    let text = serde_json::to_string_pretty(value).map_err(|e| e.to_string())?;
    std::fs::write(path, format!("{text}\n")).map_err(|e| format!("{}: {e}", path.display()))
}
