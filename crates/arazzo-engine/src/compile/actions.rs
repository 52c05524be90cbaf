//! Success and failure actions: merging a step's with its workflow's, and compiling them.

use arazzo_model::model::{self, Action, ActionRef, Workflow};
use arazzo_model::validate::{ComponentKind, parse_component_reference};
use indexmap::IndexMap;

use super::Compiler;
use crate::plan::*;

impl<'a> Compiler<'a> {
    /// A step's own actions of one list (`kind`: success or failure
    /// actions) merged with its workflow's, compiled.
    pub(super) fn actions(
        &mut self,
        d: usize,
        wf: &'a Workflow,
        own: Option<&'a [ActionRef]>,
        workflow: &'a [ActionRef],
        kind: ComponentKind,
    ) -> Vec<ActionPlan> {
        let components = &self.doc(d).components;
        let components = if kind == ComponentKind::SuccessActions {
            &components.success_actions
        } else {
            &components.failure_actions
        };
        let list = merged_actions(own.unwrap_or_default(), workflow, kind, components);
        list.into_iter()
            .filter_map(|a| self.action(d, wf, a))
            .collect()
    }

    /// Compiles one action; `None` when its target does not exist.
    pub(super) fn action(
        &mut self,
        d: usize,
        wf: &'a Workflow,
        a: &'a Action,
    ) -> Option<ActionPlan> {
        let criteria = a
            .criteria
            .iter()
            .filter_map(|c| self.criterion(d, c))
            .collect();
        let kind = match a.kind {
            model::ActionKind::End => ActionKind::End,
            model::ActionKind::Goto => self.goto(d, wf, a)?,
            model::ActionKind::Retry => self.retry(d, wf, a)?,
        };
        Some(ActionPlan {
            name: a.name.clone(),
            criteria,
            kind,
        })
    }

    /// A goto to a step or a workflow; `None` when the target does not
    /// exist (reported by the validator or by `workflow_ref`).
    fn goto(&mut self, d: usize, wf: &'a Workflow, a: &'a Action) -> Option<ActionKind> {
        if let Some(s) = &a.step_id {
            return wf.step_index(s).map(ActionKind::GotoStep);
        }
        let w = a.workflow_id.as_deref()?;
        let workflow = self.workflow_ref(d, w, &format!("{}/workflowId", a.path))?;
        Some(ActionKind::GotoWorkflow {
            workflow,
            params: self.action_params(d, &a.parameters),
        })
    }

    /// A retry, optionally through a step or workflow first; `None` when
    /// that target does not exist.
    fn retry(&mut self, d: usize, wf: &'a Workflow, a: &'a Action) -> Option<ActionKind> {
        let via = if let Some(s) = &a.step_id {
            Some(Via::Step(wf.step_index(s)?))
        } else if let Some(w) = &a.workflow_id {
            Some(Via::Workflow {
                workflow: self.workflow_ref(d, w, &format!("{}/workflowId", a.path))?,
                params: self.action_params(d, &a.parameters),
            })
        } else {
            None
        };
        Some(ActionKind::Retry {
            after: a.retry_after,
            limit: a.retry_limit.unwrap_or(1),
            via,
        })
    }
}

/// A step's own actions, then its workflow's that it does not override by
/// name, with Reusable Objects of `kind` resolved in `components` (a reference
/// that does not resolve is reported by the validator and left out here).
fn merged_actions<'x>(
    own: &'x [ActionRef],
    workflow: &'x [ActionRef],
    kind: ComponentKind,
    components: &'x IndexMap<String, Action>,
) -> Vec<&'x Action> {
    let mut list: Vec<&'x Action> = Vec::new();
    for a in own.iter().chain(workflow) {
        let action = match a {
            ActionRef::Inline(x) => Some(x),
            ActionRef::Reusable(r) => parse_component_reference(&r.reference)
                .filter(|(k, _)| *k == kind)
                .and_then(|(_, n)| components.get(n)),
        };
        if let Some(x) = action
            && !list.iter().any(|e| e.name == x.name)
        {
            list.push(x);
        }
    }
    list
}
