//! Machine output through the real binary: with `--format json` standard
//! output holds exactly one JSON document, also when a command exits 2;
//! `list --format json` describes the workflows; `graph` labels steps with
//! what they call; a missing source is one error, not a cascade; a remote
//! document answered with 404 says so.
#![allow(clippy::unwrap_used)]

mod common;
use common::{bin, flagship, root, text};

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// Runs the binary in `dir` without colour.
fn run_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(bin())
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("RUST_LOG")
        .output()
        .unwrap()
}

/// A fresh, empty directory for one test.
fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("arazzo-machine-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Standard output as exactly one JSON document (serde_json refuses
/// anything but whitespace after it).
fn one_document(o: &Output) -> Value {
    let out = text(&o.stdout);
    serde_json::from_str(&out).unwrap_or_else(|e| {
        panic!(
            "stdout is not one JSON document ({e}):\n{out}\nstderr:\n{}",
            text(&o.stderr)
        )
    })
}

/// Checks the failure shape of docs/cli.md#json-on-failure and returns the
/// diagnostics.
fn failure(o: &Output) -> Vec<Value> {
    assert_eq!(o.status.code(), Some(2), "stderr: {}", text(&o.stderr));
    let v = one_document(o);
    assert_eq!(v["ok"], false, "{v}");
    assert_eq!(v["exitCode"], 2, "{v}");
    assert_eq!(v["version"], 1, "{v}");
    let diags = v["diagnostics"].as_array().cloned().unwrap_or_default();
    assert!(!diags.is_empty(), "{v}");
    for d in &diags {
        for key in [
            "code", "severity", "message", "file", "line", "column", "hint",
        ] {
            assert!(d.get(key).is_some(), "diagnostic without `{key}`: {d}");
        }
    }
    assert!(
        !text(&o.stderr).trim().is_empty(),
        "people still get the error on stderr"
    );
    diags
}

const API: &str = "\
openapi: 3.1.0
info: {title: pets, version: '1'}
servers: [{url: 'http://127.0.0.1:9'}]
paths:
  /pets/{petId}:
    get:
      operationId: findPet
      parameters:
        - {name: petId, in: path, required: true, schema: {type: string}}
      responses:
        '200': {description: ok}
  /pets:
    post:
      responses:
        '201': {description: created}
";

const FLOW: &str = "\
arazzo: 1.0.1
info: {title: pets, version: '1'}
sourceDescriptions:
  - {name: petstore, url: ./pets.openapi.yaml, type: openapi}
workflows:
  - workflowId: adopt
    summary: Find a pet and buy one.
    inputs:
      type: object
      required: [petId]
      properties:
        petId: {type: string, description: the pet}
    steps:
      - stepId: find
        operationId: findPet
        parameters:
          - {name: petId, in: path, value: $inputs.petId}
        successCriteria:
          - condition: $statusCode == 200
      - stepId: buy
        operationPath: '{$sourceDescriptions.petstore.url}#/paths/~1pets/post'
        successCriteria:
          - condition: $statusCode == 201
";

/// A directory with the pets description and the flow (`flow.arazzo.yaml`).
fn pets(name: &str) -> PathBuf {
    let dir = temp(name);
    std::fs::write(dir.join("pets.openapi.yaml"), API).unwrap();
    std::fs::write(dir.join("flow.arazzo.yaml"), FLOW).unwrap();
    dir
}

#[test]
fn validate_usage_error_with_json_prints_one_failure_document() {
    let dir = pets("validate-usage");
    let o = run_in(
        &dir,
        &[
            "validate",
            "flow.arazzo.yaml",
            "--source",
            "oops",
            "--format",
            "json",
        ],
    );
    let diags = failure(&o);
    assert_eq!(diags[0]["code"], "usage", "{diags:?}");
    assert!(
        diags[0]["message"].as_str().unwrap().contains("--source"),
        "{diags:?}"
    );
}

#[test]
fn validate_json_says_ok_and_exit_code() {
    let dir = pets("validate-ok");
    let o = run_in(&dir, &["validate", "flow.arazzo.yaml", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let v = one_document(&o);
    assert_eq!(v["ok"], true, "{v}");
    assert_eq!(v["exitCode"], 0, "{v}");
    assert_eq!(v["files"][0]["valid"], true, "{v}");
}

#[test]
fn unknown_flag_with_json_prints_one_failure_document() {
    let dir = pets("unknown-flag");
    let o = run_in(
        &dir,
        &[
            "validate",
            "flow.arazzo.yaml",
            "--format",
            "json",
            "--worklfow",
            "x",
        ],
    );
    let diags = failure(&o);
    assert_eq!(diags[0]["code"], "usage");
    assert!(
        diags[0]["message"].as_str().unwrap().contains("--worklfow"),
        "{diags:?}"
    );
}

#[test]
fn missing_file_shortcut_with_json_prints_one_failure_document() {
    let dir = temp("shortcut");
    let o = run_in(&dir, &["nothing-here.yaml", "--format", "json"]);
    let diags = failure(&o);
    assert!(
        diags[0]["message"]
            .as_str()
            .unwrap()
            .contains("nothing-here.yaml"),
        "{diags:?}"
    );
}

#[test]
fn list_json_describes_the_workflows() {
    let o = run_in(&root(), &["list", &flagship(), "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let v = one_document(&o);
    assert_eq!(v["ok"], true, "{v}");
    let wf = &v["workflows"][0];
    assert_eq!(wf["workflowId"], "connect-account-onboarding", "{v}");
    assert_eq!(wf["steps"], 3, "{v}");
    assert!(wf["summary"].as_str().unwrap().contains("Connect token"));
    let inputs = wf["inputs"].as_array().unwrap();
    let project = inputs.iter().find(|i| i["name"] == "projectId").unwrap();
    assert_eq!(project["type"], "string");
    assert_eq!(project["required"], true);
    let name = inputs.iter().find(|i| i["name"] == "accountName").unwrap();
    assert_eq!(name["required"], false);
    assert_eq!(v["sourceDescriptions"][0]["name"], "pipedreamApi", "{v}");
    assert_eq!(v["sourceDescriptions"][0]["type"], "openapi", "{v}");
}

#[test]
fn list_json_of_a_missing_file_is_one_failure_document() {
    let dir = temp("list-missing");
    let o = run_in(&dir, &["list", "gone.arazzo.yaml", "--format", "json"]);
    let diags = failure(&o);
    assert_eq!(diags[0]["code"], "io", "{diags:?}");
}

#[test]
fn graph_labels_steps_with_operation_ids_or_method_and_path() {
    let dir = pets("graph");
    let o = run_in(&dir, &["graph", "flow.arazzo.yaml"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(out.starts_with("flowchart TD\n"), "{out}");
    assert!(out.contains("<small>findPet</small>"), "{out}");
    // The POST has no operationId: method and path, not the JSON pointer.
    assert!(out.contains("<small>POST /pets</small>"), "{out}");
    assert!(!out.contains("~1"), "{out}");
    // Offline, the pointer is still read as method and path.
    let o = run_in(&dir, &["graph", "flow.arazzo.yaml", "--no-sources"]);
    let out = text(&o.stdout);
    assert!(out.contains("<small>POST /pets</small>"), "{out}");
    assert!(out.contains("<small>findPet</small>"), "{out}");
}

#[test]
fn a_missing_source_is_one_error() {
    let dir = pets("missing-source");
    std::fs::remove_file(dir.join("pets.openapi.yaml")).unwrap();
    let o = run_in(&dir, &["validate", "flow.arazzo.yaml", "--format", "json"]);
    assert_eq!(o.status.code(), Some(2));
    let v = one_document(&o);
    let diags = v["files"][0]["diagnostics"].as_array().unwrap();
    assert_eq!(diags.len(), 1, "{v}");
    assert_eq!(diags[0]["code"], "source-load", "{v}");
    assert_eq!(v["ok"], false, "{v}");
    // `run` says the same, once.
    let o = run_in(&dir, &["run", "flow.arazzo.yaml", "--input", "petId=1"]);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert_eq!(err.matches("error[").count(), 1, "{err}");
    assert!(err.contains("error[source-load]"), "{err}");
    assert!(err.contains("(1 error, 0 warnings)"), "{err}");
}

/// A loopback server that answers every request with 404 until the test
/// ends; returns its base URL.
fn not_found_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            let mut buf = [0u8; 4096];
            let mut seen = Vec::new();
            while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                match conn.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => seen.extend_from_slice(&buf[..n]),
                }
            }
            let body = "not here";
            let _ = write!(
                conn,
                "HTTP/1.1 404 Not Found\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    format!("http://{addr}")
}

#[test]
fn a_remote_404_says_404_with_the_url() {
    let base = not_found_server();
    let dir = temp("remote-404");
    // The document itself.
    let url = format!("{base}/flows/pets.arazzo.yaml");
    let o = run_in(&dir, &["validate", &url, "--format", "json"]);
    assert_eq!(o.status.code(), Some(2));
    let v = one_document(&o);
    let message = v["files"][0]["diagnostics"][0]["message"].as_str().unwrap();
    assert!(message.contains("404 Not Found"), "{v}");
    assert!(message.contains(&url), "{v}");
    assert!(!message.contains("no such file"), "{v}");
    // A source description of a local document: one error, with the 404.
    let source = format!("{base}/pets.openapi.yaml");
    std::fs::write(
        dir.join("flow.arazzo.yaml"),
        FLOW.replace("./pets.openapi.yaml", &source),
    )
    .unwrap();
    let o = run_in(&dir, &["validate", "flow.arazzo.yaml", "--format", "json"]);
    let v = one_document(&o);
    let diags = v["files"][0]["diagnostics"].as_array().unwrap();
    assert_eq!(diags.len(), 1, "{v}");
    let message = diags[0]["message"].as_str().unwrap();
    assert!(message.contains("404 Not Found"), "{v}");
    assert!(message.contains(&source), "{v}");
}

// `run --format json` exit-2 answers (docs/cli.md#json-on-failure).

#[test]
fn run_invalid_document_with_json_prints_one_failure_document() {
    let dir = pets("run-invalid");
    std::fs::remove_file(dir.join("pets.openapi.yaml")).unwrap();
    let o = run_in(
        &dir,
        &[
            "run",
            "flow.arazzo.yaml",
            "--input",
            "petId=1",
            "--format",
            "json",
        ],
    );
    let diags = failure(&o);
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert_eq!(diags[0]["code"], "source-load");
}

#[test]
fn run_missing_inputs_with_json_prints_one_failure_document() {
    let dir = pets("run-missing-input");
    let o = run_in(&dir, &["run", "flow.arazzo.yaml", "--format", "json"]);
    let diags = failure(&o);
    assert!(
        diags
            .iter()
            .any(|d| d["message"].as_str().unwrap().contains("petId")),
        "{diags:?}"
    );
}

#[test]
fn run_unknown_workflow_with_json_prints_one_failure_document() {
    let dir = pets("run-unknown-workflow");
    let o = run_in(
        &dir,
        &[
            "run",
            "flow.arazzo.yaml",
            "--workflow",
            "adpot",
            "--format",
            "json",
        ],
    );
    let diags = failure(&o);
    assert_eq!(diags[0]["code"], "usage");
    assert!(
        diags[0]["message"].as_str().unwrap().contains("adopt"),
        "{diags:?}"
    );
}
