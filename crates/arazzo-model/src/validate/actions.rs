//! Action lists: duplicates, targets, and control flow that cannot do what it seems to.

use std::collections::HashMap;

use super::{ComponentKind, Owner, Validator, parse_component_reference};
use crate::diag::Code;
use crate::load::Part;
use crate::model::*;

impl<'a> Validator<'a> {
    pub(super) fn check_actions(
        &mut self,
        wf: &Workflow,
        success: &[ActionRef],
        failure: &[ActionRef],
    ) {
        self.check_actions_list(wf, success, "successActions", ComponentKind::SuccessActions);
        self.check_actions_list(wf, failure, "failureActions", ComponentKind::FailureActions);
    }

    /// The action component `name` of `kind` (success or failure actions).
    fn action_component(&self, kind: ComponentKind, name: &str) -> Option<&'a Action> {
        let c = &self.doc.components;
        match kind {
            ComponentKind::SuccessActions => c.success_actions.get(name),
            ComponentKind::FailureActions => c.failure_actions.get(name),
            ComponentKind::Parameters | ComponentKind::Inputs => None,
        }
    }

    /// Checks an action list (`what` is its field name) whose Reusable
    /// Objects must refer to components of `kind`.
    pub(super) fn check_actions_list(
        &mut self,
        wf: &Workflow,
        list: &[ActionRef],
        what: &str,
        kind: ComponentKind,
    ) {
        let mut seen: HashMap<String, String> = HashMap::new();
        for a in list {
            let (action, at): (Option<&Action>, String) = match a {
                ActionRef::Inline(a) => (Some(a), a.path.clone()),
                ActionRef::Reusable(r) => {
                    let ok = self.check_reference(r, kind);
                    let resolved = if ok {
                        parse_component_reference(&r.reference)
                            .and_then(|(_, n)| self.action_component(kind, n))
                    } else {
                        None
                    };
                    (resolved, r.path.clone())
                }
            };
            let Some(action) = action else { continue };
            if let Some(first) = seen.get(&action.name) {
                let d = self
                    .error(
                        Code::DuplicateAction,
                        &at,
                        Part::Value,
                        format!("`{what}` lists two actions named `{}`", action.name),
                    )
                    .note("first listed here", self.doc.locate(first, Part::Value));
                self.diags.push(d);
            } else if !action.name.is_empty() {
                seen.insert(action.name.clone(), at.clone());
            }
            if let Some(step) = action.step_id.as_deref()
                && wf.step(step).is_none()
            {
                let mut d = self.error(
                    Code::UnknownStep,
                    &format!("{}/stepId", action.path),
                    Part::Value,
                    format!("workflow `{}` has no step `{step}`", wf.workflow_id),
                );
                if action.path != at {
                    d = d.note("used by this step", self.doc.locate(&at, Part::Value));
                }
                if let Some(close) =
                    crate::parse::closest(step, wf.steps.iter().map(|s| s.step_id.as_str()))
                {
                    d = d.hint(format!("did you mean `{close}`?"));
                }
                self.diags.push(d);
            }
            if let Some(w) = action.workflow_id.as_deref()
                && action.path == at
            {
                self.workflow_ref(w, &format!("{}/workflowId", action.path));
            }
            if action.path == at {
                self.check_params(&action.parameters, Owner::Action);
            }
        }
    }

    /// Control flow that cannot do what it seems to: a conditional `goto` to
    /// the step that runs next anyway, which leaves the other case falling
    /// through into that same step.
    pub(super) fn control_flow(&mut self, wf: &Workflow, idx: usize, list: &[ActionRef]) {
        let Some(next) = wf.steps.get(idx + 1) else {
            return;
        };
        let step = &wf.steps[idx];
        let inline: Vec<&Action> = list
            .iter()
            .filter_map(|a| match a {
                ActionRef::Inline(a) => Some(a),
                ActionRef::Reusable(r) => parse_component_reference(&r.reference)
                    .and_then(|(_, n)| self.doc.components.success_actions.get(n)),
            })
            .collect();
        let to_next = |a: &&Action| {
            a.kind == ActionKind::Goto && a.step_id.as_deref() == Some(next.step_id.as_str())
        };
        for a in inline
            .iter()
            .filter(|a| to_next(a) && a.criteria.is_empty())
        {
            let d = self.warning(
                Code::RedundantGoto,
                &format!("{}/stepId", a.path),
                Part::Value,
                format!(
                    "`{}` goes to `{}`, which runs next anyway",
                    a.name, next.step_id
                ),
            );
            self.diags.push(d);
        }
        // Every action leads to the next step, and some only when criteria
        // pass: the criteria change nothing, because the default when no
        // action matches is that same next step.
        if !inline.is_empty()
            && inline.iter().all(to_next)
            && let Some(guard) = inline.iter().find(|a| !a.criteria.is_empty())
        {
            let d = self
                .warning(
                    Code::UnguardedFallthrough,
                    &format!("{}/stepId", guard.path),
                    Part::Value,
                    format!(
                        "the guard `{}` is ineffective: when its criteria fail, no action of step `{}` matches and execution falls through to `{}` anyway",
                        guard.name, step.step_id, next.step_id
                    ),
                )
                .label(format!("`{}` runs whether or not these criteria pass", next.step_id))
                .hint("add an `end` action (or a goto elsewhere) to handle the case where the criteria fail");
            self.diags.push(d);
        }
    }
}
