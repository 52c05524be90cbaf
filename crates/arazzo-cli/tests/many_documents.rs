//! Many documents in one CI step, through the real binary: several files, a
//! directory and a glob in one run with one JSON report (valid against
//! `docs/report-schema.json`), one JUnit file (a suite per document) and TAP;
//! `--header` reaching a loopback server (and `SOURCE:` only its source);
//! `--env-file` supplying a credential and an input, the real environment
//! winning, and a malformed file refused with its line; a signal stopping
//! the run before the next document starts.
#![allow(clippy::unwrap_used)]

mod common;
use common::{bin, text};

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

use serde_json::Value;

/// A fresh directory for one test.
fn workdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("arazzo-many-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// An OpenAPI description named `name` whose server is `server`, with an
/// API key scheme `key` in header `X-Api-Key` on every operation.
fn openapi(name: &str, server: &str) -> String {
    format!(
        r#"openapi: 3.0.3
info: {{title: {name}, version: "1"}}
servers: [{{url: "{server}"}}]
components:
  securitySchemes:
    key: {{type: apiKey, in: header, name: X-Api-Key}}
paths:
  /ping:
    get:
      operationId: {name}Ping
      security: [{{key: []}}]
      parameters:
        - {{name: name, in: query, required: false, schema: {{type: string}}}}
        - {{name: X-Doc, in: header, required: false, schema: {{type: string}}}}
      responses:
        "200":
          description: ok
          content: {{application/json: {{schema: {{type: object}}}}}}
"#
    )
}

/// An Arazzo document with workflow `id` calling `alphaPing` (and
/// `betaPing` when `beta`), failing when `fail` (a criterion no response
/// can meet, not even the mock's), with an `X-Doc` header when `doc_header`.
fn arazzo(id: &str, fail: bool, beta: bool, doc_header: bool) -> String {
    let condition = if fail {
        "$method == 'POST'"
    } else {
        "$statusCode == 200"
    };
    let beta_source = if beta {
        "\n  - {name: beta, url: ./beta.yaml, type: openapi}"
    } else {
        ""
    };
    let beta_step = if beta {
        "\n      - stepId: pingBeta\n        operationId: betaPing\n        successCriteria:\n          - condition: $statusCode == 200"
    } else {
        ""
    };
    let header = if doc_header {
        "\n          - {name: X-Doc, in: header, value: from-doc}"
    } else {
        ""
    };
    format!(
        r#"arazzo: 1.0.1
info: {{title: {id}, version: "1"}}
sourceDescriptions:
  - {{name: alpha, url: ./alpha.yaml, type: openapi}}{beta_source}
workflows:
  - workflowId: {id}
    inputs:
      type: object
      properties:
        name: {{type: string}}
    steps:
      - stepId: ping
        operationId: alphaPing
        parameters:
          - {{name: name, in: query, value: $inputs.name}}{header}
        successCriteria:
          - condition: {condition}{beta_step}
"#
    )
}

/// Writes the descriptions (pointing at `base`) into `dir`.
fn descriptions(dir: &Path, base: &str) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(
        dir.join("alpha.yaml"),
        openapi("alpha", &format!("{base}/alpha")),
    )
    .unwrap();
    std::fs::write(
        dir.join("beta.yaml"),
        openapi("beta", &format!("{base}/beta")),
    )
    .unwrap();
}

fn run_in(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(bin());
    cmd.current_dir(dir)
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("ARAZZO_AUTH_KEY")
        .env_remove("ARAZZO_INPUT_NAME");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

/// Three documents for offline runs: `d1/a` (succeeds), `d1/b` (fails:
/// expects 299), `d2/sub/c` (succeeds).
fn three_documents(name: &str) -> PathBuf {
    let dir = workdir(name);
    descriptions(&dir.join("d1"), "http://127.0.0.1:9");
    descriptions(&dir.join("d2/sub"), "http://127.0.0.1:9");
    std::fs::write(
        dir.join("d1/a.arazzo.yaml"),
        arazzo("first", false, false, false),
    )
    .unwrap();
    std::fs::write(
        dir.join("d1/b.arazzo.yaml"),
        arazzo("second", true, false, false),
    )
    .unwrap();
    std::fs::write(
        dir.join("d2/sub/c.arazzo.yaml"),
        arazzo("third", false, false, false),
    )
    .unwrap();
    dir
}

fn files_of(report: &Value) -> Vec<String> {
    report["documents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["file"].as_str().unwrap().replace('\\', "/"))
        .collect()
}

#[test]
fn two_files_a_directory_and_a_glob_give_one_report_valid_against_the_schema() {
    let dir = three_documents("json");
    // Two files.
    let out = run_in(
        &dir,
        &[
            "run",
            "d1/a.arazzo.yaml",
            "d2/sub/c.arazzo.yaml",
            "--mock",
            "--format",
            "json",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        files_of(&report),
        ["d1/a.arazzo.yaml", "d2/sub/c.arazzo.yaml"]
    );
    assert_eq!(report["totals"]["workflows"]["succeeded"], 2);
    assert_eq!(report["totals"]["documents"]["ran"], 2);
    assert!(
        common::report_schema_errors(&report).is_empty(),
        "{:?}",
        common::report_schema_errors(&report)
    );

    // A directory: its documents, sorted; one fails, so the exit code is 1.
    let out = run_in(&dir, &["run", "d1", "--mock", "--format", "json"], &[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(files_of(&report), ["d1/a.arazzo.yaml", "d1/b.arazzo.yaml"]);
    assert_eq!(report["documents"][1]["workflows"][0]["status"], "failed");
    assert!(
        common::report_schema_errors(&report).is_empty(),
        "{:?}",
        common::report_schema_errors(&report)
    );

    // A glob the program expands itself (`**` too), and a file.
    let out = run_in(
        &dir,
        &[
            "run",
            "d2/**/*.arazzo.yaml",
            "d1/a.arazzo.yaml",
            "--mock",
            "--format",
            "json",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        files_of(&report),
        ["d2/sub/c.arazzo.yaml", "d1/a.arazzo.yaml"]
    );

    // The `arazzo-run FILE` shortcut takes a pattern too.
    let out = run_in(
        &dir,
        &["d1/*.arazzo.yaml", "--mock", "--format", "json"],
        &[],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(files_of(&report), ["d1/a.arazzo.yaml", "d1/b.arazzo.yaml"]);

    // One document keeps the single-document shape.
    let out = run_in(
        &dir,
        &["run", "d1/a.arazzo.yaml", "--mock", "--format", "json"],
        &[],
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(report.get("documents").is_none());
    assert_eq!(report["file"], "d1/a.arazzo.yaml");
    assert!(
        common::report_schema_errors(&report).is_empty(),
        "{:?}",
        common::report_schema_errors(&report)
    );

    // A pattern that matches nothing is a usage error.
    let out = run_in(&dir, &["run", "nope/*.arazzo.yaml", "--mock"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("no file matches"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn an_invalid_document_is_reported_the_others_still_run_and_the_exit_code_is_2() {
    let dir = three_documents("invalid");
    std::fs::write(
        dir.join("d1/broken.arazzo.yaml"),
        "arazzo: 1.0.1\ninfo: {title: x, version: '1'}\nsourceDescriptions: []\nworkflows:\n  - workflowId: w\n    steps:\n      - stepId: s\n        operationId: nowhere\n",
    )
    .unwrap();
    let junit = dir.join("junit.xml");
    let out = run_in(
        &dir,
        &[
            "run",
            "d1",
            "--mock",
            "--format",
            "json",
            "--junit",
            junit.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        files_of(&report),
        [
            "d1/a.arazzo.yaml",
            "d1/b.arazzo.yaml",
            "d1/broken.arazzo.yaml"
        ]
    );
    assert_eq!(report["documents"][2]["invalid"], true);
    assert_eq!(
        report["documents"][0]["workflows"][0]["status"],
        "succeeded"
    );
    assert_eq!(report["totals"]["documents"]["invalid"], 1);
    assert!(
        common::report_schema_errors(&report).is_empty(),
        "{:?}",
        common::report_schema_errors(&report)
    );

    // JUnit: one suite per document, the invalid one with an error.
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert_eq!(xml.matches("<testsuite ").count(), 3, "{xml}");
    assert!(
        xml.contains("<testsuite name=\"d1/a.arazzo.yaml\""),
        "{xml}"
    );
    assert!(
        xml.contains(
            "<testsuite name=\"d1/broken.arazzo.yaml\" tests=\"1\" failures=\"0\" errors=\"1\""
        ),
        "{xml}"
    );
    assert!(
        xml.contains("<testsuites name=\"arazzo-run\" tests=\"3\" failures=\"1\" errors=\"1\""),
        "{xml}"
    );
}

#[test]
fn tap_has_a_plan_and_a_point_per_workflow() {
    let dir = three_documents("tap");
    let out = run_in(
        &dir,
        &["run", "d1", "d2/sub", "--mock", "--format", "tap"],
        &[],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let tap = text(&out.stdout);
    let lines: Vec<&str> = tap.lines().collect();
    assert_eq!(lines.first(), Some(&"TAP version 14"), "{tap}");
    assert_eq!(lines.last(), Some(&"1..3"), "{tap}");
    let points: Vec<&str> = lines
        .iter()
        .copied()
        .filter(|l| l.starts_with("ok ") || l.starts_with("not ok "))
        .collect();
    assert_eq!(
        points,
        [
            "ok 1 - d1/a.arazzo.yaml: first",
            "not ok 2 - d1/b.arazzo.yaml: second",
            "ok 3 - d2/sub/c.arazzo.yaml: third"
        ],
        "{tap}"
    );
    // The failure's YAML block.
    let block = tap.split("not ok 2").nth(1).unwrap();
    assert!(
        block.starts_with(" - d1/b.arazzo.yaml: second\n  ---\n  message: "),
        "{tap}"
    );
    assert!(block.contains("  step: \"ping\"\n"), "{tap}");
    assert!(block.contains("  ...\n"), "{tap}");

    // One document: the same format, points named by workflow.
    let out = run_in(
        &dir,
        &["run", "d1/a.arazzo.yaml", "--mock", "--format", "tap"],
        &[],
    );
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(text(&out.stdout), "TAP version 14\nok 1 - first\n1..1\n");

    // A run that cannot start still gives a stream with its plan.
    let out = run_in(
        &dir,
        &["run", "missing.arazzo.yaml", "--format", "tap"],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    let tap = text(&out.stdout);
    assert!(
        tap.starts_with("TAP version 14\nnot ok 1 - missing.arazzo.yaml\n  ---\n"),
        "{tap}"
    );
    assert!(tap.ends_with("  ...\n1..1\n"), "{tap}");
}

#[test]
fn a_workflow_no_document_has_is_refused_with_a_suggestion() {
    let dir = three_documents("workflow");
    let out = run_in(&dir, &["run", "d1", "--mock", "--workflow", "secnd"], &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("did you mean `second`?"), "{err}");
    // A known id runs in the document that has it; the other is left out.
    let out = run_in(
        &dir,
        &[
            "run",
            "d1",
            "--mock",
            "--workflow",
            "first",
            "--format",
            "json",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(report.get("documents").is_none() || files_of(&report) == ["d1/a.arazzo.yaml"]);
}

/// A loopback HTTP server that records each request's head and answers
/// `200 {"ok":true}` (or, for a path with `echo`, the head as the body with 500).
struct Loopback {
    base: String,
    heads: Arc<Mutex<Vec<String>>>,
}

impl Loopback {
    fn start() -> Loopback {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let heads: Arc<Mutex<Vec<String>>> = Arc::default();
        let seen = heads.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut chunk) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                let head = String::from_utf8_lossy(&buf).into_owned();
                seen.lock().unwrap().push(head.clone());
                let body = r#"{"ok":true}"#;
                let _ = write!(
                    stream,
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        Loopback { base, heads }
    }

    /// The heads of the requests to `path_start`, lower-cased.
    fn heads_to(&self, path_start: &str) -> Vec<String> {
        self.heads
            .lock()
            .unwrap()
            .iter()
            .filter(|h| {
                h.split(' ')
                    .nth(1)
                    .is_some_and(|p| p.starts_with(path_start))
            })
            .map(|h| h.to_ascii_lowercase())
            .collect()
    }
}

#[test]
fn headers_reach_every_request_or_only_their_source() {
    let server = Loopback::start();
    let dir = workdir("headers");
    descriptions(&dir, &server.base);
    std::fs::write(
        dir.join("flow.arazzo.yaml"),
        arazzo("both", false, true, true),
    )
    .unwrap();
    let out = run_in(
        &dir,
        &[
            "run",
            "flow.arazzo.yaml",
            "--auth",
            "key=k-123456789",
            "--header",
            "X-Gateway=gw-secret-value-1",
            "--header",
            "beta:X-Only-Beta=beta-secret-value-2",
            "--header",
            "X-Doc=from-flag",
            "-v",
        ],
        &[],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let alpha = server.heads_to("/alpha/");
    let beta = server.heads_to("/beta/");
    assert_eq!((alpha.len(), beta.len()), (1, 1), "{alpha:?} {beta:?}");
    assert!(
        alpha[0].contains("x-gateway: gw-secret-value-1"),
        "{}",
        alpha[0]
    );
    assert!(
        beta[0].contains("x-gateway: gw-secret-value-1"),
        "{}",
        beta[0]
    );
    assert!(
        beta[0].contains("x-only-beta: beta-secret-value-2"),
        "{}",
        beta[0]
    );
    assert!(!alpha[0].contains("x-only-beta"), "{}", alpha[0]);
    // The document's own header wins over --header.
    assert!(alpha[0].contains("x-doc: from-doc"), "{}", alpha[0]);
    assert!(!alpha[0].contains("from-flag"), "{}", alpha[0]);
    // The values never show.
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(
        !all.contains("gw-secret-value-1") && !all.contains("beta-secret-value-2"),
        "{all}"
    );

    // An unknown source is a usage error with the closest name.
    let out = run_in(
        &dir,
        &["run", "flow.arazzo.yaml", "--header", "bta:X-A=1"],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("did you mean `beta`?"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn an_env_file_supplies_a_credential_and_an_input_and_the_environment_wins() {
    let server = Loopback::start();
    let dir = workdir("envfile");
    descriptions(&dir, &server.base);
    std::fs::write(
        dir.join("flow.arazzo.yaml"),
        arazzo("one", false, false, false),
    )
    .unwrap();
    std::fs::write(
        dir.join(".env"),
        "# test\nexport ARAZZO_AUTH_KEY='file-key-0123456789'\nARAZZO_INPUT_NAME=\"alice\"\n",
    )
    .unwrap();
    let out = run_in(
        &dir,
        &["run", "flow.arazzo.yaml", "--env-file", ".env"],
        &[],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let heads = server.heads_to("/alpha/");
    assert!(
        heads[0].contains("x-api-key: file-key-0123456789"),
        "{}",
        heads[0]
    );
    assert!(
        heads[0].starts_with("get /alpha/ping?name=alice "),
        "{}",
        heads[0]
    );

    // The real environment wins over the file.
    let out = run_in(
        &dir,
        &["run", "flow.arazzo.yaml", "--env-file", ".env"],
        &[
            ("ARAZZO_AUTH_KEY", "env-key-0123456789"),
            ("ARAZZO_INPUT_NAME", "bob"),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let heads = server.heads_to("/alpha/");
    assert!(
        heads[1].contains("x-api-key: env-key-0123456789"),
        "{}",
        heads[1]
    );
    assert!(
        heads[1].starts_with("get /alpha/ping?name=bob "),
        "{}",
        heads[1]
    );

    // A malformed line: exit 2, naming the file and line, not quoting it.
    std::fs::write(dir.join("bad.env"), "A=1\n\nthis-is-secret-ish\n").unwrap();
    let out = run_in(
        &dir,
        &["run", "flow.arazzo.yaml", "--env-file", "bad.env"],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("bad.env:3:"), "{err}");
    assert!(!err.contains("this-is-secret-ish"), "{err}");
}

/// SIGINT during the first of two documents: that document's run stops
/// cleanly, the second does not start, the report holds what ran, and the
/// exit code is 130.
#[cfg(unix)]
#[test]
fn a_signal_stops_the_run_and_later_documents_do_not_start() {
    use std::time::{Duration, Instant};
    // A server that reads a request and never answers.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().take(4) {
            let Ok(mut stream) = stream else { continue };
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            let _ = tx.send(());
            held.push(stream);
        }
        std::thread::sleep(Duration::from_secs(30));
    });
    let dir = workdir("signal");
    descriptions(&dir, &base);
    std::fs::write(
        dir.join("a.arazzo.yaml"),
        arazzo("first", false, false, false),
    )
    .unwrap();
    std::fs::write(
        dir.join("b.arazzo.yaml"),
        arazzo("second", false, false, false),
    )
    .unwrap();
    let report = dir.join("report.json");
    let mut child = Command::new(bin())
        .current_dir(&dir)
        .args(["run", "a.arazzo.yaml", "b.arazzo.yaml", "--input", "name=x"])
        .args(["--report", report.to_str().unwrap()])
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    rx.recv_timeout(Duration::from_secs(20)).unwrap();
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(start.elapsed() < Duration::from_secs(20), "still running");
        std::thread::sleep(Duration::from_millis(50));
    };
    let out = child.wait_with_output().unwrap();
    assert_eq!(status.code(), Some(130), "{}", text(&out.stderr));
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(files_of(&report), ["a.arazzo.yaml"]);
    let wf = &report["documents"][0]["workflows"][0];
    assert_eq!(wf["status"], "failed");
    assert!(
        wf["error"]
            .as_str()
            .unwrap()
            .contains("interrupted by SIGINT"),
        "{wf}"
    );
    assert!(
        common::report_schema_errors(&report).is_empty(),
        "{:?}",
        common::report_schema_errors(&report)
    );
}
