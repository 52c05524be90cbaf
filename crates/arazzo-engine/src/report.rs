//! What a run did: the report (the JSON shape of `arazzo-run run --format json`)
//! and the typed events it is built from.

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

/// The action a step took after it was judged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionRecord {
    /// The action's `name`; `None` for the default behaviour.
    pub name: Option<String>,
    /// `next` (the default on success), `end`, `goto`, `retry`, or `fail` (the default on failure).
    #[serde(rename = "type")]
    pub kind: String,
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
    /// Wall time of the exchange (or the called workflow), in milliseconds.
    pub duration_ms: u64,
    /// The step's outputs (secrets masked).
    pub outputs: Value,
    /// What happened next.
    pub action: Option<ActionRecord>,
    /// Why the step failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Every success criterion with its verdict.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub criteria: Vec<CriterionRecord>,
    /// For a workflow step: the workflow it called.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workflow_id: Option<String>,
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
    /// Its outputs (secrets masked); `{}` when it failed.
    pub outputs: Value,
    /// Wall time, in milliseconds.
    pub duration_ms: u64,
    /// Why it failed.
    pub error: Option<String>,
    /// The step executions, in order.
    pub steps: Vec<StepRecord>,
    /// Warnings raised while it ran.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// Why this workflow ran: `requested`, `dependency` (of a requested
    /// workflow), `called` (by a step) or `goto` (by an action).
    pub reason: String,
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
            .filter(|w| w.reason == "requested")
            .all(|w| w.status == Status::Succeeded)
    }
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
        /// Nesting depth (0 for the requested workflow).
        depth: usize,
        /// Why it runs (`requested`, `dependency`, `called`, `goto`).
        reason: String,
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
        source: String,
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
