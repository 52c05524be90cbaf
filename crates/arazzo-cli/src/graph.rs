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
}

/// Runs `arazzo-run graph`.
pub fn run(args: GraphArgs) -> ExitCode {
    let color = color_enabled(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    let (name, bytes) = match crate::input::read_location(&args.file) {
        Ok(x) => (x.name, x.bytes),
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
                let _ = writeln!(anstream::stderr(), "error: there is no workflow `{id}`");
                return exit::code(exit::INVALID);
            }
        },
        None => doc.workflows.iter().collect(),
    };
    let _ = write!(std::io::stdout(), "{}", mermaid(&doc, &wanted));
    exit::code(exit::SUCCESS)
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
pub fn mermaid(doc: &Document, workflows: &[&Workflow]) -> String {
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
            let target = match &s.target {
                StepTarget::OperationId(x) => x.clone(),
                StepTarget::OperationPath(x) => x.rsplit('#').next().unwrap_or(x).to_string(),
                StepTarget::WorkflowId(x) => format!("workflow {x}"),
                StepTarget::ChannelPath(x) => x.clone(),
                StepTarget::Missing => "?".into(),
            };
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
