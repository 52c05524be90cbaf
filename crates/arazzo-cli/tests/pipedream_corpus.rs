//! All 18 published Pipedream workflows (`../shared/corpus/api-evangelist-pipedream/arazzo/`)
//! run offline through the real binary with nothing but their file: `arazzo-run run FILE --mock`.
#![allow(clippy::unwrap_used)]

use std::path::Path;

#[tokio::test]
async fn every_published_pipedream_workflow_runs_on_the_mock() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/corpus/api-evangelist-pipedream/arazzo");
    if !dir.exists() {
        eprintln!("skipping: {} not found", dir.display());
        return;
    }
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 18);
    let mut failures = Vec::new();
    for f in &files {
        let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_arazzo-run"))
            .args([
                "run",
                &f.display().to_string(),
                "--mock",
                "--format",
                "json",
            ])
            .output()
            .await
            .unwrap();
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
        let workflows = report["workflows"].as_array().cloned().unwrap_or_default();
        let all_succeeded =
            !workflows.is_empty() && workflows.iter().all(|w| w["status"] == "succeeded");
        if out.status.code() != Some(0) || !all_succeeded {
            failures.push(format!(
                "{}: exit {:?}\n{}",
                f.display(),
                out.status.code(),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
