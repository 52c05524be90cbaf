//! The async driver: feeds a [`Run`] real HTTP (reqwest) and real time (tokio).
//!
//! The HTTP client is built for executing workflows, not browsing: no
//! automatic redirects (a 3xx is a result criteria can test), no cookie jar
//! (cookie parameters are explicit), a per-request timeout, a response-size
//! cap, and gzip/brotli/deflate decoding. One [`Engine`] shares one
//! connection pool across every run it executes.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use arazzo_openapi::HttpRequest;
use serde_json::{Map, Value};

use crate::auth::Credentials;
use crate::exchange::{HttpResponse, TransportError};
use crate::plan::Plan;
use crate::report::{Event, RunReport, Status, WorkflowRecord};
use crate::run::{Command, Run, RunOptions, StartError};

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

/// Real time, on tokio.
#[derive(Debug, Clone)]
pub struct TokioClock {
    start: Instant,
}

impl Default for TokioClock {
    fn default() -> Self {
        TokioClock {
            start: Instant::now(),
        }
    }
}

impl Clock for TokioClock {
    fn now_ms(&self) -> u64 {
        self.start.elapsed().as_millis() as u64
    }

    fn unix_ms(&self) -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0)
    }

    fn sleep(&self, duration: Duration) -> BoxFuture<'_, ()> {
        Box::pin(tokio::time::sleep(duration))
    }
}

/// Options of the HTTP client.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// Largest response body accepted, in bytes.
    pub max_response_bytes: usize,
    /// Connect timeout.
    pub connect_timeout: Duration,
    /// Accept invalid TLS certificates (for test servers only).
    pub insecure: bool,
    /// The `User-Agent` header.
    pub user_agent: String,
}

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            max_response_bytes: 50 * 1024 * 1024,
            connect_timeout: Duration::from_secs(10),
            insecure: false,
            user_agent: format!("arazzo-run/{}", env!("CARGO_PKG_VERSION")),
        }
    }
}

/// The reqwest transport.
#[derive(Debug, Clone)]
pub struct ReqwestTransport {
    client: reqwest::Client,
    max_bytes: usize,
}

impl ReqwestTransport {
    /// A transport with its own connection pool.
    pub fn new(options: &HttpOptions) -> Result<ReqwestTransport, String> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(options.connect_timeout)
            .danger_accept_invalid_certs(options.insecure)
            .user_agent(options.user_agent.clone())
            .build()
            .map_err(|e| e.to_string())?;
        Ok(ReqwestTransport {
            client,
            max_bytes: options.max_response_bytes,
        })
    }

    async fn send_inner(
        &self,
        request: HttpRequest,
        timeout: Duration,
    ) -> Result<HttpResponse, TransportError> {
        let method = reqwest::Method::from_bytes(request.method.as_bytes()).map_err(|_| {
            TransportError::Failed(format!("invalid HTTP method `{}`", request.method))
        })?;
        let mut builder = self.client.request(method, &request.url).timeout(timeout);
        for (name, value) in &request.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        if let Some(body) = request.body {
            builder = builder.body(body);
        }
        let mut resp = builder.send().await.map_err(|e| describe(&e, timeout))?;
        let status = resp.status().as_u16();
        let headers = resp
            .headers()
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        if resp
            .content_length()
            .is_some_and(|n| n > self.max_bytes as u64)
        {
            return Err(TransportError::TooLarge(self.max_bytes));
        }
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| describe(&e, timeout))? {
            body.extend_from_slice(&chunk);
            if body.len() > self.max_bytes {
                return Err(TransportError::TooLarge(self.max_bytes));
            }
        }
        Ok(HttpResponse {
            status,
            headers,
            body,
        })
    }
}

fn describe(e: &reqwest::Error, timeout: Duration) -> TransportError {
    if e.is_timeout() {
        return TransportError::Timeout(timeout.as_millis() as u64);
    }
    // The outermost message of reqwest is generic; the source says why.
    let mut msg = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        msg = format!("{msg}: {s}");
        source = s.source();
    }
    TransportError::Failed(msg)
}

impl Transport for ReqwestTransport {
    fn send(
        &self,
        request: HttpRequest,
        timeout: Duration,
    ) -> BoxFuture<'_, Result<HttpResponse, TransportError>> {
        Box::pin(async move {
            match tokio::time::timeout(
                timeout + Duration::from_millis(50),
                self.send_inner(request, timeout),
            )
            .await
            {
                Ok(r) => r,
                Err(_) => Err(TransportError::Timeout(timeout.as_millis() as u64)),
            }
        })
    }
}

/// Runs a [`Run`] to completion with a transport and a clock, passing each
/// event to `on_event`.
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
            let cmd = run.next(clock.now_ms());
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
    pub fn new(plan: Plan) -> Result<Engine, String> {
        Ok(Engine {
            plan: Arc::new(plan),
            credentials: Arc::new(Credentials::new()),
            options: RunOptions::default(),
            transport: Arc::new(ReqwestTransport::new(&HttpOptions::default())?),
            clock: Arc::new(TokioClock::default()),
        })
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
        let done = wf.and_then(|w| run.state().done.get(&w).cloned());
        let report = run.report().clone();
        let requested: Option<&WorkflowRecord> =
            report.workflows.iter().find(|w| w.reason == "requested");
        let error = requested.and_then(|r| r.error.clone());
        Ok(Outcome {
            status: done.as_ref().map_or(Status::Failed, |d| d.status),
            outputs: done.map(|d| d.outputs).unwrap_or_default(),
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
