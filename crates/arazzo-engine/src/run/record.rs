//! What a run tells: step and workflow records in the report, events,
//! warnings (all with secrets masked), and ending a workflow execution,
//! which hands its result to whatever waits for it.

use arazzo_openapi::HttpRequest;
use serde_json::{Map, Value};

use super::judge::Judged;
use super::{Callee, Cont, Done, Phase, Run};
use crate::context::Ctx;
use crate::exchange::HttpResponse;
use crate::plan::{StepPlan, Target, WorkflowIndex};
use crate::report::{
    ActionRecord, DelaySource, Event, Failure, FailureKind, RunError, Status, StepRecord,
};

impl Run {
    /// A warning, masked, in the current workflow's record and as an event.
    pub(super) fn warn(&mut self, wf: Option<WorkflowIndex>, step: Option<&str>, message: String) {
        let message = self.secrets.mask(&message);
        let workflow_id = wf.and_then(|w| self.plan.workflow(w)).map(|w| w.id.clone());
        if let Some(f) = self.st.frames.last()
            && let Some(r) = self.st.report.workflows.get_mut(f.record)
        {
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
            duration_ms,
        });
    }

    fn loggable(&self, bytes: &[u8]) -> String {
        let max = self.opts.max_logged_body;
        let text = String::from_utf8_lossy(&bytes[..bytes.len().min(max)]).into_owned();
        let text = self.secrets.mask(&text);
        if bytes.len() > max {
            format!("{text}… ({} bytes in all)", bytes.len())
        } else {
            text
        }
    }

    /// The typed side of a failure of the top frame: its step (unless the
    /// failure is the workflow's own) and where that is written.
    fn failure(&self, kind: FailureKind) -> Option<Failure> {
        let f = self.st.frames.last()?;
        let wf = self.plan.workflow(f.wf)?;
        let step = match kind {
            FailureKind::Inputs | FailureKind::Limit | FailureKind::Internal => None,
            _ => wf.steps.get(f.pc).map(|_| f.pc),
        };
        Some(Failure {
            kind,
            step_id: step.and_then(|i| wf.steps.get(i)).map(|s| s.id.clone()),
            location: self.plan.place(f.wf, step),
        })
    }

    /// Records one execution of `step` in the report and as an event.
    pub(super) fn record_step(
        &mut self,
        step: &StepPlan,
        judged: Judged,
        action: Option<ActionRecord>,
        now_ms: u64,
    ) {
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
        let duration = match &f.exchange {
            Some(x) if x.request.is_some() => x.duration_ms,
            _ => now_ms.saturating_sub(f.step_started_ms),
        };
        let workflow_id = match step.target {
            Target::Workflow(w) => plan.workflow(w).map(|w| w.id.clone()),
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
            outputs: self.secrets.mask_value(&Value::Object(judged.outputs)),
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
        };
        let wf_id = plan
            .workflow(f.wf)
            .map(|w| w.id.clone())
            .unwrap_or_default();
        if let Some(r) = self.st.report.workflows.get_mut(f.record) {
            r.steps.push(record.clone());
        }
        self.events.push(Event::StepFinished {
            workflow_id: wf_id,
            record,
        });
    }

    /// Ends the top workflow execution as failed.
    pub(super) fn fail(&mut self, kind: FailureKind, message: String, now_ms: u64) {
        self.finish(Status::Failed, Some(RunError::new(kind, message)), now_ms);
    }

    /// Evaluates the top workflow's outputs; absent or failing ones are
    /// null, with a warning.
    fn workflow_outputs(&mut self) -> Map<String, Value> {
        let plan = &self.plan;
        let mut outputs = Map::new();
        let mut warnings = Vec::new();
        let Some(frame) = self.st.frames.last() else {
            return outputs;
        };
        let Some(wf) = plan.workflow(frame.wf) else {
            return outputs;
        };
        let ctx = Ctx::new(plan, &self.st, frame, None);
        for o in &wf.outputs {
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
        let wf_i = frame.wf;
        for w in warnings {
            self.warn(Some(wf_i), None, w);
        }
        outputs
    }

    /// Ends the top workflow execution and resumes whatever waits for it.
    pub(super) fn finish(&mut self, status: Status, error: Option<RunError>, now_ms: u64) {
        let plan = self.plan.clone();
        let outputs = if status == Status::Succeeded {
            self.workflow_outputs()
        } else {
            Map::new()
        };
        let failure = error.as_ref().and_then(|e| self.failure(e.kind));
        let Some(frame) = self.st.frames.pop() else {
            return;
        };
        let wf_id = plan
            .workflow(frame.wf)
            .map(|w| w.id.clone())
            .unwrap_or_default();
        let kind = error.as_ref().map(|e| e.kind);
        let error = error.map(|e| self.secrets.mask(&e.message));
        let masked_outputs = self.secrets.mask_value(&Value::Object(outputs.clone()));
        if let Some(r) = self.st.report.workflows.get_mut(frame.record) {
            r.status = status;
            r.outputs = masked_outputs;
            r.duration_ms = now_ms.saturating_sub(frame.started_ms);
            r.error = error.clone();
            r.failure = failure;
            let record = r.clone();
            self.events.push(Event::WorkflowFinished { record });
        }
        self.st.done.insert(
            frame.wf,
            Done {
                status,
                inputs: frame.inputs.clone(),
                outputs: outputs.clone(),
                completed_steps: frame.step_outputs.iter().map(Option::is_some).collect(),
                called: matches!(frame.cont, Cont::Call | Cont::RetryVia { .. }),
            },
        );
        match frame.cont {
            Cont::Root | Cont::Dependency => {}
            Cont::Call => {
                if let Some(parent) = self.frame() {
                    parent.callee = Some(Callee {
                        workflow: frame.wf,
                        status,
                        outputs,
                        error,
                        last_exchange: frame.last_exchange.clone(),
                    });
                    // The called workflow's last exchange is now the caller's
                    // last exchange too, so it propagates through nested calls.
                    if frame.last_exchange.is_some() {
                        parent.last_exchange = frame.last_exchange.clone();
                    }
                    parent.exchange = frame.last_exchange;
                    parent.phase = Phase::Judge;
                }
            }
            Cont::RetryVia { delay_ms } => {
                if status == Status::Succeeded {
                    self.schedule_retry(delay_ms, DelaySource::RetryAfter);
                } else {
                    let msg = format!(
                        "workflow `{wf_id}`, run before retrying, failed: {}",
                        error.unwrap_or_default()
                    );
                    self.fail(FailureKind::Workflow, msg, now_ms);
                }
            }
            Cont::Goto => {
                // A goto to a workflow is a one-way transfer: the workflow that
                // made it ends as the target ended.
                let error = error.map(|e| {
                    let message = if e.contains("(reached by goto)") {
                        e
                    } else {
                        format!("workflow `{wf_id}` (reached by goto) failed: {e}")
                    };
                    RunError::new(kind.unwrap_or(FailureKind::Workflow), message)
                });
                self.finish(status, error, now_ms);
            }
        }
    }
}
