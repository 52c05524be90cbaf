//! The Arazzo executor: compile documents into plans, run them.
//!
//! Compile a document, then run one of its workflows. This example serves
//! the API itself on loopback (one canned response) so that it runs as a test:
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use arazzo_engine::{CompileOptions, Engine, Status};
//! use serde_json::json;
//! use tokio::io::{AsyncReadExt, AsyncWriteExt};
//!
//! // The API: answers every request with one pet.
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! let server = format!("http://{}", listener.local_addr()?);
//! tokio::spawn(async move {
//!     while let Ok((mut socket, _)) = listener.accept().await {
//!         let mut request = [0u8; 4096];
//!         let _ = socket.read(&mut request).await;
//!         let body = r#"{"id": 42, "name": "Rex", "status": "available"}"#;
//!         let head = format!(
//!             "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
//!             body.len()
//!         );
//!         let _ = socket.write_all(format!("{head}{body}").as_bytes()).await;
//!     }
//! });
//!
//! // The documents, as files (a source description is found by its URL).
//! let dir = std::env::temp_dir().join(format!("arazzo-engine-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir)?;
//! std::fs::write(dir.join("pets.openapi.yaml"), r#"
//! openapi: 3.1.0
//! info: {title: Pets, version: "1"}
//! servers: [{url: "https://pets.example.com"}]
//! paths:
//!   /pets/{petId}:
//!     get:
//!       operationId: getPet
//!       parameters: [{name: petId, in: path, required: true, schema: {type: integer}}]
//!       responses: {"200": {description: a pet}}
//! "#)?;
//! std::fs::write(dir.join("pets.arazzo.yaml"), r#"
//! arazzo: 1.0.1
//! info: {title: Pets, version: "1"}
//! sourceDescriptions: [{name: pets, url: ./pets.openapi.yaml, type: openapi}]
//! workflows:
//!   - workflowId: check-pet
//!     inputs: {type: object, properties: {petId: {type: integer}}, required: [petId]}
//!     steps:
//!       - stepId: get
//!         operationId: getPet
//!         parameters: [{name: petId, in: path, value: $inputs.petId}]
//!         successCriteria: [{condition: $statusCode == 200}]
//!         outputs: {status: $response.body#/status}
//!     outputs: {status: $steps.get.outputs.status}
//! "#)?;
//!
//! // Compile (every expression parsed, every operation resolved), pointing the
//! // `pets` source at the local server, then run.
//! let mut options = CompileOptions::default();
//! options.servers.insert("pets".into(), server.parse()?);
//! let location = dir.join("pets.arazzo.yaml").display().to_string();
//! let compiled = arazzo_engine::compile_location(&location, &options)
//!     .map_err(|d| format!("{} problems", d.len()))?;
//! assert!(!compiled.has_errors());
//! let engine = Engine::new(compiled.plan)?;
//! let outcome = engine.run("check-pet", json!({"petId": 42})).await?;
//! assert_eq!(outcome.status, Status::Succeeded);
//! assert_eq!(outcome.outputs["status"], "available");
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok(()) }
//! ```
//!
//! The pieces, in the order data flows through them:
//! - [`compile_location`] loads the document and its sources
//!   ([`arazzo_openapi::Sources`]) and [`compile()`]s them into a [`Plan`],
//!   reporting [`arazzo_model::Diagnostic`]s.
//! - [`Run`] executes workflows of a plan as a state machine that does no
//!   I/O: it hands out [`Command`]s and is fed their results; its
//!   [`RunState`] can be saved and resumed. [`drive`] feeds it through a
//!   [`Transport`] and a [`Clock`]; [`Engine`] wraps it all for embedders
//!   (with the default `http` feature: reqwest and tokio).
//! - [`report`] has the run report and the typed event stream.
//!
//! Public modules are the plan a run reads ([`plan`], [`inputs`]), the
//! report it writes ([`report`]) and, with the `mock` feature, `offline`;
//! everything else is re-exported here.
//!
//! Features: `http` (default) — the reqwest/tokio driver and fetching
//! documents over http(s); without it the crate needs no async runtime.
//! `xpath` (default) — XPath criteria. `mock` — `offline` runs against
//! generated mock servers.

mod auth;
mod compile;
mod context;
mod driver;
mod exchange;
pub mod inputs;
/// Offline runs against generated mock servers (`arazzo-run run --mock`);
/// with the `mock` feature.
#[cfg(feature = "mock")]
pub mod offline;
pub mod plan;
pub mod report;
mod run;
mod scope;
mod secrets;
mod xml;

use std::collections::HashMap;
use std::sync::Arc;

use arazzo_model::{Code, Diagnostic};
use arazzo_openapi::fetch::{DefaultFetcher, Fetcher, parse_location};
use arazzo_openapi::{DiskCache, DocCache, LoadOptions, Sources};
use url::Url;

pub use auth::{ClientAuth, Credential, CredentialError, Credentials, env_name};
pub use compile::{Compiled, compile};
pub use driver::{BoxFuture, Clock, Engine, EngineError, Outcome, Transport, drive, drive_until};
#[cfg(feature = "http")]
pub use driver::{HttpOptions, ReqwestTransport, TokioClock};
pub use exchange::{HttpResponse, TransportError};
pub use plan::Plan;
pub use report::{
    ActionRecord, ActionType, ContractProblem, DelaySource, Event, Failure, FailureKind, Place,
    Reason, ResponseCheck, RunError, RunReport, Status, StepRecord, WorkflowRecord,
};
pub use run::{
    CheckResponses, Command, ResumeError, Run, RunClock, RunOptions, RunState, STATE_VERSION,
    StartError, Tokens,
};
pub use secrets::{MASK, MAX_BASE64_LEN, MIN_LEN, Secrets};

/// Options for loading and compiling.
#[derive(Clone, Default)]
pub struct CompileOptions {
    /// How documents are fetched (files and http(s) by default).
    pub fetcher: Option<Arc<dyn Fetcher>>,
    /// Replacement locations for the root document's source descriptions, by name.
    pub source_urls: HashMap<String, String>,
    /// Server overrides for the root document's source descriptions, by name.
    pub servers: HashMap<String, Url>,
    /// Parsed documents shared across compilations.
    pub cache: Option<DocCache>,
    /// An on-disk cache of parsed descriptions, shared with later runs
    /// (none by default; the command line uses one): a large description
    /// whose bytes were seen before is read from it instead of parsed.
    pub disk_cache: Option<DiskCache>,
}

impl std::fmt::Debug for CompileOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompileOptions")
            .field("source_urls", &self.source_urls)
            .field("servers", &self.servers)
            .field("disk_cache", &self.disk_cache.as_ref().map(|c| c.dir()))
            .finish()
    }
}

/// Loads the Arazzo document at `location` (a path or URL), everything it
/// refers to, and compiles it.
///
/// `Err` carries the diagnostics when the document itself cannot be read or
/// is not an Arazzo document; otherwise the [`Compiled`] plan carries every
/// diagnostic (check [`Compiled::has_errors`] before running it).
pub fn compile_location(
    location: &str,
    options: &CompileOptions,
) -> Result<Compiled, Vec<Diagnostic>> {
    let default_fetcher: Arc<dyn Fetcher> = Arc::new(DefaultFetcher::default());
    let fetcher = options.fetcher.clone().unwrap_or(default_fetcher);
    let Some(url) = parse_location(location) else {
        return Err(vec![Diagnostic::error(
            Code::Io,
            format!("`{location}` is not a valid path or URL"),
        )]);
    };
    let fetched = fetcher
        .fetch(&url, None)
        .map_err(|e| vec![Diagnostic::error(Code::Io, e.to_string())])?;
    let name = if url.scheme() == "file" {
        location.to_string()
    } else {
        url.to_string()
    };
    compile_bytes(&name, url, &fetched.bytes, options)
}

/// `d` with the hint ``did you mean `NAME`?`` when one of `names` is close to `name`.
fn did_you_mean<'a>(
    d: Diagnostic,
    name: &str,
    names: impl IntoIterator<Item = &'a str>,
) -> Diagnostic {
    match arazzo_model::suggest::closest(name, names) {
        Some(close) => d.hint(format!("did you mean `{close}`?")),
        None => d,
    }
}

/// Compiles a document already in memory; `url` is its base for relative references.
pub fn compile_bytes(
    name: &str,
    url: Url,
    bytes: &[u8],
    options: &CompileOptions,
) -> Result<Compiled, Vec<Diagnostic>> {
    let default_fetcher: Arc<dyn Fetcher> = Arc::new(DefaultFetcher::default());
    let fetcher = options.fetcher.clone().unwrap_or(default_fetcher);
    let (doc, mut diags) = arazzo_model::check(name, bytes);
    let Some(doc) = doc else {
        return Err(diags);
    };
    let mut source_urls = HashMap::new();
    for (source, loc) in &options.source_urls {
        if doc.source_description(source).is_none() {
            let names = doc.source_descriptions.iter().map(|s| s.name.as_str());
            diags.push(did_you_mean(
                Diagnostic::error(
                    Code::UnknownSource,
                    format!("the document has no source description `{source}`"),
                ),
                source,
                names,
            ));
            continue;
        }
        match parse_location(loc) {
            Some(u) => {
                source_urls.insert(source.clone(), u);
            }
            None => diags.push(Diagnostic::error(
                Code::Io,
                format!("`{loc}` is not a valid path or URL"),
            )),
        }
    }
    let load = LoadOptions {
        fetcher: fetcher.as_ref(),
        limits: Default::default(),
        source_urls,
        cache: options.cache.clone(),
        disk_cache: options.disk_cache.clone(),
    };
    let sources = Arc::new(Sources::load(Arc::new(doc), url, &load));
    let mut compiled = compile::compile(sources);
    for (source, server) in &options.servers {
        if !compiled.plan.set_server(source, server.clone()) {
            let names = compiled.plan.docs.first().map(|d| d.apis.keys());
            diags.push(did_you_mean(
                Diagnostic::error(
                    Code::UnknownSource,
                    format!("the document has no OpenAPI source description `{source}`"),
                ),
                source,
                names.into_iter().flatten().map(String::as_str),
            ));
        }
    }
    diags.append(&mut compiled.diagnostics);
    arazzo_model::diag::sort(&mut diags);
    diags.dedup_by(|a, b| {
        a.code == b.code && a.message == b.message && a.position() == b.position()
    });
    compiled.diagnostics = diags;
    Ok(compiled)
}
