//! `--har FILE`: every HTTP exchange of a run as a HAR 1.2 archive
//! (<http://www.softwareishard.com/blog/har-12-spec/>), which browser
//! developer tools and HAR viewers open.
//!
//! The archive is built from the engine's events alone — the same requests
//! and responses `-vv` shows: secrets already masked by the engine, bodies
//! cut at the engine's logged-body cap (4,096 bytes, ending with `… (N bytes
//! in all)`) — and leaves through the run's output edge, which masks it
//! again. An entry per request, in the order they were sent, OAuth2 token
//! requests included; a request that got no response (a connection failure,
//! a timeout, a stopped run) has status 0 and the step's error as comment.
//! Times are the command line's: when the request event came (just before
//! sending) and how long until its response.

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use arazzo_engine::report::{Event, Status};
use serde_json::{Map, Value, json};

/// The exchanges of a run, as they happen.
#[derive(Default)]
pub struct Har {
    entries: Vec<Entry>,
}

/// One request and its response, if one came.
#[derive(Clone)]
struct Entry {
    /// When the request event came.
    started: SystemTime,
    /// The same moment, to measure the wait.
    instant: Instant,
    workflow_id: String,
    step_id: String,
    /// The HAR `request` object.
    request: Value,
    /// The HAR `response` object and the milliseconds it took.
    response: Option<(Value, f64)>,
    /// Why no response came, once the step says.
    error: Option<String>,
}

impl Har {
    /// An empty archive.
    pub fn new() -> Har {
        Har::default()
    }

    /// Adds the exchanges of another run (the next document's) after these.
    pub fn append(&mut self, other: &Har) {
        self.entries.extend(other.entries.iter().cloned());
    }

    /// Takes in one event of the run: a request opens an entry, a response
    /// completes the last open one, a failed step explains an unanswered one.
    pub fn event(&mut self, e: &Event) {
        match e {
            Event::RequestSent {
                workflow_id,
                step_id,
                method,
                url,
                headers,
                body,
                body_size,
            } => self.entries.push(Entry {
                started: SystemTime::now(),
                instant: Instant::now(),
                workflow_id: workflow_id.clone(),
                step_id: step_id.clone(),
                request: request(method, url, headers, body.as_deref(), *body_size),
                response: None,
                error: None,
            }),
            Event::ResponseReceived {
                status,
                headers,
                body,
                body_size,
                duration_ms,
                ..
            } => {
                // One request is in flight at a time: the response is the
                // last request's.
                if let Some(entry) = self.entries.iter_mut().rev().find(|x| x.response.is_none()) {
                    let seen = entry.instant.elapsed().as_secs_f64() * 1000.0;
                    // The engine's duration counts from the step's start
                    // (a token request included); the event came after
                    // judging. The shorter is the closer.
                    let time = if *duration_ms > 0 {
                        seen.min(*duration_ms as f64)
                    } else {
                        seen
                    };
                    entry.response = Some((
                        response(*status, headers, body.as_deref(), *body_size),
                        (time * 1000.0).round() / 1000.0,
                    ));
                }
            }
            Event::StepFinished {
                workflow_id,
                record,
            } if record.status == Status::Failed => {
                if let Some(entry) = self.entries.last_mut()
                    && entry.response.is_none()
                    && entry.error.is_none()
                    && &entry.workflow_id == workflow_id
                {
                    entry.error = record.error.clone();
                }
            }
            _ => {}
        }
    }

    /// How many exchanges it holds.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// The archive as JSON text.
    pub fn render(&self) -> String {
        let entries: Vec<Value> = self.entries.iter().map(entry).collect();
        let har = json!({
            "log": {
                "version": "1.2",
                "creator": {"name": "arazzo-run", "version": env!("CARGO_PKG_VERSION")},
                "entries": entries,
            }
        });
        let mut text = serde_json::to_string_pretty(&har).unwrap_or_else(|_| "{}".into());
        text.push('\n');
        text
    }
}

/// The HAR entry of one exchange.
fn entry(x: &Entry) -> Value {
    let (response, time) = match &x.response {
        Some((r, t)) => (r.clone(), *t),
        None => (no_response(), 0.0),
    };
    let mut e = json!({
        "startedDateTime": rfc3339(x.started),
        "time": time,
        "request": x.request,
        "response": response,
        "cache": {},
        "timings": {
            "blocked": -1, "dns": -1, "connect": -1, "ssl": -1,
            "send": 0, "wait": time, "receive": 0
        },
        "_workflowId": x.workflow_id,
        "_stepId": x.step_id,
    });
    if x.response.is_none()
        && let Some(m) = e.as_object_mut()
    {
        let why = x.error.as_deref().unwrap_or("no response");
        m.insert("comment".into(), Value::String(why.to_string()));
    }
    e
}

/// `[{name, value}]`, HAR's list of name-value pairs.
fn pairs<'a>(items: impl IntoIterator<Item = (&'a str, &'a str)>) -> Value {
    Value::Array(
        items
            .into_iter()
            .map(|(n, v)| json!({"name": n, "value": v}))
            .collect(),
    )
}

/// The values of header `name`, case-insensitively.
fn header_values<'a>(
    headers: &'a [(String, String)],
    name: &'a str,
) -> impl Iterator<Item = &'a str> {
    headers
        .iter()
        .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// The HAR `request` object.
fn request(
    method: &str,
    url: &str,
    headers: &[(String, String)],
    body: Option<&str>,
    body_size: usize,
) -> Value {
    let query: Vec<(String, String)> = url::Url::parse(url)
        .map(|u| u.query_pairs().into_owned().collect())
        .unwrap_or_default();
    let cookies: Vec<(&str, &str)> = header_values(headers, "cookie")
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .collect();
    let mut r = json!({
        "method": method,
        "url": url,
        "httpVersion": "HTTP/1.1",
        "cookies": pairs(cookies),
        "headers": pairs(headers.iter().map(|(n, v)| (n.as_str(), v.as_str()))),
        "queryString": pairs(query.iter().map(|(n, v)| (n.as_str(), v.as_str()))),
        "headersSize": -1,
        "bodySize": body_size,
    });
    if let (Some(text), Some(m)) = (body, r.as_object_mut()) {
        let mime = header_values(headers, "content-type").next().unwrap_or("");
        m.insert(
            "postData".into(),
            json!({"mimeType": mime, "params": [], "text": text}),
        );
    }
    r
}

/// The HAR `response` object.
fn response(status: u16, headers: &[(String, String)], body: Option<&str>, size: usize) -> Value {
    let mime = header_values(headers, "content-type")
        .next()
        .unwrap_or("x-unknown");
    let cookies: Vec<(&str, &str)> = header_values(headers, "set-cookie")
        .filter_map(|v| v.split(';').next()?.trim().split_once('='))
        .collect();
    let mut content = Map::new();
    content.insert("size".into(), json!(size));
    content.insert("mimeType".into(), json!(mime));
    if let Some(text) = body {
        content.insert("text".into(), json!(text));
        if text.len() < size || text.ends_with(" bytes in all)") {
            content.insert(
                "comment".into(),
                json!("the body is cut at arazzo-run's logged-body cap"),
            );
        }
    }
    json!({
        "status": status,
        "statusText": reason_phrase(status),
        "httpVersion": "HTTP/1.1",
        "cookies": pairs(cookies),
        "headers": pairs(headers.iter().map(|(n, v)| (n.as_str(), v.as_str()))),
        "content": content,
        "redirectURL": header_values(headers, "location").next().unwrap_or(""),
        "headersSize": -1,
        "bodySize": size,
    })
}

/// The `response` of a request that got none (status 0, as browsers write it).
fn no_response() -> Value {
    json!({
        "status": 0,
        "statusText": "",
        "httpVersion": "",
        "cookies": [],
        "headers": [],
        "content": {"size": 0, "mimeType": "x-unknown"},
        "redirectURL": "",
        "headersSize": -1,
        "bodySize": -1,
    })
}

/// The reason phrase of a status code (RFC 9110 and friends); `""` for one
/// without a registered phrase.
pub fn reason_phrase(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        101 => "Switching Protocols",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        203 => "Non-Authoritative Information",
        204 => "No Content",
        205 => "Reset Content",
        206 => "Partial Content",
        300 => "Multiple Choices",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        402 => "Payment Required",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        407 => "Proxy Authentication Required",
        408 => "Request Timeout",
        409 => "Conflict",
        410 => "Gone",
        411 => "Length Required",
        412 => "Precondition Failed",
        413 => "Content Too Large",
        414 => "URI Too Long",
        415 => "Unsupported Media Type",
        416 => "Range Not Satisfiable",
        417 => "Expectation Failed",
        418 => "I'm a teapot",
        421 => "Misdirected Request",
        422 => "Unprocessable Content",
        423 => "Locked",
        424 => "Failed Dependency",
        425 => "Too Early",
        426 => "Upgrade Required",
        428 => "Precondition Required",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        451 => "Unavailable For Legal Reasons",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        505 => "HTTP Version Not Supported",
        507 => "Insufficient Storage",
        508 => "Loop Detected",
        511 => "Network Authentication Required",
        _ => "",
    }
}

/// `t` as RFC 3339 in UTC with milliseconds: `2026-12-08T00:15:20.123Z`.
pub fn rfc3339(t: SystemTime) -> String {
    let since = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs();
    let (days, rest) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60,
        since.subsec_millis()
    )
}

/// The proleptic Gregorian date `days` days after 1970-01-01 (Howard
/// Hinnant's `civil_from_days`, for non-negative days).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + u64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::time::Duration;

    #[test]
    fn timestamps_are_rfc3339_utc() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        let t = UNIX_EPOCH + Duration::from_millis(951_782_400_123);
        assert_eq!(rfc3339(t), "2000-02-29T00:00:00.123Z");
        let t = UNIX_EPOCH + Duration::from_secs(1_796_688_920);
        assert_eq!(rfc3339(t), "2026-12-08T00:15:20.000Z");
    }

    #[test]
    fn exchanges_become_entries() {
        let mut har = Har::new();
        har.event(&Event::RequestSent {
            workflow_id: "w".into(),
            step_id: "s".into(),
            method: "POST".into(),
            url: "http://h/p?a=1&b=x%20y".into(),
            headers: vec![
                ("content-type".into(), "application/json".into()),
                ("cookie".into(), "c=1; d=2".into()),
            ],
            body: Some("{}".into()),
            body_size: 2,
        });
        har.event(&Event::ResponseReceived {
            workflow_id: "w".into(),
            step_id: "s".into(),
            status: 302,
            headers: vec![("location".into(), "/next".into())],
            body: None,
            body_size: 0,
            duration_ms: 3,
        });
        har.event(&Event::RequestSent {
            workflow_id: "w".into(),
            step_id: "t".into(),
            method: "GET".into(),
            url: "http://h/q".into(),
            headers: vec![],
            body: None,
            body_size: 0,
        });
        assert_eq!(har.len(), 2);
        let v: Value = serde_json::from_str(&har.render()).unwrap();
        let e = &v["log"]["entries"];
        assert_eq!(e[0]["request"]["queryString"][1]["value"], "x y");
        assert_eq!(e[0]["request"]["cookies"][1]["name"], "d");
        assert_eq!(e[0]["request"]["postData"]["text"], "{}");
        assert_eq!(e[0]["response"]["statusText"], "Found");
        assert_eq!(e[0]["response"]["redirectURL"], "/next");
        assert_eq!(e[1]["response"]["status"], 0);
        assert_eq!(e[1]["comment"], "no response");
    }
}
