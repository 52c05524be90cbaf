//! Hostile descriptions, requests and clients against the real binary's mock (`arazzo-run mock`
//! and `run --mock`): the server answers, survives and lets go of clients that stall; an offline
//! run reaches the token endpoint of an OAuth 2.0 scheme. Every read has a timeout and every
//! loop a bound, so a regression fails a test instead of hanging it.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_arazzo-run");

/// How long any one read waits: far longer than any answer takes, far shorter than a hang.
const READ_TIMEOUT: Duration = Duration::from_secs(20);

/// A fresh directory for one test's files.
fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("arazzo-hostile-mock-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn write(dir: &std::path::Path, file: &str, text: &str) -> PathBuf {
    let p = dir.join(file);
    std::fs::write(&p, text).unwrap();
    p
}

/// `s0: {allOf: [$ref: s1]}` … 8,000 references deep, taken by the body of `POST /things`.
fn deep_chain_description() -> String {
    let n = 8_000;
    let mut schemas = Map::new();
    for i in 0..n {
        schemas.insert(
            format!("s{i}"),
            json!({"allOf": [{"$ref": format!("#/components/schemas/s{}", i + 1)}]}),
        );
    }
    schemas.insert(format!("s{n}"), json!({"type": "object"}));
    json!({"openapi": "3.1.0", "info": {"title": "Deep", "version": "1"},
        "servers": [{"url": "https://api.example.com"}],
        "paths": {"/things": {"post": {"operationId": "createThing",
            "requestBody": {"required": true, "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/s0"}}}},
            "responses": {"200": {"description": "ok", "content": {"application/json": {
                "schema": {"type": "object", "properties": {"status": {"type": "string"}}}}}}}}}},
        "components": {"schemas": schemas}})
    .to_string()
}

/// A running `arazzo-run mock`, killed when dropped.
struct Mock {
    child: Child,
    port: u16,
}

impl Drop for Mock {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Mock {
    /// Serves `description` on a free port, read from the banner.
    fn start(description: &std::path::Path) -> Mock {
        let mut child = Command::new(BIN)
            .args(["mock", description.to_str().unwrap(), "--port", "0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut banner = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut banner)
            .unwrap();
        let port = banner
            .trim_end()
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("no address in the banner: {banner:?}"));
        Mock { child, port }
    }

    fn connect(&self) -> TcpStream {
        let s = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        s.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
        s
    }

    /// Sends one request (closing the connection after it) and reads the whole answer: the
    /// status, the head and the body.
    fn send(&self, method: &str, path: &str, headers: &str, body: &str) -> (u16, String, Vec<u8>) {
        let mut s = self.connect();
        write!(
            s,
            "{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n{headers}\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut raw = Vec::new();
        s.read_to_end(&mut raw).unwrap();
        let end = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .unwrap_or_else(|| panic!("no response head in {:?}", String::from_utf8_lossy(&raw)))
            + 4;
        let head = String::from_utf8_lossy(&raw[..end]).into_owned();
        let status = head.split(' ').nth(1).unwrap().parse().unwrap();
        (status, head, raw[end..].to_vec())
    }

    /// Whether the process is still running.
    fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

/// The value of header `name` in a response head, if present.
fn header<'h>(head: &'h str, name: &str) -> Option<&'h str> {
    head.lines().find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

#[test]
fn a_body_checked_against_an_8000_deep_reference_chain_does_not_kill_the_mock() {
    let d = dir("deep");
    let file = write(&d, "openapi.json", &deep_chain_description());
    let mut mock = Mock::start(&file);
    for _ in 0..2 {
        let (status, _, body) = mock.send("POST", "/things", "", "{}");
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    }
    assert!(mock.alive(), "the mock died");
    // Another operation-free request is answered too.
    let (status, _, _) = mock.send("GET", "/nowhere", "", "");
    assert_eq!(status, 404);
}

#[test]
fn run_mock_survives_an_8000_deep_reference_chain() {
    let d = dir("deep-run");
    write(&d, "openapi.json", &deep_chain_description());
    let arazzo = write(
        &d,
        "flow.arazzo.yaml",
        r#"arazzo: 1.0.1
info: {title: Deep, version: "1"}
sourceDescriptions:
  - {name: api, url: ./openapi.json, type: openapi}
workflows:
  - workflowId: main
    steps:
      - stepId: create
        operationId: createThing
        requestBody:
          contentType: application/json
          payload: {name: x}
        successCriteria:
          - condition: $statusCode == 200
"#,
    );
    let out = run(&[arazzo.to_str().unwrap(), "--mock", "-v"]);
    assert_eq!(out.status.code(), Some(0), "{}", both(&out));
    // The run says which schema went unchecked, and where.
    assert!(both(&out).contains("not validated"), "{}", both(&out));
}

fn run(args: &[&str]) -> Output {
    Command::new(BIN)
        .arg("run")
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("CLICOLOR_FORCE")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn both(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn small_description() -> String {
    json!({"openapi": "3.1.0", "info": {"title": "Small", "version": "1"},
        "paths": {"/things": {"post": {"operationId": "createThing",
            "responses": {"200": {"description": "ok", "content": {"application/json": {
                "schema": {"type": "object", "properties": {"status": {"type": "string"}}}}}}}}}}})
    .to_string()
}

#[test]
fn an_arazzo_expect_pointer_of_20000_segments_gets_a_small_400() {
    let d = dir("pointer");
    let file = write(&d, "openapi.json", &small_description());
    let mut mock = Mock::start(&file);
    let expect = json!([{"body": "/a".repeat(20_000), "value": 1}]).to_string();
    let started = Instant::now();
    let (status, _, body) = mock.send(
        "POST",
        "/things",
        &format!("Arazzo-Expect: {expect}\r\n"),
        "{}",
    );
    let took = started.elapsed();
    eprintln!(
        "20,000-segment pointer: status {status}, {} bytes, {took:?}",
        body.len()
    );
    assert_eq!(status, 400);
    assert!(body.len() < 1024, "{} bytes", body.len());
    let problem: Value = serde_json::from_slice(&body).unwrap();
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("20000 segments"),
        "{problem}"
    );
    assert!(mock.alive());
}

#[test]
fn expectations_cannot_frame_the_response_and_1xx_is_never_sent() {
    let d = dir("framing");
    let file = write(&d, "openapi.json", &small_description());
    let mock = Mock::start(&file);
    let expect = json!([
        {"header": "Content-Length", "value": "999999"},
        {"header": "Transfer-Encoding", "value": "chunked"},
        {"header": "Connection", "value": "keep-alive"},
        {"header": "Upgrade", "value": "h2c"},
        {"body": "/status", "value": "done"}
    ])
    .to_string();
    let (status, head, body) = mock.send(
        "POST",
        "/things",
        &format!("Arazzo-Expect: {expect}\r\n"),
        "{}",
    );
    assert_eq!(status, 200, "{head}");
    assert!(header(&head, "transfer-encoding").is_none(), "{head}");
    assert!(header(&head, "upgrade").is_none(), "{head}");
    let length: usize = header(&head, "content-length").unwrap().parse().unwrap();
    assert_eq!(length, body.len(), "{head}");
    let answer: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(answer["status"], "done");
    for code in ["101", "100", "103"] {
        let (status, head, _) =
            mock.send("POST", "/things", &format!("Prefer: code={code}\r\n"), "{}");
        assert_eq!(status, 200, "Prefer: code={code}: {head}");
    }
}

#[test]
fn a_connection_that_sends_nothing_is_closed_after_the_header_timeout() {
    let d = dir("silent");
    let file = write(&d, "openapi.json", &small_description());
    let mut mock = Mock::start(&file);
    let mut silent = mock.connect();
    let mut partial = mock.connect();
    partial
        .write_all(b"POST /things HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    let started = Instant::now();
    let mut byte = [0u8; 1];
    // End of file (or a reset) within the read timeout: the server let go. A read that times
    // out means it did not.
    let read = silent.read(&mut byte);
    let took = started.elapsed();
    eprintln!("a connection that sends nothing was closed after {took:?}");
    match read {
        Ok(n) => assert_eq!(n, 0, "the server sent something to a silent client"),
        Err(e) => assert!(
            !matches!(
                e.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ),
            "still open after {took:?}"
        ),
    }
    assert!(took < READ_TIMEOUT, "still open after {took:?}");
    // A request head that never ends gets an error or is closed, but not waited on forever.
    let mut rest = Vec::new();
    let _ = partial.read_to_end(&mut rest);
    assert!(started.elapsed() < READ_TIMEOUT);
    // The server goes on.
    let (status, _, _) = mock.send("POST", "/things", "", "{}");
    assert_eq!(status, 200);
    assert!(mock.alive());
}

#[test]
fn run_mock_obtains_oauth2_tokens_from_the_mock() {
    // The token URL on another host (the usual case: an authorization server) and on the API's
    // own host: both are answered by the mock, where the engine's token request is sent.
    for (name, token_url) in [
        ("other-host", "https://auth.example.com/oauth2/token"),
        ("same-host", "https://api.example.com/oauth/token"),
    ] {
        let d = dir(&format!("oauth-{name}"));
        let description = json!({"openapi": "3.1.0", "info": {"title": "Accounts", "version": "1"},
            "servers": [{"url": "https://api.example.com"}],
            "security": [{"oauth": ["accounts"]}],
            "paths": {"/accounts": {"get": {"operationId": "listAccounts",
                "responses": {"200": {"description": "accounts", "content": {"application/json": {
                    "schema": {"type": "array", "items": {"type": "object"}}}}}}}}},
            "components": {"securitySchemes": {"oauth": {"type": "oauth2", "flows": {
                "clientCredentials": {"tokenUrl": token_url, "scopes": {"accounts": "read"}}}}}}});
        write(&d, "openapi.json", &description.to_string());
        let arazzo = write(
            &d,
            "flow.arazzo.yaml",
            r#"arazzo: 1.0.1
info: {title: OAuth, version: "1"}
sourceDescriptions:
  - {name: accounts, url: ./openapi.json, type: openapi}
workflows:
  - workflowId: main
    steps:
      - stepId: list
        operationId: listAccounts
        successCriteria:
          - condition: $statusCode == 200
"#,
        );
        let out = run(&[
            arazzo.to_str().unwrap(),
            "--mock",
            "--auth",
            "oauth.client_id=app",
            "--auth",
            "oauth.client_secret=s3cret",
            "--format",
            "json",
        ]);
        assert_eq!(out.status.code(), Some(0), "{name}: {}", both(&out));
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(
            report["workflows"][0]["status"], "succeeded",
            "{name}: {report}"
        );
        assert!(
            !both(&out).contains("s3cret"),
            "{name}: the client secret leaked"
        );
    }
}
