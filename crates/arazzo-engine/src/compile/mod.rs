//! Compilation: loaded documents → an executable [`Plan`], or diagnostics.
//!
//! Everything that can be decided before the first request is decided here:
//! every expression and criterion is parsed, every operation resolved,
//! parameter lists merged (workflow-level overridden by step-level, by name
//! and location), Reusable Objects resolved with their `value` overrides,
//! action lists merged (a step's own actions first, then the workflow's not
//! overridden by name), and every reference an expression makes is checked.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;

use arazzo_expr::ParseError;
use arazzo_model::load::Part;
use arazzo_model::model::{Document, Workflow};
use arazzo_model::{Code, Diagnostic, Location};
use arazzo_openapi::Sources;
use arazzo_openapi::sources::{ArazzoDoc, SourceTarget};
use serde_json::Value;

use crate::plan::*;

mod actions;
mod criteria;
mod operation;
mod params;
mod references;
mod values;
mod workflow;

use operation::api_plan;

/// The result of compiling.
#[derive(Debug)]
pub struct Compiled {
    /// The plan (built even when there are errors, so tools can inspect it;
    /// do not run a plan whose diagnostics contain errors).
    pub plan: Plan,
    /// Every finding, loading included.
    pub diagnostics: Vec<Diagnostic>,
}

impl Compiled {
    /// Whether any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Compiles loaded sources. The root Arazzo document is `sources.arazzo[0]`.
pub fn compile(sources: Arc<Sources>) -> Compiled {
    let mut c = Compiler {
        sources: &sources,
        diags: sources.diagnostics.clone(),
        operations: Vec::new(),
        op_index: HashMap::new(),
        wf_index: HashMap::new(),
    };
    let apis: Vec<ApiPlan> = sources
        .openapi
        .iter()
        .map(|api| api_plan(api, &sources.store))
        .collect();
    let docs: Vec<DocPlan> = sources.arazzo.iter().map(doc_plan).collect();
    let order = c.index_workflows();
    let workflows: Vec<WorkflowPlan> = order.iter().map(|(d, w)| c.workflow(*d, w)).collect();
    let diagnostics = c.diags;
    let operations = c.operations;
    let contracts = crate::run::Contracts::new(operations.len());
    Compiled {
        plan: Plan {
            workflows,
            operations,
            apis,
            docs,
            sources: sources.clone(),
            contracts,
        },
        diagnostics,
    }
}

/// What document `a` of the sources needs at run time.
fn doc_plan(a: &ArazzoDoc) -> DocPlan {
    DocPlan {
        url: a.url.clone(),
        // `$self` evaluates to the document's resolved identity.
        self_uri: a.doc.self_uri.as_ref().map(|_| a.base.to_string()),
        source_urls: a
            .doc
            .source_descriptions
            .iter()
            .map(|sd| {
                let resolved = a
                    .base
                    .join(&sd.url)
                    .map(|u| u.to_string())
                    .unwrap_or_else(|_| sd.url.clone());
                (sd.name.clone(), (resolved, sd.kind.map(|k| k.as_str())))
            })
            .collect(),
        apis: a
            .sources
            .iter()
            .filter_map(|(n, t)| match t {
                SourceTarget::OpenApi(i) => Some((n.clone(), ApiIndex(*i))),
                _ => None,
            })
            .collect(),
        components: a
            .doc
            .source
            .value
            .get("components")
            .cloned()
            .unwrap_or(Value::Null),
    }
}

/// The state of one compilation.
struct Compiler<'a> {
    sources: &'a Sources,
    /// Every finding so far, loading included.
    diags: Vec<Diagnostic>,
    /// The operations steps call, each once.
    operations: Vec<OperationPlan>,
    /// (OpenAPI description, operation pointer) → index in `operations`.
    op_index: HashMap<(usize, String), OperationIndex>,
    /// (Arazzo document, workflowId) → index of the workflow in the plan.
    wf_index: HashMap<(usize, String), WorkflowIndex>,
}

impl<'a> Compiler<'a> {
    /// Gives every workflow of every document (the root's first) its index
    /// in the plan; of workflows that share a workflowId in one document,
    /// the first counts.
    fn index_workflows(&mut self) -> Vec<(usize, &'a Workflow)> {
        let sources = self.sources;
        let mut order: Vec<(usize, &'a Workflow)> = Vec::new();
        for (d, a) in sources.arazzo.iter().enumerate() {
            for w in &a.doc.workflows {
                if !w.workflow_id.is_empty()
                    && !self.wf_index.contains_key(&(d, w.workflow_id.clone()))
                {
                    self.wf_index
                        .insert((d, w.workflow_id.clone()), WorkflowIndex(order.len()));
                    order.push((d, w));
                }
            }
        }
        order
    }

    /// Arazzo document `d`.
    fn doc(&self, d: usize) -> &'a Document {
        &self.sources.arazzo[d].doc
    }

    /// The location of the value at `pointer` in document `d`.
    fn at(&self, d: usize, pointer: &str) -> Location {
        self.doc(d).locate(pointer, Part::Value)
    }

    /// A location inside the string at `pointer`, `span` bytes into its value.
    fn inside(&self, d: usize, pointer: &str, value: &str, span: &Range<usize>) -> Location {
        let loc = self.at(d, pointer);
        let src = loc.file.slice(loc.span);
        let offset = if src == value {
            Some(0)
        } else if src.len() >= 2
            && (src.starts_with('"') || src.starts_with('\''))
            && src.get(1..src.len() - 1) == Some(value)
        {
            Some(1)
        } else {
            None
        };
        match offset {
            Some(o) => Location {
                span: loc.span.sub(o + span.start, span.len().max(1)),
                file: loc.file,
            },
            None => loc,
        }
    }

    /// Reports a runtime expression (a `what`) that does not parse, at the
    /// error's place inside the string `text` at `pointer`.
    fn parse_error(&mut self, d: usize, pointer: &str, text: &str, e: &ParseError, what: &str) {
        let mut diag = Diagnostic::error(
            Code::ExpressionSyntax,
            format!("invalid {what}: {}", e.message),
        )
        .at(self.inside(d, pointer, text, &e.span))
        .label(e.message.clone());
        if let Some(h) = &e.hint {
            diag = diag.hint(h.clone());
        }
        self.diags.push(diag);
    }
}
