//! Runs every case in `conformance/cases` against arazzo-run's library API.
#![allow(clippy::unwrap_used)]

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_case_passes() {
    let cases = arazzo_conformance::load_cases(&arazzo_conformance::cases_dir()).unwrap();
    assert!(!cases.is_empty(), "no cases found");
    let mut failed = Vec::new();
    let mut skipped = 0;
    for c in &cases {
        let v = arazzo_conformance::run_case(c).await;
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
