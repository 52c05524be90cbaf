//! Showing a run: why it did not start, notices about the document, live
//! progress, the summary or JSON report, the report files, and the exit code.

use std::io::Write;
use std::process::ExitCode;

use arazzo_engine::inputs::InputInfo;
use arazzo_engine::report::{Reason, RunReport, Status};
use arazzo_model::Diagnostic;

use super::Stop;
use super::args::{RunArgs, RunFormat};
use super::execute::Progress;
use super::pretty::Pretty;
use super::request::Scoped;
use crate::exit;
use crate::output::color_enabled;

/// Whether standard error gets colour.
pub fn stderr_color() -> bool {
    color_enabled(std::io::IsTerminal::is_terminal(&std::io::stderr()))
}

/// Explains why the run stopped before it ran, and returns the exit code.
pub fn stop(stop: Stop) -> ExitCode {
    let color = stderr_color();
    let mut err = anstream::stderr();
    match stop {
        Stop::Usage(msg) => {
            let prefix = if color {
                "\x1b[1;31merror\x1b[0m"
            } else {
                "error"
            };
            let _ = writeln!(err, "{prefix}: {msg}");
            exit::code(exit::INVALID)
        }
        Stop::Unreadable(d) => {
            let _ = writeln!(err, "{}", d.render(color));
            exit::code(exit::INVALID)
        }
        Stop::Invalid {
            diagnostics,
            runnable,
        } => print_invalid(&diagnostics, color, &runnable),
        Stop::MissingInputs(missing) => print_missing(&missing),
        Stop::Failure(msg) => {
            let _ = writeln!(err, "error: {msg}");
            exit::code(exit::FAILURE)
        }
    }
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
        plural(errors),
        plural(warnings)
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

/// Lists the required inputs each workflow lacks and how to supply them.
fn print_missing(missing: &[(String, Vec<InputInfo>)]) -> ExitCode {
    let mut err = anstream::stderr();
    for (id, inputs) in missing {
        let _ = writeln!(
            err,
            "error: workflow `{id}` is missing required input{}:",
            plural(inputs.len())
        );
        for m in inputs {
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
    exit::code(exit::INVALID)
}

/// `""` for one, `"s"` for any other count.
fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Tells people (not machines) about the document's findings that do not
/// stop the run: errors in workflows that do not run, and warnings (shown
/// in full with `-v`).
pub fn notices(args: &RunArgs, scoped: &Scoped) {
    if args.format != RunFormat::Pretty {
        return;
    }
    let mut err = anstream::stderr();
    let others = scoped.unreached_errors;
    if others > 0 {
        let _ = writeln!(
            err,
            "{others} error{} in workflows that {} not run (run `arazzo-run validate {}` to see them)",
            plural(others),
            if scoped.workflows.len() == 1 {
                "this one does"
            } else {
                "these do"
            },
            args.file
        );
    }
    let warnings = &scoped.warnings;
    if args.verbose > 0 {
        let color = stderr_color();
        for w in warnings {
            let _ = writeln!(err, "{}\n", w.render(color));
        }
    } else if !warnings.is_empty() {
        let _ = writeln!(
            err,
            "{} warning{} in the document (run `arazzo-run validate {}` to see them)",
            warnings.len(),
            plural(warnings.len()),
            args.file
        );
    }
}

/// Shows a run as it happens and what it did.
pub struct Presenter {
    /// The live view (used only for the pretty format).
    view: Pretty,
    /// Whether the format is pretty (else JSON).
    pretty: bool,
    /// `-v` count.
    verbose: u8,
}

impl Presenter {
    /// A presenter for `args`' format and verbosity.
    pub fn new(args: &RunArgs) -> Presenter {
        let pretty = args.format == RunFormat::Pretty;
        let stdout_tty = std::io::IsTerminal::is_terminal(&std::io::stdout());
        Presenter {
            view: Pretty::new(
                color_enabled(stdout_tty),
                stdout_tty && pretty,
                args.verbose,
            ),
            pretty,
            verbose: args.verbose,
        }
    }

    /// Shows one piece of progress (only in the pretty format; mock notes
    /// only with `-v`).
    pub fn progress(&mut self, p: Progress<'_>) {
        if !self.pretty {
            return;
        }
        match p {
            Progress::Event(e) => self.view.event(e),
            Progress::MockWarning(m) => self.view.warning(m),
            Progress::MockNote(m) if self.verbose > 0 => self.view.note(m),
            Progress::MockNote(_) => {}
        }
    }

    /// Prints the summary (pretty) or the JSON report, writes the report
    /// files, and returns the exit code.
    pub fn finish(mut self, report: RunReport, args: &RunArgs) -> ExitCode {
        let json = serde_json::to_string_pretty(&report).unwrap_or_else(|_| "{}".into());
        if self.pretty {
            self.view.summary(&report);
        } else {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{json}");
        }
        if let Err(failure) = write_files(&report, &json, args) {
            return stop(failure);
        }
        exit::code(if succeeded(&report) {
            exit::SUCCESS
        } else {
            exit::FAILURE
        })
    }
}

/// Writes the `--report` JSON and the `--junit` XML files, when asked for.
fn write_files(report: &RunReport, json: &str, args: &RunArgs) -> Result<(), Stop> {
    if let Some(path) = &args.report {
        std::fs::write(path, format!("{json}\n"))
            .map_err(|e| Stop::Failure(format!("cannot write the report to {path}: {e}")))?;
    }
    if let Some(path) = &args.junit {
        std::fs::write(path, super::junit::render(report))
            .map_err(|e| Stop::Failure(format!("cannot write the JUnit report to {path}: {e}")))?;
    }
    Ok(())
}

/// Whether at least one workflow was requested and every requested one succeeded.
fn succeeded(report: &RunReport) -> bool {
    let mut requested = report
        .workflows
        .iter()
        .filter(|w| w.reason == Reason::Requested)
        .peekable();
    requested.peek().is_some() && requested.all(|w| w.status == Status::Succeeded)
}
