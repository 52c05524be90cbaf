//! Transport-neutral request and response values plus the small parsers the handlers share.
//!
//! Handlers see a fully read [`Request`] and return a [`Reply`]; the server turns replies into
//! hyper responses and records both halves. Keeping handlers synchronous and free of hyper types
//! makes every branch easy to reason about and impossible to leave half-answered.

use percent_encoding::percent_decode_str;
use serde_json::{Map, Value, json};

/// A request after its body has been read.
#[derive(Debug, Clone)]
pub(crate) struct Request {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    /// Lower-cased names.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    /// The first header with this (lower-case) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The decoded query parameters.
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        self.query.as_deref().map(parse_form).unwrap_or_default()
    }

    /// The first query parameter with this name.
    pub fn query_param(&self, name: &str) -> Option<String> {
        self.query_pairs()
            .into_iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }

    /// The media type of the body, lower-cased and without parameters.
    pub fn media_type(&self) -> Option<String> {
        self.header("content-type").map(|v| {
            v.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        })
    }

    /// The body as a JSON object, or the 400 that explains why it is not one.
    pub fn json_object(&self) -> Result<Map<String, Value>, Reply> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Err(Reply::error(400, "request body is required"));
        }
        match serde_json::from_slice::<Value>(&self.body) {
            Ok(Value::Object(map)) => Ok(map),
            Ok(_) => Err(Reply::error(400, "request body must be a JSON object")),
            Err(e) => Err(Reply::error(400, format!("malformed JSON body: {e}"))),
        }
    }
}

/// A response before it is serialized.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Option<Value>,
}

impl Reply {
    /// A JSON response.
    pub fn json(status: u16, body: Value) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: Some(body),
        }
    }

    /// The `{"error": "…"}` body every Connect error uses.
    pub fn error(status: u16, message: impl Into<String>) -> Reply {
        Reply::json(status, json!({ "error": message.into() }))
    }

    /// An RFC 6749 §5.2 error, the shape OAuth clients parse at the token endpoint.
    pub fn oauth_error(status: u16, error: &str, description: impl Into<String>) -> Reply {
        Reply::json(
            status,
            json!({ "error": error, "error_description": description.into() }),
        )
    }

    /// A response without a body.
    pub fn empty(status: u16) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: None,
        }
    }

    /// Adds a header.
    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> Reply {
        self.headers.push((name.to_owned(), value.into()));
        self
    }
}

/// Decodes `application/x-www-form-urlencoded` text (also used for query strings): `+` is a space
/// and `%XX` escapes are decoded, invalid UTF-8 replaced rather than rejected.
pub(crate) fn parse_form(input: &str) -> Vec<(String, String)> {
    input
        .split('&')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let (k, v) = part.split_once('=').unwrap_or((part, ""));
            (form_decode(k), form_decode(v))
        })
        .collect()
}

fn form_decode(s: &str) -> String {
    let spaced = s.replace('+', " ");
    percent_decode_str(&spaced).decode_utf8_lossy().into_owned()
}

/// Decodes one percent-encoded path segment.
pub(crate) fn decode_segment(s: &str) -> String {
    percent_decode_str(s).decode_utf8_lossy().into_owned()
}

/// The credentials of an `Authorization` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Credentials {
    /// `Bearer <token>`.
    Bearer(String),
    /// `Basic <base64(id:secret)>`, decoded.
    Basic { id: String, secret: String },
    /// Anything else, including a Basic header that does not decode.
    Malformed,
}

/// Parses the `Authorization` header, if present. Scheme names are case-insensitive (RFC 9110).
pub(crate) fn credentials(req: &Request) -> Option<Credentials> {
    use base64::Engine as _;
    let value = req.header("authorization")?.trim();
    let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
    let rest = rest.trim();
    if scheme.eq_ignore_ascii_case("bearer") && !rest.is_empty() {
        return Some(Credentials::Bearer(rest.to_owned()));
    }
    if scheme.eq_ignore_ascii_case("basic") {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(rest)
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok());
        // RFC 6749 §2.3.1: the id and secret are form-encoded before being joined with `:`.
        return Some(match decoded.as_deref().and_then(|s| s.split_once(':')) {
            Some((id, secret)) => Credentials::Basic {
                id: form_decode(id),
                secret: form_decode(secret),
            },
            None => Credentials::Malformed,
        });
    }
    Some(Credentials::Malformed)
}

/// Whether `s` is `prefix` followed by one or more ASCII letters or digits: the shape of
/// Pipedream's `proj_`, `apn_`, `oa_` and `app_` ids.
pub(crate) fn is_prefixed_alnum(s: &str, prefix: &str) -> bool {
    s.strip_prefix(prefix)
        .is_some_and(|rest| !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// Whether `s` matches `^ctok_[0-9a-f]{32}$`.
pub(crate) fn is_connect_token(s: &str) -> bool {
    s.strip_prefix("ctok_").is_some_and(|rest| {
        rest.len() == 32 && rest.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    })
}
