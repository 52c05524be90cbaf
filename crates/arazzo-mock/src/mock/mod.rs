//! The mock itself, without I/O: an HTTP request in, a response and a log entry out.

mod answer;
mod body;

use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex, OnceLock};

use arazzo_openapi::{OpenApi, Store, Version};
use bytes::Bytes;
use http::{HeaderValue, Method, StatusCode};
use serde_json::{Value, json};

use crate::request::{Check, MAX_VIOLATIONS};
use crate::router::{Routed, Router};
use crate::synth::Direction;
use crate::validate::{self, SchemaValidator, Unusable};
use crate::view::{Node, OpView};
use crate::{Exchange, MatchedOperation, MockOptions, Violation};

/// The stack [`Mock::handle`] wants left before it answers a request: validation within the
/// depth limits (see `crate::depth`) takes up to about 800 KiB in a debug build, bundling a
/// schema within its nesting limit about 350 KiB.
const STACK_RED_ZONE: usize = 1536 * 1024;
/// The stack allocated for a request when the calling thread has less than
/// [`STACK_RED_ZONE`] left.
const GROWN_STACK: usize = 8 * 1024 * 1024;

/// A mock of one OpenAPI description: routes requests, checks them, and answers with
/// synthesized responses. [`crate::MockServer`] puts it behind a loopback HTTP server; embedders
/// that have their own transport can call [`Mock::handle`] directly.
pub struct Mock {
    api: Arc<OpenApi>,
    store: Arc<Store>,
    options: MockOptions,
    router: Router,
    base_paths: Vec<String>,
    /// OAuth 2.0 token endpoints named by the description's security schemes.
    token_endpoints: Vec<crate::oauth::TokenEndpoint>,
    views: Vec<OnceLock<Arc<OpView>>>,
    validators: Mutex<HashMap<String, Result<Arc<SchemaValidator>, Unusable>>>,
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
        let token_endpoints = crate::oauth::endpoints(&api, &store);
        Mock {
            api,
            store,
            options,
            router,
            base_paths,
            token_endpoints,
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

    /// How the mock behaves.
    pub(crate) fn options(&self) -> &MockOptions {
        &self.options
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

    fn validator(
        &self,
        key: &str,
        node: &Node,
        dir: Direction,
    ) -> Result<Arc<SchemaValidator>, Unusable> {
        if let Ok(m) = self.validators.lock()
            && let Some(v) = m.get(key)
        {
            return v.clone();
        }
        let compiled = validate::compile(self.store.as_ref(), &node.url, &node.schema, dir, true)
            .map(Arc::new);
        if let Ok(mut m) = self.validators.lock() {
            m.insert(key.to_string(), compiled.clone());
        }
        compiled
    }

    /// Answers one request (its body already read) and records the exchange.
    ///
    /// The work runs with at least 1.5 MiB of stack (an 8 MiB one is allocated when the
    /// calling thread has less left), which the mock's depth limits keep enough for any
    /// description and request. Should answering panic (a bug), the answer is a
    /// `500` and the exchange says so; the mock goes on.
    pub fn handle(&self, req: http::Request<Bytes>) -> http::Response<Bytes> {
        let method = req.method().clone();
        let uri = req.uri().clone();
        let answered = stacker::maybe_grow(STACK_RED_ZONE, GROWN_STACK, || {
            std::panic::catch_unwind(AssertUnwindSafe(|| self.handle_here(req)))
        });
        match answered {
            Ok(response) => response,
            Err(panic) => {
                let why = panic
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "unknown".to_string());
                self.record(Exchange {
                    method: clip(method.as_str(), MAX_KEPT),
                    path: clip(uri.path(), MAX_KEPT),
                    query: uri.query().map(|q| clip(q, MAX_KEPT)),
                    operation: None,
                    status: 500,
                    response: None,
                    violations: Vec::new(),
                    notes: vec![format!("the mock failed while answering (a bug): {why}")],
                });
                problem(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "The mock failed",
                    "the mock failed while answering this request; it goes on answering others",
                    &[],
                )
            }
        }
    }

    fn handle_here(&self, req: http::Request<Bytes>) -> http::Response<Bytes> {
        let (parts, body) = req.into_parts();
        let mut exchange = Exchange {
            method: clip(parts.method.as_str(), MAX_KEPT),
            path: clip(parts.uri.path(), MAX_KEPT),
            query: parts.uri.query().map(|q| clip(q, MAX_KEPT)),
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
            method: clip(method.as_str(), MAX_KEPT),
            path: clip(uri.path(), MAX_KEPT),
            query: uri.query().map(|q| clip(q, MAX_KEPT)),
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

    /// Answers a request whose body did not arrive within [`MockOptions::body_read_timeout`].
    pub(crate) fn too_slow(&self, method: &Method, uri: &http::Uri) -> http::Response<Bytes> {
        let wait = self.options.body_read_timeout;
        let mut response = problem(
            StatusCode::REQUEST_TIMEOUT,
            "Request body too slow",
            &format!("the request body did not arrive within {wait:?}"),
            &[],
        );
        // The rest of the body may still be on its way: the connection cannot be reused.
        response
            .headers_mut()
            .insert(http::header::CONNECTION, HeaderValue::from_static("close"));
        self.record(Exchange {
            method: clip(method.as_str(), MAX_KEPT),
            path: clip(uri.path(), MAX_KEPT),
            query: uri.query().map(|q| clip(q, MAX_KEPT)),
            operation: None,
            status: 408,
            response: None,
            violations: Vec::new(),
            notes: vec![format!("request body not received within {wait:?}")],
        });
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

/// Validates the parts of one request with the mock's cached validators, and keeps a note of
/// each part that could not be validated because its schema or value nests too deeply.
struct Checker<'m> {
    mock: &'m Mock,
    notes: RefCell<Vec<String>>,
}

impl Check for Checker<'_> {
    fn check(&self, key: &str, node: &Node, value: &Value, prefix: &str) -> Vec<Violation> {
        let unchecked = match self.mock.validator(key, node, Direction::Request) {
            Ok(v) => match v.violations(value, prefix, MAX_VIOLATIONS) {
                Ok(list) => return list,
                Err(why) => why,
            },
            Err(Unusable::TooDeep(why)) => why,
            Err(Unusable::Invalid(_)) => return Vec::new(),
        };
        self.notes
            .borrow_mut()
            .push(format!("{prefix} was not validated: {unchecked}"));
        Vec::new()
    }
}

/// Longest request path or query an exchange keeps, and longest value a note quotes, in
/// bytes: the log holds up to [`MockOptions::log_limit`] exchanges, and a client controls all
/// of these.
const MAX_KEPT: usize = 4096;
const MAX_QUOTED: usize = 200;

/// `text` cut to at most `max` bytes (on a character boundary), with `…` when cut.
pub(crate) fn clip(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut cut = max;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}…", &text[..cut])
}

/// A value as JSON for a note, cut to [`MAX_QUOTED`] bytes.
pub(crate) fn quote(v: &Value) -> String {
    clip(&v.to_string(), MAX_QUOTED)
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
