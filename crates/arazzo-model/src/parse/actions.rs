//! Success and failure actions, inline or as Reusable Objects.

use serde_json::{Map, Value};

use super::fields::*;
use super::{Parser, join};
use crate::diag::Code;
use crate::load::Part;
use crate::model::*;

impl Parser<'_> {
    pub(super) fn action_list<T>(
        &mut self,
        m: &Map<String, Value>,
        path: &str,
        field: &str,
        inline: fn(&mut Self, &Map<String, Value>, String) -> T,
    ) -> Vec<ActionRef<T>> {
        self.list(m, path, field)
            .into_iter()
            .filter_map(|(p, v)| {
                let obj = self.object(v, &p, "an action")?;
                Some(if obj.contains_key("reference") {
                    ActionRef::Reusable(self.reusable(obj, p))
                } else {
                    ActionRef::Inline(inline(self, obj, p))
                })
            })
            .collect()
    }

    pub(super) fn success_action(&mut self, m: &Map<String, Value>, path: String) -> SuccessAction {
        let what = "a success action";
        self.check_fields(m, &path, what, SUCCESS_FIELDS);
        let name = self.req_string(m, &path, "name", what);
        let kind = match self.req_string(m, &path, "type", what).as_str() {
            "end" => SuccessKind::End,
            "goto" => SuccessKind::Goto,
            "" => SuccessKind::End,
            other => {
                let d = self
                    .diag(
                        Code::InvalidValue,
                        &join(&path, "type"),
                        Part::Value,
                        format!("unknown success action type `{other}`"),
                    )
                    .hint(if other == "retry" {
                        "`retry` is a failure action; success actions are `end` or `goto`"
                    } else {
                        "success actions are `end` or `goto`"
                    });
                self.push(d);
                SuccessKind::End
            }
        };
        let step_id = self.opt_string(m, &path, "stepId");
        let workflow_id = self.opt_string(m, &path, "workflowId");
        self.check_action_target(
            &path,
            &name,
            kind == SuccessKind::Goto,
            &step_id,
            &workflow_id,
            "goto",
        );
        if m.get("criteria")
            .is_some_and(|c| c.as_array().is_some_and(Vec::is_empty))
        {
            self.non_empty(m, &path, "criteria", what);
        }
        let criteria = self.criteria(m, &path, "criteria");
        let parameters = self.action_parameters(m, &path, &workflow_id);
        SuccessAction {
            name,
            kind,
            step_id,
            workflow_id,
            criteria,
            parameters,
            extensions: Self::extensions(m),
            path,
        }
    }

    pub(super) fn failure_action(&mut self, m: &Map<String, Value>, path: String) -> FailureAction {
        let what = "a failure action";
        self.check_fields(m, &path, what, FAILURE_FIELDS);
        let name = self.req_string(m, &path, "name", what);
        let kind = match self.req_string(m, &path, "type", what).as_str() {
            "end" => FailureKind::End,
            "goto" => FailureKind::Goto,
            "retry" => FailureKind::Retry,
            "" => FailureKind::End,
            other => {
                let d = self
                    .diag(
                        Code::InvalidValue,
                        &join(&path, "type"),
                        Part::Value,
                        format!("unknown failure action type `{other}`"),
                    )
                    .hint("failure actions are `end`, `goto` or `retry`");
                self.push(d);
                FailureKind::End
            }
        };
        let step_id = self.opt_string(m, &path, "stepId");
        let workflow_id = self.opt_string(m, &path, "workflowId");
        match kind {
            FailureKind::Goto => {
                self.check_action_target(&path, &name, true, &step_id, &workflow_id, "goto")
            }
            FailureKind::Retry => {
                if step_id.is_some() && workflow_id.is_some() {
                    let d = self.diag(
                        Code::ActionTarget,
                        &join(&path, "workflowId"),
                        Part::Key,
                        format!("retry action `{name}` names both a `stepId` and a `workflowId`"),
                    );
                    self.push(d);
                }
            }
            FailureKind::End => {
                self.check_action_target(&path, &name, false, &step_id, &workflow_id, "end")
            }
        }
        let retry_after = match m.get("retryAfter") {
            Some(Value::Number(n)) => match n.as_f64() {
                Some(f) if f >= 0.0 => Some(f),
                _ => {
                    let d = self.diag(
                        Code::InvalidValue,
                        &join(&path, "retryAfter"),
                        Part::Value,
                        "`retryAfter` must be a non-negative number of seconds",
                    );
                    self.push(d);
                    None
                }
            },
            Some(other) => {
                self.wrong_type(&path, "retryAfter", "a number of seconds", other);
                None
            }
            None => None,
        };
        let retry_limit = match m.get("retryLimit") {
            Some(Value::Number(n)) if n.as_u64().is_some() => n.as_u64(),
            Some(other) => {
                self.wrong_type(&path, "retryLimit", "a non-negative integer", other);
                None
            }
            None => None,
        };
        if kind != FailureKind::Retry {
            for field in ["retryAfter", "retryLimit"] {
                if m.contains_key(field) {
                    let d = self.warn(
                        Code::IneffectiveField,
                        &join(&path, field),
                        Part::Key,
                        format!(
                            "`{field}` has no effect on a `{}` action",
                            match kind {
                                FailureKind::End => "end",
                                _ => "goto",
                            }
                        ),
                    );
                    self.push(d);
                }
            }
        }
        let criteria = self.criteria(m, &path, "criteria");
        let parameters = self.action_parameters(m, &path, &workflow_id);
        FailureAction {
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

    pub(super) fn action_parameters(
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

    pub(super) fn check_action_target(
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
