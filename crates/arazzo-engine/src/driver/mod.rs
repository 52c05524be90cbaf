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
use std::task::Poll;
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
    drive_until(run, transport, clock, on_event, std::future::pending()).await
}

/// [`drive`], stopping early when `stop` completes: the request or wait in
/// flight is dropped (cancelled, not waited for), and the run is
/// [aborted](Run::abort) with the reason `stop` gives. The run then ends
/// at once, its report complete: the step whose request was in flight is
/// recorded as failed with that reason, every workflow still running fails
/// with it (a [`FailureKind::Limit`](crate::report::FailureKind) failure),
/// and workflows not yet started do not start.
///
/// `stop` is how an embedder cancels a run: a signal (Ctrl-C), a shutdown,
/// a deadline of its own, a oneshot channel. It is polled before each
/// command's work and while the work is under way, on whatever async
/// runtime drives this future; nothing here needs tokio.
pub async fn drive_until(
    run: &mut Run,
    transport: &dyn Transport,
    clock: &dyn Clock,
    on_event: &mut (dyn FnMut(Event) + Send),
    stop: impl Future<Output = String> + Send,
) {
    use tracing::Instrument;
    let mut stop = std::pin::pin!(stop);
    let mut stopped = false;
    async {
        run.set_wall_clock(clock.unix_ms(), clock.now_ms());
        loop {
            let cmd = run.next_with(&Reading(clock));
            forward_events(run, on_event);
            match cmd {
                Command::Finished => break,
                // A stopped run issues no more work; were it to, the work is
                // refused rather than done.
                Command::Send { id, .. } if stopped => run.deliver(
                    id,
                    Err(TransportError::Failed("the run was stopped".into())),
                    clock.now_ms(),
                ),
                Command::Sleep { id, .. } if stopped => run.woke(id, clock.now_ms()),
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
                    let send = transport.send(request, timeout).instrument(http);
                    match unless_stopped(send, stop.as_mut(), &mut stopped).await {
                        Ok(result) => {
                            match &result {
                                Ok(r) => tracing::debug!(status = r.status, "response"),
                                Err(e) => tracing::debug!(error = %e, "no response"),
                            }
                            run.deliver(id, result, clock.now_ms());
                        }
                        Err(reason) => {
                            tracing::debug!(%reason, "stopped with a request in flight");
                            run.abort(reason, clock.now_ms());
                        }
                    }
                }
                Command::Sleep { id, duration } => {
                    tracing::debug!(ms = duration.as_millis() as u64, "waiting before a retry");
                    match unless_stopped(clock.sleep(duration), stop.as_mut(), &mut stopped).await {
                        Ok(()) => run.woke(id, clock.now_ms()),
                        Err(reason) => {
                            tracing::debug!(%reason, "stopped while waiting to retry");
                            run.abort(reason, clock.now_ms());
                        }
                    }
                }
            }
        }
        forward_events(run, on_event);
    }
    .instrument(tracing::info_span!("arazzo.run"))
    .await
}

/// Does `work` unless `stop` completes first (it is polled first, and never
/// again once it has completed: `stopped` says so). `Err` carries the reason
/// to stop; `work` is then dropped, which cancels it.
async fn unless_stopped<T>(
    work: impl Future<Output = T>,
    mut stop: Pin<&mut (impl Future<Output = String> + ?Sized)>,
    stopped: &mut bool,
) -> Result<T, String> {
    let mut work = std::pin::pin!(work);
    std::future::poll_fn(|cx| {
        if !*stopped && let Poll::Ready(reason) = stop.as_mut().poll(cx) {
            *stopped = true;
            return Poll::Ready(Err(reason));
        }
        work.as_mut().poll(cx).map(Ok)
    })
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
    /// The HTTP client could not be built (TLS roots, proxy settings). The
    /// reqwest transport builds its clients on first use, so it reports such
    /// a failure on the first request instead; the variant stays for
    /// transports that set up eagerly.
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
        self.run_all_until(requests, on_event, std::future::pending())
            .await
    }

    /// [`Engine::run_all`], stopped early when `stop` completes (a signal,
    /// a shutdown, a oneshot channel; any runtime): the request or retry
    /// wait in flight is dropped, which cancels it, and the run is
    /// [aborted](Run::abort) with the reason `stop` gives. Its step is
    /// recorded as failed with that reason, the workflows still running fail
    /// with it (an [`Interrupted`](crate::report::FailureKind::Interrupted) failure),
    /// workflows not yet started do not start, and the report returned holds
    /// what happened until then. The CLI stops this way on SIGINT and SIGTERM.
    pub async fn run_all_until(
        &self,
        requests: Vec<(String, Map<String, Value>)>,
        on_event: &mut (dyn FnMut(Event) + Send),
        stop: impl Future<Output = String> + Send,
    ) -> Result<RunReport, StartError> {
        let mut run = Run::new(
            self.plan.clone(),
            self.credentials.clone(),
            self.options.clone(),
            requests,
        )?;
        drive_until(
            &mut run,
            self.transport.as_ref(),
            self.clock.as_ref(),
            on_event,
            stop,
        )
        .await;
        Ok(run.report().clone())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::{Context, Waker};

    use super::*;
    use crate::CompileOptions;
    use crate::report::FailureKind;

    const OPENAPI: &str = r#"
openapi: 3.1.0
info: {title: Silent, version: "1"}
servers: [{url: "http://127.0.0.1:9"}]
paths:
  /hang:
    get:
      operationId: hang
      responses: {"200": {description: ok}}
"#;

    const DOC: &str = r#"
arazzo: 1.0.1
info: {title: silent, version: "1"}
sourceDescriptions: [{name: api, url: ./api.openapi.yaml, type: openapi}]
workflows:
  - workflowId: hang
    steps:
      - stepId: wait
        operationId: hang
  - workflowId: after
    steps:
      - stepId: never
        operationId: hang
"#;

    fn plan(name: &str) -> Arc<Plan> {
        let dir =
            std::env::temp_dir().join(format!("arazzo-driver-stop-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        std::fs::write(dir.join("api.openapi.yaml"), OPENAPI).expect("write");
        std::fs::write(dir.join("flow.arazzo.yaml"), DOC).expect("write");
        let location = dir.join("flow.arazzo.yaml").display().to_string();
        let compiled = crate::compile_location(&location, &CompileOptions::default())
            .expect("the documents load");
        assert!(!compiled.has_errors());
        let _ = std::fs::remove_dir_all(&dir);
        Arc::new(compiled.plan)
    }

    fn run(name: &str) -> Run {
        let requests = vec![("hang".into(), Map::new()), ("after".into(), Map::new())];
        Run::new(
            plan(name),
            Arc::new(Credentials::new()),
            RunOptions::default(),
            requests,
        )
        .expect("the workflows exist")
    }

    /// The run stopped in step `wait` of `hang` with `reason`, and `after`
    /// never started.
    fn assert_stopped(report: &RunReport, reason: &str) {
        assert_eq!(report.workflows.len(), 1, "{report:#?}");
        let wf = &report.workflows[0];
        assert_eq!(wf.status, Status::Failed);
        assert_eq!(wf.error.as_deref(), Some(reason));
        assert_eq!(
            wf.failure.as_ref().map(|f| f.kind),
            Some(FailureKind::Interrupted)
        );
        assert_eq!(wf.steps.len(), 1, "{report:#?}");
        let step = &wf.steps[0];
        assert_eq!(step.step_id, "wait");
        assert_eq!(step.status, Status::Failed);
        assert_eq!(step.error.as_deref(), Some(reason));
        assert_eq!(step.method.as_deref(), Some("GET"));
    }

    #[test]
    fn an_aborted_run_records_the_request_in_flight_and_ends() {
        let mut run = run("abort");
        let Command::Send { id, .. } = run.next(0) else {
            panic!("the run sends its request first");
        };
        run.abort("stopped from outside", 40);
        assert_eq!(run.next(40), Command::Finished);
        // A late answer to the abandoned request changes nothing.
        let late = HttpResponse {
            status: 200,
            headers: Vec::new(),
            body: Vec::new(),
        };
        run.deliver(id, Ok(late), 50);
        assert_eq!(run.next(50), Command::Finished);
        assert_stopped(run.report(), "stopped from outside");
        assert_eq!(run.report().workflows[0].steps[0].duration_ms, 40);
    }

    /// Never answers; counts the requests it was given.
    #[derive(Default)]
    struct Silent(AtomicUsize);

    impl Transport for Silent {
        fn send(
            &self,
            _request: HttpRequest,
            _timeout: Duration,
        ) -> BoxFuture<'_, Result<HttpResponse, TransportError>> {
            self.0.fetch_add(1, Ordering::SeqCst);
            Box::pin(std::future::pending())
        }
    }

    /// Time that stands still; waits end at once.
    struct Still;

    impl Clock for Still {
        fn now_ms(&self) -> u64 {
            0
        }
        fn unix_ms(&self) -> u64 {
            0
        }
        fn sleep(&self, _duration: Duration) -> BoxFuture<'_, ()> {
            Box::pin(async {})
        }
    }

    /// Completes on its second poll (the first is before the request is sent
    /// or while it is in flight).
    struct Later(bool);

    impl Future for Later {
        type Output = String;
        fn poll(mut self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> Poll<String> {
            if self.0 {
                return Poll::Ready("stopped by the embedder".into());
            }
            self.0 = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }

    /// Polls `f` to completion on this thread, at most a few times.
    fn block_on<F: Future>(f: F) -> F::Output {
        let mut f = std::pin::pin!(f);
        let mut cx = Context::from_waker(Waker::noop());
        for _ in 0..100 {
            if let Poll::Ready(out) = f.as_mut().poll(&mut cx) {
                return out;
            }
        }
        panic!("the future did not complete");
    }

    #[test]
    fn drive_until_cancels_the_request_in_flight() {
        let mut run = run("drive");
        let transport = Silent::default();
        let mut events = Vec::new();
        let mut on_event = |e: Event| events.push(e);
        block_on(drive_until(
            &mut run,
            &transport,
            &Still,
            &mut on_event,
            Later(false),
        ));
        assert_eq!(transport.0.load(Ordering::SeqCst), 1);
        assert_stopped(run.report(), "stopped by the embedder");
        assert!(
            events
                .iter()
                .any(|e| matches!(e, Event::WorkflowFinished { .. })),
            "{events:?}"
        );
    }
}
