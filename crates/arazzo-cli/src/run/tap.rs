//! TAP version 14 (`--format tap`): a test point per requested workflow
//! (`ok N - WORKFLOW`, or `FILE: WORKFLOW` when several documents ran), a
//! document that could not run as one `not ok` point, and the plan `1..N`
//! last. A failed point carries a YAML diagnostics block: the failure's
//! message, kind and step, and every step execution with its status.

use arazzo_engine::report::{Reason, RunReport, Status};

/// One document's part of the TAP output.
pub enum TapDoc<'a> {
    /// A document that ran: its name and report.
    Ran(&'a str, &'a RunReport),
    /// A document that could not run: its name and why.
    Stopped(&'a str, String),
}

/// `s` as a YAML double-quoted scalar (JSON's string syntax is one).
fn quoted(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// A test point's description: no `#` (a directive) and one line.
fn description(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('#', "\\#")
        .replace(['\n', '\r'], " ")
}

/// Renders the TAP stream; `prefix` names the document of each point.
pub fn render(docs: &[TapDoc<'_>], prefix: bool) -> String {
    let mut out = String::from("TAP version 14\n");
    let mut n = 0usize;
    for doc in docs {
        match doc {
            TapDoc::Ran(file, report) => {
                for w in report
                    .workflows
                    .iter()
                    .filter(|w| w.reason == Reason::Requested)
                {
                    n += 1;
                    let name = if prefix {
                        format!("{file}: {}", w.workflow_id)
                    } else {
                        w.workflow_id.clone()
                    };
                    let ok = w.status == Status::Succeeded;
                    out.push_str(&format!(
                        "{}ok {n} - {}\n",
                        if ok { "" } else { "not " },
                        description(&name)
                    ));
                    if ok {
                        continue;
                    }
                    out.push_str("  ---\n");
                    let message = w.error.as_deref().unwrap_or("the workflow failed");
                    out.push_str(&format!("  message: {}\n", quoted(message)));
                    if let Some(f) = &w.failure {
                        out.push_str(&format!("  kind: {}\n", quoted(&f.kind.to_string())));
                        if let Some(step) = &f.step_id {
                            out.push_str(&format!("  step: {}\n", quoted(step)));
                        }
                    }
                    out.push_str(&format!("  durationMs: {}\n", w.duration_ms));
                    if !w.steps.is_empty() {
                        out.push_str("  steps:\n");
                    }
                    for s in &w.steps {
                        let status = if s.status == Status::Succeeded {
                            "succeeded"
                        } else {
                            "failed"
                        };
                        let code = s
                            .status_code
                            .map(|c| c.to_string())
                            .unwrap_or_else(|| "null".into());
                        out.push_str(&format!(
                            "    - {{stepId: {}, status: {status}, statusCode: {code}, attempt: {}}}\n",
                            quoted(&s.step_id),
                            s.attempt
                        ));
                        if let Some(e) = s.error.as_deref().filter(|_| s.status == Status::Failed) {
                            out.push_str(&format!("      # {}\n", description(e)));
                        }
                    }
                    out.push_str("  ...\n");
                }
            }
            TapDoc::Stopped(file, why) => {
                n += 1;
                out.push_str(&format!("not ok {n} - {}\n", description(file)));
                out.push_str("  ---\n");
                out.push_str(&format!("  message: {}\n", quoted(why)));
                out.push_str("  ...\n");
            }
        }
    }
    out.push_str(&format!("1..{n}\n"));
    out
}
