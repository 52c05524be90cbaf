//! The human view of a run: a live line per step in aligned columns (with
//! a spinner while a request is in flight on a terminal), failures that say
//! which criterion failed and the actual value and which warnings of the
//! document concern the failed step, each runtime warning once per step, and
//! a summary with the outputs (each value cut at [`VALUE_CAP`] characters
//! unless `-v`). `-q` shows only failures.
//!
//! What a server or the document wrote (ids, URLs, headers, bodies, reasons,
//! outputs) is made safe for a terminal before it is shown ([`clean`]):
//! control characters appear as `\u{1b}`, so only this view's own colours
//! reach the terminal. Every line leaves through the run's output edge.

use std::collections::HashMap;
use std::io::{Stdout, Write};
use std::time::Duration;

use anstyle::{AnsiColor, Style};
use arazzo_engine::report::{
    ActionType, BODY_EXCERPT_BYTES, DelaySource, Event, Reason, ResponseDetail, RunReport, Status,
    StepRecord, WorkflowRecord,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::edge::{Edge, Masked, clean_line, clean_value};
use super::har::reason_phrase;

/// Success: `✓`, succeeded workflows, 2xx and 3xx statuses.
const GREEN: Style = AnsiColor::Green.on_default().bold();
/// Failure: `✗`, failure reasons, other statuses.
const RED: Style = AnsiColor::Red.on_default().bold();
/// Warnings and retries.
const YELLOW: Style = AnsiColor::Yellow.on_default().bold();
/// Context: durations, headers, notes.
const DIM: Style = Style::new().dimmed();
/// Names: workflows, steps, output headings.
const BOLD: Style = Style::new().bold();
/// Requests, responses, actions and output names.
const CYAN: Style = AnsiColor::Cyan.on_default();

/// How many characters of an output value the summary shows without `-v`;
/// a longer value is cut there and ends with `… (N bytes)`.
pub const VALUE_CAP: usize = 200;

/// The widest the step id column grows; a longer id pushes its line's
/// other columns.
const STEP_COLUMN_MAX: usize = 32;

/// The widest the method and path column grows; a longer target is cut
/// in its query, never in its path.
const TARGET_COLUMN_MAX: usize = 56;

/// How [`Pretty`] shows a run, beyond colour and the terminal.
#[derive(Debug, Clone, Copy, Default)]
pub struct Mode {
    /// `-v` count: headers with 1, bodies too with 2, and whole output values.
    pub verbose: u8,
    /// `-q`: failures only.
    pub quiet: bool,
    /// `--mock`: the requests go to generated mock servers.
    pub mock: bool,
}

/// The widths of the step id and `METHOD /path` columns, from the steps
/// of the plan (so that every line of a run lines up).
#[derive(Debug, Clone, Copy, Default)]
pub struct Columns {
    /// The step id column.
    pub step: usize,
    /// The `METHOD /path` column.
    pub target: usize,
    /// How deep workflow steps nest workflows (at most [`NESTING_ALIGNED`]):
    /// the lines of nested workflows, indented, keep the same columns.
    pub nesting: usize,
}

/// The nesting depth up to which nested workflows' step lines keep the
/// columns of the outer ones.
const NESTING_ALIGNED: usize = 4;

/// How many levels of workflow steps lie below workflow `wf` (0 when it
/// calls none), counted up to `NESTING_ALIGNED` (a recursive call stops there).
fn nesting(
    plan: &arazzo_engine::plan::Plan,
    wf: arazzo_engine::plan::WorkflowIndex,
    level: usize,
) -> usize {
    if level >= NESTING_ALIGNED {
        return level;
    }
    let Some(w) = plan.workflow(wf) else {
        return level;
    };
    w.steps
        .iter()
        .filter_map(|s| match s.target {
            arazzo_engine::plan::Target::Workflow(callee) => Some(nesting(plan, callee, level + 1)),
            _ => None,
        })
        .max()
        .unwrap_or(level)
}

impl Columns {
    /// Columns wide enough for every step id and target label of `plan`,
    /// within [`STEP_COLUMN_MAX`] and [`TARGET_COLUMN_MAX`].
    pub fn for_plan(plan: &arazzo_engine::plan::Plan) -> Columns {
        let mut c = Columns::default();
        for w in &plan.workflows {
            for s in &w.steps {
                c.step = c.step.max(s.id.chars().count());
                let label = match &s.target {
                    arazzo_engine::plan::Target::Workflow(_) => {
                        format!("→ workflow {} (NN steps)", plan.target_label(&s.target))
                    }
                    t => plan.target_label(t),
                };
                c.target = c.target.max(label.chars().count());
            }
        }
        let nesting = plan
            .root_workflows()
            .map(|(i, _)| nesting(plan, i, 0))
            .max()
            .unwrap_or(0);
        // Path parameters' values are often longer than their names, and
        // a query may follow: a little room beyond the templates.
        Columns {
            step: c.step.min(STEP_COLUMN_MAX),
            target: (c.target + 4).min(TARGET_COLUMN_MAX),
            nesting,
        }
    }
}

/// A runtime warning as it was first shown, and how often it came.
struct Seen {
    /// The step it belongs to, if any.
    step: Option<String>,
    /// The warning.
    message: String,
    /// How many times it came.
    count: usize,
}

/// Renders events as they arrive.
pub struct Pretty {
    /// Whether to paint with ANSI styles.
    color: bool,
    /// Whether to turn a spinner while a step runs (a terminal only).
    live: bool,
    /// `-v` count: headers with 1, bodies too with 2, whole output values.
    verbose: u8,
    /// `-q`: only failures (and the failure summary) are shown.
    quiet: bool,
    /// Whether the requests go to generated mock servers.
    mock: bool,
    /// The widths of the step line's columns.
    columns: Columns,
    /// The runtime warnings shown, by workflow, step and text, in order.
    seen: Vec<Seen>,
    /// Where each key of `seen` is.
    seen_at: HashMap<(Option<String>, Option<String>, String), usize>,
    /// The steps run by the last called workflow that finished (the next
    /// workflow step's line names it).
    callee_steps: Option<(String, usize)>,
    /// Warnings of the step in flight, shown under its line when it finishes.
    pending: Vec<String>,
    /// With `-q`: the headers of the workflows started and not yet shown;
    /// a failure shows them first, so that it has its context.
    held: Vec<String>,
    /// The document's warnings at failed steps, by workflow and step id,
    /// each as one line.
    related: HashMap<(String, String), Vec<String>>,
    /// The spinner of the step in flight.
    spinner: Option<indicatif::ProgressBar>,
    /// Nesting depth of the workflow being shown.
    depth: usize,
    /// Depths of workflows started and not finished, innermost last. A goto
    /// target has the depth of the workflow that made the goto, and both finish.
    open: Vec<usize>,
    /// Standard output, masked.
    out: Masked<Stdout>,
    /// Masks the spinner's message, which the spinner writes itself.
    edge: Edge,
}

/// `value` with every string made safe for a terminal ([`clean_line`]; bodies
/// keep their lines), through its JSON form so no field is forgotten.
fn clean<T: Serialize + DeserializeOwned + Clone>(value: &T) -> T {
    let Ok(mut v) = serde_json::to_value(value) else {
        return value.clone();
    };
    clean_value(&mut v, &["body"]);
    serde_json::from_value(v).unwrap_or_else(|_| value.clone())
}

impl Pretty {
    /// A renderer writing to standard output. `live` enables the spinner
    /// (only on a terminal); `color` enables ANSI styles.
    pub fn new(edge: &Edge, color: bool, live: bool, mode: Mode, columns: Columns) -> Pretty {
        Pretty {
            color,
            live: live && !mode.quiet,
            verbose: mode.verbose,
            quiet: mode.quiet,
            mock: mode.mock,
            columns,
            seen: Vec::new(),
            seen_at: HashMap::new(),
            callee_steps: None,
            held: Vec::new(),
            pending: Vec::new(),
            related: HashMap::new(),
            spinner: None,
            depth: 0,
            open: Vec::new(),
            out: edge.stdout(color),
            edge: edge.clone(),
        }
    }

    /// `text` in `style`, when colour is on.
    fn paint(&self, style: Style, text: &str) -> String {
        if self.color {
            format!("{}{text}{}", style.render(), style.render_reset())
        } else {
            text.to_string()
        }
    }

    /// Prints a line, above the spinner if one is turning.
    fn println(&mut self, line: &str) {
        let out = &mut self.out;
        let mut print = || {
            let _ = writeln!(out, "{line}");
            let _ = out.flush();
        };
        match &self.spinner {
            Some(s) => s.suspend(print),
            None => print(),
        }
    }

    /// With `-q`, before a failure: the headers of the workflows it is in.
    fn show_held(&mut self) {
        for line in std::mem::take(&mut self.held) {
            self.println(&line);
        }
    }

    /// Stops the spinner and clears its line (a nested workflow's steps, a
    /// finished step or the summary take its place).
    fn clear_spinner(&mut self) {
        if let Some(s) = self.spinner.take() {
            s.finish_and_clear();
        }
    }

    /// The document's warnings (one line each) that concern each step, by
    /// workflow and step id: shown under the step when it fails.
    pub fn set_related(&mut self, related: HashMap<(String, String), Vec<String>>) {
        self.related = related;
    }

    /// Says, before anything runs, that the requests go to mock servers.
    pub fn offline_banner(&mut self) {
        if self.mock && !self.quiet {
            let line = format!(
                "{} every request goes to a generated mock server (--mock)",
                self.paint(DIM, "offline:")
            );
            self.println(&line);
        }
    }

    /// The indentation of the current workflow nesting depth.
    fn indent(&self) -> String {
        "  ".repeat(self.depth)
    }

    /// Prints a runtime warning the first time it comes for its workflow and
    /// step; a repeat (a goto loop, a retry) is only counted, and the
    /// summary gives the count. Nothing with `-q`.
    pub fn runtime_warning(&mut self, workflow: Option<&str>, step: Option<&str>, message: &str) {
        let key = (
            workflow.map(str::to_string),
            step.map(str::to_string),
            message.to_string(),
        );
        if let Some(&i) = self.seen_at.get(&key) {
            if let Some(s) = self.seen.get_mut(i) {
                s.count += 1;
            }
            return;
        }
        self.seen_at.insert(key, self.seen.len());
        self.seen.push(Seen {
            step: step.map(str::to_string),
            message: message.to_string(),
            count: 1,
        });
        if self.quiet {
            return;
        }
        match step {
            // Shown under its step's line, which comes next (or in place,
            // when the step's line is already out).
            Some(_) => self.pending.push(message.to_string()),
            None => self.warning(message),
        }
    }

    /// Prints the step warnings held for the step's line, under it.
    fn flush_pending(&mut self) {
        for message in std::mem::take(&mut self.pending) {
            let line = format!(
                "{}      {} {}",
                self.indent(),
                self.paint(YELLOW, "warning:"),
                clean_line(&message)
            );
            self.println(&line);
        }
    }

    /// Prints a warning line.
    pub fn warning(&mut self, message: &str) {
        let line = format!(
            "{}  {} {}",
            self.indent(),
            self.paint(YELLOW, "warning:"),
            clean_line(message)
        );
        self.println(&line);
    }

    /// Prints a note: context that explains a result without being a problem.
    pub fn note(&mut self, message: &str) {
        let line = format!(
            "{}  {} {}",
            self.indent(),
            self.paint(DIM, "note:"),
            clean_line(message)
        );
        self.println(&line);
    }

    /// Renders one event (its text made safe for a terminal first).
    pub fn event(&mut self, e: &Event) {
        // Warnings that came after their step's line (a response check):
        // shown before the next step, retry or workflow line.
        if matches!(
            e,
            Event::StepStarted { .. }
                | Event::RetryScheduled { .. }
                | Event::WorkflowStarted { .. }
                | Event::WorkflowFinished { .. }
        ) {
            self.flush_pending();
        }
        match &clean(e) {
            Event::WorkflowStarted {
                workflow_id,
                depth,
                reason,
                ..
            } => self.workflow_started(workflow_id, *depth, *reason),
            Event::StepStarted {
                step_id,
                attempt,
                target,
                ..
            } if self.live => self.start_spinner(step_id, *attempt, target),
            Event::RequestSent { .. } | Event::ResponseReceived { .. } if self.quiet => {}
            Event::RequestSent {
                method,
                url,
                headers,
                body,
                step_id,
                ..
            } if self.verbose > 0 => {
                let who = if step_id == "oauth2" {
                    " (OAuth2 token)"
                } else {
                    ""
                };
                let first = format!("{} {method} {url}{who}", self.paint(CYAN, "→"));
                self.exchange(&first, headers, body.as_deref());
            }
            Event::ResponseReceived {
                status,
                headers,
                body,
                duration_ms,
                ..
            } if self.verbose > 0 => {
                let first = format!(
                    "{} {status} {}",
                    self.paint(CYAN, "←"),
                    self.paint(DIM, &format!("{duration_ms}ms"))
                );
                self.exchange(&first, headers, body.as_deref());
            }
            Event::StepFinished {
                workflow_id,
                record,
            } => self.step_finished(workflow_id, record),
            Event::RetryScheduled {
                delay_ms,
                source,
                attempt,
                ..
            } => self.retry_scheduled(*attempt, *delay_ms, *source),
            Event::Warning {
                workflow_id,
                step_id,
                message,
            } => self.runtime_warning(workflow_id.as_deref(), step_id.as_deref(), message),
            Event::WorkflowFinished { record } => self.workflow_finished(record),
            _ => {}
        }
    }

    /// `▶ id`, with why it runs unless it was requested.
    fn workflow_started(&mut self, workflow_id: &str, depth: usize, reason: Reason) {
        // The calling step's spinner: the called workflow's lines follow.
        self.clear_spinner();
        self.depth = depth;
        self.open.push(depth);
        let why = match reason {
            Reason::Requested => String::new(),
            other => self.paint(DIM, &format!(" ({other})")),
        };
        let line = format!(
            "{}{} {}{why}",
            self.indent(),
            self.paint(BOLD, "▶"),
            self.paint(BOLD, workflow_id)
        );
        if self.quiet {
            self.held.push(line);
        } else {
            self.println(&line);
        }
    }

    /// A spinner for the step in flight (live output only).
    fn start_spinner(&mut self, step_id: &str, attempt: u32, target: &str) {
        // One spinner at a time: a dropped one would stay on the screen.
        self.clear_spinner();
        let s = indicatif::ProgressBar::new_spinner();
        s.set_style(
            indicatif::ProgressStyle::with_template(&format!(
                "{}  {{spinner}} {{msg}}",
                self.indent()
            ))
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        );
        let attempt = if attempt > 1 {
            format!(" (attempt {attempt})")
        } else {
            String::new()
        };
        s.set_message(self.edge.mask(&format!("{step_id}  {target}{attempt}")));
        s.enable_steady_tick(Duration::from_millis(80));
        self.spinner = Some(s);
    }

    /// A request or response (`-v`): its first line, its headers, and its
    /// body with `-vv`.
    fn exchange(&mut self, first: &str, headers: &[(String, String)], body: Option<&str>) {
        let mut lines = vec![format!("{}    {first}", self.indent())];
        for (n, v) in headers {
            lines.push(format!(
                "{}      {}",
                self.indent(),
                self.paint(DIM, &format!("{n}: {v}"))
            ));
        }
        if self.verbose > 1
            && let Some(b) = body
        {
            lines.push(indent_block(b, &format!("{}      ", self.indent())));
        }
        for l in lines {
            self.println(&l);
        }
    }

    /// The step's line; for a failed step, why: its failed criteria, or its error.
    fn step_finished(&mut self, workflow_id: &str, record: &StepRecord) {
        self.clear_spinner();
        let callee = match (&record.workflow_id, self.callee_steps.take()) {
            (Some(w), Some((id, n))) if *w == id => Some(n),
            _ => None,
        };
        if self.quiet && record.status == Status::Succeeded {
            return;
        }
        self.show_held();
        let line = self.step_line(record, callee);
        self.println(&line);
        if record.status == Status::Failed {
            for l in failure_reasons(record) {
                let line = format!("{}      {}", self.indent(), self.paint(RED, &l));
                self.println(&line);
            }
            let key = (workflow_id.to_string(), record.step_id.clone());
            for l in self.related.get(&key).cloned().unwrap_or_default() {
                let line = format!(
                    "{}      {} {}",
                    self.indent(),
                    self.paint(YELLOW, "the document warns here:"),
                    clean_line(&l)
                );
                self.println(&line);
            }
            if let Some(d) = &record.response {
                for l in self.response_lines(record.status_code, d) {
                    self.println(&l);
                }
            }
        }
        self.flush_pending();
    }

    /// What the server answered to a failed step: `← 500 Internal Server
    /// Error`, the headers that explain it, and the start of the body
    /// (pretty-printed when it is whole JSON), already made safe.
    fn response_lines(&self, status: Option<u16>, d: &ResponseDetail) -> Vec<String> {
        let pad = format!("{}      ", self.indent());
        let mut lines = Vec::new();
        if let Some(code) = status {
            let phrase = reason_phrase(code);
            let first = format!("{code} {phrase}");
            lines.push(format!(
                "{pad}{} {}",
                self.paint(CYAN, "←"),
                self.paint(RED, first.trim_end())
            ));
        }
        for (n, v) in &d.headers {
            lines.push(format!("{pad}  {}", self.paint(DIM, &format!("{n}: {v}"))));
        }
        if let Some(body) = &d.body {
            let whole_json = (!d.truncated)
                .then(|| serde_json::from_str::<serde_json::Value>(body).ok())
                .flatten()
                .filter(|v| v.is_object() || v.is_array())
                .and_then(|v| serde_json::to_string_pretty(&v).ok());
            let text = whole_json.as_deref().unwrap_or(body);
            lines.push(indent_block(text, &format!("{pad}  ")));
            if d.truncated {
                lines.push(format!(
                    "{pad}  {}",
                    self.paint(
                        DIM,
                        &format!(
                            "(the first {} of {} bytes)",
                            BODY_EXCERPT_BYTES, d.body_size
                        )
                    )
                ));
            }
        }
        lines
    }

    /// `↻ attempt N in …`, with where the delay came from.
    fn retry_scheduled(&mut self, attempt: u32, delay_ms: u64, source: DelaySource) {
        if self.quiet {
            return;
        }
        let from = match source {
            DelaySource::RetryAfterHeader => " (Retry-After)",
            DelaySource::RetryAfter => " (retryAfter)",
            DelaySource::None => "",
        };
        let line = format!(
            "{}    {} attempt {attempt} in {}{from}",
            self.indent(),
            self.paint(YELLOW, "↻"),
            human_ms(delay_ms)
        );
        self.println(&line);
    }

    /// `✓ id succeeded in …` or `✗ id failed: why`.
    fn workflow_finished(&mut self, record: &WorkflowRecord) {
        if let Some(depth) = self.open.pop() {
            self.depth = depth;
        }
        if record.reason == Reason::Called {
            self.callee_steps = Some((record.workflow_id.clone(), record.steps.len()));
        }
        if self.quiet && record.status == Status::Succeeded {
            self.held.pop();
            self.depth = self.open.last().copied().unwrap_or(0);
            return;
        }
        self.show_held();
        let line = match record.status {
            Status::Succeeded => format!(
                "{}{} {} succeeded {}",
                self.indent(),
                self.paint(GREEN, "✓"),
                record.workflow_id,
                self.paint(DIM, &format!("in {}ms", record.duration_ms))
            ),
            Status::Failed => format!(
                "{}{} {} failed{}",
                self.indent(),
                self.paint(RED, "✗"),
                record.workflow_id,
                record
                    .error
                    .as_deref()
                    .map(|e| format!(": {e}"))
                    .unwrap_or_default()
            ),
        };
        self.println(&line);
        self.depth = self.open.last().copied().unwrap_or(0);
    }

    /// `✓ step  METHOD /path  200  12ms  attempt 2  goto x [name]`, in
    /// columns: the step id and the target padded to [`Columns`], the status
    /// in three characters (blank for a workflow step) and the duration
    /// right-aligned. A workflow step names the workflow it ran and how many
    /// steps that ran (`callee`).
    fn step_line(&self, r: &StepRecord, callee: Option<usize>) -> String {
        let mark = match r.status {
            Status::Succeeded => self.paint(GREEN, "✓"),
            Status::Failed => self.paint(RED, "✗"),
        };
        let target = if let Some(w) = &r.workflow_id {
            match callee {
                Some(n) => format!("→ workflow {w} ({n} step{})", if n == 1 { "" } else { "s" }),
                None => format!("→ workflow {w}"),
            }
        } else if let (Some(m), Some(u)) = (&r.method, &r.url) {
            fit_target(m, &path_of(u), self.columns.target)
        } else {
            String::new()
        };
        let status = match r.status_code {
            Some(code) => {
                let style = if (200..400).contains(&code) {
                    GREEN
                } else {
                    RED
                };
                self.paint(style, &format!("{code:>3}"))
            }
            None => "   ".to_string(),
        };
        let mut parts = vec![
            format!(
                "{}  {mark} {}",
                self.indent(),
                self.paint(
                    BOLD,
                    &pad(
                        &r.step_id,
                        self.columns.step + 2 * self.columns.nesting.saturating_sub(self.depth)
                    )
                )
            ),
            pad(&target, self.columns.target),
            status,
            self.paint(DIM, &format!("{:>6}", format!("{}ms", r.duration_ms))),
        ];
        if r.attempt > 1 {
            parts.push(self.paint(DIM, &format!("attempt {}", r.attempt)));
        }
        if let Some(a) = &r.action
            && !matches!(a.kind, ActionType::Next | ActionType::Fail)
        {
            let target = a
                .target
                .as_deref()
                .map(|t| format!(" {t}"))
                .unwrap_or_default();
            let name = a
                .name
                .as_deref()
                .map(|n| format!(" [{n}]"))
                .unwrap_or_default();
            parts.push(self.paint(CYAN, &format!("{}{target}{name}", a.kind)));
        }
        parts.join("  ").trim_end().to_string()
    }

    /// Prints the outputs of the requested workflows and a final tally.
    /// Whether output is coloured.
    pub fn color(&self) -> bool {
        self.color
    }

    /// The requested workflows' synthesized inputs and outputs, the
    /// `failures` rendered with their places, and the tally.
    pub fn summary(&mut self, report: &RunReport, failures: &[String]) {
        self.clear_spinner();
        self.flush_pending();
        let report = &clean(report);
        let requested: Vec<&WorkflowRecord> = report
            .workflows
            .iter()
            .filter(|w| w.reason == Reason::Requested)
            .collect();
        if !self.quiet {
            self.repeated_warnings();
            for w in &requested {
                self.workflow_summary(w);
            }
        }
        for f in failures {
            self.println(&format!("\n{}", f.trim_end()));
        }
        let failed = requested.iter().any(|w| w.status == Status::Failed);
        if !self.quiet || failed || requested.is_empty() {
            let line = self.tally(&requested);
            self.println(&line);
        }
    }

    /// The runtime warnings that came more than once, with their counts:
    /// `warning: … (×12 in step `poll`)`.
    fn repeated_warnings(&mut self) {
        let repeated: Vec<String> = self
            .seen
            .iter()
            .filter(|s| s.count > 1)
            .map(|s| {
                let place = s
                    .step
                    .as_deref()
                    .map(|st| format!(" in step `{st}`"))
                    .unwrap_or_default();
                format!("{} (×{}{place})", s.message, s.count)
            })
            .collect();
        if repeated.is_empty() {
            return;
        }
        self.println("");
        for r in repeated {
            let line = format!("{} {}", self.paint(YELLOW, "warning:"), clean_line(&r));
            self.println(&line);
        }
    }

    /// A requested workflow's synthesized inputs and, if it succeeded, its outputs.
    fn workflow_summary(&mut self, w: &WorkflowRecord) {
        if !w.synthesized_inputs.is_empty() {
            let line = format!(
                "{} {}: synthesized inputs {}",
                self.paint(DIM, "note:"),
                w.workflow_id,
                w.synthesized_inputs.join(", ")
            );
            self.println(&line);
        }
        if w.status == Status::Succeeded
            && let Some(m) = w.outputs.as_object()
            && !m.is_empty()
        {
            let line = format!(
                "\n{} {}",
                self.paint(BOLD, "outputs of"),
                self.paint(BOLD, &w.workflow_id)
            );
            self.println(&line);
            for (k, v) in m {
                let text = if self.verbose > 0 {
                    serde_json::to_string_pretty(v).unwrap_or_default()
                } else {
                    capped_value(v)
                };
                let line = format!("  {}: {}", self.paint(CYAN, k), indent_rest(&text, "    "));
                self.println(&line);
            }
        }
    }

    /// `N workflows succeeded` or `F of N workflows failed`.
    fn tally(&self, requested: &[&WorkflowRecord]) -> String {
        let ok = requested
            .iter()
            .filter(|w| w.status == Status::Succeeded)
            .count();
        let failed = requested.len() - ok;
        let offline = if self.mock { " (against the mock)" } else { "" };
        if failed == 0 {
            self.paint(
                GREEN,
                &format!(
                    "\n{ok} workflow{} succeeded{offline}",
                    if ok == 1 { "" } else { "s" }
                ),
            )
        } else {
            self.paint(
                RED,
                &format!(
                    "\n{failed} of {} workflow{} failed{offline}",
                    requested.len(),
                    if requested.len() == 1 { "" } else { "s" }
                ),
            )
        }
    }
}

/// Why a failed step failed: the reasons of its failed criteria, else its error.
fn failure_reasons(record: &StepRecord) -> Vec<String> {
    let failed: Vec<String> = record
        .criteria
        .iter()
        .filter(|c| !c.passed)
        .map(|c| {
            c.reason
                .clone()
                .unwrap_or_else(|| format!("`{}` failed", c.condition))
        })
        .collect();
    if failed.is_empty() {
        record.error.iter().cloned().collect()
    } else {
        failed
    }
}

/// `text` padded with spaces to `width` characters.
fn pad(text: &str, width: usize) -> String {
    let n = text.chars().count();
    format!("{text}{}", " ".repeat(width.saturating_sub(n)))
}

/// `METHOD path`, cut in its query with `…` to fit `width` characters (a
/// path that does not fit is kept whole).
fn fit_target(method: &str, path: &str, width: usize) -> String {
    let whole = format!("{method} {path}");
    if whole.chars().count() <= width {
        return whole;
    }
    let bare = path.split_once('?').map_or(path, |(p, _)| p);
    let keep = width
        .saturating_sub(1)
        .max(method.chars().count() + 1 + bare.chars().count());
    if keep >= whole.chars().count() {
        return whole;
    }
    let cut: String = whole.chars().take(keep).collect();
    format!("{cut}…")
}

/// An output value for the summary: pretty JSON when its compact form is
/// at most [`VALUE_CAP`] characters, else the compact form cut there and
/// `… (N bytes)`.
fn capped_value(v: &serde_json::Value) -> String {
    let compact = serde_json::to_string(v).unwrap_or_default();
    if compact.chars().count() <= VALUE_CAP {
        return serde_json::to_string_pretty(v).unwrap_or(compact);
    }
    let cut: String = compact.chars().take(VALUE_CAP).collect();
    format!("{cut}… ({} bytes)", compact.len())
}

/// The path and query of `url` (the whole text when it is not a URL).
fn path_of(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(u) => match u.query() {
            Some(q) => format!("{}?{q}", u.path()),
            None => u.path().to_string(),
        },
        Err(_) => url.to_string(),
    }
}

/// `850ms` or `1.5s`.
fn human_ms(ms: u64) -> String {
    if ms >= 1000 {
        format!("{:.1}s", ms as f64 / 1000.0)
    } else {
        format!("{ms}ms")
    }
}

/// Every line of `text` behind `prefix`.
fn indent_block(text: &str, prefix: &str) -> String {
    text.lines()
        .map(|l| format!("{prefix}{l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `text` with every line but the first behind `prefix`.
fn indent_rest(text: &str, prefix: &str) -> String {
    let mut lines = text.lines();
    let first = lines.next().unwrap_or_default().to_string();
    let rest: Vec<String> = lines.map(|l| format!("{prefix}{l}")).collect();
    if rest.is_empty() {
        first
    } else {
        format!("{first}\n{}", rest.join("\n"))
    }
}
