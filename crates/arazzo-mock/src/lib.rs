//! A mock HTTP server generated from OpenAPI descriptions, so that Arazzo workflows can run with
//! no network and no credentials, and report where a workflow and its API description disagree.
//!
//! - [`MockServer`] serves one description on loopback. Each request is routed by method and
//!   path template, checked against its operation (parameters, `Content-Type`, body), and
//!   answered with the response a client most likely expects: the lowest documented 2xx, or the
//!   status asked for with `Prefer: code=NNN`. Bodies come from the description's examples when
//!   they satisfy the schema, else they are synthesized from the schema.
//! - [`synthesize`] writes a deterministic, schema-valid example value for any schema;
//!   [`synthesize_inputs`] fills the required workflow inputs a user did not give.
//! - [`validate_value`] checks a value against an OpenAPI schema (2.0, 3.0 or 3.1 dialect).
//!
//! Everything is deterministic: the same description and requests give the same responses.
//! `docs/mock.md` describes every policy and the reasons for it.

use std::net::SocketAddr;
use std::sync::Arc;

use arazzo_openapi::{OpenApi, Store};
use serde_json::{Map, Value};
use url::Url;

mod conforms;
mod expect;
mod mock;
mod multipart;
mod oauth;
mod pattern;
mod refs;
mod request;
mod respond;
mod router;
#[cfg(test)]
mod selftest;
mod server;
mod synth;
mod validate;
mod view;

pub use arazzo_serve::Limits;
pub use mock::Mock;
pub use synth::Direction;

/// A callback that sees every exchange as it completes.
pub type ExchangeHook = Arc<dyn Fn(&Exchange) + Send + Sync>;

/// How a mock behaves.
#[derive(Clone)]
pub struct MockOptions {
    /// Answer requests that violate the description with `400` and an
    /// `application/problem+json` body listing the violations, instead of answering normally
    /// and only recording them (so that a workflow step sending a bad request fails).
    pub strict: bool,
    /// The largest request body read, in bytes; larger requests get `413`. Bounds the memory a
    /// hostile or runaway client can make the mock use.
    pub max_body_bytes: usize,
    /// How many exchanges [`MockServer::log`] keeps (the oldest are dropped first), so that a
    /// long-running `arazzo-run mock` does not grow without bound.
    pub log_limit: usize,
    /// The largest response body sent, in bytes; a response that would be larger (a hostile
    /// schema, values an `Arazzo-Expect` header asks for) is answered `500` with an
    /// `application/problem+json` body saying so. Default: 16 MiB.
    pub max_response_bytes: usize,
    /// How long a client may take to send a request body once its headers have arrived;
    /// slower requests get `408`. Default: 30 s.
    pub body_read_timeout: std::time::Duration,
    /// What the HTTP server allows each connection (header read timeout, which also bounds
    /// idle keep-alive connections; write stall timeout; concurrent connections). Default:
    /// [`Limits::default`].
    pub limits: Limits,
    /// Called with every exchange as it completes (for live logging).
    pub on_exchange: Option<ExchangeHook>,
}

impl Default for MockOptions {
    fn default() -> Self {
        MockOptions {
            strict: false,
            max_body_bytes: 10 * 1024 * 1024,
            log_limit: 10_000,
            max_response_bytes: 16 * 1024 * 1024,
            body_read_timeout: std::time::Duration::from_secs(30),
            limits: Limits::default(),
            on_exchange: None,
        }
    }
}

impl std::fmt::Debug for MockOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockOptions")
            .field("strict", &self.strict)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("log_limit", &self.log_limit)
            .field("max_response_bytes", &self.max_response_bytes)
            .field("body_read_timeout", &self.body_read_timeout)
            .field("limits", &self.limits)
            .field("on_exchange", &self.on_exchange.is_some())
            .finish()
    }
}

/// A place where a request disagrees with the description.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Violation {
    /// Where the offending value is, JSONPath-like: `$.body.pet.id`, `$.query.limit`,
    /// `$.header.x-pd-environment`, `$.path.petId`, `$.cookie.session`.
    pub path: String,
    /// What is wrong with it.
    pub message: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// The operation a request was routed to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MatchedOperation {
    /// `operationId`, when the operation has one.
    pub operation_id: Option<String>,
    /// The method, upper-case.
    pub method: String,
    /// The path template, e.g. `/pets/{petId}`.
    pub path: String,
}

impl MatchedOperation {
    /// The operationId, else `METHOD /path/template`.
    pub fn label(&self) -> String {
        self.operation_id
            .clone()
            .unwrap_or_else(|| format!("{} {}", self.method, self.path))
    }
}

/// One request and what the mock made of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exchange {
    /// The request method.
    pub method: String,
    /// The request path, as sent (percent-encoded).
    pub path: String,
    /// The raw query string, if any.
    pub query: Option<String>,
    /// The operation matched; `None` for unknown paths and methods.
    pub operation: Option<MatchedOperation>,
    /// The status sent.
    pub status: u16,
    /// The documented response used (`200`, `2XX`, `default`), if any.
    pub response: Option<String>,
    /// How the request disagrees with the description.
    pub violations: Vec<Violation>,
    /// Other remarks: an undocumented `Prefer: code`, an example that does not match its
    /// schema, an `Accept` that could not be honoured…
    pub notes: Vec<String>,
}

impl std::fmt::Display for Exchange {
    /// `GET /pets/42 → 200 (getPet) [1 violation: $.query.limit: …] (note: …)`
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.method, self.path)?;
        if let Some(q) = &self.query {
            write!(f, "?{q}")?;
        }
        write!(f, " → {}", self.status)?;
        match &self.operation {
            Some(op) => write!(f, " ({})", op.label())?,
            None => write!(f, " (no operation)")?,
        }
        if !self.violations.is_empty() {
            let n = self.violations.len();
            let list: Vec<String> = self.violations.iter().map(ToString::to_string).collect();
            write!(
                f,
                " [{n} violation{}: {}]",
                if n == 1 { "" } else { "s" },
                list.join("; ")
            )?;
        }
        for note in &self.notes {
            write!(f, " (note: {note})")?;
        }
        Ok(())
    }
}

/// A mock server running on loopback. Dropping it stops the server too;
/// [`MockServer::shutdown`] also waits for open connections to close.
pub struct MockServer {
    mock: Arc<Mock>,
    addr: SocketAddr,
    server: arazzo_serve::Server,
}

impl std::fmt::Debug for MockServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockServer")
            .field("addr", &self.addr)
            .field("mock", &self.mock)
            .finish()
    }
}

impl MockServer {
    /// Serves `api` on `127.0.0.1:port` (port 0 picks a free port) until shut down. Runs on the
    /// caller's tokio runtime.
    pub async fn start(
        api: Arc<OpenApi>,
        store: Arc<Store>,
        options: MockOptions,
        port: u16,
    ) -> std::io::Result<MockServer> {
        MockServer::serve(Arc::new(Mock::new(api, store, options)), port).await
    }

    /// Serves an existing [`Mock`] on `127.0.0.1:port`. Sharing one `Mock` between servers (or
    /// runs) shares its caches of built operations, compiled validators and synthesized bodies,
    /// and its log.
    pub async fn serve(mock: Arc<Mock>, port: u16) -> std::io::Result<MockServer> {
        let server = server::start(Arc::clone(&mock), port).await?;
        Ok(MockServer {
            mock,
            addr: server.local_addr(),
            server,
        })
    }

    /// The base URL to use as the description's server, e.g. `http://127.0.0.1:41234`.
    /// Request paths are matched against the description's path templates directly (and, as a
    /// convenience, also with the description's own base path such as `/v1` in front).
    pub fn base_url(&self) -> Url {
        Url::parse(&format!("http://{}", self.addr))
            .expect("a socket address is a valid URL authority")
    }

    /// Where this mock answers the OAuth 2.0 token endpoint that a `tokenUrl` (or `refreshUrl`)
    /// of the description names: the same path (and query) on the mock's origin, whatever host
    /// the description gives. Point a client's token requests there to run offline; the mock
    /// issues a made-up bearer token to any client that authenticates. `None` when `token_url`
    /// is not a URL.
    pub fn token_url(&self, token_url: &str) -> Option<Url> {
        let path = oauth::token_path(token_url)?;
        let written = Url::parse("http://mock.invalid/")
            .ok()?
            .join(token_url.trim())
            .ok()?;
        let mut url = self.base_url();
        url.set_path(&path);
        url.set_query(written.query());
        Some(url)
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The mock behind the server.
    pub fn mock(&self) -> &Arc<Mock> {
        &self.mock
    }

    /// Every exchange so far, oldest first: method, path, query, matched operation, status, and
    /// the request's violations.
    pub fn log(&self) -> Vec<Exchange> {
        self.mock.log()
    }

    /// Stops the server and waits for it.
    pub async fn shutdown(self) {
        self.server.shutdown().await;
    }
}

/// A deterministic example value for `schema`, for a response (`writeOnly` properties are left
/// out). `base` is the URL of the document the schema lives in, against which its `$ref`s
/// resolve in `store`.
pub fn synthesize(schema: &Value, base: &Url, store: &Store) -> Value {
    synthesize_for(schema, base, store, Direction::Response)
}

/// Like [`synthesize`], for either side of an exchange (requests leave `readOnly` out).
pub fn synthesize_for(schema: &Value, base: &Url, store: &Store, direction: Direction) -> Value {
    synth::Synth::new(store, direction).value(base, schema)
}

/// Fills the required properties of a workflow `inputs` schema that `given` lacks: with the
/// property's `default`, else its `example`, else its first `enum` value, else a value generated
/// from its type, format and pattern. Returns the completed inputs and the names that were
/// synthesized (in schema order), so a report can say which inputs were made up.
///
/// `root` is the Arazzo document: inputs schemas may refer into it
/// (`$ref: '#/components/inputs/x'`).
pub fn synthesize_inputs(
    schema: &Value,
    root: &Value,
    given: &Map<String, Value>,
) -> (Map<String, Value>, Vec<String>) {
    let Ok(url) = Url::parse("file:///arazzo-document") else {
        return (given.clone(), Vec::new());
    };
    let refs = refs::OneDoc {
        url: url.clone(),
        root,
    };
    let mut synth = synth::Synth::new(&refs, Direction::Request).prefer_default();
    let missing = synth.missing_required(&url, schema, given);
    let mut out = given.clone();
    let mut names = Vec::new();
    for (name, value) in missing {
        names.push(name.clone());
        out.insert(name, value);
    }
    (out, names)
}

/// A value for one input of a workflow `inputs` schema, required or not: for a run in mock
/// mode that uses `$inputs.NAME` for an input the schema declares as optional and the user did
/// not give. `None` when the schema declares no such input. Same rules as [`synthesize_inputs`].
pub fn synthesize_input(schema: &Value, root: &Value, name: &str) -> Option<Value> {
    let url = Url::parse("file:///arazzo-document").ok()?;
    let refs = refs::OneDoc {
        url: url.clone(),
        root,
    };
    synth::Synth::new(&refs, Direction::Request)
        .prefer_default()
        .property(&url, schema, name)
}

/// Checks `value` against `schema` (an OpenAPI 2.0/3.0/3.1 schema living in the document at
/// `base`), with the rules of `direction` for `readOnly`/`writeOnly`, exactly as JSON Schema
/// reads it (the mock's own request checks read `oneOf` as `anyOf`; see `docs/mock.md`).
/// Violation paths start at `$`. `Err` says why the schema itself cannot be compiled, or why
/// the value was not validated: a schema whose `$ref`/`allOf`/`anyOf`/`oneOf`/`not` chains
/// are longer than 64 levels (or loop without descending into the value), or a value nested
/// so deeply that validating it could exhaust the stack (see `docs/mock.md#limits`).
pub fn validate_value(
    schema: &Value,
    base: &Url,
    store: &Store,
    value: &Value,
    direction: Direction,
) -> Result<Vec<Violation>, String> {
    let v = validate::compile(store, base, schema, direction, false).map_err(|e| e.to_string())?;
    v.violations(value, "$", 100)
}
