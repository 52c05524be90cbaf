//! The typed Arazzo document model, covering every object and field of
//! Arazzo 1.0.x and 1.1.x.
//!
//! The model is produced by [`crate::parse::parse`], which is lenient: it
//! reports every structural problem as a diagnostic and still builds as much
//! of the model as it can, so that validation can report everything at once.
//!
//! Values that the specification types as "Any" (parameter values, payloads,
//! replacement values, outputs, input schemas) stay `serde_json::Value`;
//! expressions inside them are compiled later by the engine. Every object
//! carries `path`, its JSON pointer within the document, so any later stage
//! can point a diagnostic at it with [`Document::locate`].

use indexmap::IndexMap;
use serde_json::Value;

use crate::load::{Loaded, Part};
use crate::source::Location;

/// Specification extensions (`x-…` fields), in document order.
pub type Extensions = IndexMap<String, Value>;

/// The feature set a document declares with its `arazzo` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Version {
    /// Arazzo 1.0.x (1.0.0, 1.0.1, …).
    V1_0,
    /// Arazzo 1.1.x.
    V1_1,
}

impl Version {
    /// Reads the `arazzo` field. Patch versions and pre-release suffixes are
    /// accepted, as the specification asks (`^1\.[01]\.\d+(-.+)?$`).
    pub fn from_field(s: &str) -> Option<Version> {
        let rest = s.strip_prefix("1.")?;
        let (minor, patch) = rest.split_once('.')?;
        let patch = patch
            .split_once('-')
            .map_or(patch, |(p, pre)| if pre.is_empty() { "" } else { p });
        if patch.is_empty() || !patch.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        match minor {
            "0" => Some(Version::V1_0),
            "1" => Some(Version::V1_1),
            _ => None,
        }
    }

    /// The version as `major.minor`.
    pub fn as_str(self) -> &'static str {
        match self {
            Version::V1_0 => "1.0",
            Version::V1_1 => "1.1",
        }
    }
}

/// A whole Arazzo document.
#[derive(Debug, Clone)]
pub struct Document {
    /// The source text, the raw value and its spans.
    pub source: Loaded,
    /// The `arazzo` field as written.
    pub arazzo: String,
    /// The feature set (1.0 when the field is missing or invalid).
    pub version: Version,
    /// `$self` (1.1): the document's own URI, used as its base URI.
    pub self_uri: Option<String>,
    /// `info`.
    pub info: Info,
    /// `sourceDescriptions`.
    pub source_descriptions: Vec<SourceDescription>,
    /// `workflows`.
    pub workflows: Vec<Workflow>,
    /// `components`.
    pub components: Components,
    /// `x-` extensions of the root object.
    pub extensions: Extensions,
}

impl Document {
    /// The location of the node at `pointer` (see [`Loaded::locate`]).
    pub fn locate(&self, pointer: &str, part: Part) -> Location {
        self.source.locate(pointer, part)
    }

    /// The location of `field` inside the object at `path` (its value, or the
    /// object itself when the field is absent).
    pub fn field(&self, path: &str, field: &str) -> Location {
        self.source.locate(
            &format!("{path}/{}", crate::load::escape_token(field)),
            Part::Value,
        )
    }

    /// The location of the key `field` inside the object at `path`.
    pub fn key(&self, path: &str, field: &str) -> Location {
        self.source.locate(
            &format!("{path}/{}", crate::load::escape_token(field)),
            Part::Key,
        )
    }

    /// The workflow with this id.
    pub fn workflow(&self, id: &str) -> Option<&Workflow> {
        self.workflows.iter().find(|w| w.workflow_id == id)
    }

    /// The source description with this name.
    pub fn source_description(&self, name: &str) -> Option<&SourceDescription> {
        self.source_descriptions.iter().find(|s| s.name == name)
    }

    /// The display name of the file the document came from.
    pub fn file_name(&self) -> &str {
        self.source.file.name()
    }
}

/// `info`: metadata that does not affect execution.
#[derive(Debug, Clone, Default)]
pub struct Info {
    /// `title` (required).
    pub title: String,
    /// `summary`.
    pub summary: Option<String>,
    /// `description` (CommonMark).
    pub description: Option<String>,
    /// `version` of the document (not of the specification).
    pub version: String,
    /// `x-` extensions.
    pub extensions: Extensions,
}

/// The kind of document a source description points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SourceKind {
    /// An OpenAPI (or Swagger 2.0) description.
    OpenApi,
    /// An AsyncAPI description (1.1).
    AsyncApi,
    /// Another Arazzo document.
    Arazzo,
}

impl SourceKind {
    /// Reads the `type` field.
    pub fn from_field(s: &str) -> Option<SourceKind> {
        match s {
            "openapi" => Some(SourceKind::OpenApi),
            "asyncapi" => Some(SourceKind::AsyncApi),
            "arazzo" => Some(SourceKind::Arazzo),
            _ => None,
        }
    }

    /// The `type` value.
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::OpenApi => "openapi",
            SourceKind::AsyncApi => "asyncapi",
            SourceKind::Arazzo => "arazzo",
        }
    }
}

/// A Source Description Object.
#[derive(Debug, Clone, Default)]
pub struct SourceDescription {
    /// `name`: unique, referenced as `$sourceDescriptions.<name>`.
    pub name: String,
    /// `url`: a URI-reference, resolved against the document's base URI.
    pub url: String,
    /// `type`, when given. Without it the loader sniffs the content.
    pub kind: Option<SourceKind>,
    /// `x-` extensions.
    pub extensions: Extensions,
    /// JSON pointer of this object in the document.
    pub path: String,
}

/// A Workflow Object.
#[derive(Debug, Clone, Default)]
pub struct Workflow {
    /// `workflowId`.
    pub workflow_id: String,
    /// `summary`.
    pub summary: Option<String>,
    /// `description`.
    pub description: Option<String>,
    /// `inputs`: a JSON Schema 2020-12 object (possibly a `$ref` into `components.inputs`).
    pub inputs: Option<Value>,
    /// `dependsOn`: workflowIds, or `$sourceDescriptions.<name>.<workflowId>`.
    pub depends_on: Vec<String>,
    /// `steps`, in order.
    pub steps: Vec<Step>,
    /// `successActions`, applicable to every step.
    pub success_actions: Vec<ActionRef>,
    /// `failureActions`, applicable to every step.
    pub failure_actions: Vec<ActionRef>,
    /// `outputs`: name → expression (1.1: or a Selector Object).
    pub outputs: IndexMap<String, Value>,
    /// `parameters`, applicable to every step.
    pub parameters: Vec<ParameterRef>,
    /// `x-` extensions.
    pub extensions: Extensions,
    /// JSON pointer of this object in the document.
    pub path: String,
}

impl Workflow {
    /// The step with this id.
    pub fn step(&self, id: &str) -> Option<&Step> {
        self.steps.iter().find(|s| s.step_id == id)
    }

    /// The index of the step with this id.
    pub fn step_index(&self, id: &str) -> Option<usize> {
        self.steps.iter().position(|s| s.step_id == id)
    }
}

/// What a step invokes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum StepTarget {
    /// `operationId`: a bare id or `$sourceDescriptions.<name>.<operationId>`.
    OperationId(String),
    /// `operationPath`: `{$sourceDescriptions.<name>.url}#<json-pointer>`.
    OperationPath(String),
    /// `workflowId`: a local workflow, or `$sourceDescriptions.<name>.<workflowId>`.
    WorkflowId(String),
    /// `channelPath` (1.1, AsyncAPI).
    ChannelPath(String),
    /// None of them (an invalid step; reported by the parser).
    #[default]
    Missing,
}

impl StepTarget {
    /// The field name that holds this target.
    pub fn field(&self) -> &'static str {
        match self {
            StepTarget::OperationId(_) => "operationId",
            StepTarget::OperationPath(_) => "operationPath",
            StepTarget::WorkflowId(_) => "workflowId",
            StepTarget::ChannelPath(_) => "channelPath",
            StepTarget::Missing => "operationId",
        }
    }

    /// Does this step call an HTTP operation?
    pub fn is_operation(&self) -> bool {
        matches!(
            self,
            StepTarget::OperationId(_) | StepTarget::OperationPath(_)
        )
    }
}

/// `action` of an AsyncAPI step (1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AsyncAction {
    /// Publish a message.
    Send,
    /// Wait for a message.
    Receive,
}

/// A Step Object.
#[derive(Debug, Clone, Default)]
pub struct Step {
    /// `stepId`.
    pub step_id: String,
    /// `description`.
    pub description: Option<String>,
    /// `operationId` / `operationPath` / `workflowId` / `channelPath`.
    pub target: StepTarget,
    /// `parameters`.
    pub parameters: Vec<ParameterRef>,
    /// `requestBody`.
    pub request_body: Option<RequestBody>,
    /// `successCriteria`: all must pass.
    pub success_criteria: Vec<Criterion>,
    /// `onSuccess` (`None` when absent).
    pub on_success: Option<Vec<ActionRef>>,
    /// `onFailure` (`None` when absent).
    pub on_failure: Option<Vec<ActionRef>>,
    /// `outputs`: name → expression (1.1: or a Selector Object).
    pub outputs: IndexMap<String, Value>,
    /// `timeout` in milliseconds (1.1).
    pub timeout: Option<u64>,
    /// `dependsOn` (1.1): stepIds or `$workflows.<wf>.steps.<step>`.
    pub depends_on: Vec<String>,
    /// `action` (1.1, AsyncAPI).
    pub action: Option<AsyncAction>,
    /// `correlationId` (1.1, AsyncAPI).
    pub correlation_id: Option<String>,
    /// `x-` extensions.
    pub extensions: Extensions,
    /// JSON pointer of this object in the document.
    pub path: String,
}

/// Where a parameter goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ParameterIn {
    /// A path template variable.
    Path,
    /// A query parameter.
    Query,
    /// The whole query string (1.1, OpenAPI 3.2).
    QueryString,
    /// A request header.
    Header,
    /// A cookie.
    Cookie,
    /// `body`: only in Arazzo 1.0.0, removed in 1.0.1.
    Body,
}

impl ParameterIn {
    /// Reads the `in` field.
    pub fn from_field(s: &str) -> Option<ParameterIn> {
        match s {
            "path" => Some(ParameterIn::Path),
            "query" => Some(ParameterIn::Query),
            "querystring" => Some(ParameterIn::QueryString),
            "header" => Some(ParameterIn::Header),
            "cookie" => Some(ParameterIn::Cookie),
            "body" => Some(ParameterIn::Body),
            _ => None,
        }
    }

    /// The `in` value.
    pub fn as_str(self) -> &'static str {
        match self {
            ParameterIn::Path => "path",
            ParameterIn::Query => "query",
            ParameterIn::QueryString => "querystring",
            ParameterIn::Header => "header",
            ParameterIn::Cookie => "cookie",
            ParameterIn::Body => "body",
        }
    }
}

/// A Parameter Object.
#[derive(Debug, Clone)]
pub struct Parameter {
    /// `name` (case-sensitive, except that header names compare case-insensitively).
    pub name: String,
    /// `in`; absent for workflow inputs.
    pub location: Option<ParameterIn>,
    /// `value`: a constant, an expression, a template, or (1.1) a Selector Object.
    pub value: Value,
    /// `x-` extensions.
    pub extensions: Extensions,
    /// JSON pointer of this object in the document.
    pub path: String,
}

/// A Reusable Object: a reference to a component.
#[derive(Debug, Clone)]
pub struct Reusable {
    /// `reference`: `$components.parameters|successActions|failureActions.<name>`.
    pub reference: String,
    /// `value`: overrides a referenced parameter's value.
    pub value: Option<Value>,
    /// JSON pointer of this object in the document.
    pub path: String,
}

/// A parameter written inline or referenced from components.
#[derive(Debug, Clone)]
pub enum ParameterRef {
    /// Written inline.
    Inline(Parameter),
    /// A Reusable Object.
    Reusable(Reusable),
}

/// An action written inline or referenced from components.
#[derive(Debug, Clone)]
pub enum ActionRef {
    /// Written inline.
    Inline(Action),
    /// A Reusable Object.
    Reusable(Reusable),
}

/// The `type` of an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionKind {
    /// End the workflow (as succeeded after a success action, as failed
    /// after a failure action).
    End,
    /// Transfer to a step or workflow.
    Goto,
    /// Retry the current step, optionally after running a step or workflow
    /// (failure actions only).
    Retry,
}

/// A Success Action Object or a Failure Action Object.
///
/// The two share every field but `retryAfter` and `retryLimit`, which only
/// failure actions have, and only failure actions may `retry`. The parser
/// reports those on a success action and never builds a success action of
/// kind [`ActionKind::Retry`] or with retry fields set; which list an action
/// is in (`onSuccess`/`successActions` or `onFailure`/`failureActions`) says
/// which of the two it is.
#[derive(Debug, Clone)]
pub struct Action {
    /// `name`.
    pub name: String,
    /// `type`.
    pub kind: ActionKind,
    /// `stepId` (goto, or the step to run before retrying).
    pub step_id: Option<String>,
    /// `workflowId` (goto, or the workflow to run before retrying).
    pub workflow_id: Option<String>,
    /// `retryAfter` (failure actions): seconds to wait before retrying.
    pub retry_after: Option<f64>,
    /// `retryLimit` (failure actions): how many retries (one when absent).
    pub retry_limit: Option<u64>,
    /// `criteria`: all must pass for the action to apply.
    pub criteria: Vec<Criterion>,
    /// `parameters` (1.1): inputs for the target workflow.
    pub parameters: Vec<ParameterRef>,
    /// `x-` extensions.
    pub extensions: Extensions,
    /// JSON pointer of this object in the document.
    pub path: String,
}

/// The `type` of a criterion, selector or replacement target.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ExpressionType {
    /// `simple` (or absent): the condition language of the specification.
    #[default]
    Simple,
    /// `regex`.
    Regex,
    /// `jsonpath`, with the version of an Expression Type Object.
    JsonPath(Option<String>),
    /// `xpath`, with the version of an Expression Type Object.
    XPath(Option<String>),
    /// `jsonpointer` (1.1 selectors and replacement targets).
    JsonPointer(Option<String>),
}

impl ExpressionType {
    /// The type name.
    pub fn name(&self) -> &'static str {
        match self {
            ExpressionType::Simple => "simple",
            ExpressionType::Regex => "regex",
            ExpressionType::JsonPath(_) => "jsonpath",
            ExpressionType::XPath(_) => "xpath",
            ExpressionType::JsonPointer(_) => "jsonpointer",
        }
    }

    /// The version of an Expression Type Object, if one was given.
    pub fn version(&self) -> Option<&str> {
        match self {
            ExpressionType::JsonPath(v)
            | ExpressionType::XPath(v)
            | ExpressionType::JsonPointer(v) => v.as_deref(),
            _ => None,
        }
    }
}

/// A Criterion Object.
#[derive(Debug, Clone)]
pub struct Criterion {
    /// `context`: the expression the condition applies to.
    pub context: Option<String>,
    /// `condition`.
    pub condition: String,
    /// `type` (simple when absent).
    pub kind: ExpressionType,
    /// Whether `type` was written (it then requires `context`).
    pub explicit_type: bool,
    /// `x-` extensions.
    pub extensions: Extensions,
    /// JSON pointer of this object in the document.
    pub path: String,
}

/// A Request Body Object.
#[derive(Debug, Clone)]
pub struct RequestBody {
    /// `contentType`: overrides the operation's media type.
    pub content_type: Option<String>,
    /// `payload`: literal, expression, template, or a structure containing them.
    pub payload: Option<Value>,
    /// `replacements`, applied in order after the payload is evaluated.
    pub replacements: Vec<Replacement>,
    /// `x-` extensions.
    pub extensions: Extensions,
    /// JSON pointer of this object in the document.
    pub path: String,
}

/// A Payload Replacement Object.
#[derive(Debug, Clone)]
pub struct Replacement {
    /// `target`: a JSON Pointer (or, 1.1, JSONPath/XPath) into the payload.
    pub target: String,
    /// `targetSelectorType` (1.1).
    pub target_type: Option<ExpressionType>,
    /// `value`: a constant, an expression or (1.1) a Selector Object.
    pub value: Value,
    /// `x-` extensions.
    pub extensions: Extensions,
    /// JSON pointer of this object in the document.
    pub path: String,
}

/// The Components Object.
#[derive(Debug, Clone, Default)]
pub struct Components {
    /// `inputs`: reusable JSON Schemas.
    pub inputs: IndexMap<String, Value>,
    /// `parameters`.
    pub parameters: IndexMap<String, Parameter>,
    /// `successActions`.
    pub success_actions: IndexMap<String, Action>,
    /// `failureActions`.
    pub failure_actions: IndexMap<String, Action>,
    /// `x-` extensions.
    pub extensions: Extensions,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        for ok in ["1.0.0", "1.0.1", "1.0.27", "1.0.1-rc1"] {
            assert_eq!(Version::from_field(ok), Some(Version::V1_0), "{ok}");
        }
        assert_eq!(Version::from_field("1.1.0"), Some(Version::V1_1));
        for bad in [
            "1.0", "1.2.0", "2.0.0", "1.0.x", "1.0.1-", "v1.0.1", "", "1.1",
        ] {
            assert_eq!(Version::from_field(bad), None, "{bad}");
        }
    }
}
