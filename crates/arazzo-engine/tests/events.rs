//! Events say what the report says, masked the same way: a criterion's
//! reason quotes the response, which may echo a credential.

use std::sync::Arc;

use arazzo_engine::report::Event;
use arazzo_engine::{Command, CompileOptions, Credentials, HttpResponse, Run, RunOptions};
use serde_json::{Map, json};

const API_KEY: &str = "ak-echoed-secret-0003";

const OPENAPI: &str = r#"
openapi: 3.1.0
info: {title: Echo, version: "1"}
servers: [{url: "http://127.0.0.1:9"}]
components:
  securitySchemes:
    key: {type: apiKey, in: header, name: X-Api-Key}
security: [{key: []}]
paths:
  /whoami:
    get:
      operationId: whoami
      responses: {"200": {description: the caller}}
"#;

const ARAZZO: &str = r#"
arazzo: 1.0.1
info: {title: echo, version: "1"}
sourceDescriptions: [{name: api, url: ./api.openapi.yaml, type: openapi}]
workflows:
  - workflowId: echo
    steps:
      - stepId: who
        operationId: whoami
        successCriteria: [{condition: $response.body#/key == 'nobody'}]
        onFailure:
          - name: other
            type: end
            criteria: [{condition: $response.body#/key == 'somebody'}]
"#;

#[test]
fn criterion_reasons_in_events_are_masked() {
    let dir = std::env::temp_dir().join(format!("arazzo-events-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    std::fs::write(dir.join("api.openapi.yaml"), OPENAPI).expect("write");
    std::fs::write(dir.join("flow.arazzo.yaml"), ARAZZO).expect("write");
    let location = dir.join("flow.arazzo.yaml").display().to_string();
    let compiled = arazzo_engine::compile_location(&location, &CompileOptions::default())
        .expect("the documents load");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(!compiled.has_errors());
    let mut creds = Credentials::new();
    creds.set("key", API_KEY).expect("valid");
    let mut run = Run::new(
        Arc::new(compiled.plan),
        Arc::new(creds),
        RunOptions::default(),
        vec![("echo".to_string(), Map::new())],
    )
    .expect("starts");
    let mut reasons = Vec::new();
    loop {
        let cmd = run.next(0);
        for e in run.take_events() {
            if let Event::CriterionEvaluated { of, reason, .. } = e {
                reasons.push((of, reason.unwrap_or_default()));
            }
        }
        match cmd {
            Command::Send { id, .. } => {
                // The server echoes the key it was sent.
                let response = HttpResponse {
                    status: 200,
                    headers: vec![("content-type".into(), "application/json".into())],
                    body: json!({"key": API_KEY}).to_string().into_bytes(),
                };
                run.deliver(id, Ok(response), 0);
            }
            Command::Finished => break,
            other => panic!("unexpected command {other:?}"),
        }
    }
    let of: Vec<&str> = reasons.iter().map(|(of, _)| of.as_str()).collect();
    assert_eq!(of, ["successCriteria", "other"]);
    for (of, reason) in &reasons {
        assert!(!reason.contains(API_KEY), "{of}: {reason}");
        assert!(reason.contains("****"), "{of}: {reason}");
    }
}
