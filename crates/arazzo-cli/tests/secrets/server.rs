//! The loopback echo server: every request comes back in the response
//! body and headers (error bodies too), and `/oauth/token` issues tokens.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

use super::encodings::{base64_decode, pct_decode};
use super::{access_token, id_token, refresh_token};

// The echo server.

/// A request as the server read it.
pub struct Request {
    pub method: String,
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

pub struct Server {
    pub url: String,
    /// Every request, as text, for checking what the server received.
    pub seen: Arc<Mutex<Vec<String>>>,
}

impl Server {
    pub fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let log = log.clone();
                std::thread::spawn(move || serve(stream, &log));
            }
        });
        Server { url, seen }
    }

    pub fn seen(&self) -> String {
        self.seen.lock().unwrap().join("\n")
    }
}

pub fn read_request(stream: &mut TcpStream) -> Option<Request> {
    let mut reader = BufReader::new(stream);
    let mut line = Vec::new();
    reader.read_until(b'\n', &mut line).ok()?;
    let first = String::from_utf8_lossy(&line).trim_end().to_string();
    let mut parts = first.split(' ');
    let method = parts.next()?.to_string();
    let target = parts.next()?.to_string();
    let mut headers = Vec::new();
    loop {
        let mut l = Vec::new();
        reader.read_until(b'\n', &mut l).ok()?;
        let l = String::from_utf8_lossy(&l).trim_end().to_string();
        if l.is_empty() {
            break;
        }
        let (n, v) = l.split_once(':')?;
        headers.push((n.trim().to_ascii_lowercase(), v.trim().to_string()));
    }
    let len: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    reader.read_exact(&mut body).ok()?;
    Some(Request {
        method,
        target,
        headers,
        body,
    })
}

pub fn serve(mut stream: TcpStream, log: &Mutex<Vec<String>>) {
    let Some(req) = read_request(&mut stream) else {
        return;
    };
    let body_text = String::from_utf8_lossy(&req.body).into_owned();
    log.lock().unwrap().push(format!(
        "{} {}\n{}\n\n{body_text}",
        req.method,
        req.target,
        req.headers
            .iter()
            .map(|(n, v)| format!("{n}: {v}"))
            .collect::<Vec<_>>()
            .join("\n")
    ));
    let (status, content_type, body, extra) = answer(&req, &body_text);
    let mut head = format!(
        "HTTP/1.1 {status} X\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n",
        body.len()
    );
    for (n, v) in extra {
        // Echo request values into response headers where HTTP allows them.
        if v.bytes().all(|b| (0x20..0x7f).contains(&b)) {
            head.push_str(&format!("{n}: {v}\r\n"));
        }
    }
    head.push_str("\r\n");
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(&body);
}

/// The server's answer: status, content type, body and extra headers.
pub fn answer(
    req: &Request,
    body_text: &str,
) -> (u16, &'static str, Vec<u8>, Vec<(String, String)>) {
    let path = req.target.split('?').next().unwrap_or_default();
    let query = req
        .target
        .split_once('?')
        .map(|(_, q)| q)
        .unwrap_or_default();
    let pairs = |s: &str| -> BTreeMap<String, String> {
        s.split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (pct_decode(k, true), pct_decode(v, true))
            })
            .collect()
    };
    let authorization = req.header("authorization").unwrap_or_default().to_string();
    let basic = authorization
        .strip_prefix("Basic ")
        .map(|b| String::from_utf8_lossy(&base64_decode(b)).into_owned())
        .unwrap_or_default();
    let cookies: BTreeMap<String, String> = req
        .header("cookie")
        .unwrap_or_default()
        .split(';')
        .filter_map(|c| c.trim().split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let query = pairs(query);
    let form = if req
        .header("content-type")
        .is_some_and(|c| c.contains("form"))
    {
        pairs(body_text)
    } else {
        BTreeMap::new()
    };
    let extra = vec![
        ("x-echo-target".to_string(), req.target.clone()),
        ("x-echo-authorization".to_string(), authorization.clone()),
        (
            "x-echo-cookie".to_string(),
            req.header("cookie").unwrap_or_default().to_string(),
        ),
        (
            "x-echo-key".to_string(),
            req.header("x-api-key").unwrap_or_default().to_string(),
        ),
        (
            "www-authenticate".to_string(),
            format!("Basic realm=\"{basic}\""),
        ),
    ];
    if path == "/oauth/token" {
        let body = serde_json::json!({
            "access_token": access_token(),
            "token_type": "Bearer",
            "expires_in": 3600,
            "refresh_token": refresh_token(),
            "id_token": id_token(),
            "echo": {"body": body_text, "form": form, "basic": basic, "authorization": authorization},
        });
        return (
            200,
            "application/json",
            body.to_string().into_bytes(),
            extra,
        );
    }
    if path == "/big" {
        // A secret that a body logged up to 4,096 bytes (or, with
        // `at=2040`, a failed step's 2,048-byte excerpt) is cut through.
        let q = query.get("q").cloned().unwrap_or_default();
        let at = query.get("at").and_then(|a| a.parse().ok()).unwrap_or(4086);
        let body = format!("{}{q}{}", ".".repeat(at), ".".repeat(100));
        return (200, "text/plain", body.into_bytes(), Vec::new());
    }
    if path == "/evil" {
        let body = "evil\u{1b}]0;pwned\u{7}\u{1b}[2J\u{9b}31m\u{7f}\rX\u{202e}gro.live\u{1b}[8m";
        return (200, "text/plain", body.as_bytes().to_vec(), Vec::new());
    }
    // What the request carried that a credential or a secret input may be.
    let credential = [
        req.header("x-api-key").unwrap_or_default(),
        cookies
            .get("session")
            .map(String::as_str)
            .unwrap_or_default(),
        authorization.strip_prefix("Bearer ").unwrap_or_default(),
        &basic,
        query.get("api_key").map(String::as_str).unwrap_or_default(),
        query.get("q").map(String::as_str).unwrap_or_default(),
        form.get("pw").map(String::as_str).unwrap_or_default(),
    ]
    .into_iter()
    .find(|c| !c.is_empty())
    .unwrap_or_default()
    .to_string();
    let body = serde_json::json!({
        "credential": credential,
        "target": req.target,
        "method": req.method,
        "headers": req.headers.iter().map(|(n, v)| (n.clone(), serde_json::Value::from(v.clone()))).collect::<serde_json::Map<_, _>>(),
        "body": body_text,
        "query": query,
        "form": form,
        "basic": basic,
        "cookies": cookies,
    });
    let status = if req.header("x-fail").is_some() {
        401
    } else {
        200
    };
    (
        status,
        "application/json",
        body.to_string().into_bytes(),
        extra,
    )
}
