//! The executable plan: what compilation produces and every run reads.
//!
//! A plan is immutable and shared (`Arc<Plan>`) by all runs, so a thousand
//! concurrent runs of one workflow parse nothing again. Everything a run
//! needs is resolved here: operations and their servers, merged parameter
//! and action lists, parsed expressions and criteria, input validators.
//! Runs refer to the plan by indices, which keeps run state serializable.

use std::sync::Arc;

use arazzo_expr::{Criterion, ValueExpr};
use arazzo_openapi::security::SecurityScheme;
use arazzo_openapi::serialize::ParamLocation;
use arazzo_openapi::{Operation, Sources};
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;

use crate::inputs::InputsPlan;

macro_rules! index {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub(crate) usize);

        impl $name {
            /// The position in its table of the plan.
            pub fn get(self) -> usize {
                self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

index!(
    /// A workflow of the plan ([`Plan::workflow`]).
    WorkflowIndex
);
index!(
    /// An operation a step calls ([`Plan::operation`]).
    OperationIndex
);
index!(
    /// An OpenAPI description ([`Plan::api`]); the same position in
    /// [`Sources::openapi`](arazzo_openapi::Sources::openapi).
    ApiIndex
);
index!(
    /// An Arazzo document ([`Plan::doc`]); the same position in
    /// [`Sources::arazzo`](arazzo_openapi::Sources::arazzo). The root is 0.
    DocIndex
);

/// A compiled set of documents.
#[derive(Debug)]
pub struct Plan {
    /// Every workflow of every loaded Arazzo document (the root document's first).
    pub workflows: Vec<WorkflowPlan>,
    /// Every operation a step calls.
    pub operations: Vec<OperationPlan>,
    /// Every OpenAPI description a source description resolved to.
    pub apis: Vec<ApiPlan>,
    /// Every Arazzo document.
    pub docs: Vec<DocPlan>,
    /// The loaded sources (documents, spans), kept for `$sourceDescriptions` and diagnostics.
    pub sources: Arc<Sources>,
    /// What each operation's responses are checked against, built on first use.
    pub(crate) contracts: crate::run::Contracts,
}

impl Plan {
    /// Workflow `i`.
    pub fn workflow(&self, i: WorkflowIndex) -> Option<&WorkflowPlan> {
        self.workflows.get(i.0)
    }

    /// Operation `i`.
    pub fn operation(&self, i: OperationIndex) -> Option<&OperationPlan> {
        self.operations.get(i.0)
    }

    /// API `i`.
    pub fn api(&self, i: ApiIndex) -> Option<&ApiPlan> {
        self.apis.get(i.0)
    }

    /// Every API's index, in order.
    pub fn api_indices(&self) -> impl Iterator<Item = ApiIndex> + use<> {
        (0..self.apis.len()).map(ApiIndex)
    }

    /// Document `i`.
    pub fn doc(&self, i: DocIndex) -> Option<&DocPlan> {
        self.docs.get(i.0)
    }

    /// The root document's workflow with this id.
    pub fn workflow_index(&self, id: &str) -> Option<WorkflowIndex> {
        self.workflows
            .iter()
            .position(|w| w.doc == DocIndex(0) && w.id == id)
            .map(WorkflowIndex)
    }

    /// A digest that names this plan: the engine version, every document's
    /// text, and the server each API is sent to. A saved
    /// [`RunState`](crate::RunState) carries it, and resuming against a plan
    /// with another fingerprint is refused.
    pub fn fingerprint(&self) -> String {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        let mut add = |part: &str| {
            h.update((part.len() as u64).to_le_bytes());
            h.update(part.as_bytes());
        };
        add(env!("CARGO_PKG_VERSION"));
        add(self.sources.digest());
        for api in &self.apis {
            match &api.server {
                Ok(url) => add(url.as_str()),
                Err(e) => add(e),
            }
        }
        format!("{:x}", h.finalize())
    }

    /// Where a workflow (`step` `None`) or one of its steps is written —
    /// its `workflowId` or `stepId` value —, by their ids as a report names them.
    pub fn step_location(
        &self,
        workflow_id: &str,
        step: Option<&str>,
    ) -> Option<arazzo_model::Location> {
        let wf = WorkflowIndex(self.workflows.iter().position(|w| w.id == workflow_id)?);
        let step = match step {
            Some(id) => Some(self.workflow(wf)?.step_index(id)?),
            None => None,
        };
        self.id_location(wf, step)
    }

    /// The `workflowId` of workflow `wf`, or the `stepId` of its step `step`.
    fn id_location(
        &self,
        wf: WorkflowIndex,
        step: Option<usize>,
    ) -> Option<arazzo_model::Location> {
        let w = self.workflow(wf)?;
        let pointer = match step {
            Some(i) => format!("{}/stepId", w.steps.get(i)?.path),
            None => format!("{}/workflowId", w.path),
        };
        let loaded = &self.sources.arazzo.get(w.doc.0)?.doc.source;
        Some(loaded.locate(&pointer, arazzo_model::Part::Value))
    }

    /// [`Plan::step_location`] as file, line and column, by plan indices.
    pub fn place(&self, wf: WorkflowIndex, step: Option<usize>) -> Option<crate::report::Place> {
        let location = self.id_location(wf, step)?;
        let start = location.start();
        Some(crate::report::Place {
            file: location.file.name().to_string(),
            line: start.line,
            column: start.column,
        })
    }

    /// How events name a step's target: `METHOD /path`, a workflow id, or
    /// why it cannot run.
    pub fn target_label(&self, target: &Target) -> String {
        match target {
            Target::Operation(o) => self
                .operation(*o)
                .map(|op| op.op.label())
                .unwrap_or_default(),
            Target::Workflow(w) => self.workflow(*w).map(|w| w.id.clone()).unwrap_or_default(),
            Target::Unsupported(r) => r.clone(),
        }
    }

    /// The root document's workflows, in document order.
    pub fn root_workflows(&self) -> impl Iterator<Item = (WorkflowIndex, &WorkflowPlan)> {
        self.workflows
            .iter()
            .enumerate()
            .filter(|(_, w)| w.doc == DocIndex(0))
            .map(|(i, w)| (WorkflowIndex(i), w))
    }

    /// Points the API reached through a root source description at another
    /// server (tests, mocks, staging). `source` is a root source name, or a
    /// dotted path through `arazzo` sources (`flows.petstore`: source
    /// `petstore` of the document that root source `flows` names; source
    /// names cannot contain dots). Returns false if no such source exists.
    pub fn set_server(&mut self, source: &str, url: Url) -> bool {
        let Some(api) = self.api_by_path(source) else {
            return false;
        };
        self.set_api_server(api, url);
        true
    }

    /// The API a (dotted) source path reaches; see [`Plan::set_server`].
    fn api_by_path(&self, path: &str) -> Option<ApiIndex> {
        let mut doc = self.docs.first()?;
        let mut names = path.split('.').peekable();
        while let Some(name) = names.next() {
            if names.peek().is_none() {
                return doc.apis.get(name).copied();
            }
            let (url, _) = doc.source_urls.get(name)?;
            doc = self.docs.iter().find(|d| d.url.as_str() == url)?;
        }
        None
    }

    /// Points API `api` (an index into [`Plan::apis`]) at another server.
    pub fn set_api_server(&mut self, api: ApiIndex, url: Url) {
        if let Some(a) = self.apis.get_mut(api.0) {
            a.server = Ok(url);
            a.overridden = true;
        }
    }
}

/// One Arazzo document of the plan.
#[derive(Debug, Clone)]
pub struct DocPlan {
    /// Where it was loaded from.
    pub url: Url,
    /// `$self`, if declared.
    pub self_uri: Option<String>,
    /// Source descriptions: name → resolved absolute URL and kind.
    pub source_urls: IndexMap<String, (String, Option<&'static str>)>,
    /// Source descriptions that are OpenAPI descriptions: name → index into [`Plan::apis`].
    pub apis: IndexMap<String, ApiIndex>,
    /// `components`, as written (for `$components.*` expressions).
    pub components: Value,
}

/// One OpenAPI description, and where its requests go.
#[derive(Debug, Clone)]
pub struct ApiPlan {
    /// Display name (path or URL of the description).
    pub name: String,
    /// The description's URL.
    pub url: Url,
    /// `info.title`.
    pub title: Option<String>,
    /// The server requests go to: the first declared server (variables at
    /// their defaults), or an override. An error explains why there is none.
    pub server: Result<Url, String>,
    /// Whether `server` was overridden (by `--server`, a mock, a test).
    pub overridden: bool,
    /// The server the description declares, before any override (for
    /// following token URLs to an overridden origin).
    pub declared_server: Option<Url>,
    /// Security schemes by name.
    pub schemes: IndexMap<String, SecurityScheme>,
    /// How to call the token endpoint of each OAuth2 client-credentials
    /// scheme, decided once from the description (see `token_style`).
    pub token_styles: IndexMap<String, crate::auth::ClientAuth>,
}

/// A resolved operation.
#[derive(Debug, Clone)]
pub struct OperationPlan {
    /// Index into [`Plan::apis`].
    pub api: ApiIndex,
    /// The operation.
    pub op: Operation,
    /// The operation's own servers (when they differ from the description's), resolved.
    pub server: Option<Url>,
}

/// A workflow.
#[derive(Debug)]
pub struct WorkflowPlan {
    /// `workflowId`.
    pub id: String,
    /// Index into [`Plan::docs`].
    pub doc: DocIndex,
    /// `summary`.
    pub summary: Option<String>,
    /// `description`.
    pub description: Option<String>,
    /// The input schema, its validator, defaults and secret inputs.
    pub inputs: InputsPlan,
    /// Workflows that must complete first (indices into [`Plan::workflows`]).
    pub depends_on: Vec<WorkflowIndex>,
    /// Steps in order.
    pub steps: Vec<StepPlan>,
    /// Outputs.
    pub outputs: Vec<OutputPlan>,
    /// JSON pointer of the workflow in its document.
    pub path: String,
}

impl WorkflowPlan {
    /// Inputs that cannot be left out of a request: those a step uses as a
    /// path parameter value, and those embedded in a template (`id-{$inputs.x}`,
    /// which cannot leave a hole), in parameters, request bodies and
    /// replacements. A mock run synthesizes them even when the schema does not
    /// require them; optional inputs used whole are simply not sent.
    pub fn needed_inputs(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let mut add = |e: &arazzo_expr::Expression| {
            if let arazzo_expr::Expression::Inputs { name, .. } = e
                && !out.contains(name)
            {
                out.push(name.clone());
            }
        };
        for step in &self.steps {
            for p in &step.params {
                if p.location == Some(ParamLocation::Path) {
                    for (_, e, _) in p.value.expressions() {
                        add(e);
                    }
                } else {
                    template_holes(&p.value, &mut add);
                }
            }
            if let Some(body) = &step.body {
                if let Some(payload) = &body.payload {
                    template_holes(payload, &mut add);
                }
                for r in &body.replacements {
                    template_holes(&r.value, &mut add);
                }
            }
        }
        out
    }

    /// The index of the step with this id.
    pub fn step_index(&self, id: &str) -> Option<usize> {
        self.steps.iter().position(|s| s.id == id)
    }
}

/// What a step invokes.
#[derive(Debug, Clone)]
pub enum Target {
    /// An HTTP operation: index into [`Plan::operations`].
    Operation(OperationIndex),
    /// Another workflow: index into [`Plan::workflows`].
    Workflow(WorkflowIndex),
    /// Something this engine cannot execute (an AsyncAPI channel step, an
    /// operation that did not resolve); running the step fails with this reason.
    Unsupported(String),
}

/// A step.
#[derive(Debug)]
pub struct StepPlan {
    /// `stepId`.
    pub id: String,
    /// `description`.
    pub description: Option<String>,
    /// What it calls.
    pub target: Target,
    /// Parameters: the workflow's, overridden by the step's (by name and location).
    pub params: Vec<ParamPlan>,
    /// The request body.
    pub body: Option<BodyPlan>,
    /// `successCriteria`.
    pub success: Vec<CriterionPlan>,
    /// `onSuccess`, then the workflow's `successActions` not overridden by name.
    pub on_success: Vec<ActionPlan>,
    /// `onFailure`, then the workflow's `failureActions` not overridden by name.
    pub on_failure: Vec<ActionPlan>,
    /// Outputs.
    pub outputs: Vec<OutputPlan>,
    /// `timeout` in milliseconds (1.1).
    pub timeout_ms: Option<u64>,
    /// Steps that must have completed before this one runs (1.1 `dependsOn`;
    /// a join point: they are not triggered).
    pub depends_on: Vec<StepDep>,
    /// The status the success criteria ask for (`$statusCode == N`), used to
    /// ask a mock server for that response.
    pub expected_status: Option<u16>,
    /// The values the success criteria plainly expect in the response
    /// (`$response.body#/status == 'done'`), passed to a mock server so that it
    /// answers with them where the description allows.
    pub expectations: Vec<arazzo_expr::expect::Expected>,
    /// JSON pointer of the step in its document.
    pub path: String,
}

/// A step another step depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepDep {
    /// A step of the same workflow.
    Step(usize),
    /// A step of another workflow (`$workflows.<wf>.steps.<step>`).
    Other {
        /// The workflow.
        workflow: WorkflowIndex,
        /// The step.
        step: usize,
    },
}

/// A parameter (or a workflow input passed by a step or action).
#[derive(Debug, Clone)]
pub struct ParamPlan {
    /// The name.
    pub name: String,
    /// Where it goes; `None` for workflow inputs.
    pub location: Option<ParamLocation>,
    /// The value.
    pub value: ValueExpr,
    /// JSON pointer of the value in its document (for diagnostics).
    pub pointer: String,
}

/// A request body.
#[derive(Debug, Clone)]
pub struct BodyPlan {
    /// `contentType`.
    pub content_type: Option<String>,
    /// The payload.
    pub payload: Option<ValueExpr>,
    /// Replacements, in order.
    pub replacements: Vec<ReplacementPlan>,
}

/// A payload replacement.
#[derive(Debug, Clone)]
pub struct ReplacementPlan {
    /// Where in the payload.
    pub target: ReplacementTarget,
    /// What to put there.
    pub value: ValueExpr,
}

/// How a replacement finds its place in the payload.
#[derive(Debug, Clone)]
pub enum ReplacementTarget {
    /// An RFC 6901 JSON pointer (created if missing).
    Pointer(String),
    /// An RFC 9535 JSONPath query (every matched node is replaced).
    JsonPath(Arc<serde_json_path::JsonPath>),
    /// An XPath expression into an XML payload.
    XPath(String),
}

/// A criterion, with its text for reports.
#[derive(Debug, Clone)]
pub struct CriterionPlan {
    /// The condition as written.
    pub condition: String,
    /// The compiled criterion.
    pub criterion: Criterion,
}

/// A success or failure action.
#[derive(Debug, Clone)]
pub struct ActionPlan {
    /// `name`.
    pub name: String,
    /// `criteria` (all must pass).
    pub criteria: Vec<CriterionPlan>,
    /// What it does.
    pub kind: ActionKind,
}

/// What an action does.
#[derive(Debug, Clone)]
pub enum ActionKind {
    /// End the workflow.
    End,
    /// Continue at a step of the current workflow.
    GotoStep(usize),
    /// Transfer to another workflow (one way).
    GotoWorkflow {
        /// The workflow.
        workflow: WorkflowIndex,
        /// Inputs for it (1.1 action parameters).
        params: Option<Vec<ParamPlan>>,
    },
    /// Retry the current step.
    Retry {
        /// `retryAfter` in seconds.
        after: Option<f64>,
        /// `retryLimit` (1 when absent).
        limit: u64,
        /// A step or workflow to run before retrying.
        via: Option<Via>,
    },
}

/// What runs before a retry.
#[derive(Debug, Clone)]
pub enum Via {
    /// A step of the current workflow.
    Step(usize),
    /// A workflow.
    Workflow {
        /// The workflow.
        workflow: WorkflowIndex,
        /// Inputs for it (1.1 action parameters).
        params: Option<Vec<ParamPlan>>,
    },
}

/// An output.
#[derive(Debug, Clone)]
pub struct OutputPlan {
    /// The name.
    pub name: String,
    /// The expression (or Selector Object).
    pub value: ValueExpr,
}

/// Calls `f` on every expression embedded in an interpolated template of `v`.
fn template_holes(v: &ValueExpr, f: &mut impl FnMut(&arazzo_expr::Expression)) {
    match v {
        ValueExpr::Template(t) => {
            if matches!(t.kind(), arazzo_expr::TemplateKind::Interpolated(_)) {
                for l in t.expressions() {
                    f(l.expression);
                }
            }
        }
        ValueExpr::Array(items) => items.iter().for_each(|i| template_holes(i, f)),
        ValueExpr::Object(members) => members.iter().for_each(|(_, i)| template_holes(i, f)),
        _ => {}
    }
}
