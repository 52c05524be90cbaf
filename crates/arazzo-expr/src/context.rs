//! The evaluation context: where runtime expressions get their values.
//!
//! The engine, `arazzo-run eval` and the tests all evaluate through this one trait, so
//! they share one evaluator. Every method defaults to `None` ("does not exist"), which
//! is distinct from `Some(Value::Null)` (exists and is null): an optional input that was
//! not supplied is absent, while an input supplied as `null` is null.

use std::borrow::Cow;
use std::fmt;

use serde_json::Value;

/// The three kinds of reusable components a `$components.` expression can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ComponentKind {
    /// `$components.parameters.<name>`
    Parameters,
    /// `$components.successActions.<name>`
    SuccessActions,
    /// `$components.failureActions.<name>`
    FailureActions,
}

impl ComponentKind {
    /// The keyword as written in expressions and in the Components Object.
    pub fn as_str(self) -> &'static str {
        match self {
            ComponentKind::Parameters => "parameters",
            ComponentKind::SuccessActions => "successActions",
            ComponentKind::FailureActions => "failureActions",
        }
    }

    /// Parses the keyword; `None` for anything else.
    pub fn from_keyword(s: &str) -> Option<Self> {
        match s {
            "parameters" => Some(ComponentKind::Parameters),
            "successActions" => Some(ComponentKind::SuccessActions),
            "failureActions" => Some(ComponentKind::FailureActions),
            _ => None,
        }
    }
}

impl fmt::Display for ComponentKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Values available to runtime expressions at one point of a run.
///
/// Implementors return borrowed values where they can, so that evaluating
/// `$response.body#/id` does not clone the body. Header lookups must be
/// case-insensitive (header names are RFC 9110 tokens); every other name is
/// case-sensitive.
pub trait Context {
    /// `$url`: the URL of the current step's request.
    fn url(&self) -> Option<Cow<'_, str>> {
        None
    }
    /// `$method`: the HTTP method of the current step's request.
    fn method(&self) -> Option<Cow<'_, str>> {
        None
    }
    /// `$statusCode`: the status of the current step's response.
    fn status_code(&self) -> Option<u16> {
        None
    }
    /// `$request.header.<name>`, matched case-insensitively.
    fn request_header(&self, _name: &str) -> Option<Cow<'_, str>> {
        None
    }
    /// `$request.query.<name>`.
    fn request_query(&self, _name: &str) -> Option<Cow<'_, Value>> {
        None
    }
    /// `$request.path.<name>`.
    fn request_path(&self, _name: &str) -> Option<Cow<'_, Value>> {
        None
    }
    /// `$request.body`: parsed JSON, or a `Value::String` for other media types.
    fn request_body(&self) -> Option<Cow<'_, Value>> {
        None
    }
    /// `$response.header.<name>`, matched case-insensitively.
    fn response_header(&self, _name: &str) -> Option<Cow<'_, str>> {
        None
    }
    /// `$response.body`: parsed JSON, or a `Value::String` for other media types.
    fn response_body(&self) -> Option<Cow<'_, Value>> {
        None
    }
    /// `$message.header.<name>` (Arazzo 1.1 asynchronous steps), case-insensitive.
    fn message_header(&self, _name: &str) -> Option<Cow<'_, str>> {
        None
    }
    /// `$message.payload` (Arazzo 1.1 asynchronous steps).
    fn message_payload(&self) -> Option<Cow<'_, Value>> {
        None
    }
    /// `$inputs.<name>`: an input of the current workflow.
    fn input(&self, _name: &str) -> Option<Cow<'_, Value>> {
        None
    }
    /// `$outputs.<name>`: an output of the current workflow.
    fn output(&self, _name: &str) -> Option<Cow<'_, Value>> {
        None
    }
    /// `$steps.<id>.outputs.<name>`: an output of a step of the current workflow.
    fn step_output(&self, _step_id: &str, _name: &str) -> Option<Cow<'_, Value>> {
        None
    }
    /// `$workflows.<id>.inputs.<name>`.
    fn workflow_input(&self, _workflow_id: &str, _name: &str) -> Option<Cow<'_, Value>> {
        None
    }
    /// `$workflows.<id>.outputs.<name>`.
    fn workflow_output(&self, _workflow_id: &str, _name: &str) -> Option<Cow<'_, Value>> {
        None
    }
    /// `$sourceDescriptions.<name>.<reference>`: the implementor applies the 1.1
    /// priority (operationId or workflowId first, then Source Description fields).
    fn source_description(&self, _name: &str, _reference: &str) -> Option<Cow<'_, Value>> {
        None
    }
    /// `$components.<kind>.<name>`.
    fn component(&self, _kind: ComponentKind, _name: &str) -> Option<Cow<'_, Value>> {
        None
    }
    /// `$self`: the document's `$self` URI (Arazzo 1.1).
    fn self_uri(&self) -> Option<Cow<'_, str>> {
        None
    }
}

/// A context in which nothing exists; useful for evaluating constant values.
#[derive(Debug, Clone, Copy, Default)]
pub struct EmptyContext;

impl Context for EmptyContext {}
