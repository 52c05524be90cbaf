//! Selecting the cases and running them, several at a time, each into a verdict.

use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::judge::judge_case;
use super::{CaseVerdict, Engine, Options, Outcome, Summary};
use crate::case::{Case, LoadedCase, load_case, load_cases};

/// Loads the cases `opts` selects: every case under `opts.cases` (or that
/// directory itself when it holds a `case.yaml`), filtered by name.
pub fn select_cases(opts: &Options) -> Result<Vec<LoadedCase>, String> {
    // Absolute paths: engines run in other working directories.
    let dir =
        std::fs::canonicalize(&opts.cases).map_err(|e| format!("{}: {e}", opts.cases.display()))?;
    let mut cases = if dir.join("case.yaml").exists() {
        vec![load_case(&dir)?]
    } else {
        load_cases(&dir)?
    };
    if let Some(f) = &opts.filter {
        cases.retain(|c| c.name.contains(f.as_str()));
    }
    Ok(cases)
}

/// Runs every selected case against `engine`, printing one line per case to
/// `out` in case order, then the summary line.
pub async fn run_suite(
    engine: Arc<dyn Engine>,
    cases: Vec<LoadedCase>,
    opts: &Options,
    out: &mut (dyn Write + Send),
) -> (Summary, Vec<CaseVerdict>) {
    let limit = Arc::new(tokio::sync::Semaphore::new(opts.jobs.max(1)));
    let mut tasks = Vec::new();
    for lc in cases {
        let engine = engine.clone();
        let limit = limit.clone();
        let base = opts.timeout;
        tasks.push((
            lc.name.clone(),
            tokio::spawn(async move {
                let _permit = limit.acquire_owned().await;
                run_case(engine, &lc, base).await
            }),
        ));
    }
    let mut summary = Summary::default();
    let mut verdicts = Vec::new();
    for (name, task) in tasks {
        let v = match task.await {
            Ok(v) => v,
            Err(e) => CaseVerdict {
                name,
                outcome: Outcome::Fail,
                reasons: vec![format!("the runner failed: {e}")],
                not_compared: Vec::new(),
                seconds: 0.0,
            },
        };
        match v.outcome {
            Outcome::Pass => summary.passed += 1,
            Outcome::Fail => summary.failed += 1,
            Outcome::Skip => summary.skipped += 1,
        }
        let _ = writeln!(out, "{}", v.line());
        let _ = out.flush();
        verdicts.push(v);
    }
    let _ = writeln!(out, "{}", summary.line());
    (summary, verdicts)
}

/// The time one case may take: `base`, plus the waits and response delays it scripts.
pub fn case_timeout(case: &Case, base: Duration) -> Duration {
    let sleeps: u64 = case.expect.sleeps.iter().flatten().sum();
    let delays: u64 = case
        .exchanges
        .iter()
        .map(|x| x.response.delay_ms.unwrap_or(0) * x.repeat.unwrap_or(1) as u64)
        .sum();
    base + Duration::from_millis(sleeps + delays)
}

/// Runs and judges one case.
pub async fn run_case(engine: Arc<dyn Engine>, lc: &LoadedCase, base: Duration) -> CaseVerdict {
    let started = Instant::now();
    let mut v = CaseVerdict {
        name: lc.name.clone(),
        outcome: Outcome::Pass,
        reasons: Vec::new(),
        not_compared: Vec::new(),
        seconds: 0.0,
    };
    judge_case(engine, lc, base, &mut v).await;
    if v.outcome != Outcome::Skip && !v.reasons.is_empty() {
        v.outcome = Outcome::Fail;
    }
    v.seconds = started.elapsed().as_secs_f64();
    v
}
