//! The flagship workflow (Pipedream Connect account onboarding: three
//! requests) run by [`Engine`] against a loopback hyper server that answers
//! each request with a fixed, valid response, beside a bare reqwest loop that
//! sends the same three requests (method, URL, headers, body: recorded from
//! the engine's own run) to the same server and parses each JSON body with
//! serde_json. The difference is what the engine costs on top of the HTTP it
//! has to do.
//!
//! Three response sizes (the accounts list, the largest response, padded with
//! more accounts that the workflow reads as its `accounts` output), two modes
//! (one run at a time; 64 runs at once on 2 tokio workers). Criterion measures
//! each case on its own; at the end (only under `cargo bench`) both sides are
//! measured again side by side, interleaved, and the ratio table is printed:
//!
//! ```text
//! cargo bench -p arazzo-engine --bench flagship
//! ```
#![allow(missing_docs)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use arazzo_engine::{
    CheckResponses, CompileOptions, Credentials, Engine, Outcome, RunOptions, Status,
};
use bytes::Bytes;
use criterion::{Criterion, SamplingMode, Throughput};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};

const WORKFLOW: &str = "connect-account-onboarding";
/// The OAuth2 scheme's credential given as an access token, so that the
/// engine sends it as a bearer and fetches none: three requests per run.
const ACCESS_TOKEN: &str = "pd_bench_access_token_4f1c9a7e";
/// Concurrent runs in the concurrent mode.
const CONCURRENT: usize = 64;
/// The largest response's target sizes.
const SIZES: [(&str, usize); 3] = [("0.5KB", 500), ("10KB", 10_000), ("100KB", 100_000)];

fn repo(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path)
}

// ---------------------------------------------------------------- responses

/// An account as `createAccount` and `listAccounts` answer it (valid against
/// the description's `Account` schema).
fn account(i: usize) -> Value {
    json!({
        "id": format!("apn_Kd8mQ2x{i}"),
        "name": "Work OpenAI key",
        "external_id": "user-7f3a2c",
        "healthy": true,
        "dead": false,
        "app": {
            "id": "app_1Z2hWk",
            "name_slug": "openai",
            "name": "OpenAI (ChatGPT)",
            "auth_type": "keys",
            "description": "OpenAI's models for text, images and embeddings.",
            "img_src": "https://assets.pipedream.net/s.v0/app_1Z2hWk/logo/orig",
            "custom_fields_json": "[{\"name\":\"api_key\",\"label\":\"API Key\",\"type\":\"string\",\"secret\":true}]",
            "categories": ["Artificial Intelligence (AI)"],
            "featured_weight": 5000
        },
        "created_at": "2026-01-01T00:00:05.000Z",
        "updated_at": "2026-01-01T00:00:05.000Z",
        "authorized_scopes": [],
        "error": null,
        "last_refreshed_at": null,
        "next_refresh_at": null
    })
}

/// The three answers for one size.
struct Answers {
    token: Bytes,
    account: Bytes,
    list: Bytes,
}

impl Answers {
    /// The list holds as many accounts as bring it nearest to `target` bytes
    /// (at least one).
    fn new(target: usize) -> Answers {
        let token = json!({
            "token": "ctok_6d1f0c2b9e8a47f3a5c4b2d19e0f7a68",
            "expires_at": "2026-01-01T04:00:00.000+00:00",
            "connect_link_url": "https://pipedream.com/_static/connect.html?token=ctok_6d1f0c2b9e8a47f3a5c4b2d19e0f7a68&connectLink=true"
        });
        let one = serde_json::to_vec(&account(0)).expect("an account serializes");
        let n = (target as f64 / one.len() as f64).round().max(1.0) as usize;
        let data: Vec<Value> = (0..n).map(account).collect();
        let list = json!({
            "data": data,
            "page_info": {"count": n, "total_count": n, "start_cursor": null, "end_cursor": null}
        });
        let bytes = |v: &Value| Bytes::from(serde_json::to_vec(v).expect("JSON serializes"));
        Answers {
            token: bytes(&token),
            account: Bytes::from(one),
            list: bytes(&list),
        }
    }

    fn largest(&self) -> usize {
        self.token
            .len()
            .max(self.account.len())
            .max(self.list.len())
    }
}

// ------------------------------------------------------------------- server

/// One request as the server received it.
#[derive(Debug, Clone)]
struct Recorded {
    method: Method,
    path_and_query: String,
    headers: Vec<(String, String)>,
    body: Bytes,
}

struct ServerState {
    answers: Vec<Answers>,
    /// Which of `answers` is served.
    current: AtomicUsize,
    /// Requests are recorded while this is `Some`.
    recording: Mutex<Option<Vec<Recorded>>>,
}

async fn answer(
    state: Arc<ServerState>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, hyper::Error> {
    let (parts, body) = req.into_parts();
    let body = body.collect().await?.to_bytes();
    let path = parts.uri.path();
    let set = &state.answers[state.current.load(Ordering::Relaxed)];
    let payload = match (&parts.method, path) {
        (&Method::POST, p) if p.ends_with("/tokens") => Some(set.token.clone()),
        (&Method::POST, p) if p.ends_with("/accounts") => Some(set.account.clone()),
        (&Method::GET, p) if p.ends_with("/accounts") => Some(set.list.clone()),
        _ => None,
    };
    if let Some(log) = state
        .recording
        .lock()
        .expect("the recording lock is not poisoned")
        .as_mut()
    {
        log.push(Recorded {
            method: parts.method.clone(),
            path_and_query: parts
                .uri
                .path_and_query()
                .map(|p| p.as_str().to_string())
                .unwrap_or_default(),
            headers: parts
                .headers
                .iter()
                .map(|(n, v)| {
                    (
                        n.as_str().to_string(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect(),
            body: body.clone(),
        });
    }
    let response = match payload {
        Some(p) => Response::builder()
            .status(200)
            .header("content-type", "application/json")
            .body(Full::new(p)),
        None => Response::builder()
            .status(404)
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from_static(br#"{"error":"not found"}"#))),
    };
    Ok(response.expect("a canned response builds"))
}

/// The loopback server, on its own runtime (2 worker threads) so that it
/// does not share the client's workers.
struct Server {
    state: Arc<ServerState>,
    base_url: String,
    _runtime: tokio::runtime::Runtime,
}

impl Server {
    fn start() -> Server {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("bench-server")
            .enable_all()
            .build()
            .expect("the server runtime starts");
        let state = Arc::new(ServerState {
            answers: SIZES.iter().map(|(_, t)| Answers::new(*t)).collect(),
            current: AtomicUsize::new(0),
            recording: Mutex::new(None),
        });
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("a loopback port binds");
        let addr = listener.local_addr().expect("the listener has an address");
        let shared = state.clone();
        runtime.spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let _ = stream.set_nodelay(true);
                let state = shared.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req| answer(state.clone(), req));
                    let _ = http1::Builder::new()
                        .keep_alive(true)
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Server {
            state,
            base_url: format!("http://{addr}"),
            _runtime: runtime,
        }
    }

    fn serve_size(&self, index: usize) {
        self.state.current.store(index, Ordering::Relaxed);
    }
}

// ------------------------------------------------------------------ clients

/// The example inputs (`specs/pipedream/inputs.example.yaml`).
fn inputs() -> Value {
    let path = repo("specs/pipedream/inputs.example.yaml");
    let bytes = std::fs::read(&path).expect("the example inputs are readable");
    let loaded = arazzo_model::load::load(&path.display().to_string(), &bytes)
        .expect("the example inputs parse");
    loaded.value
}

/// The flagship compiled once, its source pointed at `base_url`.
fn engine(base_url: &str) -> Engine {
    let mut options = CompileOptions::default();
    options.servers.insert(
        "pipedreamApi".into(),
        base_url.parse().expect("the server URL parses"),
    );
    let location = repo("specs/pipedream/arazzo/pipedream-connect-account-onboarding-workflow.yml")
        .display()
        .to_string();
    let compiled = arazzo_engine::compile_location(&location, &options)
        .unwrap_or_else(|d| panic!("the flagship loads: {d:#?}"));
    assert!(
        !compiled.has_errors(),
        "the flagship compiles: {:#?}",
        compiled.diagnostics
    );
    let mut credentials = Credentials::new();
    credentials
        .set("OAuth2", ACCESS_TOKEN)
        .expect("the access token is a credential");
    Engine::new(compiled.plan)
        .expect("the engine builds")
        .with_credentials(credentials)
}

async fn engine_run(engine: &Engine, inputs: &Value) -> Outcome {
    let outcome = engine
        .run(WORKFLOW, inputs.clone())
        .await
        .expect("the workflow starts");
    assert_eq!(
        outcome.status,
        Status::Succeeded,
        "the flagship succeeds: {:#?}",
        outcome.error
    );
    outcome
}

/// The three requests as the engine sent them, replayed with reqwest.
#[derive(Clone)]
struct Bare {
    client: reqwest::Client,
    requests: Arc<Vec<(reqwest::Method, String, reqwest::header::HeaderMap, Bytes)>>,
}

impl Bare {
    fn new(base_url: &str, recorded: &[Recorded]) -> Bare {
        arazzo_openapi::fetch::install_tls_provider();
        // Configured as the engine's client for plain-HTTP URLs is.
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .pool_idle_timeout(Duration::from_secs(4))
            .tls_certs_only(Vec::new())
            .build()
            .expect("the reqwest client builds");
        let requests = recorded
            .iter()
            .map(|r| {
                let mut headers = reqwest::header::HeaderMap::new();
                for (name, value) in &r.headers {
                    // Set by the client from the URL and the body.
                    if name == "host" || name == "content-length" {
                        continue;
                    }
                    headers.append(
                        reqwest::header::HeaderName::from_bytes(name.as_bytes())
                            .expect("a recorded header name is valid"),
                        reqwest::header::HeaderValue::from_str(value)
                            .expect("a recorded header value is valid"),
                    );
                }
                (
                    r.method.clone(),
                    format!("{base_url}{}", r.path_and_query),
                    headers,
                    r.body.clone(),
                )
            })
            .collect();
        Bare {
            client,
            requests: Arc::new(requests),
        }
    }

    /// Sends the three requests in turn (with the engine's default
    /// per-request timeout), reads each body and parses it.
    async fn run(&self) -> usize {
        let mut parsed = 0;
        for (method, url, headers, body) in self.requests.iter() {
            let mut request = self
                .client
                .request(method.clone(), url)
                .timeout(Duration::from_secs(30))
                .headers(headers.clone());
            if !body.is_empty() {
                request = request.body(body.clone());
            }
            let response = request.send().await.expect("the bare request is answered");
            assert_eq!(response.status(), 200, "the bare request succeeds");
            let bytes = response.bytes().await.expect("the bare body is read");
            let value: Value = serde_json::from_slice(&bytes).expect("the body is JSON");
            parsed += usize::from(value.is_object());
        }
        parsed
    }
}

// -------------------------------------------------------------------- setup

struct Setup {
    server: Server,
    runtime: tokio::runtime::Runtime,
    engine: Engine,
    /// The same engine with response checks off (`CheckResponses::Off`),
    /// for the table: how much of the overhead is checking responses.
    unchecked: Engine,
    bare: Bare,
    inputs: Value,
}

impl Setup {
    fn new() -> Setup {
        let server = Server::start();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("bench-client")
            .enable_all()
            .build()
            .expect("the client runtime starts");
        let engine = engine(&server.base_url);
        let inputs = inputs();
        // One recorded run, at the largest size: it succeeds, every response
        // passes the engine's response checks, and its requests are those the
        // bare client will send.
        server.serve_size(SIZES.len() - 1);
        *server.state.recording.lock().expect("not poisoned") = Some(Vec::new());
        let outcome = runtime.block_on(engine_run(&engine, &inputs));
        let recorded = server
            .state
            .recording
            .lock()
            .expect("not poisoned")
            .take()
            .expect("the recording is there");
        assert_eq!(recorded.len(), 3, "three requests: {recorded:#?}");
        for step in outcome.report.workflows.iter().flat_map(|w| &w.steps) {
            assert!(
                step.contract.is_empty(),
                "step {} answered as described: {:#?}",
                step.step_id,
                step.contract
            );
        }
        let accounts = outcome.outputs["accounts"]
            .as_array()
            .map_or(0, |a| a.len());
        assert!(accounts > 1, "the workflow read the padded list");
        let bare = Bare::new(&server.base_url, &recorded);
        let unchecked = engine.clone().with_options(RunOptions {
            check_responses: CheckResponses::Off,
            ..RunOptions::default()
        });
        Setup {
            server,
            runtime,
            engine,
            unchecked,
            bare,
            inputs,
        }
    }

    async fn engine_sequential(&self, engine: &Engine, runs: u64) {
        for _ in 0..runs {
            std::hint::black_box(engine_run(engine, &self.inputs).await);
        }
    }

    async fn bare_sequential(&self, runs: u64) {
        for _ in 0..runs {
            std::hint::black_box(self.bare.run().await);
        }
    }

    /// `batches` times, `CONCURRENT` runs at once.
    async fn engine_concurrent(&self, engine: &Engine, batches: u64) {
        for _ in 0..batches {
            let tasks: Vec<_> = (0..CONCURRENT)
                .map(|_| {
                    let engine = engine.clone();
                    let inputs = self.inputs.clone();
                    tokio::spawn(async move {
                        engine_run(&engine, &inputs).await;
                    })
                })
                .collect();
            for t in tasks {
                t.await.expect("an engine run completes");
            }
        }
    }

    async fn bare_concurrent(&self, batches: u64) {
        for _ in 0..batches {
            let tasks: Vec<_> = (0..CONCURRENT)
                .map(|_| {
                    let bare = self.bare.clone();
                    tokio::spawn(async move {
                        std::hint::black_box(bare.run().await);
                    })
                })
                .collect();
            for t in tasks {
                t.await.expect("a bare run completes");
            }
        }
    }

    /// Time of `count` units of `which` (a unit is one run, or one batch of
    /// `CONCURRENT` runs).
    fn time(&self, which: Side, count: u64) -> Duration {
        self.runtime.block_on(async {
            let start = Instant::now();
            match which {
                Side::EngineSequential => self.engine_sequential(&self.engine, count).await,
                Side::UncheckedSequential => self.engine_sequential(&self.unchecked, count).await,
                Side::BareSequential => self.bare_sequential(count).await,
                Side::EngineConcurrent => self.engine_concurrent(&self.engine, count).await,
                Side::UncheckedConcurrent => self.engine_concurrent(&self.unchecked, count).await,
                Side::BareConcurrent => self.bare_concurrent(count).await,
            }
            start.elapsed()
        })
    }
}

#[derive(Clone, Copy)]
enum Side {
    EngineSequential,
    UncheckedSequential,
    BareSequential,
    EngineConcurrent,
    UncheckedConcurrent,
    BareConcurrent,
}

// ---------------------------------------------------------------- criterion

fn criterion_benches(c: &mut Criterion, setup: &Setup) {
    for (index, (label, _)) in SIZES.iter().enumerate() {
        setup.server.serve_size(index);
        let largest = setup.server.state.answers[index].largest();
        let mut group = c.benchmark_group(format!("flagship/{label}"));
        group
            .sample_size(10)
            .warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_secs(2))
            .sampling_mode(SamplingMode::Flat);
        println!("flagship/{label}: largest response {largest} bytes");
        group.throughput(Throughput::Elements(1));
        group.bench_function("engine/sequential", |b| {
            b.iter_custom(|iters| setup.time(Side::EngineSequential, iters))
        });
        group.bench_function("bare/sequential", |b| {
            b.iter_custom(|iters| setup.time(Side::BareSequential, iters))
        });
        group.throughput(Throughput::Elements(CONCURRENT as u64));
        group.bench_function("engine/concurrent64", |b| {
            b.iter_custom(|iters| setup.time(Side::EngineConcurrent, iters))
        });
        group.bench_function("bare/concurrent64", |b| {
            b.iter_custom(|iters| setup.time(Side::BareConcurrent, iters))
        });
        group.finish();
    }
}

// -------------------------------------------------------------- ratio table

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// The engine (default options, and with response checks off) and the bare
/// client measured in alternation (which goes first rotates too), `ROUNDS`
/// times; medians of the time per run.
fn ratio_table(setup: &Setup) {
    const ROUNDS: usize = 9;
    const SEQUENTIAL_RUNS: u64 = 40;
    const CONCURRENT_BATCHES: u64 = 2;
    println!();
    println!("flagship: engine vs bare reqwest, interleaved, median of {ROUNDS} rounds");
    println!(
        "| Largest response | Mode | Engine runs/s | Bare runs/s | Engine time / bare time | Engine overhead per step | Engine, checks off: runs/s | overhead per step |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for (index, (label, _)) in SIZES.iter().enumerate() {
        setup.server.serve_size(index);
        let largest = setup.server.state.answers[index].largest();
        let modes = [
            (
                "sequential",
                Side::EngineSequential,
                Side::UncheckedSequential,
                Side::BareSequential,
                SEQUENTIAL_RUNS,
                SEQUENTIAL_RUNS,
            ),
            (
                "64 concurrent",
                Side::EngineConcurrent,
                Side::UncheckedConcurrent,
                Side::BareConcurrent,
                CONCURRENT_BATCHES,
                CONCURRENT_BATCHES * CONCURRENT as u64,
            ),
        ];
        for (mode, engine_side, unchecked_side, bare_side, count, runs) in modes {
            // Warm every side (connections, caches) before measuring.
            let sides = [engine_side, unchecked_side, bare_side];
            for side in sides {
                setup.time(side, count);
            }
            let mut times = [Vec::new(), Vec::new(), Vec::new()];
            for round in 0..ROUNDS {
                // Each side goes first, second and third in turn.
                for k in 0..sides.len() {
                    let i = (round + k) % sides.len();
                    let t = setup.time(sides[i], count);
                    times[i].push(t.as_secs_f64() / runs as f64);
                }
            }
            let [e, u, b] = times.map(median);
            println!(
                "| {label} ({:.1} KB) | {mode} | {:.0} | {:.0} | {:.2}× | {:.1} µs | {:.0} | {:.1} µs |",
                largest as f64 / 1000.0,
                1.0 / e,
                1.0 / b,
                e / b,
                (e - b) * 1e6 / 3.0,
                1.0 / u,
                (u - b) * 1e6 / 3.0
            );
        }
    }
}

fn main() {
    let setup = Setup::new();
    let mut c = Criterion::default().configure_from_args();
    criterion_benches(&mut c, &setup);
    c.final_summary();
    // Under `cargo test --benches` criterion runs each case once; the table
    // is for `cargo bench` (which passes `--bench`) only.
    if std::env::args().any(|a| a == "--bench") {
        ratio_table(&setup);
    }
}
