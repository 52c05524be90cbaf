//! Typos on the command line, black-box through the real binary: a
//! misspelt subcommand, workflow id, input name or security scheme is an
//! error (exit 2) that names what was probably meant, a file that does not
//! exist is named as such, and `validate --deny-warnings` prints the verdict
//! its exit code gives.
#![allow(clippy::unwrap_used)]

mod common;
use common::{bin, flagship, inputs_file, text};

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Runs the binary in `dir` without colour.
fn run_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(bin())
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("RUST_LOG")
        .output()
        .unwrap()
}

/// A fresh, empty directory for one test.
fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("arazzo-typos-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

const API: &str = "\
openapi: 3.1.0
info: {title: pets, version: '1'}
servers: [{url: 'http://127.0.0.1:9'}]
components:
  securitySchemes:
    petKey: {type: apiKey, in: header, name: X-Pet-Key}
security: [{petKey: []}]
paths:
  /pets/{petId}:
    get:
      operationId: getPet
      parameters: [{name: petId, in: path, required: true, schema: {type: integer}}]
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {type: object, properties: {name: {type: string}}}
";

/// A document whose one workflow allows no inputs besides `petId` and `note`.
const CLOSED: &str = "\
arazzo: 1.0.1
info: {title: pets, version: '1'}
sourceDescriptions: [{name: pets, url: ./api.yaml, type: openapi}]
workflows:
- workflowId: adopt
  inputs:
    type: object
    additionalProperties: false
    required: [petId]
    properties:
      petId: {type: integer}
      note: {type: string}
  steps:
  - stepId: get
    operationId: getPet
    parameters: [{name: petId, in: path, value: $inputs.petId}]
    successCriteria: [{condition: $statusCode == 200}]
";

/// `dir` with `api.yaml` and `name` holding `doc`; returns the document's path.
fn write_doc(dir: &Path, name: &str, doc: &str) -> String {
    std::fs::write(dir.join("api.yaml"), API).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, doc).unwrap();
    path.display().to_string()
}

#[test]
fn a_misspelt_subcommand_is_answered_with_the_subcommand_it_resembles() {
    let dir = temp("subcommand");
    let flagship = flagship();
    for (typed, meant) in [
        ("valdate", "validate"),
        ("lsit", "list"),
        ("grahp", "graph"),
    ] {
        for args in [vec![typed, flagship.as_str()], vec![typed]] {
            let out = run_in(&dir, &args);
            let e = text(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{args:?}: {e}");
            assert!(
                e.contains(&format!("did you mean `{meant}`?")),
                "{args:?}: {e}"
            );
            // Not run as a file, and not a clap complaint about FILE.
            assert!(!e.contains("unexpected argument"), "{args:?}: {e}");
            assert!(!e.contains("cannot read"), "{args:?}: {e}");
            assert!(out.stdout.is_empty(), "{args:?}");
        }
    }
}

#[test]
fn the_file_shortcut_applies_only_to_an_existing_path() {
    let dir = temp("shortcut");
    // A file that does not exist is named as such, before any run.
    for missing in ["nosuch.arazzo.yaml", "/nonexistent/x.arazzo.yaml", "pets"] {
        let out = run_in(&dir, &[missing, "--mock"]);
        let e = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{missing}: {e}");
        assert!(
            e.contains(&format!("no such file: `{missing}`")),
            "{missing}: {e}"
        );
        assert!(!e.contains("nothing was run"), "{missing}: {e}");
        assert!(!e.contains("did you mean"), "{missing}: {e}");
    }
    // An existing file runs, even when its name looks like a misspelt subcommand.
    let doc = write_doc(&dir, "valdate", CLOSED);
    let out = run_in(&dir, &["valdate", "--mock", "--input", "petId=7"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = run_in(&dir, &[&doc, "--mock", "--input", "petId=7"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

#[test]
fn an_unknown_workflow_names_the_closest_and_lists_the_workflows() {
    let dir = temp("workflow");
    let out = run_in(
        &dir,
        &[
            "run",
            &flagship(),
            "--mock",
            "--workflow",
            "connect-acount-onboarding",
        ],
    );
    let e = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{e}");
    assert!(
        e.contains("there is no workflow `connect-acount-onboarding` (did you mean `connect-account-onboarding`?); the workflows are: connect-account-onboarding"),
        "{e}"
    );
    // Nothing close: the list alone.
    let out = run_in(&dir, &[&flagship(), "--mock", "--workflow", "zzz"]);
    let e = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{e}");
    assert!(
        e.contains("there is no workflow `zzz`; the workflows are: connect-account-onboarding"),
        "{e}"
    );
    // Many workflows are counted, not listed.
    let mut doc = "arazzo: 1.0.1\ninfo: {title: many, version: '1'}\nsourceDescriptions: [{name: pets, url: ./api.yaml, type: openapi}]\nworkflows:\n".to_string();
    for i in 0..20 {
        doc.push_str(&format!(
            "- workflowId: wf{i}\n  steps:\n  - stepId: get\n    operationId: getPet\n    parameters: [{{name: petId, in: path, value: 1}}]\n"
        ));
    }
    let many = write_doc(&dir, "many.arazzo.yaml", &doc);
    let out = run_in(&dir, &[&many, "--mock", "--workflow", "wf21"]);
    let e = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{e}");
    assert!(e.contains("did you mean `wf1`?"), "{e}");
    assert!(e.contains("there are 20 workflows"), "{e}");
    assert!(!e.contains("wf19"), "{e}");
    // `graph --workflow` answers the same way.
    let out = run_in(
        &dir,
        &[
            "graph",
            &flagship(),
            "--workflow",
            "connect-acount-onboarding",
        ],
    );
    let e = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{e}");
    assert!(
        e.contains("there is no workflow `connect-acount-onboarding` (did you mean `connect-account-onboarding`?); the workflows are: connect-account-onboarding"),
        "{e}"
    );
}

#[test]
fn an_unknown_input_of_a_closed_schema_is_invalid_with_a_suggestion() {
    let dir = temp("closed");
    let doc = write_doc(&dir, "pets.arazzo.yaml", CLOSED);
    let inputs = dir.join("inputs.yaml");
    std::fs::write(&inputs, "petId: 7\nnotes: hello\n").unwrap();
    let inputs = inputs.display().to_string();
    for args in [
        // Offline, the typo used to pass unnoticed; online, it was reported
        // as a missing `petId` or an unexpected property, without a suggestion.
        vec!["run", doc.as_str(), "--mock", "--input", "petld=7"],
        vec!["run", doc.as_str(), "--input", "petld=7"],
        vec![
            "run",
            doc.as_str(),
            "--input",
            "petId=7",
            "--input",
            "petld=7",
        ],
    ] {
        let out = run_in(&dir, &args);
        let e = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {e}");
        assert!(
            e.contains("error: workflow `adopt` has invalid inputs"),
            "{args:?}: {e}"
        );
        assert!(
            e.contains("/petld: not an input of this workflow, whose schema allows no others (did you mean `petId`?); the inputs are: petId, note"),
            "{args:?}: {e}"
        );
    }
    // From an `--inputs` file too.
    let out = run_in(&dir, &["run", &doc, "--mock", "--inputs", &inputs]);
    let e = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{e}");
    assert!(e.contains("/notes: not an input"), "{e}");
    assert!(e.contains("(did you mean `note`?)"), "{e}");
    // An input of the wrong type is invalid too (exit 2), and the declared
    // inputs run.
    let out = run_in(&dir, &["run", &doc, "--mock", "--input", "petId=seven"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let out = run_in(
        &dir,
        &[
            "run", &doc, "--mock", "--input", "petId=7", "--input", "note=x",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

#[test]
fn an_unknown_input_of_an_open_schema_is_passed_on_with_a_warning() {
    let dir = temp("open");
    let out = run_in(
        &dir,
        &[
            "run",
            &flagship(),
            "--mock",
            "--inputs",
            &inputs_file(),
            "--input",
            "acountName=primary",
            "--input",
            "somethingElse=1",
        ],
    );
    let e = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{e}");
    assert!(
        e.contains("warning: workflow `connect-account-onboarding` declares no input `acountName` (did you mean `accountName`?); it is passed on as given"),
        "{e}"
    );
    // A name like no declared one is passed on silently.
    assert!(!e.contains("somethingElse"), "{e}");
}

#[test]
fn an_unknown_auth_scheme_names_the_closest() {
    let dir = temp("auth");
    let out = run_in(
        &dir,
        &[
            "run",
            &flagship(),
            "--mock",
            "--auth",
            "Oauth2=s3cr3t-value",
        ],
    );
    let e = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{e}");
    assert!(
        e.contains("no security scheme is named `Oauth2` (did you mean `OAuth2`?); the sources define ConnectToken, OAuth2"),
        "{e}"
    );
    assert!(!e.contains("s3cr3t-value"), "{e}");
    let doc = write_doc(&dir, "pets.arazzo.yaml", CLOSED);
    let out = run_in(
        &dir,
        &[
            "run", &doc, "--mock", "--input", "petId=7", "--auth", "petkye=k",
        ],
    );
    let e = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{e}");
    assert!(e.contains("(did you mean `petKey`?)"), "{e}");
}

#[test]
fn an_unknown_source_override_names_the_closest() {
    let dir = temp("source");
    for flag in ["--server", "--source"] {
        let out = run_in(
            &dir,
            &[
                "run",
                &flagship(),
                "--mock",
                flag,
                "pipedreamAPI=http://127.0.0.1:9",
            ],
        );
        let e = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{flag}: {e}");
        assert!(e.contains(&format!("{flag} pipedreamAPI=…")), "{flag}: {e}");
        assert!(e.contains("did you mean `pipedreamApi`?"), "{flag}: {e}");
    }
}

#[test]
fn deny_warnings_prints_the_verdict_its_exit_code_gives() {
    let dir = temp("deny");
    // `inputs-not-object` is a warning.
    let doc = write_doc(
        &dir,
        "warned.arazzo.yaml",
        &CLOSED.replace(
            "    type: object\n    additionalProperties: false\n    required: [petId]\n    properties:\n      petId: {type: integer}\n      note: {type: string}\n",
            "    type: string\n",
        ),
    );
    let out = run_in(&dir, &["validate", &doc]);
    let e = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{e}");
    assert!(e.contains("warning[inputs-not-object]"), "{e}");
    assert!(e.contains(": valid (0 errors, 1 warning)"), "{e}");

    let out = run_in(&dir, &["validate", "--deny-warnings", &doc]);
    let e = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{e}");
    assert!(
        e.contains(": invalid under --deny-warnings (0 errors, 1 warning)"),
        "{e}"
    );
    assert!(!e.contains(": valid"), "{e}");

    let out = run_in(
        &dir,
        &["validate", "--deny-warnings", "--format", "json", &doc],
    );
    assert_eq!(out.status.code(), Some(2));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["files"][0]["valid"], false, "{report}");
    assert_eq!(report["files"][0]["warnings"], 1, "{report}");

    // A clean document stays valid under --deny-warnings.
    let clean = write_doc(&dir, "clean.arazzo.yaml", CLOSED);
    let out = run_in(&dir, &["validate", "--deny-warnings", &clean]);
    let e = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{e}");
    assert!(e.contains(": valid (0 errors, 0 warnings)"), "{e}");
}
