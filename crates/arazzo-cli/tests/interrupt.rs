//! `arazzo-run run` stopped while a request is in flight, against a loopback
//! server that accepts the request and never answers: by `--run-timeout`
//! (the run ends at its limit, not the request's timeout, and reports the
//! limit), by SIGINT (exit 130) and by SIGTERM (exit 143). Every way, the
//! report and JUnit files are written, and the step the run stopped in is
//! recorded as failed with the reason.
#![cfg(unix)]
#![allow(clippy::unwrap_used)]

mod common;
use common::{bin, text};

use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::Output;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

const API: &str = r#"
openapi: 3.1.0
info: {title: Silent, version: "1"}
servers: [{url: "https://api.example.com"}]
paths:
  /hang:
    get:
      operationId: hang
      responses:
        "200": {description: ok}
"#;

const DOC: &str = r#"
arazzo: 1.0.1
info: {title: silent, version: "1"}
sourceDescriptions:
  - {name: api, url: ./api.openapi.yaml, type: openapi}
workflows:
  - workflowId: hang
    steps:
      - stepId: wait
        operationId: hang
        successCriteria: [{condition: $statusCode == 200}]
"#;

/// A fresh folder holding the document and its description.
fn folder(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("arazzo-interrupt-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("api.openapi.yaml"), API).unwrap();
    std::fs::write(dir.join("hang.arazzo.yaml"), DOC).unwrap();
    dir
}

/// A loopback server that reads each request and never answers; it says on
/// the returned channel when a whole request head has arrived. It serves at
/// most a few connections, and holds them open until the test process ends.
fn silent_server() -> (String, mpsc::Receiver<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut held: Vec<TcpStream> = Vec::new();
        for _ in 0..4 {
            let Ok((mut conn, _)) = listener.accept() else {
                return;
            };
            let _ = conn.set_read_timeout(Some(Duration::from_secs(10)));
            let mut head = Vec::new();
            let mut buf = [0u8; 4096];
            while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 65536 {
                match conn.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => head.extend_from_slice(&buf[..n]),
                }
            }
            let _ = tx.send(());
            held.push(conn);
        }
    });
    (url, rx)
}

/// The binary's arguments for a run of the document in `dir` against
/// `server`, writing `report.json` and `junit.xml` there.
fn args(dir: &std::path::Path, server: &str, extra: &[&str]) -> Vec<String> {
    let mut a: Vec<String> = vec![
        "run".into(),
        dir.join("hang.arazzo.yaml").display().to_string(),
        "--server".into(),
        format!("api={server}"),
        "--report".into(),
        dir.join("report.json").display().to_string(),
        "--junit".into(),
        dir.join("junit.xml").display().to_string(),
    ];
    a.extend(extra.iter().map(|s| s.to_string()));
    a
}

fn spawn(args: &[String]) -> tokio::process::Child {
    tokio::process::Command::new(bin())
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("CLICOLOR_FORCE")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap()
}

/// Waits for the child; kills it (and fails) if it takes longer than `limit`.
async fn wait(child: tokio::process::Child, limit: Duration) -> Output {
    tokio::time::timeout(limit, child.wait_with_output())
        .await
        .unwrap_or_else(|_| panic!("arazzo-run ran longer than {limit:?}"))
        .unwrap()
}

/// The JSON report the run wrote.
fn report(dir: &std::path::Path) -> Value {
    let text = std::fs::read_to_string(dir.join("report.json")).unwrap();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("report is not JSON ({e}): {text}"))
}

/// The JUnit file the run wrote, checked to be well-formed: the XML
/// declaration, then elements that open and close in order.
fn junit(dir: &std::path::Path) -> String {
    let xml = std::fs::read_to_string(dir.join("junit.xml")).unwrap();
    let body = xml
        .strip_prefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
        .unwrap_or_else(|| panic!("no XML declaration: {xml}"));
    let mut open: Vec<&str> = Vec::new();
    for tag in body.split('<').skip(1) {
        let tag = tag.split('>').next().unwrap();
        if let Some(closing) = tag.strip_prefix('/') {
            assert_eq!(
                open.pop(),
                Some(closing),
                "unbalanced </{closing}> in {xml}"
            );
        } else if !tag.ends_with('/') {
            open.push(tag.split_whitespace().next().unwrap());
        }
    }
    assert!(open.is_empty(), "unclosed {open:?} in {xml}");
    xml
}

/// Checks what the report and the JUnit file say of a run stopped with
/// `reason` while step `wait` waited for its response.
fn assert_stopped_in_step(dir: &std::path::Path, reason: &str, kind: &str) {
    let r = report(dir);
    let wf = &r["workflows"][0];
    assert_eq!(wf["status"], "failed", "{r:#}");
    assert_eq!(wf["error"], reason, "{r:#}");
    assert_eq!(wf["failure"]["kind"], kind, "{r:#}");
    // The step in flight is in the trace, failed with the reason.
    let step = &wf["steps"][0];
    assert_eq!(step["stepId"], "wait", "{r:#}");
    assert_eq!(step["status"], "failed", "{r:#}");
    assert_eq!(step["method"], "GET", "{r:#}");
    assert_eq!(step["error"], reason, "{r:#}");
    let xml = junit(dir);
    assert!(
        xml.contains("<testcase name=\"wait\" classname=\"hang\""),
        "{xml}"
    );
    assert!(
        xml.contains(&format!("<failure message=\"{reason}\" type=\"step\">")),
        "{xml}"
    );
}

/// `--run-timeout 1` stops a request that the server never answers at the
/// run's limit (the request timeout is 30 s) and reports the limit, with the
/// step the run stopped in.
#[tokio::test]
async fn run_timeout_stops_a_request_in_flight() {
    let dir = folder("timeout");
    let (server, _arrived) = silent_server();
    let started = Instant::now();
    let child = spawn(&args(&dir, &server, &["--run-timeout", "1"]));
    let out = wait(child, Duration::from_secs(20)).await;
    let took = started.elapsed();
    assert!(
        took < Duration::from_secs(3),
        "took {took:?}\n{}",
        text(&out.stdout)
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert_stopped_in_step(&dir, "the run exceeded its time limit of 1 s", "limit");
}

/// Sends `signal` (`INT`, `TERM`) to the child once its request has reached
/// the server, and returns how the run ended.
async fn stop_with(signal: &str, name: &str) -> (Output, PathBuf) {
    let dir = folder(name);
    let (server, arrived) = silent_server();
    let child = spawn(&args(&dir, &server, &[]));
    let pid = child.id().unwrap();
    // The request is in flight once the server has it.
    let got = tokio::task::spawn_blocking(move || arrived.recv_timeout(Duration::from_secs(20)))
        .await
        .unwrap();
    assert!(got.is_ok(), "the request never reached the server");
    let started = Instant::now();
    let status = std::process::Command::new("kill")
        .args([&format!("-{signal}"), &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success(), "kill -{signal} {pid} failed");
    let out = wait(child, Duration::from_secs(20)).await;
    let took = started.elapsed();
    assert!(took < Duration::from_secs(3), "took {took:?} to stop");
    (out, dir)
}

/// SIGINT (Ctrl-C) stops the run cleanly: exit 130, the summary printed, the
/// report and JUnit files written with the interrupted step failed.
#[tokio::test]
async fn sigint_stops_the_run_cleanly() {
    let (out, dir) = stop_with("INT", "sigint").await;
    let stdout = text(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(130),
        "{:?}\n{stdout}\n{}",
        out.status,
        text(&out.stderr)
    );
    assert!(stdout.contains("1 of 1 workflow failed"), "{stdout}");
    assert!(stdout.contains("interrupted by SIGINT"), "{stdout}");
    assert_stopped_in_step(
        &dir,
        "the run was interrupted by SIGINT (Ctrl-C)",
        "interrupted",
    );
}

/// SIGTERM stops the run the same way, with exit 143.
#[tokio::test]
async fn sigterm_stops_the_run_cleanly() {
    let (out, dir) = stop_with("TERM", "sigterm").await;
    assert_eq!(
        out.status.code(),
        Some(143),
        "{:?}\n{}\n{}",
        out.status,
        text(&out.stdout),
        text(&out.stderr)
    );
    assert_stopped_in_step(&dir, "the run was stopped by SIGTERM", "interrupted");
}
