//! JUnit XML reports: a test suite per workflow execution, a test case per
//! step execution, so CI systems show each step (and each retry) as a test.

use arazzo_engine::report::{BODY_EXCERPT_BYTES, RunReport, Status, StepRecord, WorkflowRecord};

/// `s` escaped for XML text and attributes.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // A carriage return would overwrite a line of a log shown on a
            // terminal, and bidirectional overrides reorder what it shows.
            '\r' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' => {
                out.push_str(&format!("&#x{:X};", u32::from(c)));
            }
            // XML 1.0 forbids most control characters, even escaped, and
            // discourages DEL and C1, which terminals showing a CI log obey.
            c if c.is_control() && !matches!(c, '\t' | '\n') => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Milliseconds as JUnit's seconds with three decimals.
fn secs(ms: u64) -> String {
    format!("{:.3}", ms as f64 / 1000.0)
}

/// Renders the report as JUnit XML.
pub fn render(report: &RunReport) -> String {
    let mut suites = String::new();
    let (mut tests, mut failures, mut time) = (0usize, 0usize, 0u64);
    for w in &report.workflows {
        let suite = suite(w);
        tests += suite.tests;
        failures += suite.failures;
        time += w.duration_ms;
        suites.push_str(&suite.xml);
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"arazzo-run\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" time=\"{}\">\n{suites}</testsuites>\n",
        secs(time)
    )
}

/// One document's part of a JUnit report of several documents.
pub enum JunitDoc<'a> {
    /// A document that ran: its name and report.
    Ran(&'a str, &'a RunReport),
    /// A document that could not run: its name and why.
    Stopped(&'a str, String),
}

/// Renders the reports of several documents as JUnit XML: a `<testsuite>`
/// per document (named by its file) holding a test case per step execution
/// of each of its workflow executions (`classname` the workflow), and a
/// document that could not run as a suite with one `(document)` case in
/// error.
pub fn render_documents(docs: &[JunitDoc<'_>]) -> String {
    let mut suites = String::new();
    let (mut tests, mut failures, mut errors, mut time) = (0usize, 0usize, 0usize, 0u64);
    for doc in docs {
        match doc {
            JunitDoc::Ran(file, report) => {
                let (mut t, mut f, mut ms, mut cases) = (0, 0, 0u64, String::new());
                for w in &report.workflows {
                    let suite = suite(w);
                    t += suite.tests;
                    f += suite.failures;
                    ms += w.duration_ms;
                    cases.push_str(&suite.cases);
                }
                suites.push_str(&format!(
                    "  <testsuite name=\"{}\" tests=\"{t}\" failures=\"{f}\" errors=\"0\" time=\"{}\">\n{cases}  </testsuite>\n",
                    esc(file),
                    secs(ms)
                ));
                tests += t;
                failures += f;
                time += ms;
            }
            JunitDoc::Stopped(file, why) => {
                suites.push_str(&format!(
                    "  <testsuite name=\"{0}\" tests=\"1\" failures=\"0\" errors=\"1\" time=\"0.000\">\n    <testcase name=\"(document)\" classname=\"{0}\" time=\"0.000\">\n      <error message=\"{1}\" type=\"document\"/>\n    </testcase>\n  </testsuite>\n",
                    esc(file),
                    esc(why)
                ));
                tests += 1;
                errors += 1;
            }
        }
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"arazzo-run\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\" time=\"{}\">\n{suites}</testsuites>\n",
        secs(time)
    )
}

/// One workflow execution as a test suite.
struct Suite {
    /// The `<testsuite>` element.
    xml: String,
    /// Its test cases alone.
    cases: String,
    /// How many test cases it holds.
    tests: usize,
    /// How many of them failed.
    failures: usize,
}

/// The test suite of workflow execution `w`: a case per step execution, or
/// one `(workflow)` case for a workflow that failed before any step did.
fn suite(w: &WorkflowRecord) -> Suite {
    let mut cases = String::new();
    let n = w.steps.len();
    let mut f = 0;
    for s in &w.steps {
        if s.status == Status::Failed {
            f += 1;
        }
        cases.push_str(&step_case(&w.workflow_id, s));
    }
    let mut tests = n;
    // A workflow can fail before any step (invalid inputs, a failed dependency).
    if w.status == Status::Failed && f == 0 {
        tests += 1;
        f += 1;
        cases.push_str(&format!(
            "    <testcase name=\"(workflow)\" classname=\"{}\" time=\"{}\">\n      <failure message=\"{}\" type=\"workflow\"/>\n    </testcase>\n",
            esc(&w.workflow_id),
            secs(w.duration_ms),
            esc(w.error.as_deref().unwrap_or("workflow failed"))
        ));
    }
    Suite {
        xml: format!(
            "  <testsuite name=\"{}\" tests=\"{tests}\" failures=\"{f}\" errors=\"0\" time=\"{}\">\n{cases}  </testsuite>\n",
            esc(&w.workflow_id),
            secs(w.duration_ms)
        ),
        cases,
        tests,
        failures: f,
    }
}

/// The test case of one step execution, with a `<failure>` if it failed.
fn step_case(workflow_id: &str, s: &StepRecord) -> String {
    let name = if s.attempt > 1 {
        format!("{} (attempt {})", s.step_id, s.attempt)
    } else {
        s.step_id.clone()
    };
    let open = format!(
        "    <testcase name=\"{}\" classname=\"{}\" time=\"{}\"",
        esc(&name),
        esc(workflow_id),
        secs(s.duration_ms)
    );
    if s.status != Status::Failed {
        if s.contract.is_empty() {
            return format!("{open}/>\n");
        }
        // Response checks that only warn (`--check-responses warn`): the
        // problems, as the step's output.
        let warnings: Vec<String> = s
            .contract
            .iter()
            .map(|p| format!("warning: the response does not match the description: {p}"))
            .collect();
        return format!(
            "{open}>\n      <system-out>{}</system-out>\n    </testcase>\n",
            esc(&warnings.join("\n"))
        );
    }
    let (message, detail) = failure(s);
    format!(
        "{open}>\n      <failure message=\"{}\" type=\"step\">{}</failure>\n    </testcase>\n",
        esc(&message),
        esc(detail.trim())
    )
}

/// A failed step's failure message (its first reason) and detail (every
/// reason, the request and the status, the response's explaining headers
/// and the start of its body).
fn failure(s: &StepRecord) -> (String, String) {
    let reasons: Vec<String> = s
        .criteria
        .iter()
        .filter(|c| !c.passed)
        .map(|c| c.reason.clone().unwrap_or_else(|| c.condition.clone()))
        .collect();
    let mut reasons = reasons;
    // The error often repeats a criterion's reason: say it once.
    if let Some(e) = &s.error
        && !reasons.contains(e)
    {
        reasons.push(e.clone());
    }
    let message = reasons
        .first()
        .cloned()
        .unwrap_or_else(|| "step failed".into());
    let mut detail = reasons.join("\n");
    if let (Some(m), Some(u)) = (&s.method, &s.url) {
        detail.push_str(&format!("\n{m} {u}"));
    }
    if let Some(code) = s.status_code {
        detail.push_str(&format!(" → {code}"));
    }
    if let Some(r) = &s.response {
        for (n, v) in &r.headers {
            detail.push_str(&format!("\n{n}: {v}"));
        }
        if let Some(body) = &r.body {
            detail.push_str(&format!("\n\n{body}"));
            if r.truncated {
                detail.push_str(&format!(
                    "\n(the first {BODY_EXCERPT_BYTES} of {} bytes)",
                    r.body_size
                ));
            }
        }
    }
    (message, detail)
}
