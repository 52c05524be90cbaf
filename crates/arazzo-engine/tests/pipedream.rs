//! The flagship workflow against the Pipedream Connect simulator, over real
//! loopback HTTP, through the embedding API.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use arazzo_engine::{CompileOptions, Credentials, Engine, Status};
use pipedream_sim::{SimConfig, Simulator};
use serde_json::json;

fn spec(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../specs/pipedream/arazzo")
        .join(name)
        .display()
        .to_string()
}

#[tokio::test]
async fn onboarding_runs_against_the_simulator() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let cfg = sim.config().clone();
    let mut opts = CompileOptions::default();
    opts.servers
        .insert("pipedreamApi".into(), sim.base_url().parse().unwrap());
    let compiled = arazzo_engine::compile_location(
        &spec("pipedream-connect-account-onboarding-workflow.yml"),
        &opts,
    )
    .unwrap();
    let errors: Vec<String> = compiled
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let mut creds = Credentials::new();
    creds.set("OAuth2.client_id", &cfg.client_id).unwrap();
    creds
        .set("OAuth2.client_secret", &cfg.client_secret)
        .unwrap();
    let engine = Engine::new(compiled.plan).unwrap().with_credentials(creds);
    let outcome = engine
        .run(
            "connect-account-onboarding",
            json!({
                "projectId": cfg.project_id,
                "environment": "development",
                "externalUserId": "user-1",
                "appSlug": "openai",
                "cfmapJson": "{\"api_key\":\"sk-1\"}"
            }),
        )
        .await
        .unwrap();
    assert_eq!(outcome.status, Status::Succeeded, "{:#?}", outcome.report);
    let account = outcome.outputs["accountId"].as_str().unwrap().to_string();
    assert!(account.starts_with("apn_"), "{account}");
    assert_eq!(outcome.outputs["accounts"][0]["id"], json!(account));
    assert!(
        outcome.outputs["connectToken"]
            .as_str()
            .unwrap()
            .starts_with("ctok_")
    );
    // `accountName` was not supplied: the body has no `name`.
    let create = sim
        .requests()
        .into_iter()
        .find(|r| r.method == "POST" && r.path.ends_with("/accounts"))
        .unwrap();
    let body: serde_json::Value = serde_json::from_slice(&create.body).unwrap();
    assert!(body.get("name").is_none(), "{body}");
    sim.shutdown().await;
}
