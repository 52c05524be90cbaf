//! No false passes from malformed runtime expressions (issue 15, point 1),
//! through the real binary: a string that is meant as a runtime expression
//! and does not parse is an error with its file:line:column (exit 2 from
//! `validate`, and from `run` before any request is sent), not text sent or
//! reported with a warning. Literal text such as `$5.00` still runs, the
//! documented way to send text that starts like an expression works, and
//! `arazzo-run eval` agrees with `validate` on what is an error. Every test
//! fails on the code that used such strings as literal text.
#![allow(clippy::unwrap_used)]

mod common;
use common::{bin, text};

use std::io::ErrorKind;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// A fresh folder for this test's documents, with the OpenAPI description.
fn folder(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("arazzo-false-passes-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("api.yaml"), API).unwrap();
    dir
}

/// Runs the binary in `dir`, without colours.
fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(bin())
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("CLICOLOR_FORCE")
        .output()
        .unwrap()
}

/// Asserts the exit code, showing the output when it differs.
fn assert_exit(out: &Output, code: i32) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "stdout: {}\nstderr: {}",
        text(&out.stdout),
        text(&out.stderr)
    );
}

/// Asserts that stderr holds every one of `needles`.
fn assert_says(out: &Output, needles: &[&str]) {
    let err = text(&out.stderr);
    for n in needles {
        assert!(err.contains(n), "stderr lacks {n:?}:\n{err}");
    }
}

const API: &str = r#"
openapi: 3.1.0
info: {title: api, version: "1"}
servers: [{url: "https://api.example.com"}]
paths:
  /x:
    get:
      operationId: get
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema:
                type: object
                properties:
                  data: {type: array, items: {type: string}}
  /y:
    post:
      operationId: post
      requestBody:
        content:
          application/json:
            schema: {type: object}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {type: object}
"#;

/// A loopback listener standing in for the API: `run --server api=…` sends
/// its requests here, so the test can tell whether anything was sent.
struct Api {
    listener: TcpListener,
}

impl Api {
    fn start() -> Api {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        Api { listener }
    }

    fn server_flag(&self) -> String {
        format!(
            "api=http://127.0.0.1:{}",
            self.listener.local_addr().unwrap().port()
        )
    }

    /// Whether any client connected.
    fn was_contacted(&self) -> bool {
        match self.listener.accept() {
            Ok(_) => true,
            Err(e) if e.kind() == ErrorKind::WouldBlock => false,
            Err(e) => panic!("accept: {e}"),
        }
    }
}

/// `validate` exits 2 with `needles` on stderr, and `run` (against a real
/// listener) exits 2 with the same, having connected to nothing.
fn assert_rejected_before_sending(dir: &Path, file: &str, needles: &[&str]) {
    let out = run(dir, &["validate", file]);
    assert_exit(&out, 2);
    assert_says(&out, needles);
    assert_says(&out, &["invalid (1 error"]);

    let api = Api::start();
    let server = api.server_flag();
    let out = run(dir, &["run", file, "--server", &server]);
    assert_exit(&out, 2);
    assert_says(&out, needles);
    assert_says(&out, &["nothing was run"]);
    assert!(
        !text(&out.stdout).contains("succeeded"),
        "{}",
        text(&out.stdout)
    );
    assert!(!api.was_contacted(), "a request was sent");
}

#[test]
fn step_output_with_a_malformed_pointer_is_an_error() {
    let dir = folder("output-pointer");
    std::fs::write(
        dir.join("accounts.arazzo.yaml"),
        r#"arazzo: 1.0.1
info: {title: t, version: "1"}
sourceDescriptions: [{name: api, url: ./api.yaml, type: openapi}]
workflows:
  - workflowId: w
    steps:
      - stepId: get
        operationId: get
        successCriteria: [{condition: $statusCode == 200}]
        outputs:
          accounts: $response.body#data
"#,
    )
    .unwrap();
    assert_rejected_before_sending(
        &dir,
        "accounts.arazzo.yaml",
        &[
            "error[expression-syntax]",
            "`$response.body#data` is a malformed runtime expression",
            "a JSON pointer must start with `/`",
            "--> accounts.arazzo.yaml:11:36",
            "help: write `#/data`",
        ],
    );
}

#[test]
fn malformed_expression_in_a_payload_is_never_sent() {
    let dir = folder("payload");
    std::fs::write(
        dir.join("body.arazzo.yaml"),
        r#"arazzo: 1.0.1
info: {title: t, version: "1"}
sourceDescriptions: [{name: api, url: ./api.yaml, type: openapi}]
workflows:
  - workflowId: w
    steps:
      - stepId: x
        operationId: get
      - stepId: post
        operationId: post
        requestBody:
          payload:
            v: $steps.x.outputs
"#,
    )
    .unwrap();
    assert_rejected_before_sending(
        &dir,
        "body.arazzo.yaml",
        &[
            "error[expression-syntax]",
            "`$steps.x.outputs` is a malformed runtime expression",
            "expected `.outputs.`, found `.outputs`",
            "--> body.arazzo.yaml:13:24",
            "help: ",
        ],
    );

    // The same in a parameter value.
    std::fs::write(
        dir.join("param.arazzo.yaml"),
        r#"arazzo: 1.0.1
info: {title: t, version: "1"}
sourceDescriptions: [{name: api, url: ./api.yaml, type: openapi}]
workflows:
  - workflowId: w
    steps:
      - stepId: get
        operationId: get
        parameters:
          - {name: q, in: query, value: $response.headers.Location}
"#,
    )
    .unwrap();
    assert_rejected_before_sending(
        &dir,
        "param.arazzo.yaml",
        &[
            "`$response.headers.Location` is a malformed runtime expression",
            "--> param.arazzo.yaml:10:51",
        ],
    );
}

#[test]
fn workflow_output_without_outputs_segment_is_an_error() {
    let dir = folder("workflow-output");
    std::fs::write(
        dir.join("pet.arazzo.yaml"),
        r#"arazzo: 1.0.1
info: {title: t, version: "1"}
sourceDescriptions: [{name: api, url: ./api.yaml, type: openapi}]
workflows:
  - workflowId: w
    steps:
      - stepId: get
        operationId: get
        outputs:
          body: $response.body
    outputs:
      pet: $steps.get.pet
"#,
    )
    .unwrap();
    assert_rejected_before_sending(
        &dir,
        "pet.arazzo.yaml",
        &[
            "`$steps.get.pet` is a malformed runtime expression",
            "expected `.outputs.`, found `.pet`",
            "--> pet.arazzo.yaml:12:22",
            "help: an output is a runtime expression",
        ],
    );
}

/// A document posting `payload` (YAML lines at the payload's indentation),
/// whose step and workflow output `sent` is the request body as sent.
fn posting(payload: &str) -> String {
    format!(
        r#"arazzo: 1.0.1
info: {{title: t, version: "1"}}
sourceDescriptions: [{{name: api, url: ./api.yaml, type: openapi}}]
workflows:
  - workflowId: w
    inputs:
      type: object
      properties:
        note: {{type: string, default: "$steps.x.outputs is literal here"}}
    steps:
      - stepId: post
        operationId: post
        requestBody:
          payload:
{payload}
        outputs:
          sent: $request.body
    outputs:
      sent: $steps.post.outputs.sent
"#
    )
}

/// Runs `file` on the mock with a JSON report; the workflow output `sent`.
fn sent(dir: &Path, file: &str) -> Value {
    let out = run(dir, &["run", file, "--mock", "--format", "json"]);
    assert_exit(&out, 0);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    report["workflows"][0]["outputs"]["sent"].clone()
}

#[test]
fn literal_dollar_text_still_runs_and_only_the_malformed_string_is_reported() {
    let dir = folder("literals");
    let literals = "            price: $5.00\n            home: $HOME\n            selfie: $selfie\n            path: $.items[*]\n            total: Total $inputs.note";
    std::fs::write(dir.join("ok.arazzo.yaml"), posting(literals)).unwrap();
    let out = run(&dir, &["validate", "ok.arazzo.yaml"]);
    assert_exit(&out, 0);
    assert!(
        !text(&out.stderr).contains("expression-syntax"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(
        sent(&dir, "ok.arazzo.yaml"),
        serde_json::json!({
            "price": "$5.00",
            "home": "$HOME",
            "selfie": "$selfie",
            "path": "$.items[*]",
            "total": "Total $inputs.note"
        })
    );

    // One malformed string among them: exactly one error, at its place.
    let bad = format!("{literals}\n            spaced: $inputs.pet id");
    std::fs::write(dir.join("bad.arazzo.yaml"), posting(&bad)).unwrap();
    let out = run(&dir, &["validate", "bad.arazzo.yaml"]);
    assert_exit(&out, 2);
    assert_says(
        &out,
        &[
            "`$inputs.pet id` is a malformed runtime expression",
            "--> bad.arazzo.yaml:20:32",
            "bad.arazzo.yaml: invalid (1 error, 0 warnings)",
        ],
    );
    let out = run(&dir, &["run", "bad.arazzo.yaml", "--mock"]);
    assert_exit(&out, 2);
}

#[test]
fn documented_literal_form_sends_text_that_starts_like_an_expression() {
    let dir = folder("escape");
    // docs/semantics.md: the text goes in an input, the payload refers to it.
    std::fs::write(
        dir.join("input.arazzo.yaml"),
        posting("            note: $inputs.note"),
    )
    .unwrap();
    assert_eq!(
        sent(&dir, "input.arazzo.yaml"),
        serde_json::json!({"note": "$steps.x.outputs is literal here"})
    );
    // Supplied at run time, too.
    let out = run(
        &dir,
        &[
            "run",
            "input.arazzo.yaml",
            "--mock",
            "--format",
            "json",
            "--input",
            "note=$response.body#id",
        ],
    );
    assert_exit(&out, 0);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        report["workflows"][0]["outputs"]["sent"],
        serde_json::json!({"note": "$response.body#id"})
    );

    // Written inline, the same text is an error.
    std::fs::write(
        dir.join("inline.arazzo.yaml"),
        posting("            note: $steps.x.outputs is literal here"),
    )
    .unwrap();
    let out = run(&dir, &["validate", "inline.arazzo.yaml"]);
    assert_exit(&out, 2);
    assert_says(
        &out,
        &[
            "--> inline.arazzo.yaml:15:27",
            "to send text that starts like an expression, pass it in an input and write `$inputs.<name>`",
        ],
    );
}

/// The exit code of `validate` on a document that posts `s` as a payload
/// value (and, when `condition`, also uses it in a success criterion).
fn validate_with(dir: &Path, i: usize, s: &str) -> Option<i32> {
    let quoted = serde_json::to_string(s).unwrap();
    let file = format!("agree-{i}.arazzo.yaml");
    std::fs::write(
        dir.join(&file),
        posting(&format!("            v: {quoted}")),
    )
    .unwrap();
    run(dir, &["validate", &file]).status.code()
}

#[test]
fn eval_and_validate_agree_on_what_is_an_error() {
    let dir = folder("agree");
    std::fs::write(
        dir.join("ctx.json"),
        r#"{"inputs": {"note": "n", "x": 1, "y": 2},
            "response": {"body": {"data": [1, 2]}, "headers": {"Location": "/l"}},
            "steps": {"x": {"outputs": {"id": 7}}}}"#,
    )
    .unwrap();
    // (string, whether it is an error)
    let cases = [
        ("$steps.x.outputs", true),
        ("$inputs.note", false),
        ("$response.body#data", true),
        ("$response.body#/data", false),
        ("$response.headers.Location", true),
        ("$inputs.pet id", true),
        ("$inputs", true),
        // Dot navigation: evaluated (with a warning) by both.
        ("$response.body.data", false),
        ("$response.body.data[1]", false),
        // Literal text.
        ("$5.00", false),
        ("$HOME", false),
        ("price: $inputs.x", false),
        // Templates.
        ("{$inputs.x}-{$inputs.y}", false),
        ("id-{$inputs.}", true),
    ];
    for (i, (s, is_error)) in cases.iter().enumerate() {
        let validate = validate_with(&dir, i, s);
        let eval = run(&dir, &["eval", "--context", "ctx.json", s]);
        let expected = if *is_error { 2 } else { 0 };
        assert_eq!(validate, Some(expected), "validate on {s:?}");
        assert_eq!(
            eval.status.code(),
            Some(expected),
            "eval on {s:?}: {}",
            text(&eval.stderr)
        );
    }
    // Dot navigation evaluates to the value, with the same warning.
    let out = run(
        &dir,
        &["eval", "--context", "ctx.json", "$response.body.data[1]"],
    );
    assert_eq!(text(&out.stdout).trim(), "2");
    assert_says(&out, &["write `$response.body#/data/1`"]);

    // Criteria: a malformed context or condition is an error for both.
    std::fs::write(
        dir.join("criterion.yaml"),
        "context: $steps.x.outputs\ncondition: $.a\ntype: jsonpath\n",
    )
    .unwrap();
    let out = run(
        &dir,
        &[
            "eval",
            "--context",
            "ctx.json",
            "--criterion",
            "criterion.yaml",
        ],
    );
    assert_exit(&out, 2);
    let out = run(
        &dir,
        &[
            "eval",
            "--context",
            "ctx.json",
            "--condition",
            "$steps.get.pet == 1",
        ],
    );
    assert_exit(&out, 2);
    std::fs::write(
        dir.join("criteria.arazzo.yaml"),
        r#"arazzo: 1.0.1
info: {title: t, version: "1"}
sourceDescriptions: [{name: api, url: ./api.yaml, type: openapi}]
workflows:
  - workflowId: w
    steps:
      - stepId: get
        operationId: get
        successCriteria:
          - {context: $steps.x.outputs, condition: $.a, type: jsonpath}
        onSuccess:
          - name: done
            type: end
            criteria: [{condition: $steps.get.pet == 1}]
"#,
    )
    .unwrap();
    let out = run(&dir, &["validate", "criteria.arazzo.yaml"]);
    assert_exit(&out, 2);
    assert_says(
        &out,
        &[
            "--> criteria.arazzo.yaml:10:31",
            "--> criteria.arazzo.yaml:14:46",
            "invalid (2 errors",
        ],
    );
}
