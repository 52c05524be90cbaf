//! Expressions written to crash or hang `arazzo-run`, through the real binary:
//! conditions, JSONPath queries and XPath expressions nested past the limits
//! of `arazzo_expr::limits` are refused with the document's file:line:column
//! (exit 2, never a stack overflow), and criteria whose evaluation would run
//! away (a regex over a large body, a long JSONPath filter over a large
//! array) fail their step with a clear error. Every test fails on code
//! without the limits: by a crash (exit 134), or by running past the
//! generous time limit after which the process is killed.
#![allow(clippy::unwrap_used)]

mod common;
use common::{bin, text};

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use serde_json::Value;

/// How long a command may run before it counts as hung. Generous: the
/// commands take well under a second when they work.
const HANG: Duration = Duration::from_secs(60);

/// A fresh folder for this test's documents.
fn folder(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("arazzo-hostile-expr-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs the binary in `dir`; kills it (and fails) if it runs longer than
/// [`HANG`].
async fn run(dir: &Path, args: &[&str]) -> Output {
    let child = tokio::process::Command::new(bin())
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("CLICOLOR_FORCE")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    tokio::time::timeout(HANG, child.wait_with_output())
        .await
        .unwrap_or_else(|_| panic!("`arazzo-run {}` ran longer than {HANG:?}", args.join(" ")))
        .unwrap()
}

/// Asserts that the process exited by itself with `code` (a stack overflow
/// aborts with 134 or dies of a signal, a panic exits 101).
fn assert_exit(out: &Output, code: i32) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "status {:?}\nstdout: {}\nstderr: {}",
        out.status,
        text(&out.stdout).chars().take(3000).collect::<String>(),
        text(&out.stderr).chars().take(3000).collect::<String>()
    );
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
              schema: {type: object}
"#;

/// A document whose one step has `criterion` (YAML flow mapping text) as its
/// only success criterion, on line 12.
fn document(criterion: &str) -> String {
    format!(
        r#"arazzo: 1.0.1
info: {{title: hostile, version: "1"}}
sourceDescriptions:
  - {{name: api, url: ./api.openapi.yaml, type: openapi}}
workflows:
  - workflowId: w
    steps:
      - stepId: s
        operationId: get
        successCriteria:
          # the criterion under test
          - {criterion}
"#
    )
}

/// The column (1-based) at which the `n`th character of the condition
/// string of [`document`]'s criterion line starts, when the criterion is
/// written `{condition: "…", …}`.
fn condition_column(n: usize) -> usize {
    // `          - {condition: "` is 25 characters.
    25 + n + 1
}

fn write_document(dir: &Path, criterion: &str) -> PathBuf {
    std::fs::write(dir.join("api.openapi.yaml"), API).unwrap();
    let path = dir.join("doc.arazzo.yaml");
    std::fs::write(&path, document(criterion)).unwrap();
    path
}

/// A condition of 1,150 nested parentheses (a 2.7 KB document) overflowed the
/// stack of `validate`, `run` and `eval`. It is refused before it is parsed,
/// with the place of the first parenthesis over the limit.
#[tokio::test]
async fn a_deeply_nested_condition_is_refused_with_its_place() {
    let dir = folder("condition");
    let n = 1150;
    let condition = format!("{}$statusCode == 200{}", "(".repeat(n), ")".repeat(n));
    write_document(&dir, &format!("{{condition: \"{condition}\"}}"));
    let limit = arazzo_expr::limits::MAX_NESTING;
    let place = format!("doc.arazzo.yaml:12:{}", condition_column(limit));
    let message = format!("nested {n} levels deep; the limit is {limit}");

    for args in [
        &["validate", "doc.arazzo.yaml"][..],
        &["run", "doc.arazzo.yaml", "--mock"][..],
    ] {
        let out = run(&dir, args).await;
        assert_exit(&out, 2);
        let stderr = text(&out.stderr);
        assert!(stderr.contains(&message), "{args:?}: {stderr}");
        assert!(stderr.contains(&place), "{args:?}: no {place} in {stderr}");
    }

    // `eval --condition`: a caret under the parenthesis over the limit.
    let out = run(&dir, &["eval", "--condition", &condition]).await;
    assert_exit(&out, 2);
    assert!(
        text(&out.stderr).contains(&message),
        "{}",
        text(&out.stderr)
    );

    // `eval --criterion`: the criterion file's line and column.
    std::fs::write(
        dir.join("criterion.yaml"),
        format!("condition: \"{condition}\"\n"),
    )
    .unwrap();
    let out = run(&dir, &["eval", "--criterion", "criterion.yaml"]).await;
    assert_exit(&out, 2);
    let stderr = text(&out.stderr);
    assert!(stderr.contains(&message), "{stderr}");
    assert!(stderr.contains("criterion.yaml:1:12"), "{stderr}");
    std::fs::remove_dir_all(&dir).ok();
}

/// `!` and `&&` chains nest the condition's tree without parentheses (the
/// evaluator, printer and destructor recurse over it); they are counted too.
#[tokio::test]
async fn long_negation_and_conjunction_chains_are_refused() {
    let dir = folder("chains");
    for condition in [
        format!("{}true", "!".repeat(100_000)),
        vec!["true"; 100_000].join(" && "),
    ] {
        std::fs::write(
            dir.join("criterion.yaml"),
            format!("condition: \"{condition}\"\n"),
        )
        .unwrap();
        let out = run(&dir, &["eval", "--criterion", "criterion.yaml"]).await;
        assert_exit(&out, 2);
        let limit = arazzo_expr::limits::MAX_NESTING;
        assert!(
            text(&out.stderr).contains(&format!(
                "the condition is nested more than {limit} levels deep"
            )),
            "{}",
            text(&out.stderr)
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// A JSONPath filter of 4,000 nested parentheses overflowed the stack of
/// `serde_json_path`'s parser.
#[tokio::test]
async fn a_deeply_nested_jsonpath_filter_is_refused_with_its_place() {
    let dir = folder("jsonpath");
    let n = 4000;
    let query = format!("$[?{}@.a == 1{}]", "(".repeat(n), ")".repeat(n));
    write_document(
        &dir,
        &format!("{{condition: \"{query}\", context: $response.body, type: jsonpath}}"),
    );
    let out = run(&dir, &["validate", "doc.arazzo.yaml"]).await;
    assert_exit(&out, 2);
    let stderr = text(&out.stderr);
    let limit = arazzo_expr::limits::MAX_NESTING;
    // `[` is the first level, then the parentheses.
    assert!(
        stderr.contains(&format!(
            "the JSONPath query is nested {} levels deep; the limit is {limit}",
            n + 1
        )),
        "{stderr}"
    );
    // The first parenthesis over the limit is character `2 + limit` (after
    // `$[?` and `limit - 1` parentheses).
    let place = format!("doc.arazzo.yaml:12:{}", condition_column(limit + 2));
    assert!(stderr.contains(&place), "no {place} in {stderr}");
    std::fs::remove_dir_all(&dir).ok();
}

/// `xee-xpath`'s parse time doubled with each level of nesting (25 levels:
/// over a minute of CPU, while loading the document, where no timeout
/// applies). 30 levels are refused at once.
#[tokio::test]
async fn a_deeply_nested_xpath_is_refused_at_once() {
    let dir = folder("xpath");
    let n = 30;
    let query = format!("{}1{} = 1", "(".repeat(n), ")".repeat(n));
    write_document(
        &dir,
        &format!("{{condition: \"{query}\", context: $response.body, type: xpath}}"),
    );
    let out = run(&dir, &["validate", "doc.arazzo.yaml"]).await;
    assert_exit(&out, 2);
    let stderr = text(&out.stderr);
    let limit = arazzo_expr::limits::MAX_XPATH_NESTING;
    assert!(
        stderr.contains(&format!(
            "the XPath expression is nested {n} levels deep; the limit is {limit}"
        )),
        "{stderr}"
    );
    let place = format!("doc.arazzo.yaml:12:{}", condition_column(limit));
    assert!(stderr.contains(&place), "no {place} in {stderr}");

    // A flat chain of operators recursed in xee too (5,000 `+` overflowed an
    // 8 MiB stack); both its length and its operators are bounded.
    for (terms, message) in [
        (5000, "bytes long; the limit is"),
        (1500, "operators; the limit is"),
    ] {
        let chain = vec!["1"; terms].join("+");
        write_document(
            &dir,
            &format!("{{condition: \"{chain} > 0\", context: $response.body, type: xpath}}"),
        );
        let out = run(&dir, &["validate", "doc.arazzo.yaml"]).await;
        assert_exit(&out, 2);
        assert!(text(&out.stderr).contains(message), "{}", text(&out.stderr));
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// XPath constructs whose work has no bound (`sum(1 to 100000000)` took 2 GB
/// and a minute; an inline function can recurse) are refused by `validate`,
/// with their place, before anything runs.
#[tokio::test]
async fn unbounded_xpath_constructs_are_refused_with_their_place() {
    let dir = folder("xpath-unbounded");
    for (query, what, at) in [
        ("sum(1 to 100000000) > 0", "a range `to`", 4),
        (
            "count((1, 1) ! (1, 1) ! (1, 1)) = 8",
            "more than one `for` or `!` step",
            6,
        ),
        (
            "let $f := function($f) { $f($f) } return $f($f)",
            "an inline function",
            10,
        ),
    ] {
        write_document(
            &dir,
            &format!("{{condition: \"{query}\", context: $response.body, type: xpath}}"),
        );
        let out = run(&dir, &["validate", "doc.arazzo.yaml"]).await;
        assert_exit(&out, 2);
        let stderr = text(&out.stderr);
        assert!(
            stderr.contains(what) && stderr.contains("is not allowed in an XPath expression"),
            "{query}: {stderr}"
        );
        let place = format!("doc.arazzo.yaml:12:{}", condition_column(at));
        assert!(stderr.contains(&place), "{query}: no {place} in {stderr}");
    }
    // A short range between literals, and names that are keywords elsewhere,
    // are fine.
    write_document(
        &dir,
        "{condition: \"count(1 to 3) = 3 and count(/r/to) = 0 and count(/r/for) = 0\", context: $response.body, type: xpath}",
    );
    let out = run(&dir, &["validate", "doc.arazzo.yaml"]).await;
    assert_exit(&out, 0);
    std::fs::remove_dir_all(&dir).ok();
}

/// An XPath criterion whose work grows with the XML (three nested `//`
/// predicates over 2,000 elements: 8·10⁹ comparisons) ran with nothing to
/// stop it. It now fails at the XPath time limit; the next XPath criterion
/// fails at once while the abandoned one still runs; the run ends, and the
/// step's duration shows the time.
#[tokio::test]
async fn a_slow_xpath_fails_at_its_time_limit() {
    let dir = folder("xpath-slow");
    let slow = "count(//a[//a[//a = 'x']]) > 0";
    std::fs::write(dir.join("api.openapi.yaml"), API).unwrap();
    let doc = document(&format!(
        "{{condition: \"{slow}\", context: $response.body, type: xpath}}\n          - {{condition: \"count(//a) > 0\", context: $response.body, type: xpath}}"
    ));
    std::fs::write(dir.join("doc.arazzo.yaml"), doc).unwrap();
    let xml = format!("<r>{}</r>", "<a>y</a>".repeat(2000));
    let url = serve_as("application/xml", xml).await;
    let started = std::time::Instant::now();
    let step = run_step(&dir, &url).await;
    let took = started.elapsed();
    let criteria = step["criteria"].as_array().unwrap();
    assert_eq!(criteria.len(), 2, "{step:#}");
    let limit = arazzo_expr::limits::XPATH_TIME_LIMIT;
    let first = criteria[0]["reason"].as_str().unwrap();
    assert!(
        first.contains(&format!(
            "did not finish within the time limit of {} s",
            limit.as_secs_f64()
        )),
        "{first}"
    );
    let second = criteria[1]["reason"].as_str().unwrap();
    assert!(second.contains("is still running"), "{second}");
    let step_ms = step["durationMs"].as_u64().unwrap();
    assert!(step_ms >= limit.as_millis() as u64, "step: {step_ms} ms");
    assert!(took < limit * 10, "the run took {took:?}");
    std::fs::remove_dir_all(&dir).ok();
}

/// Serves `body` (JSON) on loopback to every request; returns the base URL.
async fn serve(body: String) -> String {
    serve_as("application/json", body).await
}

/// Serves `body` as `content_type` on loopback to every request; returns the
/// base URL.
async fn serve_as(content_type: &str, body: String) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let head = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    let response = std::sync::Arc::new([head.into_bytes(), body.into_bytes()].concat());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let response = response.clone();
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buf = [0u8; 4096];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let _ = socket.write_all(&response).await;
            });
        }
    });
    url
}

/// Runs `doc.arazzo.yaml` of `dir` against `url` with a JSON report; returns
/// the report of the one step.
async fn run_step(dir: &Path, url: &str) -> Value {
    let server = format!("api={url}");
    let out = run(
        dir,
        &[
            "run",
            "doc.arazzo.yaml",
            "--server",
            &server,
            "--format",
            "json",
        ],
    )
    .await;
    assert_exit(&out, 1);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    report["workflows"][0]["steps"][0].clone()
}

/// The text of a step's report, for assertions on the reason it failed.
fn reasons(step: &Value) -> String {
    step.to_string()
}

/// A regex the linear engine could only run with its PikeVM, over a 15 MB
/// body: 9 s of CPU per criterion in an optimized build, with nothing to stop
/// it. Each criterion now fails with an evaluation error instead.
#[tokio::test]
async fn a_regex_too_complex_for_a_large_body_fails_the_step() {
    // Random `a`s and `b`s (xorshift): the lazy DFA of the pattern needs a
    // new state at almost every byte, so it would thrash.
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let noise: String = (0..15_000_000)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            if seed >> 63 == 0 { 'a' } else { 'b' }
        })
        .collect();
    let url = serve(serde_json::json!({ "data": noise }).to_string()).await;
    let dir = folder("regex");
    let criterion = "{condition: \"(a|b)*a(a|b){20}c\", context: $response.body, type: regex}";
    let criteria = [criterion; 10].join("\n          - ");
    write_document(&dir, &criteria);
    let step = run_step(&dir, &url).await;
    assert_eq!(step["status"], "failed", "{step:#}");
    let reasons = reasons(&step);
    assert!(
        reasons.contains("too complex to search 15000011 bytes in bounded time"),
        "{reasons}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// A 2,000-term JSONPath filter over a 200,000-item body took 11.7 s; it now
/// fails on the work budget before it runs.
#[tokio::test]
async fn a_long_jsonpath_filter_over_a_large_body_fails_the_step() {
    let items: Vec<Value> = (0..200_000)
        .map(|i| serde_json::json!({ "id": i }))
        .collect();
    let url = serve(serde_json::json!({ "items": items }).to_string()).await;
    let dir = folder("filter");
    let terms: Vec<String> = (0..2000).map(|t| format!("@.id == {t}")).collect();
    write_document(
        &dir,
        &format!(
            "{{condition: \"$.items[?{}]\", context: $response.body, type: jsonpath}}",
            terms.join(" || ")
        ),
    );
    let step = run_step(&dir, &url).await;
    assert_eq!(step["status"], "failed", "{step:#}");
    let reasons = reasons(&step);
    assert!(
        reasons.contains(&format!(
            "would exceed the work limit of {}",
            arazzo_expr::limits::JSONPATH_WORK_LIMIT
        )),
        "{reasons}"
    );
    std::fs::remove_dir_all(&dir).ok();
}
