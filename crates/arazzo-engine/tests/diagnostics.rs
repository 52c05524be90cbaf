//! Every diagnostic code, pinned by a minimal document in `tests/diagnostics/`
//! whose first line says what must be reported: `# expect: <code> <line>:<column> [warning]`.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use arazzo_engine::CompileOptions;
use arazzo_model::{Code, Diagnostic, Severity};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/diagnostics")
}

fn diagnostics(path: &Path) -> Vec<Diagnostic> {
    match arazzo_engine::compile_location(&path.display().to_string(), &CompileOptions::default()) {
        Ok(c) => c.diagnostics,
        Err(d) => d,
    }
}

/// Codes whose trigger is not a document: tested separately below.
const NOT_FROM_A_DOCUMENT: &[Code] = &[Code::Io, Code::TooLarge];

#[test]
fn every_code_has_a_fixture_that_pins_code_line_and_column() {
    let mut missing = Vec::new();
    let mut failures = Vec::new();
    for &code in Code::ALL {
        if NOT_FROM_A_DOCUMENT.contains(&code) {
            continue;
        }
        let path = dir().join(format!("{}.arazzo.yaml", code.as_str()));
        if !path.exists() {
            missing.push(code.as_str());
            continue;
        }
        let text = std::fs::read(&path).unwrap();
        let header = String::from_utf8_lossy(&text)
            .lines()
            .next()
            .unwrap_or_default()
            .to_string();
        let (line, col, severity) = match header.strip_prefix("# expect: ") {
            Some(rest) => {
                let parts: Vec<&str> = rest.split_whitespace().collect();
                assert_eq!(
                    parts[0],
                    code.as_str(),
                    "{}: header names another code",
                    path.display()
                );
                let (l, c) = parts[1].split_once(':').unwrap();
                let sev = if parts.get(2) == Some(&"warning") {
                    Severity::Warning
                } else {
                    Severity::Error
                };
                (l.parse::<u32>().unwrap(), c.parse::<u32>().unwrap(), sev)
            }
            // An empty file cannot hold a header.
            None => (1, 1, Severity::Error),
        };
        let diags = diagnostics(&path);
        let found = diags.iter().any(|d| {
            d.code == code
                && d.severity == severity
                && d.position()
                    .is_some_and(|p| p.line == line && p.column == col)
        });
        if !found {
            failures.push(format!(
                "{}: expected {severity} {} at {line}:{col}, got:\n      {}",
                path.display(),
                code.as_str(),
                diags
                    .iter()
                    .map(|d| d.to_string())
                    .collect::<Vec<_>>()
                    .join("\n      ")
            ));
        }
    }
    assert!(missing.is_empty(), "codes without a fixture: {missing:?}");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn io_and_size_limits() {
    let d = diagnostics(&dir().join("no-such-file.arazzo.yaml"));
    assert_eq!(d[0].code, Code::Io);
    assert!(d[0].message.contains("no such file"), "{}", d[0].message);
    let limits = arazzo_model::load::Limits {
        max_bytes: 10,
        ..Default::default()
    };
    let e = arazzo_model::load::load_with("big.yaml", b"arazzo: 1.0.1\n", limits).unwrap_err();
    assert_eq!(e.code, Code::TooLarge);
}

#[test]
fn every_code_is_documented() {
    let doc = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/diagnostics.md"),
    )
    .unwrap();
    for c in Code::ALL {
        assert!(
            doc.contains(&format!("| `{}` |", c.as_str())),
            "docs/diagnostics.md lacks `{}`",
            c.as_str()
        );
    }
}

/// Errors inside a workflow block it and whatever reaches it; errors outside
/// every workflow block them all.
#[test]
fn errors_block_the_workflows_they_reach() {
    let doc = |extra: &str| {
        format!(
            r#"arazzo: 1.0.1
info: {{ title: t, version: "1" }}
sourceDescriptions:
  - {{ name: api, url: ./_api.openapi.yaml, type: openapi }}
workflows:
  - workflowId: good
    steps:
      - {{ stepId: a, workflowId: other }}
  - workflowId: other
    steps: [{{ stepId: b, operationId: api.nothingLikeThis }}]
  - workflowId: alone
    dependsOn: [alone2]
    steps: [{{ stepId: c, workflowId: alone2 }}]
  - workflowId: alone2
    steps: [{{ stepId: d, workflowId: alone }}]
{extra}"#
        )
    };
    let compile = |text: String| {
        let path = dir().join("scope.arazzo.yaml");
        arazzo_engine::compile_bytes(
            &path.display().to_string(),
            url::Url::from_file_path(&path).unwrap(),
            text.as_bytes(),
            &CompileOptions::default(),
        )
        .unwrap()
    };
    let c = compile(doc(""));
    assert!(c.has_errors());
    for (id, blocked) in [
        ("good", 1),
        ("other", 1),
        ("alone", 0),
        ("alone2", 0),
        ("nope", 1),
    ] {
        let errs = c.errors_blocking(id);
        assert_eq!(errs.len(), blocked, "{id}: {errs:#?}");
        assert!(
            errs.iter().all(|d| d.code == Code::UnresolvedOperation),
            "{id}"
        );
    }
    let c = compile(doc(
        "components:\n  parameters:\n    p: { name: p, in: nowhere, value: 1 }\n",
    ));
    for id in ["good", "other", "alone", "alone2"] {
        assert!(c.errors_blocking(id).len() >= 2, "{id}");
    }
}
