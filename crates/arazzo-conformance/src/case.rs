//! The case format: `case.yaml` beside an Arazzo document and its
//! descriptions. See `docs/conformance.md` for the full reference.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One conformance case.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Case {
    /// What the case checks, in one sentence.
    pub title: String,
    /// The specification section(s) it checks, e.g. `1.0.1 §Failure Action Object`.
    pub spec: String,
    /// The case follows a policy of `docs/semantics.md` on a point the
    /// specification leaves open; names the section.
    #[serde(default)]
    pub policy: Option<String>,
    /// Checklist items covered (`1.9`, `2/selectors`, …).
    #[serde(default)]
    pub covers: Vec<String>,
    /// The Arazzo document, relative to the case directory (default: the only `*.arazzo.yaml`).
    #[serde(default)]
    pub document: Option<String>,
    /// Workflows to run, in order (default: the first workflow).
    #[serde(default)]
    pub workflows: Vec<String>,
    /// Inputs given to every requested workflow.
    #[serde(default)]
    pub inputs: serde_json::Map<String, Value>,
    /// Credentials by security scheme: a string, or an object with
    /// `client_id`/`client_secret` (OAuth2) or `username`/`password` (Basic).
    #[serde(default)]
    pub credentials: BTreeMap<String, Value>,
    /// The HTTP exchanges the engine must perform, in order.
    #[serde(default)]
    pub exchanges: Vec<Exchange>,
    /// Run options (limits) for the case.
    #[serde(default)]
    pub options: CaseLimits,
    /// The expected result.
    pub expect: Expect,
    /// A case arazzo-run deliberately does not support, with the reason; skipped.
    #[serde(default)]
    pub unsupported: Option<String>,
}

/// Limits a case sets for its run (engines without such a setting skip them).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CaseLimits {
    /// The most steps the run may execute.
    #[serde(default)]
    pub max_steps: Option<u64>,
    /// The most retries the run may make.
    #[serde(default)]
    pub max_retries: Option<u64>,
}

/// One scripted exchange.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Exchange {
    /// What the request must look like.
    pub request: RequestMatch,
    /// What the server answers.
    pub response: Response,
    /// Play this exchange this many times in a row (default 1).
    #[serde(default)]
    pub repeat: Option<usize>,
}

/// A request matcher. Unset fields match anything.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RequestMatch {
    /// The method (case-insensitive).
    pub method: String,
    /// The path exactly as sent (percent-encoding included), without the query.
    pub path: String,
    /// The whole query string exactly as sent (without `?`); `""` means none.
    #[serde(default)]
    pub raw_query: Option<String>,
    /// Query parameters that must be present with these (decoded) values.
    #[serde(default)]
    pub query: BTreeMap<String, String>,
    /// Headers that must be present with these values (names case-insensitive).
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Headers that must not be present.
    #[serde(default)]
    pub absent_headers: Vec<String>,
    /// The body, parsed as JSON, must equal this.
    #[serde(default)]
    pub json: Option<Value>,
    /// The body must be exactly this text.
    #[serde(default)]
    pub text: Option<String>,
    /// The body, decoded as a form, must equal this.
    #[serde(default)]
    pub form: Option<BTreeMap<String, String>>,
    /// There must be no body.
    #[serde(default)]
    pub no_body: bool,
}

/// A scripted response.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Response {
    /// The status.
    pub status: u16,
    /// Headers.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// A JSON body (sent with `Content-Type: application/json` unless a header says otherwise).
    #[serde(default)]
    pub json: Option<Value>,
    /// A text body (sent with `Content-Type: text/plain` unless a header says otherwise).
    #[serde(default)]
    pub text: Option<String>,
    /// Wait this long (real time) before answering, e.g. to exceed a step `timeout`.
    #[serde(default)]
    pub delay_ms: Option<u64>,
}

/// The expected result.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Expect {
    /// The status of the (first) requested workflow.
    #[serde(default)]
    pub status: Option<String>,
    /// Outputs of the first requested workflow that must have these values.
    #[serde(default)]
    pub outputs: serde_json::Map<String, Value>,
    /// The step trace of the first requested workflow: stepIds in execution
    /// order, `stepId#N` for attempt N > 1.
    #[serde(default)]
    pub trace: Option<Vec<String>>,
    /// Traces of other workflow executions, by workflowId (in order of execution).
    #[serde(default)]
    pub traces: BTreeMap<String, Vec<String>>,
    /// Text the workflow's error must contain.
    #[serde(default)]
    pub error: Option<String>,
    /// The waits before retries, in milliseconds (checked by the arazzo-run harness).
    #[serde(default)]
    pub sleeps: Option<Vec<u64>>,
    /// For invalid documents: diagnostics that must be reported.
    #[serde(default)]
    pub diagnostics: Vec<ExpectedDiagnostic>,
    /// Per-workflow statuses, by workflowId, for runs of several workflows.
    #[serde(default)]
    pub statuses: BTreeMap<String, String>,
}

/// A diagnostic an invalid document must produce.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ExpectedDiagnostic {
    /// The arazzo-run diagnostic code.
    pub code: String,
    /// The 1-based line it points at.
    #[serde(default)]
    pub line: Option<u32>,
    /// `error` (default) or `warning`.
    #[serde(default)]
    pub severity: Option<String>,
}

/// A case with where it lives.
#[derive(Debug, Clone)]
pub struct LoadedCase {
    /// The case directory.
    pub dir: PathBuf,
    /// Its name (the directory name).
    pub name: String,
    /// The case.
    pub case: Case,
}

impl LoadedCase {
    /// The Arazzo document's path.
    pub fn document(&self) -> Result<PathBuf, String> {
        if let Some(d) = &self.case.document {
            return Ok(self.dir.join(d));
        }
        let mut found: Vec<PathBuf> = std::fs::read_dir(&self.dir)
            .map_err(|e| e.to_string())?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.ends_with(".arazzo.yaml") || n.ends_with(".arazzo.json"))
            })
            .collect();
        found.sort();
        match found.len() {
            1 => Ok(found.remove(0)),
            0 => Err("no *.arazzo.yaml in the case directory".into()),
            _ => Err("several *.arazzo.yaml: name one with `document:`".into()),
        }
    }
}

/// Loads every case under `dir` (each subdirectory with a `case.yaml`), sorted by name.
pub fn load_cases(dir: &Path) -> Result<Vec<LoadedCase>, String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = std::fs::read_dir(&d).map_err(|e| format!("{}: {e}", d.display()))?;
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                if p.join("case.yaml").exists() {
                    out.push(load_case(&p)?);
                } else {
                    stack.push(p);
                }
            }
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// Loads one case directory.
pub fn load_case(dir: &Path) -> Result<LoadedCase, String> {
    let path = dir.join("case.yaml");
    let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let loaded = arazzo_model::load::load(&path.display().to_string(), &bytes)
        .map_err(|d| d.render(false))?;
    let case: Case =
        serde_json::from_value(loaded.value).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(LoadedCase {
        name: dir
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string(),
        dir: dir.to_path_buf(),
        case,
    })
}
