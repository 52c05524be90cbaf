//! A loopback HTTP server that plays a case's scripted exchanges in order.
//!
//! Each request is compared with the next expected one; a match gets the
//! scripted response, anything else is recorded as a failure (and answered
//! with 599 and an explanation, so the engine sees it).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use serde_json::Value;

use crate::case::{Exchange, RequestMatch};

/// What the server saw.
#[derive(Debug, Clone, Default)]
pub struct Transcript {
    /// Requests, in order, as `METHOD path?query`.
    pub requests: Vec<String>,
    /// Mismatches and unexpected requests.
    pub failures: Vec<String>,
    /// How many scripted exchanges were played.
    pub played: usize,
}

struct Script {
    exchanges: Vec<Exchange>,
    transcript: Transcript,
}

/// A running scripted server.
pub struct ScriptServer {
    script: Arc<Mutex<Script>>,
    server: arazzo_serve::Server,
}

impl ScriptServer {
    /// Starts serving `exchanges` on 127.0.0.1 (any free port).
    pub async fn start(exchanges: Vec<Exchange>) -> std::io::Result<ScriptServer> {
        // `repeat: n` plays an exchange n times.
        let exchanges: Vec<Exchange> = exchanges
            .into_iter()
            .flat_map(|x| std::iter::repeat_n(x.clone(), x.repeat.unwrap_or(1)))
            .collect();
        let script = Arc::new(Mutex::new(Script {
            exchanges,
            transcript: Transcript::default(),
        }));
        let s = script.clone();
        let server = arazzo_serve::Server::start(0, move |req| handle(s.clone(), req)).await?;
        Ok(ScriptServer { script, server })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// What happened so far, including exchanges the engine never performed.
    pub fn transcript(&self) -> Transcript {
        let Ok(s) = self.script.lock() else {
            return Transcript::default();
        };
        let mut t = s.transcript.clone();
        for (i, x) in s.exchanges.iter().enumerate().skip(t.played) {
            t.failures.push(format!(
                "exchange {} was never performed: expected {} {}",
                i + 1,
                x.request.method.to_ascii_uppercase(),
                x.request.path
            ));
        }
        t
    }

    /// Stops the server.
    pub async fn stop(self) {
        self.server.shutdown().await;
    }
}

async fn handle(
    script: Arc<Mutex<Script>>,
    req: hyper::Request<hyper::body::Incoming>,
) -> hyper::Response<Full<Bytes>> {
    let method = req.method().as_str().to_string();
    let path = req.uri().path().to_string();
    let query = req.uri().query().map(str::to_string);
    let headers: Vec<(String, String)> = req
        .headers()
        .iter()
        .map(|(n, v)| {
            (
                n.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let body = match req.into_body().collect().await {
        Ok(b) => b.to_bytes().to_vec(),
        Err(_) => Vec::new(),
    };
    let seen = format!(
        "{method} {path}{}",
        query
            .as_deref()
            .map(|q| format!("?{q}"))
            .unwrap_or_default()
    );
    match decide(
        &script,
        &method,
        &path,
        query.as_deref(),
        &headers,
        &body,
        seen,
    ) {
        Ok(x) => {
            if let Some(ms) = x.response.delay_ms {
                tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
            }
            respond(&x)
        }
        Err(msg) => text(599, &msg),
    }
}

/// The scripted exchange a request matches, or why it matches none (sent back as a 599).
fn decide(
    script: &Mutex<Script>,
    method: &str,
    path: &str,
    query: Option<&str>,
    headers: &[(String, String)],
    body: &[u8],
    seen: String,
) -> Result<Exchange, String> {
    let Ok(mut s) = script.lock() else {
        return Err("the script lock is poisoned".to_string());
    };
    s.transcript.requests.push(seen.clone());
    let n = s.transcript.played;
    let Some(expected) = s.exchanges.get(n).cloned() else {
        let msg = format!(
            "unexpected request {}: {seen} (the script has {} exchanges)",
            n + 1,
            s.exchanges.len()
        );
        s.transcript.failures.push(msg.clone());
        return Err(msg);
    };
    match mismatch(&expected.request, method, path, query, headers, body) {
        Some(why) => {
            let msg = format!("request {}: {seen}: {why}", n + 1);
            s.transcript.failures.push(msg.clone());
            Err(msg)
        }
        None => {
            s.transcript.played += 1;
            Ok(expected)
        }
    }
}

fn text(status: u16, msg: &str) -> hyper::Response<Full<Bytes>> {
    let mut r = hyper::Response::new(Full::new(Bytes::from(msg.to_string())));
    *r.status_mut() =
        http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/plain"),
    );
    r
}

fn respond(x: &Exchange) -> hyper::Response<Full<Bytes>> {
    let (body, ct) = match (&x.response.json, &x.response.text) {
        (Some(j), _) => (j.to_string().into_bytes(), Some("application/json")),
        (None, Some(t)) => (t.clone().into_bytes(), Some("text/plain")),
        (None, None) => (Vec::new(), None),
    };
    let mut r = hyper::Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = http::StatusCode::from_u16(x.response.status).unwrap_or(http::StatusCode::OK);
    let has_ct = x
        .response
        .headers
        .keys()
        .any(|k| k.eq_ignore_ascii_case("content-type"));
    if let (Some(ct), false) = (ct, has_ct) {
        r.headers_mut().insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static(ct),
        );
    }
    for (k, v) in &x.response.headers {
        if let (Ok(n), Ok(v)) = (
            http::HeaderName::from_bytes(k.as_bytes()),
            http::HeaderValue::from_str(v),
        ) {
            r.headers_mut().append(n, v);
        }
    }
    r
}

/// Why a request does not match, or `None`.
fn mismatch(
    m: &RequestMatch,
    method: &str,
    path: &str,
    query: Option<&str>,
    headers: &[(String, String)],
    body: &[u8],
) -> Option<String> {
    if !m.method.eq_ignore_ascii_case(method) {
        return Some(format!("expected method {}", m.method.to_ascii_uppercase()));
    }
    if m.path != path {
        return Some(format!("expected path {}", m.path));
    }
    if let Some(raw) = &m.raw_query
        && raw != query.unwrap_or("")
    {
        return Some(format!(
            "expected query `{raw}`, got `{}`",
            query.unwrap_or("")
        ));
    }
    if !m.query.is_empty() {
        let pairs: Vec<(String, String)> =
            url::form_urlencoded::parse(query.unwrap_or("").as_bytes())
                .into_owned()
                .collect();
        for (k, v) in &m.query {
            if !pairs.iter().any(|(pk, pv)| pk == k && pv == v) {
                return Some(format!("expected query parameter {k}={v}"));
            }
        }
    }
    for (k, v) in &m.headers {
        match headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(k)) {
            Some((_, got)) if got == v => {}
            Some((_, got)) => return Some(format!("header {k}: expected `{v}`, got `{got}`")),
            None => return Some(format!("expected header {k}: {v}")),
        }
    }
    for k in &m.absent_headers {
        if headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(k)) {
            return Some(format!("header {k} must not be sent"));
        }
    }
    if m.no_body && !body.is_empty() {
        return Some("expected no body".into());
    }
    if let Some(j) = &m.json {
        match serde_json::from_slice::<Value>(body) {
            Ok(v) if &v == j => {}
            Ok(v) => return Some(format!("expected JSON body {j}, got {v}")),
            Err(_) => {
                return Some(format!(
                    "expected a JSON body, got `{}`",
                    String::from_utf8_lossy(body)
                ));
            }
        }
    }
    if let Some(t) = &m.text
        && t.as_bytes() != body
    {
        return Some(format!(
            "expected body `{t}`, got `{}`",
            String::from_utf8_lossy(body)
        ));
    }
    if let Some(f) = &m.form {
        let got: BTreeMap<String, String> =
            url::form_urlencoded::parse(body).into_owned().collect();
        if &got != f {
            return Some(format!("expected form {f:?}, got {got:?}"));
        }
    }
    None
}
