//! A run: the state machine that executes workflows of a [`Plan`].
//!
//! The machine does no I/O. [`Run::next`] returns a [`Command`] — send this
//! request, sleep this long, or finished — and the caller feeds the result
//! back with [`Run::deliver`] or [`Run::woke`]. Time comes from the caller
//! too (`now_ms`). One machine therefore serves the tokio driver, scripted
//! deterministic tests, and any durable executor that journals commands;
//! [`RunState`] is serializable so a run can be persisted between commands.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use arazzo_openapi::HttpRequest;
use arazzo_openapi::request::{BodyValue, ParamValue, build_request};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::auth::{self, AuthDecision, ClientAuth, Credential, Credentials};
use crate::context::Ctx;
use crate::exchange::{
    Exchange, HttpResponse, TransportError, parse_body, replace, retry_after_ms,
};
use crate::plan::*;
use crate::report::*;
use crate::secrets::Secrets;

/// The longest `Arazzo-Expect` header a step sends to a mock server.
const MAX_EXPECT_HEADER: usize = 8 * 1024;

/// Bounds and policies of a run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Steps executed per run, counting every retry and goto (guards goto loops).
    pub max_steps: u64,
    /// Nesting depth of workflow calls, dependencies and transfers.
    pub max_depth: usize,
    /// Retries per run.
    pub max_retries: u64,
    /// The longest wait before a retry; a longer `Retry-After` is cut to this.
    pub max_retry_delay: Duration,
    /// The whole run's time limit.
    pub run_timeout: Option<Duration>,
    /// The default per-request timeout (a step's `timeout` replaces it).
    pub request_timeout: Duration,
    /// Ask mock servers for the response a step expects: its status
    /// (`Prefer: code=N`) and the values its success criteria name
    /// (`Arazzo-Expect`, see `docs/mock.md#expected-values`).
    pub prefer_expected_status: bool,
    /// How many bytes of bodies events carry.
    pub max_logged_body: usize,
    /// Warn when an operation needs credentials the run does not have (off
    /// against a mock server, which checks no security).
    pub warn_missing_credentials: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            max_steps: 1000,
            max_depth: 32,
            max_retries: 100,
            max_retry_delay: Duration::from_secs(300),
            run_timeout: None,
            request_timeout: Duration::from_secs(30),
            prefer_expected_status: false,
            max_logged_body: 4096,
            warn_missing_credentials: true,
        }
    }
}

/// What the machine needs next.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Command {
    /// Send a request and [`Run::deliver`] the result with this id.
    Send {
        /// Correlates the result.
        id: u64,
        /// The request.
        request: HttpRequest,
        /// Give up after this long.
        timeout: Duration,
    },
    /// Wait, then call [`Run::woke`] with this id.
    Sleep {
        /// Correlates the wake-up.
        id: u64,
        /// How long.
        duration: Duration,
    },
    /// The run is over; [`Run::report`] has the result.
    Finished,
}

/// Why a workflow execution was started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
enum Cont {
    /// Requested by the caller.
    Root,
    /// A dependency (`dependsOn`) of the workflow below it.
    Dependency,
    /// Called by a workflow step of the frame below.
    Call,
    /// Run before retrying the frame below's step.
    RetryVia { delay_ms: u64 },
    /// The frame below transferred to it with a goto.
    Goto,
}

impl Cont {
    fn reason(self) -> &'static str {
        match self {
            Cont::Root => "requested",
            Cont::Dependency => "dependency",
            Cont::Call | Cont::RetryVia { .. } => "called",
            Cont::Goto => "goto",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
enum Phase {
    /// Inputs, dependencies.
    Enter,
    /// About to run step `pc`.
    StepBegin,
    /// A request is built and waits for auth or to be sent.
    Send,
    /// Waiting for the step's response.
    AwaitResponse,
    /// Waiting for an OAuth2 token.
    AwaitToken,
    /// Waiting for a called workflow (step call, retry-via or goto transfer).
    AwaitCallee,
    /// The step's exchange or call is complete: judge it.
    Judge,
    /// Waiting out a retry delay.
    AwaitRetry,
}

/// The result of a called workflow, as seen by its caller.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Callee {
    pub(crate) workflow: usize,
    pub(crate) status: Status,
    pub(crate) outputs: Map<String, Value>,
    pub(crate) error: Option<String>,
    pub(crate) last_exchange: Option<Exchange>,
}

/// A retry that runs a step of the same workflow first.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct ViaStep {
    /// The step to retry afterwards.
    return_pc: usize,
    /// Its attempt counter.
    return_attempt: u32,
    /// Retry counters of the step to retry.
    return_retries: Vec<u64>,
    /// The delay before the retry.
    delay_ms: u64,
}

/// One workflow execution on the call stack.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Frame {
    pub(crate) wf: usize,
    pub(crate) inputs: Map<String, Value>,
    pub(crate) given: Map<String, Value>,
    pub(crate) step_outputs: Vec<Option<Map<String, Value>>>,
    pub(crate) pc: usize,
    phase: Phase,
    attempt: u32,
    retries: Vec<u64>,
    record: usize,
    cont: Cont,
    started_ms: u64,
    step_started_ms: u64,
    pub(crate) exchange: Option<Exchange>,
    pub(crate) last_exchange: Option<Exchange>,
    pub(crate) callee: Option<Callee>,
    via: Option<ViaStep>,
    pending: Option<HttpRequest>,
    token_scheme: Option<String>,
    /// Whether `inputs` were validated (with defaults applied).
    #[serde(default)]
    prepared: bool,
    /// Which step a called workflow belongs to (for the step record).
    call_kind: Option<CallKind>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
enum CallKind {
    Step,
    RetryVia,
    Goto,
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

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Token {
    value: String,
    expires_ms: Option<u64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
enum Waiting {
    Response(u64),
    Token(u64),
    Sleep(u64),
}

/// The serializable state of a run.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RunState {
    queue: VecDeque<(usize, Map<String, Value>)>,
    pub(crate) frames: Vec<Frame>,
    pub(crate) done: HashMap<usize, Done>,
    report: RunReport,
    steps_executed: u64,
    retries: u64,
    started_ms: Option<u64>,
    next_id: u64,
    tokens: HashMap<String, Token>,
    secrets: Secrets,
    waiting: Option<Waiting>,
    /// The command the run waits on, returned again if `next` is called before its result arrives.
    outstanding: Option<Command>,
    abort: Option<String>,
    wall_clock_offset_ms: u64,
}

/// A run of one or more workflows.
pub struct Run {
    plan: Arc<Plan>,
    creds: Arc<Credentials>,
    opts: RunOptions,
    st: RunState,
    events: Vec<Event>,
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Run").field("state", &self.st).finish()
    }
}

/// Why a run could not start.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StartError {
    /// No workflow with this id in the root document.
    #[error("there is no workflow `{0}`")]
    UnknownWorkflow(String),
}

impl Run {
    /// A run of the root document's workflows `requests` (id, inputs), in order.
    pub fn new(
        plan: Arc<Plan>,
        creds: Arc<Credentials>,
        opts: RunOptions,
        requests: Vec<(String, Map<String, Value>)>,
    ) -> Result<Run, StartError> {
        let mut queue = VecDeque::new();
        for (id, inputs) in requests {
            let wf = plan
                .workflow_index(&id)
                .ok_or_else(|| StartError::UnknownWorkflow(id.clone()))?;
            queue.push_back((wf, inputs));
        }
        let mut secrets = Secrets::default();
        for s in creds.secret_values() {
            secrets.add(&s);
        }
        Ok(Run {
            plan,
            creds,
            opts,
            st: RunState {
                queue,
                secrets,
                ..RunState::default()
            },
            events: Vec::new(),
        })
    }

    /// Resumes a run from saved state.
    pub fn resume(
        plan: Arc<Plan>,
        creds: Arc<Credentials>,
        opts: RunOptions,
        state: RunState,
    ) -> Run {
        Run {
            plan,
            creds,
            opts,
            st: state,
            events: Vec::new(),
        }
    }

    /// The state, for persisting between commands.
    pub fn state(&self) -> &RunState {
        &self.st
    }

    /// Tells the run the wall-clock time (Unix epoch ms) at `now_ms`, so an
    /// HTTP-date `Retry-After` can be turned into a delay.
    pub fn set_wall_clock(&mut self, unix_ms: u64, now_ms: u64) {
        self.st.wall_clock_offset_ms = unix_ms.saturating_sub(now_ms);
    }

    /// The report so far (complete once [`Command::Finished`] was returned).
    pub fn report(&self) -> &RunReport {
        &self.st.report
    }

    /// Takes the events produced since the last call.
    pub fn take_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.events)
    }

    /// `text` with the run's secrets masked (for logging requests outside the run).
    pub fn mask(&self, text: &str) -> String {
        self.st.secrets.mask(text)
    }

    /// The plan.
    pub fn plan(&self) -> &Arc<Plan> {
        &self.plan
    }

    fn id(&mut self) -> u64 {
        self.st.next_id += 1;
        self.st.next_id
    }

    fn warn(&mut self, wf: Option<usize>, step: Option<&str>, message: String) {
        let message = self.st.secrets.mask(&message);
        let workflow_id = wf
            .and_then(|w| self.plan.workflows.get(w))
            .map(|w| w.id.clone());
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

    /// Returns what the run needs next. Call it again after feeding a result.
    pub fn next(&mut self, now_ms: u64) -> Command {
        if self.st.started_ms.is_none() {
            self.st.started_ms = Some(now_ms);
        }
        loop {
            if self.st.waiting.is_some() {
                // Waiting for a result: the same command again.
                return self.st.outstanding.clone().unwrap_or(Command::Finished);
            }
            if self.st.abort.is_none()
                && let (Some(limit), Some(start)) = (self.opts.run_timeout, self.st.started_ms)
                && now_ms.saturating_sub(start) > limit.as_millis() as u64
            {
                self.st.abort = Some(format!(
                    "the run exceeded its time limit of {} s",
                    limit.as_secs_f64()
                ));
            }
            if let Some(reason) = self.st.abort.clone()
                && !self.st.frames.is_empty()
            {
                self.finish(Status::Failed, Some(reason), now_ms);
                continue;
            }
            let Some(frame) = self.st.frames.last() else {
                // Start the next requested workflow, unless it already ran (as a
                // dependency, or requested twice); one only called by a step still runs.
                let Some((wf, inputs)) = self.st.queue.pop_front() else {
                    return Command::Finished;
                };
                if self.st.abort.is_some() || self.st.done.get(&wf).is_some_and(|d| !d.called) {
                    continue;
                }
                self.push_frame(wf, inputs, Cont::Root, now_ms);
                continue;
            };
            match frame.phase.clone() {
                Phase::Enter => self.enter(now_ms),
                Phase::StepBegin => {
                    if let Some(cmd) = self.step_begin(now_ms) {
                        return cmd;
                    }
                }
                Phase::Send => {
                    if let Some(cmd) = self.send(now_ms) {
                        return cmd;
                    }
                }
                Phase::Judge => self.judge(now_ms),
                Phase::AwaitResponse
                | Phase::AwaitToken
                | Phase::AwaitRetry
                | Phase::AwaitCallee => {
                    // A frame waits but the run does not: its callee finished
                    // without resuming it, which would be a bug; fail rather than hang.
                    self.finish(
                        Status::Failed,
                        Some(
                            "internal error: the workflow lost track of what it waited for".into(),
                        ),
                        now_ms,
                    );
                }
            }
        }
    }

    /// Feeds the result of a [`Command::Send`].
    pub fn deliver(&mut self, id: u64, result: Result<HttpResponse, TransportError>, now_ms: u64) {
        let waiting = self.st.waiting.take();
        match waiting {
            Some(Waiting::Response(w)) if w == id => {
                self.st.outstanding = None;
                self.on_response(result, now_ms)
            }
            Some(Waiting::Token(w)) if w == id => {
                self.st.outstanding = None;
                self.on_token(result, now_ms)
            }
            other => self.st.waiting = other,
        }
    }

    /// Feeds the end of a [`Command::Sleep`].
    pub fn woke(&mut self, id: u64, _now_ms: u64) {
        match self.st.waiting.take() {
            Some(Waiting::Sleep(w)) if w == id => {
                self.st.outstanding = None;
                if let Some(f) = self.st.frames.last_mut() {
                    f.attempt += 1;
                    f.phase = Phase::StepBegin;
                }
            }
            other => self.st.waiting = other,
        }
    }

    fn push_frame(&mut self, wf: usize, given: Map<String, Value>, cont: Cont, now_ms: u64) {
        let plan = self.plan.clone();
        let Some(w) = plan.workflows.get(wf) else {
            return;
        };
        // A goto to a workflow is a one-way transfer (a tail call), so the
        // frames it leaves behind do not count as nesting.
        let depth = self
            .st
            .frames
            .iter()
            .filter(|f| f.cont != Cont::Goto)
            .count();
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
            outputs: Value::Object(Map::new()),
            duration_ms: 0,
            error: None,
            steps: Vec::new(),
            warnings: Vec::new(),
            reason: cont.reason().to_string(),
            synthesized_inputs: Vec::new(),
        });
        let record = self.st.report.workflows.len() - 1;
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
            pending: None,
            token_scheme: None,
            prepared: false,
            call_kind: None,
        });
    }

    fn frame(&mut self) -> Option<&mut Frame> {
        self.st.frames.last_mut()
    }

    /// Starts a workflow execution: validates its inputs (defaults applied),
    /// runs unmet dependencies with those inputs, then begins its first step.
    fn enter(&mut self, now_ms: u64) {
        let plan = self.plan.clone();
        let Some(f) = self.st.frames.last() else {
            return;
        };
        let wf = &plan.workflows[f.wf];
        if !f.prepared {
            let given = f.given.clone();
            match wf.inputs.prepare(&given) {
                Ok(inputs) => {
                    for p in wf.inputs.properties().into_iter().filter(|p| p.secret) {
                        if let Some(v) = inputs.get(&p.name) {
                            self.st.secrets.add_value(v);
                        }
                    }
                    let masked = self.st.secrets.mask_value(&Value::Object(inputs.clone()));
                    let Some(f) = self.st.frames.last_mut() else {
                        return;
                    };
                    f.inputs = inputs;
                    f.prepared = true;
                    let record = f.record;
                    if let Some(r) = self.st.report.workflows.get_mut(record) {
                        r.inputs = masked;
                    }
                }
                Err(errors) => {
                    let masked = self.st.secrets.mask_value(&Value::Object(given));
                    if let Some(r) = self.st.report.workflows.get_mut(f.record) {
                        r.inputs = masked;
                    }
                    let list: Vec<String> = errors.iter().map(ToString::to_string).collect();
                    self.finish(
                        Status::Failed,
                        Some(format!("invalid inputs: {}", list.join("; "))),
                        now_ms,
                    );
                    return;
                }
            }
        }
        let Some(f) = self.st.frames.last() else {
            return;
        };
        // Dependencies next, with the inputs as validated.
        for &dep in &wf.depends_on {
            match self.st.done.get(&dep) {
                Some(d) if d.status == Status::Succeeded => continue,
                Some(_) => {
                    let msg = format!("dependency `{}` failed", plan.workflows[dep].id);
                    self.finish(Status::Failed, Some(msg), now_ms);
                    return;
                }
                None => {
                    if self.st.frames.iter().any(|x| x.wf == dep) {
                        let msg = format!(
                            "dependency `{}` is already running (a dependency cycle)",
                            plan.workflows[dep].id
                        );
                        self.finish(Status::Failed, Some(msg), now_ms);
                        return;
                    }
                    let inputs = f.inputs.clone();
                    self.push_frame(dep, inputs, Cont::Dependency, now_ms);
                    return;
                }
            }
        }
        let depth = self.st.frames.len() - 1;
        let Some(f) = self.st.frames.last_mut() else {
            return;
        };
        f.phase = Phase::StepBegin;
        f.started_ms = now_ms;
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
            reason: cont.reason().into(),
        });
    }

    fn step_begin(&mut self, now_ms: u64) -> Option<Command> {
        let plan = self.plan.clone();
        let f = self.st.frames.last()?;
        let wf = &plan.workflows[f.wf];
        let Some(step) = wf.steps.get(f.pc) else {
            self.finish(Status::Succeeded, None, now_ms);
            return None;
        };
        // Step `dependsOn` (1.1) is a join point: the steps must have
        // completed; they are not run on this step's behalf.
        if let Some(missing) = step
            .depends_on
            .iter()
            .find(|dep| !self.step_completed(f, **dep))
        {
            let name = match *missing {
                StepDep::Step(i) => wf.steps.get(i).map(|s| format!("step `{}`", s.id)),
                StepDep::Other { workflow, step } => plan.workflows.get(workflow).and_then(|w| {
                    w.steps
                        .get(step)
                        .map(|s| format!("step `{}` of workflow `{}`", s.id, w.id))
                }),
            }
            .unwrap_or_default();
            let msg = format!(
                "step `{}` cannot run: it depends on {name}, which has not completed",
                step.id
            );
            self.finish(Status::Failed, Some(msg), now_ms);
            return None;
        }
        self.st.steps_executed += 1;
        if self.st.steps_executed > self.opts.max_steps {
            self.st.abort = Some(format!(
                "the run executed more than {} steps (a goto loop?)",
                self.opts.max_steps
            ));
            return None;
        }
        let (attempt, pc) = (f.attempt, f.pc);
        let target = match &step.target {
            Target::Operation(o) => plan
                .operations
                .get(*o)
                .map(|op| op.op.label())
                .unwrap_or_default(),
            Target::Workflow(w) => plan
                .workflows
                .get(*w)
                .map(|w| w.id.clone())
                .unwrap_or_default(),
            Target::Unsupported(r) => r.clone(),
        };
        self.events.push(Event::StepStarted {
            workflow_id: wf.id.clone(),
            step_id: step.id.clone(),
            attempt,
            target,
        });
        if let Some(f) = self.frame() {
            f.step_started_ms = now_ms;
            f.exchange = None;
            f.callee = None;
            if f.retries.len() != step.on_failure.len() {
                f.retries = vec![0; step.on_failure.len()];
            }
        }
        match &step.target {
            Target::Unsupported(reason) => {
                let reason = reason.clone();
                self.fail_before_send(reason);
                None
            }
            Target::Workflow(callee) => {
                let callee = *callee;
                let inputs = match self.eval_inputs(&step.params) {
                    Ok(i) => i,
                    Err(e) => {
                        self.fail_before_send(e);
                        return None;
                    }
                };
                if let Some(f) = self.frame() {
                    f.phase = Phase::AwaitCallee;
                    f.call_kind = Some(CallKind::Step);
                }
                let _ = pc;
                self.push_frame(callee, inputs, Cont::Call, now_ms);
                None
            }
            Target::Operation(op) => {
                match self.build(step, *op) {
                    Ok(req) => {
                        if let Some(f) = self.frame() {
                            f.pending = Some(req);
                            f.phase = Phase::Send;
                        }
                    }
                    Err(e) => self.fail_before_send(e),
                }
                None
            }
        }
    }

    /// Whether a step a `dependsOn` names has completed successfully.
    fn step_completed(&self, frame: &Frame, dep: StepDep) -> bool {
        match dep {
            StepDep::Step(i) => frame.step_outputs.get(i).is_some_and(Option::is_some),
            StepDep::Other { workflow, step } => {
                if let Some(f) = self.st.frames.iter().rev().find(|f| f.wf == workflow) {
                    return f.step_outputs.get(step).is_some_and(Option::is_some);
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
    fn fail_before_send(&mut self, reason: String) {
        if let Some(f) = self.frame() {
            f.exchange = Some(Exchange {
                error: Some(reason),
                ..Exchange::default()
            });
            f.phase = Phase::Judge;
        }
    }

    /// Evaluates parameters of a workflow step or action into inputs.
    /// The inputs an action passes to the workflow it goes to or retries
    /// through: its 1.1 `parameters`, else (1.0 has no way to pass inputs) the
    /// current workflow's inputs.
    fn action_inputs(
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

    /// Builds the request of an operation step.
    fn build(&mut self, step: &StepPlan, op: usize) -> Result<HttpRequest, String> {
        let plan = self.plan.clone();
        let opp = plan.operations.get(op).ok_or("the operation is missing")?;
        let api = plan.apis.get(opp.api).ok_or("the description is missing")?;
        let base = if api.overridden {
            api.server.clone()
        } else {
            opp.server
                .clone()
                .map(Ok)
                .unwrap_or_else(|| api.server.clone())
        };
        let base = base.map_err(|e| {
            format!(
                "no server to send {} to: {e} (point the source at one with --server NAME=URL)",
                opp.op.label()
            )
        })?;
        let frame = self.st.frames.last().ok_or("no frame")?;
        let ctx = Ctx::new(&plan, &self.st, frame, None);
        let mut params = Vec::new();
        for p in &step.params {
            let Some(location) = p.location else { continue };
            match p.value.evaluate(&ctx) {
                Ok(Some(v)) => params.push(ParamValue {
                    name: p.name.clone(),
                    location,
                    value: v,
                }),
                Ok(None) => {}
                Err(e) => return Err(format!("parameter `{}`: {e}", p.name)),
            }
        }
        let mut body = None;
        let body_type = step
            .body
            .as_ref()
            .and_then(|b| b.content_type.clone())
            .or_else(|| {
                opp.op
                    .request_body
                    .as_ref()
                    .and_then(|rb| rb.default_media())
                    .map(|m| m.media_type.clone())
            });
        let json_body = body_type
            .as_deref()
            .is_some_and(arazzo_openapi::media::is_json);
        let form_body = body_type.as_deref().is_some_and(|ct| {
            arazzo_openapi::media::essence(ct) == "application/x-www-form-urlencoded"
        });
        if let Some(b) = &step.body {
            let mut payload = match &b.payload {
                Some(p) => p.evaluate(&ctx).map_err(|e| format!("request body: {e}"))?,
                None => None,
            };
            // A JSON payload written as text (a template) is structured data
            // once evaluated: replacements and `$request.body#/…` reach into it.
            if json_body
                && !b.replacements.is_empty()
                && let Some(Value::String(text)) = &payload
                && let Ok(parsed) = serde_json::from_str::<Value>(text)
            {
                payload = Some(parsed);
            }
            // So is a form written as text (`a=1&b=2`): a replacement's
            // `/b` names the field `b`.
            if form_body
                && !b.replacements.is_empty()
                && let Some(Value::String(text)) = &payload
            {
                payload = Some(form_fields(text));
            }
            for r in &b.replacements {
                let v = r
                    .value
                    .evaluate(&ctx)
                    .map_err(|e| format!("replacement value: {e}"))?
                    .unwrap_or(Value::Null);
                let target = payload.get_or_insert(Value::Null);
                replace(target, &r.target, v).map_err(|e| format!("replacement: {e}"))?;
            }
            if let Some(value) = payload {
                body = Some(BodyValue {
                    content_type: b.content_type.clone(),
                    value,
                });
            }
        }
        // Values the success criteria expect, for a mock server (docs/mock.md#expected-values).
        let expected: Vec<arazzo_expr::expect::Expectation> = if self.opts.prefer_expected_status {
            step.expectations
                .iter()
                .filter_map(|e| e.resolve(&ctx))
                .collect()
        } else {
            Vec::new()
        };
        let built =
            build_request(&opp.op, &base, &params, body.as_ref()).map_err(|e| e.to_string())?;
        let mut sent = built.sent.clone();
        if json_body
            && let Some(Value::String(text)) = &sent.body
            && let Ok(parsed) = serde_json::from_str::<Value>(text)
        {
            sent.body = Some(parsed);
        }
        let wf = frame.wf;
        for w in built.warnings {
            self.warn(Some(wf), Some(&step.id), w);
        }
        let mut req = built.request;
        if self.opts.prefer_expected_status
            && let Some(code) = step.expected_status
        {
            req.set_header("Prefer", format!("code={code}"));
        }
        // Servers bound header sizes (hyper: 64 KiB for all of them): an
        // expectation too large to send is left out.
        if !expected.is_empty() {
            let encoded = arazzo_expr::expect::encode(&expected);
            if encoded.len() <= MAX_EXPECT_HEADER {
                req.set_header(arazzo_expr::expect::HEADER, encoded);
            }
        }
        if let Some(f) = self.frame() {
            f.exchange = Some(Exchange {
                request: None,
                sent,
                ..Exchange::default()
            });
        }
        Ok(req)
    }

    fn token_key(api: usize, scheme: &str) -> String {
        format!("{api}:{scheme}")
    }

    /// Applies auth (fetching a token first if needed) and sends.
    fn send(&mut self, now_ms: u64) -> Option<Command> {
        let plan = self.plan.clone();
        let f = self.st.frames.last()?;
        let wf = &plan.workflows[f.wf];
        let step = wf.steps.get(f.pc)?;
        let Target::Operation(op) = step.target else {
            return None;
        };
        let opp = plan.operations.get(op)?;
        let api = plan.apis.get(opp.api)?;
        let mut req = f.pending.clone()?;
        let tokens = &self.st.tokens;
        let token = |scheme: &str| -> Option<String> {
            tokens
                .get(&Self::token_key(opp.api, scheme))
                .filter(|t| t.expires_ms.is_none_or(|e| e > now_ms))
                .map(|t| t.value.clone())
        };
        match auth::decide(&opp.op.security, &api.schemes, &self.creds, &req, &token) {
            AuthDecision::Nothing => {}
            AuthDecision::Apply(a) => auth::apply(&mut req, &a),
            AuthDecision::Missing(msg) => {
                if self.opts.warn_missing_credentials {
                    let wf_i = f.wf;
                    let id = step.id.clone();
                    self.warn(Some(wf_i), Some(&id), format!("{}: {msg}", opp.op.label()));
                }
            }
            AuthDecision::NeedToken { scheme } => {
                return self.fetch_token(opp.api, &scheme, now_ms);
            }
        }
        let timeout = step
            .timeout_ms
            .map(Duration::from_millis)
            .unwrap_or(self.opts.request_timeout);
        let id = self.id();
        let wf_id = wf.id.clone();
        let step_id = step.id.clone();
        self.log_request(&wf_id, &step_id, &req);
        if let Some(f) = self.frame() {
            f.pending = None;
            f.phase = Phase::AwaitResponse;
            if let Some(x) = &mut f.exchange {
                x.request = Some(req.clone());
            }
            f.step_started_ms = now_ms;
        }
        Some(self.issue(
            Command::Send {
                id,
                request: req,
                timeout,
            },
            Waiting::Response(id),
        ))
    }

    fn fetch_token(&mut self, api_i: usize, scheme: &str, now_ms: u64) -> Option<Command> {
        let plan = self.plan.clone();
        let api = plan.apis.get(api_i)?;
        let flow = match api.schemes.get(scheme).map(|s| &s.kind) {
            Some(arazzo_openapi::security::SchemeKind::OAuth2(flows)) => {
                flows.client_credentials.clone()
            }
            _ => None,
        };
        let cred = self.creds.get(scheme).cloned();
        let server = api.server.clone().ok();
        let result = match (flow, cred, server) {
            (Some(flow), Some(cred @ Credential::ClientCredentials { .. }), Some(server)) => {
                let client_auth = self
                    .creds
                    .client_auth(scheme)
                    .unwrap_or_else(|| token_endpoint_style(&plan, api_i, &flow, &server));
                auth::token_request(
                    &flow,
                    &cred,
                    client_auth,
                    &server,
                    api.declared_server.as_ref(),
                )
            }
            _ => Err(format!("cannot obtain an OAuth2 token for `{scheme}`")),
        };
        match result {
            Ok(req) => {
                let id = self.id();
                let wf_id = self
                    .st
                    .frames
                    .last()
                    .map(|f| plan.workflows[f.wf].id.clone())
                    .unwrap_or_default();
                self.log_request(&wf_id, "oauth2", &req);
                if let Some(f) = self.frame() {
                    f.phase = Phase::AwaitToken;
                    f.token_scheme = Some(scheme.to_string());
                }
                let timeout = self.opts.request_timeout;
                Some(self.issue(
                    Command::Send {
                        id,
                        request: req,
                        timeout,
                    },
                    Waiting::Token(id),
                ))
            }
            Err(e) => {
                if let Some(f) = self.frame() {
                    f.pending = None;
                }
                self.fail_before_send(format!("could not obtain an OAuth2 token: {e}"));
                let _ = now_ms;
                None
            }
        }
    }

    fn on_token(&mut self, result: Result<HttpResponse, TransportError>, now_ms: u64) {
        let Some(f) = self.st.frames.last() else {
            return;
        };
        let api = match self.plan.workflows[f.wf].steps.get(f.pc).map(|s| &s.target) {
            Some(Target::Operation(o)) => self.plan.operations.get(*o).map(|op| op.api),
            _ => None,
        };
        let scheme = f.token_scheme.clone().unwrap_or_default();
        let parsed = match result {
            Ok(resp) => {
                let wf_id = self.plan.workflows[f.wf].id.clone();
                self.log_response(&wf_id, "oauth2", &resp, 0);
                auth::parse_token_response(
                    resp.status,
                    resp.header("content-type").as_deref(),
                    &resp.body,
                )
            }
            Err(e) => Err(e.to_string()),
        };
        match (parsed, api) {
            (Ok((token, expires_in)), Some(api)) => {
                self.st.secrets.add(&token);
                // Refresh a little before the server's expiry.
                let expires_ms = expires_in.map(|s| now_ms + s.saturating_sub(30).max(1) * 1000);
                self.st.tokens.insert(
                    Self::token_key(api, &scheme),
                    Token {
                        value: token,
                        expires_ms,
                    },
                );
                if let Some(f) = self.frame() {
                    f.phase = Phase::Send;
                }
            }
            (Err(e), _) => {
                if let Some(f) = self.frame() {
                    f.pending = None;
                }
                self.fail_before_send(format!(
                    "could not obtain an OAuth2 token for `{scheme}`: {e}"
                ));
            }
            (Ok(_), None) => self.fail_before_send("the step's operation disappeared".into()),
        }
    }

    fn on_response(&mut self, result: Result<HttpResponse, TransportError>, now_ms: u64) {
        let plan = self.plan.clone();
        let Some(f) = self.st.frames.last() else {
            return;
        };
        let wf_id = plan.workflows[f.wf].id.clone();
        let step_id = plan.workflows[f.wf]
            .steps
            .get(f.pc)
            .map(|s| s.id.clone())
            .unwrap_or_default();
        let duration = now_ms.saturating_sub(f.step_started_ms);
        if let Ok(resp) = &result {
            self.log_response(&wf_id, &step_id, resp, duration);
        }
        let Some(f) = self.frame() else { return };
        let x = f.exchange.get_or_insert_with(Exchange::default);
        x.duration_ms = duration;
        match result {
            Ok(resp) => {
                x.status = Some(resp.status);
                let ct = resp.header("content-type");
                x.body = parse_body(ct.as_deref(), &resp.body);
                x.body_len = resp.body.len();
                x.headers = resp.headers;
            }
            Err(e) => x.error = Some(e.to_string()),
        }
        f.last_exchange = f.exchange.clone();
        f.phase = Phase::Judge;
    }

    fn log_request(&mut self, wf: &str, step: &str, req: &HttpRequest) {
        let body = req.body.as_ref().map(|b| self.loggable(b));
        self.events.push(Event::RequestSent {
            workflow_id: wf.to_string(),
            step_id: step.to_string(),
            method: req.method.clone(),
            url: self.st.secrets.mask(&req.url),
            headers: self.st.secrets.mask_headers(&req.headers),
            body,
        });
    }

    fn log_response(&mut self, wf: &str, step: &str, resp: &HttpResponse, duration_ms: u64) {
        let body = (!resp.body.is_empty()).then(|| self.loggable(&resp.body));
        self.events.push(Event::ResponseReceived {
            workflow_id: wf.to_string(),
            step_id: step.to_string(),
            status: resp.status,
            headers: self.st.secrets.mask_headers(&resp.headers),
            body,
            duration_ms,
        });
    }

    fn loggable(&self, bytes: &[u8]) -> String {
        let max = self.opts.max_logged_body;
        let text = String::from_utf8_lossy(&bytes[..bytes.len().min(max)]).into_owned();
        let text = self.st.secrets.mask(&text);
        if bytes.len() > max {
            format!("{text}… ({} bytes in all)", bytes.len())
        } else {
            text
        }
    }

    /// Judges a completed step: criteria, outputs, then the first matching action.
    fn judge(&mut self, now_ms: u64) {
        let plan = self.plan.clone();
        let Some(f) = self.st.frames.last() else {
            return;
        };
        let wf_i = f.wf;
        let wf = &plan.workflows[wf_i];
        let Some(step) = wf.steps.get(f.pc) else {
            return;
        };
        let is_call = matches!(step.target, Target::Workflow(_));
        let transport_error = f.exchange.as_ref().and_then(|x| x.error.clone());
        let callee_error = f
            .callee
            .as_ref()
            .filter(|c| c.status == Status::Failed)
            .map(|c| {
                format!(
                    "workflow `{}` failed: {}",
                    plan.workflows[c.workflow].id,
                    c.error.clone().unwrap_or_default()
                )
            });
        let mut records = Vec::new();
        let mut reason = transport_error.clone().or(callee_error.clone());
        let mut passed = reason.is_none();
        {
            let ctx = Ctx::new(&plan, &self.st, f, None);
            if passed {
                for c in &step.success {
                    let v = c.criterion.evaluate(&ctx);
                    if !v.passed && reason.is_none() {
                        reason = v
                            .reason
                            .clone()
                            .or_else(|| Some(format!("`{}` failed", c.condition)));
                    }
                    passed &= v.passed;
                    records.push(CriterionRecord {
                        condition: c.condition.clone(),
                        passed: v.passed,
                        reason: v.reason,
                    });
                }
            }
        }
        for r in &records {
            self.events.push(Event::CriterionEvaluated {
                workflow_id: wf.id.clone(),
                step_id: step.id.clone(),
                of: "successCriteria".into(),
                condition: r.condition.clone(),
                passed: r.passed,
                reason: r.reason.as_ref().map(|x| self.st.secrets.mask(x)),
            });
        }
        // Outputs, on success.
        let mut outputs = Map::new();
        if passed {
            let mut warnings = Vec::new();
            {
                let f = self.st.frames.last().unwrap_or_else(|| unreachable!());
                let ctx = Ctx::new(&plan, &self.st, f, None);
                for o in &step.outputs {
                    match o.value.evaluate(&ctx) {
                        Ok(Some(v)) => {
                            outputs.insert(o.name.clone(), v);
                        }
                        Ok(None) => {
                            warnings
                                .push(format!("output `{}` is absent; it is set to null", o.name));
                            outputs.insert(o.name.clone(), Value::Null);
                        }
                        Err(e) => {
                            warnings.push(format!(
                                "output `{}` could not be evaluated ({e}); it is set to null",
                                o.name
                            ));
                            outputs.insert(o.name.clone(), Value::Null);
                        }
                    }
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
        }
        // A retry-via step returns to the step being retried.
        if self.st.frames.last().is_some_and(|f| f.via.is_some()) {
            self.record_step(step, passed, reason.clone(), records, outputs, None, now_ms);
            let Some(f) = self.frame() else { return };
            let Some(via) = f.via.take() else { return };
            if passed {
                f.pc = via.return_pc;
                f.attempt = via.return_attempt;
                f.retries = via.return_retries;
                self.schedule_retry(via.delay_ms, "retryAfter".into(), now_ms);
            } else {
                f.pc = via.return_pc;
                let msg = format!(
                    "step `{}`, run before retrying, failed: {}",
                    step.id,
                    reason.unwrap_or_default()
                );
                self.finish(Status::Failed, Some(msg), now_ms);
            }
            return;
        }
        let actions = if passed {
            &step.on_success
        } else {
            &step.on_failure
        };
        let chosen = self.choose_action(wf_i, step, actions, passed);
        let action_record =
            |name: Option<String>, kind: &str, target: Option<String>| ActionRecord {
                name,
                kind: kind.into(),
                target,
            };
        match chosen {
            None => {
                let rec = if passed {
                    action_record(None, "next", None)
                } else {
                    action_record(None, "fail", None)
                };
                self.record_step(
                    step,
                    passed,
                    reason.clone(),
                    records,
                    outputs,
                    Some(rec),
                    now_ms,
                );
                if passed {
                    if let Some(f) = self.frame() {
                        f.pc += 1;
                        f.attempt = 1;
                        f.retries.clear();
                        f.phase = Phase::StepBegin;
                    }
                } else {
                    let msg = format!(
                        "step `{}` failed: {}",
                        step.id,
                        reason.unwrap_or_else(|| "no reason".into())
                    );
                    self.finish(Status::Failed, Some(msg), now_ms);
                }
            }
            Some(i) => {
                let a = &actions[i];
                match &a.kind {
                    ActionKind::End => {
                        self.take_action(step, action_record(Some(a.name.clone()), "end", None));
                        self.record_step(
                            step,
                            passed,
                            reason.clone(),
                            records,
                            outputs,
                            Some(action_record(Some(a.name.clone()), "end", None)),
                            now_ms,
                        );
                        if passed {
                            self.finish(Status::Succeeded, None, now_ms);
                        } else {
                            let msg = format!(
                                "step `{}` failed and action `{}` ended the workflow: {}",
                                step.id,
                                a.name,
                                reason.unwrap_or_default()
                            );
                            self.finish(Status::Failed, Some(msg), now_ms);
                        }
                    }
                    ActionKind::GotoStep(to) => {
                        let rec = action_record(
                            Some(a.name.clone()),
                            "goto",
                            wf.steps.get(*to).map(|s| s.id.clone()),
                        );
                        self.take_action(step, rec.clone());
                        self.record_step(
                            step,
                            passed,
                            reason.clone(),
                            records,
                            outputs,
                            Some(rec),
                            now_ms,
                        );
                        if let Some(f) = self.frame() {
                            f.pc = *to;
                            f.attempt = 1;
                            f.retries.clear();
                            f.phase = Phase::StepBegin;
                        }
                    }
                    ActionKind::GotoWorkflow { workflow, params } => {
                        let rec = action_record(
                            Some(a.name.clone()),
                            "goto",
                            Some(plan.workflows[*workflow].id.clone()),
                        );
                        self.take_action(step, rec.clone());
                        self.record_step(
                            step,
                            passed,
                            reason.clone(),
                            records,
                            outputs,
                            Some(rec),
                            now_ms,
                        );
                        let inputs = self.action_inputs(params.as_deref());
                        match inputs {
                            Ok(inputs) => {
                                if let Some(f) = self.frame() {
                                    f.phase = Phase::AwaitCallee;
                                    f.call_kind = Some(CallKind::Goto);
                                }
                                self.push_frame(*workflow, inputs, Cont::Goto, now_ms);
                            }
                            Err(e) => self.finish(Status::Failed, Some(e), now_ms),
                        }
                    }
                    ActionKind::Retry { after, via, .. } => {
                        let delay_source;
                        let header = self
                            .st
                            .frames
                            .last()
                            .and_then(|f| f.exchange.as_ref())
                            .and_then(|x| x.response_header("retry-after"));
                        let unix_now = now_ms + self.st.wall_clock_offset_ms;
                        let mut delay =
                            match header.as_deref().and_then(|h| retry_after_ms(h, unix_now)) {
                                Some(ms) => {
                                    delay_source = "Retry-After".to_string();
                                    ms
                                }
                                None => {
                                    delay_source = if after.is_some() {
                                        "retryAfter".into()
                                    } else {
                                        "none".into()
                                    };
                                    after.map(|s| (s * 1000.0) as u64).unwrap_or(0)
                                }
                            };
                        let cap = self.opts.max_retry_delay.as_millis() as u64;
                        if delay > cap {
                            self.warn(
                                Some(wf_i),
                                Some(&step.id),
                                format!(
                                    "retry delay of {} s cut to the limit of {} s",
                                    delay / 1000,
                                    cap / 1000
                                ),
                            );
                            delay = cap;
                        }
                        if let Some(c) = self.frame().and_then(|f| f.retries.get_mut(i)) {
                            *c += 1;
                        }
                        // `retry` whose `stepId` is the failing step itself is a
                        // plain retry: running the step as its own preparation
                        // would fail the workflow on the very condition it retries.
                        let pc = self.st.frames.last().map(|f| f.pc);
                        let via = via
                            .as_ref()
                            .filter(|v| !matches!(v, Via::Step(s) if Some(*s) == pc));
                        self.st.retries += 1;
                        if self.st.retries > self.opts.max_retries {
                            self.st.abort = Some(format!(
                                "the run retried more than {} times",
                                self.opts.max_retries
                            ));
                        }
                        let target = via.map(|v| match v {
                            Via::Step(s) => {
                                wf.steps.get(*s).map(|x| x.id.clone()).unwrap_or_default()
                            }
                            Via::Workflow { workflow, .. } => plan.workflows[*workflow].id.clone(),
                        });
                        let rec = action_record(Some(a.name.clone()), "retry", target);
                        self.take_action(step, rec.clone());
                        self.record_step(
                            step,
                            passed,
                            reason.clone(),
                            records,
                            outputs,
                            Some(rec),
                            now_ms,
                        );
                        match via {
                            None => self.schedule_retry(delay, delay_source, now_ms),
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
                            Some(Via::Workflow { workflow, params }) => {
                                let inputs = self.action_inputs(params.as_deref());
                                match inputs {
                                    Ok(inputs) => {
                                        if let Some(f) = self.frame() {
                                            f.phase = Phase::AwaitCallee;
                                            f.call_kind = Some(CallKind::RetryVia);
                                        }
                                        self.push_frame(
                                            *workflow,
                                            inputs,
                                            Cont::RetryVia { delay_ms: delay },
                                            now_ms,
                                        );
                                    }
                                    Err(e) => self.finish(Status::Failed, Some(e), now_ms),
                                }
                            }
                        }
                    }
                }
            }
        }
        let _ = is_call;
    }

    fn schedule_retry(&mut self, delay_ms: u64, source: String, _now_ms: u64) {
        let plan = self.plan.clone();
        let id = self.id();
        let Some(f) = self.frame() else { return };
        f.phase = Phase::AwaitRetry;
        let (wf, pc, attempt) = (f.wf, f.pc, f.attempt);
        let step_id = plan.workflows[wf]
            .steps
            .get(pc)
            .map(|s| s.id.clone())
            .unwrap_or_default();
        self.events.push(Event::RetryScheduled {
            workflow_id: plan.workflows[wf].id.clone(),
            step_id,
            attempt: attempt + 1,
            delay_ms,
            source,
        });
        self.issue(
            Command::Sleep {
                id,
                duration: Duration::from_millis(delay_ms),
            },
            Waiting::Sleep(id),
        );
    }

    /// Records the command the run now waits on.
    fn issue(&mut self, cmd: Command, waiting: Waiting) -> Command {
        self.st.waiting = Some(waiting);
        self.st.outstanding = Some(cmd.clone());
        cmd
    }

    /// The first action whose criteria all pass; retry actions whose limit is
    /// used up are skipped, so later actions apply once the retries are spent.
    fn choose_action(
        &mut self,
        wf_i: usize,
        step: &StepPlan,
        actions: &[ActionPlan],
        success: bool,
    ) -> Option<usize> {
        let plan = self.plan.clone();
        let f = self.st.frames.last()?;
        let mut evaluated = Vec::new();
        let mut chosen = None;
        {
            let ctx = Ctx::new(&plan, &self.st, f, None);
            for (i, a) in actions.iter().enumerate() {
                if let ActionKind::Retry { limit, .. } = a.kind
                    && f.retries.get(i).copied().unwrap_or(0) >= limit
                {
                    continue;
                }
                let mut all = true;
                for c in &a.criteria {
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
        }
        let _ = success;
        for (name, condition, passed, reason) in evaluated {
            self.events.push(Event::CriterionEvaluated {
                workflow_id: plan.workflows[wf_i].id.clone(),
                step_id: step.id.clone(),
                of: name,
                condition,
                passed,
                reason,
            });
        }
        chosen
    }

    fn take_action(&mut self, step: &StepPlan, action: ActionRecord) {
        let wf = self
            .st
            .frames
            .last()
            .map(|f| self.plan.workflows[f.wf].id.clone())
            .unwrap_or_default();
        self.events.push(Event::ActionTaken {
            workflow_id: wf,
            step_id: step.id.clone(),
            action,
        });
    }

    #[allow(clippy::too_many_arguments)]
    fn record_step(
        &mut self,
        step: &StepPlan,
        passed: bool,
        reason: Option<String>,
        criteria: Vec<CriterionRecord>,
        outputs: Map<String, Value>,
        action: Option<ActionRecord>,
        now_ms: u64,
    ) {
        let plan = self.plan.clone();
        let Some(f) = self.st.frames.last() else {
            return;
        };
        let (method, url, status_code) = match &f.exchange {
            Some(x) => (
                x.request.as_ref().map(|r| r.method.clone()),
                x.request.as_ref().map(|r| self.st.secrets.mask(&r.url)),
                x.status,
            ),
            None => (None, None, None),
        };
        let duration = match &f.exchange {
            Some(x) if x.request.is_some() => x.duration_ms,
            _ => now_ms.saturating_sub(f.step_started_ms),
        };
        let workflow_id = match step.target {
            Target::Workflow(w) => plan.workflows.get(w).map(|w| w.id.clone()),
            _ => None,
        };
        let record = StepRecord {
            step_id: step.id.clone(),
            status: if passed {
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
            outputs: self.st.secrets.mask_value(&Value::Object(outputs)),
            action,
            error: if passed {
                None
            } else {
                reason.map(|r| self.st.secrets.mask(&r))
            },
            criteria: criteria
                .into_iter()
                .map(|mut c| {
                    c.reason = c.reason.map(|r| self.st.secrets.mask(&r));
                    c
                })
                .collect(),
            workflow_id,
        };
        let wf_id = plan.workflows[f.wf].id.clone();
        if let Some(r) = self.st.report.workflows.get_mut(f.record) {
            r.steps.push(record.clone());
        }
        self.events.push(Event::StepFinished {
            workflow_id: wf_id,
            record,
        });
    }

    /// Ends the top workflow execution and resumes whatever waits for it.
    fn finish(&mut self, status: Status, error: Option<String>, now_ms: u64) {
        let plan = self.plan.clone();
        let Some(frame) = self.st.frames.last() else {
            return;
        };
        let wf = &plan.workflows[frame.wf];
        let mut outputs = Map::new();
        let mut warnings = Vec::new();
        if status == Status::Succeeded {
            let ctx = Ctx::new(&plan, &self.st, frame, None);
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
                // Later outputs may read earlier ones through `$outputs`.
                outputs.insert(o.name.clone(), value);
            }
        }
        let wf_i = frame.wf;
        for w in warnings {
            self.warn(Some(wf_i), None, w);
        }
        let Some(frame) = self.st.frames.pop() else {
            return;
        };
        let error = error.map(|e| self.st.secrets.mask(&e));
        let masked_outputs = self.st.secrets.mask_value(&Value::Object(outputs.clone()));
        if let Some(r) = self.st.report.workflows.get_mut(frame.record) {
            r.status = status;
            r.outputs = masked_outputs;
            r.duration_ms = now_ms.saturating_sub(frame.started_ms);
            r.error = error.clone();
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
                    self.schedule_retry(delay_ms, "retryAfter".into(), now_ms);
                } else {
                    let msg = format!(
                        "workflow `{}`, run before retrying, failed: {}",
                        wf.id,
                        error.unwrap_or_default()
                    );
                    self.finish(Status::Failed, Some(msg), now_ms);
                }
            }
            Cont::Goto => {
                // A goto to a workflow is a one-way transfer: the workflow that
                // made it ends as the target ended.
                let msg = error.map(|e| {
                    if e.contains("(reached by goto)") {
                        e
                    } else {
                        format!("workflow `{}` (reached by goto) failed: {e}", wf.id)
                    }
                });
                self.finish(status, msg, now_ms);
            }
        }
    }
}

/// Chooses how to call a token endpoint: as a JSON body when the
/// description itself documents its token endpoint as an operation taking
/// JSON (Pipedream does), else the RFC 6749 default.
fn token_endpoint_style(
    plan: &Plan,
    api: usize,
    flow: &arazzo_openapi::security::OAuthFlow,
    server: &url::Url,
) -> ClientAuth {
    let Some(token_url) = flow.token_url.as_deref().and_then(|t| server.join(t).ok()) else {
        return ClientAuth::Basic;
    };
    let Some(spec) = plan.sources.openapi.get(api) else {
        return ClientAuth::Basic;
    };
    let server_path = server.path().trim_end_matches('/');
    let path = token_url.path();
    let relative = path.strip_prefix(server_path).unwrap_or(path);
    let Some(entry) = spec.by_method_path("post", relative) else {
        return ClientAuth::Basic;
    };
    let op = arazzo_openapi::operation::build(spec, entry, &plan.sources.store);
    match op.request_body.as_ref().and_then(|b| b.default_media()) {
        Some(m) if arazzo_openapi::media::is_json(&m.media_type) => ClientAuth::Json,
        Some(m) if m.media_type.contains("x-www-form-urlencoded") => ClientAuth::Post,
        _ => ClientAuth::Basic,
    }
}

/// The fields of an `application/x-www-form-urlencoded` text, in order; a
/// name given several times has an array of its values.
fn form_fields(text: &str) -> Value {
    let mut out = serde_json::Map::new();
    for (k, v) in url::form_urlencoded::parse(text.as_bytes()) {
        let v = Value::String(v.into_owned());
        match out.get_mut(k.as_ref()) {
            Some(Value::Array(items)) => items.push(v),
            Some(first) => *first = Value::Array(vec![first.take(), v]),
            None => {
                out.insert(k.into_owned(), v);
            }
        }
    }
    Value::Object(out)
}
