//! JUnit XML reports: a test suite per workflow execution, a test case per
//! step execution, so CI systems show each step (and each retry) as a test.

use arazzo_engine::report::{RunReport, Status};

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // XML 1.0 forbids most control characters, even escaped.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

fn secs(ms: u64) -> String {
    format!("{:.3}", ms as f64 / 1000.0)
}

/// Renders the report as JUnit XML.
pub fn render(report: &RunReport) -> String {
    let mut suites = String::new();
    let (mut tests, mut failures, mut time) = (0usize, 0usize, 0u64);
    for w in &report.workflows {
        let mut cases = String::new();
        let mut n = 0;
        let mut f = 0;
        for s in &w.steps {
            n += 1;
            let name = if s.attempt > 1 {
                format!("{} (attempt {})", s.step_id, s.attempt)
            } else {
                s.step_id.clone()
            };
            cases.push_str(&format!(
                "    <testcase name=\"{}\" classname=\"{}\" time=\"{}\"",
                esc(&name),
                esc(&w.workflow_id),
                secs(s.duration_ms)
            ));
            if s.status == Status::Failed {
                f += 1;
                let reasons: Vec<String> = s
                    .criteria
                    .iter()
                    .filter(|c| !c.passed)
                    .map(|c| c.reason.clone().unwrap_or_else(|| c.condition.clone()))
                    .chain(s.error.clone())
                    .collect();
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
                cases.push_str(&format!(
                    ">\n      <failure message=\"{}\" type=\"step\">{}</failure>\n    </testcase>\n",
                    esc(&message),
                    esc(detail.trim())
                ));
            } else {
                cases.push_str("/>\n");
            }
        }
        // A workflow can fail before any step (invalid inputs, a failed dependency).
        if w.status == Status::Failed && f == 0 {
            n += 1;
            f += 1;
            cases.push_str(&format!(
                "    <testcase name=\"(workflow)\" classname=\"{}\" time=\"{}\">\n      <failure message=\"{}\" type=\"workflow\"/>\n    </testcase>\n",
                esc(&w.workflow_id),
                secs(w.duration_ms),
                esc(w.error.as_deref().unwrap_or("workflow failed"))
            ));
        }
        tests += n;
        failures += f;
        time += w.duration_ms;
        suites.push_str(&format!(
            "  <testsuite name=\"{}\" tests=\"{n}\" failures=\"{f}\" errors=\"0\" time=\"{}\">\n{cases}  </testsuite>\n",
            esc(&w.workflow_id),
            secs(w.duration_ms)
        ));
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"arazzo-run\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" time=\"{}\">\n{suites}</testsuites>\n",
        secs(time)
    )
}
