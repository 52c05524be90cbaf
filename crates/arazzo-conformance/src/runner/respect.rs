//! The Respect adapter: Redocly CLI's `respect` command, installed with npm
//! into the cache directory (`npm install --prefix <cache>/respect @redocly/cli`).
//!
//! `redocly respect DOC --workflow W --server '{"source":"URL"}' --input '{…}'
//! --json-output FILE` runs the workflows; the JSON file gives each workflow's
//! status and its executed steps (nested workflows included), but neither
//! workflow outputs nor attempt numbers, and it does not log every retried
//! execution (so traces with retries are not compared) nor, when `--workflow`
//! selects workflows, the runs of their dependencies. Respect's description-derived checks
//! (status code, schema, content type), which Arazzo does not have, are
//! turned off with `--severity`; the Arazzo success criteria stay on.
//! Descriptions are also rewritten in a copy of the case, so that sources of
//! nested Arazzo documents reach the script server too.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use arazzo_engine::report::Status;
use serde_json::{Map, Value, json};

use super::{
    Engine, Fidelity, Observed, Scratch, TraceDetail, WorkflowRun, document_value, openapi_sources,
    process, requested_workflows, rewrite, short,
};
use crate::case::LoadedCase;

/// The Respect adapter.
#[derive(Debug, Clone)]
pub struct Respect {
    bin: PathBuf,
}

impl Respect {
    /// Finds Redocly CLI in `<cache>/respect`, installing it with npm if it is not there.
    pub fn install(cache: &Path) -> Result<Self, String> {
        let prefix = cache.join("respect");
        let bin = prefix.join("node_modules/.bin/redocly");
        if !bin.exists() {
            std::fs::create_dir_all(&prefix).map_err(|e| format!("{}: {e}", prefix.display()))?;
            eprintln!(
                "installing @redocly/cli into {} (npm install --prefix … @redocly/cli)",
                prefix.display()
            );
            let f = process::capture(
                Command::new("npm")
                    .arg("install")
                    .arg("--prefix")
                    .arg(&prefix)
                    .args(["--no-audit", "--no-fund", "@redocly/cli"]),
                Duration::from_secs(600),
            )?;
            if f.code != Some(0) || !bin.exists() {
                return Err(format!(
                    "npm install @redocly/cli failed: {}",
                    f.stderr_tail()
                ));
            }
        }
        Ok(Respect { bin })
    }

    fn command(&self) -> Command {
        let mut cmd = Command::new(&self.bin);
        cmd.env("REDOCLY_TELEMETRY", "off")
            .env("REDOCLY_SUPPRESS_UPDATE_NOTICE", "true")
            .env("NO_COLOR", "1")
            .env("FORCE_COLOR", "0");
        cmd
    }
}

impl Engine for Respect {
    fn name(&self) -> &'static str {
        "respect"
    }

    fn version(&self) -> String {
        process::capture(self.command().arg("--version"), Duration::from_secs(60))
            .ok()
            .and_then(|f| {
                f.stdout
                    .lines()
                    .map(str::trim)
                    .find(|l| l.chars().next().is_some_and(|c| c.is_ascii_digit()))
                    .map(|v| format!("@redocly/cli {v}"))
            })
            .unwrap_or_else(|| "unknown".into())
    }

    fn skip(&self, lc: &LoadedCase) -> Option<String> {
        if !lc.case.credentials.is_empty() {
            return Some(
                "credentials: Respect takes them only from x-security in the document, not per scheme"
                    .into(),
            );
        }
        if lc.case.options.max_retries.is_some() {
            return Some("options.maxRetries: Respect has no such setting".into());
        }
        None
    }

    fn run(&self, lc: &LoadedCase, server_url: &str, timeout: Duration) -> Observed {
        match self.run_inner(lc, server_url, timeout) {
            Ok(o) => o,
            Err(e) => Observed::Error(e),
        }
    }
}

impl Respect {
    fn run_inner(
        &self,
        lc: &LoadedCase,
        server_url: &str,
        timeout: Duration,
    ) -> Result<Observed, String> {
        let case = &lc.case;
        let scratch = Scratch::new(&lc.name).map_err(|e| e.to_string())?;
        let (copy, rel) = rewrite::rewritten_case(lc, scratch.path(), server_url)?;
        let requested = requested_workflows(lc);
        let out = scratch.path().join("respect.json");
        let mut cmd = self.command();
        cmd.current_dir(&copy).arg("respect").arg(&rel);
        for w in &requested {
            cmd.args(["--workflow", w]);
        }
        let sources: Map<String, Value> = document_value(lc)
            .map(|d| openapi_sources(&d))
            .unwrap_or_default()
            .into_iter()
            .map(|s| (s, json!(server_url)))
            .collect();
        if !sources.is_empty() {
            cmd.arg("--server").arg(Value::Object(sources).to_string());
        }
        if !case.inputs.is_empty() {
            cmd.arg("--input")
                .arg(Value::Object(case.inputs.clone()).to_string());
        }
        cmd.arg("--severity").arg(
            json!({"STATUS_CODE_CHECK": "off", "SCHEMA_CHECK": "off", "CONTENT_TYPE_CHECK": "off"})
                .to_string(),
        );
        if let Some(n) = case.options.max_steps {
            cmd.args(["--max-steps", &n.to_string()]);
        }
        cmd.args(["--max-fetch-timeout", "10000", "--json-output"])
            .arg(&out);
        let f = process::run(&mut cmd, timeout, scratch.path())?;
        if f.timed_out {
            return Ok(Observed::TimedOut(timeout));
        }
        let Ok(text) = std::fs::read_to_string(&out) else {
            let why = [f.stderr.as_str(), f.stdout.as_str()]
                .iter()
                .flat_map(|s| s.lines())
                .map(str::trim)
                .filter(|l| {
                    !l.is_empty()
                        && !l.contains('║')
                        && !l.contains('╔')
                        && !l.contains('╚')
                        && !l.starts_with('─')
                        && !l.starts_with("Running workflow")
                        && !l.starts_with('✓')
                })
                .take(3)
                .collect::<Vec<_>>()
                .join(" / ");
            return Ok(Observed::Broken(format!(
                "exit {:?}, no JSON output: {}",
                f.code,
                short(&why)
            )));
        };
        let v: Value = serde_json::from_str(&text).map_err(|e| format!("respect JSON: {e}"))?;
        let mut runs = Vec::new();
        if let Some(files) = v.get("files").and_then(Value::as_object) {
            for file in files.values() {
                for w in file
                    .get("executedWorkflows")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    collect(w, &requested, true, &mut runs);
                }
            }
        }
        Ok(Observed::Runs {
            runs,
            // The log leaves out the runs of dependencies.
            fidelity: Fidelity {
                traces: TraceDetail::NoRetries,
                all_runs: false,
            },
        })
    }
}

fn status_of(v: &Value) -> Option<Status> {
    // A workflow whose failure was handled (a goto, a retry) still reads "error":
    // Respect counts every failed check.
    match v.get("status").and_then(Value::as_str)? {
        "success" | "warn" => Some(Status::Succeeded),
        "error" => Some(Status::Failed),
        _ => None,
    }
}

/// Adds the workflow execution `w` (and the workflows its steps called) to `runs`.
///
/// Respect nests two kinds of entries in `executedSteps`: a workflow step's
/// call (`invocationContext: "Child workflow of step X"`, `stepId: X`), which
/// is a run of its own, and a goto (`"Goto from step X"`), whose steps
/// continue the same workflow when it targets a step (and are a run of their
/// own when it targets another workflow).
fn collect(w: &Value, requested: &[String], top: bool, runs: &mut Vec<WorkflowRun>) {
    let id = w
        .get("workflowId")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let mut trace = Vec::new();
    let mut nested = Vec::new();
    let mut failed_check = None;
    flatten(w, &id, &mut trace, &mut nested, &mut failed_check);
    runs.push(WorkflowRun {
        requested: top
            && requested.contains(&id)
            && !runs.iter().any(|r| r.requested && r.workflow_id == id),
        workflow_id: id,
        status: status_of(w),
        outputs: w.get("outputs").and_then(Value::as_object).cloned(),
        trace: Some(trace),
        error: failed_check,
    });
    for n in nested {
        collect(n, requested, false, runs);
    }
}

/// The steps of `w` (gotos within workflow `id` followed), and its called workflows.
fn flatten<'a>(
    w: &'a Value,
    id: &str,
    trace: &mut Vec<String>,
    nested: &mut Vec<&'a Value>,
    failed_check: &mut Option<String>,
) {
    for s in w
        .get("executedSteps")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if s.get("executedSteps").is_none() {
            // A failed dependency shows as a synthetic `dependsOn` step with no request.
            let synthetic = s.get("stepId").and_then(Value::as_str) == Some("dependsOn")
                && s.pointer("/request/method").and_then(Value::as_str) == Some("");
            if let Some(step) = s.get("stepId").and_then(Value::as_str)
                && !synthetic
            {
                trace.push(step.to_string());
            }
            if failed_check.is_none() {
                *failed_check = s
                    .get("checks")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .find(|c| c.get("passed").and_then(Value::as_bool) == Some(false))
                    .and_then(|c| c.get("message").and_then(Value::as_str))
                    .map(str::to_string);
            }
            continue;
        }
        let context = s
            .get("invocationContext")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let target = s
            .get("workflowId")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if context.starts_with("Goto") && target == id {
            flatten(s, id, trace, nested, failed_check);
        } else {
            if context.starts_with("Child workflow")
                && let Some(step) = s.get("stepId").and_then(Value::as_str)
            {
                trace.push(step.to_string());
            }
            nested.push(s);
        }
    }
}
