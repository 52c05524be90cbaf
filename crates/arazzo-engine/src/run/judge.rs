//! Judging a finished step: its success criteria, its outputs, then the
//! first action whose criteria hold — next, end, goto a step or workflow,
//! retry (directly, or after running a step or workflow first).
//!
//! Judging reads only the step's exchange (or its callee's result) through
//! [`Ctx`], so any kind of step that fills them is judged the same way.

use serde_json::{Map, Value};

use super::contract::{self, CheckResponses};
use super::{Cont, Phase, Run, RunClock, ViaStep};
use crate::context::Ctx;
use crate::exchange::retry_after_ms;
use crate::plan::{ActionKind, ActionPlan, StepPlan, Target, Via, WorkflowIndex};
use crate::report::{
    ActionRecord, ActionType, ContractProblem, CriterionRecord, DelaySource, Event, FailureKind,
    RunError, Status,
};

/// The run reached its time limit (or another limit) before a unit of
/// evaluation work: the work was left undone.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Interrupted;

/// The verdict on a step, before its action is taken.
pub(super) struct Judged {
    /// Whether the step succeeded.
    pub(super) passed: bool,
    /// Why it failed.
    pub(super) error: Option<RunError>,
    /// Every success criterion evaluated, with its verdict.
    pub(super) criteria: Vec<CriterionRecord>,
    /// Its outputs (when it succeeded).
    pub(super) outputs: Map<String, Value>,
    /// The run reached its time limit before the step was judged.
    pub(super) interrupted: bool,
    /// How the response departs from the operation's description (when
    /// responses are checked).
    pub(super) contract: Vec<ContractProblem>,
}

impl Judged {
    /// The failure message, or `fallback`.
    fn reason_or(&self, fallback: &str) -> String {
        self.error
            .as_ref()
            .map_or_else(|| fallback.to_string(), |e| e.message.clone())
    }

    /// The failure kind, or `fallback`.
    fn kind_or(&self, fallback: FailureKind) -> FailureKind {
        self.error.as_ref().map_or(fallback, |e| e.kind)
    }
}

fn action_record(name: Option<&str>, kind: ActionType, target: Option<String>) -> ActionRecord {
    ActionRecord {
        name: name.map(str::to_string),
        kind,
        target,
    }
}

impl Run {
    /// Judges a completed step: criteria, outputs, then the first matching action.
    pub(super) fn judge(&mut self, clock: &dyn RunClock) {
        self.judge_started_ms = clock.now_ms();
        let plan = self.plan.clone();
        let Some(f) = self.st.frames.last() else {
            return;
        };
        let wf_i = f.wf;
        let Some(step) = plan.workflow(wf_i).and_then(|w| w.steps.get(f.pc)) else {
            return;
        };
        let mut judged = self.verdict(step, clock);
        if judged.passed && !judged.interrupted {
            match self.step_outputs(wf_i, step, clock) {
                Ok(outputs) => judged.outputs = outputs,
                Err(Interrupted) => judged.interrupted = true,
            }
        }
        if judged.interrupted {
            self.stop_judging(step, judged, clock);
            return;
        }
        if self.st.frames.last().is_some_and(|f| f.via.is_some()) {
            self.return_from_via(step, judged, clock);
            return;
        }
        let actions = if judged.passed {
            &step.on_success
        } else {
            &step.on_failure
        };
        let chosen = match self.choose_action(wf_i, step, actions, clock) {
            Ok(chosen) => chosen,
            Err(Interrupted) => {
                self.stop_judging(step, judged, clock);
                return;
            }
        };
        match chosen {
            None => self.default_action(step, judged, clock),
            Some(i) => {
                let Some(a) = actions.get(i) else { return };
                match &a.kind {
                    ActionKind::End => self.end(step, a, judged, clock),
                    ActionKind::GotoStep(to) => self.goto_step(step, a, *to, judged, clock),
                    ActionKind::GotoWorkflow { workflow, params } => {
                        let rec = action_record(
                            Some(&a.name),
                            ActionType::Goto,
                            plan.workflow(*workflow).map(|w| w.id.clone()),
                        );
                        self.take_action(step, rec.clone());
                        self.record_step(step, judged, Some(rec), clock);
                        match self.action_inputs(params.as_deref()) {
                            Ok(inputs) => self.transfer(*workflow, inputs, clock),
                            Err(e) => self.fail(FailureKind::Request, e, clock),
                        }
                    }
                    ActionKind::Retry { after, via, .. } => {
                        self.retry(step, i, a, *after, via.as_ref(), judged, clock)
                    }
                }
            }
        }
    }

    /// The run reached its time limit while judging `step`: the step is
    /// recorded as failed by it (with the criteria evaluated so far and the
    /// time they took); the workflow then fails with the run's limit.
    fn stop_judging(&mut self, step: &StepPlan, mut judged: Judged, clock: &dyn RunClock) {
        judged.passed = false;
        judged.error = Some(self.limit_error());
        judged.outputs = Map::new();
        let rec = action_record(None, ActionType::Fail, None);
        self.record_step(step, judged, Some(rec), clock);
    }

    /// The step's success criteria, after its exchange or call.
    /// Between two criteria the run checks its time limit; when it is
    /// reached, the verdict is `interrupted`.
    fn verdict(&mut self, step: &StepPlan, clock: &dyn RunClock) -> Judged {
        let plan = self.plan.clone();
        let mut judged = Judged {
            passed: true,
            error: None,
            criteria: Vec::new(),
            outputs: Map::new(),
            interrupted: false,
            contract: Vec::new(),
        };
        let Some(f) = self.st.frames.last() else {
            return judged;
        };
        let wf_id = plan
            .workflow(f.wf)
            .map(|w| w.id.clone())
            .unwrap_or_default();
        if let Some(x) = &f.exchange
            && let Some(e) = &x.error
        {
            let kind = x.failure.unwrap_or(FailureKind::Transport);
            judged.error = Some(RunError::new(kind, e.clone()));
        } else if let Some(c) = f.callee.as_ref().filter(|c| c.status == Status::Failed) {
            let id = plan.workflow(c.workflow).map_or("", |w| w.id.as_str());
            let message = format!(
                "workflow `{id}` failed: {}",
                c.error.clone().unwrap_or_default()
            );
            judged.error = Some(RunError::new(FailureKind::Workflow, message));
        }
        judged.passed = judged.error.is_none();
        let responded = judged.passed;
        if judged.passed {
            for c in &step.success {
                if self.out_of_time(clock) {
                    judged.interrupted = true;
                    break;
                }
                let Some(f) = self.st.frames.last() else {
                    break;
                };
                let ctx = Ctx::new(&plan, &self.st, f, None);
                let v = c.criterion.evaluate(&ctx);
                if !v.passed && judged.error.is_none() {
                    let reason = v
                        .reason
                        .clone()
                        .unwrap_or_else(|| format!("`{}` failed", c.condition));
                    judged.error = Some(RunError::new(FailureKind::Criteria, reason));
                }
                judged.passed &= v.passed;
                judged.criteria.push(CriterionRecord {
                    condition: c.condition.clone(),
                    passed: v.passed,
                    reason: v.reason,
                });
            }
        }
        if responded && !judged.interrupted {
            self.check_contract(step, &mut judged);
        }
        for r in &judged.criteria {
            self.events.push(Event::CriterionEvaluated {
                workflow_id: wf_id.clone(),
                step_id: step.id.clone(),
                of: "successCriteria".into(),
                condition: r.condition.clone(),
                passed: r.passed,
                reason: r.reason.as_ref().map(|x| self.secrets.mask(x)),
            });
        }
        judged
    }

    /// Checks an operation step's response against its description
    /// ([`RunOptions::check_responses`](super::RunOptions::check_responses)):
    /// the problems go with the step; with [`CheckResponses::Error`] they fail
    /// it, as a failed criterion would (its own failed criterion, if any,
    /// stays the reason). Notes (what could not be checked) are warnings.
    fn check_contract(&mut self, step: &StepPlan, judged: &mut Judged) {
        let mode = self.opts.check_responses;
        let Target::Operation(op) = step.target else {
            return;
        };
        if mode == CheckResponses::Off {
            return;
        }
        let plan = self.plan.clone();
        let Some(x) = self.st.frames.last().and_then(|f| f.exchange.as_ref()) else {
            return;
        };
        let checked = contract::check(&plan, op, x);
        let wf = self.st.frames.last().map(|f| f.wf);
        for note in checked.notes {
            self.warn(wf, Some(&step.id), note);
        }
        if mode == CheckResponses::Error && !checked.problems.is_empty() && judged.passed {
            let n = checked.problems.len();
            let listed: Vec<String> = checked.problems.iter().map(ToString::to_string).collect();
            judged.passed = false;
            judged.error = Some(RunError::new(
                FailureKind::Contract,
                format!(
                    "the response does not match the description ({n} problem{}): {}",
                    if n == 1 { "" } else { "s" },
                    listed.join("; ")
                ),
            ));
        }
        judged.contract = checked.problems;
    }

    /// Evaluates a successful step's outputs and keeps them for `$steps`;
    /// `Interrupted` (nothing kept) when the run reached its time limit
    /// between two of them.
    fn step_outputs(
        &mut self,
        wf_i: WorkflowIndex,
        step: &StepPlan,
        clock: &dyn RunClock,
    ) -> Result<Map<String, Value>, Interrupted> {
        let plan = self.plan.clone();
        let mut outputs = Map::new();
        let mut warnings = Vec::new();
        for o in &step.outputs {
            if self.out_of_time(clock) {
                return Err(Interrupted);
            }
            if let Some(f) = self.st.frames.last() {
                let ctx = Ctx::new(&plan, &self.st, f, None);
                let value = match o.value.evaluate(&ctx) {
                    Ok(Some(v)) => v,
                    Ok(None) => {
                        warnings.push(format!("output `{}` is absent; it is set to null", o.name));
                        Value::Null
                    }
                    Err(e) => {
                        warnings.push(format!(
                            "output `{}` could not be evaluated ({e}); it is set to null",
                            o.name
                        ));
                        Value::Null
                    }
                };
                outputs.insert(o.name.clone(), value);
            }
        }
        for w in warnings {
            self.warn(Some(wf_i), Some(&step.id), w);
        }
        if let Some(f) = self.frame() {
            let pc = f.pc;
            if let Some(slot) = f.step_outputs.get_mut(pc) {
                *slot = Some(outputs.clone());
            }
        }
        Ok(outputs)
    }

    /// A step run before retrying another returns to it: the retry waits
    /// its delay, or the workflow fails when the step failed.
    fn return_from_via(&mut self, step: &StepPlan, judged: Judged, clock: &dyn RunClock) {
        let passed = judged.passed;
        let reason = judged.reason_or("");
        self.record_step(step, judged, None, clock);
        let Some(f) = self.frame() else { return };
        let Some(via) = f.via.take() else { return };
        f.pc = via.return_pc;
        if passed {
            f.attempt = via.return_attempt;
            f.retries = via.return_retries;
            self.schedule_retry(via.delay_ms, DelaySource::RetryAfter, clock);
        } else {
            let msg = format!("step `{}`, run before retrying, failed: {reason}", step.id);
            self.fail(FailureKind::Workflow, msg, clock);
        }
    }

    /// No action applies: on to the next step, or the workflow fails.
    fn default_action(&mut self, step: &StepPlan, judged: Judged, clock: &dyn RunClock) {
        let passed = judged.passed;
        let kind = judged.kind_or(FailureKind::Criteria);
        let msg = format!(
            "step `{}` failed: {}",
            step.id,
            judged.reason_or("no reason")
        );
        let rec = action_record(
            None,
            if passed {
                ActionType::Next
            } else {
                ActionType::Fail
            },
            None,
        );
        self.record_step(step, judged, Some(rec), clock);
        if passed {
            if let Some(f) = self.frame() {
                f.pc += 1;
                f.attempt = 1;
                f.retries.clear();
                f.phase = Phase::StepBegin;
            }
        } else {
            self.fail(kind, msg, clock);
        }
    }

    /// An `end` action: the workflow ends, succeeded or failed as the step did.
    fn end(&mut self, step: &StepPlan, a: &ActionPlan, judged: Judged, clock: &dyn RunClock) {
        let passed = judged.passed;
        let msg = format!(
            "step `{}` failed and action `{}` ended the workflow: {}",
            step.id,
            a.name,
            judged.reason_or("")
        );
        let rec = action_record(Some(&a.name), ActionType::End, None);
        self.take_action(step, rec.clone());
        self.record_step(step, judged, Some(rec), clock);
        if passed {
            self.finish(Status::Succeeded, None, clock);
        } else {
            self.fail(FailureKind::Action, msg, clock);
        }
    }

    /// A goto to step `to` of the same workflow.
    fn goto_step(
        &mut self,
        step: &StepPlan,
        a: &ActionPlan,
        to: usize,
        judged: Judged,
        clock: &dyn RunClock,
    ) {
        let target = self
            .st
            .frames
            .last()
            .and_then(|f| self.plan.workflow(f.wf))
            .and_then(|w| w.steps.get(to))
            .map(|s| s.id.clone());
        let rec = action_record(Some(&a.name), ActionType::Goto, target);
        self.take_action(step, rec.clone());
        self.record_step(step, judged, Some(rec), clock);
        if let Some(f) = self.frame() {
            f.pc = to;
            f.attempt = 1;
            f.retries.clear();
            f.phase = Phase::StepBegin;
        }
    }

    /// The delay before a retry: the response's `Retry-After`, else the
    /// action's `retryAfter`, cut to the run's limit.
    fn retry_delay(
        &mut self,
        step: &StepPlan,
        after: Option<f64>,
        clock: &dyn RunClock,
    ) -> (u64, DelaySource) {
        let header = self
            .st
            .frames
            .last()
            .and_then(|f| f.exchange.as_ref())
            .and_then(|x| x.response_header("retry-after"));
        let unix_now = clock.now_ms() + self.st.wall_clock_offset_ms;
        let (mut delay, source) = match header.as_deref().and_then(|h| retry_after_ms(h, unix_now))
        {
            Some(ms) => (ms, DelaySource::RetryAfterHeader),
            None => match after {
                Some(s) => ((s * 1000.0) as u64, DelaySource::RetryAfter),
                None => (0, DelaySource::None),
            },
        };
        let cap = self.opts.max_retry_delay.as_millis() as u64;
        if delay > cap {
            let wf = self.st.frames.last().map(|f| f.wf);
            self.warn(
                wf,
                Some(&step.id),
                format!(
                    "retry delay of {} s cut to the limit of {} s",
                    delay / 1000,
                    cap / 1000
                ),
            );
            delay = cap;
        }
        (delay, source)
    }

    /// A retry action (number `i` of the step's failure actions): wait and
    /// run the step again, after running a step or workflow first if it says so.
    #[allow(clippy::too_many_arguments)]
    fn retry(
        &mut self,
        step: &StepPlan,
        i: usize,
        a: &ActionPlan,
        after: Option<f64>,
        via: Option<&Via>,
        judged: Judged,
        clock: &dyn RunClock,
    ) {
        let plan = self.plan.clone();
        let (delay, source) = self.retry_delay(step, after, clock);
        if let Some(c) = self.frame().and_then(|f| f.retries.get_mut(i)) {
            *c += 1;
        }
        // `retry` whose `stepId` is the failing step itself is a plain retry:
        // running the step as its own preparation would fail the workflow on
        // the very condition it retries.
        let pc = self.st.frames.last().map(|f| f.pc);
        let via = via.filter(|v| !matches!(v, Via::Step(s) if Some(*s) == pc));
        self.st.retries += 1;
        if self.st.retries > self.opts.max_retries {
            self.st.abort = Some(format!(
                "the run retried more than {} times",
                self.opts.max_retries
            ));
        }
        let wf = self.st.frames.last().and_then(|f| plan.workflow(f.wf));
        let target = via.map(|v| match v {
            Via::Step(s) => wf
                .and_then(|w| w.steps.get(*s))
                .map(|x| x.id.clone())
                .unwrap_or_default(),
            Via::Workflow { workflow, .. } => plan
                .workflow(*workflow)
                .map(|w| w.id.clone())
                .unwrap_or_default(),
        });
        let rec = action_record(Some(&a.name), ActionType::Retry, target);
        self.take_action(step, rec.clone());
        self.record_step(step, judged, Some(rec), clock);
        match via {
            None => self.schedule_retry(delay, source, clock),
            Some(Via::Step(s)) => {
                if let Some(f) = self.frame() {
                    f.via = Some(ViaStep {
                        return_pc: f.pc,
                        return_attempt: f.attempt,
                        return_retries: f.retries.clone(),
                        delay_ms: delay,
                    });
                    f.pc = *s;
                    f.attempt = 1;
                    f.retries.clear();
                    f.phase = Phase::StepBegin;
                }
            }
            Some(Via::Workflow { workflow, params }) => match self.action_inputs(params.as_deref())
            {
                Ok(inputs) => {
                    self.call(*workflow, inputs, Cont::RetryVia { delay_ms: delay }, clock)
                }
                Err(e) => self.fail(FailureKind::Request, e, clock),
            },
        }
    }

    /// Waits `delay_ms` (no longer than the run has left) before running the
    /// top frame's step again.
    pub(super) fn schedule_retry(
        &mut self,
        delay_ms: u64,
        source: DelaySource,
        clock: &dyn RunClock,
    ) {
        let duration =
            self.within_time_limit(std::time::Duration::from_millis(delay_ms), clock.now_ms());
        let delay_ms = duration.as_millis() as u64;
        let plan = self.plan.clone();
        let id = self.id();
        let Some(f) = self.frame() else { return };
        f.phase = Phase::AwaitRetry;
        let (wf, pc, attempt) = (f.wf, f.pc, f.attempt);
        let Some(w) = plan.workflow(wf) else {
            return;
        };
        let step_id = w.steps.get(pc).map(|s| s.id.clone()).unwrap_or_default();
        self.events.push(Event::RetryScheduled {
            workflow_id: w.id.clone(),
            step_id,
            attempt: attempt + 1,
            delay_ms,
            source,
        });
        self.issue(
            super::Command::Sleep { id, duration },
            super::Waiting::Sleep { id, duration },
        );
    }

    /// The first action whose criteria all pass; retry actions whose limit is
    /// used up are skipped, so later actions apply once the retries are spent.
    /// `Interrupted` when the run reached its time limit between two criteria.
    fn choose_action(
        &mut self,
        wf_i: WorkflowIndex,
        step: &StepPlan,
        actions: &[ActionPlan],
        clock: &dyn RunClock,
    ) -> Result<Option<usize>, Interrupted> {
        let plan = self.plan.clone();
        let mut evaluated = Vec::new();
        let mut chosen = None;
        let mut interrupted = false;
        'actions: for (i, a) in actions.iter().enumerate() {
            let Some(f) = self.st.frames.last() else {
                break;
            };
            if let ActionKind::Retry { limit, .. } = a.kind
                && f.retries.get(i).copied().unwrap_or(0) >= limit
            {
                continue;
            }
            let mut all = true;
            for c in &a.criteria {
                if self.out_of_time(clock) {
                    interrupted = true;
                    break 'actions;
                }
                let Some(f) = self.st.frames.last() else {
                    break 'actions;
                };
                let ctx = Ctx::new(&plan, &self.st, f, None);
                let v = c.criterion.evaluate(&ctx);
                evaluated.push((
                    a.name.clone(),
                    c.condition.clone(),
                    v.passed,
                    v.reason.clone(),
                ));
                if !v.passed {
                    all = false;
                    break;
                }
            }
            if all {
                chosen = Some(i);
                break;
            }
        }
        let wf_id = plan
            .workflow(wf_i)
            .map(|w| w.id.clone())
            .unwrap_or_default();
        for (name, condition, passed, reason) in evaluated {
            // Masked like the success criteria's: a reason quotes the response.
            let reason = reason.map(|r| self.secrets.mask(&r));
            self.events.push(Event::CriterionEvaluated {
                workflow_id: wf_id.clone(),
                step_id: step.id.clone(),
                of: name,
                condition,
                passed,
                reason,
            });
        }
        if interrupted {
            return Err(Interrupted);
        }
        Ok(chosen)
    }

    fn take_action(&mut self, step: &StepPlan, action: ActionRecord) {
        let wf = self.workflow_id();
        self.events.push(Event::ActionTaken {
            workflow_id: wf,
            step_id: step.id.clone(),
            action,
        });
    }
}
