//! `arazzo-run list`: the workflows of a document, one line each, with their
//! inputs; or, with `--format json`, one JSON document describing them.

use std::io::Write;
use std::process::ExitCode;

use arazzo_engine::inputs::{InputInfo, InputsPlan};
use arazzo_model::model::{Document, SourceKind, Workflow};
use serde_json::{Value, json};

use crate::exit;
use crate::output::{self, Format};

/// Arguments of `arazzo-run list`.
#[derive(Debug, clap::Args)]
pub struct ListArgs {
    /// The Arazzo document: a path, an http(s) URL, or `-` for standard input.
    #[arg(value_name = "FILE")]
    pub file: String,

    /// Output format: `human` (a line per workflow) or `json` (one object
    /// with the workflows, their inputs and the source descriptions).
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

/// Runs `arazzo-run list`.
pub fn run(args: ListArgs) -> ExitCode {
    let (name, bytes) = match crate::input::read_location(&args.file) {
        Ok(x) => (x.name, x.bytes),
        Err(d) => return output::diagnostics_error(args.format, &[d]),
    };
    let (doc, diags) = arazzo_model::check(&name, &bytes);
    let Some(doc) = doc else {
        return output::diagnostics_error(args.format, &diags);
    };
    let code = if diags.iter().any(|d| d.is_error()) {
        exit::INVALID
    } else {
        exit::SUCCESS
    };
    let written = match args.format {
        Format::Human => print_human(&doc, &diags),
        Format::Json => output::print_json(&document(&name, &doc, &diags, code)),
    };
    if written.is_err() {
        return exit::code(exit::FAILURE);
    }
    exit::code(code)
}

/// The declared inputs of a workflow.
fn inputs(doc: &Document, wf: &Workflow) -> Vec<InputInfo> {
    InputsPlan::compile(wf.inputs.as_ref(), doc.source.value.get("components")).properties()
}

/// Whether an input may be left out: not required, or with a default.
fn optional(p: &InputInfo) -> bool {
    !p.required || p.default.is_some()
}

/// A line per workflow on standard output; the document's errors, if any,
/// counted on standard error (`validate` shows them).
fn print_human(doc: &Document, diags: &[arazzo_model::Diagnostic]) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    for wf in &doc.workflows {
        let params: Vec<String> = inputs(doc, wf)
            .iter()
            .map(|p| {
                format!(
                    "{}{}{}",
                    p.name,
                    if optional(p) { "?" } else { "" },
                    p.ty.as_deref()
                        .map(|t| format!(": {t}"))
                        .unwrap_or_default()
                )
            })
            .collect();
        let about = wf
            .summary
            .as_deref()
            .or(wf.description.as_deref())
            .map(|s| format!("  {}", s.lines().next().unwrap_or_default()))
            .unwrap_or_default();
        writeln!(
            out,
            "{}({}) — {} step{}{about}",
            wf.workflow_id,
            params.join(", "),
            wf.steps.len(),
            if wf.steps.len() == 1 { "" } else { "s" }
        )?;
    }
    out.flush()?;
    let errors = diags.iter().filter(|d| d.is_error()).count();
    if errors > 0 {
        eprintln!(
            "error: the document has {errors} error{} (`arazzo-run validate` shows them)",
            if errors == 1 { "" } else { "s" }
        );
    }
    Ok(())
}

/// The `type` of a source description as written (`null` when absent).
fn kind(k: Option<SourceKind>) -> Value {
    match k {
        Some(SourceKind::OpenApi) => "openapi".into(),
        Some(SourceKind::AsyncApi) => "asyncapi".into(),
        Some(SourceKind::Arazzo) => "arazzo".into(),
        None => Value::Null,
    }
}

/// `list --format json`: `{"version", "ok", "exitCode", "file",
/// "sourceDescriptions", "workflows", "diagnostics"}`.
fn document(name: &str, doc: &Document, diags: &[arazzo_model::Diagnostic], code: u8) -> Value {
    let sources: Vec<Value> = doc
        .source_descriptions
        .iter()
        .map(|s| json!({"name": s.name, "url": s.url, "type": kind(s.kind)}))
        .collect();
    let workflows: Vec<Value> = doc
        .workflows
        .iter()
        .map(|wf| {
            let inputs: Vec<Value> = inputs(doc, wf)
                .iter()
                .map(|p| {
                    json!({
                        "name": p.name,
                        "type": p.ty,
                        "required": !optional(p),
                        "description": p.description,
                        // A secret input's default is not shown.
                        "default": if p.secret { None } else { p.default.clone() },
                        "secret": p.secret,
                    })
                })
                .collect();
            json!({
                "workflowId": wf.workflow_id,
                "summary": wf.summary,
                "description": wf.description,
                "inputs": inputs,
                "steps": wf.steps.len(),
                "sources": workflow_sources(wf),
                "dependsOn": wf.depends_on,
            })
        })
        .collect();
    json!({
        "version": output::JSON_VERSION,
        "ok": code == exit::SUCCESS,
        "exitCode": code,
        "file": name,
        "sourceDescriptions": sources,
        "workflows": workflows,
        "diagnostics": diags.iter().map(arazzo_model::Diagnostic::to_json).collect::<Vec<_>>(),
    })
}

/// The source descriptions a workflow's steps name explicitly
/// (`$sourceDescriptions.NAME…` in `operationId`, `operationPath` or
/// `workflowId`), in order of first use. A bare `operationId` names none:
/// which source defines it is known only once the sources are loaded.
fn workflow_sources(wf: &Workflow) -> Vec<String> {
    use arazzo_model::model::StepTarget;
    let mut out: Vec<String> = Vec::new();
    for s in &wf.steps {
        let written = match &s.target {
            StepTarget::OperationId(x)
            | StepTarget::OperationPath(x)
            | StepTarget::WorkflowId(x)
            | StepTarget::ChannelPath(x) => x.as_str(),
            StepTarget::Missing => continue,
        };
        let Some(rest) = written
            .trim_start_matches('{')
            .strip_prefix("$sourceDescriptions.")
        else {
            continue;
        };
        let name: String = rest
            .chars()
            .take_while(|c| !matches!(c, '.' | '}' | '#'))
            .collect();
        if !name.is_empty() && !out.contains(&name) {
            out.push(name);
        }
    }
    out
}
