//! Showing a run: why it did not start, notices about the document, live
//! progress, the summary or JSON report, the report files, and the exit code.

use std::borrow::Cow;
use std::collections::HashMap;
use std::io::Write;
use std::process::ExitCode;

use arazzo_engine::inputs::{InputError, InputInfo};
use arazzo_engine::plan::Plan;
use arazzo_engine::report::{
    Event, REPORT_VERSION, Reason, RunReport, StampedReport, Status, StepRecord, Tool,
    WorkflowRecord,
};
use arazzo_model::diag::render_failure;
use arazzo_model::{Code, Diagnostic};
use arazzo_openapi::security::{SchemeKind, SecurityScheme};

use super::args::{RunArgs, RunFormat};
use super::edge::{self, Edge, Net, clean_line, stderr_color};
use super::execute::Progress;
use super::har::{Har, rfc3339};
use super::pretty::{Columns, Mode, Pretty};
use super::request::Scoped;
use super::{Interruption, Stop};
use crate::exit;
use crate::output::color_enabled;

/// Explains why the run stopped before it ran, and returns the exit code.
pub fn stop(edge: &Edge, stop: Stop) -> ExitCode {
    let color = stderr_color();
    let mut err = edge.stderr();
    match stop {
        Stop::Usage(msg) => {
            let prefix = if color {
                "\x1b[1;31merror\x1b[0m"
            } else {
                "error"
            };
            let _ = writeln!(err, "{prefix}: {}", clean_line(&msg));
            exit::code(exit::INVALID)
        }
        Stop::Unreadable(d) => {
            let _ = writeln!(err, "{}", render(&d, color));
            exit::code(exit::INVALID)
        }
        Stop::Invalid {
            diagnostics,
            runnable,
        } => print_invalid(&mut err, &diagnostics, color, &runnable),
        Stop::MissingInputs(missing) => print_missing(&mut err, &missing),
        Stop::InvalidInputs(invalid) => print_invalid_inputs(&mut err, &invalid),
        Stop::Failure(msg) => {
            let _ = writeln!(err, "error: {}", clean_line(&msg));
            exit::code(exit::FAILURE)
        }
    }
}

/// `d` rendered, with its texts (which may quote a document or a server)
/// made safe for a terminal first.
fn render(d: &Diagnostic, color: bool) -> String {
    let mut d = d.clone();
    d.message = clean_line(&d.message).into_owned();
    d.label = d.label.map(|l| clean_line(&l).into_owned());
    d.hint = d.hint.map(|h| clean_line(&h).into_owned());
    for n in &mut d.notes {
        n.message = clean_line(&n.message).into_owned();
    }
    d.render(color)
}

/// Prints the diagnostics of a document that cannot run as asked; `runnable`
/// names the workflows its errors do not reach, which `--workflow` can still run.
fn print_invalid(
    err: &mut impl Write,
    diags: &[Diagnostic],
    color: bool,
    runnable: &[String],
) -> ExitCode {
    let hints = FlagHints::default();
    for d in diags {
        let _ = writeln!(err, "{}\n", render(&hints.diagnostic(d), color));
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
                .map(|w| format!("`{}`", clean_line(w)))
                .collect::<Vec<_>>()
                .join(", "),
            if runnable.len() == 1 { "it" } else { "them" }
        );
    }
    exit::code(exit::INVALID)
}

/// Lists the required inputs each workflow lacks and how to supply them.
fn print_missing(err: &mut impl Write, missing: &[(String, Vec<InputInfo>)]) -> ExitCode {
    for (id, inputs) in missing {
        let _ = writeln!(
            err,
            "error: workflow `{}` is missing required input{}:",
            clean_line(id),
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
            let _ = writeln!(err, "  {}", clean_line(&format!("{}{ty}{desc}", m.name)));
        }
    }
    let _ = writeln!(
        err,
        "\nsupply them with --input NAME=VALUE or --inputs FILE (or run with --mock to synthesize them)"
    );
    exit::code(exit::INVALID)
}

/// Lists the inputs each workflow's schema rejects, and why (never quoting
/// a secret input: [`arazzo_engine::inputs::InputsPlan::prepare`]).
fn print_invalid_inputs(err: &mut impl Write, invalid: &[(String, Vec<InputError>)]) -> ExitCode {
    for (id, errors) in invalid {
        let _ = writeln!(
            err,
            "error: workflow `{}` has invalid inputs:",
            clean_line(id)
        );
        for e in errors {
            let _ = writeln!(err, "  {}", clean_line(&e.to_string()));
        }
    }
    let _ = writeln!(
        err,
        "\nfix them in --input NAME=VALUE or --inputs FILE (`arazzo-run list` shows each input's type)"
    );
    exit::code(exit::INVALID)
}

/// `""` for one, `"s"` for any other count.
fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Tells people (not machines) about the document's findings that do not
/// stop the run: errors in workflows that do not run, and warnings (shown
/// in full with `-v`; not counted with `-q`, which shows them only beside
/// a failure they concern).
pub fn notices(edge: &Edge, args: &RunArgs, scoped: &Scoped) {
    if args.format != RunFormat::Pretty {
        return;
    }
    let mut err = edge.stderr();
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
        let (color, hints) = (stderr_color(), FlagHints::default());
        for w in warnings {
            let _ = writeln!(err, "{}\n", render(&hints.diagnostic(w), color));
        }
    } else if !warnings.is_empty() && !args.quiet {
        let _ = writeln!(
            err,
            "{} warning{} in the document (run `arazzo-run validate {}` to see them)",
            warnings.len(),
            plural(warnings.len()),
            args.file
        );
    }
    let _ = err.flush();
}

/// Prints warnings about the command line (an input name that resembles a
/// declared one) to standard error, in every format.
pub fn warnings(edge: &Edge, warnings: &[String]) {
    let mut err = edge.stderr();
    for w in warnings {
        let _ = writeln!(err, "warning: {}", clean_line(w));
    }
    let _ = err.flush();
}

/// Shows a run as it happens and what it did.
pub struct Presenter {
    /// The live view (used only for the pretty format).
    view: Pretty,
    /// Whether the format is pretty (else JSON).
    pretty: bool,
    /// `-v` count.
    verbose: u8,
    /// Adds the flags that fix what the library reports.
    hints: FlagHints,
    /// The exchanges, when `--har` asks for them.
    har: Option<Har>,
    /// When the run started (the presenter is made just before it runs).
    started: std::time::SystemTime,
    /// The document's warnings written inside each step, by workflow and
    /// step id: a failure of that step shows them.
    related: HashMap<(String, String), Vec<Diagnostic>>,
}

/// The document's `warnings` that lie inside each step of `plan` (in the
/// text of its step object), by workflow and step id: a misspelt
/// `$inputs.projectID` warned about at compile time is why its step later
/// fails, so the failure shows the warning beside it.
fn warnings_by_step(
    plan: &Plan,
    warnings: &[Diagnostic],
) -> HashMap<(String, String), Vec<Diagnostic>> {
    let mut by_step: HashMap<(String, String), Vec<Diagnostic>> = HashMap::new();
    if warnings.is_empty() {
        return by_step;
    }
    for w in &plan.workflows {
        let Some(doc) = plan.sources.arazzo.get(w.doc.get()) else {
            continue;
        };
        for step in &w.steps {
            let at = doc.doc.locate(&step.path, arazzo_model::Part::Value);
            let inside: Vec<Diagnostic> = warnings
                .iter()
                .filter(|d| {
                    d.location.as_ref().is_some_and(|l| {
                        l.file.name() == at.file.name()
                            && l.span.start >= at.span.start
                            && l.span.end <= at.span.end
                            && at.span.end > at.span.start
                    })
                })
                .cloned()
                .collect();
            if !inside.is_empty() {
                by_step
                    .entry((w.id.clone(), step.id.clone()))
                    .or_default()
                    .extend(inside);
            }
        }
    }
    by_step
}

/// Adds to each `failure` of the JSON report `report` (a workflow's, a
/// step's) the document's warnings written inside its failing step, as
/// `documentWarnings` in `validate`'s diagnostic form.
fn with_document_warnings(
    report: &mut serde_json::Value,
    related: &HashMap<(String, String), Vec<Diagnostic>>,
) {
    if related.is_empty() {
        return;
    }
    let Some(workflows) = report
        .get_mut("workflows")
        .and_then(serde_json::Value::as_array_mut)
    else {
        return;
    };
    let annotate = |wf: &str, failure: &mut serde_json::Value, step: Option<&str>| {
        let step = step.or_else(|| failure.get("stepId").and_then(|s| s.as_str()));
        let Some(ds) = step.and_then(|s| related.get(&(wf.to_string(), s.to_string()))) else {
            return;
        };
        let list: Vec<serde_json::Value> = ds.iter().map(Diagnostic::to_json).collect();
        if let Some(obj) = failure.as_object_mut() {
            obj.insert("documentWarnings".into(), list.into());
        }
    };
    for w in workflows {
        let id = w
            .get("workflowId")
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string();
        if let Some(f) = w.get_mut("failure") {
            annotate(&id, f, None);
        }
        for step in w
            .get_mut("steps")
            .and_then(serde_json::Value::as_array_mut)
            .into_iter()
            .flatten()
        {
            let step_id = step
                .get("stepId")
                .and_then(|v| v.as_str())
                .map(str::to_string);
            if let Some(f) = step.get_mut("failure") {
                annotate(&id, f, step_id.as_deref());
            }
        }
    }
}

/// A document warning in one line: `warning[unknown-input] at f.yaml:18:20:
/// workflow `items` declares no input `projectID` (did you mean `projectId`?)`.
fn one_line(d: &Diagnostic) -> String {
    let at = d
        .location
        .as_ref()
        .map(|l| format!(" at {l}"))
        .unwrap_or_default();
    let hint = d
        .hint
        .as_deref()
        .map(|h| format!(" ({h})"))
        .unwrap_or_default();
    format!("warning[{}]{at}: {}{hint}", d.code, d.message)
}

/// A failed workflow's failure with the place of its step (or of the
/// workflow) in `plan`, rendered like a diagnostic (`error[step-failed]: …`
/// and the source line).
fn render_failure_place(plan: &Plan, w: &WorkflowRecord, color: bool) -> Option<String> {
    let failure = w.failure.as_ref()?;
    let location = plan.step_location(&w.workflow_id, failure.step_id.as_deref())?;
    let (id, label) = match &failure.step_id {
        Some(step) => ("step-failed", format!("step `{step}` failed here")),
        None => ("workflow-failed", format!("workflow `{}`", w.workflow_id)),
    };
    let message = format!(
        "{} failed ({}): {}",
        w.workflow_id,
        failure.kind,
        w.error.as_deref().unwrap_or("no reason")
    );
    Some(render_failure(
        id,
        &clean_line(&message),
        &location,
        Some(&clean_line(&label)),
        color,
    ))
}

impl Presenter {
    /// A presenter for `args`' format and verbosity; `plan` names the
    /// security schemes that credential hints describe.
    /// `warnings` are the document's (those `--allow` silences left out):
    /// a failed step shows those written inside it.
    pub fn new(edge: &Edge, args: &RunArgs, plan: &Plan, warnings: &[Diagnostic]) -> Presenter {
        let pretty = args.format == RunFormat::Pretty;
        let stdout_tty = edge::stdout_is_terminal();
        let related = warnings_by_step(plan, warnings);
        let mut presenter = Presenter {
            view: Pretty::new(
                edge,
                color_enabled(stdout_tty),
                stdout_tty && pretty,
                Mode {
                    verbose: args.verbose,
                    quiet: args.quiet,
                    mock: args.mock,
                },
                Columns::for_plan(plan),
            ),
            pretty,
            verbose: args.verbose,
            hints: FlagHints::for_plan(plan),
            har: args.har.as_ref().map(|_| Har::new()),
            started: std::time::SystemTime::now(),
            related,
        };
        let lines = presenter
            .related
            .iter()
            .map(|(k, ds)| (k.clone(), ds.iter().map(one_line).collect()))
            .collect();
        presenter.view.set_related(lines);
        if pretty {
            presenter.view.offline_banner();
        }
        presenter
    }

    /// Shows one piece of progress (only in the pretty format; mock notes
    /// only with `-v`), and keeps the exchanges for `--har`.
    pub fn progress(&mut self, p: Progress<'_>) {
        if let (Some(har), Progress::Event(e)) = (&mut self.har, &p) {
            har.event(e);
        }
        if !self.pretty {
            return;
        }
        match p {
            Progress::Event(e) => {
                let e = self.hints.event(e);
                self.view.event(&e);
            }
            Progress::MockWarning(wf, step, m) => {
                self.view.runtime_warning(Some(wf), Some(step), m)
            }
            Progress::MockNote(m) if self.verbose > 0 => self.view.note(m),
            Progress::MockNote(_) => {}
        }
    }

    /// Prints the summary (pretty; failures shown where `plan` writes them,
    /// and that `interrupted` stopped the run) and returns what the other
    /// outputs need: the report with its hints, its JSON form and the
    /// exchanges for `--har`.
    pub fn conclude(
        mut self,
        mut report: RunReport,
        plan: &Plan,
        args: &RunArgs,
        interrupted: Option<Interruption>,
    ) -> Concluded {
        self.hints.report(&mut report);
        let report = stamp(report, plan, args, self.started);
        let json = serde_json::to_value(&report)
            .map(|mut v| {
                with_document_warnings(&mut v, &self.related);
                v
            })
            .unwrap_or_else(|_| serde_json::json!({}));
        let report = report.run;
        if self.pretty {
            let color = self.view.color();
            let failures: Vec<String> = report
                .workflows
                .iter()
                .filter(|w| w.reason == Reason::Requested && w.status == Status::Failed)
                .filter_map(|w| {
                    let failure = render_failure_place(plan, w, color)?;
                    let step = w.failure.as_ref().and_then(|f| f.step_id.clone());
                    let related = step
                        .and_then(|s| self.related.get(&(w.workflow_id.clone(), s)))
                        .map(|ds| {
                            ds.iter()
                                .map(|d| format!("\n\n{}", render(d, color).trim_end()))
                                .collect::<String>()
                        })
                        .unwrap_or_default();
                    Some(format!("{}{related}", failure.trim_end()))
                })
                .collect();
            self.view.summary(&report, &failures);
            if let Some(signal) = interrupted {
                self.view.warning(&format!(
                    "interrupted by {}: the run stopped; the summary and the report files hold what ran until then",
                    signal.signal()
                ));
            }
        }
        Concluded {
            file: args.file.clone(),
            report,
            json,
            har: self.har,
        }
    }
}

/// What one document's run left for the outputs.
pub struct Concluded {
    /// The document, as named on the command line.
    pub file: String,
    /// The run's report (with the flag hints).
    pub report: RunReport,
    /// The stamped JSON report of the document.
    pub json: serde_json::Value,
    /// The exchanges, when `--har` asks for them.
    pub har: Option<Har>,
}

/// Prints the JSON report or TAP of one document's run (the pretty summary
/// is already out), writes the report files, and returns the exit code: the
/// signal's ([`Interruption::exit_code`]) when one stopped the run, whatever
/// else happened.
pub fn finish(
    edge: &Edge,
    args: &RunArgs,
    done: Concluded,
    interrupted: Option<Interruption>,
) -> ExitCode {
    let json = serde_json::to_string_pretty(&done.json).unwrap_or_else(|_| "{}".into());
    match args.format {
        RunFormat::Pretty => {}
        RunFormat::Json => print_stdout(edge, &json, Net::Json),
        RunFormat::Tap => print_stdout(
            edge,
            &super::tap::render(&[super::tap::TapDoc::Ran(&done.file, &done.report)], false),
            Net::Plain,
        ),
    }
    let report = &done.report;
    let written = write_files(
        edge,
        args,
        &json,
        &|| super::junit::render(report),
        done.har.as_ref(),
    );
    if let Some(signal) = interrupted {
        if let Err(failure) = written {
            stop(edge, failure);
        }
        return exit::code(signal.exit_code());
    }
    if let Err(failure) = written {
        return stop(edge, failure);
    }
    exit::code(if succeeded(report) {
        exit::SUCCESS
    } else {
        exit::FAILURE
    })
}

/// Writes `text` to standard output through the edge (`Net::Json` for
/// JSON, whose masking keeps it valid).
pub fn print_stdout(edge: &Edge, text: &str, net: Net) {
    let mut out = match net {
        Net::Json => edge.stdout_json(),
        _ => edge.stdout(false),
    };
    let _ = write!(out, "{}", text.trim_end());
    let _ = writeln!(out);
    let _ = out.flush();
}

/// The report as the command writes it: stamped with the report format's
/// version, this program, the document, the run's start (`started`) and end
/// (now), and the totals, counting as skipped the requested workflows
/// (`--workflow`, or every root workflow of `plan`) that never started.
fn stamp(
    report: RunReport,
    plan: &Plan,
    args: &RunArgs,
    started: std::time::SystemTime,
) -> StampedReport {
    let requested: Vec<String> = if args.workflows.is_empty() {
        plan.root_workflows().map(|(_, w)| w.id.clone()).collect()
    } else {
        args.workflows.clone()
    };
    StampedReport {
        report_version: REPORT_VERSION,
        tool: Tool {
            name: "arazzo-run".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        },
        file: args.file.clone(),
        started_at: rfc3339(started),
        ended_at: rfc3339(std::time::SystemTime::now()),
        totals: report.totals(plan, &requested),
        run: report,
    }
}

/// Writes the `--report` JSON (`json`), the `--junit` XML (`junit`,
/// rendered only when asked for) and the `--har` files, when asked for.
pub fn write_files(
    edge: &Edge,
    args: &RunArgs,
    json: &str,
    junit: &dyn Fn() -> String,
    har: Option<&Har>,
) -> Result<(), Stop> {
    if let Some(path) = &args.report {
        edge.write_file(path, &format!("{json}\n"), Net::Json)
            .map_err(|e| Stop::Failure(format!("cannot write the report to {path}: {e}")))?;
    }
    if let Some(path) = &args.junit {
        edge.write_file(path, &junit(), Net::Plain)
            .map_err(|e| Stop::Failure(format!("cannot write the JUnit report to {path}: {e}")))?;
    }
    if let (Some(path), Some(har)) = (&args.har, har) {
        edge.write_file(path, &har.render(), Net::Json)
            .map_err(|e| Stop::Failure(format!("cannot write the HAR file to {path}: {e}")))?;
    }
    Ok(())
}

/// Whether at least one workflow was requested and every requested one succeeded.
pub fn succeeded(report: &RunReport) -> bool {
    let mut requested = report
        .workflows
        .iter()
        .filter(|w| w.reason == Reason::Requested)
        .peekable();
    requested.peek().is_some() && requested.all(|w| w.status == Status::Succeeded)
}

/// The flags a library message may point to; a message naming one already
/// gets no hint.
const FLAGS: [&str; 3] = ["--server", "--source", "--auth"];

/// Adds to library messages the command-line flag that fixes what they
/// report: the libraries do not know the command line, so their messages
/// describe the problem and the CLI says which flag to use.
#[derive(Default)]
pub struct FlagHints {
    /// The security schemes of the run, by name (the first declared wins).
    schemes: HashMap<String, SecurityScheme>,
}

impl FlagHints {
    /// Hints for a run of `plan`, which declares the schemes credential hints describe.
    pub fn for_plan(plan: &Plan) -> FlagHints {
        let mut schemes = HashMap::new();
        for (name, scheme) in plan.apis.iter().flat_map(|a| a.schemes.iter()) {
            schemes
                .entry(name.clone())
                .or_insert_with(|| scheme.clone());
        }
        FlagHints { schemes }
    }

    /// `message` with the flag that fixes it: `--source`/`--server` before an
    /// unknown source override (`code` [`Code::UnknownSource`]), `--auth` and
    /// its environment variables after missing credentials, `--server` after
    /// a missing server. Unchanged when it names a flag already or needs none.
    pub fn message(&self, code: Option<Code>, message: &str) -> String {
        if FLAGS.iter().any(|f| message.contains(f)) {
            return message.to_string();
        }
        if let Some((flag, source)) = overridden_source(code, message) {
            return format!("{flag} {source}=…: {message}");
        }
        if let Some(at) = message.find("no credentials for ") {
            let names = &message[at..];
            let names = names.split_once("; ").map_or(names, |(n, _)| n);
            let scheme = backquoted(names).find_map(|n| self.schemes.get(n));
            let hint = scheme.map(credential_hint).unwrap_or_default();
            return format!("{}{names}; {hint}", &message[..at]);
        }
        if message.contains("no server to send ") {
            return format!("{message} (point the source at one with --server NAME=URL)");
        }
        message.to_string()
    }

    /// `d` with [`FlagHints::message`] applied, and `--source` suggested for a
    /// source description that could not be loaded.
    pub fn diagnostic<'a>(&self, d: &'a Diagnostic) -> Cow<'a, Diagnostic> {
        let message = self.message(Some(d.code), &d.message);
        let hint = unloaded_source(&d.message)
            .filter(|_| !d.hint.as_deref().unwrap_or_default().contains("--source"))
            .map(|name| {
                let point = format!("use `--source {name}=PATH` to point it elsewhere");
                match d.hint.as_deref() {
                    Some(h) if !h.is_empty() => format!("{h}; {point}"),
                    _ => point,
                }
            });
        if message == d.message && hint.is_none() {
            return Cow::Borrowed(d);
        }
        let mut d = d.clone();
        d.message = message;
        d.hint = hint.or(d.hint);
        Cow::Owned(d)
    }

    /// `e` with hints in its warning and error messages.
    fn event<'a>(&self, e: &'a Event) -> Cow<'a, Event> {
        if !matches!(
            e,
            Event::Warning { .. } | Event::StepFinished { .. } | Event::WorkflowFinished { .. }
        ) {
            return Cow::Borrowed(e);
        }
        let mut e = e.clone();
        match &mut e {
            Event::Warning { message, .. } => *message = self.message(None, message),
            Event::StepFinished { record, .. } => self.step(record),
            Event::WorkflowFinished { record } => self.workflow(record),
            _ => {}
        }
        Cow::Owned(e)
    }

    /// Adds hints to every warning and error of `report`.
    fn report(&self, report: &mut RunReport) {
        report.workflows.iter_mut().for_each(|w| self.workflow(w));
    }

    /// Adds hints to a workflow's error, its warnings and its steps' errors.
    fn workflow(&self, w: &mut WorkflowRecord) {
        for m in w.error.iter_mut().chain(&mut w.warnings) {
            *m = self.message(None, m);
        }
        w.steps.iter_mut().for_each(|s| self.step(s));
    }

    /// Adds a hint to a step's error.
    fn step(&self, s: &mut StepRecord) {
        if let Some(m) = &mut s.error {
            *m = self.message(None, m);
        }
    }
}

/// For an override that names a source the document lacks (an
/// [`Code::UnknownSource`] diagnostic without a flag): the flag and the source.
fn overridden_source(code: Option<Code>, message: &str) -> Option<(&'static str, &str)> {
    if code.is_some_and(|c| c != Code::UnknownSource) {
        return None;
    }
    let (flag, rest) =
        if let Some(r) = message.strip_prefix("the document has no OpenAPI source description `") {
            ("--server", r)
        } else {
            (
                "--source",
                message.strip_prefix("the document has no source description `")?,
            )
        };
    Some((flag, rest.strip_suffix('`')?))
}

/// The source named by a "source `NAME` could not be loaded" message.
fn unloaded_source(message: &str) -> Option<&str> {
    let rest = message.strip_prefix("source `")?;
    rest.split_once("` could not be loaded")
        .map(|(name, _)| name)
}

/// The `backquoted` parts of `text`.
fn backquoted(text: &str) -> impl Iterator<Item = &str> {
    text.split('`').skip(1).step_by(2)
}

/// How a user supplies a credential for `scheme` on the command line or in
/// the environment.
fn credential_hint(scheme: &SecurityScheme) -> String {
    let n = &scheme.name;
    let env = arazzo_engine::env_name(n);
    match &scheme.kind {
        SchemeKind::Basic => format!(
            "supply them with `--auth {n}.username=… --auth {n}.password=…` (or {env}_USERNAME and {env}_PASSWORD)"
        ),
        SchemeKind::OAuth2(flows) if flows.client_credentials.is_some() => format!(
            "supply `--auth {n}.client_id=… --auth {n}.client_secret=…` (or {env}_CLIENT_ID and {env}_CLIENT_SECRET), or an access token with `--auth {n}=TOKEN` ({env})"
        ),
        _ => format!("supply it with `--auth {n}=VALUE` (or {env})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hints() -> FlagHints {
        let scheme = |name: &str, kind: SchemeKind| {
            (
                name.to_string(),
                SecurityScheme {
                    name: name.to_string(),
                    kind,
                    description: None,
                },
            )
        };
        FlagHints {
            schemes: HashMap::from([
                scheme("basic", SchemeKind::Basic),
                scheme("token", SchemeKind::Bearer { format: None }),
            ]),
        }
    }

    #[test]
    fn flag_hints_are_added_once() {
        let h = hints();
        let cases: [(Option<Code>, &str, &str); 9] = [
            (
                Some(Code::UnknownSource),
                "the document has no source description `api`",
                "--source api=…: the document has no source description `api`",
            ),
            (
                Some(Code::UnknownSource),
                "the document has no OpenAPI source description `api`",
                "--server api=…: the document has no OpenAPI source description `api`",
            ),
            (
                Some(Code::UnknownSource),
                "--server api=…: the document has no OpenAPI source description `api`",
                "--server api=…: the document has no OpenAPI source description `api`",
            ),
            (
                Some(Code::Io),
                "the document has no source description `api`",
                "the document has no source description `api`",
            ),
            (
                None,
                "GET /pets: no credentials for `token`",
                "GET /pets: no credentials for `token`; supply it with `--auth token=VALUE` (or ARAZZO_AUTH_TOKEN)",
            ),
            (
                None,
                "GET /pets: no credentials for `basic`; give a user name and password",
                "GET /pets: no credentials for `basic`; supply them with `--auth basic.username=… --auth basic.password=…` (or ARAZZO_AUTH_BASIC_USERNAME and ARAZZO_AUTH_BASIC_PASSWORD)",
            ),
            (
                None,
                "GET /pets: no credentials for `token`; supply it with `--auth token=VALUE` (or ARAZZO_AUTH_TOKEN)",
                "GET /pets: no credentials for `token`; supply it with `--auth token=VALUE` (or ARAZZO_AUTH_TOKEN)",
            ),
            (
                None,
                "step `a` failed: no server to send GET /pets to: no servers",
                "step `a` failed: no server to send GET /pets to: no servers (point the source at one with --server NAME=URL)",
            ),
            (
                None,
                "`$statusCode == 200` failed",
                "`$statusCode == 200` failed",
            ),
        ];
        for (code, message, expected) in cases {
            assert_eq!(h.message(code, message), expected, "{message}");
        }
    }

    #[test]
    fn sources_that_did_not_load_suggest_source() {
        let h = FlagHints::default();
        let d = Diagnostic::error(
            Code::SourceLoad,
            "source `pets` could not be loaded: cannot read `p.yaml`: no such file",
        )
        .hint("`p.yaml` is resolved against file:///w/");
        let hinted = h.diagnostic(&d);
        let expected = "`p.yaml` is resolved against file:///w/; use `--source pets=PATH` to point it elsewhere";
        assert_eq!(hinted.hint.as_deref(), Some(expected));
        assert_eq!(h.diagnostic(&hinted).hint.as_deref(), Some(expected));
        let bare = Diagnostic::error(Code::SourceLoad, "source `pets` could not be loaded: gone");
        assert_eq!(
            h.diagnostic(&bare).hint.as_deref(),
            Some("use `--source pets=PATH` to point it elsewhere")
        );
    }
}
