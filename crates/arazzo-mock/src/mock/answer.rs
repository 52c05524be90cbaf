//! Answering a routed request: check it against its operation, choose the documented
//! response, write its headers (and the ones the workflow expects) and its body.

use arazzo_expr::expect::{Expectation, Place};
use bytes::Bytes;
use http::{HeaderName, HeaderValue, Method, StatusCode};
use serde_json::Value;

use super::{Checker, Mock, problem};
use crate::Exchange;
use crate::conforms::conforms;
use crate::expect;
use crate::refs::Refs;
use crate::request::{self, Incoming};
use crate::respond::{self, Prefer};
use crate::router::Routed;
use crate::synth::{Direction, Synth};
use crate::view::{Node, OpView};

/// Headers the mock never takes from a description or an `Arazzo-Expect` header: the server
/// sets them itself. `Content-Type` describes the body the mock writes; the others frame the
/// message or the connection (RFC 9110 §7.6.1), and a wrong one leaves a client waiting for
/// bytes that never come (`Content-Length: 999999`), reading a body as chunks that is not
/// (`Transfer-Encoding: chunked`), or switching protocols (`Upgrade`).
pub(crate) const SERVER_OWNED_HEADERS: &[&str] = &[
    "content-type",
    "content-length",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "upgrade",
    "trailer",
    "te",
    "proxy-connection",
    "proxy-authenticate",
];

/// Most expectations one request may carry in `Arazzo-Expect`; each costs a copy and a
/// validation of the whole body.
pub(crate) const MAX_EXPECTATIONS: usize = 64;
/// Most JSON pointer segments of one expectation (its `body` and `member` together): each
/// missing segment becomes a nested object, so a 20,000-segment pointer would make a body of
/// hundreds of megabytes once indented.
pub(crate) const MAX_POINTER_SEGMENTS: usize = 32;
/// Most bytes of `Arazzo-Expect` header values one request may carry.
pub(crate) const MAX_EXPECT_BYTES: usize = 64 * 1024;

impl Mock {
    pub(super) fn respond(
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
        // An OAuth 2.0 token endpoint the description does not document as an operation.
        if !matches!(routed, Routed::Found(..))
            && parts.method == Method::POST
            && let Some(endpoint) =
                crate::oauth::find(&self.token_endpoints, &self.base_paths, path)
        {
            let (response, note) = crate::oauth::answer(endpoint, &parts.headers, body);
            exchange.notes.push(note);
            return response;
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
        let checker = Checker {
            mock: self,
            notes: Default::default(),
        };
        let violations = request::check_request(
            &view,
            &incoming,
            self.store.as_ref(),
            &checker,
            &mut exchange.notes,
        );
        exchange.notes.extend(checker.notes.into_inner());
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

        let expected = match expectations(&parts.headers) {
            Ok(e) => e,
            Err(why) => {
                exchange.notes.push(format!("Arazzo-Expect refused: {why}"));
                return problem(
                    StatusCode::BAD_REQUEST,
                    "Arazzo-Expect header not accepted",
                    &why,
                    &[],
                );
            }
        };

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
        for e in &expected {
            let Place::Header(name) = &e.place else {
                continue;
            };
            if name.eq_ignore_ascii_case("content-type") {
                continue;
            }
            if SERVER_OWNED_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
                exchange.notes.push(format!(
                    "the workflow expects header {} to be {}; the server sets it itself, so it was not",
                    super::clip(name, 100),
                    super::quote(&e.value)
                ));
                continue;
            }
            if let Ok(n) = HeaderName::from_bytes(name.as_bytes())
                && let Ok(v) = HeaderValue::from_str(&expect::header_text(&e.value))
            {
                response.headers_mut().insert(n, v);
                exchange.notes.push(format!(
                    "header {name} set to {} as the workflow expects",
                    super::quote(&e.value)
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
        let limit = self.options.max_response_bytes;
        if prepared.bytes.len() > limit {
            let why = format!(
                "the response body would be {} bytes, more than the {limit} the mock sends",
                prepared.bytes.len()
            );
            exchange.notes.push(why.clone());
            return problem(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Response too large",
                &why,
                &[],
            );
        }
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
            if SERVER_OWNED_HEADERS.contains(&lower.as_str()) {
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
}

/// The expectations of a request's `Arazzo-Expect` headers (malformed items skipped), or why
/// they are refused: too many, too long, or a pointer too deep (see the limits above).
fn expectations(headers: &http::HeaderMap) -> Result<Vec<Expectation>, String> {
    let values = headers.get_all(arazzo_expr::expect::HEADER);
    let bytes: usize = values.iter().map(|v| v.len()).sum();
    if bytes > MAX_EXPECT_BYTES {
        return Err(format!(
            "the header carries {bytes} bytes; the mock reads at most {MAX_EXPECT_BYTES}"
        ));
    }
    let expected: Vec<Expectation> = values
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(arazzo_expr::expect::decode)
        .collect();
    if expected.len() > MAX_EXPECTATIONS {
        return Err(format!(
            "the header carries {} expectations; the mock takes at most {MAX_EXPECTATIONS}",
            expected.len()
        ));
    }
    for e in &expected {
        let segments = match &e.place {
            Place::Body(t) => t.len(),
            Place::Filter { pointer, member } => pointer.len() + member.len(),
            Place::Header(_) => 0,
        };
        if segments > MAX_POINTER_SEGMENTS {
            return Err(format!(
                "an expectation's pointer has {segments} segments; the mock takes at most {MAX_POINTER_SEGMENTS}"
            ));
        }
    }
    Ok(expected)
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
