//! Turning an operation and evaluated values into an HTTP request.
//!
//! Every value is serialized the way the operation's description says
//! (`style`, `explode`, `allowReserved`, `content`, media types), using
//! [`crate::serialize`]. A parameter the operation does not declare is still
//! sent where its `in` says, with default serialization and a warning, so a
//! workflow written against a newer API than its description still works.

use indexmap::IndexMap;
use serde_json::Value;
use url::Url;

use crate::operation::Operation;
use crate::serialize::{
    self, BodyOptions, ParamEncoding, ParamLocation, SerializeError, is_undefined,
};
use crate::servers::join_path;

/// An HTTP request, ready to send.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct HttpRequest {
    /// Method, upper-case.
    pub method: String,
    /// Full URL including the query string.
    pub url: String,
    /// Headers in the order they were set. Names keep the case the document used.
    pub headers: Vec<(String, String)>,
    /// The body, if any.
    #[serde(with = "body_bytes", default)]
    pub body: Option<Vec<u8>>,
}

impl HttpRequest {
    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Sets a header, replacing any with the same name (case-insensitive).
    pub fn set_header(&mut self, name: &str, value: String) {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.headers.push((name.to_string(), value));
    }
}

/// Bodies travel through serde as UTF-8 text when they are text, base64 otherwise.
mod body_bytes {
    use base64::Engine;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            None => s.serialize_none(),
            Some(b) => match std::str::from_utf8(b) {
                Ok(t) => s.serialize_str(&format!("text:{t}")),
                Err(_) => s.serialize_str(&format!(
                    "base64:{}",
                    base64::engine::general_purpose::STANDARD.encode(b)
                )),
            },
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<u8>>, D::Error> {
        let s: Option<String> = Option::deserialize(d)?;
        Ok(s.map(|s| {
            if let Some(t) = s.strip_prefix("text:") {
                t.as_bytes().to_vec()
            } else if let Some(b) = s.strip_prefix("base64:") {
                base64::engine::general_purpose::STANDARD
                    .decode(b)
                    .unwrap_or_default()
            } else {
                s.into_bytes()
            }
        }))
    }
}

/// One evaluated parameter value.
#[derive(Debug, Clone)]
pub struct ParamValue {
    /// The parameter name.
    pub name: String,
    /// Where it goes.
    pub location: ParamLocation,
    /// Its value.
    pub value: Value,
}

/// The evaluated request body.
#[derive(Debug, Clone)]
pub struct BodyValue {
    /// The step's `contentType`, if it gave one.
    pub content_type: Option<String>,
    /// The payload.
    pub value: Value,
}

/// What was sent, by location, for `$request.*` expressions.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Sent {
    /// Path parameter values (as given, before serialization).
    pub path: IndexMap<String, Value>,
    /// Query parameter values (as given).
    pub query: IndexMap<String, Value>,
    /// The request body (as given, before encoding).
    pub body: Option<Value>,
}

/// A built request, what went into it, and remarks.
#[derive(Debug, Clone)]
pub struct Built {
    /// The request.
    pub request: HttpRequest,
    /// The values by location.
    pub sent: Sent,
    /// Non-fatal problems (undeclared parameters, …).
    pub warnings: Vec<String>,
}

/// Why a request could not be built.
#[derive(Debug, Clone, thiserror::Error)]
pub enum BuildError {
    /// A path parameter has no value.
    #[error("path parameter `{0}` has no value")]
    MissingPathParameter(String),
    /// A value cannot be serialized as the description asks.
    #[error(transparent)]
    Serialize(#[from] SerializeError),
    /// The URL is invalid after expansion.
    #[error("the request URL is not valid: {0}")]
    Url(String),
    /// A body was given but no media type is known.
    #[error("the step sends a body, but neither the step nor the operation gives a content type")]
    NoContentType,
}

/// Builds the request for `op`, sent to `base` (the resolved server URL).
pub fn build_request(
    op: &Operation,
    base: &Url,
    params: &[ParamValue],
    body: Option<&BodyValue>,
) -> Result<Built, BuildError> {
    let mut warnings = Vec::new();
    let mut sent = Sent::default();
    let encoding_for = |p: &ParamValue, warnings: &mut Vec<String>| -> ParamEncoding {
        match op.parameter(&p.name, p.location) {
            Some(spec) => spec.encoding.clone(),
            None => {
                warnings.push(format!(
                    "{} does not declare the {} parameter `{}`; sending it anyway",
                    op.label(),
                    p.location,
                    p.name
                ));
                ParamEncoding::default_for(p.location)
            }
        }
    };

    // Path.
    let mut path = op.path.clone();
    let mut filled: Vec<String> = Vec::new();
    for p in params.iter().filter(|p| p.location == ParamLocation::Path) {
        let placeholder = format!("{{{}}}", p.name);
        if !path.contains(&placeholder) {
            warnings.push(format!(
                "the path {} has no `{{{}}}`; path parameter `{}` was not sent",
                op.path, p.name, p.name
            ));
            continue;
        }
        if is_undefined(&p.value) {
            return Err(BuildError::MissingPathParameter(p.name.clone()));
        }
        let enc = encoding_for(p, &mut warnings);
        let text = serialize::path_value(&p.name, &p.value, &enc)?;
        path = path.replace(&placeholder, &text);
        filled.push(p.name.clone());
        sent.path.insert(p.name.clone(), p.value.clone());
    }
    if let Some(missing) = template_names(&path).into_iter().next() {
        return Err(BuildError::MissingPathParameter(missing));
    }

    // Query.
    let mut query: Vec<String> = Vec::new();
    let mut whole_query: Option<String> = None;
    for p in params {
        match p.location {
            ParamLocation::Query => {
                let enc = encoding_for(p, &mut warnings);
                query.extend(serialize::query_pairs(&p.name, &p.value, &enc)?);
                if !is_undefined(&p.value) {
                    sent.query.insert(p.name.clone(), p.value.clone());
                }
            }
            ParamLocation::QueryString => {
                let enc = encoding_for(p, &mut warnings);
                let q = serialize::querystring(&p.value, &enc)?;
                if !q.is_empty() {
                    whole_query = Some(q);
                }
            }
            _ => {}
        }
    }
    let mut target = path;
    let query_text = match whole_query {
        Some(q) if query.is_empty() => Some(q),
        Some(q) => Some(format!("{q}&{}", query.join("&"))),
        None if !query.is_empty() => Some(query.join("&")),
        None => None,
    };
    if let Some(q) = query_text {
        target.push('?');
        target.push_str(&q);
    }
    let url = join_path(base, &target).map_err(|e| BuildError::Url(e.to_string()))?;

    // Headers and cookies.
    let mut headers: Vec<(String, String)> = Vec::new();
    let mut cookies: Vec<String> = Vec::new();
    for p in params {
        match p.location {
            ParamLocation::Header => {
                if is_undefined(&p.value) {
                    continue;
                }
                serialize::validate_header_name(&p.name)?;
                let enc = encoding_for(p, &mut warnings);
                let v = serialize::header_value(&p.name, &p.value, &enc)?;
                headers.retain(|(n, _)| !n.eq_ignore_ascii_case(&p.name));
                headers.push((p.name.clone(), v));
            }
            ParamLocation::Cookie => {
                let enc = encoding_for(p, &mut warnings);
                cookies.extend(serialize::cookie_pairs(&p.name, &p.value, &enc)?);
            }
            _ => {}
        }
    }
    if !cookies.is_empty() {
        headers.push(("Cookie".into(), cookies.join("; ")));
    }

    // Required parameters the step did not supply.
    for spec in &op.parameters {
        if spec.required
            && spec.location != ParamLocation::Path
            && !params
                .iter()
                .any(|p| spec.matches(&p.name, p.location) && !is_undefined(&p.value))
        {
            warnings.push(format!(
                "{} requires the {} parameter `{}`, but the step does not supply it",
                op.label(),
                spec.location,
                spec.name
            ));
        }
    }

    // Body.
    let mut bytes = None;
    if let Some(b) = body {
        let media = op
            .request_body
            .as_ref()
            .and_then(|rb| match &b.content_type {
                Some(ct) => rb.media(ct),
                None => rb.default_media(),
            });
        let content_type = b
            .content_type
            .clone()
            .or_else(|| media.map(|m| m.media_type.clone()))
            .or_else(|| (!b.value.is_string()).then(|| "application/json".to_string()))
            .ok_or(BuildError::NoContentType)?;
        if op.request_body.is_none() {
            warnings.push(format!(
                "{} declares no request body; sending one anyway",
                op.label()
            ));
        }
        let opts = BodyOptions {
            schema: media.and_then(|m| m.schema.as_ref()),
            encoding: media.and_then(|m| m.encoding.as_ref()),
            ..BodyOptions::default()
        };
        let encoded = serialize::encode_body(&content_type, &b.value, &opts)?;
        headers.retain(|(n, _)| !n.eq_ignore_ascii_case("content-type"));
        headers.push(("Content-Type".into(), encoded.content_type));
        bytes = Some(encoded.bytes);
        sent.body = Some(b.value.clone());
    } else if op.request_body.as_ref().is_some_and(|rb| rb.required) {
        warnings.push(format!(
            "{} requires a request body, but the step sends none",
            op.label()
        ));
    }

    Ok(Built {
        request: HttpRequest {
            method: op.method.clone(),
            url: url.to_string(),
            headers,
            body: bytes,
        },
        sent,
        warnings,
    })
}

/// The `{name}` placeholders still in a path.
fn template_names(path: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = path;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                out.push(after[..close].to_string());
                rest = &after[close + 1..];
            }
            None => break,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::operation::{BodySpec, MediaSpec, ParamSpec};
    use serde_json::json;

    fn op() -> Operation {
        let p = |name: &str, loc: ParamLocation, raw: Value| ParamSpec {
            name: name.into(),
            location: loc,
            required: loc == ParamLocation::Path,
            encoding: ParamEncoding::from_openapi3(loc, &raw).unwrap(),
            schema: None,
            deprecated: false,
            raw,
        };
        Operation {
            method: "POST".into(),
            path: "/pets/{petId}/toys".into(),
            operation_id: Some("addToy".into()),
            summary: None,
            pointer: "/paths/~1pets~1{petId}~1toys/post".into(),
            parameters: vec![
                p(
                    "petId",
                    ParamLocation::Path,
                    json!({"name":"petId","in":"path","required":true}),
                ),
                p(
                    "tags",
                    ParamLocation::Query,
                    json!({"name":"tags","in":"query","explode":false}),
                ),
                p(
                    "X-Trace",
                    ParamLocation::Header,
                    json!({"name":"X-Trace","in":"header"}),
                ),
            ],
            request_body: Some(BodySpec {
                required: true,
                content: vec![MediaSpec {
                    media_type: "application/json".into(),
                    schema: None,
                    encoding: None,
                    example: None,
                    examples: vec![],
                }],
            }),
            responses: vec![],
            security: vec![],
            servers: vec![],
            deprecated: false,
            problems: vec![],
            unresolved_refs: vec![],
        }
    }

    fn pv(name: &str, loc: ParamLocation, v: Value) -> ParamValue {
        ParamValue {
            name: name.into(),
            location: loc,
            value: v,
        }
    }

    #[test]
    fn builds_a_full_request() {
        let base = Url::parse("https://api.example.com/v1").unwrap();
        let built = build_request(
            &op(),
            &base,
            &[
                pv("petId", ParamLocation::Path, json!("a/b c")),
                pv("tags", ParamLocation::Query, json!(["x", "y"])),
                pv("x-trace", ParamLocation::Header, json!("t1")),
                pv("session", ParamLocation::Cookie, json!("s1")),
                pv("extra", ParamLocation::Query, json!(5)),
            ],
            Some(&BodyValue {
                content_type: None,
                value: json!({"name": "ball"}),
            }),
        )
        .unwrap();
        let r = &built.request;
        assert_eq!(
            r.url,
            "https://api.example.com/v1/pets/a%2Fb%20c/toys?tags=x,y&extra=5"
        );
        assert_eq!(r.header("x-trace"), Some("t1"));
        assert_eq!(r.header("cookie"), Some("session=s1"));
        assert_eq!(r.header("content-type"), Some("application/json"));
        assert_eq!(r.body.as_deref(), Some(br#"{"name":"ball"}"#.as_slice()));
        assert_eq!(built.warnings.len(), 2, "{:?}", built.warnings); // extra + session undeclared
        assert_eq!(built.sent.path["petId"], json!("a/b c"));
    }

    #[test]
    fn missing_path_parameter_is_an_error() {
        let base = Url::parse("http://127.0.0.1:1").unwrap();
        let err = build_request(&op(), &base, &[], None).unwrap_err();
        assert!(matches!(err, BuildError::MissingPathParameter(ref n) if n == "petId"));
        let err = build_request(
            &op(),
            &base,
            &[pv("petId", ParamLocation::Path, Value::Null)],
            None,
        )
        .unwrap_err();
        assert!(matches!(err, BuildError::MissingPathParameter(_)));
    }

    #[test]
    fn absent_optional_values_are_left_out() {
        let base = Url::parse("http://127.0.0.1:1").unwrap();
        let built = build_request(
            &op(),
            &base,
            &[
                pv("petId", ParamLocation::Path, json!(1)),
                pv("tags", ParamLocation::Query, Value::Null),
                pv("X-Trace", ParamLocation::Header, Value::Null),
            ],
            None,
        )
        .unwrap();
        assert_eq!(built.request.url, "http://127.0.0.1:1/pets/1/toys");
        assert!(built.request.header("x-trace").is_none());
        assert!(
            built
                .warnings
                .iter()
                .any(|w| w.contains("requires a request body"))
        );
    }

    #[test]
    fn header_injection_is_refused() {
        let base = Url::parse("http://127.0.0.1:1").unwrap();
        let err = build_request(
            &op(),
            &base,
            &[
                pv("petId", ParamLocation::Path, json!(1)),
                pv("X-Trace", ParamLocation::Header, json!("a\r\nX-Evil: 1")),
            ],
            None,
        );
        assert!(err.is_err());
    }

    #[test]
    fn requests_round_trip_through_serde() {
        let r = HttpRequest {
            method: "PUT".into(),
            url: "http://x/".into(),
            headers: vec![("A".into(), "b".into())],
            body: Some(vec![0xff, 0x00]),
        };
        let text = serde_json::to_string(&r).unwrap();
        assert_eq!(serde_json::from_str::<HttpRequest>(&text).unwrap(), r);
    }
}
