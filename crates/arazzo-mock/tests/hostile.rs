//! Hostile descriptions and requests: the mock answers every one of them, on a small stack,
//! without unbounded work, memory or output, and says why it did not do all it usually does.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use arazzo_mock::{Exchange, Mock, MockOptions, MockServer};
use arazzo_openapi::fetch::{DefaultFetcher, file_url};
use bytes::Bytes;
use serde_json::{Map, Value, json};

/// A stack far smaller than any thread's default: the mock must not need the caller's.
const SMALL_STACK: usize = 256 * 1024;

/// A mock of `description` (written to a temp file, so that locations name a file).
fn mock_of(name: &str, description: &Value, options: MockOptions) -> Arc<Mock> {
    let dir =
        std::env::temp_dir().join(format!("arazzo-mock-hostile-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("openapi.json");
    std::fs::write(&path, serde_json::to_string_pretty(description).unwrap()).unwrap();
    let url = file_url(&path).unwrap();
    let (api, store, _) =
        arazzo_openapi::load_description(&url, &DefaultFetcher::default(), Default::default())
            .unwrap();
    Arc::new(Mock::new(api, Arc::new(store), options))
}

/// A description with one `POST /things` taking `body` and answering `response`, and `schemas`
/// as its components.
fn description(schemas: Map<String, Value>, body: Value, response: Value) -> Value {
    json!({"openapi": "3.1.0", "info": {"title": "Hostile", "version": "1"},
        "paths": {"/things": {"post": {
            "requestBody": {"content": {"application/json": {"schema": body}}},
            "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": response}}}}}}},
        "components": {"schemas": schemas}})
}

/// `s0: {allOf: [$ref: s1]}`, …, `s{n}: {type: object}`: a chain `n` references long.
fn chain(n: usize) -> Map<String, Value> {
    let mut schemas = Map::new();
    for i in 0..n {
        schemas.insert(
            format!("s{i}"),
            json!({"allOf": [{"$ref": format!("#/components/schemas/s{}", i + 1)}]}),
        );
    }
    schemas.insert(format!("s{n}"), json!({"type": "object"}));
    schemas
}

fn post(body: &str, headers: &[(&str, &str)]) -> http::Request<Bytes> {
    let mut r = http::Request::post("/things").header("content-type", "application/json");
    for (k, v) in headers {
        r = r.header(*k, *v);
    }
    r.body(Bytes::from(body.to_string())).unwrap()
}

/// Answers `requests` one after the other on a thread with [`SMALL_STACK`]; the responses and
/// the mock's log. A stack overflow aborts the whole test binary, which is the failure.
fn on_small_stack(
    mock: &Arc<Mock>,
    requests: Vec<http::Request<Bytes>>,
) -> (Vec<http::Response<Bytes>>, Vec<Exchange>) {
    let mock = Arc::clone(mock);
    std::thread::Builder::new()
        .stack_size(SMALL_STACK)
        .spawn(move || {
            let responses = requests.into_iter().map(|r| mock.handle(r)).collect();
            (responses, mock.log())
        })
        .unwrap()
        .join()
        .unwrap()
}

#[test]
fn a_reference_chain_8000_deep_is_not_validated_against_and_says_where() {
    let mock = mock_of(
        "chain",
        &description(
            chain(8_000),
            json!({"$ref": "#/components/schemas/s0"}),
            json!({"type": "object"}),
        ),
        MockOptions::default(),
    );
    let (responses, log) = on_small_stack(&mock, vec![post("{}", &[]), post("[]", &[])]);
    assert!(responses.iter().all(|r| r.status() == 200));
    for exchange in &log {
        assert!(exchange.violations.is_empty(), "{exchange}");
        let note = exchange.notes.join("\n");
        assert!(note.contains("$.body was not validated"), "{note}");
        assert!(note.contains("16001 levels deep"), "{note}");
        // The chain's first schema, by file, line and column.
        assert!(note.contains("openapi.json:"), "{note}");
        assert!(note.contains("more than the 64"), "{note}");
    }
}

#[test]
fn references_that_loop_in_place_are_not_validated_against() {
    let mut schemas = Map::new();
    schemas.insert(
        "A".into(),
        json!({"allOf": [{"$ref": "#/components/schemas/B"}]}),
    );
    schemas.insert(
        "B".into(),
        json!({"anyOf": [{"$ref": "#/components/schemas/A"}, {"type": "string"}]}),
    );
    let mock = mock_of(
        "loop",
        &description(
            schemas,
            json!({"$ref": "#/components/schemas/A"}),
            json!({"type": "object"}),
        ),
        MockOptions::default(),
    );
    let (responses, log) = on_small_stack(&mock, vec![post("{}", &[])]);
    assert_eq!(responses[0].status(), 200);
    let note = log[0].notes.join("\n");
    assert!(note.contains("refers back to itself"), "{note}");
}

#[test]
fn schemas_nested_past_the_limit_are_not_validated_against() {
    let mut schema = json!({"type": "string"});
    for _ in 0..100 {
        schema = json!({"type": "object", "properties": {"a": schema}});
    }
    let mock = mock_of(
        "inline",
        &description(Map::new(), schema, json!({"type": "object"})),
        MockOptions::default(),
    );
    let (responses, log) = on_small_stack(&mock, vec![post("{}", &[])]);
    assert_eq!(responses[0].status(), 200);
    let note = log[0].notes.join("\n");
    assert!(note.contains("more than 64 levels deep"), "{note}");
}

#[test]
fn deep_values_are_validated_within_the_budget_and_noted_past_it() {
    // A recursive schema: each level of the value is four `allOf`/`$ref` hops and one
    // `properties` step, so validating enters (value depth + 1) × 10 schema levels.
    let mut schemas = Map::new();
    schemas.insert(
        "Node".into(),
        json!({"allOf": [{"$ref": "#/components/schemas/P1"}]}),
    );
    for i in 1..4 {
        schemas.insert(
            format!("P{i}"),
            json!({"allOf": [{"$ref": format!("#/components/schemas/P{}", i + 1)}]}),
        );
    }
    schemas.insert(
        "P4".into(),
        json!({"type": "object", "properties": {"a": {"$ref": "#/components/schemas/Node"}}}),
    );
    let mock = mock_of(
        "values",
        &description(
            schemas,
            json!({"$ref": "#/components/schemas/Node"}),
            json!({"type": "object"}),
        ),
        MockOptions::default(),
    );
    let nested = |depth: usize| {
        let mut text = String::from("1");
        for _ in 0..depth {
            text = format!("{{\"a\":{text}}}");
        }
        text
    };
    let (responses, log) = on_small_stack(
        &mock,
        vec![post(&nested(100), &[]), post(&nested(127), &[])],
    );
    assert!(responses.iter().all(|r| r.status() == 200));
    // 100 levels: validated (the innermost `1` is not an object).
    assert_eq!(log[0].violations.len(), 1, "{}", log[0]);
    assert!(log[0].violations[0].path.ends_with(".a.a"), "{}", log[0]);
    // 127 levels against a schema whose chains are 2 levels: 128 × 3 levels, past 1,024.
    assert!(log[1].violations.is_empty(), "{}", log[1]);
    assert!(
        log[1].notes.join("\n").contains("too deep to validate"),
        "{}",
        log[1]
    );
}

fn simple() -> Value {
    description(
        Map::new(),
        json!({"type": "object"}),
        json!({"type": "object", "properties": {"status": {"type": "string"}}}),
    )
}

#[test]
fn a_pointer_of_20000_segments_is_refused_with_a_small_400() {
    let mock = mock_of("pointer", &simple(), MockOptions::default());
    let pointer = "/a".repeat(20_000);
    let expect = json!([{"body": pointer, "value": 1}]).to_string();
    let (responses, log) = on_small_stack(&mock, vec![post("{}", &[("arazzo-expect", &expect)])]);
    assert_eq!(responses[0].status(), 400);
    assert!(
        responses[0].body().len() < 1024,
        "{} bytes",
        responses[0].body().len()
    );
    let body: Value = serde_json::from_slice(responses[0].body()).unwrap();
    assert!(
        body["detail"].as_str().unwrap().contains("20000 segments"),
        "{body}"
    );
    assert!(log[0].notes.join("\n").contains("Arazzo-Expect refused"));
    // At the limit, the expectation is met.
    let pointer = "/a".repeat(32);
    let expect = json!([{"body": pointer, "value": 1}]).to_string();
    let (responses, _) = on_small_stack(&mock, vec![post("{}", &[("arazzo-expect", &expect)])]);
    assert_eq!(responses[0].status(), 200);
}

#[test]
fn too_many_or_too_large_expectations_are_refused() {
    let mock = mock_of("many", &simple(), MockOptions::default());
    let many: Vec<Value> = (0..65)
        .map(|i| json!({"body": format!("/k{i}"), "value": i}))
        .collect();
    let many = Value::Array(many).to_string();
    let large = json!([{"body": "/status", "value": "x".repeat(70_000)}]).to_string();
    let (responses, _) = on_small_stack(
        &mock,
        vec![
            post("{}", &[("arazzo-expect", &many)]),
            post("{}", &[("arazzo-expect", &large)]),
        ],
    );
    assert_eq!(responses[0].status(), 400);
    assert_eq!(responses[1].status(), 400);
}

#[test]
fn responses_past_the_size_limit_are_a_500_and_synthesis_is_bounded() {
    // 1,000 strings of 100,000 characters each would be 100 MB.
    let huge = json!({"type": "array", "minItems": 1000,
        "items": {"type": "string", "minLength": 100000}});
    let d = description(Map::new(), json!({"type": "object"}), huge);
    let bounded = mock_of("huge", &d, MockOptions::default());
    let (responses, _) = on_small_stack(&bounded, vec![post("{}", &[])]);
    assert_eq!(responses[0].status(), 200);
    let size = responses[0].body().len();
    assert!(size < 8 * 1024 * 1024, "{size} bytes");
    let small = mock_of(
        "huge-small",
        &d,
        MockOptions {
            max_response_bytes: 1024 * 1024,
            ..MockOptions::default()
        },
    );
    let (responses, log) = on_small_stack(&small, vec![post("{}", &[])]);
    assert_eq!(responses[0].status(), 500);
    let body: Value = serde_json::from_slice(responses[0].body()).unwrap();
    assert_eq!(body["title"], "Response too large");
    assert!(
        log[0].notes.join("\n").contains("more than the 1048576"),
        "{}",
        log[0]
    );
}

#[test]
fn expectations_cannot_set_framing_headers_and_prefer_cannot_ask_for_1xx() {
    let mock = mock_of("framing", &simple(), MockOptions::default());
    let expect = json!([
        {"header": "Content-Length", "value": "999999"},
        {"header": "Transfer-Encoding", "value": "chunked"},
        {"header": "Connection", "value": "upgrade"},
        {"header": "Upgrade", "value": "websocket"},
        {"header": "TE", "value": "trailers"},
        {"header": "X-Fine", "value": "yes"}
    ])
    .to_string();
    let (responses, log) = on_small_stack(
        &mock,
        vec![
            post("{}", &[("arazzo-expect", &expect)]),
            post("{}", &[("prefer", "code=101")]),
            post("{}", &[("prefer", "code=100")]),
        ],
    );
    let h = responses[0].headers();
    for name in [
        "content-length",
        "transfer-encoding",
        "connection",
        "upgrade",
        "te",
    ] {
        assert!(h.get(name).is_none(), "{name} was set: {h:?}");
    }
    assert_eq!(h["x-fine"], "yes");
    assert_eq!(
        log[0]
            .notes
            .iter()
            .filter(|n| n.contains("the server sets it itself"))
            .count(),
        5,
        "{}",
        log[0]
    );
    for (r, e) in responses[1..].iter().zip(&log[1..]) {
        assert_eq!(r.status(), 200);
        assert!(e.notes.join("\n").contains("was not honoured"), "{e}");
    }
}

#[test]
fn an_operation_documenting_only_101_answers_200() {
    let d = json!({"openapi": "3.1.0", "info": {"title": "WS", "version": "1"},
        "paths": {"/socket": {"get": {"responses": {"101": {"description": "Switching Protocols"}}}}}});
    let mock = mock_of("ws", &d, MockOptions::default());
    let r = mock.handle(http::Request::get("/socket").body(Bytes::new()).unwrap());
    assert_eq!(r.status(), 200);
    assert!(
        mock.log()[0]
            .notes
            .join("\n")
            .contains("does not answer with (101)")
    );
}

#[tokio::test]
async fn oauth2_token_urls_on_another_host_are_served() {
    let d = json!({"openapi": "3.1.0", "info": {"title": "Secured", "version": "1"},
        "servers": [{"url": "https://api.example.com/v1"}],
        "paths": {"/me": {"get": {"security": [{"oauth": []}], "responses": {"200": {"description": "ok"}}}}},
        "components": {"securitySchemes": {"oauth": {"type": "oauth2", "flows": {
            "clientCredentials": {"tokenUrl": "https://auth.example.com/oauth2/token", "scopes": {}}}}}}});
    let mock = mock_of("oauth", &d, MockOptions::default());
    let server = MockServer::serve(mock, 0).await.unwrap();
    let token_url = server
        .token_url("https://auth.example.com/oauth2/token")
        .unwrap();
    assert_eq!(token_url.origin(), server.base_url().origin());
    assert_eq!(token_url.path(), "/oauth2/token");
    arazzo_openapi::fetch::install_tls_provider();
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let r = client
        .post(token_url.clone())
        .basic_auth("app", Some("secret"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=client_credentials")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let token: Value = r.json().await.unwrap();
    assert_eq!(token["token_type"], "Bearer");
    assert!(token["access_token"].as_str().unwrap().starts_with("mock_"));
    // A client that does not authenticate is told so, as RFC 6749 says.
    let r = client
        .post(token_url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=client_credentials")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let log = server.log();
    assert!(
        log[0].notes[0].contains("token endpoint of security scheme `oauth`"),
        "{}",
        log[0]
    );
    server.shutdown().await;
}

/// Reads until the peer closes (or `limit` passes); what arrived.
async fn read_until_closed(
    stream: &mut tokio::net::TcpStream,
    limit: std::time::Duration,
) -> Vec<u8> {
    use tokio::io::AsyncReadExt as _;
    let mut out = Vec::new();
    let _ = tokio::time::timeout(limit, stream.read_to_end(&mut out)).await;
    out
}

#[tokio::test]
async fn slow_bodies_get_408_and_silent_connections_are_closed() {
    use std::time::{Duration, Instant};
    use tokio::io::AsyncWriteExt as _;
    let options = MockOptions {
        body_read_timeout: Duration::from_millis(300),
        limits: arazzo_mock::Limits {
            header_read_timeout: Duration::from_millis(300),
            ..arazzo_mock::Limits::default()
        },
        ..MockOptions::default()
    };
    let mock = mock_of("slow", &simple(), options);
    let server = MockServer::serve(Arc::clone(&mock), 0).await.unwrap();
    let addr = server.local_addr();
    // A body announced as 10 bytes of which 2 ever arrive.
    let mut slow = tokio::net::TcpStream::connect(addr).await.unwrap();
    slow.write_all(b"POST /things HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 10\r\n\r\n{}")
        .await
        .unwrap();
    let started = Instant::now();
    let answer = read_until_closed(&mut slow, Duration::from_secs(5)).await;
    assert!(
        answer.starts_with(b"HTTP/1.1 408"),
        "{}",
        String::from_utf8_lossy(&answer)
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(mock.log().last().unwrap().status, 408);
    // A connection that never sends a request is let go.
    let mut silent = tokio::net::TcpStream::connect(addr).await.unwrap();
    let started = Instant::now();
    let nothing = read_until_closed(&mut silent, Duration::from_secs(5)).await;
    assert!(nothing.is_empty());
    assert!(started.elapsed() < Duration::from_secs(5), "still open");
    server.shutdown().await;
}
