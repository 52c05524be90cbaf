//! Black-box tests of `arazzo-run mock`: the real binary serving a description from a temp file,
//! spoken to over loopback HTTP.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_arazzo-run");

const DESCRIPTION: &str = r#"openapi: 3.1.0
info: { title: Tiny Shop, version: "1" }
paths:
  /orders/{orderId}:
    get:
      operationId: getOrder
      parameters:
        - { name: orderId, in: path, required: true, schema: { type: integer, minimum: 1 } }
      responses:
        "200":
          description: An order
          content:
            application/json:
              schema:
                type: object
                required: [id, status, total]
                properties:
                  id: { type: string, pattern: "^ord_[a-z0-9]{8}$" }
                  status: { enum: [open, paid] }
                  total: { type: number, minimum: 0, multipleOf: 0.01 }
        "404": { description: Not found }
"#;

fn write_description(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("arazzo-mock-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("openapi.yaml");
    std::fs::write(&p, text).unwrap();
    p
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A minimal HTTP/1.1 exchange: the status code and the body.
fn get(port: u16, path: &str, headers: &str) -> (u16, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n{headers}\r\n"
    )
    .unwrap();
    let mut raw = String::new();
    s.read_to_string(&mut raw).unwrap();
    let status = raw.split(' ').nth(1).unwrap().parse().unwrap();
    let body = raw
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn serves_logs_and_stops() {
    let file = write_description("serve", DESCRIPTION);
    let port = free_port();
    let child = Command::new(BIN)
        .args(["mock", file.to_str().unwrap(), "--port", &port.to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut server = Server(child);
    let mut banner = String::new();
    BufReader::new(server.0.stdout.take().unwrap())
        .read_line(&mut banner)
        .unwrap();
    assert_eq!(
        banner.trim_end(),
        format!("Mock server for Tiny Shop listening on http://127.0.0.1:{port}")
    );

    let (status, body) = get(port, "/orders/7", "");
    assert_eq!(status, 200);
    let order: serde_json::Value = serde_json::from_str(&body).unwrap();
    let id = order["id"].as_str().unwrap();
    assert!(id.starts_with("ord_") && id.len() == 12, "{order}");
    assert_eq!(order["status"], "open");
    assert!(order["total"].as_f64().unwrap() >= 0.0);

    let (status, _) = get(port, "/orders/zero", "Prefer: code=404\r\n");
    assert_eq!(status, 404);
    let (status, _) = get(port, "/customers", "");
    assert_eq!(status, 404);

    let _ = server.0.kill();
    let _ = server.0.wait();
    let mut log = String::new();
    server
        .0
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    let lines: Vec<&str> = log.lines().collect();
    assert!(lines.contains(&"GET /orders/7 → 200 (getOrder)"), "{log}");
    assert!(
        lines.iter().any(|l| l.starts_with(
            "GET /orders/zero → 404 (getOrder) [1 violation: $.path.orderId: \"zero\" is not of type \"integer\""
        )),
        "{log}"
    );
    assert!(
        lines.contains(&"GET /customers → 404 (no operation)"),
        "{log}"
    );
}

#[test]
fn strict_mode_answers_400() {
    let file = write_description("strict", DESCRIPTION);
    let port = free_port();
    let child = Command::new(BIN)
        .args([
            "mock",
            file.to_str().unwrap(),
            "--port",
            &port.to_string(),
            "--strict",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut server = Server(child);
    let mut banner = String::new();
    BufReader::new(server.0.stdout.take().unwrap())
        .read_line(&mut banner)
        .unwrap();
    let (status, body) = get(port, "/orders/0", "");
    assert_eq!(status, 400);
    assert!(body.contains("$.path.orderId"), "{body}");
}

#[test]
fn unreadable_description_exits_2() {
    let file = write_description("bad", "openapi: [unclosed\n");
    let out = Command::new(BIN)
        .args(["mock", file.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(!out.stderr.is_empty());
    let out = Command::new(BIN)
        .args(["mock", "/nonexistent/openapi.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("openapi.yaml"), "{stderr}");
}
