//! Workflows and steps, with their outputs and Selector Objects.

use indexmap::IndexMap;
use serde_json::{Map, Value};

use super::actions::Role;
use super::fields::*;
use super::{Parser, describe, is_identifier, is_selector_object, join};
use crate::diag::Code;
use crate::load::Part;
use crate::model::*;

impl Parser<'_> {
    pub(super) fn workflow(&mut self, v: &Value, path: String) -> Option<Workflow> {
        let what = "a workflow";
        let m = self.object(v, &path, what)?;
        self.check_fields(m, &path, what, WORKFLOW_FIELDS);
        let workflow_id = self.req_string(m, &path, "workflowId", what);
        self.name_should_match(&path, "workflowId", &workflow_id, "the workflowId");
        let inputs = match m.get("inputs") {
            Some(v @ Value::Object(_)) => Some(v.clone()),
            Some(Value::Bool(b)) => Some(Value::Bool(*b)),
            Some(other) => {
                self.wrong_type(&path, "inputs", "a JSON Schema object", other);
                None
            }
            None => None,
        };
        if !m.contains_key("steps") {
            self.missing(&path, "steps", what);
        }
        self.non_empty(m, &path, "steps", what);
        let steps = self
            .list(m, &path, "steps")
            .into_iter()
            .filter_map(|(p, v)| self.step(v, p))
            .collect();
        let depends_on = self.string_list(m, &path, "dependsOn");
        let success_actions = self.action_list(m, &path, "successActions", Role::Success);
        let failure_actions = self.action_list(m, &path, "failureActions", Role::Failure);
        let outputs = self.outputs(m, &path);
        let parameters = self.parameter_list(m, &path, "parameters");
        Some(Workflow {
            workflow_id,
            summary: self.opt_string(m, &path, "summary"),
            description: self.opt_string(m, &path, "description"),
            inputs,
            depends_on,
            steps,
            success_actions,
            failure_actions,
            outputs,
            parameters,
            extensions: Self::extensions(m),
            path,
        })
    }

    pub(super) fn step(&mut self, v: &Value, path: String) -> Option<Step> {
        let what = "a step";
        let m = self.object(v, &path, what)?;
        self.check_fields(m, &path, what, STEP_FIELDS);
        let step_id = self.req_string(m, &path, "stepId", what);
        self.name_should_match(&path, "stepId", &step_id, "the stepId");
        let mut targets = Vec::new();
        for field in ["operationId", "operationPath", "workflowId", "channelPath"] {
            if let Some(s) = self.opt_string(m, &path, field) {
                targets.push(match field {
                    "operationId" => StepTarget::OperationId(s),
                    "operationPath" => StepTarget::OperationPath(s),
                    "workflowId" => StepTarget::WorkflowId(s),
                    _ => StepTarget::ChannelPath(s),
                });
            }
        }
        let target = match targets.len() {
            0 => {
                let d = self
                    .diag(
                        Code::StepTarget,
                        &path,
                        Part::Value,
                        format!("step `{step_id}` names no operation or workflow"),
                    )
                    .hint(if m.contains_key("x-operation") {
                        "`x-operation` is a Redocly Respect extension, not Arazzo; name the operation with `operationId` or `operationPath`"
                    } else {
                        "add exactly one of `operationId`, `operationPath` or `workflowId`"
                    });
                self.push(d);
                StepTarget::Missing
            }
            1 => targets.remove(0),
            _ => {
                let second = targets[1].field();
                let d = self
                    .diag(
                        Code::StepTarget,
                        &join(&path, second),
                        Part::Key,
                        format!(
                            "step `{step_id}` names more than one target: {}",
                            targets
                                .iter()
                                .map(|t| format!("`{}`", t.field()))
                                .collect::<Vec<_>>()
                                .join(" and ")
                        ),
                    )
                    .hint("`operationId`, `operationPath` and `workflowId` are mutually exclusive");
                self.push(d);
                targets.remove(0)
            }
        };
        let parameters = self.parameter_list(m, &path, "parameters");
        let request_body = m
            .get("requestBody")
            .and_then(|v| self.request_body(v, join(&path, "requestBody")));
        if request_body.is_some() && matches!(target, StepTarget::WorkflowId(_)) {
            let d = self
                .warn(
                    Code::IneffectiveField,
                    &join(&path, "requestBody"),
                    Part::Key,
                    "a `requestBody` has no effect on a step that calls a workflow",
                )
                .hint("pass data to the workflow with `parameters` (they become its inputs)");
            self.push(d);
        }
        self.non_empty(m, &path, "successCriteria", what);
        let success_criteria = self.criteria(m, &path, "successCriteria");
        let on_success = m
            .contains_key("onSuccess")
            .then(|| self.action_list(m, &path, "onSuccess", Role::Success));
        let on_failure = m
            .contains_key("onFailure")
            .then(|| self.action_list(m, &path, "onFailure", Role::Failure));
        let outputs = self.outputs(m, &path);
        let timeout = match m.get("timeout") {
            Some(Value::Number(n)) if n.as_u64().is_some() => n.as_u64(),
            Some(other) => {
                self.wrong_type(
                    &path,
                    "timeout",
                    "a non-negative integer (milliseconds)",
                    other,
                );
                None
            }
            None => None,
        };
        let action = match self.opt_string(m, &path, "action").as_deref() {
            None => None,
            Some("send") => Some(AsyncAction::Send),
            Some("receive") => Some(AsyncAction::Receive),
            Some(other) => {
                let d = self.diag(
                    Code::InvalidValue,
                    &join(&path, "action"),
                    Part::Value,
                    format!("unknown step action `{other}`; use `send` or `receive`"),
                );
                self.push(d);
                None
            }
        };
        let depends_on = self.string_list(m, &path, "dependsOn");
        Some(Step {
            step_id,
            description: self.opt_string(m, &path, "description"),
            target,
            parameters,
            request_body,
            success_criteria,
            on_success,
            on_failure,
            outputs,
            timeout,
            depends_on,
            action,
            correlation_id: self.opt_string(m, &path, "correlationId"),
            extensions: Self::extensions(m),
            path,
        })
    }

    pub(super) fn outputs(
        &mut self,
        m: &Map<String, Value>,
        path: &str,
    ) -> IndexMap<String, Value> {
        let mut out = IndexMap::new();
        let Some(v) = m.get("outputs") else {
            return out;
        };
        let opath = join(path, "outputs");
        let Some(om) = self.object(v, &opath, "`outputs`") else {
            return out;
        };
        for (name, value) in om {
            let p = join(&opath, name);
            if !is_identifier(name) {
                let d = self
                    .diag(
                        Code::InvalidName,
                        &p,
                        Part::Key,
                        format!("output name `{name}` must match ^[a-zA-Z0-9.\\-_]+$"),
                    )
                    .label("invalid output name");
                self.push(d);
            }
            match value {
                Value::String(_) => {}
                Value::Object(_) if is_selector_object(value) => {
                    self.selector(value, &p);
                }
                other => {
                    let d = self
                        .diag(
                            Code::WrongType,
                            &p,
                            Part::Value,
                            format!(
                                "output `{name}` must be a runtime expression{}, found {}",
                                if self.version >= V1 { " or a Selector Object" } else { "" },
                                describe(other)
                            ),
                        )
                        .hint("outputs are computed from runtime expressions such as `$response.body#/id`");
                    self.push(d);
                }
            }
            out.insert(name.clone(), value.clone());
        }
        out
    }

    /// Checks a Selector Object's fields (1.1).
    pub(super) fn selector(&mut self, v: &Value, path: &str) {
        let Some(m) = v.as_object() else { return };
        if self.version < V1 {
            let d = self.warn(
                Code::VersionMismatch,
                path,
                Part::Value,
                "Selector Objects are an Arazzo 1.1 feature",
            );
            self.push(d);
        }
        self.check_fields(m, path, "a selector", SELECTOR_FIELDS);
        self.req_string(m, path, "context", "a selector");
        self.req_string(m, path, "selector", "a selector");
        match m.get("type") {
            Some(t) => {
                let kind = self.expression_type(
                    t,
                    &join(path, "type"),
                    &["jsonpath", "xpath", "jsonpointer"],
                );
                if kind == Some(ExpressionType::Simple) || kind == Some(ExpressionType::Regex) {
                    let d = self.diag(
                        Code::InvalidValue,
                        &join(path, "type"),
                        Part::Value,
                        "a selector's `type` must be `jsonpath`, `xpath` or `jsonpointer`",
                    );
                    self.push(d);
                }
            }
            None => self.missing(path, "type", "a selector"),
        }
    }
}
