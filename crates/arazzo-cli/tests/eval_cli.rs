//! Black-box tests of `arazzo-run eval`: the real binary, real files in a temp dir.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_arazzo-run");

/// A fresh directory for one test.
fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("arazzo-eval-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

const CONTEXT: &str = r#"{
  "statusCode": 404,
  "url": "https://api.example.com/pets/7",
  "method": "GET",
  "inputs": { "petId": 7, "customer": { "name": "Ann" }, "flag": true },
  "steps": { "login": { "outputs": { "token": "t0k3n" } } },
  "workflows": { "wf": { "inputs": { "a": 1 }, "outputs": { "b": [1, 2] } } },
  "request": { "headers": { "Accept": "application/json" }, "query": { "limit": 5 }, "path": { "id": 7 }, "body": { "x": 1 } },
  "response": {
    "headers": { "Content-Type": "application/xml" },
    "body": { "data": [], "items": [ { "id": 1, "name": "Rex" } ], "xml": "<r><a>1</a></r>" }
  }
}"#;

fn run(args: &[&str]) -> Output {
    Command::new(BIN).arg("eval").args(args).output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

fn with_context(name: &str, args: &[&str]) -> Output {
    let d = dir(name);
    let ctx = write(&d, "ctx.json", CONTEXT);
    let mut all = vec!["--context", ctx.to_str().unwrap()];
    all.extend_from_slice(args);
    let o = Command::new(BIN).arg("eval").args(&all).output().unwrap();
    let _ = std::fs::remove_dir_all(&d);
    o
}

#[test]
fn expression_prints_its_json_value() {
    let o = with_context("expr", &["$response.body#/items/0"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v, serde_json::json!({"id": 1, "name": "Rex"}));
    let o = with_context("expr-scalar", &["$statusCode"]);
    assert_eq!((o.status.code(), stdout(&o).as_str()), (Some(0), "404\n"));
    let o = with_context("expr-header", &["$request.header.ACCEPT"]);
    assert_eq!(stdout(&o), "\"application/json\"\n");
    let o = with_context("expr-wf", &["$workflows.wf.outputs.b#/1"]);
    assert_eq!(stdout(&o), "2\n");
}

#[test]
fn template_prints_a_string() {
    let o = with_context(
        "template",
        &["{$url}?token={$steps.login.outputs.token}&c={$inputs.customer}"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "\"https://api.example.com/pets/7?token=t0k3n&c={\\\"name\\\":\\\"Ann\\\"}\"\n"
    );
    // A string that is not an expression at all is printed as itself.
    let o = run(&["$5 off"]);
    assert_eq!(
        (o.status.code(), stdout(&o).as_str()),
        (Some(0), "\"$5 off\"\n")
    );
}

#[test]
fn evaluation_failure_exits_1_with_the_reason() {
    let o = with_context("eval-fail", &["$response.body#/data/0/id"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("$response.body#/data/0/id: no element 0 in an empty array"),
        "{}",
        stderr(&o)
    );
    assert!(stdout(&o).is_empty());
    let o = with_context("absent", &["$inputs.missing"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("input `missing` was not supplied"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn syntax_error_exits_2_with_a_caret() {
    let o = run(&["$steps.login.token"]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("expected `.outputs.`"), "{err}");
    assert!(err.contains("1 | $steps.login.token"), "{err}");
    assert!(err.contains("  |             ^"), "{err}");
    let o = run(&["--condition", "$statusCode = 200"]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("1 | $statusCode = 200"), "{err}");
    assert!(err.contains("  |             ^"), "{err}");
    assert!(err.contains("help: use `==` to compare"), "{err}");
    let o = run(&["x {$inputs.} y"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("           ^"), "{}", stderr(&o));
}

#[test]
fn condition_prints_true_or_false() {
    let o = with_context(
        "cond-true",
        &[
            "--condition",
            "$statusCode == 404 && $inputs.customer.name == 'ann'",
        ],
    );
    assert_eq!(
        (o.status.code(), stdout(&o).as_str()),
        (Some(0), "true\n"),
        "{}",
        stderr(&o)
    );
    let o = with_context("cond-false", &["--condition", "$statusCode == 200"]);
    assert_eq!((o.status.code(), stdout(&o).as_str()), (Some(0), "false\n"));
    assert!(
        stderr(&o).contains("`$statusCode == 200`: $statusCode was 404"),
        "{}",
        stderr(&o)
    );
    // Navigation that finds nothing is null.
    let o = with_context(
        "cond-null",
        &["--condition", "$response.body#/nope == null"],
    );
    assert_eq!(stdout(&o), "true\n");
    // A non-boolean operand cannot be evaluated: false, exit 1, with the reason.
    let o = with_context("cond-error", &["--condition", "$response.body.data"]);
    assert_eq!((o.status.code(), stdout(&o).as_str()), (Some(1), "false\n"));
    assert!(stderr(&o).contains("not a boolean"), "{}", stderr(&o));
}

#[test]
fn empty_context_when_omitted() {
    let o = run(&["--condition", "$statusCode == null"]);
    assert_eq!((o.status.code(), stdout(&o).as_str()), (Some(0), "true\n"));
    let o = run(&["$statusCode"]);
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn criterion_files_of_every_type() {
    let d = dir("criteria");
    let ctx = write(&d, "ctx.json", CONTEXT);
    let ctx = ctx.to_str().unwrap();
    let cases = [
        (
            "simple.yaml",
            "condition: $statusCode == 404\n",
            "true\n",
            0,
        ),
        (
            "simple-false.yaml",
            "condition: $statusCode == 200\n",
            "false\n",
            0,
        ),
        (
            "regex.yaml",
            "context: $statusCode\ncondition: '^4\\d{2}$'\ntype: regex\n",
            "true\n",
            0,
        ),
        (
            "regex.json",
            r#"{"context": "$statusCode", "condition": "^2", "type": "regex"}"#,
            "false\n",
            0,
        ),
        (
            "jsonpath.yaml",
            "context: $response.body\ncondition: $.items[?@.name == 'Rex']\ntype: jsonpath\n",
            "true\n",
            0,
        ),
        (
            "jsonpath-goessner.yaml",
            "context: $response.body\ncondition: $.data[*]\ntype:\n  type: jsonpath\n  version: draft-goessner-dispatch-jsonpath-00\n",
            "false\n",
            0,
        ),
        (
            "jsonpath-js.yaml",
            "context: $response.body\ncondition: $.data.length > 0\ntype: jsonpath\n",
            "false\n",
            1,
        ),
        (
            "xpath.yaml",
            "context: $response.body#/xml\ncondition: /r/a = 1\ntype: xpath\n",
            "true\n",
            0,
        ),
        (
            "xpath-10.yaml",
            "context: $response.body#/xml\ncondition: count(/r/b) > 0\ntype:\n  type: xpath\n  version: xpath-10\n",
            "false\n",
            0,
        ),
        (
            "embedded.yaml",
            "context: $url\ncondition: '/pets/{$inputs.petId}$'\ntype: regex\n",
            "true\n",
            0,
        ),
    ];
    for (name, text, out, code) in cases {
        let f = write(&d, name, text);
        let o = run(&["--context", ctx, "--criterion", f.to_str().unwrap()]);
        assert_eq!(
            (o.status.code(), stdout(&o).as_str()),
            (Some(code), out),
            "{name}: {}",
            stderr(&o)
        );
    }
    // The JavaScript-style JSONPath is warned about and explained.
    let f = d.join("jsonpath-js.yaml");
    let o = run(&["--context", ctx, "--criterion", f.to_str().unwrap()]);
    assert!(
        stderr(&o).contains("warning: this criterion can never pass"),
        "{}",
        stderr(&o)
    );
    // Syntax errors: exit 2 with the location in the file and a caret.
    let f = write(
        &d,
        "bad.yaml",
        "type: simple\ncontext: $response.body\ncondition: $statusCode == \n",
    );
    let o = run(&["--context", ctx, "--criterion", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("bad.yaml:3:12"), "{}", stderr(&o));
    assert!(stderr(&o).contains('^'), "{}", stderr(&o));
    let f = write(
        &d,
        "badversion.yaml",
        "context: $response.body\ncondition: $\ntype: {type: jsonpath, version: v9}\n",
    );
    let o = run(&["--context", ctx, "--criterion", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("unknown jsonpath version `v9`"),
        "{}",
        stderr(&o)
    );
    let f = write(&d, "nocontext.yaml", "condition: ^a\ntype: regex\n");
    let o = run(&["--context", ctx, "--criterion", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("needs a `context`"), "{}", stderr(&o));
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn bad_context_files_exit_2() {
    let d = dir("badctx");
    let bad_json = write(&d, "bad.json", "{ nope");
    let o = run(&["--context", bad_json.to_str().unwrap(), "$url"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("not valid JSON"), "{}", stderr(&o));
    let bad_shape = write(&d, "shape.json", r#"{"response": {"headers": {"X": 1}}}"#);
    let o = run(&["--context", bad_shape.to_str().unwrap(), "$url"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("/response/headers/X"), "{}", stderr(&o));
    let typo = write(&d, "typo.json", r#"{"input": {}}"#);
    let o = run(&["--context", typo.to_str().unwrap(), "$url"]);
    assert_eq!(o.status.code(), Some(2));
    let o = run(&[
        "--context",
        d.join("missing.json").to_str().unwrap(),
        "$url",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn usage_errors_exit_2() {
    let o = run(&[]);
    assert_eq!(o.status.code(), Some(2));
    let o = run(&["$url", "--condition", "true"]);
    assert_eq!(o.status.code(), Some(2));
}
