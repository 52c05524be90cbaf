//! Against a mock (`prefer_expected_status`), a step sends the values its
//! success criteria plainly expect in `Arazzo-Expect`; never to other servers,
//! and never an oversized header.
#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use arazzo_engine::BoxFuture;
use arazzo_engine::{CompileOptions, Engine, HttpResponse, RunOptions, Transport, TransportError};
use arazzo_openapi::HttpRequest;
use serde_json::json;

/// Answers `{"mode": …}` with the mode the request expects, and records the header.
#[derive(Default)]
struct Recorder(Mutex<Vec<Option<String>>>);

impl Transport for Recorder {
    fn send(
        &self,
        request: HttpRequest,
        _timeout: Duration,
    ) -> BoxFuture<'_, Result<HttpResponse, TransportError>> {
        let header = request.header("arazzo-expect").map(str::to_string);
        self.0.lock().unwrap().push(header);
        Box::pin(async move {
            Ok(HttpResponse {
                status: 200,
                headers: vec![("content-type".into(), "application/json".into())],
                body: br#"{"mode": "strict"}"#.to_vec(),
            })
        })
    }
}

const DOC: &str = r#"
arazzo: 1.0.1
info: {title: t, version: "1"}
sourceDescriptions: [{name: api, url: ./api.yaml, type: openapi}]
workflows:
  - workflowId: w
    inputs: {type: object, properties: {mode: {type: string}}}
    steps:
      - stepId: get
        operationId: getThing
        successCriteria:
          - condition: $statusCode == 200 && $response.body#/mode == $inputs.mode
"#;

const API: &str = r#"
openapi: 3.0.3
info: {title: t, version: "1"}
servers: [{url: "http://127.0.0.1:9"}]
paths:
  /thing:
    get:
      operationId: getThing
      responses: {"200": {description: ok}}
"#;

async fn sent_header(mock: bool, mode: &str) -> Option<String> {
    let dir = std::env::temp_dir().join(format!(
        "arazzo-expect-{}-{mock}-{}",
        std::process::id(),
        mode.len()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("api.yaml"), API).unwrap();
    std::fs::write(dir.join("doc.arazzo.yaml"), DOC).unwrap();
    let compiled = arazzo_engine::compile_location(
        &dir.join("doc.arazzo.yaml").display().to_string(),
        &CompileOptions::default(),
    )
    .unwrap();
    assert!(!compiled.has_errors(), "{:?}", compiled.diagnostics);
    let recorder = Arc::new(Recorder::default());
    let engine = Engine::new(compiled.plan)
        .unwrap()
        .with_transport(recorder.clone())
        .with_options(RunOptions {
            prefer_expected_status: mock,
            ..RunOptions::default()
        });
    engine.run("w", json!({"mode": mode})).await.unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let sent = recorder.0.lock().unwrap().clone();
    assert_eq!(sent.len(), 1);
    sent.into_iter().next().unwrap()
}

#[tokio::test]
async fn expected_values_go_only_to_mocks_and_only_when_small() {
    assert_eq!(
        sent_header(true, "strict").await.as_deref(),
        Some(r#"[{"body":"/mode","value":"strict"}]"#)
    );
    assert_eq!(sent_header(false, "strict").await, None);
    assert_eq!(sent_header(true, &"x".repeat(10_000)).await, None);
}
