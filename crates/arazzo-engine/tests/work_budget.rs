//! The run's time limit covers evaluation, not only waiting: a run that
//! reads its clock between units of work ([`Run::next_with`]) stops between
//! two criteria (or outputs, or steps) once it is past its limit, and the
//! durations it reports include the time evaluation took.
//!
//! The clocks here tick on every reading, so the tests are deterministic:
//! a criterion "takes" one tick.

use std::cell::Cell;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use arazzo_engine::report::Event;
use arazzo_engine::{
    BoxFuture, Clock, Command, CompileOptions, Credentials, Engine, FailureKind, HttpResponse,
    Plan, Run, RunClock, RunOptions, Status, Transport, TransportError,
};
use arazzo_openapi::HttpRequest;
use serde_json::{Map, json};

const OPENAPI: &str = r#"
openapi: 3.1.0
info: {title: Slow, version: "1"}
servers: [{url: "http://127.0.0.1:9"}]
paths:
  /items:
    get:
      operationId: items
      responses: {"200": {description: ok}}
"#;

/// How many criteria the step checks.
const CRITERIA: usize = 40;

/// A workflow whose one step checks `CRITERIA` criteria, and one that calls it.
fn document() -> String {
    let mut criteria = String::new();
    for i in 0..CRITERIA {
        criteria.push_str(&format!(
            "          - {{condition: $response.body#/items/{} == {i}}}\n",
            i % 3
        ));
    }
    format!(
        r#"
arazzo: 1.0.1
info: {{title: slow, version: "1"}}
sourceDescriptions: [{{name: api, url: ./api.openapi.yaml, type: openapi}}]
workflows:
  - workflowId: caller
    steps:
      - stepId: call
        workflowId: slow
  - workflowId: slow
    steps:
      - stepId: check
        operationId: items
        successCriteria:
{criteria}"#
    )
}

static COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

fn plan() -> Plan {
    let dir = std::env::temp_dir().join(format!(
        "arazzo-budget-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    std::fs::write(dir.join("api.openapi.yaml"), OPENAPI).expect("write");
    std::fs::write(dir.join("flow.arazzo.yaml"), document()).expect("write");
    let location = dir.join("flow.arazzo.yaml").display().to_string();
    let compiled = arazzo_engine::compile_location(&location, &CompileOptions::default())
        .expect("the documents load");
    assert!(!compiled.has_errors());
    let _ = std::fs::remove_dir_all(&dir);
    compiled.plan
}

/// The body the criteria read: criterion `i` compares item `i % 3` with
/// `i`, so most would fail — the run is stopped before a verdict anyway.
fn response() -> HttpResponse {
    HttpResponse {
        status: 200,
        headers: vec![("content-type".into(), "application/json".into())],
        body: json!({"items": [0, 1, 2]}).to_string().into_bytes(),
    }
}

fn options() -> RunOptions {
    RunOptions {
        run_timeout: Some(Duration::from_secs(3)),
        ..RunOptions::default()
    }
}

fn start() -> Run {
    start_with("slow", options())
}

fn start_with(workflow: &str, opts: RunOptions) -> Run {
    Run::new(
        Arc::new(plan()),
        Arc::new(Credentials::new()),
        opts,
        vec![(workflow.to_string(), Map::new())],
    )
    .expect("starts")
}

/// A clock that moves 100 ms every time it is read.
#[derive(Default)]
struct Ticking(Cell<u64>);

impl RunClock for Ticking {
    fn now_ms(&self) -> u64 {
        let now = self.0.get() + 100;
        self.0.set(now);
        now
    }
}

#[test]
fn evaluation_stops_between_criteria_at_the_time_limit() {
    let mut run = start();
    let clock = Ticking::default();
    let mut sends = 0;
    loop {
        match run.next_with(&clock) {
            Command::Send { id, .. } => {
                sends += 1;
                run.deliver(id, Ok(response()), clock.now_ms());
            }
            Command::Finished => break,
            other => panic!("unexpected command {other:?}"),
        }
    }
    assert_eq!(sends, 1);
    let report = run.report();
    let wf = &report.workflows[0];
    assert_eq!(wf.status, Status::Failed);
    let limit = "the run exceeded its time limit of 3 s";
    assert_eq!(wf.error.as_deref(), Some(limit));
    assert_eq!(
        wf.failure.as_ref().map(|f| f.kind),
        Some(FailureKind::Limit)
    );
    // The step is recorded, failed by the limit, with the criteria it got to.
    let step = &wf.steps[0];
    assert_eq!(step.status, Status::Failed);
    assert_eq!(step.error.as_deref(), Some(limit));
    assert!(
        !step.criteria.is_empty() && step.criteria.len() < CRITERIA,
        "{} criteria evaluated",
        step.criteria.len()
    );
    // Its duration is the exchange's and the evaluation's (a tick each).
    assert!(
        step.duration_ms >= 100 * step.criteria.len() as u64,
        "{} ms for {} criteria",
        step.duration_ms,
        step.criteria.len()
    );
    // The workflow ran until the limit (less the ticks before it entered).
    assert!(
        wf.duration_ms >= 2500 && wf.duration_ms >= step.duration_ms,
        "{} ms",
        wf.duration_ms
    );
}

#[test]
fn a_clock_that_stands_still_evaluates_everything_as_before() {
    let mut run = start();
    let mut now = 500;
    loop {
        match run.next(now) {
            Command::Send { id, timeout, .. } => {
                // The request may not outlast the run: 3 s are left (and a ms).
                assert_eq!(timeout, Duration::from_millis(3001));
                now = 700;
                run.deliver(id, Ok(response()), now);
            }
            Command::Finished => break,
            other => panic!("unexpected command {other:?}"),
        }
    }
    let wf = &run.report().workflows[0];
    let step = &wf.steps[0];
    assert_eq!(step.criteria.len(), CRITERIA);
    assert_eq!(
        step.failure.as_ref().map(|f| f.kind),
        Some(FailureKind::Criteria)
    );
    // The exchange took 200 ms (sent at 500, answered at 700); judging took
    // no time on this clock.
    assert_eq!(step.duration_ms, 200);
}

#[test]
fn a_workflow_step_lasts_as_long_as_its_call() {
    // A limit far away: the run reads its clock between criteria all the same.
    let opts = RunOptions {
        run_timeout: Some(Duration::from_secs(3600)),
        ..RunOptions::default()
    };
    let mut run = start_with("caller", opts);
    let clock = Ticking::default();
    loop {
        match run.next_with(&clock) {
            Command::Send { id, .. } => run.deliver(id, Ok(response()), clock.now_ms()),
            Command::Finished => break,
            other => panic!("unexpected command {other:?}"),
        }
    }
    let report = run.report();
    let (caller, slow) = (&report.workflows[0], &report.workflows[1]);
    assert_eq!(slow.steps[0].criteria.len(), CRITERIA);
    // The call step took the whole called workflow (its criteria included),
    // not only the called workflow's last exchange.
    let call = &caller.steps[0];
    assert!(
        call.duration_ms >= slow.duration_ms && slow.duration_ms >= 100 * CRITERIA as u64,
        "call {} ms, called workflow {} ms",
        call.duration_ms,
        slow.duration_ms
    );
}

/// Answers every request at once.
struct Instant200;

impl Transport for Instant200 {
    fn send(
        &self,
        _request: HttpRequest,
        _timeout: Duration,
    ) -> BoxFuture<'_, Result<HttpResponse, TransportError>> {
        Box::pin(async { Ok(response()) })
    }
}

/// A driver clock that moves 100 ms every time it is read.
#[derive(Default)]
struct TickingClock(AtomicU64);

impl Clock for TickingClock {
    fn now_ms(&self) -> u64 {
        self.0.fetch_add(100, Ordering::SeqCst) + 100
    }

    fn unix_ms(&self) -> u64 {
        1_767_225_600_000
    }

    fn sleep(&self, duration: Duration) -> BoxFuture<'_, ()> {
        self.0
            .fetch_add(duration.as_millis() as u64, Ordering::SeqCst);
        Box::pin(async {})
    }
}

#[tokio::test]
async fn the_driver_hands_its_clock_to_the_run() {
    let engine = Engine::with_parts(
        plan(),
        Arc::new(Instant200),
        Arc::new(TickingClock::default()),
    )
    .with_options(options());
    let mut events = Vec::new();
    let report = engine
        .run_all(vec![("slow".into(), Map::new())], &mut |e| events.push(e))
        .await
        .expect("runs");
    let wf = &report.workflows[0];
    assert_eq!(
        wf.error.as_deref(),
        Some("the run exceeded its time limit of 3 s")
    );
    let criteria = events
        .iter()
        .filter(|e| matches!(e, Event::CriterionEvaluated { .. }))
        .count();
    assert!(criteria > 0 && criteria < CRITERIA, "{criteria} criteria");
}
