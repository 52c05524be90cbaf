//! How `arazzo-run run` shows a run to people, through the real binary:
//! aligned step lines, workflow steps with their outcome, the mock said
//! aloud, long output values cut, each runtime warning once per step, the
//! document's warnings beside the failure they explain, `-q`, `--deny` and
//! `--allow`, and no spinner left behind on a terminal.
#![allow(clippy::unwrap_used)]

mod common;
use common::{bin, flagship, inputs_file, root, text};

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// An API with a path parameter, a status that advances `pending`,
/// `pending`, `done` on the mock, and a POST.
const API: &str = r#"openapi: 3.1.0
info: {title: t, version: "1"}
servers: [{url: "http://example.invalid"}]
paths:
  /projects/{projectId}/items:
    get:
      operationId: listItems
      parameters:
        - {name: projectId, in: path, required: true, schema: {type: string}}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema:
                type: object
                required: [status, note]
                properties:
                  status: {type: string, enum: [pending, pending, done]}
                  note: {type: string}
  /tickets:
    post:
      operationId: createTicket
      requestBody:
        content:
          application/json:
            schema: {type: object}
      responses:
        "201":
          description: created
          content:
            application/json:
              schema:
                type: object
                required: [id]
                properties:
                  id: {type: string}
"#;

/// A misspelt input (`projectID` for `projectId`): a warning of the
/// document, and the reason the step fails.
const TYPO: &str = r#"arazzo: 1.0.1
info: {title: typo, version: "1"}
sourceDescriptions:
  - {name: api, url: ./api.yaml, type: openapi}
workflows:
  - workflowId: items
    inputs:
      type: object
      required: [projectId]
      properties:
        projectId: {type: string}
    steps:
      - stepId: list
        operationId: listItems
        parameters:
          - name: projectId
            in: path
            value: $inputs.projectID
        successCriteria:
          - condition: $statusCode == 200
"#;

/// `poll` loops on its step three times (a goto while the status is
/// `pending`), with an output that is never there: the same warning each
/// time. `outer` calls it from a workflow step.
const LOOP: &str = r#"arazzo: 1.0.1
info: {title: loop, version: "1"}
sourceDescriptions:
  - {name: api, url: ./api.yaml, type: openapi}
workflows:
  - workflowId: poll
    steps:
      - stepId: check
        operationId: listItems
        parameters:
          - {name: projectId, in: path, value: p1}
        successCriteria:
          - condition: $statusCode == 200
        outputs:
          missing: $response.body#/nope
        onSuccess:
          - name: again
            type: goto
            stepId: check
            criteria:
              - condition: $response.body#/status == 'pending'
  - workflowId: outer
    steps:
      - stepId: ticket
        operationId: createTicket
        requestBody:
          payload: {title: x}
        successCriteria:
          - condition: $statusCode == 201
      - stepId: sub
        workflowId: poll
      - stepId: after
        operationId: createTicket
        requestBody:
          payload: {title: y}
"#;

/// A directory holding the API and the two documents.
fn docs(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("arazzo-rendering-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("api.yaml"), API).unwrap();
    std::fs::write(dir.join("typo.arazzo.yaml"), TYPO).unwrap();
    std::fs::write(dir.join("loop.arazzo.yaml"), LOOP).unwrap();
    dir
}

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(bin())
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("CLICOLOR_FORCE")
        .output()
        .unwrap()
}

fn flagship_mock(extra: &[&str]) -> Output {
    let mut args = vec!["run", "--mock", "--inputs"];
    let (file, inputs) = (flagship(), inputs_file());
    args.push(&inputs);
    args.push(&file);
    args.extend_from_slice(extra);
    run(&root(), &args)
}

#[test]
fn step_lines_are_in_columns() {
    let out = flagship_mock(&[]);
    assert_eq!(out.status.code(), Some(0));
    let stdout = text(&out.stdout);
    let steps: Vec<&str> = stdout.lines().filter(|l| l.starts_with("  ✓ ")).collect();
    assert_eq!(steps.len(), 3, "{stdout}");
    let column = |l: &str, what: &str| l.find(what).map(|i| l[..i].chars().count());
    // The method, the status and the end of the duration each start in
    // the same column on every line.
    for what in ["POST /", " 200 "] {
        let first = column(steps[0], what);
        assert!(first.is_some(), "{what}: {stdout}");
        assert_eq!(first, column(steps[1], what), "{what}: {stdout}");
    }
    let get = column(steps[2], "GET /");
    assert_eq!(get, column(steps[0], "POST /"), "{stdout}");
    assert_eq!(
        column(steps[2], " 200 "),
        column(steps[0], " 200 "),
        "{stdout}"
    );
    let ends: Vec<usize> = steps.iter().map(|l| l.chars().count()).collect();
    assert!(ends.iter().all(|e| *e == ends[0]), "{ends:?}\n{stdout}");
    // The long query of the last step is cut to fit, its path kept.
    assert!(
        steps[2].contains("GET /v1/connect/proj_Qx7Lm2Ka/accounts"),
        "{stdout}"
    );
}

#[test]
fn a_mock_run_says_so() {
    let out = flagship_mock(&[]);
    let stdout = text(&out.stdout);
    assert!(
        stdout
            .lines()
            .next()
            .is_some_and(|l| l.starts_with("offline:")
                && l.contains("mock server")
                && l.contains("--mock")),
        "{stdout}"
    );
    assert!(
        stdout
            .trim_end()
            .ends_with("1 workflow succeeded (against the mock)"),
        "{stdout}"
    );
}

#[test]
fn large_output_values_are_cut_unless_verbose() {
    let out = flagship_mock(&[]);
    let stdout = text(&out.stdout);
    let accounts = stdout
        .lines()
        .find(|l| l.starts_with("  accounts: "))
        .unwrap_or_default();
    let value = accounts.trim_start_matches("  accounts: ");
    // 200 characters, then `… (N bytes)`.
    let (cut, rest) = value.split_once('…').unwrap_or_default();
    assert_eq!(cut.chars().count(), 200, "{stdout}");
    assert!(
        rest.starts_with(" (") && rest.ends_with(" bytes)"),
        "{stdout}"
    );
    assert!(!stdout.contains("featured_weight"), "{stdout}");
    // Small values are whole.
    assert!(stdout.contains("  accountId: \""), "{stdout}");
    let verbose = text(&flagship_mock(&["-v"]).stdout);
    assert!(verbose.contains("\"featured_weight\": 5000"), "{verbose}");
    assert!(!verbose.contains(" bytes)\n"), "{verbose}");
    // The JSON report has the whole value.
    let json = text(&flagship_mock(&["--format", "json"]).stdout);
    assert!(json.contains("featured_weight"));
}

#[test]
fn a_workflow_step_shows_the_workflow_it_ran() {
    let dir = docs("callee");
    let out = run(&dir, &["run", "loop.arazzo.yaml", "--mock", "-w", "outer"]);
    assert_eq!(out.status.code(), Some(0));
    let stdout = text(&out.stdout);
    let sub = stdout
        .lines()
        .find(|l| l.contains("✓ sub"))
        .unwrap_or_default();
    assert!(sub.contains("→ workflow poll (3 steps)"), "{stdout}");
    assert!(!sub.contains("GET"), "{stdout}");
    // The called workflow's lines, indented, keep the columns.
    let column = |start: &str, what: &str| {
        let line = stdout
            .lines()
            .find(|l| l.contains(start))
            .unwrap_or_default();
        line.find(what).map(|i| line[..i].chars().count())
    };
    let outer = column("✓ ticket", "POST /tickets");
    assert!(outer.is_some(), "{stdout}");
    assert_eq!(outer, column("✓ check", "GET /projects"), "{stdout}");
    assert_eq!(outer, column("✓ sub", "→ workflow"), "{stdout}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_repeated_warning_is_shown_once_per_step_with_its_count() {
    let dir = docs("repeat");
    let out = run(&dir, &["run", "loop.arazzo.yaml", "--mock", "-w", "outer"]);
    let stdout = text(&out.stdout);
    let warning = "output `missing` could not be evaluated";
    let lines: Vec<&str> = stdout.lines().filter(|l| l.contains(warning)).collect();
    // Once live, once in the summary with its count: not once per loop.
    assert_eq!(lines.len(), 2, "{stdout}");
    assert!(lines[1].ends_with("(×3 in step `check`)"), "{stdout}");
    // Under the line of the step it belongs to.
    let all: Vec<&str> = stdout.lines().collect();
    let at = all.iter().position(|l| l.contains(warning)).unwrap_or(0);
    assert!(all[at - 1].contains("✓ check"), "{stdout}");
    assert!(lines[0].starts_with("        warning: "), "{stdout}");
    // The report keeps every occurrence.
    let json = text(
        &run(
            &dir,
            &[
                "run",
                "loop.arazzo.yaml",
                "--mock",
                "-w",
                "outer",
                "--format",
                "json",
            ],
        )
        .stdout,
    );
    assert_eq!(json.matches(warning).count(), 3, "{json}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_failure_shows_the_document_warning_it_follows_from() {
    let dir = docs("related");
    let out = run(
        &dir,
        &[
            "run",
            "typo.arazzo.yaml",
            "--mock",
            "--input",
            "projectId=p1",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    // Under the failed step…
    assert!(
        stdout.contains(
            "the document warns here: warning[unknown-input] at typo.arazzo.yaml:18:20: workflow `items` declares no input `projectID` (did you mean `projectId`?)"
        ),
        "{stdout}"
    );
    // …and in full, caret and all, beside the failure in the summary.
    let failure = stdout.find("error[step-failed]").unwrap_or(usize::MAX);
    let warning = stdout
        .find("warning[unknown-input]: workflow `items` declares no input `projectID`")
        .unwrap_or(0);
    assert!(failure < warning, "{stdout}");
    assert!(
        stdout.contains("18 |             value: $inputs.projectID"),
        "{stdout}"
    );
    // The JSON report carries it in the failure, the workflow's and the step's.
    let json = run(
        &dir,
        &[
            "run",
            "typo.arazzo.yaml",
            "--mock",
            "--input",
            "projectId=p1",
            "--format",
            "json",
        ],
    );
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    // The published schema describes the field.
    let errors = common::report_schema_errors(&report);
    assert!(errors.is_empty(), "{errors:#?}");
    for failure in [
        &report["workflows"][0]["failure"],
        &report["workflows"][0]["steps"][0]["failure"],
    ] {
        let w = &failure["documentWarnings"][0];
        assert_eq!(w["code"], "unknown-input", "{report}");
        assert_eq!(
            (w["line"].as_u64(), w["column"].as_u64()),
            (Some(18), Some(20))
        );
        assert_eq!(w["hint"], "did you mean `projectId`?");
    }
    // A passing step is not blamed on the warnings of the document.
    let loop_out = text(&run(&dir, &["run", "loop.arazzo.yaml", "--mock"]).stdout);
    assert!(!loop_out.contains("the document warns here"), "{loop_out}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn quiet_shows_only_failures() {
    let out = flagship_mock(&["-q"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(text(&out.stdout), "", "a run that succeeded says nothing");
    let dir = docs("quiet");
    let out = run(
        &dir,
        &[
            "run",
            "typo.arazzo.yaml",
            "--mock",
            "--quiet",
            "--input",
            "projectId=p1",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("▶ items"), "{stdout}");
    assert!(stdout.contains("✗ list"), "{stdout}");
    assert!(stdout.contains("error[step-failed]"), "{stdout}");
    assert!(
        stdout
            .trim_end()
            .ends_with("1 of 1 workflow failed (against the mock)"),
        "{stdout}"
    );
    assert!(!stdout.contains("offline:"), "{stdout}");
    assert!(
        !text(&out.stderr).contains("warning"),
        "{}",
        text(&out.stderr)
    );
    // Succeeded steps and workflows, and warnings, are left out.
    let out = run(&dir, &["run", "loop.arazzo.yaml", "--mock", "-q"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(text(&out.stdout), "");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn deny_and_allow_choose_what_a_warning_code_does() {
    let dir = docs("codes");
    let args = |extra: &[&'static str]| {
        let mut a = vec![
            "run",
            "typo.arazzo.yaml",
            "--mock",
            "--input",
            "projectId=p1",
        ];
        a.extend_from_slice(extra);
        a
    };
    let denied = run(&dir, &args(&["--deny", "unknown-input"]));
    assert_eq!(denied.status.code(), Some(2));
    let stderr = text(&denied.stderr);
    assert!(stderr.contains("error[unknown-input]"), "{stderr}");
    assert!(
        stderr.contains("an error under `--deny unknown-input`"),
        "{stderr}"
    );
    assert!(stderr.contains("nothing was run"), "{stderr}");
    assert_eq!(text(&denied.stdout), "");

    let allowed = run(&dir, &args(&["--allow", "unknown-input"]));
    assert_eq!(allowed.status.code(), Some(1));
    assert!(
        !text(&allowed.stderr).contains("warning"),
        "{}",
        text(&allowed.stderr)
    );
    assert!(!text(&allowed.stdout).contains("unknown-input"));

    let unknown = run(&dir, &args(&["--deny", "unknown-inptu"]));
    assert_eq!(unknown.status.code(), Some(2));
    let stderr = text(&unknown.stderr);
    assert!(
        stderr.contains("unknown diagnostic code `unknown-inptu`"),
        "{stderr}"
    );
    assert!(stderr.contains("did you mean `unknown-input`?"), "{stderr}");

    let validate = |extra: &[&str]| {
        let mut a = vec!["validate", "typo.arazzo.yaml"];
        a.extend_from_slice(extra);
        run(&dir, &a)
    };
    let v = validate(&["--deny", "unknown-input"]);
    assert_eq!(v.status.code(), Some(2));
    assert!(text(&v.stderr).contains("invalid (1 error, 0 warnings)"));
    let v = validate(&["--allow", "unknown-input"]);
    assert_eq!(v.status.code(), Some(0));
    assert!(text(&v.stderr).contains("valid (0 errors, 0 warnings)"));
    let v = validate(&["--allow", "expresion-syntax", "--format", "json"]);
    assert_eq!(v.status.code(), Some(2));
    let doc: serde_json::Value = serde_json::from_slice(&v.stdout).unwrap();
    assert!(
        doc["diagnostics"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("did you mean `expression-syntax`?")),
        "{doc}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// The width of the pseudo-terminal the run is shown on.
const COLUMNS: usize = 80;

/// What a terminal [`COLUMNS`] wide shows after `raw` was written to it:
/// enough of a VT100 for indicatif's spinner (carriage return, erase line,
/// cursor up, erase below, and a line that wraps at the right margin) and
/// the colours (ignored).
fn screen(raw: &str) -> Vec<String> {
    let mut rows: Vec<Vec<char>> = vec![Vec::new()];
    let (mut row, mut col) = (0usize, 0usize);
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => col = 0,
            '\n' => {
                row += 1;
                if rows.len() <= row {
                    rows.push(Vec::new());
                }
            }
            '\u{1b}' => {
                if chars.peek() != Some(&'[') {
                    chars.next();
                    continue;
                }
                chars.next();
                let mut params = String::new();
                let mut command = ' ';
                for p in chars.by_ref() {
                    if p.is_ascii_alphabetic() {
                        command = p;
                        break;
                    }
                    params.push(p);
                }
                let n: usize = params.trim_start_matches('?').parse().unwrap_or(0);
                match command {
                    'K' if n == 2 => rows[row].clear(),
                    'K' => rows[row].truncate(col),
                    'A' => row = row.saturating_sub(n.max(1)),
                    'J' => {
                        rows[row].truncate(col);
                        rows.truncate(row + 1);
                    }
                    'G' => col = n.saturating_sub(1),
                    _ => {}
                }
            }
            c if c.is_control() => {}
            c => {
                // The margin: the next character goes to the next line.
                if col >= COLUMNS {
                    row += 1;
                    col = 0;
                    if rows.len() <= row {
                        rows.push(Vec::new());
                    }
                }
                let line = &mut rows[row];
                while line.len() < col {
                    line.push(' ');
                }
                if col < line.len() {
                    line[col] = c;
                } else {
                    line.push(c);
                }
                col += 1;
            }
        }
    }
    rows.into_iter()
        .map(|r| r.into_iter().collect::<String>().trim_end().to_string())
        .collect()
}

/// On a terminal (a pseudo-terminal from `script`), a step that calls a
/// workflow leaves no spinner behind when the called workflow's steps start.
#[cfg(target_os = "linux")]
#[test]
fn no_spinner_is_left_on_a_terminal_after_a_nested_workflow() {
    let has_script = Command::new("script")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_script {
        eprintln!("skipped: `script` (util-linux) is not installed");
        return;
    }
    // The screen model itself: a spinner line erased, and a full line that
    // the next text wraps below and leaves on the screen.
    let raw = "a\r\n  ⠁ step\r\u{1b}[2K  ✓ step 200\r\n  ⠂ next\r\n";
    assert_eq!(screen(raw), vec!["a", "  ✓ step 200", "  ⠂ next", ""]);
    // A full line and more text: the text wraps and the line stays.
    let full = format!("{:<80}", "  ⠁ sub");
    let raw = format!("{full}  ⠁ check\r\x1b[2K  ✓ check\r\n");
    assert_eq!(screen(&raw), vec!["  ⠁ sub", "  ✓ check", ""]);
    let dir = docs("terminal");
    let command = format!(
        "stty cols {COLUMNS} rows 24; '{}' run loop.arazzo.yaml --mock -w outer",
        bin().replace('\'', r"'\''")
    );
    let out = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .current_dir(&dir)
        .env("TERM", "xterm")
        .env("NO_COLOR", "1")
        .env_remove("CLICOLOR_FORCE")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let raw = text(&out.stdout);
    // The spinner did turn: this is the terminal path.
    assert!(raw.contains("\u{1b}[2K"), "{raw:?}");
    let shown = screen(&raw);
    let spinner = ['⠁', '⠂', '⠄', '⡀', '⢀', '⠠', '⠐', '⠈'];
    let frozen: Vec<&String> = shown
        .iter()
        .filter(|l| l.chars().any(|c| spinner.contains(&c)))
        .collect();
    assert!(frozen.is_empty(), "{frozen:?}\n{}", shown.join("\n"));
    assert!(
        shown
            .iter()
            .any(|l| l.contains("✓ sub") && l.contains("→ workflow poll (3 steps)")),
        "{}",
        shown.join("\n")
    );
    assert!(
        shown.iter().any(|l| l.contains("✓ after")),
        "{}",
        shown.join("\n")
    );
    std::fs::remove_dir_all(&dir).ok();
}
