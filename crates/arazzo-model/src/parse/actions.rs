//! Success and failure actions, inline or as Reusable Objects.

use serde_json::{Map, Value};

use super::fields::*;
use super::{Parser, join};
use crate::diag::Code;
use crate::load::Part;
use crate::model::*;

/// Which list an action is written in. Success actions are `end` or `goto`;
/// failure actions may also `retry`, with `retryAfter` and `retryLimit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Role {
    /// `onSuccess` or `successActions`.
    Success,
    /// `onFailure` or `failureActions`.
    Failure,
}

impl Role {
    /// How messages name one action of this list.
    fn what(self) -> &'static str {
        match self {
            Role::Success => "a success action",
            Role::Failure => "a failure action",
        }
    }

    /// The fields an action of this list may have.
    fn fields(self) -> &'static [Field] {
        match self {
            Role::Success => SUCCESS_FIELDS,
            Role::Failure => FAILURE_FIELDS,
        }
    }
}

impl Parser<'_> {
    pub(super) fn action_list(
        &mut self,
        m: &Map<String, Value>,
        path: &str,
        field: &str,
        role: Role,
    ) -> Vec<ActionRef> {
        self.list(m, path, field)
            .into_iter()
            .filter_map(|(p, v)| {
                let obj = self.object(v, &p, "an action")?;
                Some(if obj.contains_key("reference") {
                    ActionRef::Reusable(self.reusable(obj, p))
                } else {
                    ActionRef::Inline(self.action(obj, p, role))
                })
            })
            .collect()
    }

    /// An inline action of a success or failure list.
    pub(super) fn action(&mut self, m: &Map<String, Value>, path: String, role: Role) -> Action {
        let what = role.what();
        self.check_fields(m, &path, what, role.fields());
        let name = self.req_string(m, &path, "name", what);
        let kind = self.action_kind(m, &path, role);
        let step_id = self.opt_string(m, &path, "stepId");
        let workflow_id = self.opt_string(m, &path, "workflowId");
        self.action_target(&path, &name, role, kind, &step_id, &workflow_id);
        let (retry_after, retry_limit) = match role {
            Role::Success => {
                if m.get("criteria")
                    .is_some_and(|c| c.as_array().is_some_and(Vec::is_empty))
                {
                    self.non_empty(m, &path, "criteria", what);
                }
                (None, None)
            }
            Role::Failure => self.retry_fields(m, &path, kind),
        };
        let criteria = self.criteria(m, &path, "criteria");
        let parameters = self.action_parameters(m, &path, &workflow_id);
        Action {
            name,
            kind,
            step_id,
            workflow_id,
            retry_after,
            retry_limit,
            criteria,
            parameters,
            extensions: Self::extensions(m),
            path,
        }
    }

    /// `type`; an unknown type (`retry` among success actions too) is
    /// reported and read as `end`.
    fn action_kind(&mut self, m: &Map<String, Value>, path: &str, role: Role) -> ActionKind {
        match (self.req_string(m, path, "type", role.what()).as_str(), role) {
            ("end" | "", _) => ActionKind::End,
            ("goto", _) => ActionKind::Goto,
            ("retry", Role::Failure) => ActionKind::Retry,
            (other, _) => {
                let (list, hint) = match role {
                    Role::Success if other == "retry" => (
                        "success",
                        "`retry` is a failure action; success actions are `end` or `goto`",
                    ),
                    Role::Success => ("success", "success actions are `end` or `goto`"),
                    Role::Failure => ("failure", "failure actions are `end`, `goto` or `retry`"),
                };
                let d = self
                    .diag(
                        Code::InvalidValue,
                        &join(path, "type"),
                        Part::Value,
                        format!("unknown {list} action type `{other}`"),
                    )
                    .hint(hint);
                self.push(d);
                ActionKind::End
            }
        }
    }

    /// `stepId` and `workflowId` against the action's type.
    fn action_target(
        &mut self,
        path: &str,
        name: &str,
        role: Role,
        kind: ActionKind,
        step_id: &Option<String>,
        workflow_id: &Option<String>,
    ) {
        match (kind, role) {
            (ActionKind::Goto, _) => {
                self.check_action_target(path, name, true, step_id, workflow_id, "goto")
            }
            (ActionKind::Retry, _) => {
                if step_id.is_some() && workflow_id.is_some() {
                    let d = self.diag(
                        Code::ActionTarget,
                        &join(path, "workflowId"),
                        Part::Key,
                        format!("retry action `{name}` names both a `stepId` and a `workflowId`"),
                    );
                    self.push(d);
                }
            }
            // The message for a success `end` action has always named it
            // `goto`; it stays so that diagnostics do not change.
            (ActionKind::End, Role::Success) => {
                self.check_action_target(path, name, false, step_id, workflow_id, "goto")
            }
            (ActionKind::End, Role::Failure) => {
                self.check_action_target(path, name, false, step_id, workflow_id, "end")
            }
        }
    }

    /// `retryAfter` and `retryLimit` of a failure action, which only a
    /// `retry` uses.
    fn retry_fields(
        &mut self,
        m: &Map<String, Value>,
        path: &str,
        kind: ActionKind,
    ) -> (Option<f64>, Option<u64>) {
        let retry_after = match m.get("retryAfter") {
            Some(Value::Number(n)) => match n.as_f64() {
                Some(f) if f >= 0.0 => Some(f),
                _ => {
                    let d = self.diag(
                        Code::InvalidValue,
                        &join(path, "retryAfter"),
                        Part::Value,
                        "`retryAfter` must be a non-negative number of seconds",
                    );
                    self.push(d);
                    None
                }
            },
            Some(other) => {
                self.wrong_type(path, "retryAfter", "a number of seconds", other);
                None
            }
            None => None,
        };
        let retry_limit = match m.get("retryLimit") {
            Some(Value::Number(n)) if n.as_u64().is_some() => n.as_u64(),
            Some(other) => {
                self.wrong_type(path, "retryLimit", "a non-negative integer", other);
                None
            }
            None => None,
        };
        if kind != ActionKind::Retry {
            for field in ["retryAfter", "retryLimit"] {
                if m.contains_key(field) {
                    let d = self.warn(
                        Code::IneffectiveField,
                        &join(path, field),
                        Part::Key,
                        format!(
                            "`{field}` has no effect on a `{}` action",
                            match kind {
                                ActionKind::End => "end",
                                _ => "goto",
                            }
                        ),
                    );
                    self.push(d);
                }
            }
        }
        (retry_after, retry_limit)
    }

    fn action_parameters(
        &mut self,
        m: &Map<String, Value>,
        path: &str,
        workflow_id: &Option<String>,
    ) -> Vec<ParameterRef> {
        if m.contains_key("parameters") && workflow_id.is_none() {
            let d = self.warn(
                Code::IneffectiveField,
                &join(path, "parameters"),
                Part::Key,
                "action `parameters` only apply when the action targets a `workflowId`",
            );
            self.push(d);
        }
        self.parameter_list(m, path, "parameters")
    }

    fn check_action_target(
        &mut self,
        path: &str,
        name: &str,
        needs_target: bool,
        step_id: &Option<String>,
        workflow_id: &Option<String>,
        kind: &str,
    ) {
        match (needs_target, step_id.is_some(), workflow_id.is_some()) {
            (true, false, false) => {
                let d = self
                    .diag(
                        Code::ActionTarget,
                        path,
                        Part::Value,
                        format!("{kind} action `{name}` names no `stepId` or `workflowId`"),
                    )
                    .hint("a goto needs exactly one of `stepId` or `workflowId`");
                self.push(d);
            }
            (true, true, true) => {
                let d = self.diag(
                    Code::ActionTarget,
                    &join(path, "workflowId"),
                    Part::Key,
                    format!("{kind} action `{name}` names both a `stepId` and a `workflowId`"),
                );
                self.push(d);
            }
            (false, s, w) if s || w => {
                let field = if s { "stepId" } else { "workflowId" };
                let d = self.warn(
                    Code::IneffectiveField,
                    &join(path, field),
                    Part::Key,
                    format!("`{field}` has no effect on an `{kind}` action"),
                );
                self.push(d);
            }
            _ => {}
        }
    }
}
