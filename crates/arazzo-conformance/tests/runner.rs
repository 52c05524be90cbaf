//! The `conformance-run` binary with the arazzo-run adapter (no network, no
//! other engine): a selection of cases passes through arazzo-run's command
//! line, and a case with a deliberately wrong expectation fails.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn runner() -> Command {
    Command::new(env!("CARGO_BIN_EXE_conformance-run"))
}

/// The last non-empty line of standard output.
fn last_line(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or_default()
        .to_string()
}

/// `(passed, failed)` from `N passed, M failed[, K skipped]`.
fn totals(line: &str) -> (usize, usize) {
    let mut parts = line.split(", ");
    let mut num = |word: &str| -> usize {
        let p = parts
            .next()
            .unwrap_or_else(|| panic!("no `{word}` in `{line}`"));
        let (n, w) = p.split_once(' ').unwrap();
        assert_eq!(w, word, "unexpected summary line `{line}`");
        n.parse().unwrap()
    };
    (num("passed"), num("failed"))
}

fn scratch(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "conformance-runner-test-{}-{tag}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.path().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

#[test]
fn arazzo_run_cli_passes_the_retry_cases() {
    let cache = scratch("cache");
    let out = runner()
        .arg("--cases")
        .arg(arazzo_conformance::cases_dir())
        .args(["--engine", "arazzo-run", "--filter", "retry-"])
        // Real waits (the CLI has no virtual clock): keep them short; they are not compared.
        .args(["--max-retry-delay", "1"])
        .arg("--cache")
        .arg(&cache)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = last_line(&out);
    assert!(
        line.contains(" passed, "),
        "no summary line; stdout:\n{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (passed, failed) = totals(&line);
    assert!(
        passed > 0 && failed == 0 && line == format!("{passed} passed, 0 failed"),
        "`{line}`:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success());
    // One line per case before the summary.
    assert_eq!(
        stdout.lines().filter(|l| l.starts_with("PASS ")).count(),
        passed
    );
    let _ = std::fs::remove_dir_all(&cache);
}

#[test]
fn a_wrong_expectation_fails() {
    let dir = scratch("wrong");
    let case = arazzo_conformance::cases_dir().join("inputs-defaults-applied");
    let copy = dir.join("inputs-defaults-applied-but-expected-to-fail");
    copy_dir(&case, &copy);
    let yaml = std::fs::read_to_string(copy.join("case.yaml")).unwrap();
    assert!(yaml.contains("status: succeeded"));
    std::fs::write(
        copy.join("case.yaml"),
        yaml.replace("status: succeeded", "status: failed"),
    )
    .unwrap();
    let report = dir.join("report.json");
    let out = runner()
        .arg("--cases")
        .arg(&dir)
        .args(["--engine", "arazzo-run", "--report"])
        .arg(&report)
        .arg("--cache")
        .arg(dir.join("cache"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(last_line(&out), "0 passed, 1 failed", "{stdout}");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout.contains(
            "FAIL inputs-defaults-applied-but-expected-to-fail: expected status failed, got succeeded"
        ),
        "{stdout}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(json["engine"], "arazzo-run");
    assert_eq!(json["failed"], 1);
    assert_eq!(json["failedByCategory"]["inputs"], 1);
    assert_eq!(json["cases"][0]["result"], "fail");
    let _ = std::fs::remove_dir_all(&dir);
}
