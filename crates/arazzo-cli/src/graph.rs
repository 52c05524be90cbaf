//! `arazzo-run graph`: a Mermaid flowchart of a workflow's control flow.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io::Write;
use std::process::ExitCode;

use arazzo_model::model::{Action, ActionKind, ActionRef, Document, StepTarget, Workflow};
use arazzo_model::validate::parse_component_reference;

use crate::exit;
use crate::output::color_enabled;

/// Arguments of `arazzo-run graph`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Paste the output into Markdown inside a ```mermaid block.")]
pub struct GraphArgs {
    /// The Arazzo document: a path, an http(s) URL, or `-` for standard input.
    #[arg(value_name = "FILE")]
    pub file: String,

    /// Draw only this workflow (and the workflows it calls). Default: all.
    #[arg(short, long = "workflow", value_name = "ID")]
    pub workflow: Option<String>,

    /// Do not load source descriptions: steps are labelled from the
    /// document alone (an `operationPath` as `METHOD /path`, never with the
    /// operation's `operationId`).
    #[arg(long)]
    pub no_sources: bool,

    /// `--no-cache`.
    #[command(flatten)]
    pub cache: crate::cache::CacheArgs,
}

/// Runs `arazzo-run graph`.
pub fn run(args: GraphArgs) -> ExitCode {
    let color = color_enabled(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    let (name, bytes, url) = match crate::input::read_location(&args.file) {
        Ok(x) => (x.name, x.bytes, x.url),
        Err(d) => {
            let _ = writeln!(anstream::stderr(), "{}", d.render(color));
            return exit::code(exit::INVALID);
        }
    };
    let (doc, diags) = arazzo_model::check(&name, &bytes);
    let Some(doc) = doc else {
        for d in &diags {
            let _ = writeln!(anstream::stderr(), "{}", d.render(color));
        }
        return exit::code(exit::INVALID);
    };
    let wanted: Vec<&Workflow> = match &args.workflow {
        Some(id) => match doc.workflow(id) {
            Some(w) => reachable(&doc, w),
            None => {
                let ids: Vec<&str> = doc
                    .workflows
                    .iter()
                    .map(|w| w.workflow_id.as_str())
                    .collect();
                let _ = writeln!(
                    anstream::stderr(),
                    "error: there is no workflow `{}`{}; {}",
                    crate::suggest::shown(id),
                    crate::suggest::did_you_mean(crate::suggest::closest(id, &ids)),
                    crate::suggest::listing(&ids, "workflows")
                );
                return exit::code(exit::INVALID);
            }
        },
        None => doc.workflows.iter().collect(),
    };
    let resolved = match url {
        Some(url) if !args.no_sources => resolved_labels(&name, url, &bytes, &args.cache),
        _ => Labels::new(),
    };
    let _ = write!(std::io::stdout(), "{}", mermaid(&doc, &wanted, &resolved));
    exit::code(exit::SUCCESS)
}

/// What the source descriptions say a step calls, by workflow and step id:
/// the operation's `operationId`, else `METHOD /path`.
type Labels = std::collections::HashMap<(String, String), String>;

/// The labels of the steps whose operation resolves in the loaded sources
/// (none when the document cannot be compiled; the steps are then labelled
/// from the document alone).
fn resolved_labels(
    name: &str,
    url: url::Url,
    bytes: &[u8],
    cache: &crate::cache::CacheArgs,
) -> Labels {
    let mut labels = Labels::new();
    let options = arazzo_engine::CompileOptions {
        disk_cache: cache.disk_cache(),
        ..Default::default()
    };
    let Ok(compiled) = arazzo_engine::compile_bytes(name, url, bytes, &options) else {
        return labels;
    };
    let plan = &compiled.plan;
    for (_, wf) in plan.root_workflows() {
        for step in &wf.steps {
            if let arazzo_engine::plan::Target::Operation(i) = &step.target
                && let Some(op) = plan.operation(*i)
            {
                let label = op.op.operation_id.clone().unwrap_or_else(|| op.op.label());
                labels.insert((wf.id.clone(), step.id.clone()), label);
            }
        }
    }
    labels
}

/// How a step's target reads in the chart without its sources: an
/// `operationId` as written (`$sourceDescriptions.` dropped), an
/// `operationPath` as `METHOD /path` decoded from its JSON pointer, a
/// workflow as `workflow ID`.
fn written_label(target: &StepTarget) -> String {
    let short = |x: &str| {
        x.strip_prefix("$sourceDescriptions.")
            .unwrap_or(x)
            .to_string()
    };
    match target {
        StepTarget::OperationId(x) => short(x),
        StepTarget::OperationPath(x) => operation_path_label(x),
        StepTarget::WorkflowId(x) => {
            format!("workflow {}", short(&x.replacen(".workflows.", ".", 1)))
        }
        StepTarget::ChannelPath(x) => x.rsplit('#').next().unwrap_or(x).to_string(),
        StepTarget::Missing => "?".into(),
    }
}

/// `{$sourceDescriptions.x.url}#/paths/~1pets~1{id}/get` as `GET /pets/{id}`;
/// a pointer of another form as written after the `#`.
fn operation_path_label(written: &str) -> String {
    let fragment = written.rsplit_once('#').map_or(written, |(_, f)| f);
    let pointer = percent_decode(fragment).unwrap_or_else(|| fragment.to_string());
    let Some(rest) = pointer.strip_prefix("/paths/") else {
        return pointer;
    };
    match rest.rsplit_once('/') {
        Some((path, method)) if !method.is_empty() && !path.is_empty() => format!(
            "{} {}",
            method.to_ascii_uppercase(),
            path.replace("~1", "/").replace("~0", "~")
        ),
        _ => pointer,
    }
}

/// `%XX` escapes decoded (a fragment may escape `{` and `}`); `None` when
/// the result is not UTF-8.
fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (b, hex) {
            (b'%', Some(v)) => {
                out.push(v);
                i += 3;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// The workflow and every workflow it reaches through steps and actions.
fn reachable<'d>(doc: &'d Document, start: &'d Workflow) -> Vec<&'d Workflow> {
    let mut seen = vec![start];
    let mut i = 0;
    while i < seen.len() {
        let wf = seen[i];
        let mut targets: Vec<&str> = Vec::new();
        for s in &wf.steps {
            if let StepTarget::WorkflowId(w) = &s.target {
                targets.push(w);
            }
            for a in success_actions(doc, wf, s.on_success.as_deref()) {
                targets.extend(a.workflow_id.as_deref());
            }
            for a in failure_actions(doc, wf, s.on_failure.as_deref()) {
                targets.extend(a.workflow_id.as_deref());
            }
        }
        for t in targets {
            if let Some(w) = doc.workflow(t)
                && !seen.iter().any(|x| x.workflow_id == w.workflow_id)
            {
                seen.push(w);
            }
        }
        i += 1;
    }
    seen
}

/// A step's success actions: its own, then its workflow's (the first of a name wins).
fn success_actions<'d>(
    doc: &'d Document,
    wf: &'d Workflow,
    own: Option<&'d [ActionRef]>,
) -> Vec<&'d Action> {
    merged(own, &wf.success_actions, |n| {
        doc.components.success_actions.get(n)
    })
}

/// A step's failure actions: its own, then its workflow's (the first of a name wins).
fn failure_actions<'d>(
    doc: &'d Document,
    wf: &'d Workflow,
    own: Option<&'d [ActionRef]>,
) -> Vec<&'d Action> {
    merged(own, &wf.failure_actions, |n| {
        doc.components.failure_actions.get(n)
    })
}

/// `own` then `workflow`'s actions, references resolved in `components`,
/// without repeating a name.
fn merged<'d>(
    own: Option<&'d [ActionRef]>,
    workflow: &'d [ActionRef],
    component: impl Fn(&str) -> Option<&'d Action>,
) -> Vec<&'d Action> {
    let mut out: Vec<&Action> = Vec::new();
    for a in own.unwrap_or_default().iter().chain(workflow) {
        let x = match a {
            ActionRef::Inline(x) => Some(x),
            ActionRef::Reusable(r) => {
                parse_component_reference(&r.reference).and_then(|(_, n)| component(n))
            }
        };
        if let Some(x) = x
            && !out.iter().any(|o| o.name == x.name)
        {
            out.push(x);
        }
    }
    out
}

/// A Mermaid node id: only letters, digits and `_`.
fn id(parts: &[&str]) -> String {
    parts
        .iter()
        .map(|p| {
            p.chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("__")
}

/// Text for a Mermaid label: quotes and angle brackets as entities.
fn label(s: &str) -> String {
    s.replace('"', "#quot;")
        .replace('<', "#lt;")
        .replace('>', "#gt;")
}

/// The flowchart.
pub fn mermaid(doc: &Document, workflows: &[&Workflow], resolved: &Labels) -> String {
    let mut out = String::from("flowchart TD\n");
    let drawn: BTreeSet<&str> = workflows.iter().map(|w| w.workflow_id.as_str()).collect();
    let entry = |wf: &str| -> Option<String> {
        doc.workflow(wf)
            .and_then(|w| w.steps.first())
            .map(|s| id(&[wf, &s.step_id]))
    };
    for wf in workflows {
        let w = wf.workflow_id.as_str();
        let _ = writeln!(out, "  subgraph {}[\"{}\"]", id(&["wf", w]), label(w));
        let _ = writeln!(out, "    direction TB");
        let _ = writeln!(
            out,
            "    {}([start]) --> {}",
            id(&[w, "start"]),
            wf.steps
                .first()
                .map_or_else(|| id(&[w, "end"]), |s| id(&[w, &s.step_id]))
        );
        let _ = writeln!(out, "    {}([end])", id(&[w, "end"]));
        for s in &wf.steps {
            let target = resolved
                .get(&(w.to_string(), s.step_id.clone()))
                .cloned()
                .unwrap_or_else(|| written_label(&s.target));
            let shape = if matches!(s.target, StepTarget::WorkflowId(_)) {
                ("[[", "]]")
            } else {
                ("[", "]")
            };
            let _ = writeln!(
                out,
                "    {}{}\"{}<br/><small>{}</small>\"{}",
                id(&[w, &s.step_id]),
                shape.0,
                label(&s.step_id),
                label(&target),
                shape.1
            );
        }
        for (i, s) in wf.steps.iter().enumerate() {
            let me = id(&[w, &s.step_id]);
            let next = wf
                .steps
                .get(i + 1)
                .map_or_else(|| id(&[w, "end"]), |n| id(&[w, &n.step_id]));
            if let StepTarget::WorkflowId(callee) = &s.target
                && drawn.contains(callee.as_str())
                && let Some(e) = entry(callee)
            {
                let _ = writeln!(out, "    {me} -. calls .-> {e}");
            }
            let ok = success_actions(doc, wf, s.on_success.as_deref());
            let mut unconditional = false;
            for a in &ok {
                let cond = if a.criteria.is_empty() {
                    String::new()
                } else {
                    " if criteria".into()
                };
                unconditional |= a.criteria.is_empty();
                let to = match a.kind {
                    // Success actions are never retries: the parser reads `retry` as `end`.
                    ActionKind::End | ActionKind::Retry => Some(id(&[w, "end"])),
                    ActionKind::Goto => a
                        .step_id
                        .as_deref()
                        .map(|t| id(&[w, t]))
                        .or_else(|| a.workflow_id.as_deref().and_then(entry)),
                };
                if let Some(to) = to {
                    let _ = writeln!(
                        out,
                        "    {me} -->|\"{}{}\"| {to}",
                        label(&a.name),
                        label(&cond)
                    );
                }
            }
            if !unconditional {
                let _ = writeln!(out, "    {me} --> {next}");
            }
            for a in failure_actions(doc, wf, s.on_failure.as_deref()) {
                let (kind, to) = match a.kind {
                    ActionKind::End => ("end", Some(id(&[w, "end"]))),
                    ActionKind::Goto => (
                        "goto",
                        a.step_id
                            .as_deref()
                            .map(|t| id(&[w, t]))
                            .or_else(|| a.workflow_id.as_deref().and_then(entry)),
                    ),
                    ActionKind::Retry => ("retry", Some(me.clone())),
                };
                if let Some(to) = to {
                    let limit = match a.kind {
                        ActionKind::Retry => format!(" ×{}", a.retry_limit.unwrap_or(1)),
                        _ => String::new(),
                    };
                    let _ = writeln!(
                        out,
                        "    {me} -. \"on failure: {kind}{limit} ({})\" .-> {to}",
                        label(&a.name)
                    );
                }
                if a.kind == ActionKind::Retry
                    && let Some(via) = a
                        .step_id
                        .as_deref()
                        .map(|t| id(&[w, t]))
                        .or_else(|| a.workflow_id.as_deref().and_then(entry))
                {
                    let _ = writeln!(out, "    {me} -. \"before retry\" .-> {via}");
                }
            }
        }
        let _ = writeln!(out, "  end");
    }
    out
}
