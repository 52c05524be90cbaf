//! Entering a workflow execution and beginning its steps: inputs,
//! dependencies, step `dependsOn`, limits, and the dispatch on the step's
//! kind — the one place a new kind of step (a message to publish or await)
//! is added.

use std::sync::Arc;

use serde_json::{Map, Value};

use super::judge::Interrupted;
use super::{Cont, Frame, PendingOutputs, Phase, Run, RunClock, Transfer, Transferred};
use crate::context::Ctx;
use crate::exchange::Exchange;
use crate::plan::{ParamPlan, StepDep, Target, WorkflowIndex};
use crate::report::{Event, FailureKind, Status, WorkflowRecord};

impl Run {
    /// Puts a new execution of workflow `wf` on the stack.
    pub(super) fn push_frame(
        &mut self,
        wf: WorkflowIndex,
        given: Map<String, Value>,
        cont: Cont,
        clock: &dyn RunClock,
    ) {
        let plan = &self.plan;
        let Some(w) = plan.workflow(wf) else {
            return;
        };
        // A goto to a workflow is a one-way transfer (a tail call): its target
        // takes the place of the frame that made it, so it nests no deeper.
        let depth = self.st.frames.len();
        if cont != Cont::Goto && depth >= self.opts.max_depth {
            self.st.abort = Some(format!(
                "workflows nest deeper than {} levels (a workflow calling itself?)",
                self.opts.max_depth
            ));
        }
        self.st.report.workflows.push(WorkflowRecord {
            workflow_id: w.id.clone(),
            status: Status::Failed,
            inputs: Value::Object(Map::new()),
            outputs: Arc::new(Value::Object(Map::new())),
            duration_ms: 0,
            error: None,
            failure: None,
            steps: Vec::new(),
            warnings: Vec::new(),
            reason: cont.reason(),
            synthesized_inputs: Vec::new(),
        });
        let record = self.st.report.workflows.len() - 1;
        let now_ms = clock.now_ms();
        self.st.frames.push(Frame {
            wf,
            inputs: Map::new(),
            given,
            step_outputs: vec![None; w.steps.len()],
            pc: 0,
            phase: Phase::Enter,
            attempt: 1,
            retries: Vec::new(),
            record,
            cont,
            started_ms: now_ms,
            step_started_ms: now_ms,
            exchange: None,
            last_exchange: None,
            callee: None,
            via: None,
            transfer: None,
        });
    }

    /// Starts a workflow execution: validates its inputs (defaults applied),
    /// runs unmet dependencies with those inputs, then begins its first step.
    pub(super) fn enter(&mut self, clock: &dyn RunClock) {
        let plan = self.plan.clone();
        let Some(f) = self.st.frames.last() else {
            return;
        };
        let Some(wf) = plan.workflow(f.wf) else {
            return;
        };
        if f.phase == Phase::Enter && !self.prepare_inputs(clock) {
            return;
        }
        let Some(f) = self.st.frames.last() else {
            return;
        };
        // Dependencies next, with the inputs as validated.
        for &dep in &wf.depends_on {
            let dep_id = plan.workflow(dep).map(|w| w.id.as_str()).unwrap_or("");
            match self.st.done.get(&dep) {
                Some(d) if d.status == Status::Succeeded => continue,
                Some(_) => {
                    let msg = format!("dependency `{dep_id}` failed");
                    self.fail(FailureKind::Dependency, msg, clock);
                    return;
                }
                None => {
                    if self.st.running(dep).is_some() {
                        let msg = format!(
                            "dependency `{dep_id}` is already running (a dependency cycle)"
                        );
                        self.fail(FailureKind::Dependency, msg, clock);
                        return;
                    }
                    let inputs = f.inputs.clone();
                    self.push_frame(dep, inputs, Cont::Dependency, clock);
                    return;
                }
            }
        }
        let depth = self.st.frames.len() - 1;
        let Some(f) = self.st.frames.last_mut() else {
            return;
        };
        f.phase = Phase::StepBegin;
        f.started_ms = clock.now_ms();
        let (record, cont) = (f.record, f.cont);
        let inputs = self
            .st
            .report
            .workflows
            .get(record)
            .map(|r| r.inputs.clone())
            .unwrap_or_default();
        self.events.push(Event::WorkflowStarted {
            workflow_id: wf.id.clone(),
            inputs,
            depth,
            reason: cont.reason(),
        });
    }

    /// Validates the top frame's inputs (defaults applied) and records them;
    /// false when they are invalid and the workflow has failed.
    fn prepare_inputs(&mut self, clock: &dyn RunClock) -> bool {
        let plan = &self.plan;
        let Some(f) = self.st.frames.last() else {
            return false;
        };
        let Some(wf) = plan.workflow(f.wf) else {
            return false;
        };
        let given = f.given.clone();
        let record = f.record;
        // Secret inputs are masked even when they are invalid.
        for v in wf.inputs.secret_values(&given) {
            self.secrets.add_value(v);
        }
        match wf.inputs.prepare(&given) {
            Ok(inputs) => {
                for p in wf.inputs.properties().into_iter().filter(|p| p.secret) {
                    if let Some(v) = inputs.get(&p.name) {
                        self.secrets.add_value(v);
                    }
                }
                let masked = self.secrets.mask_owned(Value::Object(inputs.clone()));
                if let Some(r) = self.st.report.workflows.get_mut(record) {
                    r.inputs = masked;
                }
                let Some(f) = self.frame() else {
                    return false;
                };
                f.inputs = inputs;
                f.phase = Phase::Prepared;
                true
            }
            Err(errors) => {
                let masked = self.secrets.mask_owned(Value::Object(given));
                if let Some(r) = self.st.report.workflows.get_mut(record) {
                    r.inputs = masked;
                }
                let list: Vec<String> = errors.iter().map(ToString::to_string).collect();
                let msg = format!("invalid inputs: {}", list.join("; "));
                self.fail(FailureKind::Inputs, msg, clock);
                false
            }
        }
    }

    /// Begins step `pc` of the top frame: checks its `dependsOn` and the
    /// run's step limit, then starts the work its kind calls for.
    pub(super) fn step_begin(&mut self, clock: &dyn RunClock) {
        let plan = self.plan.clone();
        let Some(f) = self.st.frames.last() else {
            return;
        };
        let Some(wf) = plan.workflow(f.wf) else {
            return;
        };
        let Some(step) = wf.steps.get(f.pc) else {
            self.finish(Status::Succeeded, None, clock);
            return;
        };
        if let Some(msg) = self.unmet_dependency(f) {
            self.fail(FailureKind::Dependency, msg, clock);
            return;
        }
        self.st.steps_executed += 1;
        if self.st.steps_executed > self.opts.max_steps {
            self.st.abort = Some(format!(
                "the run executed more than {} steps (a goto loop?)",
                self.opts.max_steps
            ));
            return;
        }
        self.events.push(Event::StepStarted {
            workflow_id: wf.id.clone(),
            step_id: step.id.clone(),
            attempt: f.attempt,
            target: plan.target_label(&step.target),
        });
        let now_ms = clock.now_ms();
        if let Some(f) = self.frame() {
            f.step_started_ms = now_ms;
            f.exchange = None;
            f.callee = None;
            if f.retries.len() != step.on_failure.len() {
                f.retries = vec![0; step.on_failure.len()];
            }
        }
        // The step's kind decides its work; each kind ends in `Phase::Judge`
        // (directly, or once the result it waits for is delivered).
        match &step.target {
            Target::Unsupported(reason) => {
                self.fail_before_send(FailureKind::Unsupported, reason.clone())
            }
            Target::Workflow(callee) => match self.eval_inputs(&step.params) {
                Ok(inputs) => self.call(*callee, inputs, Cont::Call, clock),
                Err(e) => self.fail_before_send(FailureKind::Request, e),
            },
            Target::Operation(op) => match self.build(step, *op) {
                Ok(request) => {
                    if let Some(f) = self.frame() {
                        f.phase = Phase::Send { request };
                    }
                }
                Err(e) => self.fail_before_send(FailureKind::Request, e),
            },
        }
    }

    /// The top frame waits while workflow `callee` runs on top of it, called
    /// as `cont` says (a workflow step, a retry that runs it first; a goto
    /// does not wait, see `transfer`).
    pub(super) fn call(
        &mut self,
        callee: WorkflowIndex,
        inputs: Map<String, Value>,
        cont: Cont,
        clock: &dyn RunClock,
    ) {
        if let Some(f) = self.frame() {
            f.phase = Phase::AwaitCallee;
        }
        self.push_frame(callee, inputs, cont, clock);
    }

    /// A goto to workflow `to`, made by the top frame: a one-way transfer and
    /// a tail call. The frame leaves the stack and `to` takes its place,
    /// carrying it in its goto chain: it ends when `to` ends, as `to` ended
    /// (`finish`). So a workflow that restarts itself keeps one frame, and
    /// its nesting depth is the one of the frame it replaces.
    ///
    /// Its outputs are evaluated now unless they read `$workflows` (the one
    /// thing that can change while `to` runs); then the frame is kept to
    /// evaluate them at the end.
    pub(super) fn transfer(
        &mut self,
        to: WorkflowIndex,
        inputs: Map<String, Value>,
        clock: &dyn RunClock,
    ) {
        let plan = self.plan.clone();
        let Some(wf) = self.st.frames.last().and_then(|f| plan.workflow(f.wf)) else {
            return;
        };
        let reads_workflows = wf.outputs.iter().any(|o| {
            o.value
                .expressions()
                .iter()
                .any(|(_, e, _)| matches!(e, arazzo_expr::Expression::Workflows { .. }))
        });
        let ready = if reads_workflows {
            None
        } else {
            match self.workflow_outputs(clock) {
                Ok(computed) => Some(computed),
                // Past its time limit: the run fails this workflow next.
                Err(Interrupted) => return,
            }
        };
        let Some(mut frame) = self.st.frames.pop() else {
            return;
        };
        let mut chain = match frame.transfer.take() {
            Some(chain) => *chain,
            None => Transfer::starting_at(&frame),
        };
        let (inputs_kept, completed_steps) = (
            frame.inputs.clone(),
            frame.step_outputs.iter().map(Option::is_some).collect(),
        );
        let (wf_i, record, pc, started_ms) = (frame.wf, frame.record, frame.pc, frame.started_ms);
        let outputs = match ready {
            Some((outputs, warnings)) => PendingOutputs::Ready { outputs, warnings },
            None => {
                // Its caller sees the chain's first exchange, kept in the chain.
                frame.last_exchange = None;
                PendingOutputs::Later(Box::new(frame))
            }
        };
        chain.push(Transferred {
            wf: wf_i,
            record,
            pc,
            started_ms,
            inputs: inputs_kept,
            completed_steps,
            outputs,
        });
        self.push_frame(to, inputs, Cont::Goto, clock);
        if let Some(f) = self.frame() {
            f.transfer = Some(Box::new(chain));
        }
    }

    /// Why the current step cannot run yet: step `dependsOn` (1.1) is a join
    /// point — the steps must have completed; they are not run on its behalf.
    fn unmet_dependency(&self, f: &Frame) -> Option<String> {
        let wf = self.plan.workflow(f.wf)?;
        let step = wf.steps.get(f.pc)?;
        let missing = step
            .depends_on
            .iter()
            .find(|dep| !self.step_completed(f, **dep))?;
        let name = match *missing {
            StepDep::Step(i) => wf.steps.get(i).map(|s| format!("step `{}`", s.id)),
            StepDep::Other { workflow, step } => self.plan.workflow(workflow).and_then(|w| {
                w.steps
                    .get(step)
                    .map(|s| format!("step `{}` of workflow `{}`", s.id, w.id))
            }),
        }
        .unwrap_or_default();
        Some(format!(
            "step `{}` cannot run: it depends on {name}, which has not completed",
            step.id
        ))
    }

    /// Whether a step a `dependsOn` names has completed successfully.
    fn step_completed(&self, frame: &Frame, dep: StepDep) -> bool {
        match dep {
            StepDep::Step(i) => frame.step_outputs.get(i).is_some_and(Option::is_some),
            StepDep::Other { workflow, step } => {
                if let Some(running) = self.st.running(workflow) {
                    return running.completed(step);
                }
                self.st
                    .done
                    .get(&workflow)
                    .is_some_and(|d| d.completed_steps.get(step).copied().unwrap_or(false))
            }
        }
    }

    /// The step fails without an exchange (a value could not be evaluated,
    /// the request could not be built, the target does not exist).
    pub(super) fn fail_before_send(&mut self, kind: FailureKind, reason: String) {
        if let Some(f) = self.frame() {
            f.exchange = Some(Arc::new(Exchange {
                error: Some(reason),
                failure: Some(kind),
                ..Exchange::default()
            }));
            f.phase = Phase::Judge;
        }
    }

    /// The inputs an action passes to the workflow it goes to or retries
    /// through: its 1.1 `parameters`, else (1.0 has no way to pass inputs) the
    /// current workflow's inputs.
    pub(super) fn action_inputs(
        &mut self,
        params: Option<&[ParamPlan]>,
    ) -> Result<Map<String, Value>, String> {
        match params {
            Some(p) => self.eval_inputs(p),
            None => Ok(self
                .st
                .frames
                .last()
                .map(|f| f.inputs.clone())
                .unwrap_or_default()),
        }
    }

    /// Evaluates parameters of a workflow step or action into inputs.
    fn eval_inputs(&mut self, params: &[ParamPlan]) -> Result<Map<String, Value>, String> {
        let mut out = Map::new();
        let Some(frame) = self.st.frames.last() else {
            return Ok(out);
        };
        let ctx = Ctx::new(&self.plan, &self.st, frame, None);
        for p in params {
            match p.value.evaluate(&ctx) {
                Ok(Some(v)) => {
                    out.insert(p.name.clone(), v);
                }
                Ok(None) => {}
                Err(e) => return Err(format!("parameter `{}`: {e}", p.name)),
            }
        }
        Ok(out)
    }
}
