//! `arazzo-run list`: the workflows of a document, one line each, with their inputs.

use std::io::Write;
use std::process::ExitCode;

use arazzo_engine::inputs::InputsPlan;

use crate::exit;
use crate::output::color_enabled;

/// Arguments of `arazzo-run list`.
#[derive(Debug, clap::Args)]
pub struct ListArgs {
    /// The Arazzo document: a path, an http(s) URL, or `-` for standard input.
    #[arg(value_name = "FILE")]
    pub file: String,
}

/// Runs `arazzo-run list`.
pub fn run(args: ListArgs) -> ExitCode {
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
    let components = doc.source.value.get("components");
    let mut out = std::io::stdout().lock();
    for wf in &doc.workflows {
        let inputs = InputsPlan::compile(wf.inputs.as_ref(), components);
        let params: Vec<String> = inputs
            .properties()
            .iter()
            .map(|p| {
                format!(
                    "{}{}{}",
                    p.name,
                    if p.required && p.default.is_none() {
                        ""
                    } else {
                        "?"
                    },
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
        let _ = writeln!(
            out,
            "{}({}) — {} step{}{about}",
            wf.workflow_id,
            params.join(", "),
            wf.steps.len(),
            if wf.steps.len() == 1 { "" } else { "s" }
        );
    }
    exit::code(if diags.iter().any(|d| d.is_error()) {
        exit::INVALID
    } else {
        exit::SUCCESS
    })
}
