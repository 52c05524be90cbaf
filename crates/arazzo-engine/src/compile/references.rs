//! What the expressions of a workflow refer to: steps, outputs, inputs, workflows, sources and components.

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use arazzo_expr::{Criterion, Expression, ValueExpr, WorkflowField};
use arazzo_model::load::escape_token;
use arazzo_model::model::{Version, Workflow};
use arazzo_model::{Code, Diagnostic, Location};
use serde_json::Value;

use super::Compiler;
use crate::plan::*;

/// An expression found in a workflow: the pointer of the string it is in,
/// the expression, its span in the string, and the index of its step.
type FoundExpression = (String, Expression, Option<Range<usize>>, Option<usize>);

/// The workflow whose expressions are checked, and what they may refer to.
struct Referrer<'p> {
    /// The Arazzo document the workflow is in.
    d: usize,
    wf: &'p Workflow,
    plan: &'p WorkflowPlan,
    /// The inputs the workflow declares; `None` when it accepts others too.
    declared_inputs: Option<Vec<String>>,
    /// The output names each step declares, by stepId.
    step_outputs: HashMap<&'p str, Vec<&'p str>>,
}

impl<'a> Compiler<'a> {
    /// Checks what every expression of a workflow refers to.
    pub(super) fn check_references(&mut self, d: usize, wf: &Workflow, plan: &WorkflowPlan) {
        let referrer = Referrer {
            d,
            wf,
            plan,
            declared_inputs: declared_inputs(plan),
            step_outputs: step_outputs(plan),
        };
        let mut reported: HashSet<(String, String)> = HashSet::new();
        for (pointer, e, span, in_step) in found_expressions(wf, plan) {
            let loc = self.expression_location(d, &pointer, span.as_ref());
            let key = (pointer.clone(), e.to_string());
            if !reported.insert(key) {
                continue;
            }
            self.check_reference(&referrer, &e, loc, in_step);
        }
    }

    /// Where an expression is written: its span inside the string at
    /// `pointer` when known, else the whole value.
    fn expression_location(
        &self,
        d: usize,
        pointer: &str,
        span: Option<&Range<usize>>,
    ) -> Location {
        match span {
            Some(sp) => {
                let text = self
                    .doc(d)
                    .source
                    .value
                    .pointer(pointer)
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string();
                self.inside(d, pointer, &text, sp)
            }
            None => self.at(d, pointer),
        }
    }

    /// Checks one expression, found in step `in_step` (or in the workflow's
    /// outputs when `None`).
    fn check_reference(
        &mut self,
        r: &Referrer<'_>,
        e: &Expression,
        loc: Location,
        in_step: Option<usize>,
    ) {
        let doc = self.doc(r.d);
        match e {
            Expression::Steps {
                step_id, output, ..
            } => self.check_step_output(r, e, step_id, output, loc, in_step),
            Expression::Inputs { name, .. } => self.check_input(r, name, loc),
            Expression::Workflows {
                workflow_id,
                field,
                name,
                ..
            } => self.check_workflow_field(r.d, e, workflow_id, *field, name, loc),
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
            Expression::Components { kind, name } => self.check_component(r.d, *kind, name, loc),
            Expression::MessageHeader { .. } | Expression::MessagePayload { .. } => {
                self.diags.push(
                    Diagnostic::warning(
                        Code::Unsupported,
                        format!(
                            "`{e}` refers to an AsyncAPI message, which arazzo-run does not execute"
                        ),
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

    /// `$steps.<step_id>.outputs.<output>`: the step exists, declares the
    /// output, and can have run before the step that reads it.
    fn check_step_output(
        &mut self,
        r: &Referrer<'_>,
        e: &Expression,
        step_id: &str,
        output: &str,
        loc: Location,
        in_step: Option<usize>,
    ) {
        let plan = r.plan;
        let Some(target) = plan.step_index(step_id) else {
            let mut diag = Diagnostic::error(
                Code::UnknownStep,
                format!(
                    "`{e}` refers to step `{step_id}`, which workflow `{}` does not have",
                    r.wf.workflow_id
                ),
            )
            .at(loc);
            if let Some(close) =
                arazzo_model::suggest::closest(step_id, plan.steps.iter().map(|s| s.id.as_str()))
            {
                diag = diag.hint(format!("did you mean `{close}`?"));
            } else {
                diag = diag.hint("`$steps` only reaches steps of the same workflow; use workflow outputs to pass values between workflows");
            }
            self.diags.push(diag);
            return;
        };
        let outs = r.step_outputs.get(step_id).cloned().unwrap_or_default();
        let known = outs
            .iter()
            .any(|o| *o == output || output.starts_with(&format!("{o}.")));
        if !known {
            let mut diag = Diagnostic::warning(
                Code::UnknownOutput,
                format!("step `{step_id}` declares no output `{output}`, so `{e}` is never set"),
            )
            .at(loc.clone());
            if let Some(close) = arazzo_model::suggest::closest(output, outs.iter().copied()) {
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
            let strict = self.doc(r.d).version >= Version::V1_1
                && r.wf.steps.get(i).is_some_and(|s| s.depends_on.is_empty());
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

    /// `$inputs.<name>`: the workflow declares the input (when its schema
    /// lists every input it accepts).
    fn check_input(&mut self, r: &Referrer<'_>, name: &str, loc: Location) {
        let Some(declared) = &r.declared_inputs else {
            return;
        };
        let ok = declared
            .iter()
            .any(|n| n == name || name.starts_with(&format!("{n}.")));
        if !ok {
            let mut diag = Diagnostic::warning(
                Code::UnknownInput,
                format!("workflow `{}` declares no input `{name}`", r.wf.workflow_id),
            )
            .at(loc);
            if let Some(close) =
                arazzo_model::suggest::closest(name, declared.iter().map(String::as_str))
            {
                diag = diag.hint(format!("did you mean `{close}`?"));
            }
            self.diags.push(diag);
        }
    }

    /// `$workflows.<workflow_id>.<field>.<name>`: the workflow exists and,
    /// for outputs, declares the output.
    fn check_workflow_field(
        &mut self,
        d: usize,
        e: &Expression,
        workflow_id: &str,
        field: WorkflowField,
        name: &str,
        loc: Location,
    ) {
        let found = self
            .wf_index
            .get(&(d, workflow_id.to_string()))
            .or_else(|| {
                self.wf_index
                    .iter()
                    .find(|((_, id), _)| id == workflow_id)
                    .map(|(_, i)| i)
            });
        if found.is_none() {
            self.diags.push(
                Diagnostic::error(
                    Code::UnknownWorkflow,
                    format!("`{e}` refers to workflow `{workflow_id}`, which this document does not have"),
                )
                .at(loc),
            );
            return;
        }
        if field == WorkflowField::Outputs
            && let Some(t) = self.doc(d).workflow(workflow_id)
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

    /// `$components.<kind>.<name>`: the component exists.
    fn check_component(
        &mut self,
        d: usize,
        kind: arazzo_expr::ComponentKind,
        name: &str,
        loc: Location,
    ) {
        let components = &self.doc(d).components;
        let exists = match kind {
            arazzo_expr::ComponentKind::Parameters => components.parameters.contains_key(name),
            arazzo_expr::ComponentKind::SuccessActions => {
                components.success_actions.contains_key(name)
            }
            arazzo_expr::ComponentKind::FailureActions => {
                components.failure_actions.contains_key(name)
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
}

/// The inputs a workflow's schema declares, when it accepts no others.
fn declared_inputs(plan: &WorkflowPlan) -> Option<Vec<String>> {
    plan.inputs.resolved.as_ref().and_then(|s| {
        if s.get("additionalProperties")
            .is_some_and(|a| a != &Value::Bool(false))
        {
            return None;
        }
        s.get("properties")
            .and_then(Value::as_object)
            .map(|m| m.keys().cloned().collect())
    })
}

/// The output names each step declares, by stepId.
fn step_outputs(plan: &WorkflowPlan) -> HashMap<&str, Vec<&str>> {
    plan.steps
        .iter()
        .map(|s| {
            (
                s.id.as_str(),
                s.outputs.iter().map(|o| o.name.as_str()).collect(),
            )
        })
        .collect()
}

/// Every expression of a workflow: its steps' (in order), then its outputs'.
fn found_expressions(wf: &Workflow, plan: &WorkflowPlan) -> Vec<FoundExpression> {
    let mut found: Vec<FoundExpression> = Vec::new();
    for (i, step) in plan.steps.iter().enumerate() {
        step_expressions(i, step, &mut found);
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
    found
}

/// The expressions of step `i`: parameters, body, criteria, the criteria
/// of its actions, outputs.
fn step_expressions(i: usize, step: &StepPlan, found: &mut Vec<FoundExpression>) {
    let collect_value = |v: &ValueExpr, base: String, out: &mut Vec<_>| {
        for (inner, e, span) in v.expressions() {
            out.push((format!("{base}{inner}"), e.clone(), Some(span), Some(i)));
        }
    };
    for p in &step.params {
        collect_value(&p.value, p.pointer.clone(), found);
    }
    if let Some(b) = &step.body {
        if let Some(p) = &b.payload {
            collect_value(p, format!("{}/requestBody/payload", step.path), found);
        }
        for (ri, r) in b.replacements.iter().enumerate() {
            collect_value(
                &r.value,
                format!("{}/requestBody/replacements/{ri}/value", step.path),
                found,
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
            found,
        );
    }
}

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
