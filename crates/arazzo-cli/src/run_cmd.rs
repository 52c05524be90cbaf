//! `arazzo-run run`: execute workflows and report what happened.

use std::collections::HashMap;
use std::io::Write;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use arazzo_engine::inputs::coerce_text;
use arazzo_engine::report::{Event, RunReport, Status};
use arazzo_engine::{CompileOptions, Credentials, Engine, RunOptions};
use arazzo_model::Diagnostic;
use serde_json::{Map, Value};
use url::Url;

use crate::exit;
use crate::output::color_enabled;
use crate::pretty::Pretty;

/// How `run` prints progress and results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RunFormat {
    /// Live progress lines and a summary, for people (the default on a terminal).
    Pretty,
    /// One JSON report on standard output, for machines (see docs/report-schema.json).
    Json,
}

/// Arguments of `arazzo-run run`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  arazzo-run run pets.arazzo.yaml --input petId=42
  arazzo-run run pets.arazzo.yaml --workflow adopt --inputs inputs.yaml --server petstore=http://localhost:8080
  arazzo-run run pets.arazzo.yaml --mock                       # offline, against a generated mock
  arazzo-run run pets.arazzo.yaml --format json > report.json

Exit codes: 0 every selected workflow succeeded, 1 a workflow failed,
            2 invalid document, invalid inputs or bad usage.")]
pub struct RunArgs {
    /// The Arazzo document (YAML or JSON), a path or an http(s) URL.
    #[arg(value_name = "FILE")]
    pub file: String,

    /// Run only this workflow (repeatable). Without it, every workflow runs in
    /// document order; workflows listed in `dependsOn` run first either way.
    #[arg(short, long = "workflow", value_name = "ID")]
    pub workflows: Vec<String>,

    /// An input value, NAME=VALUE (repeatable). Typed by the workflow's input
    /// schema: string inputs keep the text as is, others parse as JSON
    /// (`--input count=3`, `--input tags='["a","b"]'`).
    #[arg(short, long = "input", value_name = "NAME=VALUE")]
    pub inputs: Vec<String>,

    /// A JSON or YAML file of inputs (an object); `-` reads standard input.
    /// `--input` values win over the file.
    #[arg(long = "inputs", value_name = "FILE")]
    pub inputs_file: Option<String>,

    /// Send a source description's requests to another server, SOURCE=URL
    /// (repeatable). OAuth2 token URLs on the described server's origin follow.
    #[arg(long = "server", value_name = "SOURCE=URL")]
    pub servers: Vec<String>,

    /// Load a source description from another path or URL, SOURCE=PATH (repeatable).
    #[arg(long = "source", value_name = "SOURCE=PATH")]
    pub sources: Vec<String>,

    /// A credential for a security scheme of the OpenAPI description
    /// (repeatable): SCHEME=VALUE for an API key, bearer or access token;
    /// SCHEME.username=… and SCHEME.password=… for HTTP Basic;
    /// SCHEME.client_id=… and SCHEME.client_secret=… (and optionally
    /// SCHEME.scope=…) for OAuth2 client credentials, where arazzo-run fetches
    /// and refreshes the token itself. Environment variables work too:
    /// ARAZZO_AUTH_<SCHEME>, ARAZZO_AUTH_<SCHEME>_CLIENT_ID, … (scheme name
    /// upper-cased, other characters as `_`).
    #[arg(long = "auth", value_name = "SCHEME=VALUE")]
    pub auth: Vec<String>,

    /// Output format. Default: pretty.
    #[arg(long, value_enum, default_value_t = RunFormat::Pretty)]
    pub format: RunFormat,

    /// Also write the JSON report to this file.
    #[arg(long, value_name = "FILE")]
    pub report: Option<String>,

    /// Also write a JUnit XML report (a test suite per workflow, a test case per step execution).
    #[arg(long, value_name = "FILE")]
    pub junit: Option<String>,

    /// Show request and response headers (-v) and bodies too (-vv); secrets masked.
    #[arg(short, long, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// Run offline: serve every OpenAPI source from a generated mock server on
    /// loopback, and synthesize required inputs that were not given.
    #[arg(long)]
    pub mock: bool,

    /// With --mock: answer requests that violate their operation with 400, so the step fails.
    #[arg(long, requires = "mock")]
    pub mock_strict: bool,

    /// Per-request timeout in seconds (a step's own `timeout` wins).
    #[arg(long, value_name = "SECONDS", default_value_t = 30.0)]
    pub timeout: f64,

    /// Time limit for the whole run, in seconds.
    #[arg(long, value_name = "SECONDS")]
    pub run_timeout: Option<f64>,

    /// Most steps one run may execute (guards against goto loops).
    #[arg(long, value_name = "N", default_value_t = 1000)]
    pub max_steps: u64,

    /// Longest wait before a retry, in seconds (a longer Retry-After is cut).
    #[arg(long, value_name = "SECONDS", default_value_t = 300.0)]
    pub max_retry_delay: f64,

    /// Accept invalid TLS certificates (only for test servers).
    #[arg(long)]
    pub insecure: bool,
}

fn split_pair<'a>(flag: &str, s: &'a str) -> Result<(&'a str, &'a str), String> {
    s.split_once('=')
        .filter(|(k, _)| !k.is_empty())
        .ok_or_else(|| format!("{flag} expects NAME=VALUE, got `{s}`"))
}

/// Runs `arazzo-run run`.
pub fn run(args: RunArgs) -> ExitCode {
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return exit::code(exit::FAILURE);
        }
    };
    rt.block_on(run_async(args))
}

fn usage(msg: impl std::fmt::Display) -> ExitCode {
    let color = color_enabled(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    let prefix = if color {
        "\x1b[1;31merror\x1b[0m"
    } else {
        "error"
    };
    let _ = writeln!(anstream::stderr(), "{prefix}: {msg}");
    exit::code(exit::INVALID)
}

async fn run_async(args: RunArgs) -> ExitCode {
    let stderr_color = color_enabled(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    // Flags.
    let mut opts = CompileOptions::default();
    for s in &args.sources {
        match split_pair("--source", s) {
            Ok((k, v)) => {
                opts.source_urls.insert(k.to_string(), v.to_string());
            }
            Err(e) => return usage(e),
        }
    }
    let mut servers: Vec<(String, Url)> = Vec::new();
    for s in &args.servers {
        let (k, v) = match split_pair("--server", s) {
            Ok(x) => x,
            Err(e) => return usage(e),
        };
        match Url::parse(v) {
            Ok(u) if matches!(u.scheme(), "http" | "https") => servers.push((k.to_string(), u)),
            _ => return usage(format!("--server {k}=…: `{v}` is not an http(s) URL")),
        }
    }
    opts.servers = servers.iter().cloned().collect();
    let mut creds = Credentials::new();
    for a in &args.auth {
        let (k, v) = match split_pair("--auth", a) {
            Ok(x) => x,
            Err(e) => return usage(e),
        };
        if let Err(e) = creds.set(k, v) {
            return usage(format!("--auth {k}=…: {e}"));
        }
    }
    // Inputs (raw text from --input, values from --inputs).
    let mut file_inputs = Map::new();
    if let Some(path) = &args.inputs_file {
        let (name, bytes) = match crate::input::read(path) {
            Ok(x) => x,
            Err(d) => return usage(d.message),
        };
        match arazzo_model::load::load(&name, &bytes) {
            Ok(l) => match l.value {
                Value::Object(m) => file_inputs = m,
                Value::Null => {}
                _ => {
                    return usage(format!(
                        "{name}: the inputs file must hold an object of NAME: VALUE"
                    ));
                }
            },
            Err(d) => {
                let _ = writeln!(anstream::stderr(), "{}", d.render(stderr_color));
                return exit::code(exit::INVALID);
            }
        }
    }
    let mut raw_inputs: Vec<(String, String)> = Vec::new();
    for i in &args.inputs {
        match split_pair("--input", i) {
            Ok((k, v)) => raw_inputs.push((k.to_string(), v.to_string())),
            Err(e) => return usage(e),
        }
    }

    // Load and compile.
    let compiled = match arazzo_engine::compile_location(&args.file, &opts) {
        Ok(c) => c,
        Err(diags) => return print_invalid(&diags, stderr_color, &[]),
    };
    // Which workflows.
    let selected: Vec<String> = if args.workflows.is_empty() {
        compiled
            .plan
            .root_workflows()
            .map(|(_, w)| w.id.clone())
            .collect()
    } else {
        for w in &args.workflows {
            if compiled.plan.workflow_index(w).is_none() {
                if compiled.has_errors() {
                    return print_invalid(&compiled.diagnostics, stderr_color, &[]);
                }
                let ids: Vec<String> = compiled
                    .plan
                    .root_workflows()
                    .map(|(_, w)| w.id.clone())
                    .collect();
                let hint = arazzo_model::suggest::closest(w, ids.iter().map(String::as_str))
                    .map(|c| format!(" (did you mean `{c}`?)"))
                    .unwrap_or_else(|| format!("; the workflows are: {}", ids.join(", ")));
                return usage(format!("there is no workflow `{w}`{hint}"));
            }
        }
        args.workflows.clone()
    };
    // Errors stop the run unless every one of them lies in a workflow that the
    // named workflows do not reach (docs/semantics.md#errors-and-workflows).
    if compiled.has_errors() {
        let blocked = args.workflows.is_empty()
            || selected
                .iter()
                .any(|w| !compiled.errors_blocking(w).is_empty());
        if blocked {
            let runnable: Vec<String> = compiled
                .plan
                .root_workflows()
                .filter(|(_, w)| compiled.errors_blocking(&w.id).is_empty())
                .map(|(_, w)| w.id.clone())
                .collect();
            return print_invalid(&compiled.diagnostics, stderr_color, &runnable);
        }
        let others = compiled.diagnostics.iter().filter(|d| d.is_error()).count();
        if args.format == RunFormat::Pretty {
            let _ = writeln!(
                anstream::stderr(),
                "{others} error{} in workflows that {} not run (run `arazzo-run validate {}` to see them)",
                if others == 1 { "" } else { "s" },
                if selected.len() == 1 {
                    "this one does"
                } else {
                    "these do"
                },
                args.file
            );
        }
    }
    let mut plan = compiled.plan;
    let warnings: Vec<Diagnostic> = compiled
        .diagnostics
        .into_iter()
        .filter(|d| !d.is_error())
        .collect();
    if args.verbose > 0 && args.format == RunFormat::Pretty {
        for w in &warnings {
            let _ = writeln!(anstream::stderr(), "{}\n", w.render(stderr_color));
        }
    } else if !warnings.is_empty() && args.format == RunFormat::Pretty {
        let _ = writeln!(
            anstream::stderr(),
            "{} warning{} in the document (run `arazzo-run validate {}` to see them)",
            warnings.len(),
            if warnings.len() == 1 { "" } else { "s" },
            args.file
        );
    }

    // Mock servers.
    // What the mock said of each exchange: violations (true) and notes (false).
    let violations: Arc<Mutex<Vec<(bool, String)>>> = Arc::new(Mutex::new(Vec::new()));
    let mut offline = None;
    if args.mock {
        let sink = violations.clone();
        let hook: Arc<dyn Fn(&arazzo_mock::Exchange) + Send + Sync> =
            Arc::new(move |x: &arazzo_mock::Exchange| {
                if let Ok(mut v) = sink.lock() {
                    for violation in &x.violations {
                        v.push((true, format!("{} {}: {violation}", x.method, x.path)));
                    }
                    for note in &x.notes {
                        v.push((false, format!("{} {}: {note}", x.method, x.path)));
                    }
                }
            });
        match arazzo_engine::offline::Offline::start(&mut plan, args.mock_strict, Some(hook)).await {
            Ok(o) => offline = Some(o),
            Err(e) => return usage(format!("cannot start a mock server: {e}")),
        }
    }

    // Inputs per workflow, typed by each one's schema; check required ones.
    let mut requests = Vec::new();
    let mut synthesized: HashMap<String, Vec<String>> = HashMap::new();
    let mut missing_report = Vec::new();
    for id in &selected {
        let Some(wi) = plan.workflow_index(id) else {
            continue;
        };
        let wf = &plan.workflows[wi];
        let props = wf.inputs.properties();
        let mut inputs = file_inputs.clone();
        for (k, v) in &raw_inputs {
            let ty = props
                .iter()
                .find(|p| &p.name == k)
                .and_then(|p| p.ty.clone());
            inputs.insert(k.clone(), coerce_text(v, ty.as_deref()));
        }
        if args.mock {
            let (filled, names) = arazzo_engine::offline::inputs_for(&plan, wi, &inputs);
            inputs = filled;
            if !names.is_empty() {
                synthesized.insert(id.clone(), names);
            }
        } else {
            let missing = wf.inputs.missing(&inputs);
            if !missing.is_empty() {
                missing_report.push((id.clone(), missing));
            }
        }
        requests.push((id.clone(), inputs));
    }
    if !missing_report.is_empty() {
        let mut err = anstream::stderr();
        for (id, missing) in &missing_report {
            let _ = writeln!(
                err,
                "error: workflow `{id}` is missing required input{}:",
                if missing.len() == 1 { "" } else { "s" }
            );
            for m in missing {
                let desc = m
                    .description
                    .as_deref()
                    .map(|d| format!(" — {d}"))
                    .unwrap_or_default();
                let ty =
                    m.ty.as_deref()
                        .map(|t| format!(" ({t})"))
                        .unwrap_or_default();
                let _ = writeln!(err, "  {}{ty}{desc}", m.name);
            }
        }
        let _ = writeln!(
            err,
            "\nsupply them with --input NAME=VALUE or --inputs FILE (or run with --mock to synthesize them)"
        );
        return exit::code(exit::INVALID);
    }

    // Credentials from the environment, for every scheme the plan knows.
    let schemes: Vec<String> = plan
        .apis
        .iter()
        .flat_map(|a| a.schemes.keys().cloned())
        .collect();
    creds.add_env(schemes.iter().map(String::as_str), &|k: &str| {
        std::env::var(k).ok()
    });
    if let Some(s) = creds.incomplete().first() {
        return usage(format!(
            "--auth {s}.…: incomplete credential; give both client_id and client_secret, or username and password"
        ));
    }

    let run_opts = RunOptions {
        request_timeout: Duration::from_secs_f64(args.timeout.max(0.001)),
        run_timeout: args
            .run_timeout
            .map(|s| Duration::from_secs_f64(s.max(0.001))),
        max_steps: args.max_steps,
        max_retry_delay: Duration::from_secs_f64(args.max_retry_delay.max(0.0)),
        prefer_expected_status: args.mock,
        warn_missing_credentials: !args.mock,
        ..RunOptions::default()
    };
    let transport = match arazzo_engine::ReqwestTransport::new(&arazzo_engine::HttpOptions {
        insecure: args.insecure,
        ..arazzo_engine::HttpOptions::default()
    }) {
        Ok(t) => t,
        Err(e) => return usage(format!("cannot create the HTTP client: {e}")),
    };
    let engine = match Engine::new(plan) {
        Ok(e) => e
            .with_credentials(creds)
            .with_options(run_opts)
            .with_transport(Arc::new(transport)),
        Err(e) => return usage(e),
    };

    let pretty = args.format == RunFormat::Pretty;
    let stdout_tty = std::io::IsTerminal::is_terminal(&std::io::stdout());
    let mut view = Pretty::new(
        color_enabled(stdout_tty),
        stdout_tty && pretty,
        args.verbose,
        engine.plan().clone(),
    );
    let mock_warnings: Arc<Mutex<Vec<(String, String)>>> = Arc::new(Mutex::new(Vec::new()));
    let result = {
        let violations = violations.clone();
        let mock_warnings = mock_warnings.clone();
        let mut on_event = |e: Event| {
            if args.mock
                && let Event::ResponseReceived {
                    workflow_id,
                    step_id,
                    ..
                } = &e
            {
                let drained: Vec<(bool, String)> = violations
                    .lock()
                    .map(|mut v| std::mem::take(&mut *v))
                    .unwrap_or_default();
                for (violation, v) in drained {
                    // Notes (an example skipped, an expected value the schema forbids)
                    // explain the mock's answer: shown with -v, not warnings.
                    if !violation {
                        if pretty && args.verbose > 0 {
                            view.note(&format!("mock: step `{step_id}`: {v}"));
                        }
                        continue;
                    }
                    let msg = format!(
                        "mock: step `{step_id}`: request does not match the description: {v}"
                    );
                    if pretty {
                        view.warning(&msg);
                    }
                    if let Ok(mut w) = mock_warnings.lock() {
                        w.push((workflow_id.clone(), msg));
                    }
                }
            }
            if pretty {
                view.event(&e);
            }
        };
        engine.run_all(requests, &mut on_event).await
    };
    if let Some(o) = offline {
        o.shutdown().await;
    }
    let mut report: RunReport = match result {
        Ok(r) => r,
        Err(e) => return usage(e),
    };
    for w in report.workflows.iter_mut() {
        if let Some(names) = synthesized.get(&w.workflow_id)
            && w.reason == "requested"
        {
            w.synthesized_inputs = names.clone();
        }
    }
    if let Ok(list) = mock_warnings.lock() {
        for (wf, msg) in list.iter() {
            if let Some(w) = report.workflows.iter_mut().find(|w| &w.workflow_id == wf) {
                w.warnings.push(msg.clone());
            }
        }
    }

    // Output.
    let json = serde_json::to_string_pretty(&report).unwrap_or_else(|_| "{}".into());
    if pretty {
        view.summary(&report);
    } else {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{json}");
    }
    if let Some(path) = &args.report
        && let Err(e) = std::fs::write(path, format!("{json}\n"))
    {
        let _ = writeln!(
            anstream::stderr(),
            "error: cannot write the report to {path}: {e}"
        );
        return exit::code(exit::FAILURE);
    }
    if let Some(path) = &args.junit
        && let Err(e) = std::fs::write(path, crate::junit::render(&report))
    {
        let _ = writeln!(
            anstream::stderr(),
            "error: cannot write the JUnit report to {path}: {e}"
        );
        return exit::code(exit::FAILURE);
    }
    let ok = report
        .workflows
        .iter()
        .filter(|w| w.reason == "requested")
        .all(|w| w.status == Status::Succeeded)
        && report.workflows.iter().any(|w| w.reason == "requested");
    exit::code(if ok { exit::SUCCESS } else { exit::FAILURE })
}

/// Prints the diagnostics of a document that cannot run as asked; `runnable`
/// names the workflows its errors do not reach, which `--workflow` can still run.
fn print_invalid(diags: &[Diagnostic], color: bool, runnable: &[String]) -> ExitCode {
    let mut err = anstream::stderr();
    for d in diags {
        let _ = writeln!(err, "{}\n", d.render(color));
    }
    let (errors, warnings) = arazzo_model::diag::count(diags);
    let _ = writeln!(
        err,
        "the document is invalid ({errors} error{}, {warnings} warning{}); nothing was run",
        if errors == 1 { "" } else { "s" },
        if warnings == 1 { "" } else { "s" }
    );
    if !runnable.is_empty() {
        let _ = writeln!(
            err,
            "the errors do not reach {}: run {} with --workflow",
            runnable
                .iter()
                .map(|w| format!("`{w}`"))
                .collect::<Vec<_>>()
                .join(", "),
            if runnable.len() == 1 { "it" } else { "them" }
        );
    }
    exit::code(exit::INVALID)
}
