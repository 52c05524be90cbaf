//! What the expressions of a workflow refer to: steps, outputs, inputs, workflows, sources and components.

use std::collections::HashMap;
use std::ops::Range;

use arazzo_expr::{Criterion, Expression, ValueExpr, WorkflowField};
use arazzo_model::load::escape_token;
use arazzo_model::model::{Version, Workflow};
use arazzo_model::{Code, Diagnostic, Span};
use serde_json::Value;

use super::Compiler;
use crate::plan::*;

impl<'a> Compiler<'a> {
    /// Checks what every expression of a workflow refers to.
    pub(super) fn check_references(&mut self, d: usize, wf: &Workflow, plan: &WorkflowPlan) {
        let doc = self.doc(d);
        let declared_inputs: Option<Vec<String>> = plan.inputs.resolved.as_ref().and_then(|s| {
            if s.get("additionalProperties")
                .is_some_and(|a| a != &Value::Bool(false))
            {
                return None;
            }
            s.get("properties")
                .and_then(Value::as_object)
                .map(|m| m.keys().cloned().collect())
        });
        let mut found: Vec<FoundExpression> = Vec::new();
        // (pointer of the string, expression, span in it, index of the step it appears in)
        for (i, step) in plan.steps.iter().enumerate() {
            let collect_value = |v: &ValueExpr, base: String, out: &mut Vec<_>| {
                for (inner, e, span) in v.expressions() {
                    out.push((format!("{base}{inner}"), e.clone(), Some(span), Some(i)));
                }
            };
            for p in &step.params {
                collect_value(&p.value, p.pointer.clone(), &mut found);
            }
            if let Some(b) = &step.body {
                if let Some(p) = &b.payload {
                    collect_value(p, format!("{}/requestBody/payload", step.path), &mut found);
                }
                for (ri, r) in b.replacements.iter().enumerate() {
                    collect_value(
                        &r.value,
                        format!("{}/requestBody/replacements/{ri}/value", step.path),
                        &mut found,
                    );
                }
            }
            for (ci, c) in step.success.iter().enumerate() {
                for e in criterion_expressions(&c.criterion) {
                    found.push((
                        format!("{}/successCriteria/{ci}", step.path),
                        e,
                        None,
                        Some(i),
                    ));
                }
            }
            for a in step.on_success.iter().chain(step.on_failure.iter()) {
                for c in &a.criteria {
                    for e in criterion_expressions(&c.criterion) {
                        found.push((step.path.clone(), e, None, Some(i)));
                    }
                }
            }
            for o in &step.outputs {
                collect_value(
                    &o.value,
                    format!("{}/outputs/{}", step.path, escape_token(&o.name)),
                    &mut found,
                );
            }
        }
        for o in &plan.outputs {
            for (inner, e, span) in o.value.expressions() {
                found.push((
                    format!("{}/outputs/{}{inner}", wf.path, escape_token(&o.name)),
                    e.clone(),
                    Some(span),
                    None,
                ));
            }
        }
        let step_outputs: HashMap<&str, Vec<&str>> = plan
            .steps
            .iter()
            .map(|s| {
                (
                    s.id.as_str(),
                    s.outputs.iter().map(|o| o.name.as_str()).collect(),
                )
            })
            .collect();
        let mut reported: std::collections::HashSet<(String, String)> =
            std::collections::HashSet::new();
        for (pointer, e, span, in_step) in found {
            let loc = match &span {
                Some(sp) => {
                    let text = doc
                        .source
                        .value
                        .pointer(&pointer)
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string();
                    self.inside(d, &pointer, &text, sp)
                }
                None => self.at(d, &pointer),
            };
            let key = (pointer.clone(), e.to_string());
            if !reported.insert(key) {
                continue;
            }
            match &e {
                Expression::Steps {
                    step_id, output, ..
                } => match plan.step_index(step_id) {
                    None => {
                        let mut diag = Diagnostic::error(
                            Code::UnknownStep,
                            format!("`{e}` refers to step `{step_id}`, which workflow `{}` does not have", wf.workflow_id),
                        )
                        .at(loc);
                        if let Some(close) = arazzo_model::suggest::closest(
                            step_id,
                            plan.steps.iter().map(|s| s.id.as_str()),
                        ) {
                            diag = diag.hint(format!("did you mean `{close}`?"));
                        } else {
                            diag = diag.hint("`$steps` only reaches steps of the same workflow; use workflow outputs to pass values between workflows");
                        }
                        self.diags.push(diag);
                    }
                    Some(target) => {
                        let outs = step_outputs
                            .get(step_id.as_str())
                            .cloned()
                            .unwrap_or_default();
                        let known = outs
                            .iter()
                            .any(|o| *o == output || output.starts_with(&format!("{o}.")));
                        if !known {
                            let mut diag = Diagnostic::warning(
                                Code::UnknownOutput,
                                format!("step `{step_id}` declares no output `{output}`, so `{e}` is never set"),
                            )
                            .at(loc.clone());
                            if let Some(close) =
                                arazzo_model::suggest::closest(output, outs.iter().copied())
                            {
                                diag = diag.hint(format!("did you mean `{close}`?"));
                            }
                            self.diags.push(diag);
                        }
                        if let Some(i) = in_step
                            && target >= i
                            && !reachable_again(plan, target, i)
                        {
                            // Arazzo 1.1: tools SHOULD reject forward output
                            // references when no dependsOn is present.
                            let strict = doc.version >= Version::V1_1
                                && wf.steps.get(i).is_some_and(|s| s.depends_on.is_empty());
                            let diag = if strict {
                                Diagnostic::error
                            } else {
                                Diagnostic::warning
                            };
                            self.diags.push(
                                diag(
                                    Code::ForwardReference,
                                    format!(
                                        "`{e}` is read by step `{}` before step `{step_id}` can have run",
                                        plan.steps[i].id
                                    ),
                                )
                                .at(loc),
                            );
                        }
                    }
                },
                Expression::Inputs { name, .. } => {
                    if let Some(declared) = &declared_inputs {
                        let ok = declared
                            .iter()
                            .any(|n| n == name || name.starts_with(&format!("{n}.")));
                        if !ok {
                            let mut diag = Diagnostic::warning(
                                Code::UnknownInput,
                                format!("workflow `{}` declares no input `{name}`", wf.workflow_id),
                            )
                            .at(loc);
                            if let Some(close) = arazzo_model::suggest::closest(
                                name,
                                declared.iter().map(String::as_str),
                            ) {
                                diag = diag.hint(format!("did you mean `{close}`?"));
                            }
                            self.diags.push(diag);
                        }
                    }
                }
                Expression::Workflows {
                    workflow_id,
                    field,
                    name,
                    ..
                } => {
                    let found = self.wf_index.get(&(d, workflow_id.clone())).or_else(|| {
                        self.wf_index
                            .iter()
                            .find(|((_, id), _)| id == workflow_id)
                            .map(|(_, i)| i)
                    });
                    match found {
                        None => {
                            self.diags.push(
                            Diagnostic::error(
                                Code::UnknownWorkflow,
                                format!("`{e}` refers to workflow `{workflow_id}`, which this document does not have"),
                            )
                            .at(loc),
                        );
                        }
                        Some(_) => {
                            if *field == WorkflowField::Outputs {
                                let target = doc.workflow(workflow_id);
                                if let Some(t) = target
                                    && !t
                                        .outputs
                                        .keys()
                                        .any(|o| o == name || name.starts_with(&format!("{o}.")))
                                {
                                    self.diags.push(
                                    Diagnostic::warning(
                                        Code::UnknownOutput,
                                        format!("workflow `{workflow_id}` declares no output `{name}`"),
                                    )
                                    .at(loc),
                                );
                                }
                            }
                        }
                    }
                }
                Expression::SourceDescriptions { name, .. }
                    if doc.source_description(name).is_none() =>
                {
                    self.diags.push(
                        Diagnostic::error(
                            Code::UnknownSource,
                            format!("there is no source description `{name}`"),
                        )
                        .at(loc),
                    );
                }
                Expression::Components { kind, name } => {
                    let exists = match kind {
                        arazzo_expr::ComponentKind::Parameters => {
                            doc.components.parameters.contains_key(name)
                        }
                        arazzo_expr::ComponentKind::SuccessActions => {
                            doc.components.success_actions.contains_key(name)
                        }
                        arazzo_expr::ComponentKind::FailureActions => {
                            doc.components.failure_actions.contains_key(name)
                        }
                    };
                    if !exists {
                        self.diags.push(
                            Diagnostic::error(
                                Code::UnknownComponent,
                                format!("there is no component `{name}` in `components.{kind}`"),
                            )
                            .at(loc),
                        );
                    }
                }
                Expression::MessageHeader { .. } | Expression::MessagePayload { .. } => {
                    self.diags.push(
                        Diagnostic::warning(
                            Code::Unsupported,
                            format!("`{e}` refers to an AsyncAPI message, which arazzo-run does not execute"),
                        )
                        .at(loc),
                    );
                }
                Expression::Url
                | Expression::Method
                | Expression::StatusCode
                | Expression::RequestHeader { .. }
                | Expression::RequestQuery { .. }
                | Expression::RequestPath { .. }
                | Expression::RequestBody { .. }
                | Expression::ResponseHeader { .. }
                | Expression::ResponseBody { .. }
                    if in_step.is_none() =>
                {
                    self.diags.push(
                        Diagnostic::warning(
                            Code::ExpressionScope,
                            format!("`{e}` has no meaning in workflow outputs: there is no current request or response"),
                        )
                        .at(loc)
                        .hint("store the value in a step output and refer to it with `$steps.<stepId>.outputs.<name>`"),
                    );
                }
                _ => {}
            }
        }
        let _ = Span::default();
    }
}

/// An expression found in a workflow: the pointer of the string it is in,
/// the expression, its span in the string, and the index of its step.
type FoundExpression = (String, Expression, Option<Range<usize>>, Option<usize>);

/// Whether step `target` (at or after `reader`) can run before `reader` runs
/// again, through a goto or retry back to an earlier step.
fn reachable_again(plan: &WorkflowPlan, target: usize, reader: usize) -> bool {
    plan.steps.iter().enumerate().skip(target).any(|(_, s)| {
        s.on_success
            .iter()
            .chain(s.on_failure.iter())
            .any(|a| match &a.kind {
                ActionKind::GotoStep(to) => *to <= reader,
                ActionKind::Retry {
                    via: Some(Via::Step(to)),
                    ..
                } => *to <= reader,
                _ => false,
            })
    })
}

/// Every expression a criterion reads.
fn criterion_expressions(c: &Criterion) -> Vec<Expression> {
    let mut out = Vec::new();
    if let Some(ctx) = c.context() {
        out.push(ctx.expression.clone());
    }
    if let Some(cond) = c.simple_condition() {
        out.extend(cond.expressions().map(|l| l.expression.clone()));
    }
    if let Some(t) = c.condition_template() {
        out.extend(t.expressions().map(|l| l.expression.clone()));
    }
    out
}
