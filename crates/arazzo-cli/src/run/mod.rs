//! `arazzo-run run`: execute workflows and report what happened.
//!
//! The data flows one way: [`args`] (the flags, parsed and typed) →
//! [`request`] (what to run, decided from the flags, the environment and the
//! compiled document) → [`execute`] (compile, mock, engine, report) →
//! [`present`] (progress, summary or JSON, report files, exit code). Each
//! stage returns a [`Stop`] when the run cannot go on; only [`present`] prints,
//! and every byte it writes leaves through [`edge`], masked with the run's
//! secrets.

mod args;
mod codes;
mod dotenv;
mod edge;
mod execute;
mod files;
mod har;
mod headers;
mod junit;
mod many;
mod present;
mod pretty;
mod request;
mod tap;

use std::process::ExitCode;
use std::sync::{Arc, OnceLock};

use arazzo_engine::inputs::{InputError, InputInfo};
use arazzo_model::Diagnostic;

use edge::Edge;

pub use args::RunArgs;
pub use codes::CodePolicy;
pub use present::FlagHints;

/// Why a run stops before its workflows run, or why it fails after.
pub enum Stop {
    /// Bad usage: a malformed flag, an unknown workflow, an incomplete
    /// credential, a mock or client that cannot start (exit 2).
    Usage(String),
    /// The `--inputs` file is not YAML or JSON (exit 2).
    Unreadable(Diagnostic),
    /// The document is invalid for this run; `runnable` names the workflows
    /// its errors do not reach (exit 2).
    Invalid {
        /// Every finding of the document.
        diagnostics: Vec<Diagnostic>,
        /// Workflows that `--workflow` can still run.
        runnable: Vec<String>,
    },
    /// Workflows lack required inputs (exit 2).
    MissingInputs(Vec<(String, Vec<InputInfo>)>),
    /// Workflows were given inputs their schemas reject (exit 2); the
    /// messages never quote a secret input.
    InvalidInputs(Vec<(String, Vec<InputError>)>),
    /// Something outside the document failed: the runtime, a report file (exit 1).
    Failure(String),
}

/// Runs `arazzo-run run`.
pub fn run(args: RunArgs) -> ExitCode {
    let edge = Edge::new();
    // One document runs on the calling thread: its steps are sequential, and
    // worker threads cost a short run more than they give it (their start,
    // and a wake-up across threads for every response). Several documents
    // run concurrently, so they get a worker per core.
    let one_document = matches!(args.files.as_slice(), [f] if std::path::Path::new(f).is_file());
    let rt = if one_document {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
    };
    match rt {
        Ok(rt) => {
            let code = rt.block_on(run_async(args, &edge));
            // Everything the run shows and writes is done. Dropping the
            // runtime would wait for its blocking threads — a DNS lookup a
            // time limit or a signal abandoned, which the system may take
            // seconds to give up — and hold the exit back that long.
            rt.shutdown_background();
            code
        }
        Err(e) => present::stop(
            &edge,
            Stop::Failure(format!("cannot start the async runtime: {e}")),
        ),
    }
}

/// Runs the stages in order and shows why the run stopped, if it did.
async fn run_async(args: RunArgs, edge: &Edge) -> ExitCode {
    run_stages(&args, edge).await.unwrap_or_else(|stop| {
        // `--format json`: one JSON document on standard output, also
        // when the run stops before it has a report (docs/cli.md#json-on-failure).
        if args.format == args::RunFormat::Json {
            use std::io::Write;
            let mut out = edge.stdout_json();
            let _ = serde_json::to_writer_pretty(&mut out, &crate::output::stop_document(&stop));
            let _ = writeln!(out);
            let _ = out.flush();
        }
        present::stop(edge, stop)
    })
}

/// What every document of a run shares: the parsed flags, the environment
/// (the process's over `--env-file`'s), the `--header` headers.
#[derive(Clone)]
pub struct Shared {
    /// The flags, parsed once (the `--inputs` file read once).
    flags: args::Flags,
    /// The `--env-file` variables, if one was given.
    env_file: Option<dotenv::EnvFile>,
    /// The `--header` values.
    headers: Vec<headers::ExtraHeader>,
}

impl Shared {
    /// `key` from the process environment, else from the `--env-file`.
    fn env(&self, key: &str) -> Option<String> {
        std::env::var(key)
            .ok()
            .or_else(|| self.env_file.as_ref()?.get(key).map(str::to_string))
    }

    /// Shows what the on-disk cache did while a document compiled (`-v`),
    /// on standard error through the masking edge.
    fn cache_notes(&self, edge: &Edge, args: &RunArgs) {
        let cache = self.flags.compile.disk_cache.as_ref();
        crate::cache::show_notes(cache, args.verbose > 0, &mut edge.stderr());
    }
}

/// The documents → per document: flags → request → execution →
/// presentation. The edge's secrets grow as they become known: the `--auth`
/// credentials and `--header` values, then the environment's and the
/// secret inputs, then what the run learns (tokens).
async fn run_stages(args: &RunArgs, edge: &Edge) -> Result<ExitCode, Stop> {
    let result = run_documents(args, edge).await;
    // `--format tap`: a stream with its plan whatever happened.
    if let (Err(stop), args::RunFormat::Tap) = (&result, args.format) {
        let why = many::Refusal::of(stop);
        let file = args.files.join(" ");
        let stopped = tap::TapDoc::Stopped(&file, why.message().to_string());
        present::print_stdout(edge, &tap::render(&[stopped], false), edge::Net::Plain);
    }
    result
}

/// [`run_stages`] until a stop.
async fn run_documents(args: &RunArgs, edge: &Edge) -> Result<ExitCode, Stop> {
    let documents = files::expand(&args.files)?;
    let mut flags = args::parse(args)?;
    flags.credentials = flags.credentials.with_shared_secrets(edge.secrets());
    // Fills the shared set with the `--auth` values.
    flags.credentials.secrets();
    let headers = headers::parse(&args.headers)?;
    let mut secrets = edge.secrets();
    for h in &headers {
        secrets.add(&h.value);
    }
    let env_file = match &args.env_file {
        Some(path) => Some(dotenv::EnvFile::read(path)?),
        None => None,
    };
    let shared = Shared {
        flags,
        env_file,
        headers,
    };
    let mut interrupts = Interrupts::listen_later();
    if let [file] = documents.as_slice() {
        let mut args = args.clone();
        args.file = file.clone();
        let compiled = execute::compile(file, &shared.flags.compile);
        shared.cache_notes(edge, &args);
        let compiled = compiled?;
        let done = run_document(&args, edge, &shared, compiled, &mut interrupts).await?;
        return Ok(present::finish(edge, &args, done, interrupts.stopped()));
    }
    many::run(args, edge, &shared, &documents, &mut interrupts).await
}

/// Runs one compiled document with `args` (its `file` and the workflows
/// selected in it): scope, request, execution, and the summary.
async fn run_document(
    args: &RunArgs,
    edge: &Edge,
    shared: &Shared,
    mut compiled: arazzo_engine::Compiled,
    interrupts: &mut Interrupts,
) -> Result<present::Concluded, Stop> {
    let flags = &shared.flags;
    let policy = CodePolicy::parse(&args.deny, &args.allow).map_err(Stop::Usage)?;
    compiled.diagnostics = policy.apply(std::mem::take(&mut compiled.diagnostics));
    let scoped = request::scope(compiled, &args.workflows)?;
    headers::check_sources(&shared.headers, &headers::source_names(&scoped.plan))?;
    present::notices(edge, args, &scoped);
    let warnings = args::check_input_names(flags, &scoped.plan, &scoped.workflows)?;
    present::warnings(edge, &warnings);
    let doc_warnings = scoped.warnings.clone();
    let request = request::build(args, flags.clone(), scoped, &|k| shared.env(k))?;
    let mut presenter = present::Presenter::new(edge, args, &request.plan, &doc_warnings);
    let stop = interrupts.stop();
    let (report, plan) = execute::execute(
        request,
        &shared.headers,
        &mut |p| presenter.progress(p),
        stop,
    )
    .await?;
    Ok(presenter.conclude(report, &plan, args, interrupts.stopped()))
}

/// A signal that stopped a run: the run ends cleanly (the request in flight
/// cancelled, the summary and the report files written with what happened)
/// and the process exits with 128 and the signal's number, as shells report
/// a process the signal killed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interruption {
    /// SIGINT (Ctrl-C): exit 130.
    Interrupt,
    /// SIGTERM: exit 143.
    Terminate,
}

impl Interruption {
    /// The exit code: 130 for SIGINT, 143 for SIGTERM.
    pub fn exit_code(self) -> u8 {
        match self {
            Interruption::Interrupt => 130,
            Interruption::Terminate => 143,
        }
    }

    /// The signal's name.
    pub fn signal(self) -> &'static str {
        match self {
            Interruption::Interrupt => "SIGINT",
            Interruption::Terminate => "SIGTERM",
        }
    }

    /// The error of the interrupted step and workflows.
    fn reason(self) -> String {
        match self {
            Interruption::Interrupt => "the run was interrupted by SIGINT (Ctrl-C)".into(),
            Interruption::Terminate => "the run was stopped by SIGTERM".into(),
        }
    }
}

/// Listens for SIGINT and SIGTERM while a run runs. The first stops the run
/// ([`Interrupts::stop`]), and no further document starts; a second one
/// exits at once, with its own code. Before listening starts (loading and
/// compiling the first document), a signal has its usual effect: nothing is
/// written yet.
pub struct Interrupts {
    /// The first signal, once it comes (`None` until listening starts).
    first: Option<tokio::sync::watch::Receiver<Option<Interruption>>>,
    /// The signal that stopped the run, once the run saw it.
    stopped: Arc<OnceLock<Interruption>>,
}

impl Interrupts {
    /// Listens from the first call to [`Interrupts::stop`] on.
    fn listen_later() -> Interrupts {
        Interrupts {
            first: None,
            stopped: Arc::default(),
        }
    }

    /// Starts listening (on the current runtime). If the signals cannot be
    /// watched, runs are simply not stoppable this way.
    fn listen(&mut self) {
        let (tx, rx) = tokio::sync::watch::channel(None);
        if let Ok(mut signals) = Signals::install() {
            tokio::spawn(async move {
                let Some(first) = signals.next().await else {
                    return;
                };
                let _ = tx.send(Some(first));
                // A second signal while the run winds down: leave now.
                if let Some(second) = signals.next().await {
                    std::process::exit(i32::from(second.exit_code()));
                }
            });
        }
        self.first = Some(rx);
    }

    /// Completes with the reason to stop when the first signal comes (never,
    /// if none does), and remembers that it stopped the run.
    fn stop(&mut self) -> impl Future<Output = String> + Send + 'static {
        if self.first.is_none() {
            self.listen();
        }
        let first = self.first.clone();
        let stopped = self.stopped.clone();
        async move {
            let Some(mut rx) = first else {
                return std::future::pending().await;
            };
            match rx.wait_for(Option::is_some).await.map(|s| *s) {
                Ok(Some(signal)) => {
                    let _ = stopped.set(signal);
                    signal.reason()
                }
                _ => std::future::pending().await,
            }
        }
    }

    /// The signal that stopped the run, if one did — also one that came
    /// between two documents, when no run was listening for it.
    fn stopped(&self) -> Option<Interruption> {
        if let Some(s) = self.stopped.get() {
            return Some(*s);
        }
        let signal = (*self.first.as_ref()?.borrow())?;
        let _ = self.stopped.set(signal);
        Some(signal)
    }
}

/// SIGINT and SIGTERM, watched.
#[cfg(unix)]
struct Signals {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl Signals {
    fn install() -> std::io::Result<Signals> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Signals {
            interrupt: signal(SignalKind::interrupt())?,
            terminate: signal(SignalKind::terminate())?,
        })
    }

    /// The next signal; `None` when they can no longer be watched.
    async fn next(&mut self) -> Option<Interruption> {
        tokio::select! {
            s = self.interrupt.recv() => s.map(|()| Interruption::Interrupt),
            s = self.terminate.recv() => s.map(|()| Interruption::Terminate),
        }
    }
}

/// Ctrl-C, watched (other platforms have no SIGTERM to catch).
#[cfg(not(unix))]
struct Signals;

#[cfg(not(unix))]
impl Signals {
    fn install() -> std::io::Result<Signals> {
        Ok(Signals)
    }

    /// The next Ctrl-C; `None` when it can no longer be watched.
    async fn next(&mut self) -> Option<Interruption> {
        tokio::signal::ctrl_c()
            .await
            .ok()
            .map(|()| Interruption::Interrupt)
    }
}
