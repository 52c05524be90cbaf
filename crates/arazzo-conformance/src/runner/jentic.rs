//! The Jentic adapter: the `arazzo-runner` Python package, installed with pip
//! into the cache directory (`python3 -m pip install --target <cache>/jentic
//! arazzo-runner`) and driven by a small script (`jentic_driver.py`, written
//! next to it) through its public API: `ArazzoRunner.from_arazzo_path` and
//! `execute_workflow`.
//!
//! arazzo-runner has no server override, so the adapter runs a copy of the
//! case whose descriptions point at the script server. It reports each
//! requested workflow's status and outputs; the driver records step traces
//! (with attempt numbers) from the runner's events. Credentials go through
//! the environment variables the runner derives from the security schemes.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use arazzo_engine::report::Status;
use serde_json::{Value, json};

use super::{
    Engine, Fidelity, Observed, Scratch, TraceDetail, WorkflowRun, process, requested_workflows,
    rewrite, short,
};
use crate::case::LoadedCase;

const DRIVER: &str = include_str!("jentic_driver.py");

/// The Jentic arazzo-runner adapter.
#[derive(Debug, Clone)]
pub struct Jentic {
    python: String,
    target: PathBuf,
    driver: PathBuf,
}

impl Jentic {
    /// Finds arazzo-runner in `<cache>/jentic`, installing it with pip if it
    /// is not there, and writes the driver script.
    pub fn install(cache: &Path) -> Result<Self, String> {
        let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
        let target = cache.join("jentic");
        if !target.join("arazzo_runner/__init__.py").exists() {
            std::fs::create_dir_all(&target).map_err(|e| format!("{}: {e}", target.display()))?;
            eprintln!(
                "installing arazzo-runner into {} ({python} -m pip install --target … arazzo-runner)",
                target.display()
            );
            let f = process::capture(
                Command::new(&python)
                    .args([
                        "-m",
                        "pip",
                        "install",
                        "--quiet",
                        "--disable-pip-version-check",
                    ])
                    .arg("--target")
                    .arg(&target)
                    .arg("arazzo-runner"),
                Duration::from_secs(600),
            )?;
            if f.code != Some(0) || !target.join("arazzo_runner/__init__.py").exists() {
                return Err(format!(
                    "pip install arazzo-runner failed: {}",
                    f.stderr_tail()
                ));
            }
        }
        let driver = cache.join("jentic_driver.py");
        if std::fs::read_to_string(&driver).ok().as_deref() != Some(DRIVER) {
            std::fs::write(&driver, DRIVER).map_err(|e| format!("{}: {e}", driver.display()))?;
        }
        Ok(Jentic {
            python,
            target,
            driver,
        })
    }

    fn command(&self) -> Command {
        let mut cmd = Command::new(&self.python);
        cmd.env("PYTHONPATH", &self.target)
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .env("PYTHONNOUSERSITE", "1")
            .arg(&self.driver);
        cmd
    }
}

impl Engine for Jentic {
    fn name(&self) -> &'static str {
        "jentic"
    }

    fn version(&self) -> String {
        process::capture(self.command().arg("--version"), Duration::from_secs(60))
            .ok()
            .map(|f| f.stdout.trim().to_string())
            .filter(|v| !v.is_empty())
            .map(|v| format!("arazzo-runner {v}"))
            .unwrap_or_else(|| "unknown".into())
    }

    fn skip(&self, lc: &LoadedCase) -> Option<String> {
        let o = &lc.case.options;
        if o.max_steps.is_some() || o.max_retries.is_some() {
            return Some("options (maxSteps/maxRetries): arazzo-runner has no run limits".into());
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

impl Jentic {
    fn run_inner(
        &self,
        lc: &LoadedCase,
        server_url: &str,
        timeout: Duration,
    ) -> Result<Observed, String> {
        let case = &lc.case;
        let scratch = Scratch::new(&lc.name).map_err(|e| e.to_string())?;
        let (copy, rel) = rewrite::rewritten_case(lc, scratch.path(), server_url)?;
        let spec = scratch.path().join("spec.json");
        let out = scratch.path().join("result.json");
        super::write_json(
            &spec,
            &json!({
                "document": copy.join(&rel),
                "workflows": requested_workflows(lc),
                "inputs": Value::Object(case.inputs.clone()),
                "credentials": case.credentials,
            }),
        )?;
        let mut cmd = self.command();
        cmd.current_dir(&copy).arg(&spec).arg(&out);
        let f = process::run(&mut cmd, timeout, scratch.path())?;
        if f.timed_out {
            return Ok(Observed::TimedOut(timeout));
        }
        let Ok(text) = std::fs::read_to_string(&out) else {
            return Ok(Observed::Broken(format!(
                "exit {:?}, no result: {}",
                f.code,
                short(&f.stderr_tail())
            )));
        };
        let v: Value = serde_json::from_str(&text).map_err(|e| format!("driver JSON: {e}"))?;
        if let Some(why) = v.get("rejected").and_then(Value::as_str) {
            return Ok(Observed::Refused(why.to_string()));
        }
        let runs = v
            .get("workflows")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|w| WorkflowRun {
                workflow_id: w["workflowId"].as_str().unwrap_or_default().to_string(),
                requested: w["requested"].as_bool().unwrap_or(false),
                status: match w["status"].as_str() {
                    Some("succeeded") => Some(Status::Succeeded),
                    Some("failed") => Some(Status::Failed),
                    _ => None,
                },
                outputs: w["outputs"].as_object().cloned(),
                trace: w["trace"].as_array().map(|t| {
                    t.iter()
                        .filter_map(|s| s.as_str().map(str::to_string))
                        .collect()
                }),
                error: w["error"].as_str().map(str::to_string),
            })
            .collect();
        Ok(Observed::Runs {
            runs,
            fidelity: Fidelity {
                traces: TraceDetail::Attempts,
                all_runs: true,
            },
        })
    }
}
