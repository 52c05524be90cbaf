//! The serializable state of a run, and the check that a saved state fits
//! the plan it is resumed against.
//!
//! Nothing here holds a credential or a token: credentials are applied to a
//! request when the command that sends it is handed out ([`super::Run::next`]),
//! OAuth2 tokens live in the [`super::Run`] and are fetched again after a
//! resume, and the exchanges kept for `$request.*` carry the request with the
//! credential values masked. What a state does hold are the workflows'
//! inputs and outputs, which it needs to go on.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use arazzo_openapi::HttpRequest;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::exchange::Exchange;
use crate::plan::{ApiIndex, Plan, WorkflowIndex};
use crate::report::{Reason, RunReport, Status};

/// The version of the state's format; a state of another version is refused.
///
/// 2: a workflow execution reached by goto replaces the one that made the
/// goto on the stack and carries it in [`Frame::transfer`] (1 kept both).
pub const STATE_VERSION: u32 = 2;

/// Why a workflow execution was started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Cont {
    /// Requested by the caller.
    Root,
    /// A dependency (`dependsOn`) of the workflow below it.
    Dependency,
    /// Called by a workflow step of the frame below.
    Call,
    /// Run before retrying the frame below's step.
    RetryVia {
        /// The delay before the retry.
        delay_ms: u64,
    },
    /// The frame below transferred to it with a goto.
    Goto,
}

impl Cont {
    /// How the report names it.
    pub(crate) fn reason(self) -> Reason {
        match self {
            Cont::Root => Reason::Requested,
            Cont::Dependency => Reason::Dependency,
            Cont::Call | Cont::RetryVia { .. } => Reason::Called,
            Cont::Goto => Reason::Goto,
        }
    }
}

/// Where a workflow execution is, with what that place needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) enum Phase {
    /// Inputs not validated yet.
    Enter,
    /// Inputs validated (defaults applied); dependencies next.
    Prepared,
    /// About to run step `pc`.
    StepBegin,
    /// A request is built (without credentials) and waits to be authorized and sent.
    Send {
        /// The request.
        request: HttpRequest,
    },
    /// Waiting for an OAuth2 token before sending `request`.
    AwaitToken {
        /// The request to send once the token is there.
        request: HttpRequest,
        /// The security scheme the token is for.
        scheme: String,
    },
    /// Waiting for the step's response.
    AwaitResponse,
    /// Waiting for a called workflow (how it was called is the callee
    /// frame's `cont`).
    AwaitCallee,
    /// The step's exchange or call is complete: judge it.
    Judge,
    /// Waiting out a retry delay.
    AwaitRetry,
}

/// The result of a called workflow, as seen by its caller.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Callee {
    pub(crate) workflow: WorkflowIndex,
    pub(crate) status: Status,
    pub(crate) outputs: Map<String, Value>,
    pub(crate) error: Option<String>,
    pub(crate) last_exchange: Option<Arc<Exchange>>,
}

/// A retry that runs a step of the same workflow first.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ViaStep {
    /// The step to retry afterwards.
    pub(crate) return_pc: usize,
    /// Its attempt counter.
    pub(crate) return_attempt: u32,
    /// Retry counters of the step to retry.
    pub(crate) return_retries: Vec<u64>,
    /// The delay before the retry.
    pub(crate) delay_ms: u64,
}

/// One workflow execution on the call stack.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Frame {
    pub(crate) wf: WorkflowIndex,
    /// The inputs as validated (defaults applied).
    pub(crate) inputs: Map<String, Value>,
    /// The inputs as given.
    pub(crate) given: Map<String, Value>,
    /// Outputs of the steps that completed successfully.
    pub(crate) step_outputs: Vec<Option<Map<String, Value>>>,
    /// The current step.
    pub(crate) pc: usize,
    pub(crate) phase: Phase,
    pub(crate) attempt: u32,
    /// Retries taken per failure action of the current step.
    pub(crate) retries: Vec<u64>,
    /// Its record in the report.
    pub(crate) record: usize,
    pub(crate) cont: Cont,
    pub(crate) started_ms: u64,
    pub(crate) step_started_ms: u64,
    /// The current step's exchange.
    pub(crate) exchange: Option<Arc<Exchange>>,
    /// The last exchange of this workflow (or of the workflows it called).
    pub(crate) last_exchange: Option<Arc<Exchange>>,
    /// The result of the workflow the current step called.
    pub(crate) callee: Option<Callee>,
    /// Set while a step runs in preparation for retrying another.
    pub(crate) via: Option<ViaStep>,
    /// For an execution reached by goto: the executions that transferred to
    /// it, which end as it ends.
    pub(crate) transfer: Option<Box<Transfer>>,
}

/// The executions a goto chain has left behind, carried by the execution
/// the chain has reached.
///
/// A goto to a workflow is a tail call: the execution that makes it leaves
/// the stack and the target takes its place, so a workflow that restarts
/// itself a hundred thousand times keeps one frame (and the run's Rust stack
/// stays flat). What the left executions still need — their records, their
/// outputs, what their caller waits for — is kept here, and they are ended,
/// newest first, when the execution the chain reached ends.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Transfer {
    /// How the chain's first execution was started: what waits for the end
    /// of the chain (a calling step, a retry, nothing).
    pub(crate) cont: Cont,
    /// The first execution's last exchange, which its caller sees.
    pub(crate) last_exchange: Option<Arc<Exchange>>,
    /// The executions that made a goto, first first.
    pub(crate) from: Vec<Transferred>,
    /// For each workflow in `from`, the position of its latest execution
    /// (at most one entry per workflow of the plan), so that looking a
    /// workflow up does not walk the chain.
    pub(crate) latest: Vec<(WorkflowIndex, usize)>,
}

impl Transfer {
    /// A chain that starts with the execution `first` leaves.
    pub(crate) fn starting_at(first: &Frame) -> Transfer {
        Transfer {
            cont: first.cont,
            last_exchange: first.last_exchange.clone(),
            from: Vec::new(),
            latest: Vec::new(),
        }
    }

    /// Adds the execution that made the latest goto.
    pub(crate) fn push(&mut self, t: Transferred) {
        let i = self.from.len();
        match self.latest.iter_mut().find(|(wf, _)| *wf == t.wf) {
            Some(entry) => entry.1 = i,
            None => self.latest.push((t.wf, i)),
        }
        self.from.push(t);
    }

    /// The latest execution of `wf` in the chain.
    pub(crate) fn find(&self, wf: WorkflowIndex) -> Option<&Transferred> {
        let (_, i) = self.latest.iter().find(|(w, _)| *w == wf)?;
        self.from.get(*i)
    }
}

/// An execution that made a goto to a workflow and waits, off the stack,
/// for the end of its target.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Transferred {
    pub(crate) wf: WorkflowIndex,
    /// Its record in the report.
    pub(crate) record: usize,
    /// The step that made the goto (where a failure of it is placed).
    pub(crate) pc: usize,
    pub(crate) started_ms: u64,
    /// The inputs as validated.
    pub(crate) inputs: Map<String, Value>,
    /// Which steps completed successfully.
    pub(crate) completed_steps: Vec<bool>,
    /// Its outputs, used if the chain succeeds.
    pub(crate) outputs: PendingOutputs,
}

/// The outputs of an execution that made a goto.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) enum PendingOutputs {
    /// Evaluated at the goto: they read only the execution itself (its
    /// inputs, steps, last exchange), which the goto freezes, so the value is
    /// the one evaluating them at the end would give. The warnings are given
    /// only if the outputs are used.
    Ready {
        outputs: Map<String, Value>,
        warnings: Vec<String>,
    },
    /// They read `$workflows`, which may change while the target runs:
    /// evaluated when the chain ends, on the execution as it was.
    Later(Box<Frame>),
}

/// A running workflow execution, as [`RunState::running`] finds it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Running<'a> {
    /// On the stack.
    Frame(&'a Frame),
    /// Left by a goto, waiting for its target.
    Transferred(&'a Transferred),
}

impl<'a> Running<'a> {
    /// Its inputs (as validated): what `$workflows.<id>.inputs` reads of a
    /// running workflow.
    pub(crate) fn inputs(self) -> &'a Map<String, Value> {
        match self {
            Running::Frame(f) => &f.inputs,
            Running::Transferred(t) => &t.inputs,
        }
    }

    /// Whether its step `step` completed successfully.
    pub(crate) fn completed(self, step: usize) -> bool {
        match self {
            Running::Frame(f) => f.step_outputs.get(step).is_some_and(Option::is_some),
            Running::Transferred(t) => t.completed_steps.get(step).copied().unwrap_or(false),
        }
    }
}

/// A completed workflow, for `$workflows.<id>.*` and `dependsOn`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Done {
    pub(crate) status: Status,
    pub(crate) inputs: Map<String, Value>,
    pub(crate) outputs: Map<String, Value>,
    /// Which steps completed successfully (for step-level `dependsOn`).
    pub(crate) completed_steps: Vec<bool>,
    /// Whether it ran only as a workflow step or retry preparation, with its
    /// caller's inputs: a request to run it still runs it.
    #[serde(default)]
    pub(crate) called: bool,
}

/// The command a run waits on, without secrets: [`super::Run::next`] turns it
/// into the [`super::Command`] again (credentials applied) when asked before
/// the result arrives, also after a resume.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) enum Waiting {
    /// A step's request, as built before credentials were applied.
    Response {
        id: u64,
        request: HttpRequest,
        timeout: Duration,
    },
    /// A token request of API `api` for `scheme`.
    Token {
        id: u64,
        api: ApiIndex,
        scheme: String,
    },
    /// A retry delay.
    Sleep { id: u64, duration: Duration },
}

/// The serializable state of a run: persist it between commands and
/// [`Run::resume`](super::Run::resume) it later, in this process or another.
///
/// It holds no credential and no token (see the module documentation), and
/// it names the plan it belongs to: resuming it against another plan is an
/// error, not a wrong run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunState {
    /// [`STATE_VERSION`] when it was written.
    pub(crate) version: u32,
    /// [`Plan::fingerprint`] of the plan it runs.
    pub(crate) plan: String,
    pub(crate) queue: VecDeque<(WorkflowIndex, Map<String, Value>)>,
    pub(crate) frames: Vec<Frame>,
    pub(crate) done: HashMap<WorkflowIndex, Done>,
    pub(crate) report: RunReport,
    pub(crate) steps_executed: u64,
    pub(crate) retries: u64,
    pub(crate) started_ms: Option<u64>,
    pub(crate) next_id: u64,
    pub(crate) waiting: Option<Waiting>,
    pub(crate) abort: Option<String>,
    /// Whether `abort` came from [`Run::abort`](super::Run::abort) (failure
    /// kind `interrupted`) rather than a limit of the run (`limit`).
    #[serde(default)]
    pub(crate) interrupted: bool,
    pub(crate) wall_clock_offset_ms: u64,
}

impl RunState {
    pub(crate) fn new(
        plan: &Plan,
        queue: VecDeque<(WorkflowIndex, Map<String, Value>)>,
    ) -> RunState {
        RunState {
            version: STATE_VERSION,
            plan: plan.fingerprint(),
            queue,
            frames: Vec::new(),
            done: HashMap::new(),
            report: RunReport::default(),
            steps_executed: 0,
            retries: 0,
            started_ms: None,
            next_id: 0,
            waiting: None,
            abort: None,
            interrupted: false,
            wall_clock_offset_ms: 0,
        }
    }

    /// The fingerprint of the plan this state belongs to.
    pub fn plan_fingerprint(&self) -> &str {
        &self.plan
    }

    /// The latest running execution of workflow `wf`: on the stack, or left
    /// by a goto and waiting for its target (which sits at its place in the
    /// stack, so an execution is found before those that transferred to it).
    pub(crate) fn running(&self, wf: WorkflowIndex) -> Option<Running<'_>> {
        for f in self.frames.iter().rev() {
            if f.wf == wf {
                return Some(Running::Frame(f));
            }
            if let Some(t) = f.transfer.as_ref().and_then(|c| c.find(wf)) {
                return Some(Running::Transferred(t));
            }
        }
        None
    }

    /// Checks that the state was written for `plan` and that every index in
    /// it is one of the plan's, so that running it cannot index out of bounds.
    pub(crate) fn check(&self, plan: &Plan) -> Result<(), ResumeError> {
        if self.version != STATE_VERSION {
            return Err(ResumeError::Version {
                found: self.version,
                expected: STATE_VERSION,
            });
        }
        let expected = plan.fingerprint();
        if self.plan != expected {
            return Err(ResumeError::OtherPlan {
                state: self.plan.clone(),
                plan: expected,
            });
        }
        let steps_of = |wf: WorkflowIndex| plan.workflow(wf).map(|w| w.steps.len());
        let bad = |what: String| Err(ResumeError::Inconsistent(what));
        for (wf, _) in &self.queue {
            if steps_of(*wf).is_none() {
                return bad(format!("a queued workflow index {wf} is not in the plan"));
            }
        }
        for (wf, done) in &self.done {
            match steps_of(*wf) {
                Some(n) if n == done.completed_steps.len() => {}
                _ => return bad(format!("completed workflow {wf} does not match the plan")),
            }
        }
        for (i, f) in self.frames.iter().enumerate() {
            self.check_frame(plan, f, &format!("frame {i}"))?;
            let Some(chain) = &f.transfer else { continue };
            for (j, t) in chain.from.iter().enumerate() {
                let what = format!("execution {j} that transferred to frame {i}");
                match steps_of(t.wf) {
                    Some(n) if t.pc < n && t.completed_steps.len() == n => {}
                    _ => return bad(format!("{what} does not match the plan")),
                }
                if t.record >= self.report.workflows.len() {
                    return bad(format!("{what} has no record in the report"));
                }
                if let PendingOutputs::Later(frame) = &t.outputs {
                    if frame.wf != t.wf || frame.transfer.is_some() {
                        return bad(format!("{what} keeps another execution"));
                    }
                    self.check_frame(plan, frame, &what)?;
                }
            }
            let indexed = chain
                .latest
                .iter()
                .all(|(wf, j)| chain.from.get(*j).is_some_and(|t| t.wf == *wf));
            if !indexed || chain.latest.len() > chain.from.len() {
                return bad(format!("the goto chain of frame {i} is inconsistent"));
            }
        }
        if let Some(Waiting::Token { api, .. }) = &self.waiting
            && plan.api(*api).is_none()
        {
            return bad("the state waits for a token of an API that is not in the plan".into());
        }
        if self.waiting.is_some() && self.frames.is_empty() {
            return bad("the state waits on a command but runs no workflow".into());
        }
        Ok(())
    }
}

impl RunState {
    /// Checks that a frame's indices are the plan's; `what` names it.
    fn check_frame(&self, plan: &Plan, f: &Frame, what: &str) -> Result<(), ResumeError> {
        let steps_of = |wf: WorkflowIndex| plan.workflow(wf).map(|w| w.steps.len());
        let bad = |why: &str| Err(ResumeError::Inconsistent(format!("{what} {why}")));
        let Some(n) = steps_of(f.wf) else {
            return bad("runs a workflow that is not in the plan");
        };
        if f.pc > n || f.step_outputs.len() != n {
            return bad("is at a step the workflow does not have");
        }
        if f.record >= self.report.workflows.len() {
            return bad("has no record in the report");
        }
        if let Some(v) = &f.via
            && v.return_pc >= n
        {
            return bad("returns to a step the workflow does not have");
        }
        if let Some(c) = &f.callee
            && steps_of(c.workflow).is_none()
        {
            return bad("waits on a workflow that is not in the plan");
        }
        Ok(())
    }
}

/// Why a saved [`RunState`] cannot be resumed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResumeError {
    /// The state was written by another version of the state format.
    #[error("the run state has format version {found}; this engine reads version {expected}")]
    Version {
        /// The state's version.
        found: u32,
        /// The engine's.
        expected: u32,
    },
    /// The state belongs to another plan (another document, another
    /// description, other servers, or another engine version).
    #[error(
        "the run state belongs to another plan (state {state}, plan {plan}): the documents, their servers or the engine changed since it was saved"
    )]
    OtherPlan {
        /// The state's plan fingerprint.
        state: String,
        /// The plan's.
        plan: String,
    },
    /// The state names workflows, steps or records its plan does not have.
    #[error("the run state does not fit its plan: {0}")]
    Inconsistent(String),
}
