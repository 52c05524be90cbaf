//! No secret in any output: the real binary against a loopback server that
//! echoes every request back — in response bodies, response headers and
//! error bodies — and issues OAuth2 tokens, with one workflow set per kind of
//! credential (API key in a header, a query parameter and a cookie, bearer,
//! Basic, OAuth2 client credentials with each client authentication, the
//! environment's credentials, `format: password` and `writeOnly` inputs).
//!
//! Each set runs at `-v` and `-vv`, as pretty output, as `--format json`,
//! with `--report`, `--junit` and `--har` files, and includes failing runs
//! whose failure reasons and response excerpts quote what the server
//! echoed. Every output (standard output, standard error, the report, the
//! JUnit file, the HAR file) is searched for every
//! secret of the suite in every encoding below, generated here independently
//! of the engine's masking: raw; percent-encoded with several sets, upper-
//! and lower-case hex, `%20` and `+` for a space; JSON-escaped (as serde
//! writes it, ASCII-only with `\uXXXX` in both cases, with `\/`, and escaped
//! twice); XML-escaped; base64 (standard and URL-safe, padded or not) of the
//! secret and of Basic's `user:password`; and the secret's first ten
//! characters (a secret cut short by a truncated body or value).
#![allow(clippy::unwrap_used)]

mod common;
use common::text;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::Ordering;

/// Every special character the task names, and some unicode.
const SPECIAL: &str = "_-.~@#%+=\"\\/ ";

/// A secret for `kind`: a unique ten-character head, the special
/// characters, then (when the channel carries them) unicode.
fn secret(head: &str, unicode: bool) -> String {
    assert_eq!(head.chars().count(), 10, "{head}");
    format!(
        "{head}{SPECIAL}mid{SPECIAL}{}tail",
        if unicode { "é€" } else { "" }
    )
}

/// The OAuth2 tokens the server issues (sent back in `Authorization`, so the
/// access token is visible ASCII).
fn access_token() -> String {
    secret("AcTok3n-Zq", false)
}
fn refresh_token() -> String {
    secret("ReFr3sh-Zq", true)
}
fn id_token() -> String {
    secret("IdT0ken-Zq", true)
}

#[path = "secrets/documents.rs"]
mod documents;
#[path = "secrets/encodings.rs"]
mod encodings;
#[path = "secrets/server.rs"]
mod server;

use documents::*;
use encodings::*;
use server::Server;

// ---------------------------------------------------------------------------
// Documents and runs.

/// The binary under test; `ARAZZO_SECRETS_BIN` points the suite at another
/// build (to show what an older one leaks).
fn bin() -> String {
    std::env::var("ARAZZO_SECRETS_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_arazzo-run").into())
}

/// A fresh directory for one test.
fn workdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("arazzo-secrets-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Every secret of the suite and the Basic pairs, with their encodings.
fn all_needles() -> Vec<(String, String)> {
    let mut needles = Vec::new();
    let mut secrets = vec![access_token(), refresh_token(), id_token()];
    let mut pairs = Vec::new();
    for k in kinds() {
        secrets.extend(k.secrets);
        pairs.extend(k.pairs);
    }
    for s in &secrets {
        for (enc, n) in encodings(s) {
            needles.push((format!("{} {enc}", &s[..10]), n));
        }
    }
    for (u, p) in &pairs {
        needles.extend(pair_encodings(u, p));
    }
    needles.sort_by(|a, b| a.1.cmp(&b.1));
    needles.dedup_by(|a, b| a.1 == b.1);
    needles
}

/// Writes the description and the kind's document into `dir`.
fn write_documents(dir: &Path, doc: &str) -> String {
    std::fs::write(dir.join("echo.openapi.yaml"), OPENAPI).unwrap();
    let path = dir.join("secrets.arazzo.yaml");
    std::fs::write(&path, doc).unwrap();
    path.display().to_string()
}

fn run(args: &[String], env: &[(String, String)], color: bool) -> Output {
    let mut cmd = Command::new(bin());
    cmd.args(args)
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE");
    for (k, _) in std::env::vars() {
        if k.starts_with("ARAZZO_AUTH_") {
            cmd.env_remove(k);
        }
    }
    if color {
        cmd.env("CLICOLOR_FORCE", "1");
    } else {
        cmd.env("NO_COLOR", "1");
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

/// The ways each kind is run: flags and which files it writes.
const MODES: [(&str, &[&str]); 5] = [
    ("pretty -vv with files", &["-vv"]),
    ("pretty -v", &["-v"]),
    ("json -vv with files", &["--format", "json", "-vv"]),
    ("pretty -vv in colour", &["-vv"]),
    ("tap -vv", &["--format", "tap", "-vv"]),
];

/// Runs one kind in every mode and checks every output for every secret.
fn run_kind(kind: &Kind) {
    let dir = workdir(kind.name);
    let server = Server::start();
    let doc = write_documents(&dir, &arazzo(kind.operation, kind.inputs, kind.extra));
    let mut args = kind.args.clone();
    for a in &mut args {
        if let Some(rest) = a.strip_prefix("FILE:") {
            let (pw, wo) = rest.split_once('\u{0}').unwrap();
            let file = dir.join("inputs.json");
            std::fs::write(&file, serde_json::json!({"pw": pw, "wo": wo}).to_string()).unwrap();
            *a = file.display().to_string();
        }
    }
    let needles = all_needles();
    for (i, (mode, flags)) in MODES.iter().enumerate() {
        let report = dir.join(format!("report-{i}.json"));
        let junit = dir.join(format!("junit-{i}.xml"));
        let har = dir.join(format!("run-{i}.har"));
        let mut all = vec![
            "run".to_string(),
            doc.clone(),
            "--server".into(),
            format!("api={}", server.url),
        ];
        all.extend(flags.iter().map(|f| f.to_string()));
        all.extend(args.iter().cloned());
        let files = mode.contains("files");
        if files {
            all.extend([
                "--report".into(),
                report.display().to_string(),
                "--junit".into(),
                junit.display().to_string(),
                "--har".into(),
                har.display().to_string(),
            ]);
        }
        let out = run(&all, &kind.env, mode.contains("colour"));
        let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
        assert_eq!(
            out.status.code(),
            Some(1),
            "{}: {mode}: {stderr}\n{stdout}",
            kind.name
        );
        let mut outputs = vec![
            ("stdout".to_string(), stdout.clone()),
            ("stderr".to_string(), stderr.clone()),
        ];
        if files {
            outputs.push(("--report".into(), std::fs::read_to_string(&report).unwrap()));
            outputs.push(("--junit".into(), std::fs::read_to_string(&junit).unwrap()));
            outputs.push(("--har".into(), std::fs::read_to_string(&har).unwrap()));
        }
        assert_no_leak(&format!("{}: {mode}", kind.name), &outputs, &needles);
        // Not vacuous: the run sent the secrets, saw the echo, and masked it.
        let seen = server.seen();
        for s in &kind.sent {
            assert!(
                seen.contains(s.as_str()),
                "{}: the server never received `{s}`:\n{seen}",
                kind.name
            );
        }
        if mode.starts_with("tap") {
            // TAP quotes the failures' reasons, not the response excerpts:
            // nothing to see masked, only nothing to leak.
            assert!(
                stdout.starts_with("TAP version 14\n") && stdout.contains("\nnot ok "),
                "{}: {stdout}",
                kind.name
            );
            continue;
        }
        let shown = if mode.starts_with("json") {
            let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
            assert_eq!(
                report["workflows"][0]["status"], "succeeded",
                "{}: {stdout}",
                kind.name
            );
            stdout
        } else {
            assert!(stdout.contains("ok succeeded"), "{}: {stdout}", kind.name);
            stdout
        };
        assert!(
            shown.contains("****"),
            "{}: {mode}: nothing masked?\n{shown}",
            kind.name
        );
        if files {
            let junit = std::fs::read_to_string(&junit).unwrap();
            assert!(junit.contains("<failure"), "{junit}");
            let report: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
            assert_eq!(report["workflows"].as_array().unwrap().len(), 3);
            // Not vacuous: the failed steps' response excerpts quote the
            // echo, masked, and the HAR holds the exchanges, masked.
            let excerpts: Vec<&str> = report["workflows"]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|w| w["steps"].as_array().unwrap())
                .filter_map(|s| s["response"]["body"].as_str())
                .collect();
            assert!(
                excerpts.iter().any(|b| b.contains("****")),
                "{}: {excerpts:?}",
                kind.name
            );
            let har: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(&har).unwrap()).unwrap();
            let entries = har["log"]["entries"].as_array().unwrap();
            assert!(entries.len() >= 3, "{}: {har}", kind.name);
            assert!(har.to_string().contains("****"), "{}: {har}", kind.name);
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn api_keys_in_a_header_a_query_and_a_cookie() {
    for k in kinds().iter().filter(|k| k.name.starts_with("api-key")) {
        run_kind(k);
    }
}

/// `--header` values, for every request and for one source's.
#[test]
fn header_flag_values() {
    for k in kinds().iter().filter(|k| k.name == "header-flags") {
        run_kind(k);
    }
}

#[test]
fn bearer_and_basic() {
    for k in kinds()
        .iter()
        .filter(|k| k.name == "bearer" || k.name.starts_with("basic"))
    {
        run_kind(k);
    }
}

#[test]
fn oauth2_client_credentials_with_each_client_authentication() {
    for k in kinds().iter().filter(|k| k.name.starts_with("oauth2")) {
        run_kind(k);
    }
}

#[test]
fn credentials_from_the_environment() {
    for k in kinds().iter().filter(|k| k.name.starts_with("environment")) {
        run_kind(k);
    }
}

#[test]
fn password_and_write_only_inputs() {
    for k in kinds()
        .iter()
        .filter(|k| k.name.starts_with("secret-inputs"))
    {
        run_kind(k);
    }
}

/// Inputs the schema rejects stop the run with exit 2, as docs/cli.md says,
/// and the message never quotes a secret input — given with `--input` or in
/// an `--inputs` file.
#[test]
fn invalid_secret_inputs_exit_2_without_quoting_them() {
    let dir = workdir("invalid-inputs");
    let server = Server::start();
    let inputs = r#"
    inputs:
      type: object
      required: [pw, wo]
      properties:
        pw: {type: string, format: password, minLength: 500}
        wo: {type: string, writeOnly: true, pattern: '^x$'}
        n: {type: integer}"#;
    let doc = write_documents(&dir, &arazzo("input", inputs, INPUT_REQUEST));
    let (pw, wo) = (secret("InPass-013", true), secret("InWrit-014", true));
    let file = dir.join("inputs.yaml");
    std::fs::write(
        &file,
        serde_json::json!({"pw": pw, "wo": wo, "n": "NaN-but-not-secret"}).to_string(),
    )
    .unwrap();
    let needles = all_needles();
    let flagged = [
        "--input".to_string(),
        format!("pw={pw}"),
        "--input".into(),
        format!("wo={wo}"),
        "--input".into(),
        "n=NaN-but-not-secret".into(),
    ];
    let from_file = ["--inputs".to_string(), file.display().to_string()];
    for given in [&flagged[..], &from_file[..]] {
        for format in [&["-vv"][..], &["--format", "json"][..]] {
            let report = dir.join("report.json");
            let mut args = vec![
                "run".to_string(),
                doc.clone(),
                "--server".into(),
                format!("api={}", server.url),
            ];
            args.extend(format.iter().map(|f| f.to_string()));
            args.extend(given.iter().cloned());
            args.extend(["--report".into(), report.display().to_string()]);
            let out = run(&args, &[], false);
            let stderr = text(&out.stderr);
            assert_eq!(
                out.status.code(),
                Some(2),
                "{stderr}\n{}",
                text(&out.stdout)
            );
            assert!(stderr.contains("invalid inputs"), "{stderr}");
            assert!(stderr.contains("/pw"), "{stderr}");
            // A value that is not secret is still quoted.
            assert!(stderr.contains("NaN-but-not-secret"), "{stderr}");
            assert_no_leak(
                "invalid inputs",
                &[
                    ("stdout".into(), text(&out.stdout)),
                    ("stderr".into(), stderr),
                ],
                &needles,
            );
        }
    }
    assert!(
        server.seen().is_empty(),
        "nothing is sent: {}",
        server.seen()
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// What a server sends cannot drive the terminal: escape sequences, other
/// control characters and bidirectional overrides in bodies, failure
/// reasons, outputs and ids are shown visibly; only arazzo-run's own colour
/// sequences reach the terminal.
#[test]
fn server_and_document_text_cannot_drive_the_terminal() {
    let dir = workdir("terminal");
    let server = Server::start();
    let doc = "arazzo: 1.0.1\ninfo: {title: t, version: '1'}\nsourceDescriptions:\n  - {name: api, url: ./echo.openapi.yaml, type: openapi}\nworkflows:\n  - workflowId: \"evil\\e]0;wf\\a\\x9b2J\"\n    steps:\n      - stepId: \"step\\e[2J\\r\"\n        operationId: evil\n        successCriteria:\n          - condition: $statusCode == 200\n          - condition: $response.body == 'nope'\n          - context: $response.body\n            condition: '^nope$'\n            type: regex\n  - workflowId: fine\n    steps:\n      - stepId: s\n        operationId: evil\n        outputs: {body: $response.body}\n    outputs: {body: $steps.s.outputs.body}\n";
    let doc = write_documents(&dir, doc);
    let junit = dir.join("junit.xml");
    let base = vec![
        "run".to_string(),
        doc,
        "--server".into(),
        format!("api={}", server.url),
    ];
    let forbidden = ['\u{7}', '\u{7f}', '\u{9b}', '\r', '\u{202e}'];
    for color in [false, true] {
        let mut args = base.clone();
        args.extend(["-vv".into(), "--junit".into(), junit.display().to_string()]);
        let out = run(&args, &[], color);
        assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
        for (name, t) in [("stdout", text(&out.stdout)), ("stderr", text(&out.stderr))] {
            assert!(t.contains("evil"), "{name}: {t}");
            for c in forbidden {
                assert!(!t.contains(c), "color={color} {name} holds {c:?}: {t:?}");
            }
            // Every escape that remains is a colour (SGR) sequence of ours.
            for (i, _) in t.match_indices('\u{1b}') {
                assert!(color, "{name}: an escape without colour: {t:?}");
                let rest = &t[i + 1..];
                let sgr = rest.strip_prefix('[').and_then(|r| {
                    let end = r.find(|c: char| !(c.is_ascii_digit() || c == ';'))?;
                    r[end..].starts_with('m').then_some(())
                });
                assert!(
                    sgr.is_some(),
                    "{name}: a non-colour escape: {:?}",
                    &rest[..rest.len().min(20)]
                );
            }
            assert!(
                !t.contains("\u{1b}[8m") && !t.contains("\u{1b}[2J"),
                "{name}: {t:?}"
            );
        }
        let xml = std::fs::read_to_string(&junit).unwrap();
        for c in forbidden.iter().chain(&['\u{1b}']) {
            assert!(!xml.contains(*c), "junit holds {c:?}");
        }
        assert!(
            text(&out.stdout).contains("\\u{1b}"),
            "shown visibly: {}",
            text(&out.stdout)
        );
    }
    let mut args = base.clone();
    args.extend(["--format".into(), "json".into()]);
    let out = run(&args, &[], false);
    let stdout = text(&out.stdout);
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        report["workflows"][1]["outputs"]["body"]
            .as_str()
            .unwrap()
            .chars()
            .filter(|c| *c == '\u{9b}')
            .count(),
        1
    );
    for c in forbidden.iter().chain(&['\u{1b}']) {
        assert!(!stdout.contains(*c), "json holds {c:?}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// A body is logged up to 4,096 bytes: a secret the cut goes through is
/// masked in the engine's events too (which embedders and `tracing` see
/// without the command line's edge), not only its whole occurrences.
#[test]
fn a_secret_cut_by_a_logged_body_is_masked_in_events() {
    let dir = workdir("cut");
    let server = Server::start();
    let doc = "arazzo: 1.0.1\ninfo: {title: t, version: '1'}\nsourceDescriptions:\n  - {name: api, url: ./echo.openapi.yaml, type: openapi}\nworkflows:\n  - workflowId: big\n    inputs: {type: object, properties: {pw: {type: string, format: password}}}\n    steps:\n      - stepId: s\n        operationId: big\n        parameters: [{name: q, in: query, value: $inputs.pw}]\n";
    let doc = write_documents(&dir, doc);
    let url = url::Url::parse(&server.url).unwrap();
    let options = arazzo_engine::CompileOptions {
        servers: [("api".to_string(), url)].into_iter().collect(),
        ..Default::default()
    };
    let compiled = arazzo_engine::compile_location(&doc, &options).unwrap();
    let pw = secret("CutSec-017", true);
    let inputs = serde_json::json!({"pw": pw}).as_object().unwrap().clone();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mut events = Vec::new();
    rt.block_on(async {
        let engine = arazzo_engine::Engine::new(compiled.plan).unwrap();
        engine
            .run_all(vec![("big".into(), inputs)], &mut |e| events.push(e))
            .await
            .unwrap();
    });
    let body = events
        .iter()
        .find_map(|e| match e {
            arazzo_engine::Event::ResponseReceived { body, .. } => body.clone(),
            _ => None,
        })
        .unwrap();
    assert!(
        body.ends_with(&format!("… ({} bytes in all)", 4186 + pw.len())),
        "{body}"
    );
    assert!(!body.contains("CutSec"), "{}", &body[4000..]);
    assert!(server.seen().contains("CutSec-017"));
    std::fs::remove_dir_all(&dir).ok();
}

/// A failed step keeps 2,048 bytes of its response body: a secret that cut
/// goes through is masked in the engine's record (which embedders see
/// without the command line's edge) and in every output — pretty, JSON,
/// the report, JUnit and the HAR file.
#[test]
fn a_secret_cut_by_a_response_excerpt_is_masked_everywhere() {
    let dir = workdir("excerpt");
    let server = Server::start();
    let doc = "arazzo: 1.0.1\ninfo: {title: t, version: '1'}\nsourceDescriptions:\n  - {name: api, url: ./echo.openapi.yaml, type: openapi}\nworkflows:\n  - workflowId: big\n    inputs: {type: object, properties: {pw: {type: string, format: password}}}\n    steps:\n      - stepId: s\n        operationId: big\n        parameters: [{name: q, in: query, value: $inputs.pw}, {name: at, in: query, value: 2040}]\n        successCriteria: [{condition: $statusCode == 201}]\n";
    let doc = write_documents(&dir, doc);
    let pw = secret("CutExc-018", true);
    let head = &pw[..8];

    // The engine's record, without the command line.
    let url = url::Url::parse(&server.url).unwrap();
    let options = arazzo_engine::CompileOptions {
        servers: [("api".to_string(), url)].into_iter().collect(),
        ..Default::default()
    };
    let compiled = arazzo_engine::compile_location(&doc, &options).unwrap();
    let inputs = serde_json::json!({"pw": pw}).as_object().unwrap().clone();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let report = rt.block_on(async {
        let engine = arazzo_engine::Engine::new(compiled.plan).unwrap();
        engine
            .run_all(vec![("big".into(), inputs)], &mut |_| {})
            .await
            .unwrap()
    });
    let response = report.workflows[0].steps[0].response.clone().unwrap();
    let body = response.body.unwrap();
    assert!(response.truncated);
    assert_eq!(response.body_size, 2140 + pw.len());
    assert!(body.ends_with("****…"), "{}", &body[2000..]);
    assert!(!body.contains(head), "{}", &body[2000..]);

    // Every output of the command line.
    let inputs = dir.join("inputs.json");
    std::fs::write(&inputs, serde_json::json!({"pw": pw}).to_string()).unwrap();
    let (report, junit, har) = (
        dir.join("report.json"),
        dir.join("junit.xml"),
        dir.join("run.har"),
    );
    let mut needles = encodings(&pw);
    needles.push(("the cut head".into(), head.to_string()));
    for format in [&["-vv"][..], &["--format", "json"][..]] {
        let mut args = vec![
            "run".to_string(),
            doc.clone(),
            "--server".into(),
            format!("api={}", server.url),
            "--inputs".into(),
            inputs.display().to_string(),
            "--report".into(),
            report.display().to_string(),
            "--junit".into(),
            junit.display().to_string(),
            "--har".into(),
            har.display().to_string(),
        ];
        args.extend(format.iter().map(|f| f.to_string()));
        let out = run(&args, &[], false);
        assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
        let stdout = text(&out.stdout);
        assert!(stdout.contains("****…"), "{stdout}");
        let outputs = [
            ("stdout".to_string(), stdout),
            ("stderr".to_string(), text(&out.stderr)),
            ("--report".into(), std::fs::read_to_string(&report).unwrap()),
            ("--junit".into(), std::fs::read_to_string(&junit).unwrap()),
            ("--har".into(), std::fs::read_to_string(&har).unwrap()),
        ];
        assert_no_leak("response excerpt", &outputs, &needles);
    }
    assert!(server.seen().contains("CutExc-018"));
    std::fs::remove_dir_all(&dir).ok();
}

/// The suite's size, for the record (run with `--nocapture`).
#[test]
fn zz_encodings_are_many() {
    let needles = all_needles();
    let per_secret = encodings(&access_token()).len();
    eprintln!(
        "{} kinds × {} modes; {} needles ({} encodings per secret); {} checks so far in this process",
        kinds().len(),
        MODES.len(),
        needles.len(),
        per_secret,
        CHECKS.load(Ordering::Relaxed)
    );
    assert!(per_secret >= 40, "{per_secret}");
    // The generators themselves, checked against known values.
    assert_eq!(base64(b"user:pass", false, true), "dXNlcjpwYXNz");
    assert_eq!(base64(b"ab?>", true, false), "YWI_Pg");
    assert_eq!(base64_decode("dXNlcjpwYXNz"), b"user:pass");
    assert_eq!(
        pct("a b~é", &|b: u8| b.is_ascii_alphanumeric(), true, true),
        "a+b%7e%c3%a9"
    );
    assert_eq!(pct_decode("a+b%7E%C3%A9", true), "a b~é");
    assert_eq!(
        json_escape("a\"/é😀", true, false, true),
        "a\\\"\\/\\u00E9\\uD83D\\uDE00"
    );
}
