//! The run state machine scripted by hand: no network, no runtime, no
//! clock. Every test feeds responses and wake-ups itself and checks the
//! commands the machine asks for — retries, gotos, nested workflows, OAuth2
//! token fetches and refreshes — and that a run saved after any command and
//! resumed in a fresh `Run` ends with the same report, with no credential in
//! any saved state.

use std::sync::Arc;

use arazzo_engine::{
    Command, CompileOptions, Credentials, FailureKind, HttpResponse, Plan, ResumeError, Run,
    RunOptions, RunState, Status,
};
use serde_json::{Map, Value, json};

const CLIENT_SECRET: &str = "cs-very-secret-0001";
const API_KEY: &str = "ak-very-secret-0002";
const TOKENS: [&str; 3] = [
    "tok-first-aaaaaaaa",
    "tok-second-bbbbbbb",
    "tok-third-ccccccccc",
];

const OPENAPI: &str = r#"
openapi: 3.1.0
info: {title: Shop, version: "1"}
servers: [{url: "http://127.0.0.1:9"}]
components:
  securitySchemes:
    oauth:
      type: oauth2
      flows:
        clientCredentials: {tokenUrl: /oauth/token, scopes: {}}
    key: {type: apiKey, in: header, name: X-Api-Key}
security: [{oauth: []}]
paths:
  /pets/{id}:
    get:
      operationId: getPet
      parameters: [{name: id, in: path, required: true, schema: {type: integer}}]
      responses: {"200": {description: a pet}}
  /status:
    get:
      operationId: getStatus
      responses: {"200": {description: ready}, "503": {description: not yet}}
  /orders:
    post:
      operationId: createOrder
      security: [{key: []}]
      requestBody:
        content: {application/json: {schema: {type: object}}}
      responses: {"201": {description: created}}
"#;

const ARAZZO: &str = r#"
arazzo: 1.0.1
info: {title: Shop flows, version: "1"}
sourceDescriptions: [{name: shop, url: ./shop.openapi.yaml, type: openapi}]
workflows:
  - workflowId: main
    inputs: {type: object, properties: {petId: {type: integer}}}
    steps:
      - stepId: pet
        operationId: getPet
        parameters: [{name: id, in: path, value: $inputs.petId}]
        successCriteria: [{condition: $statusCode == 200}]
        outputs: {name: $response.body#/name}
      - stepId: wait-ready
        operationId: getStatus
        successCriteria: [{condition: $statusCode == 200}]
        onFailure:
          - {name: again, type: retry, retryAfter: 2, retryLimit: 3}
        onSuccess:
          - name: skip
            type: goto
            stepId: order
            criteria: [{condition: $response.body#/skip == true}]
      - stepId: skipped
        operationId: getPet
        parameters: [{name: id, in: path, value: 0}]
      - stepId: order
        workflowId: child
        parameters: [{name: pet, value: $steps.pet.outputs.name}]
        successCriteria: [{condition: $outputs.orderId != null}]
        outputs: {orderId: $outputs.orderId}
    outputs:
      pet: $steps.pet.outputs.name
      order: $steps.order.outputs.orderId
  - workflowId: child
    inputs: {type: object, properties: {pet: {type: string}}}
    steps:
      - stepId: create
        operationId: createOrder
        requestBody: {payload: {pet: $inputs.pet}}
        successCriteria: [{condition: $statusCode == 201}]
        outputs: {orderId: $response.body#/id}
    outputs: {orderId: $steps.create.outputs.orderId}
"#;

/// Compiles the shop documents, written to a fresh folder.
fn plan(arazzo: &str) -> Arc<Plan> {
    let dir = std::env::temp_dir().join(format!(
        "arazzo-scripted-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    std::fs::write(dir.join("shop.openapi.yaml"), OPENAPI).expect("write");
    std::fs::write(dir.join("shop.arazzo.yaml"), arazzo).expect("write");
    let location = dir.join("shop.arazzo.yaml").display().to_string();
    let compiled = arazzo_engine::compile_location(&location, &CompileOptions::default())
        .expect("the documents load");
    assert!(
        !compiled.has_errors(),
        "{:?}",
        compiled
            .diagnostics
            .iter()
            .map(|d| &d.message)
            .collect::<Vec<_>>()
    );
    let _ = std::fs::remove_dir_all(&dir);
    Arc::new(compiled.plan)
}

static COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

fn credentials() -> Arc<Credentials> {
    let mut c = Credentials::new();
    c.set("oauth.client_id", "shop-client").expect("valid");
    c.set("oauth.client_secret", CLIENT_SECRET).expect("valid");
    c.set("key", API_KEY).expect("valid");
    Arc::new(c)
}

fn inputs() -> Vec<(String, Map<String, Value>)> {
    let mut m = Map::new();
    m.insert("petId".into(), json!(7));
    vec![("main".into(), m)]
}

fn json_response(status: u16, body: Value) -> HttpResponse {
    HttpResponse {
        status,
        headers: vec![("content-type".into(), "application/json".into())],
        body: body.to_string().into_bytes(),
    }
}

/// The API: answers by method and path, and counts what it was asked.
struct Shop {
    tokens_issued: usize,
    status_calls: usize,
    /// The status call that first answers 200.
    ready_at: usize,
    /// Every request but token requests times out.
    unreachable: bool,
    /// Every command, as `METHOD /path (auth)` or `sleep N ms`.
    log: Vec<String>,
}

impl Default for Shop {
    fn default() -> Self {
        Shop {
            tokens_issued: 0,
            status_calls: 0,
            ready_at: 3,
            unreachable: false,
            log: Vec::new(),
        }
    }
}

impl Shop {
    fn answer(&mut self, request: &arazzo_openapi::HttpRequest) -> HttpResponse {
        let url = url::Url::parse(&request.url).expect("absolute URL");
        let auth = match url.path() {
            "/oauth/token" => String::new(),
            _ => request
                .header("authorization")
                .or_else(|| request.header("x-api-key"))
                .map(|v| v.to_string())
                .unwrap_or_default(),
        };
        self.log.push(
            format!("{} {} {auth}", request.method, url.path())
                .trim_end()
                .into(),
        );
        match (request.method.as_str(), url.path()) {
            ("POST", "/oauth/token") => {
                let token = TOKENS[self.tokens_issued.min(2)];
                self.tokens_issued += 1;
                // Expires one second after it is issued (30 s are kept in reserve).
                json_response(
                    200,
                    json!({"access_token": token, "token_type": "Bearer", "expires_in": 31}),
                )
            }
            ("GET", "/pets/7") => json_response(200, json!({"name": "Rex"})),
            ("GET", "/status") => {
                self.status_calls += 1;
                if self.status_calls < self.ready_at {
                    json_response(503, json!({}))
                } else {
                    json_response(200, json!({"skip": true}))
                }
            }
            ("POST", "/orders") => json_response(201, json!({"id": "o-1"})),
            other => panic!("unexpected request {other:?}"),
        }
    }
}

/// Serves one command; returns false when the run is finished.
fn serve(run: &mut Run, cmd: Command, shop: &mut Shop, now: &mut u64) -> bool {
    match cmd {
        Command::Send { id, request, .. } => {
            let response = shop.answer(&request);
            if shop.unreachable && !request.url.ends_with("/oauth/token") {
                let error = arazzo_engine::TransportError::Timeout(30_000);
                run.deliver(id, Err(error), *now);
            } else {
                run.deliver(id, Ok(response), *now);
            }
            true
        }
        Command::Sleep { id, duration } => {
            shop.log.push(format!("sleep {} ms", duration.as_millis()));
            *now += duration.as_millis() as u64;
            run.woke(id, *now);
            true
        }
        Command::Finished => false,
        other => panic!("unexpected command {other:?}"),
    }
}

/// Serves every command until the run is finished.
fn finish(run: &mut Run, shop: &mut Shop, now: &mut u64) {
    for _ in 0..100 {
        let cmd = run.next(*now);
        if !serve(run, cmd, shop, now) {
            return;
        }
    }
    panic!("the run does not end");
}

fn new_run(plan: &Arc<Plan>) -> Run {
    Run::new(plan.clone(), credentials(), RunOptions::default(), inputs()).expect("starts")
}

#[test]
fn commands_follow_tokens_retries_gotos_and_nested_workflows() {
    let plan = plan(ARAZZO);
    let mut run = new_run(&plan);
    let mut shop = Shop::default();
    let mut now = 0;
    finish(&mut run, &mut shop, &mut now);
    let first = format!("Bearer {}", TOKENS[0]);
    let second = format!("Bearer {}", TOKENS[1]);
    let third = format!("Bearer {}", TOKENS[2]);
    assert_eq!(
        shop.log,
        vec![
            "POST /oauth/token".to_string(),
            format!("GET /pets/7 {first}"),
            format!("GET /status {first}"),
            "sleep 2000 ms".into(),
            // The token expired during the wait: a new one first.
            "POST /oauth/token".into(),
            format!("GET /status {second}"),
            "sleep 2000 ms".into(),
            "POST /oauth/token".into(),
            format!("GET /status {third}"),
            // The goto skipped `skipped`; the nested workflow sends the API key.
            format!("POST /orders {API_KEY}"),
        ]
    );
    let report = run.report();
    assert!(report.succeeded());
    let main = &report.workflows[0];
    assert_eq!(*main.outputs, json!({"pet": "Rex", "order": "o-1"}));
    let steps: Vec<(&str, u32)> = main
        .steps
        .iter()
        .map(|s| (s.step_id.as_str(), s.attempt))
        .collect();
    assert_eq!(
        steps,
        [
            ("pet", 1),
            ("wait-ready", 1),
            ("wait-ready", 2),
            ("wait-ready", 3),
            ("order", 1)
        ]
    );
    assert_eq!(report.workflows[1].workflow_id, "child");
    assert_eq!(report.workflows[1].reason, "called");
    assert_eq!(
        main.steps[1].action.as_ref().map(|a| a.kind.as_str()),
        Some("retry")
    );
    assert_eq!(
        main.steps[3].action.as_ref().map(|a| a.kind.as_str()),
        Some("goto")
    );
    let main_wf = plan.workflow_index("main").expect("main");
    let (status, outputs) = run.result(main_wf).expect("main finished");
    assert_eq!(status, Status::Succeeded);
    assert_eq!(outputs["order"], "o-1");
}

#[test]
fn asking_again_before_the_result_returns_the_same_command() {
    let plan = plan(ARAZZO);
    let mut run = new_run(&plan);
    let first = run.next(0);
    assert!(matches!(first, Command::Send { .. }));
    assert_eq!(run.next(0), first);
    // A result for another id is ignored.
    run.deliver(999, Ok(json_response(200, json!({}))), 0);
    assert_eq!(run.next(0), first);
    // A request handed out with a token is handed out again with that token,
    // even once the token has expired: it was issued already.
    let Command::Send { id, request, .. } = first else {
        panic!("a token request");
    };
    let mut shop = Shop::default();
    run.deliver(id, Ok(shop.answer(&request)), 0);
    let with_token = run.next(0);
    assert!(matches!(&with_token, Command::Send { request, .. } if request.url.contains("/pets/")));
    assert_eq!(run.next(60_000), with_token);
}

/// Runs the shop flow, saving the state after every command and resuming
/// it in a fresh `Run` from its JSON; returns the report and every saved state.
fn run_with_restarts(plan: &Arc<Plan>) -> (Value, Vec<String>) {
    let mut run = new_run(plan);
    let mut shop = Shop::default();
    let mut now = 0;
    let mut saved = Vec::new();
    loop {
        let cmd = run.next(now);
        let json = serde_json::to_string(run.state()).expect("serializes");
        saved.push(json.clone());
        let state: RunState = serde_json::from_str(&json).expect("deserializes");
        let tokens = run.tokens();
        run = Run::resume_with_tokens(
            plan.clone(),
            credentials(),
            RunOptions::default(),
            state,
            tokens,
        )
        .expect("resumes against its own plan");
        // The resumed run asks for the very same thing.
        let again = run.next(now);
        assert_eq!(again, cmd);
        if !serve(&mut run, again, &mut shop, &mut now) {
            break;
        }
        assert!(saved.len() < 100, "the run does not end");
    }
    (serde_json::to_value(run.report()).expect("report"), saved)
}

#[test]
fn a_run_resumed_after_every_command_ends_with_the_same_report() {
    let plan = plan(ARAZZO);
    let mut run = new_run(&plan);
    let mut shop = Shop::default();
    let mut now = 0;
    finish(&mut run, &mut shop, &mut now);
    let straight = serde_json::to_value(run.report()).expect("report");
    let (resumed, saved) = run_with_restarts(&plan);
    assert_eq!(resumed, straight);
    assert!(saved.len() > 10);
}

#[test]
fn a_run_resumed_in_a_new_process_fetches_its_token_again() {
    let plan = plan(ARAZZO);
    let mut run = new_run(&plan);
    let mut shop = Shop::default();
    let mut now = 0;
    // Token, then the first step's request is handed out: stop there.
    for _ in 0..2 {
        let cmd = run.next(now);
        assert!(serve(&mut run, cmd, &mut shop, &mut now));
    }
    let Command::Send { id, .. } = run.next(now) else {
        panic!("a request");
    };
    let json = serde_json::to_string(run.state()).expect("json");
    let state: RunState = serde_json::from_str(&json).expect("state");
    let mut run =
        Run::resume(plan.clone(), credentials(), RunOptions::default(), state).expect("resumes");
    // The token is not in the state: it is fetched again, then the request sent.
    match run.next(now) {
        Command::Send {
            id: again, request, ..
        } => {
            assert_ne!(again, id);
            assert!(request.url.ends_with("/oauth/token"));
        }
        other => panic!("a token request, not {other:?}"),
    }
    finish(&mut run, &mut shop, &mut now);
    assert!(run.report().succeeded());
    assert_eq!(
        shop.log
            .iter()
            .filter(|l| l.contains("/oauth/token"))
            .count(),
        4
    );
}

#[test]
fn no_saved_state_holds_a_credential_or_token() {
    let plan = plan(ARAZZO);
    let (_, saved) = run_with_restarts(&plan);
    let b64 = |s: &str| {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(s)
    };
    let mut secrets: Vec<String> = vec![CLIENT_SECRET.into(), API_KEY.into()];
    secrets.extend(TOKENS.iter().map(|t| t.to_string()));
    secrets.push(b64(&format!("shop-client:{CLIENT_SECRET}")));
    for (i, json) in saved.iter().enumerate() {
        for s in &secrets {
            assert!(!json.contains(s.as_str()), "state {i} holds `{s}`: {json}");
        }
    }
    // The kept request shows that a credential was sent, not which.
    assert!(saved.iter().any(|j| j.contains("Bearer ****")));
}

#[test]
fn a_state_of_another_plan_is_refused() {
    let plan_a = plan(ARAZZO);
    let mut run = new_run(&plan_a);
    let _ = run.next(0);
    let state = run.state().clone();
    // The same documents compile to a plan with the same fingerprint …
    let again = plan(ARAZZO);
    assert_eq!(again.fingerprint(), plan_a.fingerprint());
    assert!(Run::resume(again, credentials(), RunOptions::default(), state.clone()).is_ok());
    // … a changed document does not.
    let changed = plan(&ARAZZO.replace("retryLimit: 3", "retryLimit: 4"));
    let err = Run::resume(changed, credentials(), RunOptions::default(), state.clone())
        .expect_err("another plan");
    assert!(matches!(err, ResumeError::OtherPlan { .. }), "{err}");
    // Neither does another server.
    let mut moved = plan(ARAZZO);
    let url = url::Url::parse("http://127.0.0.1:10").expect("url");
    Arc::get_mut(&mut moved)
        .expect("unshared")
        .set_server("shop", url);
    let err = Run::resume(moved, credentials(), RunOptions::default(), state)
        .expect_err("another server");
    assert!(matches!(err, ResumeError::OtherPlan { .. }), "{err}");
}

#[test]
fn a_state_that_does_not_fit_its_plan_is_an_error_not_a_panic() {
    let plan = plan(ARAZZO);
    let mut run = new_run(&plan);
    let _ = run.next(0);
    let mut json: Value = serde_json::to_value(run.state()).expect("json");
    let valid = json.clone();
    json["frames"][0]["wf"] = json!(99);
    let state: RunState = serde_json::from_value(json).expect("still a state");
    let err = Run::resume(plan.clone(), credentials(), RunOptions::default(), state)
        .expect_err("out of range");
    assert!(matches!(err, ResumeError::Inconsistent(_)), "{err}");
    let mut json = valid.clone();
    json["frames"][0]["pc"] = json!(1000);
    let state: RunState = serde_json::from_value(json).expect("still a state");
    assert!(Run::resume(plan.clone(), credentials(), RunOptions::default(), state).is_err());
    let mut json = valid;
    json["version"] = json!(0);
    let state: RunState = serde_json::from_value(json).expect("still a state");
    let err = Run::resume(plan, credentials(), RunOptions::default(), state).expect_err("old");
    assert!(matches!(err, ResumeError::Version { .. }), "{err}");
}

#[test]
fn failures_carry_their_kind_and_place() {
    let plan = plan(ARAZZO);
    let mut run = new_run(&plan);
    // The status never becomes ready: the retries run out.
    let mut shop = Shop {
        ready_at: usize::MAX,
        ..Shop::default()
    };
    finish(&mut run, &mut shop, &mut 0);
    let main = &run.report().workflows[0];
    assert_eq!(main.status, Status::Failed);
    let failure = main.failure.as_ref().expect("a typed failure");
    assert_eq!(failure.kind, FailureKind::Criteria);
    assert_eq!(failure.step_id.as_deref(), Some("wait-ready"));
    let place = failure.location.as_ref().expect("a place");
    assert!(place.file.ends_with("shop.arazzo.yaml"), "{place}");
    // `- stepId: wait-ready` is line 14 of the document, its value at column 17.
    assert_eq!((place.line, place.column), (14, 17), "{place}");
    let last = main.steps.last().expect("steps");
    assert_eq!(
        last.failure.as_ref().map(|f| f.kind),
        Some(FailureKind::Criteria)
    );
    assert_eq!(last.attempt, 4);
}

#[test]
fn a_transport_failure_is_typed_as_such() {
    let plan = plan(ARAZZO);
    let mut run = new_run(&plan);
    let mut shop = Shop {
        unreachable: true,
        ..Shop::default()
    };
    finish(&mut run, &mut shop, &mut 0);
    let step = &run.report().workflows[0].steps[0];
    assert_eq!(
        step.failure.as_ref().map(|f| f.kind),
        Some(FailureKind::Transport)
    );
}
