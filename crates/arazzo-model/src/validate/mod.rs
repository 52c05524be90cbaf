//! Referential checks that need nothing but the document: unique ids,
//! goto/dependsOn targets, component references, dependency cycles,
//! parameter locations, and control flow that cannot do what it seems to.
//!
//! Checks that need runtime expressions or the source descriptions (every
//! expression parses, `$steps.x` names a step, operations resolve) run in
//! the engine's compile step, which reports through the same
//! [`Diagnostic`] type.

use std::collections::HashMap;

use crate::diag::{Code, Diagnostic};
use crate::load::Part;
use crate::model::*;

mod actions;
mod cycles;
mod parameters;
mod references;
mod workflow;

pub use cycles::cross_document_cycles;

/// A reference to a component: `$components.<kind>.<name>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ComponentKind {
    /// `$components.parameters.<name>`.
    Parameters,
    /// `$components.successActions.<name>`.
    SuccessActions,
    /// `$components.failureActions.<name>`.
    FailureActions,
    /// `$components.inputs.<name>` (not a valid Reusable target; inputs use `$ref`).
    Inputs,
}

impl ComponentKind {
    /// The field name under `components`.
    pub fn as_str(self) -> &'static str {
        match self {
            ComponentKind::Parameters => "parameters",
            ComponentKind::SuccessActions => "successActions",
            ComponentKind::FailureActions => "failureActions",
            ComponentKind::Inputs => "inputs",
        }
    }
}

/// Splits a Reusable Object's `reference` into its kind and name.
pub fn parse_component_reference(reference: &str) -> Option<(ComponentKind, &str)> {
    let rest = reference.strip_prefix("$components.")?;
    let (kind, name) = rest.split_once('.')?;
    let kind = match kind {
        "parameters" => ComponentKind::Parameters,
        "successActions" => ComponentKind::SuccessActions,
        "failureActions" => ComponentKind::FailureActions,
        "inputs" => ComponentKind::Inputs,
        _ => return None,
    };
    (!name.is_empty()).then_some((kind, name))
}

/// Where a `workflowId` (of a step, an action or `dependsOn`) points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WorkflowRef<'a> {
    /// A workflow of this document.
    Local(&'a str),
    /// `$sourceDescriptions.<source>.<workflowId>`: a workflow of another Arazzo document.
    External {
        /// The source description name.
        source: &'a str,
        /// The workflowId in that document.
        workflow: &'a str,
    },
}

/// Reads a `workflowId` value.
pub fn parse_workflow_ref(s: &str) -> WorkflowRef<'_> {
    if let Some(rest) = s.strip_prefix("$sourceDescriptions.")
        && let Some((source, workflow)) = rest.split_once('.')
    {
        return WorkflowRef::External { source, workflow };
    }
    WorkflowRef::Local(s)
}

/// Runs every document-only check.
pub fn validate(doc: &Document) -> Vec<Diagnostic> {
    let mut v = Validator {
        doc,
        diags: Vec::new(),
    };
    v.unique_ids();
    v.components();
    for wf in &doc.workflows {
        v.workflow(wf);
    }
    v.dependency_cycles();
    v.diags
}

struct Validator<'a> {
    doc: &'a Document,
    diags: Vec<Diagnostic>,
}

/// What kind of list a parameter or action appears in, for context-sensitive rules.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Owner {
    OperationStep,
    WorkflowStep,
    OtherStep,
    Workflow,
    Action,
}

impl<'a> Validator<'a> {
    fn error(&self, code: Code, pointer: &str, part: Part, msg: impl Into<String>) -> Diagnostic {
        Diagnostic::error(code, msg).at(self.doc.locate(pointer, part))
    }

    fn warning(&self, code: Code, pointer: &str, part: Part, msg: impl Into<String>) -> Diagnostic {
        Diagnostic::warning(code, msg).at(self.doc.locate(pointer, part))
    }

    fn unique_ids(&mut self) {
        let mut seen: HashMap<&str, &str> = HashMap::new();
        for s in &self.doc.source_descriptions {
            if s.name.is_empty() {
                continue;
            }
            if let Some(first) = seen.insert(&s.name, &s.path) {
                let d = self
                    .error(
                        Code::DuplicateSourceName,
                        &format!("{}/name", s.path),
                        Part::Value,
                        format!("two source descriptions are named `{}`", s.name),
                    )
                    .note("first defined here", self.doc.field(first, "name"));
                self.diags.push(d);
            }
        }
        let mut seen: HashMap<&str, &str> = HashMap::new();
        for w in &self.doc.workflows {
            if w.workflow_id.is_empty() {
                continue;
            }
            if let Some(first) = seen.insert(&w.workflow_id, &w.path) {
                let d = self
                    .error(
                        Code::DuplicateWorkflowId,
                        &format!("{}/workflowId", w.path),
                        Part::Value,
                        format!("two workflows have the workflowId `{}`", w.workflow_id),
                    )
                    .note("first defined here", self.doc.field(first, "workflowId"))
                    .hint("workflowIds must be unique within a document");
                self.diags.push(d);
            }
        }
    }

    fn components(&mut self) {
        let c = &self.doc.components;
        let actions = || c.success_actions.values().chain(c.failure_actions.values());
        for a in actions() {
            self.check_params(&a.parameters, Owner::Action);
        }
        for a in actions() {
            if let Some(w) = &a.workflow_id {
                self.workflow_ref(w, &format!("{}/workflowId", a.path));
            }
        }
    }
}
