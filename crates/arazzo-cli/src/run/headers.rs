//! `--header NAME=VALUE` and `--header SOURCE:NAME=VALUE`: headers added to
//! every request of a run (gateway keys, tracing ids), or to the requests of
//! one source description, by wrapping the transport.
//!
//! A header the request already has — set by the document (a step's
//! `parameters` with `in: header`) or by a credential — wins: the document
//! says what an operation needs, and `--header` only adds what it lacks.
//! A request belongs to a source when its URL starts with the server that
//! source's requests go to (after `--server` and `--mock`). Every value is
//! a secret for the output edge: such headers usually carry API keys.

use std::sync::Arc;
use std::time::Duration;

use arazzo_engine::plan::Plan;
use arazzo_engine::{BoxFuture, HttpResponse, Transport, TransportError};
use arazzo_openapi::request::HttpRequest;

use super::Stop;

/// One `--header` flag.
#[derive(Debug, Clone)]
pub struct ExtraHeader {
    /// The source description it is for; `None` for every request.
    pub source: Option<String>,
    /// The header's name.
    pub name: String,
    /// Its value.
    pub value: String,
}

/// Parses the `--header` values. The value is never quoted in an error.
pub fn parse(values: &[String]) -> Result<Vec<ExtraHeader>, Stop> {
    values
        .iter()
        .map(|v| {
            let Some((left, value)) = v.split_once('=') else {
                return Err(Stop::Usage(
                    "--header expects NAME=VALUE or SOURCE:NAME=VALUE (there is no `=`)".into(),
                ));
            };
            let (source, name) = match left.split_once(':') {
                Some((s, n)) => (Some(s.to_string()), n),
                None => (None, left),
            };
            if source.as_deref().is_some_and(str::is_empty) {
                return Err(Stop::Usage(
                    "--header SOURCE:NAME=…: the SOURCE before `:` is empty".into(),
                ));
            }
            let token = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
            if name.is_empty() || !name.chars().all(token) {
                return Err(Stop::Usage(format!(
                    "--header {}=…: `{name}` is not a header name (letters, digits and !#$%&'*+-.^_`|~)",
                    left
                )));
            }
            if value.chars().any(|c| c == '\r' || c == '\n' || c == '\0') {
                return Err(Stop::Usage(format!(
                    "--header {left}=…: the value holds a line break or NUL"
                )));
            }
            Ok(ExtraHeader {
                source: source.map(|s| s.to_string()),
                name: name.to_string(),
                value: value.to_string(),
            })
        })
        .collect()
}

/// The source names of the root document of `plan` (those `--server` takes).
pub fn source_names(plan: &Plan) -> Vec<String> {
    plan.docs
        .first()
        .map(|d| d.source_urls.keys().cloned().collect())
        .unwrap_or_default()
}

/// Checks that each `SOURCE:` names one of `known` (the sources of the
/// documents run); an unknown one is a usage error with the closest name.
pub fn check_sources(headers: &[ExtraHeader], known: &[String]) -> Result<(), Stop> {
    let known: Vec<&str> = known.iter().map(String::as_str).collect();
    for h in headers {
        let Some(s) = &h.source else { continue };
        if !known.contains(&s.as_str()) {
            return Err(Stop::Usage(format!(
                "--header {s}:{}=…: the document has no source description `{s}`{}; {}",
                h.name,
                crate::suggest::did_you_mean(crate::suggest::closest(s, &known)),
                crate::suggest::listing(&known, "sources")
            )));
        }
    }
    Ok(())
}

/// A transport that adds the `--header` headers to the requests it sends.
pub struct WithHeaders {
    /// The transport that sends.
    inner: Arc<dyn Transport>,
    /// Headers for every request.
    all: Vec<(String, String)>,
    /// Headers for the requests to a source's server: the server's URL and the headers.
    by_server: Vec<(String, Vec<(String, String)>)>,
}

impl WithHeaders {
    /// Wraps `inner`; `plan` says where each source's requests go.
    pub fn new(inner: Arc<dyn Transport>, headers: &[ExtraHeader], plan: &Plan) -> WithHeaders {
        let all = headers
            .iter()
            .filter(|h| h.source.is_none())
            .map(|h| (h.name.clone(), h.value.clone()))
            .collect();
        let mut by_server = Vec::new();
        if let Some(doc) = plan.docs.first() {
            for (name, api) in &doc.apis {
                let mine: Vec<(String, String)> = headers
                    .iter()
                    .filter(|h| h.source.as_deref() == Some(name.as_str()))
                    .map(|h| (h.name.clone(), h.value.clone()))
                    .collect();
                if mine.is_empty() {
                    continue;
                }
                if let Some(Ok(server)) = plan.api(*api).map(|a| a.server.as_ref()) {
                    by_server.push((server.as_str().trim_end_matches('/').to_string(), mine));
                }
            }
        }
        WithHeaders {
            inner,
            all,
            by_server,
        }
    }

    /// Whether there is anything to add.
    pub fn is_empty(&self) -> bool {
        self.all.is_empty() && self.by_server.is_empty()
    }
}

/// Whether `url` lies under the server `base` (same origin, path below it).
fn under(url: &str, base: &str) -> bool {
    url.strip_prefix(base)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with(['/', '?', '#']))
}

impl Transport for WithHeaders {
    fn send(
        &self,
        mut request: HttpRequest,
        timeout: Duration,
    ) -> BoxFuture<'_, Result<HttpResponse, TransportError>> {
        let for_source = self
            .by_server
            .iter()
            .filter(|(base, _)| under(&request.url, base))
            .flat_map(|(_, hs)| hs.iter());
        let add: Vec<(String, String)> = for_source.chain(self.all.iter()).cloned().collect();
        for (name, value) in add {
            if request.header(&name).is_none() {
                request.headers.push((name, value));
            }
        }
        self.inner.send(request, timeout)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_flags() {
        let h = parse(&["X-Key=a=b".into(), "api:X-Trace=1".into()]);
        let Ok(h) = h else {
            panic!("not parsed");
        };
        assert_eq!((h[0].source.as_deref(), h[0].value.as_str()), (None, "a=b"));
        assert_eq!(h[1].source.as_deref(), Some("api"));
        assert!(parse(&["nope".into()]).is_err());
        assert!(parse(&["Bad Name=x".into()]).is_err());
        assert!(parse(&[":X=x".into()]).is_err());
        assert!(parse(&["X=a\nb".into()]).is_err());
    }

    #[test]
    fn urls_under_a_server() {
        assert!(under("http://a:1/v1/x", "http://a:1/v1"));
        assert!(under("http://a:1/v1", "http://a:1/v1"));
        assert!(!under("http://a:1/v10", "http://a:1/v1"));
        assert!(!under("http://a:12/", "http://a:1"));
    }
}
