//! What a run did: the report (the JSON shape of `arazzo-run run --format json`)
//! and the typed events it is built from.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Whether a step or workflow succeeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// It succeeded.
    Succeeded,
    /// It failed.
    Failed,
}

/// An enum the report writes as a fixed name: its serde name is the name,
/// `as_str` and `Display` give it, and it compares equal to it.
macro_rules! named {
    ($(#[$doc:meta])* pub enum $name:ident {
        $($(#[$vdoc:meta])* $variant:ident = $text:literal,)*
    }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vdoc])* #[serde(rename = $text)] $variant,)*
        }

        impl $name {
            /// The name the report uses.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)*
                }
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.as_str() == *other
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

named! {
    /// Why a workflow execution ran.
    pub enum Reason {
        /// The caller asked for it.
        Requested = "requested",
        /// A `dependsOn` dependency of a workflow that runs.
        Dependency = "dependency",
        /// Called by a workflow step, or run before a retry.
        Called = "called",
        /// Reached by a goto action.
        Goto = "goto",
    }
}

named! {
    /// What a step did once judged.
    pub enum ActionType {
        /// On to the next step (the default on success).
        Next = "next",
        /// An `end` action.
        End = "end",
        /// A `goto` action.
        Goto = "goto",
        /// A `retry` action.
        Retry = "retry",
        /// The workflow fails (the default on failure).
        Fail = "fail",
    }
}

named! {
    /// Where a retry's delay came from.
    pub enum DelaySource {
        /// The response's `Retry-After` header.
        RetryAfterHeader = "Retry-After",
        /// The action's `retryAfter`.
        RetryAfter = "retryAfter",
        /// Neither: no delay.
        None = "none",
    }
}

named! {
    /// What kind of failure a step or workflow had; the message says the rest.
    pub enum FailureKind {
        /// The workflow's inputs do not match its inputs schema.
        Inputs = "inputs",
        /// A workflow it depends on failed, or a step it depends on has not completed.
        Dependency = "dependency",
        /// A value of the request could not be evaluated, or the request built.
        Request = "request",
        /// Credentials or an OAuth2 token could not be obtained.
        Credentials = "credentials",
        /// No response: connection failure, timeout, a body over the limit.
        Transport = "transport",
        /// A success criterion did not hold.
        Criteria = "criteria",
        /// A workflow it called (or went to, or ran before a retry) failed.
        Workflow = "workflow",
        /// An `end` action ended the workflow after a failure.
        Action = "action",
        /// A limit of the run was reached (steps, retries, nesting, time).
        Limit = "limit",
        /// The run was stopped from outside ([`Run::abort`](crate::Run::abort):
        /// SIGINT or SIGTERM in the CLI, an embedder's shutdown).
        Interrupted = "interrupted",
        /// The step's target cannot be executed.
        Unsupported = "unsupported",
        /// The response does not match the operation's OpenAPI description
        /// (with response checks set to fail steps: `--check-responses error`).
        Contract = "contract",
        /// The engine lost track of its own state (a bug).
        Internal = "internal",
    }
}

/// A place in a document: where the failing step is written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Place {
    /// The file (path or URL) as it was named.
    pub file: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
}

impl std::fmt::Display for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// The typed side of a failure; the record's `error` has its message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Failure {
    /// What kind of failure.
    pub kind: FailureKind,
    /// The step where it happened (for a workflow: its failing step, if any).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step_id: Option<String>,
    /// Where that step (or workflow) is written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Place>,
}

/// A failure with its message, as the engine passes it around.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct RunError {
    /// What kind of failure.
    pub kind: FailureKind,
    /// What happened, for people.
    pub message: String,
}

impl RunError {
    /// A failure of `kind`.
    pub fn new(kind: FailureKind, message: impl Into<String>) -> RunError {
        RunError {
            kind,
            message: message.into(),
        }
    }
}

/// The action a step took after it was judged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionRecord {
    /// The action's `name`; `None` for the default behaviour.
    pub name: Option<String>,
    /// `next` (the default on success), `end`, `goto`, `retry`, or `fail` (the default on failure).
    #[serde(rename = "type")]
    pub kind: ActionType,
    /// For goto and retry-via: the step or workflow it goes to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
}

/// One failing criterion, with why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CriterionRecord {
    /// The condition as written.
    pub condition: String,
    /// Whether it passed.
    pub passed: bool,
    /// Why it failed, with the actual values.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// One execution of a step (retries and gotos repeat a step).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StepRecord {
    /// `stepId`.
    pub step_id: String,
    /// Succeeded or failed.
    pub status: Status,
    /// The HTTP status; `None` for workflow steps and when no response arrived.
    pub status_code: Option<u16>,
    /// 1 for the first attempt, 2 for the first retry, …
    pub attempt: u32,
    /// The HTTP method, for operation steps.
    pub method: Option<String>,
    /// The request URL (secrets masked), for operation steps.
    pub url: Option<String>,
    /// Wall time of the exchange (or the called workflow) and of judging it
    /// (criteria, outputs, the action's criteria), in milliseconds.
    pub duration_ms: u64,
    /// The step's outputs (secrets masked). Shared: the record is copied
    /// into the report and into its event, and outputs can be large.
    pub outputs: Arc<Value>,
    /// What happened next.
    pub action: Option<ActionRecord>,
    /// Why the step failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// What kind of failure it was, and where the step is written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<Failure>,
    /// Every success criterion with its verdict.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub criteria: Vec<CriterionRecord>,
    /// How the response departs from the operation's OpenAPI description
    /// (status, content type, schema), when responses are checked.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contract: Vec<ContractProblem>,
    /// For a workflow step: the workflow it called.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workflow_id: Option<String>,
    /// For a failed operation step that got a response: what the server
    /// said, so the failure explains itself (the status is `status_code`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<ResponseDetail>,
}

/// The response headers that explain a failure, kept with a failed step's
/// response (matched case-insensitively, in arrival order): what the body
/// is, where the server points, when to try again, which credentials it
/// wants, which methods it allows, and the id its support asks for.
pub const EXPLAINING_HEADERS: [&str; 7] = [
    "content-type",
    "location",
    "retry-after",
    "www-authenticate",
    "proxy-authenticate",
    "allow",
    "x-request-id",
];

/// The most bytes of a failed step's response body its record keeps
/// ([`ResponseDetail::body`]); a longer body is cut at a character boundary
/// and ends with `…`.
pub const BODY_EXCERPT_BYTES: usize = 2048;

/// What the server answered to a failed step: the headers that explain a
/// failure and the start of the body, secrets masked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResponseDetail {
    /// The response's [`EXPLAINING_HEADERS`], as `[name, value]` pairs.
    pub headers: Vec<(String, String)>,
    /// The body as the step read it — JSON written compactly, other media
    /// types as text (invalid UTF-8 replaced) — up to
    /// [`BODY_EXCERPT_BYTES`] bytes, then `…`; `None` when it was empty.
    pub body: Option<String>,
    /// The body's size in bytes, as received (decompressed).
    pub body_size: usize,
    /// Whether `body` was cut.
    pub truncated: bool,
}

impl ResponseDetail {
    /// The detail of a response with `headers` and `body` (as the step
    /// parsed it, `body_size` bytes received); nothing is masked yet.
    pub fn new(headers: &[(String, String)], body: Option<&Value>, body_size: usize) -> Self {
        let headers = headers
            .iter()
            .filter(|(n, _)| EXPLAINING_HEADERS.iter().any(|h| n.eq_ignore_ascii_case(h)))
            .cloned()
            .collect();
        let (body, truncated) = match body {
            None => (None, false),
            Some(v) => {
                let (text, cut) = excerpt(v, BODY_EXCERPT_BYTES);
                (Some(text), cut)
            }
        };
        ResponseDetail {
            headers,
            body,
            body_size,
            truncated,
        }
    }
}

/// The first `max` bytes of `v` as text (a string as it is, anything else as
/// compact JSON), cut at a character boundary and ended with `…` when it is
/// longer; whether it was cut. A large value is written only as far as needed.
pub fn excerpt(v: &Value, max: usize) -> (String, bool) {
    let full;
    let text: &str = match v {
        Value::String(s) => s,
        other => {
            let mut w = Capped {
                buf: Vec::new(),
                max: max.saturating_add(4),
            };
            // Stops with an error once the cap is passed: the start is all
            // that is needed.
            let _ = serde_json::to_writer(&mut w, other);
            full = String::from_utf8_lossy(&w.buf).into_owned();
            &full
        }
    };
    if text.len() <= max {
        return (text.to_string(), false);
    }
    let mut end = max;
    while end > 0 && !text.is_char_boundary(end) {
        end -= 1;
    }
    (format!("{}…", &text[..end]), true)
}

/// A writer that keeps up to `max` bytes, then refuses more.
struct Capped {
    buf: Vec<u8>,
    max: usize,
}

impl std::io::Write for Capped {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let room = self.max.saturating_sub(self.buf.len());
        if room == 0 {
            return Err(std::io::Error::other("excerpt complete"));
        }
        let n = bytes.len().min(room);
        self.buf.extend_from_slice(&bytes[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

named! {
    /// Which check of a response against its operation's description failed.
    pub enum ResponseCheck {
        /// The status code is not declared (not as itself, as a `2XX`-style
        /// range, nor by `default`).
        Status = "status",
        /// The body's `Content-Type` is not among the declared response's media types.
        ContentType = "contentType",
        /// The JSON body does not validate against the declared schema.
        Schema = "schema",
    }
}

/// One way a step's response departs from its operation's OpenAPI description.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContractProblem {
    /// Which check failed.
    pub check: ResponseCheck,
    /// What is wrong, for people (secrets masked, at most a few hundred bytes).
    pub message: String,
    /// For a schema failure: a JSON pointer to the offending value in the body
    /// (`/pets/0/id`; empty for the body itself).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_path: Option<String>,
    /// For a schema failure: where the failing keyword is written
    /// (`#/components/schemas/Pet/properties/id/type`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema_path: Option<String>,
}

impl std::fmt::Display for ContractProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.instance_path, &self.schema_path) {
            (Some(at), Some(schema)) => {
                let at = if at.is_empty() { "/" } else { at.as_str() };
                write!(f, "body {at}: {} (schema {schema})", self.message)
            }
            _ => f.write_str(&self.message),
        }
    }
}

/// One execution of a workflow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkflowRecord {
    /// `workflowId`.
    pub workflow_id: String,
    /// Succeeded or failed.
    pub status: Status,
    /// The inputs it ran with (defaults applied, secrets masked).
    pub inputs: Value,
    /// Its outputs (secrets masked); `{}` when it failed. Shared, as a
    /// step's are.
    pub outputs: Arc<Value>,
    /// Wall time from its start to its end, evaluation included, in
    /// milliseconds. A workflow that made a goto ends when its target ends.
    pub duration_ms: u64,
    /// Why it failed.
    pub error: Option<String>,
    /// What kind of failure it was, its failing step and where it is written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<Failure>,
    /// The step executions, in order.
    pub steps: Vec<StepRecord>,
    /// Warnings raised while it ran.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// Why this workflow ran: `requested`, `dependency` (of a requested
    /// workflow), `called` (by a step) or `goto` (by an action).
    pub reason: Reason,
    /// Inputs that were synthesized (mock mode) rather than supplied.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub synthesized_inputs: Vec<String>,
}

/// The whole run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunReport {
    /// Every workflow execution, in the order they started.
    pub workflows: Vec<WorkflowRecord>,
}

impl RunReport {
    /// Whether every workflow that was requested (not only called) succeeded.
    pub fn succeeded(&self) -> bool {
        self.workflows
            .iter()
            .filter(|w| w.reason == Reason::Requested)
            .all(|w| w.status == Status::Succeeded)
    }

    /// How many workflow and step executions succeeded and failed, and what
    /// did not run: the `requested` workflows that never started (a time
    /// limit or a signal stopped the run first), and for each workflow
    /// execution the steps of its workflow in `plan` it did not execute
    /// (after a failure, an `end`, or a `goto` past them).
    pub fn totals(&self, plan: &crate::plan::Plan, requested: &[String]) -> Totals {
        let mut t = Totals::default();
        for w in &self.workflows {
            t.workflows.add(w.status);
            for s in &w.steps {
                t.steps.add(s.status);
            }
            if let Some(p) = plan.workflows.iter().find(|p| p.id == w.workflow_id) {
                let ran = |id: &str| w.steps.iter().any(|s| s.step_id == id);
                t.steps.skipped += p.steps.iter().filter(|s| !ran(&s.id)).count();
            }
        }
        let mut seen: Vec<&str> = Vec::new();
        for id in requested {
            if seen.contains(&id.as_str()) {
                continue;
            }
            seen.push(id);
            let started = self
                .workflows
                .iter()
                .any(|w| &w.workflow_id == id && w.reason == Reason::Requested);
            if !started {
                t.workflows.skipped += 1;
            }
        }
        t
    }
}

/// How many executions succeeded, failed, or did not run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Executions that succeeded.
    pub succeeded: usize,
    /// Executions that failed.
    pub failed: usize,
    /// What did not run (see [`RunReport::totals`]).
    pub skipped: usize,
}

impl Counts {
    fn add(&mut self, status: Status) {
        match status {
            Status::Succeeded => self.succeeded += 1,
            Status::Failed => self.failed += 1,
        }
    }
}

/// The counts of a run's workflow and step executions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    /// Workflow executions (called, dependency and goto ones too).
    pub workflows: Counts,
    /// Step executions (retries count each time).
    pub steps: Counts,
}

/// The version of the report's format, [`StampedReport::report_version`]:
/// it changes when a field is removed or changes meaning (added fields do
/// not change it). Reports without one are version 1.
pub const REPORT_VERSION: u32 = 2;

/// The program that wrote a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tool {
    /// Its name (`arazzo-run`).
    pub name: String,
    /// Its version.
    pub version: String,
}

/// A report as a program writes it: the run's report, stamped with what the
/// engine does not know — which program ran which document, and when (the
/// engine reads no wall clock of its own for this) — and its totals. The
/// run's fields stay at the top level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StampedReport {
    /// [`REPORT_VERSION`].
    pub report_version: u32,
    /// The program that ran the document.
    pub tool: Tool,
    /// The document, as it was named (a path or a URL).
    pub file: String,
    /// When the run started, RFC 3339 in UTC.
    pub started_at: String,
    /// When it ended, RFC 3339 in UTC.
    pub ended_at: String,
    /// [`RunReport::totals`].
    pub totals: Totals,
    /// The run.
    #[serde(flatten)]
    pub run: RunReport,
}

/// Something that happened during a run, for progress displays and embedders.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "camelCase")]
pub enum Event {
    /// A workflow started.
    #[serde(rename_all = "camelCase")]
    WorkflowStarted {
        /// `workflowId`.
        workflow_id: String,
        /// The inputs (secrets masked).
        inputs: Value,
        /// Nesting depth (0 for the requested workflow). A workflow reached
        /// by goto takes the place of the one that made the goto, so it has
        /// that one's depth; both then end (the target first) with a
        /// `WorkflowFinished` each.
        depth: usize,
        /// Why it runs (`requested`, `dependency`, `called`, `goto`).
        reason: Reason,
    },
    /// A step started.
    #[serde(rename_all = "camelCase")]
    StepStarted {
        /// `workflowId`.
        workflow_id: String,
        /// `stepId`.
        step_id: String,
        /// Attempt number.
        attempt: u32,
        /// `METHOD /path` for operation steps, the workflow id for workflow steps.
        target: String,
    },
    /// A request went out (secrets masked, body truncated).
    #[serde(rename_all = "camelCase")]
    RequestSent {
        /// `workflowId`.
        workflow_id: String,
        /// `stepId` (or `oauth2` for a token request).
        step_id: String,
        /// Method.
        method: String,
        /// URL.
        url: String,
        /// Headers.
        headers: Vec<(String, String)>,
        /// Body text, truncated.
        body: Option<String>,
        /// The body's size in bytes (0 without one).
        #[serde(default)]
        body_size: usize,
    },
    /// A response arrived (secrets masked, body truncated).
    #[serde(rename_all = "camelCase")]
    ResponseReceived {
        /// `workflowId`.
        workflow_id: String,
        /// `stepId`.
        step_id: String,
        /// Status code.
        status: u16,
        /// Headers.
        headers: Vec<(String, String)>,
        /// Body text, truncated.
        body: Option<String>,
        /// The body's size in bytes, as received (decompressed).
        #[serde(default)]
        body_size: usize,
        /// Time from sending to the full response, in milliseconds.
        duration_ms: u64,
    },
    /// A criterion was evaluated.
    #[serde(rename_all = "camelCase")]
    CriterionEvaluated {
        /// `workflowId`.
        workflow_id: String,
        /// `stepId`.
        step_id: String,
        /// Where it belongs: `successCriteria`, or the name of an action.
        of: String,
        /// The condition as written.
        condition: String,
        /// The verdict.
        passed: bool,
        /// Why it failed.
        reason: Option<String>,
    },
    /// An action was taken.
    #[serde(rename_all = "camelCase")]
    ActionTaken {
        /// `workflowId`.
        workflow_id: String,
        /// `stepId`.
        step_id: String,
        /// The action.
        action: ActionRecord,
    },
    /// A retry is scheduled.
    #[serde(rename_all = "camelCase")]
    RetryScheduled {
        /// `workflowId`.
        workflow_id: String,
        /// `stepId`.
        step_id: String,
        /// The attempt that will run.
        attempt: u32,
        /// How long the engine waits first.
        delay_ms: u64,
        /// Where the delay came from (`Retry-After`, `retryAfter`, none).
        source: DelaySource,
    },
    /// Something worth knowing that does not stop the run.
    #[serde(rename_all = "camelCase")]
    Warning {
        /// The workflow, if the warning belongs to one.
        workflow_id: Option<String>,
        /// The step, if the warning belongs to one.
        step_id: Option<String>,
        /// The warning.
        message: String,
    },
    /// A step finished.
    StepFinished {
        /// `workflowId`.
        #[serde(rename = "workflowId")]
        workflow_id: String,
        /// The record.
        record: StepRecord,
    },
    /// A workflow finished.
    WorkflowFinished {
        /// The record (with its steps).
        record: WorkflowRecord,
    },
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    #[test]
    fn excerpts_are_cut_at_a_character_boundary() {
        assert_eq!(excerpt(&json!("short"), 10), ("short".into(), false));
        // `é` is two bytes: a cut inside it moves back before it.
        assert_eq!(excerpt(&json!("abcdé-rest"), 5), ("abcd…".into(), true));
        assert_eq!(
            excerpt(&json!({"a": [1, 2]}), 100),
            ("{\"a\":[1,2]}".into(), false)
        );
        let big = json!({"items": vec!["x".repeat(100); 10_000]});
        let (text, cut) = excerpt(&big, 2048);
        assert!(cut);
        assert_eq!(text.len(), 2048 + '…'.len_utf8());
        assert!(text.starts_with("{\"items\":[\"xxx"));
    }

    #[test]
    fn response_details_keep_the_explaining_headers() {
        let headers = [
            ("Content-Type".to_string(), "application/json".to_string()),
            ("x-internal".to_string(), "no".to_string()),
            (
                "WWW-Authenticate".to_string(),
                "Bearer realm=\"api\"".to_string(),
            ),
        ];
        let d = ResponseDetail::new(&headers, Some(&json!({"error": "no"})), 20);
        assert_eq!(d.headers.len(), 2);
        assert_eq!(d.headers[1].0, "WWW-Authenticate");
        assert_eq!(d.body.as_deref(), Some("{\"error\":\"no\"}"));
        assert_eq!((d.body_size, d.truncated), (20, false));
        let empty = ResponseDetail::new(&[], None, 0);
        assert_eq!(empty.body, None);
    }
}
