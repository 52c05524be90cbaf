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
