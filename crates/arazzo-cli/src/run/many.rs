//! Several documents in one run (`arazzo-run run a.arazzo.yaml flows/ 'x/*.yaml'`):
//! each compiled and run on its own, one after the other, in the order
//! named; one aggregated summary, JSON report, JUnit file, TAP stream and
//! HAR archive.
//!
//! Names given on the command line are checked against all the documents:
//! a `--workflow` id, an `--auth` scheme, a `--server`/`--source`/`--header`
//! source no document has is a usage error (exit 2) before anything runs.
//! Each document then gets the ones it knows: the workflows it has among
//! those named (a document with none of them is left out), the credentials
//! of its schemes, the overrides of its sources. A document that cannot run
//! (invalid, missing inputs) is reported as an error and the others still
//! run; the exit code is then 2.

use std::io::Write;
use std::process::ExitCode;
use std::time::SystemTime;

use arazzo_engine::Compiled;
use arazzo_engine::report::REPORT_VERSION;
use serde_json::{Value, json};

use super::args::{RunArgs, RunFormat};
use super::edge::{Edge, Net, clean_line};
use super::har::{Har, rfc3339};
use super::junit::JunitDoc;
use super::present::{self, Concluded};
use super::tap::TapDoc;
use super::{Interrupts, Shared, Stop, execute, headers};
use crate::exit;

/// A document as named, its root source names (when they could be read),
/// and its compilation.
type Loaded = (String, Option<Vec<String>>, Result<Compiled, Stop>);

/// Runs every document and shows the aggregate.
pub async fn run(
    args: &RunArgs,
    edge: &Edge,
    shared: &Shared,
    documents: &[String],
    interrupts: &mut Interrupts,
) -> Result<ExitCode, Stop> {
    let started = SystemTime::now();
    let compile = &shared.flags.compile;
    let mut compiled: Vec<Loaded> = Vec::new();
    for file in documents {
        let names = root_source_names(file);
        let mut options = compile.clone();
        if let Some(names) = &names {
            let known = |k: &String| {
                names
                    .iter()
                    .any(|n| k.split('.').next() == Some(n.as_str()))
            };
            options.servers.retain(|k, _| known(k));
            options.source_urls.retain(|k, _| known(k));
        }
        let c = execute::compile(file, &options);
        shared.cache_notes(edge, args);
        compiled.push((file.clone(), names, c));
    }
    check_names(args, shared, &compiled)?;
    let pretty = args.format == RunFormat::Pretty;
    let mut results: Vec<(String, Result<Concluded, Refusal>)> = Vec::new();
    for (file, names, c) in compiled {
        if interrupts.stopped().is_some() {
            break;
        }
        let ids = c.as_ref().map(workflow_ids).unwrap_or_default();
        let named: Vec<String> = args
            .workflows
            .iter()
            .filter(|w| ids.contains(w))
            .cloned()
            .collect();
        if !args.workflows.is_empty() && named.is_empty() && c.is_ok() {
            if pretty {
                let mut err = edge.stderr();
                let _ = writeln!(
                    err,
                    "note: {} has none of the selected workflows; it is left out",
                    clean_line(&file)
                );
            }
            continue;
        }
        // `-q`: the failures name their document (file:line).
        if pretty && !args.quiet {
            let mut out = edge.stdout(false);
            let _ = writeln!(out, "\n── {} ──", clean_line(&file));
            let _ = out.flush();
        }
        let mut doc_args = args.clone();
        doc_args.file = file.clone();
        doc_args.workflows = named;
        let result = match c {
            Err(stop) => Err(stop),
            Ok(compiled) => match for_document(args, edge, shared, &compiled, names.as_deref()) {
                Ok(doc_shared) => {
                    super::run_document(&doc_args, edge, &doc_shared, compiled, interrupts).await
                }
                Err(stop) => Err(stop),
            },
        };
        let result = result.map_err(|stop| {
            let refusal = Refusal::of(&stop);
            present::stop(edge, stop);
            refusal
        });
        results.push((file, result));
    }
    Ok(finish(edge, args, started, results, interrupts))
}

/// Why a document did not run: a one-line reason and its diagnostics.
pub struct Refusal {
    /// The reason, one line.
    message: String,
    /// The document's diagnostics (for an invalid one), in `validate`'s form.
    diagnostics: Vec<Value>,
}

impl Refusal {
    /// The reason, one line.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Why `stop` kept a document from running.
    pub fn of(stop: &Stop) -> Refusal {
        let usage = |m: &str| {
            json!({"code": "usage", "severity": "error", "message": m,
                   "file": null, "line": null, "column": null, "hint": null, "notes": []})
        };
        let (message, diagnostics) = match stop {
            Stop::Usage(m) | Stop::Failure(m) => (m.clone(), vec![usage(m)]),
            Stop::Unreadable(d) => (d.message.clone(), vec![d.to_json()]),
            Stop::Invalid { diagnostics, .. } => {
                let (e, w) = arazzo_model::diag::count(diagnostics);
                (
                    format!(
                        "the document is invalid ({e} error{}, {w} warning{}); nothing was run",
                        if e == 1 { "" } else { "s" },
                        if w == 1 { "" } else { "s" }
                    ),
                    diagnostics.iter().map(|d| d.to_json()).collect(),
                )
            }
            Stop::MissingInputs(missing) => {
                let m = missing
                    .iter()
                    .map(|(w, inputs)| {
                        let names: Vec<&str> = inputs.iter().map(|i| i.name.as_str()).collect();
                        format!(
                            "workflow `{w}` is missing required inputs: {}",
                            names.join(", ")
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("; ");
                (m.clone(), vec![usage(&m)])
            }
            Stop::InvalidInputs(invalid) => {
                let m = invalid
                    .iter()
                    .map(|(w, errors)| {
                        let e: Vec<String> = errors.iter().map(ToString::to_string).collect();
                        format!("workflow `{w}` has invalid inputs: {}", e.join(", "))
                    })
                    .collect::<Vec<_>>()
                    .join("; ");
                (m.clone(), vec![usage(&m)])
            }
        };
        Refusal {
            message,
            diagnostics,
        }
    }
}

/// The root document's source description names, read from the file
/// (`None` when it cannot be read here: a URL, or a broken file the
/// compiler reports).
fn root_source_names(file: &str) -> Option<Vec<String>> {
    let bytes = crate::input::read_file(file, crate::input::MAX_BYTES).ok()?;
    let loaded = arazzo_model::load::load(file, &bytes).ok()?;
    let list = loaded.value.get("sourceDescriptions")?.as_array()?;
    Some(
        list.iter()
            .filter_map(|s| s.get("name")?.as_str().map(str::to_string))
            .collect(),
    )
}

/// The ids of a compiled document's root workflows.
fn workflow_ids(c: &Compiled) -> Vec<String> {
    c.plan.root_workflows().map(|(_, w)| w.id.clone()).collect()
}

/// The security scheme names of a compiled document's sources.
fn scheme_names(c: &Compiled) -> Vec<String> {
    c.plan
        .apis
        .iter()
        .flat_map(|a| a.schemes.keys().cloned())
        .collect()
}

/// The scheme an `--auth` value is for (`NAME` of `NAME.field=…` or `NAME=…`).
fn auth_scheme(value: &str) -> &str {
    let key = value.split_once('=').map_or(value, |(k, _)| k);
    key.split_once('.').map_or(key, |(s, _)| s)
}

/// Checks that each name given on the command line is known to at least one
/// document (of those that compiled).
fn check_names(args: &RunArgs, shared: &Shared, compiled: &[Loaded]) -> Result<(), Stop> {
    let ok: Vec<&Compiled> = compiled
        .iter()
        .filter_map(|(_, _, c)| c.as_ref().ok())
        .collect();
    if ok.len() < compiled.len() {
        // A document that did not load may hold the names: it is reported
        // as it runs.
        return Ok(());
    }
    let unknown = |(one, what): (&str, &str), flag: &str, name: &str, known: &mut Vec<String>| {
        known.sort();
        known.dedup();
        let k: Vec<&str> = known.iter().map(String::as_str).collect();
        Stop::Usage(format!(
            "{flag}: no document has {one} `{name}`{}; {}",
            crate::suggest::did_you_mean(crate::suggest::closest(name, &k)),
            crate::suggest::listing(&k, what)
        ))
    };
    let mut ids: Vec<String> = ok.iter().flat_map(|c| workflow_ids(c)).collect();
    if let Some(w) = args.workflows.iter().find(|w| !ids.contains(w)) {
        return Err(unknown(
            ("a workflow", "workflows"),
            "--workflow",
            w,
            &mut ids,
        ));
    }
    let mut schemes: Vec<String> = ok.iter().flat_map(|c| scheme_names(c)).collect();
    if let Some(a) = args
        .auth
        .iter()
        .find(|a| !schemes.iter().any(|s| s == auth_scheme(a)))
    {
        let name = auth_scheme(a).to_string();
        return Err(unknown(
            ("a security scheme", "security schemes"),
            "--auth",
            &name,
            &mut schemes,
        ));
    }
    let mut sources: Vec<String> = compiled
        .iter()
        .flat_map(|(_, n, _)| n.iter().flatten().cloned())
        .collect();
    let given = shared
        .flags
        .compile
        .servers
        .keys()
        .map(|k| ("--server", k))
        .chain(
            shared
                .flags
                .compile
                .source_urls
                .keys()
                .map(|k| ("--source", k)),
        )
        .chain(
            shared
                .headers
                .iter()
                .filter_map(|h| Some(("--header", h.source.as_ref()?))),
        );
    for (flag, name) in given {
        let first = name.split('.').next().unwrap_or(name);
        if !sources.iter().any(|s| s == first) {
            return Err(unknown(("a source", "sources"), flag, first, &mut sources));
        }
    }
    Ok(())
}

/// What a document runs with: the credentials of its schemes and the
/// headers of its sources.
fn for_document(
    args: &RunArgs,
    edge: &Edge,
    shared: &Shared,
    compiled: &Compiled,
    sources: Option<&[String]>,
) -> Result<Shared, Stop> {
    let schemes = scheme_names(compiled);
    let auth: Vec<String> = args
        .auth
        .iter()
        .filter(|a| schemes.iter().any(|s| s == auth_scheme(a)))
        .cloned()
        .collect();
    let mut doc = shared.clone();
    doc.flags.credentials = super::args::parse_auth(&auth)?.with_shared_secrets(edge.secrets());
    doc.flags.credentials.secrets();
    let sources = sources
        .map(<[String]>::to_vec)
        .unwrap_or_else(|| headers::source_names(&compiled.plan));
    doc.headers
        .retain(|h| h.source.as_ref().is_none_or(|s| sources.contains(s)));
    Ok(doc)
}

/// Prints the grand total or the aggregated JSON or TAP, writes the report
/// files, and returns the exit code: the signal's when one stopped the run,
/// else 2 when a document could not run, 1 when a workflow failed, 0.
fn finish(
    edge: &Edge,
    args: &RunArgs,
    started: SystemTime,
    results: Vec<(String, Result<Concluded, Refusal>)>,
    interrupts: &Interrupts,
) -> ExitCode {
    let json = aggregate(&results, started);
    let text = serde_json::to_string_pretty(&json).unwrap_or_else(|_| "{}".into());
    let refused = results.iter().filter(|(_, r)| r.is_err()).count();
    let failed = results
        .iter()
        .filter(|(_, r)| r.as_ref().is_ok_and(|c| !present::succeeded(&c.report)))
        .count();
    match args.format {
        // `-q`: nothing on standard output for a run that succeeded.
        RunFormat::Pretty if args.quiet && refused == 0 && failed == 0 => {}
        RunFormat::Pretty => grand_total(edge, &json, results.len(), refused),
        RunFormat::Json => present::print_stdout(edge, &text, Net::Json),
        RunFormat::Tap => {
            let docs: Vec<TapDoc<'_>> = results
                .iter()
                .map(|(f, r)| match r {
                    Ok(c) => TapDoc::Ran(f, &c.report),
                    Err(why) => TapDoc::Stopped(f, why.message.clone()),
                })
                .collect();
            present::print_stdout(edge, &super::tap::render(&docs, true), Net::Plain);
        }
    }
    let junit = || {
        let docs: Vec<JunitDoc<'_>> = results
            .iter()
            .map(|(f, r)| match r {
                Ok(c) => JunitDoc::Ran(f, &c.report),
                Err(why) => JunitDoc::Stopped(f, why.message.clone()),
            })
            .collect();
        super::junit::render_documents(&docs)
    };
    let mut har = Har::new();
    for (_, r) in &results {
        if let Ok(Concluded { har: Some(h), .. }) = r {
            har.append(h);
        }
    }
    let written = present::write_files(edge, args, &text, &junit, Some(&har));
    if let Some(signal) = interrupts.stopped() {
        if let Err(failure) = written {
            present::stop(edge, failure);
        }
        return exit::code(signal.exit_code());
    }
    if let Err(failure) = written {
        return present::stop(edge, failure);
    }
    exit::code(if refused > 0 {
        exit::INVALID
    } else if failed > 0 || results.is_empty() {
        exit::FAILURE
    } else {
        exit::SUCCESS
    })
}

/// The aggregated report: `documents` holds each document's report as a
/// single document's run writes it, or `{file, invalid, exitCode, error,
/// diagnostics}` for one that could not run; `totals` adds them up.
fn aggregate(results: &[(String, Result<Concluded, Refusal>)], started: SystemTime) -> Value {
    let mut totals = json!({
        "documents": {"ran": 0, "invalid": 0},
        "workflows": {"succeeded": 0, "failed": 0, "skipped": 0},
        "steps": {"succeeded": 0, "failed": 0, "skipped": 0},
    });
    let mut documents = Vec::new();
    for (file, r) in results {
        match r {
            Ok(c) => {
                add(&mut totals, &["documents", "ran"], 1);
                for kind in ["workflows", "steps"] {
                    for n in ["succeeded", "failed", "skipped"] {
                        let v = c.json["totals"][kind][n].as_u64().unwrap_or(0);
                        add(&mut totals, &[kind, n], v);
                    }
                }
                documents.push(c.json.clone());
            }
            Err(why) => {
                add(&mut totals, &["documents", "invalid"], 1);
                documents.push(json!({
                    "file": file, "invalid": true, "exitCode": exit::INVALID,
                    "error": why.message, "diagnostics": why.diagnostics,
                }));
            }
        }
    }
    json!({
        "reportVersion": REPORT_VERSION,
        "tool": {"name": "arazzo-run", "version": env!("CARGO_PKG_VERSION")},
        "startedAt": rfc3339(started),
        "endedAt": rfc3339(SystemTime::now()),
        "totals": totals,
        "documents": documents,
    })
}

/// Adds `n` to the count at `path` of `v`.
fn add(v: &mut Value, path: &[&str], n: u64) {
    let mut at = v;
    for p in path {
        at = &mut at[*p];
    }
    *at = json!(at.as_u64().unwrap_or(0) + n);
}

/// The last line of a pretty run of several documents.
fn grand_total(edge: &Edge, json: &Value, documents: usize, refused: usize) {
    let w = &json["totals"]["workflows"];
    let n = |k: &str| w[k].as_u64().unwrap_or(0);
    let mut line = format!(
        "\n{documents} documents: {} workflow{} succeeded, {} failed",
        n("succeeded"),
        if n("succeeded") == 1 { "" } else { "s" },
        n("failed")
    );
    if n("skipped") > 0 {
        line.push_str(&format!(", {} skipped", n("skipped")));
    }
    if refused > 0 {
        line.push_str(&format!(
            "; {refused} document{} could not run",
            if refused == 1 { "" } else { "s" }
        ));
    }
    let mut out = edge.stdout(false);
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}
