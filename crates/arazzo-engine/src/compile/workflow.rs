//! Workflows and steps: their targets, inputs, dependencies and the workflows they refer to.

use arazzo_model::model::{Step, StepTarget, Workflow};
use arazzo_model::validate::{ComponentKind, WorkflowRef, parse_workflow_ref};
use arazzo_model::{Code, Diagnostic};
use arazzo_openapi::sources::SourceTarget;
use serde_json::Value;

use super::Compiler;
use super::criteria::expected_status;
use crate::inputs::InputsPlan;
use crate::plan::*;

impl<'a> Compiler<'a> {
    /// The plan index of the workflow a `workflowId` names in document `d`,
    /// local or `$sourceDescriptions.<name>.<workflowId>`.
    fn resolve_workflow(&self, d: usize, written: &str) -> Option<WorkflowIndex> {
        match parse_workflow_ref(written) {
            WorkflowRef::Local(id) => self.wf_index.get(&(d, id.to_string())).copied(),
            WorkflowRef::External { source, workflow } => {
                match self.sources.arazzo.get(d)?.sources.get(source)? {
                    SourceTarget::Arazzo(d2) => self
                        .wf_index
                        .get(&(*d2, workflow.to_string()))
                        .or_else(|| {
                            // Respect's `$sourceDescriptions.<name>.workflows.<id>`.
                            let id = workflow.strip_prefix("workflows.")?;
                            self.wf_index.get(&(*d2, id.to_string()))
                        })
                        .copied(),
                    _ => None,
                }
            }
        }
    }

    /// The id of workflow `i` of the plan being built.
    fn plan_workflow_id(&self, i: WorkflowIndex) -> Option<&str> {
        self.wf_index
            .iter()
            .find(|(_, v)| **v == i)
            .map(|((_, id), _)| id.as_str())
    }

    /// Resolves a `workflowId` written at `pointer`, reporting workflows
    /// another Arazzo document does not have and Respect's spelling.
    pub(super) fn workflow_ref(
        &mut self,
        d: usize,
        written: &str,
        pointer: &str,
    ) -> Option<WorkflowIndex> {
        let found = self.resolve_workflow(d, written);
        if let Some(i) = found
            && let WorkflowRef::External { source, workflow } = parse_workflow_ref(written)
            && let Some(id) = workflow.strip_prefix("workflows.")
            && self.plan_workflow_id(i) == Some(id)
        {
            self.diags.push(
                Diagnostic::warning(
                    Code::UnknownWorkflow,
                    format!(
                        "`{written}` is Redocly Respect's form, not standard Arazzo; write `$sourceDescriptions.{source}.{id}`"
                    ),
                )
                .at(self.at(d, pointer)),
            );
        }
        if found.is_none()
            && let WorkflowRef::External { source, workflow } = parse_workflow_ref(written)
            && matches!(
                self.sources
                    .arazzo
                    .get(d)
                    .and_then(|a| a.sources.get(source)),
                Some(SourceTarget::Arazzo(_))
            )
        {
            self.diags.push(
                Diagnostic::error(
                    Code::UnknownWorkflow,
                    format!("the Arazzo document `{source}` has no workflow `{workflow}`"),
                )
                .at(self.at(d, pointer)),
            );
        }
        found
    }

    /// Compiles a workflow and checks what its expressions refer to.
    pub(super) fn workflow(&mut self, d: usize, wf: &'a Workflow) -> WorkflowPlan {
        let inputs = self.workflow_inputs(d, wf);
        let depends_on = wf
            .depends_on
            .iter()
            .enumerate()
            .filter_map(|(i, dep)| self.workflow_ref(d, dep, &format!("{}/dependsOn/{i}", wf.path)))
            .collect();
        let steps: Vec<StepPlan> = wf.steps.iter().map(|s| self.step(d, wf, s)).collect();
        let outputs = self.outputs(d, &wf.outputs, &format!("{}/outputs", wf.path));
        let plan = WorkflowPlan {
            id: wf.workflow_id.clone(),
            doc: DocIndex(d),
            summary: wf.summary.clone(),
            description: wf.description.clone(),
            inputs,
            depends_on,
            steps,
            outputs,
            path: wf.path.clone(),
        };
        self.check_references(d, wf, &plan);
        plan
    }

    /// The input schema of a workflow, checked: it must be a valid JSON
    /// Schema, and an object (inputs are named values).
    fn workflow_inputs(&mut self, d: usize, wf: &Workflow) -> InputsPlan {
        let doc = self.doc(d);
        let components = doc.source.value.get("components");
        let inputs = InputsPlan::compile(wf.inputs.as_ref(), components);
        if let Some(problem) = &inputs.problem {
            self.diags.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    format!(
                        "the input schema of workflow `{}` is not a valid JSON Schema: {problem}",
                        wf.workflow_id
                    ),
                )
                .at(self.at(d, &format!("{}/inputs", wf.path))),
            );
        }
        if let Some(ty) = inputs_type(wf.inputs.as_ref(), components)
            && ty != "object"
        {
            self.diags.push(
                Diagnostic::warning(
                    Code::InputsNotObject,
                    format!(
                        "the inputs of workflow `{}` are declared as `{ty}`, but inputs are an object of named values: no run can pass its input check",
                        wf.workflow_id
                    ),
                )
                .at(self.at(d, &format!("{}/inputs", wf.path)))
                .hint("declare `type: object` with the inputs as `properties`"),
            );
        }
        inputs
    }

    /// Compiles a step of `wf`.
    pub(super) fn step(&mut self, d: usize, wf: &'a Workflow, step: &'a Step) -> StepPlan {
        let target = self.step_target(d, step);
        let to_workflow = matches!(step.target, StepTarget::WorkflowId(_));
        let resolved = self.merge_params(d, wf, &step.parameters, to_workflow);
        if let Target::Operation(op) = &target {
            self.check_operation_params(d, step, *op, &resolved);
        }
        let params = self.compile_params(d, &resolved, !to_workflow);
        let body = step.request_body.as_ref().map(|b| self.body(d, b));
        let success: Vec<CriterionPlan> = step
            .success_criteria
            .iter()
            .filter_map(|c| self.criterion(d, c))
            .collect();
        let expected_status = success.iter().find_map(|c| expected_status(&c.condition));
        let expectations = success
            .iter()
            .flat_map(|c| c.criterion.expectations())
            .collect();
        let on_success = self.actions(
            d,
            wf,
            step.on_success.as_deref(),
            &wf.success_actions,
            ComponentKind::SuccessActions,
        );
        let on_failure = self.actions(
            d,
            wf,
            step.on_failure.as_deref(),
            &wf.failure_actions,
            ComponentKind::FailureActions,
        );
        let outputs = self.outputs(d, &step.outputs, &format!("{}/outputs", step.path));
        let depends_on = step
            .depends_on
            .iter()
            .filter_map(|dep| self.step_dep(d, wf, dep))
            .collect();
        StepPlan {
            id: step.step_id.clone(),
            depends_on,
            description: step.description.clone(),
            target,
            params,
            body,
            success,
            on_success,
            on_failure,
            outputs,
            timeout_ms: step.timeout,
            expected_status,
            expectations,
            path: step.path.clone(),
        }
    }

    /// What a step invokes: an operation, a workflow, or why it cannot run.
    fn step_target(&mut self, d: usize, step: &Step) -> Target {
        match &step.target {
            StepTarget::OperationId(id) => {
                self.operation(d, id, &format!("{}/operationId", step.path), false)
            }
            StepTarget::OperationPath(p) => {
                self.operation(d, p, &format!("{}/operationPath", step.path), true)
            }
            StepTarget::WorkflowId(w) => {
                let p = format!("{}/workflowId", step.path);
                match self.workflow_ref(d, w, &p) {
                    Some(i) => Target::Workflow(i),
                    None => Target::Unsupported(format!("workflow `{w}` does not exist")),
                }
            }
            StepTarget::ChannelPath(_) => {
                self.diags.push(
                    Diagnostic::warning(
                        Code::Unsupported,
                        format!("step `{}` is an AsyncAPI channel step, which arazzo-run does not execute", step.step_id),
                    )
                    .at(self.at(d, &format!("{}/channelPath", step.path)))
                    .hint("running this step fails; the rest of the document is checked and runs"),
                );
                Target::Unsupported("AsyncAPI channel steps are not executed by arazzo-run".into())
            }
            StepTarget::Missing => {
                Target::Unsupported("the step names no operation or workflow".into())
            }
        }
    }

    /// Resolves a step `dependsOn` entry (unknown targets are reported by the model validator).
    fn step_dep(&self, d: usize, wf: &Workflow, dep: &str) -> Option<StepDep> {
        let other = |doc: usize, rest: &str| -> Option<StepDep> {
            let (w, s) = rest.split_once(".steps.")?;
            let workflow = *self.wf_index.get(&(doc, w.to_string()))?;
            let step = self
                .sources
                .arazzo
                .get(doc)?
                .doc
                .workflow(w)?
                .step_index(s)?;
            Some(StepDep::Other { workflow, step })
        };
        if let Some(rest) = dep.strip_prefix("$workflows.") {
            return other(d, rest);
        }
        if let Some(rest) = dep.strip_prefix("$sourceDescriptions.") {
            let (source, rest) = rest.split_once('.')?;
            let SourceTarget::Arazzo(d2) = self.sources.arazzo.get(d)?.sources.get(source)? else {
                return None;
            };
            return other(*d2, rest);
        }
        wf.step_index(dep).map(StepDep::Step)
    }
}

/// The single `type` an inputs schema declares (following one `$ref` into
/// `components.inputs`); `None` when it declares none or several.
fn inputs_type<'v>(schema: Option<&'v Value>, components: Option<&'v Value>) -> Option<&'v str> {
    let mut schema = schema?;
    if let Some(name) = schema
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix("#/components/inputs/"))
    {
        schema = components?.get("inputs")?.get(name)?;
    }
    schema.get("type")?.as_str()
}
