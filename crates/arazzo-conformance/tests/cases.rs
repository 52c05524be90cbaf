//! Runs every case in `conformance/cases` against arazzo-run's library API.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

/// Cases mostly wait on loopback I/O, so several run at once.
const CONCURRENCY: usize = 8;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_case_passes() {
    let mut cases = arazzo_conformance::load_cases(&arazzo_conformance::cases_dir()).unwrap();
    // `ARAZZO_CASE=name` runs only the cases whose name contains `name`.
    if let Ok(only) = std::env::var("ARAZZO_CASE") {
        cases.retain(|c| c.name.contains(&only));
    }
    assert!(!cases.is_empty(), "no cases found");
    let limit = Arc::new(tokio::sync::Semaphore::new(CONCURRENCY));
    let mut tasks = Vec::new();
    for c in cases.clone() {
        let permit = limit.clone().acquire_owned().await.unwrap();
        tasks.push(tokio::spawn(async move {
            let v = arazzo_conformance::run_case(&c).await;
            drop(permit);
            v
        }));
    }
    let mut failed = Vec::new();
    let mut skipped = 0;
    for t in tasks {
        let v = t.await.unwrap();
        if v.skipped.is_some() {
            skipped += 1;
        }
        if !v.passed() {
            failed.push(format!("{}:\n    {}", v.name, v.problems.join("\n    ")));
        }
    }
    eprintln!(
        "{} cases: {} passed, {} failed, {skipped} skipped",
        cases.len(),
        cases.len() - failed.len() - skipped,
        failed.len()
    );
    assert!(
        failed.is_empty(),
        "{} of {} cases failed:\n{}",
        failed.len(),
        cases.len(),
        failed.join("\n")
    );
}
