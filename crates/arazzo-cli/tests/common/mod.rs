//! What several test binaries of the CLI share.
#![allow(clippy::unwrap_used)]

use serde_json::Value;

/// Where `report` departs from the published report schema
/// (`docs/report-schema.json`): one line per error, `instance path: error`.
#[allow(dead_code)] // not every test binary checks a report
pub fn report_schema_errors(report: &Value) -> Vec<String> {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/report-schema.json");
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    validator
        .iter_errors(report)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

/// The `arazzo-run` binary under test.
#[allow(dead_code)] // not every test binary runs it by this path
pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_arazzo-run")
}

/// Output bytes as text (lossy).
#[allow(dead_code)] // not every test binary reads output as text
pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The workspace's root directory.
#[allow(dead_code)] // not every test binary reads the workspace's files
pub fn root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The flagship workflow's path.
#[allow(dead_code)] // not every test binary runs the flagship
pub fn flagship() -> String {
    root()
        .join("specs/pipedream/arazzo/pipedream-connect-account-onboarding-workflow.yml")
        .display()
        .to_string()
}

/// The flagship's example inputs file.
#[allow(dead_code)] // not every test binary passes the flagship's inputs
pub fn inputs_file() -> String {
    root()
        .join("specs/pipedream/inputs.example.yaml")
        .display()
        .to_string()
}
