//! Failures that explain themselves, through the real binary against a
//! loopback server: a failed step shows the response's status, the headers
//! that explain it and the start of its body — in pretty output, the JSON
//! report and JUnit — with a huge body cut and a secret the server echoes
//! masked; `--har` writes every exchange as a HAR 1.2 archive; the report is
//! stamped with its version, the tool, the document, the times and totals.
#![allow(clippy::unwrap_used)]

mod common;
use common::{bin, text};

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::Value;

/// The API key the run sends, which the server echoes in its error body.
const SECRET: &str = "Sup3rSecret-Key-42";
/// The size of the huge error body.
const HUGE: usize = 100_000;

const OPENAPI: &str = "openapi: 3.0.3
info: {title: t, version: '1'}
servers: [{url: 'http://127.0.0.1:9'}]
components:
  securitySchemes:
    key: {type: apiKey, in: header, name: X-Api-Key}
security: [{key: []}]
paths:
  /ok: {get: {operationId: ok, responses: {'200': {description: ok}}}}
  /fail: {get: {operationId: fail, responses: {'200': {description: ok}}}}
  /huge: {get: {operationId: huge, responses: {'200': {description: ok}}}}
  /text: {get: {operationId: text, responses: {'200': {description: ok}}}}
";

const ARAZZO: &str = "arazzo: 1.0.1
info: {title: t, version: '1'}
sourceDescriptions:
  - {name: api, url: ./api.openapi.yaml, type: openapi}
workflows:
  - workflowId: explain
    steps:
      - stepId: first
        operationId: ok
        successCriteria: [{condition: $statusCode == 200}]
      - stepId: boom
        operationId: fail
        successCriteria: [{condition: $statusCode == 200}]
      - stepId: never
        operationId: ok
  - workflowId: huge
    steps:
      - stepId: big
        operationId: huge
        successCriteria: [{condition: $statusCode == 200}]
  - workflowId: terminal
    steps:
      - stepId: evil
        operationId: text
        successCriteria: [{condition: $statusCode == 200}]
";

/// A loopback server: `/ok` answers 200; `/fail` 500 with a JSON error
/// body echoing the API key and the headers that explain it; `/huge` 500
/// with a body of [`HUGE`] bytes; `/text` 502 with text holding escape
/// sequences. It counts the requests it answers.
struct Server {
    url: String,
    requests: Arc<AtomicUsize>,
}

impl Server {
    fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(AtomicUsize::new(0));
        let count = requests.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let count = count.clone();
                std::thread::spawn(move || serve(stream, &count));
            }
        });
        Server { url, requests }
    }
}

fn serve(mut stream: TcpStream, count: &AtomicUsize) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut first = String::new();
    if reader.read_line(&mut first).is_err() {
        return;
    }
    let path = first.split(' ').nth(1).unwrap_or("/").to_string();
    let (mut key, mut len) = (String::new(), 0usize);
    loop {
        let mut l = String::new();
        if reader.read_line(&mut l).is_err() || l.trim().is_empty() {
            break;
        }
        if let Some((n, v)) = l.trim_end().split_once(':') {
            match n.trim().to_ascii_lowercase().as_str() {
                "x-api-key" => key = v.trim().to_string(),
                "content-length" => len = v.trim().parse().unwrap_or(0),
                _ => {}
            }
        }
    }
    let mut body = vec![0; len];
    let _ = reader.read_exact(&mut body);
    count.fetch_add(1, Ordering::SeqCst);
    let (status, headers, body): (&str, Vec<&str>, String) = match path.as_str() {
        "/ok" => (
            "200 OK",
            vec!["content-type: application/json"],
            "{\"ok\":true}".into(),
        ),
        "/fail" => (
            "500 Internal Server Error",
            vec![
                "content-type: application/json",
                "www-authenticate: Bearer realm=\"api\", error=\"invalid_token\"",
                "retry-after: 30",
                "x-internal-trace: not-explaining",
            ],
            serde_json::json!({
                "error": "invalid_token",
                "message": format!("the key {key} was revoked"),
            })
            .to_string(),
        ),
        "/huge" => (
            "500 Internal Server Error",
            vec!["content-type: application/json"],
            format!("{{\"pad\":\"{}\"}}", "x".repeat(HUGE - 10)),
        ),
        _ => (
            "502 Bad Gateway",
            vec!["content-type: text/plain"],
            "upstream \u{1b}[2Jdown\r\u{1b}]0;title\u{7} for good".into(),
        ),
    };
    let mut head = format!("HTTP/1.1 {status}\r\n");
    for h in headers {
        head.push_str(&format!("{h}\r\n"));
    }
    head.push_str(&format!(
        "content-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    ));
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(body.as_bytes());
}

/// A fresh directory with the documents, for one test.
fn workdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "arazzo-failure-detail-{name}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("api.openapi.yaml"), OPENAPI).unwrap();
    std::fs::write(dir.join("flow.arazzo.yaml"), ARAZZO).unwrap();
    dir
}

/// Runs the document in `dir` against `server` with `extra` flags.
fn run(dir: &Path, server: &Server, extra: &[&str]) -> Output {
    let doc = dir.join("flow.arazzo.yaml").display().to_string();
    let auth = format!("key={SECRET}");
    let target = format!("api={}", server.url);
    let mut args = vec!["run", &doc, "--server", &target, "--auth", &auth];
    args.extend(extra);
    Command::new(bin())
        .args(&args)
        .env("NO_COLOR", "1")
        .env_remove("CLICOLOR_FORCE")
        .output()
        .unwrap()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap()
}

/// The step `id` of workflow `wf` in a report.
fn step<'a>(report: &'a Value, wf: &str, id: &str) -> &'a Value {
    report["workflows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["workflowId"] == wf)
        .and_then(|w| {
            w["steps"]
                .as_array()
                .unwrap()
                .iter()
                .find(|s| s["stepId"] == id)
        })
        .unwrap_or_else(|| panic!("no step {wf}.{id} in {report}"))
}

#[test]
fn a_failed_step_shows_status_headers_and_body_in_every_output() {
    let dir = workdir("explain");
    let server = Server::start();
    let (report, junit) = (dir.join("report.json"), dir.join("junit.xml"));
    let out = run(
        &dir,
        &server,
        &[
            "--workflow",
            "explain",
            "--report",
            report.to_str().unwrap(),
            "--junit",
            junit.to_str().unwrap(),
        ],
    );
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}{}", text(&out.stderr));

    // Pretty: the status with its phrase, the explaining headers (not the
    // others), the body pretty-printed, the echoed key masked.
    assert!(stdout.contains("← 500 Internal Server Error"), "{stdout}");
    assert!(
        stdout.contains("www-authenticate: Bearer realm=\"api\", error=\"invalid_token\""),
        "{stdout}"
    );
    assert!(stdout.contains("retry-after: 30"), "{stdout}");
    assert!(
        stdout.contains("content-type: application/json"),
        "{stdout}"
    );
    assert!(!stdout.contains("x-internal-trace"), "{stdout}");
    assert!(stdout.contains("\"error\": \"invalid_token\""), "{stdout}");
    assert!(stdout.contains("the key **** was revoked"), "{stdout}");

    // The JSON report.
    let r: Value = serde_json::from_str(&read(&report)).unwrap();
    assert_eq!(common::report_schema_errors(&r), Vec::<String>::new());
    let boom = step(&r, "explain", "boom");
    assert_eq!(boom["statusCode"], 500);
    let resp = &boom["response"];
    let names: Vec<&str> = resp["headers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h[0].as_str().unwrap())
        .collect();
    assert_eq!(names, ["content-type", "www-authenticate", "retry-after"]);
    assert_eq!(
        resp["headers"][1][1],
        "Bearer realm=\"api\", error=\"invalid_token\""
    );
    let body: Value = serde_json::from_str(resp["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["error"], "invalid_token");
    assert_eq!(body["message"], "the key **** was revoked");
    assert_eq!(resp["truncated"], false);
    assert!(resp["bodySize"].as_u64().unwrap() > 50, "{resp}");
    // A step that succeeded keeps no response.
    assert!(step(&r, "explain", "first").get("response").is_none());

    // JUnit: in the failure's text.
    let xml = read(&junit);
    assert!(
        xml.contains("www-authenticate: Bearer realm=&quot;api&quot;"),
        "{xml}"
    );
    assert!(
        xml.contains("&quot;error&quot;:&quot;invalid_token&quot;"),
        "{xml}"
    );
    assert!(xml.contains("the key **** was revoked"), "{xml}");
    assert!(xml.contains("→ 500"), "{xml}");

    for (name, t) in [
        ("stdout", stdout.as_str()),
        ("stderr", &text(&out.stderr)),
        ("report", &read(&report)),
        ("junit", &xml),
    ] {
        assert!(!t.contains(SECRET), "{name} leaks the key: {t}");
        assert!(!t.contains("Sup3rSec"), "{name} leaks part of the key: {t}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_huge_body_is_cut_and_server_text_cannot_drive_the_terminal() {
    let dir = workdir("huge");
    let server = Server::start();
    let (report, junit) = (dir.join("report.json"), dir.join("junit.xml"));
    let out = run(
        &dir,
        &server,
        &[
            "--workflow",
            "huge",
            "--workflow",
            "terminal",
            "--report",
            report.to_str().unwrap(),
            "--junit",
            junit.to_str().unwrap(),
        ],
    );
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}{}", text(&out.stderr));
    let r: Value = serde_json::from_str(&read(&report)).unwrap();
    let resp = &step(&r, "huge", "big")["response"];
    let body = resp["body"].as_str().unwrap();
    assert_eq!(resp["truncated"], true);
    assert_eq!(resp["bodySize"], HUGE);
    assert_eq!(body.len(), 2048 + '…'.len_utf8(), "{body}");
    assert!(body.starts_with("{\"pad\":\"xxx") && body.ends_with("x…"));
    let shown = format!("(the first 2048 of {HUGE} bytes)");
    assert!(stdout.contains(&shown), "{stdout}");
    assert!(
        stdout.len() < 20_000,
        "the body is not cut: {}",
        stdout.len()
    );
    let xml = read(&junit);
    assert!(xml.contains(&shown), "{xml}");
    assert!(xml.len() < 20_000, "{}", xml.len());

    // Text bodies: escape sequences shown visibly, never sent raw.
    assert!(stdout.contains("← 502 Bad Gateway"), "{stdout}");
    assert!(stdout.contains("upstream \\u{1b}[2Jdown"), "{stdout}");
    for c in ['\u{1b}', '\r', '\u{7}'] {
        assert!(!stdout.contains(c), "stdout holds {c:?}");
        assert!(!xml.contains(c), "junit holds {c:?}");
    }
    let terminal = &step(&r, "terminal", "evil")["response"];
    assert_eq!(terminal["headers"][0][1], "text/plain");
    assert!(terminal["body"].as_str().unwrap().contains("\u{1b}[2J"));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn har_holds_every_exchange_in_the_har_1_2_shape_with_secrets_masked() {
    let dir = workdir("har");
    let server = Server::start();
    let har = dir.join("run.har");
    let out = run(&dir, &server, &["--har", har.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let raw = read(&har);
    assert!(!raw.contains(SECRET) && !raw.contains("Sup3rSec"), "{raw}");
    let v: Value = serde_json::from_str(&raw).unwrap();
    let log = &v["log"];
    assert_eq!(log["version"], "1.2");
    assert_eq!(log["creator"]["name"], "arazzo-run");
    assert_eq!(log["creator"]["version"], env!("CARGO_PKG_VERSION"));
    let entries = log["entries"].as_array().unwrap();
    // first, boom, big, evil: one entry per request the server answered.
    assert_eq!(entries.len(), 4);
    assert_eq!(entries.len(), server.requests.load(Ordering::SeqCst));
    for e in entries {
        let started = e["startedDateTime"].as_str().unwrap();
        assert!(is_rfc3339_utc(started), "{started}");
        assert!(e["time"].as_f64().unwrap() >= 0.0);
        assert!(e["cache"].is_object());
        for t in ["send", "wait", "receive"] {
            assert!(e["timings"][t].as_f64().unwrap() >= 0.0, "{e}");
        }
        let req = &e["request"];
        assert_eq!(req["method"], "GET");
        assert!(req["url"].as_str().unwrap().starts_with(&server.url));
        for k in ["httpVersion", "headersSize", "bodySize"] {
            assert!(!req[k].is_null(), "request.{k}: {req}");
        }
        for k in ["headers", "queryString", "cookies"] {
            assert!(req[k].is_array(), "request.{k}: {req}");
        }
        let key = req["headers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| {
                h["name"]
                    .as_str()
                    .unwrap()
                    .eq_ignore_ascii_case("x-api-key")
            })
            .unwrap();
        assert_eq!(key["value"], "****");
        let resp = &e["response"];
        assert!(resp["status"].as_u64().unwrap() >= 200);
        for k in ["statusText", "httpVersion", "redirectURL"] {
            assert!(resp[k].is_string(), "response.{k}: {resp}");
        }
        for k in ["headersSize", "bodySize"] {
            assert!(resp[k].is_i64() || resp[k].is_u64(), "response.{k}: {resp}");
        }
        assert!(resp["headers"].is_array() && resp["cookies"].is_array());
        assert!(resp["content"]["size"].is_u64(), "{resp}");
        assert!(resp["content"]["mimeType"].is_string(), "{resp}");
    }
    let boom = &entries[1]["response"];
    assert_eq!(boom["status"], 500);
    assert_eq!(boom["statusText"], "Internal Server Error");
    let body = boom["content"]["text"].as_str().unwrap();
    assert!(body.contains("the key **** was revoked"), "{body}");
    // The huge body is cut at the logged-body cap (4,096 bytes).
    let big = &entries[2]["response"]["content"];
    assert_eq!(big["size"], HUGE);
    let text = big["text"].as_str().unwrap();
    assert!(text.len() < 4200, "{}", text.len());
    assert!(text.ends_with(&format!("… ({HUGE} bytes in all)")));
    std::fs::remove_dir_all(&dir).ok();
}

/// `YYYY-MM-DDTHH:MM:SS(.fff)Z`.
fn is_rfc3339_utc(s: &str) -> bool {
    let b = s.as_bytes();
    s.len() >= 20
        && s.ends_with('Z')
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':'
        && s[..4].chars().all(|c| c.is_ascii_digit())
}

#[test]
fn the_report_names_its_version_tool_document_times_and_totals() {
    let dir = workdir("stamp");
    let server = Server::start();
    let before = std::time::SystemTime::now();
    let out = run(&dir, &server, &["--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(common::report_schema_errors(&r), Vec::<String>::new());
    assert_eq!(r["reportVersion"], 2);
    assert_eq!(r["tool"]["name"], "arazzo-run");
    assert_eq!(r["tool"]["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(
        r["file"],
        dir.join("flow.arazzo.yaml").display().to_string()
    );
    let (start, end) = (
        r["startedAt"].as_str().unwrap(),
        r["endedAt"].as_str().unwrap(),
    );
    assert!(
        is_rfc3339_utc(start) && is_rfc3339_utc(end),
        "{start} {end}"
    );
    // Same format and width: text order is time order.
    assert!(start <= end, "{start} > {end}");
    let year = before
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        / 31_556_952
        + 1970;
    assert!(start.starts_with(&year.to_string()) || start.starts_with(&(year + 1).to_string()));
    // explain: first ✓, boom ✗, never skipped; huge: big ✗; terminal: evil ✗.
    assert_eq!(
        r["totals"],
        serde_json::json!({
            "workflows": {"succeeded": 0, "failed": 3, "skipped": 0},
            "steps": {"succeeded": 1, "failed": 3, "skipped": 1}
        })
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_request_without_response_is_a_har_entry_with_status_0_and_the_error() {
    let dir = workdir("refused");
    // A port nothing listens on: bound, then closed.
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let server = Server {
        url,
        requests: Arc::default(),
    };
    let (har, report) = (dir.join("run.har"), dir.join("report.json"));
    let out = run(
        &dir,
        &server,
        &[
            "--workflow",
            "explain",
            "--har",
            har.to_str().unwrap(),
            "--report",
            report.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let v: Value = serde_json::from_str(&read(&har)).unwrap();
    let entries = v["log"]["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{v}");
    assert_eq!(entries[0]["response"]["status"], 0);
    assert_eq!(entries[0]["_stepId"], "first");
    assert!(!entries[0]["comment"].as_str().unwrap().is_empty(), "{v}");
    // No response, no response detail.
    let r: Value = serde_json::from_str(&read(&report)).unwrap();
    assert!(step(&r, "explain", "first").get("response").is_none());
    std::fs::remove_dir_all(&dir).ok();
}
