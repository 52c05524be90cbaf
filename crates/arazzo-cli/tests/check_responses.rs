//! Responses checked against the description (`--check-responses`), through the real binary
//! against a loopback server (not the mock) that answers an undeclared status, a wrong content
//! type and a body that violates its schema: by default (`warn`) the run succeeds and the problems
//! are warnings under their steps, in pretty output and in the JSON report (with the instance and
//! schema paths); `error` fails the step (kind `contract`); `off` checks nothing.
#![allow(clippy::unwrap_used)]

mod common;
use common::text;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

const OPENAPI: &str = "openapi: 3.1.0
info: {title: t, version: '1'}
servers: [{url: 'http://127.0.0.1:9'}]
components:
  schemas:
    Pet:
      type: object
      required: [id, name]
      properties:
        id: {type: integer}
        name: {type: string}
        secret: {type: string, writeOnly: true}
paths:
  /status:
    get:
      operationId: status
      responses:
        '200': {description: ok}
        '4XX': {description: client error}
  /kind:
    get:
      operationId: kind
      responses:
        '200':
          description: ok
          content:
            application/json: {schema: {type: object}}
  /pet:
    get:
      operationId: pet
      responses:
        '2XX':
          description: ok
          content:
            application/*: {schema: {$ref: '#/components/schemas/Pet'}}
  /good:
    get:
      operationId: good
      responses:
        default:
          description: anything
          content:
            application/json: {schema: {$ref: '#/components/schemas/Pet'}}
";

const ARAZZO: &str = "arazzo: 1.0.1
info: {title: t, version: '1'}
sourceDescriptions:
  - {name: api, url: ./api.openapi.yaml, type: openapi}
workflows:
  - workflowId: check
    steps:
      - stepId: undeclared
        operationId: status
      - stepId: wrongType
        operationId: kind
      - stepId: badBody
        operationId: pet
      - stepId: fine
        operationId: good
";

/// `/status` answers 500 (declared: 200, 4XX); `/kind` answers `text/html` (declared:
/// `application/json`); `/pet` answers a Pet whose `id` is a string; `/good` answers a valid Pet
/// with status 201 (matched by `default`), `application/json; charset=utf-8`.
fn serve(mut stream: TcpStream) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut first = String::new();
    if reader.read_line(&mut first).is_err() {
        return;
    }
    let path = first.split(' ').nth(1).unwrap_or("/").to_string();
    let mut len = 0usize;
    loop {
        let mut l = String::new();
        if reader.read_line(&mut l).is_err() || l.trim().is_empty() {
            break;
        }
        if let Some((n, v)) = l.trim_end().split_once(':')
            && n.trim().eq_ignore_ascii_case("content-length")
        {
            len = v.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; len];
    let _ = reader.read_exact(&mut body);
    let (status, content_type, body) = match path.as_str() {
        "/status" => ("500 Internal Server Error", "application/json", "{}"),
        "/kind" => ("200 OK", "text/html", "<p>hi</p>"),
        "/pet" => (
            "200 OK",
            "application/json",
            "{\"id\":\"seven\",\"name\":\"Rex\"}",
        ),
        _ => (
            "201 Created",
            "application/json; charset=utf-8",
            "{\"id\":7,\"name\":\"Rex\"}",
        ),
    };
    let head = format!(
        "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(body.as_bytes());
}

fn start() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || serve(stream));
        }
    });
    url
}

fn workdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "arazzo-check-responses-{name}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("api.openapi.yaml"), OPENAPI).unwrap();
    std::fs::write(dir.join("flow.arazzo.yaml"), ARAZZO).unwrap();
    dir
}

fn run(dir: &Path, url: &str, extra: &[&str]) -> Output {
    let doc = dir.join("flow.arazzo.yaml").display().to_string();
    let target = format!("api={url}");
    let mut args = vec!["run", &doc, "--server", &target];
    args.extend(extra);
    Command::new(env!("CARGO_BIN_EXE_arazzo-run"))
        .args(&args)
        .env("NO_COLOR", "1")
        .env_remove("CLICOLOR_FORCE")
        .output()
        .unwrap()
}

fn steps(report: &Value) -> &Vec<Value> {
    report["workflows"][0]["steps"].as_array().unwrap()
}

fn step<'a>(report: &'a Value, id: &str) -> &'a Value {
    steps(report).iter().find(|s| s["stepId"] == id).unwrap()
}

#[test]
fn warn_is_the_default_and_changes_no_outcome() {
    let dir = workdir("warn");
    let url = start();
    let out = run(&dir, &url, &[]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    let all = format!("{stdout}{stderr}");
    // Each problem is a warning, printed under the step's line.
    let lines: Vec<&str> = all.lines().collect();
    let at = |needle: &str| {
        lines
            .iter()
            .position(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no line with {needle:?} in\n{all}"))
    };
    let status_warning = at("status 500 is not declared for GET /status (it declares 200, 4XX)");
    assert!(lines[status_warning].contains("warning:"), "{all}");
    assert!(at("undeclared") < status_warning, "{all}");
    assert!(at("Content-Type `text/html` is not declared for GET /kind 200") > at("wrongType"));
    let schema_warning = at("body /id: \"seven\" is not of type \"integer\"");
    assert!(
        lines[schema_warning].contains("(schema #/components/schemas/Pet/properties/id/type)"),
        "{all}"
    );
    // The valid response (status by `default`, a charset parameter) has none.
    assert_eq!(all.matches("warning:").count(), 3, "{all}");

    let junit = dir.join("junit.xml").display().to_string();
    let out = run(&dir, &url, &["--format", "json", "--junit", &junit]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // JUnit: the steps pass, each problem is in the step's output.
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains("failures=\"0\""), "{xml}");
    assert_eq!(xml.matches("<system-out>").count(), 3, "{xml}");
    assert!(
        xml.contains("body /id: &quot;seven&quot; is not of type &quot;integer&quot; (schema #/components/schemas/Pet/properties/id/type)"),
        "{xml}"
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(steps(&report).iter().all(|s| s["status"] == "succeeded"));
    assert_eq!(
        step(&report, "undeclared")["contract"],
        serde_json::json!([{"check": "status", "message": "status 500 is not declared for GET /status (it declares 200, 4XX)"}])
    );
    assert_eq!(
        step(&report, "wrongType")["contract"][0]["check"],
        "contentType"
    );
    let bad = &step(&report, "badBody")["contract"];
    assert_eq!(bad.as_array().unwrap().len(), 1, "{bad}");
    assert_eq!(bad[0]["check"], "schema");
    assert_eq!(bad[0]["instancePath"], "/id");
    assert_eq!(
        bad[0]["schemaPath"],
        "#/components/schemas/Pet/properties/id/type"
    );
    assert!(step(&report, "fine").get("contract").is_none());
    // The report still follows its schema, which documents `contract`.
    let errors = common::report_schema_errors(&report);
    assert!(errors.is_empty(), "{errors:?}");
    // The warnings are in the workflow's record too.
    let warnings = report["workflows"][0]["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 3, "{warnings:?}");
}

#[test]
fn error_fails_the_step() {
    let dir = workdir("error");
    let url = start();
    let out = run(
        &dir,
        &url,
        &["--check-responses", "error", "--format", "json"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let first = step(&report, "undeclared");
    assert_eq!(first["status"], "failed");
    assert_eq!(first["failure"]["kind"], "contract");
    assert!(
        first["error"]
            .as_str()
            .unwrap()
            .contains("status 500 is not declared"),
        "{first}"
    );
    assert_eq!(report["workflows"][0]["status"], "failed");
    assert_eq!(steps(&report).len(), 1);
    let errors = common::report_schema_errors(&report);
    assert!(errors.is_empty(), "{errors:?}");

    let out = run(&dir, &url, &["--check-responses", "error"]);
    assert_eq!(out.status.code(), Some(1));
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(
        all.contains("the response does not match the description (1 problem): status 500"),
        "{all}"
    );
}

#[test]
fn off_checks_nothing() {
    let dir = workdir("off");
    let url = start();
    let out = run(
        &dir,
        &url,
        &["--check-responses", "off", "--format", "json"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(steps(&report).iter().all(|s| s.get("contract").is_none()));
    assert!(report["workflows"][0].get("warnings").is_none());
    let out = run(&dir, &url, &["--check-responses", "off"]);
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(!all.contains("warning"), "{all}");
    let out = run(&dir, &url, &["--check-responses", "sometimes"]);
    assert_eq!(out.status.code(), Some(2));
}
