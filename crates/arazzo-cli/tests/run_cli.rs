//! `arazzo-run run`, black-box: the real binary against the Pipedream
//! Connect simulator on loopback.
#![allow(clippy::unwrap_used)]

mod common;
use common::{bin, flagship, inputs_file, root, text};

use std::process::Output;

use pipedream_sim::{Operation, SimConfig, Simulator};
use serde_json::Value;

async fn run(args: &[&str], envs: &[(&str, &str)]) -> Output {
    let mut cmd = tokio::process::Command::new(bin());
    cmd.args(args)
        .env("NO_COLOR", "1")
        .env_remove("CLICOLOR_FORCE");
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.output().await.unwrap()
}

async fn sim() -> Simulator {
    Simulator::start(SimConfig::default()).await.unwrap()
}

fn server_flag(sim: &Simulator) -> String {
    format!("pipedreamApi={}", sim.base_url())
}

fn auth_flags(sim: &Simulator) -> (String, String) {
    let c = sim.config();
    (
        format!("OAuth2.client_id={}", c.client_id),
        format!("OAuth2.client_secret={}", c.client_secret),
    )
}

#[tokio::test]
async fn flagship_json_report_matches_the_schema_and_hides_secrets() {
    let sim = sim().await;
    let (id, secret) = auth_flags(&sim);
    let server = server_flag(&sim);
    let out = run(
        &[
            "run",
            &flagship(),
            "--inputs",
            &inputs_file(),
            "--server",
            &server,
            "--auth",
            &id,
            "--auth",
            &secret,
            "--format",
            "json",
        ],
        &[],
    )
    .await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(common::report_schema_errors(&report), Vec::<String>::new());
    let wf = &report["workflows"][0];
    assert_eq!(wf["status"], "succeeded");
    assert_eq!(wf["steps"].as_array().unwrap().len(), 3);
    assert_eq!(
        wf["outputs"]["accounts"][0]["id"],
        wf["outputs"]["accountId"]
    );
    let everything = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(
        !everything.contains(&sim.config().client_secret),
        "the client secret leaked"
    );
    // The token request happened, and the bearer it produced reached createToken.
    let reqs = sim.requests();
    assert_eq!(reqs[0].path, "/v1/oauth/token");
    let create_token = reqs
        .iter()
        .find(|r| r.operation == Some(Operation::CreateToken))
        .unwrap();
    assert!(
        create_token
            .header("authorization")
            .unwrap()
            .starts_with("Bearer ")
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn string_inputs_keep_raw_json_text_and_absent_optionals_are_not_sent() {
    let sim = sim().await;
    let (id, secret) = auth_flags(&sim);
    let server = server_flag(&sim);
    let project = format!("projectId={}", sim.config().project_id);
    let out = run(
        &[
            &flagship(), // the `run` shorthand
            "--input",
            &project,
            "--input",
            "environment=development",
            "--input",
            "externalUserId=u1",
            "--input",
            "appSlug=openai",
            "--input",
            r#"cfmapJson={"api_key":"k"}"#,
            "--server",
            &server,
            "--auth",
            &id,
            "--auth",
            &secret,
        ],
        &[],
    )
    .await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let create = sim
        .requests()
        .into_iter()
        .find(|r| r.operation == Some(Operation::CreateAccount))
        .unwrap();
    let body: Value = serde_json::from_slice(&create.body).unwrap();
    assert_eq!(
        body["cfmap_json"],
        Value::String(r#"{"api_key":"k"}"#.into())
    );
    assert!(body.get("name").is_none(), "{body}");
    sim.shutdown().await;
}

#[tokio::test]
async fn credentials_from_the_environment() {
    let sim = sim().await;
    let server = server_flag(&sim);
    let c = sim.config().clone();
    let out = run(
        &[
            "run",
            &flagship(),
            "--inputs",
            &inputs_file(),
            "--server",
            &server,
        ],
        &[
            ("ARAZZO_AUTH_OAUTH2_CLIENT_ID", c.client_id.as_str()),
            ("ARAZZO_AUTH_OAUTH2_CLIENT_SECRET", c.client_secret.as_str()),
        ],
    )
    .await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn a_failure_exits_1_and_says_which_criterion_failed() {
    let sim = sim().await;
    let server = server_flag(&sim);
    // No credentials: createToken gets 401.
    let out = run(
        &[
            "run",
            &flagship(),
            "--inputs",
            &inputs_file(),
            "--server",
            &server,
        ],
        &[],
    )
    .await;
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("✗ createConnectToken"), "{stdout}");
    assert!(stdout.contains("401"), "{stdout}");
    assert!(
        stdout.contains("$statusCode"),
        "the failed criterion is named: {stdout}"
    );
    assert!(!stdout.contains("\x1b["), "no colour without a terminal");
    assert!(
        stdout
            .contains("warning: POST /v1/connect/{project_id}/tokens: no credentials for `OAuth2`"),
        "{stdout}"
    );
    assert!(stdout.contains("--auth OAuth2.client_id="), "{stdout}");
    // The failure is shown where it is written, like a compile diagnostic.
    assert!(
        stdout.contains("error[step-failed]: connect-account-onboarding failed (criteria): step `createConnectToken` failed"),
        "{stdout}"
    );
    assert!(
        stdout.contains("pipedream-connect-account-onboarding-workflow.yml:52:13"),
        "{stdout}"
    );
    assert!(stdout.contains("- stepId: createConnectToken"), "{stdout}");
    assert!(
        stdout.contains("^^^^^^^^^^^^^^^^^^ step `createConnectToken` failed here"),
        "{stdout}"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn retry_variant_honours_retry_after() {
    let sim = sim().await;
    sim.fail_next(Operation::CreateToken, 429, Some(1), 1);
    let (id, secret) = auth_flags(&sim);
    let server = server_flag(&sim);
    let variant = root()
        .join("specs/pipedream/arazzo/pipedream-connect-account-onboarding-with-retry.yml")
        .display()
        .to_string();
    let started = std::time::Instant::now();
    let out = run(
        &[
            "run",
            &variant,
            "--inputs",
            &inputs_file(),
            "--server",
            &server,
            "--auth",
            &id,
            "--auth",
            &secret,
            "--format",
            "json",
        ],
        &[],
    )
    .await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert!(
        started.elapsed().as_millis() >= 1000,
        "Retry-After: 1 was honoured"
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let steps = report["workflows"][0]["steps"].as_array().unwrap();
    assert_eq!(steps[0]["statusCode"], 429);
    assert_eq!(steps[0]["action"]["type"], "retry");
    assert_eq!(steps[1]["stepId"], "createConnectToken");
    assert_eq!(steps[1]["attempt"], 2);
    assert_eq!(steps[1]["statusCode"], 200);
    sim.shutdown().await;
}

#[tokio::test]
async fn report_and_junit_files() {
    let sim = sim().await;
    let (id, secret) = auth_flags(&sim);
    let server = server_flag(&sim);
    let dir = std::env::temp_dir().join(format!("arazzo-cli-files-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let report = dir.join("report.json");
    let junit = dir.join("junit.xml");
    let out = run(
        &[
            "run",
            &flagship(),
            "--inputs",
            &inputs_file(),
            "--server",
            &server,
            "--auth",
            &id,
            "--auth",
            &secret,
            "--report",
            report.to_str().unwrap(),
            "--junit",
            junit.to_str().unwrap(),
        ],
        &[],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let r: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(common::report_schema_errors(&r), Vec::<String>::new());
    let x = std::fs::read_to_string(&junit).unwrap();
    let redacted = redact_times(&x);
    let expected = [
        r#"<?xml version="1.0" encoding="UTF-8"?>"#,
        r#"<testsuites name="arazzo-run" tests="3" failures="0" errors="0" time="T">"#,
        r#"  <testsuite name="connect-account-onboarding" tests="3" failures="0" errors="0" time="T">"#,
        r#"    <testcase name="createConnectToken" classname="connect-account-onboarding" time="T"/>"#,
        r#"    <testcase name="connectAccount" classname="connect-account-onboarding" time="T"/>"#,
        r#"    <testcase name="verifyAccount" classname="connect-account-onboarding" time="T"/>"#,
        r#"  </testsuite>"#,
        r#"</testsuites>"#,
        "",
    ]
    .join("\n");
    assert_eq!(redacted, expected);
    std::fs::remove_dir_all(&dir).ok();
    sim.shutdown().await;
}

/// `time="0.123"` → `time="T"`.
fn redact_times(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("time=\"") {
        out.push_str(&rest[..i + 6]);
        let after = &rest[i + 6..];
        let end = after.find('"').unwrap_or(after.len());
        out.push('T');
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// Durations and ports vary; the rest of the pretty output is pinned. A
/// duration is right-aligned in its column: `200    12ms` becomes `200  Nms`.
fn redact_pretty(s: &str) -> String {
    s.lines()
        .map(|l| {
            let words: Vec<&str> = l.split(' ').collect();
            let mut out: Vec<String> = Vec::new();
            for w in words {
                let duration = w.len() > 2
                    && w.ends_with("ms")
                    && w.trim_end_matches("ms").chars().all(|c| c.is_ascii_digit());
                if duration {
                    while out.last().is_some_and(String::is_empty) {
                        out.pop();
                    }
                    out.push(String::new());
                    out.push("Nms".into());
                } else {
                    out.push(w.to_string());
                }
            }
            let l = out.join(" ");
            match l.find(" succeeded in ") {
                Some(i) => format!("{} succeeded in Nms", &l[..i]),
                None => l,
            }
        })
        .filter(|l| !l.contains("ctok_") && !l.contains("apn_") && !l.contains("_at\""))
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn pretty_output_snapshot() {
    let sim = sim().await;
    let (id, secret) = auth_flags(&sim);
    let server = server_flag(&sim);
    let out = run(
        &[
            "run",
            &flagship(),
            "--inputs",
            &inputs_file(),
            "--server",
            &server,
            "--auth",
            &id,
            "--auth",
            &secret,
        ],
        &[],
    )
    .await;
    assert_eq!(out.status.code(), Some(0));
    let got = redact_pretty(&text(&out.stdout));
    let head: Vec<&str> = got.lines().take(6).collect();
    assert_eq!(
        head,
        vec![
            "▶ connect-account-onboarding",
            "  ✓ createConnectToken  POST /v1/connect/proj_Qx7Lm2Ka/tokens       200  Nms",
            "  ✓ connectAccount      POST /v1/connect/proj_Qx7Lm2Ka/accounts     200  Nms",
            "  ✓ verifyAccount       GET /v1/connect/proj_Qx7Lm2Ka/accounts?ex…  200  Nms",
            "✓ connect-account-onboarding succeeded in Nms",
            "",
        ]
    );
    assert!(got.contains("outputs of connect-account-onboarding"));
    assert!(got.trim_end().ends_with("1 workflow succeeded"));
    sim.shutdown().await;
}

#[tokio::test]
async fn verbose_shows_headers_with_masked_credentials() {
    let sim = sim().await;
    let (id, secret) = auth_flags(&sim);
    let server = server_flag(&sim);
    let out = run(
        &[
            "run",
            &flagship(),
            "--inputs",
            &inputs_file(),
            "--server",
            &server,
            "--auth",
            &id,
            "--auth",
            &secret,
            "-vv",
        ],
        &[],
    )
    .await;
    let stdout = text(&out.stdout);
    assert!(stdout.contains("Authorization: Bearer ****"), "{stdout}");
    assert!(stdout.contains("x-pd-environment: development"), "{stdout}");
    assert!(
        stdout.contains("\"external_user_id\""),
        "-vv shows bodies: {stdout}"
    );
    assert!(!stdout.contains(&sim.config().client_secret));
    sim.shutdown().await;
}

#[tokio::test]
async fn usage_errors_exit_2() {
    let missing = run(&["run", &flagship()], &[]).await;
    assert_eq!(missing.status.code(), Some(2));
    let e = text(&missing.stderr);
    assert!(e.contains("missing required inputs"), "{e}");
    assert!(
        e.contains("projectId (string) — The project ID, which starts with proj_."),
        "{e}"
    );
    let unknown = run(
        &[
            "run",
            &flagship(),
            "--workflow",
            "connect-account-onbording",
        ],
        &[],
    )
    .await;
    assert_eq!(unknown.status.code(), Some(2));
    assert!(text(&unknown.stderr).contains("did you mean `connect-account-onboarding`?"));
    let bad_flag = run(&["run", &flagship(), "--input", "novalue"], &[]).await;
    assert_eq!(bad_flag.status.code(), Some(2));
    // A credential for a scheme no source defines is refused, not ignored
    // (the run would otherwise go out unauthenticated), and its value is not echoed.
    let unknown_auth = run(
        &[
            "run",
            &flagship(),
            "--mock",
            "--auth",
            "OAuth3=s3cr3t-value",
        ],
        &[],
    )
    .await;
    assert_eq!(unknown_auth.status.code(), Some(2));
    let e = text(&unknown_auth.stderr);
    assert!(e.contains("no security scheme is named `OAuth3`"), "{e}");
    assert!(e.contains("OAuth2"), "{e}");
    assert!(!e.contains("s3cr3t-value"), "{e}");
    // Limits that are not a finite number of seconds up to a year are usage
    // errors, not a panic (exit 101) or a silent 1 ms.
    for (flag, value) in [
        ("--timeout", "nan"),
        ("--timeout", "inf"),
        ("--timeout", "1e300"),
        ("--timeout", "18446744073709551616"),
        ("--run-timeout", "-1"),
        ("--max-retry-delay", "NaN"),
    ] {
        let arg = format!("{flag}={value}");
        let out = run(&["run", &flagship(), &arg], &[]).await;
        assert_eq!(out.status.code(), Some(2), "{arg}: {}", text(&out.stderr));
        assert!(
            text(&out.stderr).contains(value),
            "{arg}: {}",
            text(&out.stderr)
        );
    }
    let no_file = run(&["run", "/nonexistent/x.arazzo.yaml"], &[]).await;
    assert_eq!(no_file.status.code(), Some(2));
    assert!(
        text(&no_file.stderr).contains("no such file"),
        "{}",
        text(&no_file.stderr)
    );
}

#[tokio::test]
async fn invalid_documents_exit_2_with_a_caret() {
    let dir = std::env::temp_dir().join(format!("arazzo-cli-invalid-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("bad.arazzo.yaml");
    std::fs::write(
        &f,
        "arazzo: 1.0.1\ninfo: {title: t, version: '1'}\nsourceDescriptions: [{name: s, url: ./x.yaml}]\nworkflows:\n  - workflowId: w\n    steps:\n      - stepId: a\n        workflowId: nope\n",
    )
    .unwrap();
    let out = run(&["run", f.to_str().unwrap()], &[]).await;
    assert_eq!(out.status.code(), Some(2));
    let e = text(&out.stderr);
    assert!(e.contains("error[unknown-workflow]"), "{e}");
    assert!(e.contains("^^^^"), "{e}");
    assert!(e.contains("nothing was run"), "{e}");
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test]
async fn list_graph_and_completions() {
    let list = run(&["list", &flagship()], &[]).await;
    assert_eq!(list.status.code(), Some(0));
    assert_eq!(
        text(&list.stdout),
        "connect-account-onboarding(projectId: string, environment: string, externalUserId: string, appSlug: string, cfmapJson: string, accountName?: string) — 3 steps  Create a Connect token, connect an account, and verify it for an external user.\n"
    );
    let graph = run(&["graph", &flagship()], &[]).await;
    assert_eq!(graph.status.code(), Some(0));
    let g = text(&graph.stdout);
    assert!(g.starts_with("flowchart TD\n"), "{g}");
    assert!(g.contains("connect_account_onboarding__createConnectToken --> connect_account_onboarding__connectAccount"), "{g}");
    let comp = run(&["completions", "bash"], &[]).await;
    assert_eq!(comp.status.code(), Some(0));
    assert!(text(&comp.stdout).contains("arazzo-run"));
}

/// An error inside one workflow blocks it and its callers; a workflow it does
/// not reach still runs when named with `--workflow`.
#[tokio::test]
async fn errors_block_only_the_workflows_they_reach() {
    let doc = root()
        .join("crates/arazzo-cli/tests/fixtures/partly-broken/wf.arazzo.yaml")
        .display()
        .to_string();
    let all = run(&["run", &doc, "--mock"], &[]).await;
    assert_eq!(all.status.code(), Some(2));
    let err = text(&all.stderr);
    assert!(err.contains("wf.arazzo.yaml:14:22"), "{err}");
    assert!(err.contains("nothing was run"), "{err}");
    assert!(
        err.contains("the errors do not reach `good`: run it with --workflow"),
        "{err}"
    );

    let good = run(&["run", &doc, "--mock", "--workflow", "good", "-v"], &[]).await;
    assert_eq!(good.status.code(), Some(0), "{}", text(&good.stderr));
    let out = text(&good.stdout);
    assert!(out.contains("good succeeded"), "{out}");
    // With -v the mock's notes explain its answer.
    assert!(
        out.contains("note: mock: step `p`: GET /ping: the documented example of application/json does not match its schema"),
        "{out}"
    );
    assert!(text(&good.stderr).contains("1 error in workflows that this one does not run"));

    for blocked in ["broken", "caller"] {
        let o = run(&["run", &doc, "--mock", "--workflow", blocked], &[]).await;
        assert_eq!(o.status.code(), Some(2), "{blocked}");
        assert!(text(&o.stderr).contains("no operation `pong`"), "{blocked}");
    }
}

/// `--server flows.api=URL` reaches source `api` of the Arazzo document that
/// root source `flows` names.
#[tokio::test]
async fn server_overrides_reach_nested_arazzo_sources() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut buf = [0u8; 4096];
            let _ = socket.read(&mut buf).await;
            let _ = socket
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                .await;
        }
    });
    let doc = root()
        .join("crates/arazzo-cli/tests/fixtures/nested/main.arazzo.yaml")
        .display()
        .to_string();
    let ok = run(&["run", &doc, "--server", &format!("flows.api={url}")], &[]).await;
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok.stderr));
    assert!(
        text(&ok.stdout).contains("main succeeded"),
        "{}",
        text(&ok.stdout)
    );
    let bad = run(
        &["run", &doc, "--server", &format!("flows.nope={url}")],
        &[],
    )
    .await;
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        text(&bad.stderr).contains("flows.nope"),
        "{}",
        text(&bad.stderr)
    );
}
