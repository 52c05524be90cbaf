//! The mock itself, without I/O: an HTTP request in, a response and a log entry out.

mod answer;
mod body;

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, OnceLock};

use arazzo_openapi::{OpenApi, Store, Version};
use bytes::Bytes;
use http::{HeaderValue, Method, StatusCode};
use serde_json::{Value, json};

use crate::request::{Check, MAX_VIOLATIONS};
use crate::router::{Routed, Router};
use crate::synth::Direction;
use crate::validate::{self, SchemaValidator};
use crate::view::{Node, OpView};
use crate::{Exchange, MatchedOperation, MockOptions, Violation};

/// A mock of one OpenAPI description: routes requests, checks them, and answers with
/// synthesized responses. [`crate::MockServer`] puts it behind a loopback HTTP server; embedders
/// that have their own transport can call [`Mock::handle`] directly.
pub struct Mock {
    api: Arc<OpenApi>,
    store: Arc<Store>,
    options: MockOptions,
    router: Router,
    base_paths: Vec<String>,
    views: Vec<OnceLock<Arc<OpView>>>,
    validators: Mutex<HashMap<String, Option<Arc<SchemaValidator>>>>,
    bodies: Mutex<HashMap<BodyKey, Arc<Prepared>>>,
    /// How often each request (method, path, query and body) was seen.
    repeats: Mutex<HashMap<u64, usize>>,
    log: Mutex<VecDeque<Exchange>>,
}

impl std::fmt::Debug for Mock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mock")
            .field("description", &self.api.url.as_str())
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct BodyKey {
    op: usize,
    response: usize,
    media: usize,
    example: Option<String>,
}

/// A response body ready to send, with what was noted while making it.
#[derive(Debug)]
struct Prepared {
    content_type: String,
    value: Value,
    bytes: Bytes,
    notes: Vec<String>,
}

impl Mock {
    /// A mock of `api`, whose `$ref`s resolve in `store`.
    pub fn new(api: Arc<OpenApi>, store: Arc<Store>, options: MockOptions) -> Mock {
        let router = Router::new(
            api.operations()
                .iter()
                .enumerate()
                .map(|(i, e)| (i, e.method.as_str(), e.path.as_str())),
        );
        let views = api.operations().iter().map(|_| OnceLock::new()).collect();
        let base_paths = base_paths(&api);
        Mock {
            api,
            store,
            options,
            router,
            base_paths,
            views,
            validators: Mutex::new(HashMap::new()),
            bodies: Mutex::new(HashMap::new()),
            repeats: Mutex::new(HashMap::new()),
            log: Mutex::new(VecDeque::new()),
        }
    }

    /// The largest request body accepted.
    pub(crate) fn max_body_bytes(&self) -> usize {
        self.options.max_body_bytes
    }

    /// The description being mocked.
    pub fn api(&self) -> &Arc<OpenApi> {
        &self.api
    }

    /// Every exchange so far (the most recent [`MockOptions::log_limit`]), oldest first.
    pub fn log(&self) -> Vec<Exchange> {
        self.log
            .lock()
            .map(|l| l.iter().cloned().collect())
            .unwrap_or_default()
    }

    fn view(&self, op: usize) -> Option<Arc<OpView>> {
        let cell = self.views.get(op)?;
        let entry = self.api.operations().get(op)?;
        Some(
            cell.get_or_init(|| Arc::new(OpView::build(&self.api, entry, &self.store)))
                .clone(),
        )
    }

    fn validator(&self, key: &str, node: &Node, dir: Direction) -> Option<Arc<SchemaValidator>> {
        if let Ok(m) = self.validators.lock()
            && let Some(v) = m.get(key)
        {
            return v.clone();
        }
        let compiled = validate::compile(self.store.as_ref(), &node.url, &node.schema, dir, true)
            .ok()
            .map(Arc::new);
        if let Ok(mut m) = self.validators.lock() {
            m.insert(key.to_string(), compiled.clone());
        }
        compiled
    }

    /// Answers one request (its body already read) and records the exchange.
    pub fn handle(&self, req: http::Request<Bytes>) -> http::Response<Bytes> {
        let (parts, body) = req.into_parts();
        let path = parts.uri.path().to_string();
        let query = parts.uri.query().map(str::to_string);
        let mut exchange = Exchange {
            method: parts.method.as_str().to_string(),
            path: path.clone(),
            query: query.clone(),
            operation: None,
            status: 0,
            response: None,
            violations: Vec::new(),
            notes: Vec::new(),
        };
        let response = self.respond(&parts, &body, &mut exchange);
        exchange.status = response.status().as_u16();
        self.record(exchange);
        response
    }

    /// Answers a request whose body was too large to read.
    pub(crate) fn too_large(&self, method: &Method, uri: &http::Uri) -> http::Response<Bytes> {
        let limit = self.options.max_body_bytes;
        let response = problem(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Request body too large",
            &format!("the mock accepts request bodies of at most {limit} bytes"),
            &[],
        );
        let mut exchange = Exchange {
            method: method.as_str().to_string(),
            path: uri.path().to_string(),
            query: uri.query().map(str::to_string),
            operation: None,
            status: 413,
            response: None,
            violations: Vec::new(),
            notes: vec![format!("request body larger than {limit} bytes")],
        };
        if let Routed::Found(op, _) = self.route(method.as_str(), uri.path()) {
            exchange.operation = self.matched(op);
        }
        self.record(exchange);
        response
    }

    fn record(&self, exchange: Exchange) {
        if let Some(cb) = &self.options.on_exchange {
            cb(&exchange);
        }
        if let Ok(mut log) = self.log.lock() {
            if self.options.log_limit == 0 {
                return;
            }
            while log.len() >= self.options.log_limit {
                log.pop_front();
            }
            log.push_back(exchange);
        }
    }

    fn matched(&self, op: usize) -> Option<MatchedOperation> {
        let e = self.api.operations().get(op)?;
        Some(MatchedOperation {
            operation_id: e.operation_id.clone(),
            method: e.method.to_ascii_uppercase(),
            path: e.path.clone(),
        })
    }

    /// Routes, also trying the path without the description's own base path (`/v1`), so the
    /// mock answers both `/pets` and `/v1/pets`.
    fn route(&self, method: &str, path: &str) -> Routed {
        let first = self.router.route(method, path);
        if !matches!(first, Routed::NotFound) {
            return first;
        }
        for base in &self.base_paths {
            if let Some(rest) = path.strip_prefix(base.as_str())
                && (rest.is_empty() || rest.starts_with('/'))
            {
                let r = self
                    .router
                    .route(method, if rest.is_empty() { "/" } else { rest });
                if !matches!(r, Routed::NotFound) {
                    return r;
                }
            }
        }
        first
    }
}

struct Checker<'m> {
    mock: &'m Mock,
}

impl Check for Checker<'_> {
    fn check(&self, key: &str, node: &Node, value: &Value, prefix: &str) -> Vec<Violation> {
        match self.mock.validator(key, node, Direction::Request) {
            Some(v) => v.violations(value, prefix, MAX_VIOLATIONS),
            None => Vec::new(),
        }
    }
}

/// An `application/problem+json` response (RFC 9457).
pub(crate) fn problem(
    status: StatusCode,
    title: &str,
    detail: &str,
    violations: &[Violation],
) -> http::Response<Bytes> {
    let mut body = json!({
        "type": "about:blank",
        "title": title,
        "status": status.as_u16(),
        "detail": detail,
    });
    if !violations.is_empty()
        && let Some(m) = body.as_object_mut()
    {
        m.insert(
            "violations".into(),
            Value::Array(
                violations
                    .iter()
                    .map(|v| json!({"path": v.path, "message": v.message}))
                    .collect(),
            ),
        );
    }
    let mut r = http::Response::new(Bytes::from(
        serde_json::to_vec_pretty(&body).unwrap_or_default(),
    ));
    *r.status_mut() = status;
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    r
}

/// The path parts of the description's own server URLs (`/v1`), longest first.
fn base_paths(api: &OpenApi) -> Vec<String> {
    let root = &api.doc.value;
    let mut out: Vec<String> = Vec::new();
    let mut add = |p: &str| {
        let p = p.trim_end_matches('/');
        if !p.is_empty() && p.starts_with('/') && !p.contains('{') && !out.iter().any(|o| o == p) {
            out.push(p.to_string());
        }
    };
    if api.version == Version::Swagger2 {
        if let Some(bp) = root.get("basePath").and_then(Value::as_str) {
            add(bp);
        }
    } else if let Some(servers) = root.get("servers").and_then(Value::as_array) {
        for s in servers {
            let Some(u) = s.get("url").and_then(Value::as_str) else {
                continue;
            };
            let path = match url::Url::parse(u) {
                Ok(parsed) => parsed.path().to_string(),
                Err(_) => {
                    // Relative (`/v1`) or templated (`https://{host}/v1`).
                    let after_scheme = u
                        .split_once("://")
                        .map_or(u, |(_, rest)| rest.find('/').map_or("", |i| &rest[i..]));
                    after_scheme.to_string()
                }
            };
            add(&percent_encoding::percent_decode_str(&path).decode_utf8_lossy());
        }
    }
    out.sort_by_key(|p| std::cmp::Reverse(p.len()));
    out
}
