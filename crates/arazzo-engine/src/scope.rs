//! Which errors stop which workflow.
//!
//! A document with a broken workflow may still hold workflows that are fine:
//! a typo in one step's `operationId` says nothing about a sibling workflow
//! that never reaches that step. An error located inside a root workflow
//! blocks that workflow and every workflow that reaches it (a workflow step,
//! `dependsOn`, a `goto` or a retry through it); an error anywhere else — a
//! source description, components, another file, or no place at all — blocks
//! every workflow. See `docs/semantics.md#errors-and-workflows`.

use std::collections::HashSet;
use std::sync::Arc;

use arazzo_model::Diagnostic;
use arazzo_model::load::Part;

use crate::compile::Compiled;
use crate::plan::{ActionKind, Plan, StepDep, Target, Via, WorkflowIndex};

impl Compiled {
    /// The errors that stop the root workflow `workflow` from running (empty
    /// when it can run). An unknown workflow id is blocked by every error.
    pub fn errors_blocking(&self, workflow: &str) -> Vec<&Diagnostic> {
        let errors: Vec<&Diagnostic> = self.diagnostics.iter().filter(|d| d.is_error()).collect();
        if errors.is_empty() {
            return errors;
        }
        let Some(target) = self.plan.workflow_index(workflow) else {
            return errors;
        };
        let owners = owners(&self.plan, &errors);
        if owners.iter().any(Option::is_none) {
            return errors;
        }
        let reach = reachable(&self.plan, target);
        errors
            .into_iter()
            .zip(owners)
            .filter(|(_, owner)| owner.is_some_and(|o| reach.contains(&o)))
            .map(|(d, _)| d)
            .collect()
    }
}

/// For each error, the index into [`Plan::workflows`] of the root workflow
/// whose text contains it; `None` for an error outside every root workflow
/// (or for every error, when two root workflows share an id).
fn owners(plan: &Plan, errors: &[&Diagnostic]) -> Vec<Option<WorkflowIndex>> {
    let none = || vec![None; errors.len()];
    let Some(root) = plan.sources.arazzo.first() else {
        return none();
    };
    let mut ids = HashSet::new();
    if !plan
        .root_workflows()
        .all(|(_, w)| ids.insert(w.id.as_str()))
    {
        return none();
    }
    let spans: Vec<(WorkflowIndex, arazzo_model::Location)> = plan
        .root_workflows()
        .map(|(i, w)| (i, root.doc.locate(&w.path, Part::Value)))
        .collect();
    errors
        .iter()
        .map(|d| {
            let loc = d.location.as_ref()?;
            spans
                .iter()
                .find(|(_, w)| {
                    Arc::ptr_eq(&w.file, &loc.file)
                        && w.span.start <= loc.span.start
                        && loc.span.end <= w.span.end
                        && w.span.start < w.span.end
                })
                .map(|(i, _)| *i)
        })
        .collect()
}

/// Every workflow `start` can reach, itself included.
fn reachable(plan: &Plan, start: WorkflowIndex) -> HashSet<WorkflowIndex> {
    let mut seen = HashSet::from([start]);
    let mut todo = vec![start];
    while let Some(i) = todo.pop() {
        let Some(w) = plan.workflow(i) else {
            continue;
        };
        let mut next: Vec<WorkflowIndex> = w.depends_on.clone();
        for s in &w.steps {
            if let Target::Workflow(t) = s.target {
                next.push(t);
            }
            for d in &s.depends_on {
                if let StepDep::Other { workflow, .. } = d {
                    next.push(*workflow);
                }
            }
            for a in s.on_success.iter().chain(&s.on_failure) {
                match &a.kind {
                    ActionKind::GotoWorkflow { workflow, .. }
                    | ActionKind::Retry {
                        via: Some(Via::Workflow { workflow, .. }),
                        ..
                    } => next.push(*workflow),
                    _ => {}
                }
            }
        }
        for n in next {
            if seen.insert(n) {
                todo.push(n);
            }
        }
    }
    seen
}
