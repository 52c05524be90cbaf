//! Choosing and writing the response: which documented response (status), which media type
//! (`Accept`), which body (example or synthesized) and which headers.

use arazzo_openapi::media;
use arazzo_openapi::operation::{MediaSpec, ResponseSpec};
use http::HeaderMap;
use serde_json::Value;

use crate::view::OpView;

/// The statuses the mock answers with. `1xx` responses are interim (`101` switches the
/// connection to another protocol): sent as a final answer they leave a client waiting for one
/// that never comes. Codes past 599 are not HTTP statuses.
pub(crate) const STATUSES: std::ops::RangeInclusive<u16> = 200..=599;

/// What the client asked for with `Prefer` (RFC 7240), as the Prism mock server reads it.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Prefer {
    /// `code=NNN`: respond with this status (one of [`STATUSES`]).
    pub code: Option<u16>,
    /// A `code=` the mock does not answer with (outside [`STATUSES`], or not a number), as
    /// written, to say so in a note.
    pub refused_code: Option<String>,
    /// `example=NAME`: use this named example.
    pub example: Option<String>,
}

impl Prefer {
    pub(crate) fn from_headers(headers: &HeaderMap) -> Prefer {
        let mut p = Prefer::default();
        for v in headers.get_all("prefer").iter() {
            let Ok(text) = v.to_str() else {
                continue;
            };
            for pref in text.split([',', ';']) {
                let Some((k, v)) = pref.split_once('=') else {
                    continue;
                };
                let v = v.trim().trim_matches('"');
                match k.trim().to_ascii_lowercase().as_str() {
                    "code" => match v.parse().ok().filter(|c| STATUSES.contains(c)) {
                        Some(c) => p.code = Some(c),
                        None => p.refused_code = Some(v.chars().take(20).collect()),
                    },
                    "example" => p.example = Some(v.to_string()),
                    _ => {}
                }
            }
        }
        p
    }
}

/// The chosen response.
#[derive(Debug)]
pub(crate) struct Choice {
    /// The status to send.
    pub status: u16,
    /// Index into the operation's responses, when one applies.
    pub index: Option<usize>,
}

/// Picks the response: the preferred code when asked (documented, else covered by a range or
/// `default`), otherwise the lowest documented 2xx, then `default` as 200, then the lowest
/// documented status.
pub(crate) fn choose(view: &OpView, prefer: &Prefer, notes: &mut Vec<String>) -> Choice {
    let responses = &view.op.responses;
    if let Some(code) = &prefer.refused_code {
        notes.push(format!(
            "Prefer: code={code} was not honoured: the mock answers with statuses {} to {} only",
            STATUSES.start(),
            STATUSES.end()
        ));
    }
    if let Some(code) = prefer.code {
        let exact = responses.iter().position(|r| r.status == code.to_string());
        let range = responses.iter().position(|r| {
            r.status.len() == 3 && r.status.to_ascii_uppercase().ends_with("XX") && r.covers(code)
        });
        let default = responses
            .iter()
            .position(|r| r.status.eq_ignore_ascii_case("default"));
        if let Some(i) = exact.or(range).or(default) {
            return Choice {
                status: code,
                index: Some(i),
            };
        }
        let fallback = if (200..300).contains(&code) {
            success(responses)
        } else {
            None
        };
        notes.push(format!(
            "Prefer: code={code} asks for a status the operation does not document; it is sent{}",
            if fallback.is_some() {
                " with the body of the documented success response"
            } else {
                " without a body"
            }
        ));
        return Choice {
            status: code,
            index: fallback,
        };
    }
    if let Some(i) = success(responses) {
        let status = responses
            .get(i)
            .and_then(|r| r.status.parse::<u16>().ok())
            .unwrap_or(200);
        return Choice {
            status,
            index: Some(i),
        };
    }
    if let Some(i) = responses
        .iter()
        .position(|r| r.status.eq_ignore_ascii_case("default"))
    {
        return Choice {
            status: 200,
            index: Some(i),
        };
    }
    let lowest = responses
        .iter()
        .enumerate()
        .filter_map(|(i, r)| Some((status_of(&r.status)?, i)))
        .min();
    match lowest {
        Some((status, i)) => Choice {
            status,
            index: Some(i),
        },
        None => {
            if !responses.is_empty() {
                let listed: Vec<&str> = responses.iter().map(|r| r.status.as_str()).collect();
                notes.push(format!(
                    "the operation documents only statuses the mock does not answer with ({}); sent 200 without a body",
                    listed.join(", ")
                ));
            }
            Choice {
                status: 200,
                index: None,
            }
        }
    }
}

/// The lowest documented 2xx response (`2XX` counts as 200).
fn success(responses: &[ResponseSpec]) -> Option<usize> {
    responses
        .iter()
        .enumerate()
        .filter_map(|(i, r)| {
            let s = status_of(&r.status)?;
            (200..300).contains(&s).then_some((s, i))
        })
        .min()
        .map(|(_, i)| i)
}

/// A status key as a number: `404`, or the lowest of a range (`4XX` → 400); `None` for keys
/// outside [`STATUSES`] (`101`, `1XX`), which are never chosen.
fn status_of(key: &str) -> Option<u16> {
    if let Ok(n) = key.parse::<u16>() {
        return STATUSES.contains(&n).then_some(n);
    }
    let upper = key.to_ascii_uppercase();
    let first = upper.strip_suffix("XX")?;
    let d: u16 = first.parse().ok().filter(|d| (2..=5).contains(d))?;
    Some(d * 100)
}

/// Picks the media type to respond with: the best the client accepts (by `q`, JSON first on
/// ties, then document order). `None` in the second slot means the client accepts none of them
/// (the first, JSON-preferred, is still proposed).
pub(crate) fn negotiate(accept: Option<&str>, content: &[MediaSpec]) -> (Option<usize>, bool) {
    if content.is_empty() {
        return (None, true);
    }
    let ranges: Vec<(String, f32)> = accept
        .map(|a| {
            a.split(',')
                .filter_map(|r| {
                    let mut parts = r.split(';');
                    let range = parts.next()?.trim().to_ascii_lowercase();
                    if range.is_empty() {
                        return None;
                    }
                    let q = parts
                        .filter_map(|p| p.trim().strip_prefix("q="))
                        .find_map(|q| q.trim().parse::<f32>().ok())
                        .unwrap_or(1.0);
                    Some((range, q))
                })
                .collect()
        })
        .unwrap_or_default();
    let json_first = content
        .iter()
        .position(|m| media::is_json(&m.media_type))
        .unwrap_or(0);
    if ranges.is_empty() {
        return (Some(json_first), true);
    }
    let score = |m: &MediaSpec| -> f32 {
        let essence = media::essence(&m.media_type);
        ranges
            .iter()
            .filter(|(r, _)| {
                *r == essence
                    || media::range_matches(r, &essence)
                    // A documented range (`application/*`) the client's type falls in.
                    || media::range_matches(&essence, r)
            })
            .map(|(_, q)| *q)
            .fold(0.0, f32::max)
    };
    let mut best: Option<(usize, f32)> = None;
    for (i, m) in content.iter().enumerate() {
        let s = score(m);
        if s <= 0.0 {
            continue;
        }
        let better = match best {
            None => true,
            Some((bi, bs)) => {
                s > bs
                    || (s == bs
                        && media::is_json(&m.media_type)
                        && content
                            .get(bi)
                            .is_some_and(|b| !media::is_json(&b.media_type)))
            }
        };
        if better {
            best = Some((i, s));
        }
    }
    match best {
        Some((i, _)) => (Some(i), true),
        None => (Some(json_first), false),
    }
}

/// The `Content-Type` to send for a documented media type (ranges made concrete).
pub(crate) fn concrete_type(media_type: &str) -> String {
    let essence = media::essence(media_type);
    match essence.as_str() {
        "*/*" | "application/*" => "application/json".into(),
        "text/*" => "text/plain".into(),
        "image/*" => "image/png".into(),
        e if e.ends_with("/*") => format!("{}octet-stream", e.trim_end_matches('*')),
        _ => media_type.trim().to_string(),
    }
}

/// Bytes for a value in a media type.
pub(crate) fn encode(value: &Value, content_type: &str) -> Vec<u8> {
    let essence = media::essence(content_type);
    if media::is_json(content_type) {
        return serde_json::to_vec_pretty(value).unwrap_or_default();
    }
    if essence == "application/x-www-form-urlencoded"
        && let Value::Object(m) = value
    {
        let mut ser = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in m {
            ser.append_pair(k, &text_of(v));
        }
        return ser.finish().into_bytes();
    }
    if media::is_xml(content_type) {
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        if let Value::String(s) = value
            && s.trim_start().starts_with('<')
        {
            return s.clone().into_bytes();
        }
        xml(&mut out, "root", value, 0);
        return out.into_bytes();
    }
    match value {
        Value::String(s) => s.clone().into_bytes(),
        other => serde_json::to_vec_pretty(other).unwrap_or_default(),
    }
}

/// A value as header or form text: strings as they are, arrays comma-joined, objects as
/// `key,value` pairs, everything else as JSON text.
pub(crate) fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(a) => a.iter().map(text_of).collect::<Vec<_>>().join(","),
        Value::Object(m) => m
            .iter()
            .map(|(k, v)| format!("{k},{}", text_of(v)))
            .collect::<Vec<_>>()
            .join(","),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn xml(out: &mut String, name: &str, v: &Value, depth: usize) {
    if depth > 64 {
        return;
    }
    let name: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || "_-.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let name = if name
        .chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_')
    {
        name
    } else {
        format!("_{name}")
    };
    match v {
        Value::Array(items) => {
            for item in items {
                xml(out, &name, item, depth + 1);
            }
        }
        Value::Object(m) => {
            out.push_str(&format!("<{name}>"));
            for (k, v) in m {
                xml(out, k, v, depth + 1);
            }
            out.push_str(&format!("</{name}>"));
        }
        other => {
            let text = text_of(other)
                .replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;");
            out.push_str(&format!("<{name}>{text}</{name}>"));
        }
    }
}

/// A realistic header value when the description gives no schema.
pub(crate) fn header_by_name(name: &str) -> Option<String> {
    let lower = name.to_ascii_lowercase();
    Some(match lower.as_str() {
        "retry-after" => "1".into(),
        "date" | "expires" | "last-modified" => "Mon, 01 Jan 2024 12:00:00 GMT".into(),
        "etag" => "\"mock\"".into(),
        "location" | "content-location" => "https://example.com/".into(),
        _ if lower.contains("ratelimit") || lower.contains("rate-limit") => "1".into(),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn media(t: &str) -> MediaSpec {
        MediaSpec {
            media_type: t.into(),
            schema: None,
            encoding: None,
            example: None,
            examples: Vec::new(),
        }
    }

    #[test]
    fn negotiation() {
        let c = vec![media("application/xml"), media("application/json")];
        assert_eq!(negotiate(None, &c), (Some(1), true));
        assert_eq!(negotiate(Some("*/*"), &c), (Some(1), true));
        assert_eq!(negotiate(Some("application/xml"), &c), (Some(0), true));
        assert_eq!(
            negotiate(Some("application/xml;q=0.5, application/json"), &c),
            (Some(1), true)
        );
        assert_eq!(negotiate(Some("text/csv"), &c), (Some(1), false));
        let ranges = vec![media("application/*")];
        assert_eq!(
            negotiate(Some("application/json"), &ranges),
            (Some(0), true)
        );
    }

    #[test]
    fn prefer() {
        let mut h = HeaderMap::new();
        h.insert(
            "prefer",
            http::HeaderValue::from_static("code=404, example=missing"),
        );
        assert_eq!(
            Prefer::from_headers(&h),
            Prefer {
                code: Some(404),
                refused_code: None,
                example: Some("missing".into())
            }
        );
        // Interim and non-HTTP statuses are refused, and said to be.
        for code in ["101", "100", "199", "600", "99999", "abc"] {
            let mut h = HeaderMap::new();
            h.insert(
                "prefer",
                http::HeaderValue::from_str(&format!("code={code}")).unwrap(),
            );
            let p = Prefer::from_headers(&h);
            assert_eq!(p.code, None, "{code}");
            assert_eq!(p.refused_code.as_deref(), Some(code));
        }
    }

    #[test]
    fn statuses() {
        assert_eq!(status_of("2XX"), Some(200));
        assert_eq!(status_of("201"), Some(201));
        assert_eq!(status_of("default"), None);
        assert_eq!(status_of("101"), None);
        assert_eq!(status_of("1XX"), None);
        assert_eq!(status_of("600"), None);
        assert_eq!(concrete_type("*/*"), "application/json");
        assert_eq!(
            concrete_type("application/json; charset=utf-8"),
            "application/json; charset=utf-8"
        );
    }
}
