//! The run's report: one-line reasons, counts by category, and the JSON report.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::{CaseVerdict, Outcome, Summary};

/// The first line of `s`, at most 200 characters.
pub fn short(s: &str) -> String {
    let line = s
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    let mut out: String = line.chars().take(200).collect();
    if line.chars().count() > 200 {
        out.push('…');
    }
    out
}

/// The category of a case: its name up to the first `-` (`retry`, `param`, …).
pub fn category(name: &str) -> &str {
    name.split('-').next().unwrap_or(name)
}

/// Counts verdicts with `outcome` by category.
pub fn by_category(verdicts: &[CaseVerdict], outcome: Outcome) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for v in verdicts.iter().filter(|v| v.outcome == outcome) {
        *m.entry(category(&v.name).to_string()).or_insert(0) += 1;
    }
    m
}

/// The JSON report of a run.
pub fn report_json(
    engine: &str,
    version: &str,
    summary: &Summary,
    verdicts: &[CaseVerdict],
) -> Value {
    let outcome = |o: Outcome| match o {
        Outcome::Pass => "pass",
        Outcome::Fail => "fail",
        Outcome::Skip => "skip",
    };
    json!({
        "engine": engine,
        "version": version,
        "date": today(),
        "passed": summary.passed,
        "failed": summary.failed,
        "skipped": summary.skipped,
        "failedByCategory": by_category(verdicts, Outcome::Fail),
        "skippedByCategory": by_category(verdicts, Outcome::Skip),
        "cases": verdicts.iter().map(|v| json!({
            "name": v.name,
            "result": outcome(v.outcome),
            "reasons": v.reasons,
            "notCompared": v.not_compared,
            "seconds": (v.seconds * 1000.0).round() / 1000.0,
        })).collect::<Vec<_>>(),
    })
}

/// Today's date (UTC) as `YYYY-MM-DD`.
pub fn today() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    // Howard Hinnant's civil_from_days.
    let z = (secs / 86_400) as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}
