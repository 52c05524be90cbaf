//! HTTP exchanges as the engine sees them: responses, their bodies parsed
//! for expressions, `Retry-After`, and payload replacements.

use arazzo_openapi::HttpRequest;
use arazzo_openapi::request::Sent;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::plan::ReplacementTarget;

/// A response, as a transport delivers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpResponse {
    /// Status code.
    pub status: u16,
    /// Headers in arrival order (names lower-cased by HTTP/2, as sent by HTTP/1).
    pub headers: Vec<(String, String)>,
    /// The body, decompressed.
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// All values of a header, joined with `, ` (RFC 9110 §5.3), matched case-insensitively.
    pub fn header(&self, name: &str) -> Option<String> {
        let values: Vec<&str> = self
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect();
        (!values.is_empty()).then(|| values.join(", "))
    }
}

/// Why a request got no response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum TransportError {
    /// The request or step timed out.
    #[error("timed out after {0} ms")]
    Timeout(u64),
    /// Could not connect, TLS failed, the connection broke, …
    #[error("{0}")]
    Failed(String),
    /// The response body exceeded the size cap.
    #[error("the response body is larger than {0} bytes")]
    TooLarge(usize),
}

/// One step's exchange: what was sent and what came back.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Exchange {
    /// The request as sent.
    pub request: Option<HttpRequest>,
    /// The values the request was built from.
    pub sent: Sent,
    /// The response status.
    pub status: Option<u16>,
    /// Response headers.
    pub headers: Vec<(String, String)>,
    /// The response body, parsed: JSON for JSON media types, a string otherwise; `None` when empty.
    pub body: Option<Value>,
    /// The response body's size in bytes.
    pub body_len: usize,
    /// Why no response arrived.
    pub error: Option<String>,
    /// What kind of failure `error` is (no response, a request that could
    /// not be built, no credentials …).
    #[serde(default)]
    pub failure: Option<crate::report::FailureKind>,
    /// Milliseconds from sending to the full response.
    pub duration_ms: u64,
}

impl Exchange {
    /// A response header (joined when repeated), case-insensitive.
    pub fn response_header(&self, name: &str) -> Option<String> {
        let values: Vec<&str> = self
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect();
        (!values.is_empty()).then(|| values.join(", "))
    }

    /// The request body, as the workflow wrote it when known, else parsed from the bytes.
    pub fn request_body(&self) -> Option<Value> {
        if let Some(b) = &self.sent.body {
            return Some(b.clone());
        }
        let r = self.request.as_ref()?;
        let bytes = r.body.as_ref()?;
        Some(parse_body(r.header("content-type"), bytes).unwrap_or(Value::Null))
    }
}

/// A body as expressions see it: JSON parsed for JSON media types (or when
/// there is no media type and it parses), text otherwise; `None` when empty.
pub fn parse_body(content_type: Option<&str>, bytes: &[u8]) -> Option<Value> {
    if bytes.is_empty() {
        return None;
    }
    let json = match content_type {
        Some(ct) => arazzo_openapi::media::is_json(ct),
        None => true,
    };
    if json && let Ok(v) = serde_json::from_slice::<Value>(bytes) {
        return Some(v);
    }
    Some(Value::String(String::from_utf8_lossy(bytes).into_owned()))
}

/// Reads `Retry-After`: delta-seconds, or an HTTP-date relative to `now_unix_ms`.
pub fn retry_after_ms(header: &str, now_unix_ms: u64) -> Option<u64> {
    let h = header.trim();
    if let Ok(secs) = h.parse::<u64>() {
        return Some(secs.saturating_mul(1000));
    }
    if let Ok(secs) = h.parse::<f64>()
        && secs.is_finite()
        && secs >= 0.0
    {
        return Some((secs * 1000.0) as u64);
    }
    let when = httpdate::parse_http_date(h).ok()?;
    let when_ms = when.duration_since(std::time::UNIX_EPOCH).ok()?.as_millis() as u64;
    Some(when_ms.saturating_sub(now_unix_ms))
}

/// Applies one payload replacement.
pub fn replace(
    payload: &mut Value,
    target: &ReplacementTarget,
    value: Value,
) -> Result<(), String> {
    match target {
        ReplacementTarget::Pointer(p) => set_pointer(payload, p, value),
        ReplacementTarget::JsonPath(path) => {
            let pointers: Vec<String> = path
                .query_located(payload)
                .iter()
                .map(|n| n.location().to_json_pointer())
                .collect();
            if pointers.is_empty() {
                return Err("the JSONPath target selects nothing in the payload".into());
            }
            for p in pointers {
                set_pointer(payload, &p, value.clone())?;
            }
            Ok(())
        }
        ReplacementTarget::XPath(xpath) => {
            let Value::String(xml) = payload else {
                return Err("an XPath replacement target needs an XML payload (a string)".into());
            };
            let replaced = crate::xml::replace(xml, xpath, &value)?;
            *payload = Value::String(replaced);
            Ok(())
        }
    }
}

/// Sets the value at a JSON pointer, creating missing objects on the way
/// (and appending to an array with `-`).
pub fn set_pointer(root: &mut Value, pointer: &str, value: Value) -> Result<(), String> {
    if pointer.is_empty() {
        *root = value;
        return Ok(());
    }
    let Some(rest) = pointer.strip_prefix('/') else {
        return Err(format!("`{pointer}` is not a JSON pointer"));
    };
    let tokens: Vec<String> = rest
        .split('/')
        .map(arazzo_model::load::unescape_token)
        .collect();
    let mut cur = root;
    for (i, tok) in tokens.iter().enumerate() {
        let last = i + 1 == tokens.len();
        if cur.is_null() {
            *cur = Value::Object(serde_json::Map::new());
        }
        cur = match cur {
            Value::Object(m) => {
                if last {
                    m.insert(tok.clone(), value);
                    return Ok(());
                }
                m.entry(tok.clone()).or_insert(Value::Null)
            }
            Value::Array(a) => {
                if tok == "-" {
                    if last {
                        a.push(value);
                        return Ok(());
                    }
                    a.push(Value::Null);
                    let n = a.len() - 1;
                    &mut a[n]
                } else {
                    let idx: usize = tok
                        .parse()
                        .map_err(|_| format!("`{tok}` is not an array index in `{pointer}`"))?;
                    if idx > a.len() {
                        return Err(format!(
                            "index {idx} is past the end of the array in `{pointer}`"
                        ));
                    }
                    if idx == a.len() {
                        a.push(Value::Null);
                    }
                    if last {
                        a[idx] = value;
                        return Ok(());
                    }
                    &mut a[idx]
                }
            }
            other => {
                return Err(format!(
                    "`{pointer}` goes through a {} at `{tok}`",
                    match other {
                        Value::String(_) => "string",
                        Value::Number(_) => "number",
                        Value::Bool(_) => "boolean",
                        _ => "value",
                    }
                ));
            }
        };
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    #[test]
    fn retry_after_forms() {
        assert_eq!(retry_after_ms("3", 0), Some(3000));
        assert_eq!(retry_after_ms(" 1.5 ", 0), Some(1500));
        // Thu, 01 Jan 1970 00:00:10 GMT is 10 s after the epoch.
        assert_eq!(
            retry_after_ms("Thu, 01 Jan 1970 00:00:10 GMT", 4_000),
            Some(6_000)
        );
        assert_eq!(
            retry_after_ms("Thu, 01 Jan 1970 00:00:10 GMT", 20_000),
            Some(0)
        );
        assert_eq!(retry_after_ms("soon", 0), None);
    }

    #[test]
    fn pointers_create_and_append() {
        let mut v = json!({"a": [1]});
        set_pointer(&mut v, "/b/c", json!(2)).unwrap();
        set_pointer(&mut v, "/a/-", json!(3)).unwrap();
        set_pointer(&mut v, "/a/0", json!(0)).unwrap();
        assert_eq!(v, json!({"a": [0, 3], "b": {"c": 2}}));
        assert!(set_pointer(&mut v, "/a/9", json!(1)).is_err());
        assert!(set_pointer(&mut v, "/b/c/d", json!(1)).is_err());
    }

    #[test]
    fn bodies() {
        assert_eq!(
            parse_body(Some("application/json"), br#"{"a":1}"#),
            Some(json!({"a": 1}))
        );
        assert_eq!(
            parse_body(Some("text/plain"), b"{\"a\":1}"),
            Some(json!("{\"a\":1}"))
        );
        assert_eq!(parse_body(None, b"[1]"), Some(json!([1])));
        assert_eq!(parse_body(Some("application/json"), b""), None);
        assert_eq!(
            parse_body(Some("application/json"), b"not json"),
            Some(json!("not json"))
        );
    }
}
