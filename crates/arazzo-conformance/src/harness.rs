//! Runs a case against arazzo-run through its library API: real HTTP over
//! loopback to the scripted server, a virtual clock so retry delays cost
//! nothing (and can be asserted), and every expectation checked.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use arazzo_engine::BoxFuture;
use arazzo_engine::report::{RunReport, Status, WorkflowRecord};
use arazzo_engine::{Clock, CompileOptions, Credentials, Engine, ReqwestTransport, RunOptions};
use arazzo_model::Diagnostic;
use serde_json::Value;

use crate::case::{Case, LoadedCase};
use crate::server::ScriptServer;

/// The outcome of one case.
#[derive(Debug, Clone)]
pub struct Verdict {
    /// The case name.
    pub name: String,
    /// Skipped, with the reason (a deliberately unsupported case).
    pub skipped: Option<String>,
    /// What went wrong; empty when the case passed.
    pub problems: Vec<String>,
}

impl Verdict {
    /// Whether the case passed (or was skipped).
    pub fn passed(&self) -> bool {
        self.problems.is_empty()
    }
}

/// A clock that never waits: sleeping moves time forward instantly.
#[derive(Debug, Default)]
pub struct VirtualClock {
    now: AtomicU64,
    sleeps: Mutex<Vec<u64>>,
}

impl VirtualClock {
    /// The sleeps so far, in milliseconds.
    pub fn sleeps(&self) -> Vec<u64> {
        self.sleeps.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

impl Clock for VirtualClock {
    fn now_ms(&self) -> u64 {
        self.now.load(Ordering::SeqCst)
    }

    fn unix_ms(&self) -> u64 {
        // A fixed wall clock (2026-01-01T00:00:00Z) keeps HTTP-date Retry-After deterministic.
        1_767_225_600_000 + self.now_ms()
    }

    fn sleep(&self, duration: Duration) -> BoxFuture<'_, ()> {
        let ms = duration.as_millis() as u64;
        self.now.fetch_add(ms, Ordering::SeqCst);
        if let Ok(mut s) = self.sleeps.lock() {
            s.push(ms);
        }
        Box::pin(async {})
    }
}

/// Credentials of a case.
pub fn credentials(case: &Case) -> Result<Credentials, String> {
    let mut c = Credentials::new();
    for (scheme, v) in &case.credentials {
        match v {
            Value::String(s) => c.set(scheme, s).map_err(|e| e.to_string())?,
            Value::Object(m) => {
                for (field, value) in m {
                    let value = value
                        .as_str()
                        .map_or_else(|| value.to_string(), str::to_string);
                    c.set(&format!("{scheme}.{field}"), &value)
                        .map_err(|e| e.to_string())?;
                }
            }
            other => {
                return Err(format!(
                    "credential `{scheme}` must be a string or an object, not {other}"
                ));
            }
        }
    }
    Ok(c)
}

fn diag_matches(d: &Diagnostic, code: &str, line: Option<u32>, severity: &str) -> bool {
    d.code.as_str() == code
        && line.is_none_or(|l| d.position().is_some_and(|p| p.line == l))
        && d.severity.to_string() == severity
}

/// Runs one case.
pub async fn run_case(lc: &LoadedCase) -> Verdict {
    let mut v = Verdict {
        name: lc.name.clone(),
        skipped: None,
        problems: Vec::new(),
    };
    if let Some(reason) = &lc.case.unsupported {
        v.skipped = Some(reason.clone());
        return v;
    }
    if let Err(e) = run_inner(lc, &mut v.problems).await {
        v.problems.push(e);
    }
    v
}

async fn run_inner(lc: &LoadedCase, problems: &mut Vec<String>) -> Result<(), String> {
    let case = &lc.case;
    let document = lc.document()?;
    let compiled = arazzo_engine::compile_location(
        &document.display().to_string(),
        &CompileOptions::default(),
    );
    let diagnostics: Vec<Diagnostic> = match &compiled {
        Ok(c) => c.diagnostics.clone(),
        Err(d) => d.clone(),
    };
    // Invalid documents: the expected diagnostics, and no run.
    if !case.expect.diagnostics.is_empty() {
        for e in &case.expect.diagnostics {
            let severity = e.severity.as_deref().unwrap_or("error");
            if !diagnostics
                .iter()
                .any(|d| diag_matches(d, &e.code, e.line, severity))
            {
                problems.push(format!(
                    "expected {severity} `{}`{} but got: {}",
                    e.code,
                    e.line.map(|l| format!(" at line {l}")).unwrap_or_default(),
                    if diagnostics.is_empty() {
                        "no diagnostics".to_string()
                    } else {
                        diagnostics
                            .iter()
                            .map(|d| d.to_string())
                            .collect::<Vec<_>>()
                            .join(" | ")
                    }
                ));
            }
        }
        if case.expect.status.is_none() {
            return Ok(());
        }
    }
    let compiled = compiled.map_err(|d| {
        format!(
            "the document did not load: {}",
            d.iter()
                .map(|x| x.to_string())
                .collect::<Vec<_>>()
                .join(" | ")
        )
    })?;
    let errors: Vec<String> = compiled
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.to_string())
        .collect();
    if !errors.is_empty() {
        if case.expect.diagnostics.is_empty() {
            problems.push(format!("the document has errors: {}", errors.join(" | ")));
        }
        return Ok(());
    }
    let server = ScriptServer::start(case.exchanges.clone())
        .await
        .map_err(|e| format!("cannot start the script server: {e}"))?;
    let mut plan = compiled.plan;
    let url: url::Url = server.url().parse().map_err(|e| format!("{e}"))?;
    for i in plan.api_indices() {
        plan.set_api_server(i, url.clone());
    }
    let workflows: Vec<String> = if case.workflows.is_empty() {
        plan.root_workflows()
            .map(|(_, w)| w.id.clone())
            .take(1)
            .collect()
    } else {
        case.workflows.clone()
    };
    let clock = Arc::new(VirtualClock::default());
    let transport = ReqwestTransport::new(&Default::default()).map_err(|e| e.to_string())?;
    let engine = Engine::new(plan)
        .map_err(|e| e.to_string())?
        .with_credentials(credentials(case)?)
        .with_transport(Arc::new(transport))
        .with_clock(clock.clone())
        .with_options(RunOptions {
            request_timeout: Duration::from_secs(10),
            max_steps: case
                .options
                .max_steps
                .unwrap_or(RunOptions::default().max_steps),
            max_retries: case
                .options
                .max_retries
                .unwrap_or(RunOptions::default().max_retries),
            ..RunOptions::default()
        });
    let requests = workflows
        .iter()
        .map(|w| (w.clone(), case.inputs.clone()))
        .collect();
    let mut ignore = |_e| {};
    let report = engine
        .run_all(requests, &mut ignore)
        .await
        .map_err(|e| e.to_string())?;
    let transcript = server.transcript();
    server.stop().await;
    problems.extend(transcript.failures.iter().cloned());
    check(case, &report, &clock.sleeps(), problems);
    Ok(())
}

/// The trace of a workflow record: stepIds, `#N` for attempts after the first.
pub fn trace_of(w: &WorkflowRecord) -> Vec<String> {
    w.steps
        .iter()
        .map(|s| {
            if s.attempt > 1 {
                format!("{}#{}", s.step_id, s.attempt)
            } else {
                s.step_id.clone()
            }
        })
        .collect()
}

fn status_name(s: Status) -> &'static str {
    match s {
        Status::Succeeded => "succeeded",
        Status::Failed => "failed",
    }
}

/// Checks a report against a case's expectations.
pub fn check(case: &Case, report: &RunReport, sleeps: &[u64], problems: &mut Vec<String>) {
    let e = &case.expect;
    let Some(first) = report.workflows.iter().find(|w| w.reason == "requested") else {
        problems.push("no workflow ran".into());
        return;
    };
    if let Some(s) = &e.status
        && status_name(first.status) != s
    {
        problems.push(format!(
            "expected status {s}, got {}{}",
            status_name(first.status),
            first
                .error
                .as_deref()
                .map(|e| format!(" ({e})"))
                .unwrap_or_default()
        ));
    }
    for (wf, s) in &e.statuses {
        match report.workflows.iter().find(|w| &w.workflow_id == wf) {
            Some(w) if status_name(w.status) == s => {}
            Some(w) => problems.push(format!(
                "expected workflow {wf} {s}, got {}",
                status_name(w.status)
            )),
            None => problems.push(format!("workflow {wf} did not run")),
        }
    }
    for (k, want) in &e.outputs {
        match first.outputs.get(k) {
            Some(got) if got == want => {}
            Some(got) => problems.push(format!("output {k}: expected {want}, got {got}")),
            None => problems.push(format!("output {k}: missing (outputs: {})", first.outputs)),
        }
    }
    if let Some(t) = &e.trace {
        let got = trace_of(first);
        if &got != t {
            problems.push(format!("expected trace {t:?}, got {got:?}"));
        }
    }
    for (wf, t) in &e.traces {
        let got: Vec<String> = report
            .workflows
            .iter()
            .filter(|w| &w.workflow_id == wf)
            .flat_map(trace_of)
            .collect();
        if &got != t {
            problems.push(format!("expected trace of {wf} {t:?}, got {got:?}"));
        }
    }
    if let Some(err) = &e.error {
        match &first.error {
            Some(actual) if actual.contains(err.as_str()) => {}
            other => problems.push(format!(
                "expected an error containing `{err}`, got {other:?}"
            )),
        }
    }
    if let Some(s) = &e.sleeps
        && s != sleeps
    {
        problems.push(format!("expected waits {s:?} ms, got {sleeps:?}"));
    }
}
