//! A run: the state machine that executes workflows of a [`Plan`].
//!
//! The machine does no I/O. [`Run::next`] returns a [`Command`] — send this
//! request, sleep this long, or finished — and the caller feeds the result
//! back with [`Run::deliver`] or [`Run::woke`]. Time comes from the caller
//! too (`now_ms`). One machine therefore serves the tokio driver, scripted
//! deterministic tests, and any durable executor that journals commands;
//! [`RunState`] is serializable (and holds no secrets) so a run can be
//! persisted between commands and resumed, also in another process.
//!
//! The machine's parts, each in its own file:
//! - `state`: the serializable state (frames, phases, what the run waits on);
//! - `step`: entering a workflow, beginning a step, dispatching on its kind;
//! - `request`: building an operation step's request, credentials, tokens;
//! - `judge`: criteria, outputs and the action a finished step takes;
//! - `contract`: the response checked against the operation's description;
//! - `record`: the report, events, and ending a workflow execution.

mod contract;
mod judge;
mod record;
mod request;
mod state;
mod step;

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use arazzo_openapi::HttpRequest;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::auth::Credentials;
use crate::exchange::{HttpResponse, TransportError};
use crate::plan::{Plan, WorkflowIndex};
use crate::report::{Event, FailureKind, RunReport, Status};
use crate::secrets::Secrets;

pub use contract::CheckResponses;
pub(crate) use contract::Contracts;
pub(crate) use state::{
    Callee, Cont, Done, Frame, PendingOutputs, Phase, Transfer, Transferred, ViaStep, Waiting,
};
pub use state::{ResumeError, RunState, STATE_VERSION};

/// Bounds and policies of a run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Steps executed per run, counting every retry and goto (guards goto loops).
    pub max_steps: u64,
    /// Nesting depth of workflow calls and dependencies. A goto to a
    /// workflow does not nest: its target takes the place of the workflow
    /// that made it (a tail call), so goto loops are bounded by `max_steps`.
    pub max_depth: usize,
    /// Retries per run.
    pub max_retries: u64,
    /// The longest wait before a retry; a longer `Retry-After` is cut to this.
    pub max_retry_delay: Duration,
    /// The whole run's time limit. It bounds waiting (a request's timeout
    /// and a retry's delay are cut to the time left) and, with
    /// [`Run::next_with`], evaluation too: the clock is read between criteria,
    /// between outputs and between steps.
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
    /// Check each operation step's response against the operation's OpenAPI
    /// description (status declared, `Content-Type` declared, JSON body valid
    /// against the schema): [`CheckResponses::Warn`] by default, which
    /// records problems with the step without changing its outcome;
    /// [`CheckResponses::Error`] fails the step; [`CheckResponses::Off`]
    /// checks nothing. See `docs/semantics.md#response-checks`.
    pub check_responses: CheckResponses,
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
            check_responses: CheckResponses::Warn,
        }
    }
}

/// What the machine needs next.
///
/// New kinds of work (a message to publish, a message to await) become new
/// variants; callers must be ready for variants they do not know yet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Command {
    /// Send a request and [`Run::deliver`] the result with this id.
    Send {
        /// Correlates the result.
        id: u64,
        /// The request, credentials applied.
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

/// An OAuth2 access token the run obtained; kept out of [`RunState`].
#[derive(Clone)]
pub(crate) struct Token {
    pub(crate) value: String,
    pub(crate) expires_ms: Option<u64>,
}

/// The OAuth2 access tokens a run obtained. They are secrets, so they are
/// not part of [`RunState`]; an executor that resumes runs in the same
/// process can hand them over ([`Run::tokens`], [`Run::resume_with_tokens`])
/// instead of fetching them again. Neither serializable nor printable.
#[derive(Clone, Default)]
pub struct Tokens(HashMap<String, Token>);

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Tokens({} held)", self.0.len())
    }
}

/// The caller's clock as a run reads it while it works
/// ([`Run::next_with`]).
///
/// [`Run::next`] is given the time once, but the work it then does without
/// I/O — success criteria, action criteria, outputs, a regex, JSONPath or
/// XPath over a large body — can take long. A run that reads the clock again
/// between those units of work stops at its time limit
/// ([`RunOptions::run_timeout`]) instead of finishing a long evaluation past
/// it, and reports the time evaluation took in its steps' and workflows'
/// durations.
///
/// Why a trait the caller hands in rather than `Instant` inside the run: the
/// run keeps no hidden dependency on real time, so a virtual clock (scripted
/// tests, the conformance suite, a durable executor replaying a journal)
/// stays deterministic — it does not move while the run evaluates — and a
/// run's times stay on the caller's clock, the one its saved state was
/// measured on, also after it is resumed in another process. It is a trait
/// object rather than a type parameter so that [`Run`] stays one type; the
/// call costs nothing next to the evaluation it separates.
pub trait RunClock {
    /// Milliseconds on the caller's clock: the same clock as the `now_ms`
    /// given to [`Run::next`], [`Run::deliver`] and [`Run::woke`].
    fn now_ms(&self) -> u64;
}

/// A clock that stands still at this time: what [`Run::next`] reads.
impl RunClock for u64 {
    fn now_ms(&self) -> u64 {
        *self
    }
}

/// A run of one or more workflows.
///
/// A method that reads the plan while it changes the run holds the plan by
/// its own `Arc` (`let plan = self.plan.clone()`, a counter increment), so
/// the plan's borrow does not hold `self`; the others borrow `&self.plan`.
pub struct Run {
    plan: Arc<Plan>,
    creds: Arc<Credentials>,
    opts: RunOptions,
    st: RunState,
    /// Everything to mask in output: credentials, tokens, secret inputs.
    secrets: Secrets,
    /// OAuth2 tokens by API and scheme ([`Run::token_key`]).
    tokens: Tokens,
    events: Vec<Event>,
    /// When judging the current step began (on the run's clock), so that
    /// the step's duration includes the time its evaluation took. Set and
    /// read within one call of [`Run::next_with`], so it is not state.
    judge_started_ms: u64,
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Run").field("state", &self.st).finish()
    }
}

/// Why a run could not start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
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
        let st = RunState::new(&plan, queue);
        Ok(Run::with_state(plan, creds, opts, st))
    }

    /// Resumes a run from a state saved with [`Run::state`], with the
    /// credentials given again (the state holds none). Tokens are fetched
    /// again when needed; a request that was in flight is handed out again
    /// by [`Run::next`] with the same id.
    ///
    /// Refuses a state saved against another plan (another document or
    /// description, other servers, another engine version) or one whose
    /// indices do not fit the plan.
    pub fn resume(
        plan: Arc<Plan>,
        creds: Arc<Credentials>,
        opts: RunOptions,
        state: RunState,
    ) -> Result<Run, ResumeError> {
        state.check(&plan)?;
        let mut run = Run::with_state(plan, creds, opts, state);
        // Secret inputs are masked as before: re-derive them from the inputs.
        let plan = run.plan.clone();
        let frames = run.st.frames.iter().flat_map(|f| {
            let left = f.transfer.iter().flat_map(|c| &c.from);
            std::iter::once((f.wf, &f.inputs)).chain(left.map(|t| (t.wf, &t.inputs)))
        });
        let done = run.st.done.iter().map(|(wf, d)| (*wf, &d.inputs));
        for (wf, inputs) in frames.chain(done) {
            if let Some(w) = plan.workflow(wf) {
                for p in w.inputs.properties().into_iter().filter(|p| p.secret) {
                    if let Some(v) = inputs.get(&p.name) {
                        run.secrets.add_value(v);
                    }
                }
            }
        }
        Ok(run)
    }

    /// [`Run::resume`], with the tokens an earlier `Run` of this state
    /// obtained ([`Run::tokens`]), so they are not fetched again.
    pub fn resume_with_tokens(
        plan: Arc<Plan>,
        creds: Arc<Credentials>,
        opts: RunOptions,
        state: RunState,
        tokens: Tokens,
    ) -> Result<Run, ResumeError> {
        let mut run = Run::resume(plan, creds, opts, state)?;
        for t in tokens.0.values() {
            run.secrets.add(&t.value);
        }
        run.tokens = tokens;
        Ok(run)
    }

    /// The OAuth2 tokens the run holds, for [`Run::resume_with_tokens`].
    pub fn tokens(&self) -> Tokens {
        self.tokens.clone()
    }

    fn with_state(plan: Arc<Plan>, creds: Arc<Credentials>, opts: RunOptions, st: RunState) -> Run {
        // A set shared through the credentials, if the embedder shares one.
        let mut secrets = creds.secrets();
        for s in creds.secret_values() {
            secrets.add(&s);
        }
        Run {
            plan,
            creds,
            opts,
            st,
            secrets,
            tokens: Tokens::default(),
            events: Vec::new(),
            judge_started_ms: 0,
        }
    }

    /// The state, for persisting between commands (it holds no credential
    /// or token; see [`RunState`]).
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

    /// The status and unmasked outputs of workflow `workflow` (a plan index)
    /// once it has finished.
    pub fn result(&self, workflow: WorkflowIndex) -> Option<(Status, &Map<String, Value>)> {
        self.st.done.get(&workflow).map(|d| (d.status, &d.outputs))
    }

    /// Takes the events produced since the last call.
    pub fn take_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.events)
    }

    /// `text` with the run's secrets masked (for logging requests outside the run).
    pub fn mask(&self, text: &str) -> String {
        self.secrets.mask(text)
    }

    /// The plan.
    pub fn plan(&self) -> &Arc<Plan> {
        &self.plan
    }

    fn id(&mut self) -> u64 {
        self.st.next_id += 1;
        self.st.next_id
    }

    /// Returns what the run needs next. Call it again after feeding a result;
    /// called before the result arrives, it returns the same command again.
    ///
    /// The run reads the time only once, so a long evaluation is neither
    /// interrupted at the run's time limit nor counted in durations; a
    /// driver on a real clock calls [`Run::next_with`].
    pub fn next(&mut self, now_ms: u64) -> Command {
        self.next_with(&now_ms)
    }

    /// [`Run::next`], reading `clock` between units of work (criteria,
    /// outputs, steps): the run stops at its time limit
    /// ([`RunOptions::run_timeout`]) between two of them, and the time they
    /// took shows in the durations it reports. See [`RunClock`].
    pub fn next_with(&mut self, clock: &dyn RunClock) -> Command {
        if self.st.started_ms.is_none() {
            self.st.started_ms = Some(clock.now_ms());
        }
        loop {
            if let Some(waiting) = self.st.waiting.clone() {
                match self.reissue(waiting, clock.now_ms()) {
                    Some(cmd) => return cmd,
                    None => continue,
                }
            }
            if self.out_of_time(clock)
                && let Some(reason) = self.st.abort.clone()
                && !self.st.frames.is_empty()
            {
                self.record_cut_exchange(clock);
                self.fail(self.abort_kind(), reason, clock);
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
                self.push_frame(wf, inputs, Cont::Root, clock);
                continue;
            };
            match frame.phase.clone() {
                Phase::Enter | Phase::Prepared => self.enter(clock),
                Phase::StepBegin => self.step_begin(clock),
                Phase::Send { request } => {
                    if let Some(cmd) = self.send(request, clock) {
                        return cmd;
                    }
                }
                Phase::Judge => self.judge(clock),
                Phase::AwaitResponse
                | Phase::AwaitToken { .. }
                | Phase::AwaitRetry
                | Phase::AwaitCallee => {
                    // A frame waits but the run does not: its callee finished
                    // without resuming it, which would be a bug; fail rather than hang.
                    self.fail(
                        FailureKind::Internal,
                        "internal error: the workflow lost track of what it waited for".into(),
                        clock,
                    );
                }
            }
        }
    }

    /// Stops the run from outside: a signal, a shutdown, a caller's own
    /// deadline. `reason` becomes the error of every workflow execution still
    /// running (a [`FailureKind::Interrupted`] failure, where the run's own
    /// limits give [`FailureKind::Limit`]); workflows not yet started do not
    /// start.
    ///
    /// The command the run waits on is abandoned: a request in flight is
    /// recorded as its step's failed execution (with `reason`, the request
    /// and the time it took until `now_ms`), a retry's wait or a token
    /// request simply ends. Call [`Run::next`] until it returns
    /// [`Command::Finished`]: it issues no further request or wait, and the
    /// report is then complete. A result delivered for the abandoned command
    /// afterwards is ignored. A run already stopped (by a limit) keeps its
    /// first reason.
    pub fn abort(&mut self, reason: impl Into<String>, now_ms: u64) {
        let reason = reason.into();
        if self.st.abort.is_none() {
            self.st.abort = Some(reason.clone());
            self.st.interrupted = true;
        }
        match self.st.waiting.take() {
            Some(Waiting::Response { .. }) => {
                self.on_response(Err(TransportError::Failed(reason)), now_ms)
            }
            Some(Waiting::Token { .. } | Waiting::Sleep { .. }) | None => {}
        }
    }

    /// When the run stops with an operation step's exchange taken but not
    /// judged (its request was cut at the run's time limit, or abandoned by
    /// [`Run::abort`], or its response arrived too late), records that
    /// execution as failed with the run's limit, so the report shows the
    /// step the run stopped in.
    fn record_cut_exchange(&mut self, clock: &dyn RunClock) {
        let plan = self.plan.clone();
        let Some(f) = self.st.frames.last() else {
            return;
        };
        let cut = matches!(f.phase, Phase::Judge)
            && f.callee.is_none()
            && f.exchange.as_ref().is_some_and(|x| x.request.is_some());
        let Some(step) = plan.workflow(f.wf).and_then(|w| w.steps.get(f.pc)) else {
            return;
        };
        if !cut {
            return;
        }
        self.judge_started_ms = clock.now_ms();
        let judged = judge::Judged {
            passed: false,
            error: Some(self.limit_error()),
            criteria: Vec::new(),
            outputs: Map::new(),
            interrupted: true,
            contract: Vec::new(),
        };
        let action = crate::report::ActionRecord {
            name: None,
            kind: crate::report::ActionType::Fail,
            target: None,
        };
        self.record_step(step, judged, Some(action), clock);
    }

    /// Whether the run must stop: it was aborted (a limit was reached), or
    /// it is past its time limit now, which aborts it. Checked between units
    /// of work, so evaluation stops at the deadline too.
    fn out_of_time(&mut self, clock: &dyn RunClock) -> bool {
        if self.st.abort.is_none()
            && let (Some(limit), Some(start)) = (self.opts.run_timeout, self.st.started_ms)
            && clock.now_ms().saturating_sub(start) > limit.as_millis() as u64
        {
            self.st.abort = Some(format!(
                "the run exceeded its time limit of {} s",
                limit.as_secs_f64()
            ));
        }
        self.st.abort.is_some()
    }

    /// `wait` cut to the time the run has left (and a millisecond, so that
    /// the run is past its limit when the wait ends): a request or a retry
    /// delay does not outlast the run.
    fn within_time_limit(&self, wait: Duration, now_ms: u64) -> Duration {
        match (self.opts.run_timeout, self.st.started_ms) {
            (Some(limit), Some(start)) => {
                let used = Duration::from_millis(now_ms.saturating_sub(start));
                let left = limit.saturating_sub(used) + Duration::from_millis(1);
                wait.min(left)
            }
            _ => wait,
        }
    }

    /// The command the run waits on, again; `None` when it can no longer be
    /// issued as it was (a token it needs was lost in a resume) and the run
    /// has gone back to obtaining it.
    fn reissue(&mut self, waiting: Waiting, now_ms: u64) -> Option<Command> {
        match waiting {
            Waiting::Sleep { id, duration } => Some(Command::Sleep { id, duration }),
            Waiting::Response {
                id,
                request,
                timeout,
            } => match self.authorize(request.clone()) {
                Ok(request) => Some(Command::Send {
                    id,
                    request,
                    timeout,
                }),
                Err(_) => {
                    self.st.waiting = None;
                    if let Some(f) = self.frame() {
                        f.phase = Phase::Send { request };
                    }
                    None
                }
            },
            Waiting::Token { id, api, scheme } => match self.token_request(api, &scheme) {
                Ok(request) => Some(Command::Send {
                    id,
                    request,
                    timeout: self.within_time_limit(self.opts.request_timeout, now_ms),
                }),
                Err(e) => {
                    self.st.waiting = None;
                    self.fail_before_send(
                        FailureKind::Credentials,
                        format!("could not obtain an OAuth2 token: {e}"),
                    );
                    None
                }
            },
        }
    }

    /// Feeds the result of a [`Command::Send`].
    pub fn deliver(&mut self, id: u64, result: Result<HttpResponse, TransportError>, now_ms: u64) {
        match self.st.waiting.take() {
            Some(Waiting::Response { id: w, .. }) if w == id => self.on_response(result, now_ms),
            Some(Waiting::Token { id: w, .. }) if w == id => self.on_token(result, now_ms),
            other => self.st.waiting = other,
        }
    }

    /// Feeds the end of a [`Command::Sleep`].
    pub fn woke(&mut self, id: u64, _now_ms: u64) {
        match self.st.waiting.take() {
            Some(Waiting::Sleep { id: w, .. }) if w == id => {
                if let Some(f) = self.st.frames.last_mut() {
                    f.attempt += 1;
                    f.phase = Phase::StepBegin;
                }
            }
            other => self.st.waiting = other,
        }
    }

    /// The id of the workflow the top frame runs (empty when none runs).
    fn workflow_id(&self) -> String {
        self.st
            .frames
            .last()
            .and_then(|f| self.plan.workflow(f.wf))
            .map(|w| w.id.clone())
            .unwrap_or_default()
    }

    fn frame(&mut self) -> Option<&mut Frame> {
        self.st.frames.last_mut()
    }

    /// Records the command the run now waits on and returns it.
    fn issue(&mut self, cmd: Command, waiting: Waiting) -> Command {
        self.st.waiting = Some(waiting);
        cmd
    }
}
