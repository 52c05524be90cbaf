//! A workflow and its steps: ids, `dependsOn`, workflow references and input `$ref`s.

use std::collections::HashMap;

use serde_json::Value;

use super::{ComponentKind, Owner, Validator, WorkflowRef, parse_workflow_ref};
use crate::diag::Code;
use crate::load::Part;
use crate::model::*;

impl<'a> Validator<'a> {
    pub(super) fn workflow(&mut self, wf: &'a Workflow) {
        // Unique step ids.
        let mut seen: HashMap<&str, &str> = HashMap::new();
        for s in &wf.steps {
            if s.step_id.is_empty() {
                continue;
            }
            if let Some(first) = seen.insert(&s.step_id, &s.path) {
                let d = self
                    .error(
                        Code::DuplicateStepId,
                        &format!("{}/stepId", s.path),
                        Part::Value,
                        format!(
                            "workflow `{}` has two steps with the stepId `{}`",
                            wf.workflow_id, s.step_id
                        ),
                    )
                    .note("first defined here", self.doc.field(first, "stepId"));
                self.diags.push(d);
            }
        }
        self.check_params(&wf.parameters, Owner::Workflow);
        self.check_actions(wf, &wf.success_actions, &wf.failure_actions);
        if let Some(schema) = &wf.inputs {
            self.input_refs(schema, &format!("{}/inputs", wf.path));
        }
        for (i, dep) in wf.depends_on.iter().enumerate() {
            let p = format!("{}/dependsOn/{i}", wf.path);
            if dep == &wf.workflow_id {
                let d = self.error(
                    Code::DependencyCycle,
                    &p,
                    Part::Value,
                    format!("workflow `{dep}` depends on itself"),
                );
                self.diags.push(d);
            } else {
                self.workflow_ref(dep, &p);
            }
        }
        // Workflow-level parameters without `in` reach every operation step.
        let op_steps: Vec<&Step> = wf
            .steps
            .iter()
            .filter(|s| s.target.is_operation())
            .collect();
        if let Some(first_op) = op_steps.first() {
            for p in &wf.parameters {
                let (param, at) = match p {
                    ParameterRef::Inline(param) => (Some(param), param.path.as_str()),
                    ParameterRef::Reusable(r) => (self.component_parameter(r), r.path.as_str()),
                };
                if let Some(param) = param
                    && param.location.is_none()
                {
                    let d = self
                        .error(
                            Code::ParameterIn,
                            at,
                            Part::Value,
                            format!(
                                "workflow parameter `{}` has no `in`, but applies to operation step `{}`",
                                param.name, first_op.step_id
                            ),
                        )
                        .hint("parameters passed to an operation must say where they go: `in: path|query|header|cookie`");
                    self.diags.push(d);
                }
            }
        }
        for (idx, step) in wf.steps.iter().enumerate() {
            let owner = match &step.target {
                StepTarget::OperationId(_) | StepTarget::OperationPath(_) => Owner::OperationStep,
                StepTarget::WorkflowId(_) => Owner::WorkflowStep,
                _ => Owner::OtherStep,
            };
            self.check_params(&step.parameters, owner);
            if let StepTarget::WorkflowId(w) = &step.target {
                self.workflow_ref(w, &format!("{}/workflowId", step.path));
            }
            if let Some(list) = &step.on_success {
                self.check_actions_list(wf, list, "onSuccess", ComponentKind::SuccessActions);
                self.control_flow(wf, idx, list);
            }
            if let Some(list) = &step.on_failure {
                self.check_actions_list(wf, list, "onFailure", ComponentKind::FailureActions);
            }
            for (i, dep) in step.depends_on.iter().enumerate() {
                self.step_dependency(wf, dep, &format!("{}/dependsOn/{i}", step.path));
            }
        }
    }

    /// Checks a `workflowId` reference (of a step, an action, or `dependsOn`).
    pub(super) fn workflow_ref(&mut self, w: &str, at: &str) {
        match parse_workflow_ref(w) {
            WorkflowRef::Local(id) => {
                if self.doc.workflow(id).is_none() {
                    let mut d = self.error(
                        Code::UnknownWorkflow,
                        at,
                        Part::Value,
                        format!("there is no workflow `{id}` in this document"),
                    );
                    if let Some(close) = crate::parse::closest(
                        id,
                        self.doc.workflows.iter().map(|w| w.workflow_id.as_str()),
                    ) {
                        d = d.hint(format!("did you mean `{close}`?"));
                    } else if id.starts_with('$') {
                        d = d.hint("workflows of other documents are written `$sourceDescriptions.<name>.<workflowId>`");
                    }
                    self.diags.push(d);
                }
            }
            WorkflowRef::External { source, .. } => match self.doc.source_description(source) {
                None => {
                    let d = self
                        .error(
                            Code::UnknownSource,
                            at,
                            Part::Value,
                            format!("there is no source description `{source}`"),
                        )
                        .hint("list the other Arazzo document under `sourceDescriptions` with `type: arazzo`");
                    self.diags.push(d);
                }
                Some(s) if matches!(s.kind, Some(SourceKind::OpenApi | SourceKind::AsyncApi)) => {
                    let d = self.error(
                        Code::SourceType,
                        at,
                        Part::Value,
                        format!(
                            "`{source}` is an {} source; workflows live in `arazzo` sources",
                            s.kind.map(SourceKind::as_str).unwrap_or("openapi")
                        ),
                    );
                    self.diags.push(d);
                }
                Some(_) => {}
            },
        }
    }

    /// A step-level `dependsOn` entry (1.1).
    fn step_dependency(&mut self, wf: &Workflow, dep: &str, at: &str) {
        if let Some(rest) = dep.strip_prefix("$workflows.") {
            let Some((w, s)) = rest.split_once(".steps.") else {
                let d = self
                    .error(
                        Code::InvalidValue,
                        at,
                        Part::Value,
                        format!("`{dep}` is not a step reference"),
                    )
                    .hint("write a stepId, or `$workflows.<workflowId>.steps.<stepId>`");
                self.diags.push(d);
                return;
            };
            match self.doc.workflow(w) {
                None => {
                    let d = self.error(
                        Code::UnknownWorkflow,
                        at,
                        Part::Value,
                        format!("there is no workflow `{w}` in this document"),
                    );
                    self.diags.push(d);
                }
                Some(other) if other.step(s).is_none() => {
                    let d = self.error(
                        Code::UnknownStep,
                        at,
                        Part::Value,
                        format!("workflow `{w}` has no step `{s}`"),
                    );
                    self.diags.push(d);
                }
                _ => {}
            }
        } else if let Some(rest) = dep.strip_prefix("$sourceDescriptions.") {
            let source = rest.split('.').next().unwrap_or_default();
            if self.doc.source_description(source).is_none() {
                let d = self.error(
                    Code::UnknownSource,
                    at,
                    Part::Value,
                    format!("there is no source description `{source}`"),
                );
                self.diags.push(d);
            }
        } else if wf.step(dep).is_none() {
            let d = self.error(
                Code::UnknownStep,
                at,
                Part::Value,
                format!("workflow `{}` has no step `{dep}`", wf.workflow_id),
            );
            self.diags.push(d);
        }
    }

    /// Every local `$ref` in an input schema must resolve inside the document.
    fn input_refs(&mut self, schema: &Value, path: &str) {
        let mut stack = vec![(schema, path.to_string())];
        while let Some((v, p)) = stack.pop() {
            match v {
                Value::Object(m) => {
                    if let Some(Value::String(r)) = m.get("$ref")
                        && let Some(ptr) = r.strip_prefix('#')
                        && ptr.starts_with('/')
                        && self.doc.source.value.pointer(ptr).is_none()
                    {
                        let mut d = self.error(
                            Code::UnknownComponent,
                            &format!("{p}/$ref"),
                            Part::Value,
                            format!("`{r}` does not resolve in this document"),
                        );
                        if let Some(name) = ptr.strip_prefix("/components/inputs/")
                            && let Some(close) = crate::parse::closest(
                                name,
                                self.doc.components.inputs.keys().map(String::as_str),
                            )
                        {
                            d = d.hint(format!("did you mean `#/components/inputs/{close}`?"));
                        }
                        self.diags.push(d);
                    }
                    for (k, child) in m {
                        stack.push((child, format!("{p}/{}", crate::load::escape_token(k))));
                    }
                }
                Value::Array(items) => {
                    for (i, child) in items.iter().enumerate() {
                        stack.push((child, format!("{p}/{i}")));
                    }
                }
                _ => {}
            }
        }
    }
}
