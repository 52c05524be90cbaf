//! What a run tells: step and workflow records in the report, events,
//! warnings (all with secrets masked), and ending a workflow execution,
//! which hands its result to whatever waits for it.

use std::sync::Arc;

use arazzo_openapi::HttpRequest;
use serde_json::{Map, Value};

use super::judge::{Interrupted, Judged};
use super::{Callee, Cont, Done, PendingOutputs, Phase, Run, RunClock, Transferred};
use crate::context::Ctx;
use crate::exchange::HttpResponse;
use crate::plan::{StepPlan, Target, WorkflowIndex};
use crate::report::{
    ActionRecord, DelaySource, Event, Failure, FailureKind, ResponseDetail, RunError, Status,
    StepRecord,
};

impl Run {
    /// A warning, masked, in the current workflow's record and as an event.
    pub(super) fn warn(&mut self, wf: Option<WorkflowIndex>, step: Option<&str>, message: String) {
        let record = self.st.frames.last().map(|f| f.record);
        self.warn_in(record, wf, step, message);
    }

    /// A warning, masked, in workflow record `record` and as an event.
    fn warn_in(
        &mut self,
        record: Option<usize>,
        wf: Option<WorkflowIndex>,
        step: Option<&str>,
        message: String,
    ) {
        let message = self.secrets.mask(&message);
        let workflow_id = wf.and_then(|w| self.plan.workflow(w)).map(|w| w.id.clone());
        if let Some(r) = record.and_then(|i| self.st.report.workflows.get_mut(i)) {
            r.warnings.push(message.clone());
        }
        self.events.push(Event::Warning {
            workflow_id,
            step_id: step.map(str::to_string),
            message,
        });
    }

    pub(super) fn log_request(&mut self, wf: &str, step: &str, req: &HttpRequest) {
        let body = req.body.as_ref().map(|b| self.loggable(b));
        self.events.push(Event::RequestSent {
            workflow_id: wf.to_string(),
            step_id: step.to_string(),
            method: req.method.clone(),
            url: self.secrets.mask(&req.url),
            headers: self.secrets.mask_headers(&req.headers),
            body,
            body_size: req.body.as_ref().map_or(0, Vec::len),
        });
    }

    pub(super) fn log_response(
        &mut self,
        wf: &str,
        step: &str,
        resp: &HttpResponse,
        duration_ms: u64,
    ) {
        let body = (!resp.body.is_empty()).then(|| self.loggable(&resp.body));
        self.events.push(Event::ResponseReceived {
            workflow_id: wf.to_string(),
            step_id: step.to_string(),
            status: resp.status,
            headers: self.secrets.mask_headers(&resp.headers),
            body,
            body_size: resp.body.len(),
            duration_ms,
        });
    }

    fn loggable(&self, bytes: &[u8]) -> String {
        let max = self.opts.max_logged_body;
        let text = String::from_utf8_lossy(&bytes[..bytes.len().min(max)]).into_owned();
        // Masked with the cut mark, which masking knows: a secret the cut
        // goes through is masked too.
        let text = if bytes.len() > max {
            format!("{text}… ({} bytes in all)", bytes.len())
        } else {
            text
        };
        self.secrets.mask(&text)
    }

    /// The typed side of a failure of the top frame: its step (unless the
    /// failure is the workflow's own) and where that is written.
    fn failure(&self, kind: FailureKind) -> Option<Failure> {
        let f = self.st.frames.last()?;
        self.failure_at(f.wf, f.pc, kind)
    }

    /// The typed side of a failure of an execution of `wf` at step `pc`.
    fn failure_at(&self, wf_i: WorkflowIndex, pc: usize, kind: FailureKind) -> Option<Failure> {
        let wf = self.plan.workflow(wf_i)?;
        let step = match kind {
            FailureKind::Inputs
            | FailureKind::Limit
            | FailureKind::Interrupted
            | FailureKind::Internal => None,
            _ => wf.steps.get(pc).map(|_| pc),
        };
        Some(Failure {
            kind,
            step_id: step.and_then(|i| wf.steps.get(i)).map(|s| s.id.clone()),
            location: self.plan.place(wf_i, step),
        })
    }

    /// Records one execution of `step` in the report and as an event. Its
    /// duration is its exchange's and the time judging it took; for a step
    /// without an exchange of its own (a workflow step, a request that could
    /// not be built), the time since it began.
    pub(super) fn record_step(
        &mut self,
        step: &StepPlan,
        judged: Judged,
        action: Option<ActionRecord>,
        clock: &dyn RunClock,
    ) {
        let now_ms = clock.now_ms();
        let judging = now_ms.saturating_sub(self.judge_started_ms);
        let plan = &self.plan;
        let Some(f) = self.st.frames.last() else {
            return;
        };
        let (method, url, status_code) = match &f.exchange {
            Some(x) => (
                x.request.as_ref().map(|r| r.method.clone()),
                x.request.as_ref().map(|r| self.secrets.mask(&r.url)),
                x.status,
            ),
            None => (None, None, None),
        };
        // A workflow step's exchange is its callee's last one: the step took
        // the whole call, and its judging.
        let duration = match (&step.target, &f.exchange) {
            (Target::Operation(_), Some(x)) if x.request.is_some() => {
                x.duration_ms.saturating_add(judging)
            }
            _ => now_ms.saturating_sub(f.step_started_ms),
        };
        let workflow_id = match step.target {
            Target::Workflow(w) => plan.workflow(w).map(|w| w.id.clone()),
            _ => None,
        };
        // A failed operation step that got a response keeps what the server
        // said: the headers that explain it and the start of the body.
        let response = match (&step.target, &f.exchange) {
            (Target::Operation(_), Some(x)) if !judged.passed && x.status.is_some() => {
                let mut d = ResponseDetail::new(&x.headers, x.body.as_ref(), x.body_len);
                d.headers = self.secrets.mask_headers(&d.headers);
                d.body = d.body.map(|b| self.secrets.mask(&b));
                Some(d)
            }
            _ => None,
        };
        let (error, failure) = match (judged.passed, judged.error) {
            (false, Some(e)) => (Some(self.secrets.mask(&e.message)), self.failure(e.kind)),
            _ => (None, None),
        };
        let record = StepRecord {
            step_id: step.id.clone(),
            status: if judged.passed {
                Status::Succeeded
            } else {
                Status::Failed
            },
            status_code: if workflow_id.is_some() {
                None
            } else {
                status_code
            },
            attempt: f.attempt,
            method,
            url,
            duration_ms: duration,
            outputs: Arc::new(self.secrets.mask_owned(Value::Object(judged.outputs))),
            action,
            error,
            failure,
            criteria: judged
                .criteria
                .into_iter()
                .map(|mut c| {
                    c.reason = c.reason.map(|r| self.secrets.mask(&r));
                    c
                })
                .collect(),
            workflow_id,
            response,
            contract: judged
                .contract
                .into_iter()
                .map(|mut p| {
                    p.message = self.secrets.mask(&p.message);
                    p.instance_path = p.instance_path.map(|at| self.secrets.mask(&at));
                    p
                })
                .collect(),
        };
        let wf_id = plan
            .workflow(f.wf)
            .map(|w| w.id.clone())
            .unwrap_or_default();
        if let Some(r) = self.st.report.workflows.get_mut(f.record) {
            r.steps.push(record.clone());
        }
        let wf_i = f.wf;
        let warnings: Vec<String> = match self.opts.check_responses {
            super::CheckResponses::Warn => record
                .contract
                .iter()
                .map(|p| format!("the response does not match the description: {p}"))
                .collect(),
            _ => Vec::new(),
        };
        self.events.push(Event::StepFinished {
            workflow_id: wf_id,
            record,
        });
        for w in warnings {
            self.warn(Some(wf_i), Some(&step.id), w);
        }
    }

    /// Ends the top workflow execution as failed.
    pub(super) fn fail(&mut self, kind: FailureKind, message: String, clock: &dyn RunClock) {
        self.finish(Status::Failed, Some(RunError::new(kind, message)), clock);
    }

    /// Evaluates the top workflow's outputs; absent or failing ones are null,
    /// with a warning (returned, for the caller to give). `Interrupted` when
    /// the run reached its time limit before they were all evaluated.
    pub(super) fn workflow_outputs(
        &mut self,
        clock: &dyn RunClock,
    ) -> Result<(Map<String, Value>, Vec<String>), Interrupted> {
        let plan = self.plan.clone();
        let mut outputs = Map::new();
        let mut warnings = Vec::new();
        let Some(wf) = self.st.frames.last().and_then(|f| plan.workflow(f.wf)) else {
            return Ok((outputs, warnings));
        };
        for o in &wf.outputs {
            if self.out_of_time(clock) {
                return Err(Interrupted);
            }
            let Some(frame) = self.st.frames.last() else {
                break;
            };
            let ctx = Ctx::new(&plan, &self.st, frame, None);
            let value = match o.value.evaluate(&ctx) {
                Ok(Some(v)) => v,
                Ok(None) => {
                    warnings.push(format!(
                        "workflow output `{}` is absent; it is set to null",
                        o.name
                    ));
                    Value::Null
                }
                Err(e) => {
                    warnings.push(format!(
                        "workflow output `{}` could not be evaluated ({e}); it is set to null",
                        o.name
                    ));
                    Value::Null
                }
            };
            outputs.insert(o.name.clone(), value);
        }
        Ok((outputs, warnings))
    }

    /// Ends the top workflow execution and resumes whatever waits for it;
    /// when that is a frame that fails with it (a retry's preparation
    /// failed), ends that one too — a loop, not recursion, so ending a deep
    /// stack takes no Rust stack.
    pub(super) fn finish(&mut self, status: Status, error: Option<RunError>, clock: &dyn RunClock) {
        let mut next = Some((status, error));
        while let Some((status, error)) = next {
            next = self.finish_top(status, error, clock);
        }
    }

    /// Ends the top workflow execution, and the executions that transferred
    /// to it by goto, newest first, each as the one after it ended; then
    /// hands the result to what waits for the chain's first execution.
    /// Returns the failure of the frame below when it fails with it.
    fn finish_top(
        &mut self,
        status: Status,
        error: Option<RunError>,
        clock: &dyn RunClock,
    ) -> Option<(Status, Option<RunError>)> {
        let (mut status, mut error) = (status, error);
        let mut outputs = Map::new();
        if status == Status::Succeeded {
            match self.workflow_outputs(clock) {
                Ok((values, warnings)) => {
                    let wf = self.st.frames.last().map(|f| f.wf);
                    for w in warnings {
                        self.warn(wf, None, w);
                    }
                    outputs = values;
                }
                Err(Interrupted) => (status, error) = (Status::Failed, Some(self.limit_error())),
            }
        }
        let failure = error.as_ref().and_then(|e| self.failure(e.kind));
        let mut frame = self.st.frames.pop()?;
        let chain = frame.transfer.take();
        let called = chain.is_none() && matches!(frame.cont, Cont::Call | Cont::RetryVia { .. });
        let mut ended = Ended {
            wf: frame.wf,
            status,
            error: error.map(|e| RunError::new(e.kind, self.secrets.mask(&e.message))),
            outputs,
        };
        self.close(
            &ended,
            failure,
            frame.record,
            frame.started_ms,
            Done {
                status,
                inputs: frame.inputs,
                outputs: ended.outputs.clone(),
                completed_steps: frame.step_outputs.iter().map(Option::is_some).collect(),
                called,
            },
            clock,
        );
        let (cont, last_exchange) = match chain {
            None => (frame.cont, frame.last_exchange),
            Some(chain) => {
                let chain = *chain;
                let first_called = matches!(chain.cont, Cont::Call | Cont::RetryVia { .. });
                for (i, t) in chain.from.into_iter().enumerate().rev() {
                    ended = self.end_transferred(t, &ended, i == 0 && first_called, clock);
                }
                (chain.cont, chain.last_exchange)
            }
        };
        let wf_id = self
            .plan
            .workflow(ended.wf)
            .map(|w| w.id.clone())
            .unwrap_or_default();
        let error = ended.error.map(|e| e.message);
        match cont {
            // Nothing waits for a requested workflow or a dependency; and a
            // frame reached by goto always carries its chain, so `Goto` is
            // only the chain's own reason.
            Cont::Root | Cont::Dependency | Cont::Goto => None,
            Cont::Call => {
                if let Some(parent) = self.frame() {
                    parent.callee = Some(Callee {
                        workflow: ended.wf,
                        status: ended.status,
                        outputs: ended.outputs,
                        error,
                        last_exchange: last_exchange.clone(),
                    });
                    // The called workflow's last exchange is now the caller's
                    // last exchange too, so it propagates through nested calls.
                    if last_exchange.is_some() {
                        parent.last_exchange = last_exchange.clone();
                    }
                    parent.exchange = last_exchange;
                    parent.phase = Phase::Judge;
                }
                None
            }
            Cont::RetryVia { delay_ms } => {
                if ended.status == Status::Succeeded {
                    self.schedule_retry(delay_ms, DelaySource::RetryAfter, clock);
                    return None;
                }
                let msg = format!(
                    "workflow `{wf_id}`, run before retrying, failed: {}",
                    error.unwrap_or_default()
                );
                Some((
                    Status::Failed,
                    Some(RunError::new(FailureKind::Workflow, msg)),
                ))
            }
        }
    }

    /// Ends an execution that made a goto, as its target (`target`) ended:
    /// with its status, and its error said once to come from the target.
    fn end_transferred(
        &mut self,
        t: Transferred,
        target: &Ended,
        called: bool,
        clock: &dyn RunClock,
    ) -> Ended {
        let target_id = self
            .plan
            .workflow(target.wf)
            .map(|w| w.id.as_str())
            .unwrap_or("");
        let mut status = target.status;
        let mut error = target.error.as_ref().map(|e| {
            let message = if e.message.contains("(reached by goto)") {
                e.message.clone()
            } else {
                format!(
                    "workflow `{target_id}` (reached by goto) failed: {}",
                    e.message
                )
            };
            RunError::new(e.kind, message)
        });
        let mut outputs = Map::new();
        if status == Status::Succeeded {
            let computed = match t.outputs {
                PendingOutputs::Ready { outputs, warnings } => Ok((outputs, warnings)),
                PendingOutputs::Later(frame) => {
                    // On the stack again while its outputs are evaluated, so
                    // that they see the run as they would have at its end.
                    self.st.frames.push(*frame);
                    let computed = self.workflow_outputs(clock);
                    self.st.frames.pop();
                    computed
                }
            };
            match computed {
                Ok((values, warnings)) => {
                    for w in warnings {
                        self.warn_in(Some(t.record), Some(t.wf), None, w);
                    }
                    outputs = values;
                }
                Err(Interrupted) => {
                    status = Status::Failed;
                    let e = self.limit_error();
                    error = Some(RunError::new(e.kind, self.secrets.mask(&e.message)));
                }
            }
        }
        let failure = error
            .as_ref()
            .and_then(|e| self.failure_at(t.wf, t.pc, e.kind));
        let ended = Ended {
            wf: t.wf,
            status,
            error,
            outputs,
        };
        self.close(
            &ended,
            failure,
            t.record,
            t.started_ms,
            Done {
                status,
                inputs: t.inputs,
                outputs: ended.outputs.clone(),
                completed_steps: t.completed_steps,
                called,
            },
            clock,
        );
        ended
    }

    /// Writes an ended execution's record (outputs and error masked), tells
    /// it as an event, and keeps it for `$workflows` and `dependsOn`.
    fn close(
        &mut self,
        ended: &Ended,
        failure: Option<Failure>,
        record: usize,
        started_ms: u64,
        done: Done,
        clock: &dyn RunClock,
    ) {
        let masked_outputs = self
            .secrets
            .mask_owned(Value::Object(ended.outputs.clone()));
        if let Some(r) = self.st.report.workflows.get_mut(record) {
            r.status = ended.status;
            r.outputs = Arc::new(masked_outputs);
            r.duration_ms = clock.now_ms().saturating_sub(started_ms);
            r.error = ended.error.as_ref().map(|e| e.message.clone());
            r.failure = failure;
            let record = r.clone();
            self.events.push(Event::WorkflowFinished { record });
        }
        self.st.done.insert(ended.wf, done);
    }

    /// The failure of a run stopped by a limit (its time limit, usually).
    pub(super) fn limit_error(&self) -> RunError {
        let reason = self
            .st
            .abort
            .clone()
            .unwrap_or_else(|| "the run was stopped".into());
        RunError::new(self.abort_kind(), reason)
    }

    /// The failure kind of a stopped run: `interrupted` when it was stopped
    /// from outside ([`Run::abort`]), `limit` when it reached one of its limits.
    pub(super) fn abort_kind(&self) -> FailureKind {
        if self.st.interrupted {
            FailureKind::Interrupted
        } else {
            FailureKind::Limit
        }
    }
}

/// How a workflow execution ended, as the next one of its goto chain (or
/// what waits for the chain) sees it. The error's message is masked.
struct Ended {
    wf: WorkflowIndex,
    status: Status,
    error: Option<RunError>,
    outputs: Map<String, Value>,
}
