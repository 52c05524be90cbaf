//! The async driver: feeds a [`Run`] HTTP and time through two small traits,
//! [`Transport`] and [`Clock`], so that it depends on no async runtime.
//!
//! With the default `http` feature, `http` has the implementations an
//! embedder usually wants: reqwest for HTTP and tokio for time. The HTTP
//! client is built for executing workflows, not browsing: no automatic
//! redirects (a 3xx is a result criteria can test), no cookie jar (cookie
//! parameters are explicit), a per-request timeout, a response-size cap, and
//! gzip/brotli/deflate decoding. One [`Engine`] shares one connection pool
//! across every run it executes.

#[cfg(feature = "http")]
mod http;
#[cfg(feature = "http")]
pub use http::{HttpOptions, ReqwestTransport, TokioClock};

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use arazzo_openapi::HttpRequest;
use serde_json::{Map, Value};

use crate::auth::Credentials;
use crate::exchange::{HttpResponse, TransportError};
use crate::plan::Plan;
use crate::report::{Event, Reason, RunReport, Status, WorkflowRecord};
use crate::run::{Command, Run, RunClock, RunOptions, StartError};

/// A boxed future, for object-safe async traits.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Sends requests. Implement it to run workflows over something other than
/// the network (a recording, an in-memory service, a test double).
pub trait Transport: Send + Sync {
    /// Sends `request`, giving up after `timeout`.
    fn send(
        &self,
        request: HttpRequest,
        timeout: Duration,
    ) -> BoxFuture<'_, Result<HttpResponse, TransportError>>;
}

/// Tells time and waits.
pub trait Clock: Send + Sync {
    /// Milliseconds since an arbitrary start (monotonic).
    fn now_ms(&self) -> u64;
    /// Milliseconds since the Unix epoch (for HTTP-date `Retry-After`).
    fn unix_ms(&self) -> u64;
    /// Waits.
    fn sleep(&self, duration: Duration) -> BoxFuture<'_, ()>;
}

/// The driver's [`Clock`] as the run reads it between units of work.
struct Reading<'a>(&'a dyn Clock);

impl RunClock for Reading<'_> {
    fn now_ms(&self) -> u64 {
        self.0.now_ms()
    }
}

/// Runs a [`Run`] to completion with a transport and a clock, passing each
/// event to `on_event`.
///
/// The run reads `clock` between units of work ([`Run::next_with`]), so
/// its time limit also stops long evaluations and the durations it reports
/// include them; a virtual clock keeps the run deterministic.
///
/// Each run is a `tracing` span (`arazzo.run`), each HTTP exchange a child
/// span (`arazzo.http`, URL masked), and every event is also emitted as a
/// `tracing` event (target `arazzo::event`), so embedders see the run in
/// their own subscriber.
pub async fn drive(
    run: &mut Run,
    transport: &dyn Transport,
    clock: &dyn Clock,
    on_event: &mut (dyn FnMut(Event) + Send),
) {
    use tracing::Instrument;
    async {
        run.set_wall_clock(clock.unix_ms(), clock.now_ms());
        loop {
            let cmd = run.next_with(&Reading(clock));
            forward_events(run, on_event);
            match cmd {
                Command::Finished => break,
                Command::Send {
                    id,
                    request,
                    timeout,
                } => {
                    let http = tracing::debug_span!(
                        "arazzo.http",
                        method = %request.method,
                        url = %run.mask(&request.url)
                    );
                    let result = transport.send(request, timeout).instrument(http).await;
                    match &result {
                        Ok(r) => tracing::debug!(status = r.status, "response"),
                        Err(e) => tracing::debug!(error = %e, "no response"),
                    }
                    run.deliver(id, result, clock.now_ms());
                }
                Command::Sleep { id, duration } => {
                    tracing::debug!(ms = duration.as_millis() as u64, "waiting before a retry");
                    clock.sleep(duration).await;
                    run.woke(id, clock.now_ms());
                }
            }
        }
        forward_events(run, on_event);
    }
    .instrument(tracing::info_span!("arazzo.run"))
    .await
}

/// Hands the run's new events to `on_event` and to `tracing`.
fn forward_events(run: &mut Run, on_event: &mut (dyn FnMut(Event) + Send)) {
    for e in run.take_events() {
        if tracing::enabled!(target: "arazzo::event", tracing::Level::DEBUG) {
            let json = serde_json::to_string(&e).unwrap_or_default();
            tracing::debug!(target: "arazzo::event", event = %json);
        }
        on_event(e);
    }
}

/// Why an [`Engine`] could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    /// The HTTP client could not be built (TLS roots, proxy settings).
    #[error("the HTTP client could not be built: {0}")]
    HttpClient(String),
}

/// The result of running one workflow.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Whether it succeeded.
    pub status: Status,
    /// Its outputs (real values, not masked).
    pub outputs: Map<String, Value>,
    /// Why it failed.
    pub error: Option<String>,
    /// The full report (secrets masked), with every workflow that ran.
    pub report: RunReport,
}

/// Runs workflows of a compiled plan. Cheap to clone; clones share the plan,
/// the credentials and the connection pool, so many runs can proceed at
/// once without interfering.
#[derive(Clone)]
pub struct Engine {
    plan: Arc<Plan>,
    credentials: Arc<Credentials>,
    options: RunOptions,
    transport: Arc<dyn Transport>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("options", &self.options)
            .finish()
    }
}

impl Engine {
    /// An engine with default options, no credentials, the reqwest transport and real time.
    #[cfg(feature = "http")]
    pub fn new(plan: Plan) -> Result<Engine, EngineError> {
        let transport = ReqwestTransport::new(&HttpOptions::default())?;
        Ok(Engine::with_parts(
            plan,
            Arc::new(transport),
            Arc::new(TokioClock::default()),
        ))
    }

    /// An engine with default options and no credentials that sends requests
    /// through `transport` and tells time with `clock` (any async runtime).
    pub fn with_parts(plan: Plan, transport: Arc<dyn Transport>, clock: Arc<dyn Clock>) -> Engine {
        Engine {
            plan: Arc::new(plan),
            credentials: Arc::new(Credentials::new()),
            options: RunOptions::default(),
            transport,
            clock,
        }
    }

    /// Sets the credentials.
    pub fn with_credentials(mut self, credentials: Credentials) -> Engine {
        self.credentials = Arc::new(credentials);
        self
    }

    /// Sets the run options.
    pub fn with_options(mut self, options: RunOptions) -> Engine {
        self.options = options;
        self
    }

    /// Sets the transport.
    pub fn with_transport(mut self, transport: Arc<dyn Transport>) -> Engine {
        self.transport = transport;
        self
    }

    /// Sets the clock.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Engine {
        self.clock = clock;
        self
    }

    /// The plan.
    pub fn plan(&self) -> &Arc<Plan> {
        &self.plan
    }

    /// Runs one workflow of the root document with `inputs` (a JSON object).
    pub async fn run(&self, workflow_id: &str, inputs: Value) -> Result<Outcome, StartError> {
        let inputs = match inputs {
            Value::Object(m) => m,
            _ => Map::new(),
        };
        let mut run = Run::new(
            self.plan.clone(),
            self.credentials.clone(),
            self.options.clone(),
            vec![(workflow_id.to_string(), inputs)],
        )?;
        let mut ignore = |_e: Event| {};
        drive(
            &mut run,
            self.transport.as_ref(),
            self.clock.as_ref(),
            &mut ignore,
        )
        .await;
        let wf = self.plan.workflow_index(workflow_id);
        let result = wf.and_then(|w| run.result(w));
        let status = result.map_or(Status::Failed, |(s, _)| s);
        let outputs = result.map(|(_, o)| o.clone()).unwrap_or_default();
        let report = run.report().clone();
        let requested: Option<&WorkflowRecord> = report
            .workflows
            .iter()
            .find(|w| w.reason == Reason::Requested);
        let error = requested.and_then(|r| r.error.clone());
        Ok(Outcome {
            status,
            outputs,
            error,
            report,
        })
    }

    /// Runs several workflows (in order; dependencies run first, once) and
    /// reports every event.
    pub async fn run_all(
        &self,
        requests: Vec<(String, Map<String, Value>)>,
        on_event: &mut (dyn FnMut(Event) + Send),
    ) -> Result<RunReport, StartError> {
        let mut run = Run::new(
            self.plan.clone(),
            self.credentials.clone(),
            self.options.clone(),
            requests,
        )?;
        drive(
            &mut run,
            self.transport.as_ref(),
            self.clock.as_ref(),
            on_event,
        )
        .await;
        Ok(run.report().clone())
    }
}
