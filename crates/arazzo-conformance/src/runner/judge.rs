//! Judging one case: the engine's diagnostics, then its run (or its rejection of an invalid
//! document) against the case's expectations and the script server's transcript.

use std::sync::Arc;
use std::time::Duration;

use arazzo_engine::report::{RunReport, Status};
use serde_json::{Value, json};

use super::suite::case_timeout;
use super::{
    CaseVerdict, Engine, Fidelity, Observed, Outcome, TraceDetail, WorkflowRun,
    requested_workflows, short,
};
use crate::case::{Case, LoadedCase};
use crate::server::{ScriptServer, Transcript};

pub(super) async fn judge_case(
    engine: Arc<dyn Engine>,
    lc: &LoadedCase,
    base: Duration,
    v: &mut CaseVerdict,
) {
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
                outputs: json!({}).into(),
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
