//! The arazzo-run adapter: the `arazzo-run` command-line binary.
//!
//! `arazzo-run validate DOC --format json` gives the diagnostics (compared by
//! code and line), `arazzo-run run DOC --format json` the report (judged with
//! the library harness's checks). Servers are overridden with `--server` for
//! the root document's OpenAPI sources; descriptions that only nested Arazzo
//! documents reach are rewritten in a copy of the case (the flag does not
//! reach them).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use arazzo_engine::report::RunReport;
use serde_json::Value;

use super::{Diag, Engine, Observed, Scratch, process, requested_workflows, rewrite};
use crate::case::LoadedCase;

/// The arazzo-run command-line adapter.
#[derive(Debug, Clone)]
pub struct ArazzoRun {
    bin: PathBuf,
    max_retry_delay: Option<f64>,
}

/// The workspace this crate was built in.
fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

impl ArazzoRun {
    /// Uses `explicit`, or builds `arazzo-run` with cargo in this workspace
    /// (a no-op when it is up to date) and uses the built binary.
    pub fn locate(explicit: Option<PathBuf>, max_retry_delay: Option<f64>) -> Result<Self, String> {
        let bin = match explicit {
            Some(p) if p.exists() => p,
            Some(p) => return Err(format!("{}: no such arazzo-run binary", p.display())),
            None => build()?,
        };
        Ok(ArazzoRun {
            bin,
            max_retry_delay,
        })
    }

    /// The binary it runs.
    pub fn bin(&self) -> &Path {
        &self.bin
    }
}

/// Builds arazzo-run with cargo and returns the executable's path.
fn build() -> Result<PathBuf, String> {
    let ws = workspace();
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = Command::new(&cargo)
        .current_dir(&ws)
        .args([
            "build",
            "--quiet",
            "-p",
            "arazzo-cli",
            "--bin",
            "arazzo-run",
            "--message-format=json",
        ])
        .stderr(std::process::Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run cargo to build arazzo-run: {e}"))?;
    if !out.status.success() {
        return Err("`cargo build -p arazzo-cli --bin arazzo-run` failed".into());
    }
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|m| {
            m.get("reason").and_then(Value::as_str) == Some("compiler-artifact")
                && m.pointer("/target/name").and_then(Value::as_str) == Some("arazzo-run")
        })
        .find_map(|m| {
            m.get("executable")
                .and_then(Value::as_str)
                .map(PathBuf::from)
        })
        .ok_or_else(|| "cargo built arazzo-run but did not say where".to_string())
}

/// The credential flags of a case, as `arazzo-run run --auth` takes them.
fn auth_flags(lc: &LoadedCase) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for (scheme, v) in &lc.case.credentials {
        match v {
            Value::String(s) => out.push(format!("{scheme}={s}")),
            Value::Object(m) => {
                for (field, value) in m {
                    let value = value
                        .as_str()
                        .map_or_else(|| value.to_string(), str::to_string);
                    out.push(format!("{scheme}.{field}={value}"));
                }
            }
            other => {
                return Err(format!(
                    "credential `{scheme}` must be a string or an object, not {other}"
                ));
            }
        }
    }
    Ok(out)
}

impl Engine for ArazzoRun {
    fn name(&self) -> &'static str {
        "arazzo-run"
    }

    fn version(&self) -> String {
        process::capture(
            Command::new(&self.bin).arg("--version"),
            Duration::from_secs(30),
        )
        .map(|f| {
            f.stdout
                .trim()
                .trim_start_matches("arazzo-run ")
                .to_string()
        })
        .unwrap_or_else(|e| format!("unknown ({e})"))
    }

    fn skip(&self, lc: &LoadedCase) -> Option<String> {
        if lc.case.options.max_retries.is_some() {
            return Some("options.maxRetries: `arazzo-run run` has no flag for it".into());
        }
        None
    }

    fn exact(&self) -> bool {
        true
    }

    fn diagnostics(&self, lc: &LoadedCase, timeout: Duration) -> Option<Result<Vec<Diag>, String>> {
        Some(validate(&self.bin, lc, timeout))
    }

    fn run(&self, lc: &LoadedCase, server_url: &str, timeout: Duration) -> Observed {
        match self.run_inner(lc, server_url, timeout) {
            Ok(o) => o,
            Err(e) => Observed::Error(e),
        }
    }
}

fn validate(bin: &Path, lc: &LoadedCase, timeout: Duration) -> Result<Vec<Diag>, String> {
    let doc = lc.document()?;
    let scratch = Scratch::new(&lc.name).map_err(|e| e.to_string())?;
    let mut cmd = Command::new(bin);
    cmd.current_dir(&lc.dir)
        .arg("validate")
        .arg(&doc)
        .args(["--format", "json"]);
    let f = process::run(&mut cmd, timeout, scratch.path())?;
    if f.timed_out {
        return Err("arazzo-run validate timed out".into());
    }
    let v: Value = serde_json::from_str(&f.stdout).map_err(|e| {
        format!(
            "arazzo-run validate printed no JSON ({e}): {}",
            f.stderr_tail()
        )
    })?;
    let diags = v
        .pointer("/files/0/diagnostics")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    Ok(diags
        .iter()
        .map(|d| Diag {
            code: d["code"].as_str().unwrap_or_default().to_string(),
            severity: d["severity"].as_str().unwrap_or_default().to_string(),
            line: d["line"].as_u64().and_then(|l| u32::try_from(l).ok()),
            message: d["message"].as_str().unwrap_or_default().to_string(),
        })
        .collect())
}

impl ArazzoRun {
    fn run_inner(
        &self,
        lc: &LoadedCase,
        server_url: &str,
        timeout: Duration,
    ) -> Result<Observed, String> {
        let case = &lc.case;
        let scratch = Scratch::new(&lc.name).map_err(|e| e.to_string())?;
        let mut doc = lc.document()?;
        let mut dir = lc.dir.clone();
        // The root document's OpenAPI sources take `--server`; descriptions
        // reached only through nested Arazzo documents are rewritten in a copy.
        let (sources, nested) = match arazzo_engine::compile_location(
            &doc.display().to_string(),
            &arazzo_engine::CompileOptions::default(),
        ) {
            Ok(c) => {
                let root: Vec<(String, usize)> = c
                    .plan
                    .docs
                    .first()
                    .map(|d| d.apis.iter().map(|(k, v)| (k.clone(), v.get())).collect())
                    .unwrap_or_default();
                let nested = (0..c.plan.apis.len()).any(|i| !root.iter().any(|(_, r)| *r == i));
                (root.into_iter().map(|(k, _)| k).collect::<Vec<_>>(), nested)
            }
            Err(_) => (Vec::new(), false),
        };
        if nested {
            let (copy, rel) = rewrite::rewritten_case(lc, scratch.path(), server_url)?;
            doc = copy.join(rel);
            dir = copy;
        }
        let inputs = scratch.path().join("inputs.json");
        super::write_json(&inputs, &Value::Object(case.inputs.clone()))?;
        let mut cmd = Command::new(&self.bin);
        cmd.current_dir(&dir)
            .arg("run")
            .arg(&doc)
            .args(["--format", "json", "--timeout", "10", "--inputs"])
            .arg(&inputs);
        for w in requested_workflows(lc) {
            cmd.args(["--workflow", &w]);
        }
        for s in &sources {
            cmd.arg("--server").arg(format!("{s}={server_url}"));
        }
        for a in auth_flags(lc)? {
            cmd.arg("--auth").arg(a);
        }
        if let Some(n) = case.options.max_steps {
            cmd.args(["--max-steps", &n.to_string()]);
        }
        if let Some(s) = self.max_retry_delay {
            cmd.args(["--max-retry-delay", &s.to_string()]);
        }
        // Only the case's credentials: none from the environment.
        for (k, _) in std::env::vars_os() {
            if k.to_string_lossy().starts_with("ARAZZO_AUTH_") {
                cmd.env_remove(&k);
            }
        }
        cmd.env_remove("RUST_LOG").env("NO_COLOR", "1");
        let f = process::run(&mut cmd, timeout, scratch.path())?;
        if f.timed_out {
            return Ok(Observed::TimedOut(timeout));
        }
        if let Ok(report) = serde_json::from_str::<RunReport>(&f.stdout) {
            return Ok(Observed::Report(report));
        }
        let why = if f.stderr.trim().is_empty() {
            f.stdout.trim().to_string()
        } else {
            f.stderr.trim().to_string()
        };
        Ok(match f.code {
            Some(2) => Observed::Refused(why),
            code => Observed::Broken(format!("exit {code:?}: {why}")),
        })
    }
}
