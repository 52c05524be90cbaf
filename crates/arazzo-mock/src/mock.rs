//! The mock itself, without I/O: an HTTP request in, a response and a log entry out.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, OnceLock};

use arazzo_openapi::{OpenApi, Store, Version};
use bytes::Bytes;
use http::{HeaderName, HeaderValue, Method, StatusCode};
use serde_json::{Value, json};

use arazzo_expr::expect::{Expectation, Place};

use crate::conforms::conforms;
use crate::expect;
use crate::refs::Refs;
use crate::request::{self, Check, Incoming, MAX_VIOLATIONS};
use crate::respond::{self, Prefer};
use crate::router::{Routed, Router};
use crate::synth::{Direction, Synth};
use crate::validate::{self, SchemaValidator};
use crate::view::{Node, OpView};
use crate::{Exchange, MatchedOperation, MockOptions, Violation};

/// Distinct requests remembered for counting repeats; past this the count starts over.
const MAX_REMEMBERED: usize = 10_000;

/// Headers the mock never copies from a description: the server sets them itself.
const RESERVED_HEADERS: &[&str] = &[
    "content-type",
    "content-length",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "upgrade",
    "trailer",
];

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

impl Prepared {
    /// The same response with another body value (encoded alike) and notes.
    fn with(&self, value: Value, notes: Vec<String>) -> Arc<Prepared> {
        Arc::new(Prepared {
            bytes: Bytes::from(respond::encode(&value, &self.content_type)),
            content_type: self.content_type.clone(),
            value,
            notes,
        })
    }
}

/// The schema node of response `ri`, media type `mi`, with its validator cache
/// key; `None` when that media type has no schema.
fn response_schema(view: &OpView, ri: usize, mi: usize) -> Option<(&Node, String)> {
    let node = view.responses.get(ri)?.get(mi)?.as_ref()?;
    let media = view.op.responses.get(ri)?.content.get(mi)?;
    let key = format!("{}:response:{}:{}", view.op.pointer, ri, media.media_type);
    Some((node, key))
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

    fn respond(
        &self,
        parts: &http::request::Parts,
        body: &Bytes,
        exchange: &mut Exchange,
    ) -> http::Response<Bytes> {
        let method = parts.method.as_str();
        let path = parts.uri.path();
        let mut head = false;
        let mut routed = self.route(method, path);
        if let Routed::MethodNotAllowed(allowed) = &routed {
            if parts.method == Method::HEAD && allowed.iter().any(|m| m == "GET") {
                head = true;
                routed = self.route("GET", path);
            } else if parts.method == Method::OPTIONS {
                exchange
                    .notes
                    .push("OPTIONS is not documented; the allowed methods were listed".into());
                let mut r = http::Response::new(Bytes::new());
                *r.status_mut() = StatusCode::NO_CONTENT;
                if let Ok(v) = HeaderValue::from_str(&allowed.join(", ")) {
                    r.headers_mut().insert(http::header::ALLOW, v);
                }
                return r;
            }
        }
        let (op, path_params) = match routed {
            Routed::Found(op, params) => (op, params),
            Routed::MethodNotAllowed(allowed) => {
                let mut r = problem(
                    StatusCode::METHOD_NOT_ALLOWED,
                    "Method not allowed",
                    &format!(
                        "{} is not documented for {path}; documented: {}",
                        method,
                        allowed.join(", ")
                    ),
                    &[],
                );
                if let Ok(v) = HeaderValue::from_str(&allowed.join(", ")) {
                    r.headers_mut().insert(http::header::ALLOW, v);
                }
                return r;
            }
            Routed::NotFound => {
                let title = self.api.title().unwrap_or("the description").to_string();
                return problem(
                    StatusCode::NOT_FOUND,
                    "No operation matches this path",
                    &format!("{method} {path} matches no path of {title}"),
                    &[],
                );
            }
        };
        exchange.operation = self.matched(op);
        let Some(view) = self.view(op) else {
            return problem(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Operation unavailable",
                "the operation could not be read from the description",
                &[],
            );
        };

        // Validate the request.
        let incoming = Incoming {
            path_params: &path_params,
            query: parts.uri.query(),
            headers: &parts.headers,
            body,
        };
        let checker = Checker { mock: self };
        let violations = request::check_request(
            &view,
            &incoming,
            self.store.as_ref(),
            &checker,
            &mut exchange.notes,
        );
        exchange.violations = violations;
        if self.options.strict && !exchange.violations.is_empty() {
            return problem(
                StatusCode::BAD_REQUEST,
                "The request does not match the OpenAPI description",
                &format!(
                    "{} violation(s) of {}",
                    exchange.violations.len(),
                    view.op
                        .operation_id
                        .clone()
                        .unwrap_or_else(|| view.op.label())
                ),
                &exchange.violations,
            );
        }

        // Choose and write the response.
        let prefer = Prefer::from_headers(&parts.headers);
        let choice = respond::choose(&view, &prefer, &mut exchange.notes);
        let status = StatusCode::from_u16(choice.status).unwrap_or(StatusCode::OK);
        let mut response = http::Response::new(Bytes::new());
        *response.status_mut() = status;
        let Some(ri) = choice.index else {
            return response;
        };
        let Some(spec) = view.op.responses.get(ri) else {
            return response;
        };
        exchange.response = Some(spec.status.clone());
        self.add_headers(&view, ri, response.headers_mut(), &mut exchange.notes);
        let expected: Vec<Expectation> = parts
            .headers
            .get_all(arazzo_expr::expect::HEADER)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(arazzo_expr::expect::decode)
            .collect();
        for e in &expected {
            if let Place::Header(name) = &e.place
                && !name.eq_ignore_ascii_case("content-type")
                && let Ok(n) = HeaderName::from_bytes(name.as_bytes())
                && let Ok(v) = HeaderValue::from_str(&expect::header_text(&e.value))
            {
                response.headers_mut().insert(n, v);
                exchange.notes.push(format!(
                    "header {name} set to {} as the workflow expects",
                    e.value
                ));
            }
        }
        let no_body = head
            || parts.method == Method::HEAD
            || matches!(choice.status, 204 | 304)
            || (100..200).contains(&choice.status);
        if no_body || spec.content.is_empty() {
            return response;
        }
        let accept = parts
            .headers
            .get(http::header::ACCEPT)
            .and_then(|v| v.to_str().ok());
        let (mi, acceptable) = respond::negotiate(accept, &spec.content);
        let Some(mi) = mi else {
            return response;
        };
        if !acceptable {
            let offered: Vec<&str> = spec.content.iter().map(|m| m.media_type.as_str()).collect();
            if self.options.strict {
                return problem(
                    StatusCode::NOT_ACCEPTABLE,
                    "Not acceptable",
                    &format!(
                        "the response is documented as {}, which `Accept: {}` excludes",
                        offered.join(", "),
                        accept.unwrap_or("")
                    ),
                    &[],
                );
            }
            exchange.notes.push(format!(
                "`Accept: {}` matches none of the documented media types ({}); sent {}",
                accept.unwrap_or(""),
                offered.join(", "),
                offered.get(mi).copied().unwrap_or("")
            ));
        }
        let turn = self.turn(&parts.method, &parts.uri, body);
        let mut prepared = self.prepare_body(op, &view, ri, mi, prefer.example.as_deref());
        if turn > 0 && prefer.example.is_none() {
            prepared = self.advance(&view, ri, mi, prepared, turn);
        }
        if expected
            .iter()
            .any(|e| !matches!(e.place, Place::Header(_)))
        {
            prepared = self.meet(&view, ri, mi, prepared, &expected);
        }
        exchange.notes.extend(prepared.notes.iter().cloned());
        // An expected Content-Type of the same media type (parameters such as `charset`
        // aside) is sent as written; another media type would misdescribe the body.
        let content_type = expected
            .iter()
            .find_map(|e| match (&e.place, &e.value) {
                (Place::Header(n), Value::String(v))
                    if n.eq_ignore_ascii_case("content-type")
                        && arazzo_openapi::media::essence(v)
                            == arazzo_openapi::media::essence(&prepared.content_type) =>
                {
                    Some(v.clone())
                }
                _ => None,
            })
            .unwrap_or_else(|| prepared.content_type.clone());
        if let Ok(v) = HeaderValue::from_str(&content_type) {
            response.headers_mut().insert(http::header::CONTENT_TYPE, v);
        }
        *response.body_mut() = prepared.bytes.clone();
        response
    }

    fn add_headers(
        &self,
        view: &OpView,
        ri: usize,
        headers: &mut http::HeaderMap,
        notes: &mut Vec<String>,
    ) {
        let Some(spec) = view.op.responses.get(ri) else {
            return;
        };
        for (i, (name, h)) in spec.headers.iter().enumerate() {
            let lower = name.to_ascii_lowercase();
            if RESERVED_HEADERS.contains(&lower.as_str()) {
                continue;
            }
            let node = view
                .headers
                .get(ri)
                .and_then(|l| l.get(i))
                .and_then(Option::as_ref);
            let value =
                match (&h.example, node) {
                    (Some(example), _) => example.clone(),
                    (None, Some(node)) => {
                        let by_name = respond::header_by_name(name)
                            .map(Value::String)
                            .map(|v| match node_type(self.store.as_ref(), node) {
                                Some("integer" | "number") => v
                                    .as_str()
                                    .and_then(|s| s.parse::<i64>().ok())
                                    .map(Value::from)
                                    .unwrap_or(v),
                                _ => v,
                            })
                            .filter(|v| conforms(self.store.as_ref(), &node.url, &node.schema, v));
                        match by_name {
                            Some(v) => v,
                            None => Synth::new(self.store.as_ref(), Direction::Response)
                                .value_named(&node.url, &node.schema, Some(name)),
                        }
                    }
                    (None, None) => Value::String(
                        respond::header_by_name(name).unwrap_or_else(|| "string".to_string()),
                    ),
                };
            let text = respond::text_of(&value);
            match (HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_str(&text)) {
                (Ok(n), Ok(v)) => {
                    headers.append(n, v);
                }
                _ => notes.push(format!(
                    "the documented response header `{name}` could not be sent (invalid name or value `{text}`)"
                )),
            }
        }
    }

    fn prepare_body(
        &self,
        op: usize,
        view: &OpView,
        ri: usize,
        mi: usize,
        example: Option<&str>,
    ) -> Arc<Prepared> {
        let key = BodyKey {
            op,
            response: ri,
            media: mi,
            example: example.map(str::to_string),
        };
        if let Ok(m) = self.bodies.lock()
            && let Some(p) = m.get(&key)
        {
            return p.clone();
        }
        let mut notes = Vec::new();
        let media = view.op.responses.get(ri).and_then(|r| r.content.get(mi));
        let node = view
            .responses
            .get(ri)
            .and_then(|l| l.get(mi))
            .and_then(Option::as_ref);
        let (content_type, value) = match media {
            None => ("application/json".to_string(), json!({})),
            Some(m) => {
                let ct = respond::concrete_type(&m.media_type);
                let key = format!("{}:response:{}:{}", view.op.pointer, ri, m.media_type);
                let value = self.body_value(&key, m, node, example, &mut notes);
                (ct, value)
            }
        };
        let prepared = Arc::new(Prepared {
            bytes: Bytes::from(respond::encode(&value, &content_type)),
            content_type,
            value,
            notes,
        });
        if let Ok(mut m) = self.bodies.lock() {
            m.insert(key, prepared.clone());
        }
        prepared
    }

    /// How many identical requests (method, path, query and body) came before this one.
    fn turn(&self, method: &Method, uri: &http::Uri, body: &Bytes) -> usize {
        use std::hash::{Hash, Hasher};
        let mut h = std::hash::DefaultHasher::new();
        method.as_str().hash(&mut h);
        uri.path().hash(&mut h);
        uri.query().hash(&mut h);
        body.hash(&mut h);
        let key = h.finish();
        let Ok(mut seen) = self.repeats.lock() else {
            return 0;
        };
        // A bound on the memory a client sending endless distinct requests can take.
        if seen.len() >= MAX_REMEMBERED && !seen.contains_key(&key) {
            seen.clear();
        }
        let n = seen.entry(key).or_insert(0);
        let turn = *n;
        *n += 1;
        turn
    }

    /// The body of the `turn`-th repeat of a request: the first answer with every enumerated
    /// value advanced `turn` places, when that still matches the schema.
    fn advance(
        &self,
        view: &OpView,
        ri: usize,
        mi: usize,
        first: Arc<Prepared>,
        turn: usize,
    ) -> Arc<Prepared> {
        let Some((node, key)) = response_schema(view, ri, mi) else {
            return first;
        };
        let value = Synth::new(self.store.as_ref(), Direction::Response).advance(
            &node.url,
            &node.schema,
            &first.value,
            turn,
        );
        if value == first.value {
            return first;
        }
        let valid = self
            .validator(&key, node, Direction::Response)
            .is_none_or(|c| c.is_valid(&value));
        if !valid {
            return first;
        }
        first.with(value, first.notes.clone())
    }

    /// The body with each value the workflow expects set in it, one by one, each kept
    /// only if the body still matches the response schema.
    fn meet(
        &self,
        view: &OpView,
        ri: usize,
        mi: usize,
        first: Arc<Prepared>,
        expected: &[Expectation],
    ) -> Arc<Prepared> {
        let validator = response_schema(view, ri, mi)
            .and_then(|(node, key)| self.validator(&key, node, Direction::Response));
        let mut value = first.value.clone();
        let mut notes = first.notes.clone();
        for e in expected {
            let at = match &e.place {
                Place::Header(_) => continue,
                Place::Body(t) => pointer_text(t),
                Place::Filter { pointer, member } => {
                    format!(
                        "{} (filtered on {})",
                        pointer_text(pointer),
                        pointer_text(member)
                    )
                }
            };
            let mut candidate = value.clone();
            if !expect::set(&mut candidate, e) {
                notes.push(format!(
                    "the workflow expects {} at {at}, which the response body has no place for",
                    e.value
                ));
                continue;
            }
            if validator.as_ref().is_some_and(|v| !v.is_valid(&candidate)) {
                notes.push(format!(
                    "the workflow expects {} at {at}, which the response schema does not allow; it was not set",
                    e.value
                ));
                continue;
            }
            value = candidate;
        }
        if value == first.value && notes.len() == first.notes.len() {
            return first;
        }
        first.with(value, notes)
    }

    fn body_value(
        &self,
        key: &str,
        media: &arazzo_openapi::operation::MediaSpec,
        node: Option<&Node>,
        example: Option<&str>,
        notes: &mut Vec<String>,
    ) -> Value {
        if let Some(name) = example {
            if let Some((_, v)) = media.examples.iter().find(|(n, _)| n == name) {
                return v.clone();
            }
            let names: Vec<&str> = media.examples.iter().map(|(n, _)| n.as_str()).collect();
            notes.push(format!(
                "Prefer: example={name} names no example of {} (documented: {})",
                media.media_type,
                if names.is_empty() {
                    "none".to_string()
                } else {
                    names.join(", ")
                }
            ));
        }
        let documented = media
            .example
            .iter()
            .map(|v| ("example".to_string(), v))
            .chain(
                media
                    .examples
                    .iter()
                    .map(|(n, v)| (format!("example `{n}`"), v)),
            );
        let valid = |v: &Value| match node {
            None => true,
            Some(n) => self
                .validator(key, n, Direction::Response)
                .is_none_or(|c| c.is_valid(v)),
        };
        let mut rejected = Vec::new();
        for (label, v) in documented {
            if valid(v) {
                return v.clone();
            }
            rejected.push((label, v));
        }
        let synthesized = match node {
            Some(n) => {
                Synth::new(self.store.as_ref(), Direction::Response).value(&n.url, &n.schema)
            }
            None if arazzo_openapi::media::is_json(&media.media_type) => json!({}),
            None => Value::String(String::new()),
        };
        // An example that is incomplete (a required property left out) still says what its
        // values look like: laid over the synthesized body, it is used if the result is valid.
        for (label, v) in &rejected {
            if v.is_object() {
                let merged = overlay(&synthesized, v);
                if valid(&merged) {
                    notes.push(format!(
                        "the documented {label} of {} does not match its schema; its values were laid over a synthesized body",
                        media.media_type
                    ));
                    return merged;
                }
            }
        }
        for (label, _) in rejected {
            notes.push(format!(
                "the documented {label} of {} does not match its schema; it was not used",
                media.media_type
            ));
        }
        synthesized
    }
}

/// `top` laid over `base`: objects are merged key by key, anything else is `top`.
fn overlay(base: &Value, top: &Value) -> Value {
    match (base, top) {
        (Value::Object(b), Value::Object(t)) => {
            let mut out = b.clone();
            for (k, v) in t {
                let merged = match b.get(k) {
                    Some(bv) => overlay(bv, v),
                    None => v.clone(),
                };
                out.insert(k.clone(), merged);
            }
            Value::Object(out)
        }
        _ => top.clone(),
    }
}

/// The type a header schema declares, if one.
fn node_type<'a>(refs: &'a dyn Refs, node: &'a Node) -> Option<&'a str> {
    let (_, v) = crate::refs::resolve(refs, &node.url, &node.schema);
    match v.get("type")? {
        Value::String(s) => Some(s.as_str()),
        Value::Array(a) => a.iter().filter_map(Value::as_str).find(|t| *t != "null"),
        _ => None,
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

/// Tokens as a JSON pointer, for notes.
fn pointer_text(tokens: &[String]) -> String {
    if tokens.is_empty() {
        return "the whole body".to_string();
    }
    arazzo_expr::expect::pointer(tokens)
}
