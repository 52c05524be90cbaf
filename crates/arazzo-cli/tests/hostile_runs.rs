//! `arazzo-run run` against documents written to exhaust it: a workflow
//! that restarts itself by goto until the step limit (the output must grow
//! linearly and the process must not overflow its stack), and a step whose
//! many slow criteria would outlast `--run-timeout` (the run must stop at
//! its deadline, and report the time evaluation took).
#![allow(clippy::unwrap_used)]

mod common;
use common::{bin, text};

use std::path::PathBuf;
use std::process::Output;
use std::time::{Duration, Instant};

use serde_json::Value;

/// A fresh folder for this test's documents.
fn folder(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("arazzo-hostile-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs the binary; kills it (and fails) if it takes longer than `limit`.
async fn run(args: &[&str], limit: Duration) -> (Output, Duration) {
    let started = Instant::now();
    let child = tokio::process::Command::new(bin())
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("CLICOLOR_FORCE")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let out = tokio::time::timeout(limit, child.wait_with_output())
        .await
        .unwrap_or_else(|_| panic!("`arazzo-run {}` ran longer than {limit:?}", args.join(" ")))
        .unwrap();
    (out, started.elapsed())
}

const PING_API: &str = r#"
openapi: 3.1.0
info: {title: Loop, version: "1"}
servers: [{url: "https://api.example.com"}]
paths:
  /ping:
    get:
      operationId: ping
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {type: object, properties: {ok: {type: boolean}}}
"#;

const SELF_GOTO: &str = r#"
arazzo: 1.0.1
info: {title: loop, version: "1"}
sourceDescriptions:
  - {name: api, url: ./api.openapi.yaml, type: openapi}
workflows:
  - workflowId: loop
    steps:
      - stepId: ping
        operationId: ping
        onSuccess:
          - name: again
            type: goto
            workflowId: loop
"#;

/// A workflow that restarts itself by goto is a loop: each restart adds a
/// line or two to the output, not a level of indentation (which made the
/// output quadratic, 3 MB for 1,000 steps), and ends at the step limit with
/// a clean failure rather than a stack overflow.
#[tokio::test]
async fn a_self_goto_loop_stops_at_the_step_limit_with_linear_output() {
    let dir = folder("goto");
    std::fs::write(dir.join("api.openapi.yaml"), PING_API).unwrap();
    std::fs::write(dir.join("loop.arazzo.yaml"), SELF_GOTO).unwrap();
    let doc = dir.join("loop.arazzo.yaml").display().to_string();
    let mut sizes = Vec::new();
    for steps in ["1000", "2000"] {
        let (out, _) = run(
            &["run", &doc, "--mock", "--max-steps", steps],
            Duration::from_secs(240),
        )
        .await;
        let stdout = text(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(1),
            "--max-steps {steps}: {}\n{}",
            text(&out.stderr),
            stdout.chars().take(2000).collect::<String>()
        );
        let limit = format!("the run executed more than {steps} steps (a goto loop?)");
        assert!(stdout.contains(&limit), "{}", text(&out.stderr));
        // No line is indented deeper than a nested step's details.
        let deepest = stdout
            .lines()
            .map(|l| l.len() - l.trim_start().len())
            .max()
            .unwrap_or(0);
        assert!(deepest <= 8, "a line indented by {deepest}");
        sizes.push(out.stdout.len());
    }
    // Twice the steps, about twice the output (quadratic would be four times).
    assert!(
        (sizes[1] as f64) < 2.2 * sizes[0] as f64,
        "1,000 steps: {} bytes, 2,000 steps: {} bytes",
        sizes[0],
        sizes[1]
    );

    // The JSON report too: one record per execution, each the same size.
    let (out, _) = run(
        &[
            "run",
            &doc,
            "--mock",
            "--max-steps",
            "2000",
            "--format",
            "json",
        ],
        Duration::from_secs(240),
    )
    .await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let workflows = report["workflows"].as_array().unwrap();
    assert_eq!(workflows.len(), 2001);
    assert!(workflows[1..].iter().all(|w| w["reason"] == "goto"));
    std::fs::remove_dir_all(&dir).ok();
}

/// Items in the response body, and `||` terms in each criterion's filter:
/// each criterion visits every item for every term, a few hundred
/// milliseconds in a debug build.
const ITEMS: usize = 10_000;
const TERMS: usize = 40;
/// Criteria of the step: far more than fit in the time limit.
const CRITERIA: usize = 60;

/// Serves one JSON body with `ITEMS` items on loopback, to every request.
async fn big_body_server() -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let items: Vec<Value> = (0..ITEMS)
        .map(|i| serde_json::json!({"id": i, "name": format!("item {i}")}))
        .collect();
    let body = serde_json::json!({ "items": items }).to_string();
    let response = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let response = response.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 4096];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let _ = socket.write_all(response.as_bytes()).await;
            });
        }
    });
    url
}

/// Criteria that all hold (each selects the item it names), each slow.
fn slow_criteria_document() -> String {
    let terms: Vec<String> = (1..=TERMS).map(|t| format!("@.id == -{t}")).collect();
    let terms = terms.join(" || ");
    let mut criteria = String::new();
    for i in 0..CRITERIA {
        criteria.push_str(&format!(
            "          - {{context: $response.body, type: jsonpath, condition: \"$.items[?({terms} || @.id == {i})]\"}}\n"
        ));
    }
    format!(
        r#"
arazzo: 1.0.1
info: {{title: slow, version: "1"}}
sourceDescriptions: [{{name: api, url: ./api.openapi.yaml, type: openapi}}]
workflows:
  - workflowId: slow
    steps:
      - stepId: check
        operationId: items
        successCriteria:
{criteria}"#
    )
}

const ITEMS_API: &str = r#"
openapi: 3.1.0
info: {title: Items, version: "1"}
servers: [{url: "https://items.example.com"}]
paths:
  /items:
    get:
      operationId: items
      responses: {"200": {description: ok}}
"#;

/// Evaluation counts against `--run-timeout`: a step whose criteria would
/// take far longer than the limit (every one of them holds) stops between
/// two criteria once the limit is reached, fails the run with the time
/// limit (exit 1), and its duration includes the evaluation.
#[tokio::test]
async fn slow_criteria_stop_at_the_run_timeout() {
    let url = big_body_server().await;
    let dir = folder("slow");
    std::fs::write(dir.join("api.openapi.yaml"), ITEMS_API).unwrap();
    std::fs::write(dir.join("slow.arazzo.yaml"), slow_criteria_document()).unwrap();
    let doc = dir.join("slow.arazzo.yaml").display().to_string();
    let (out, took) = run(
        &[
            "run",
            &doc,
            "--server",
            &format!("api={url}"),
            "--run-timeout",
            "2",
            "--format",
            "json",
        ],
        Duration::from_secs(60),
    )
    .await;
    assert_eq!(
        out.status.code(),
        Some(1),
        "after {took:?}: {}",
        text(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let wf = &report["workflows"][0];
    let limit = "the run exceeded its time limit of 2 s";
    assert_eq!(wf["error"], limit, "{wf:#}");
    assert_eq!(wf["failure"]["kind"], "limit");
    let step = &wf["steps"][0];
    assert_eq!(step["status"], "failed");
    assert_eq!(step["error"], limit);
    let evaluated = step["criteria"].as_array().map_or(0, Vec::len);
    assert!(
        (1..CRITERIA).contains(&evaluated),
        "{evaluated} of {CRITERIA} criteria evaluated"
    );
    // The time spent evaluating is in the durations: the workflow ran until
    // its limit, and most of that was the step's evaluation.
    let wf_ms = wf["durationMs"].as_u64().unwrap();
    let step_ms = step["durationMs"].as_u64().unwrap();
    assert!(wf_ms >= 2000, "workflow: {wf_ms} ms");
    assert!(
        (500..=wf_ms).contains(&step_ms),
        "step: {step_ms} ms of {wf_ms}"
    );
    assert!(took.as_millis() as u64 >= wf_ms, "{took:?} < {wf_ms} ms");
    std::fs::remove_dir_all(&dir).ok();
}
