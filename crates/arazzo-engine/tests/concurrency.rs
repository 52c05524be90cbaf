//! Many runs of one workflow at once in one process, sharing one engine and
//! its HTTP client, against the Pipedream Connect simulator over loopback:
//! every run must see only its own inputs, tokens and accounts.
#![allow(clippy::unwrap_used)]

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use arazzo_engine::BoxFuture;
use arazzo_engine::{
    CompileOptions, Credentials, Engine, HttpOptions, HttpResponse, ReqwestTransport, Status,
    Transport, TransportError,
};
use arazzo_openapi::HttpRequest;
use pipedream_sim::{SimConfig, Simulator};
use serde_json::json;
use tokio::sync::Semaphore;

const RUNS: usize = 1_000;

/// The engine's own transport behind a gate of 64 requests in flight: the runs
/// are all under way at once, but the test does not need 2,000 file
/// descriptors (client and in-process server sockets) on a machine whose limit
/// may be 1,024.
struct Gated {
    inner: ReqwestTransport,
    gate: Semaphore,
}

impl Transport for Gated {
    fn send(
        &self,
        request: HttpRequest,
        timeout: Duration,
    ) -> BoxFuture<'_, Result<HttpResponse, TransportError>> {
        Box::pin(async move {
            let _permit = self.gate.acquire().await.unwrap();
            self.inner.send(request, timeout).await
        })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_runs_share_one_client_without_cross_talk() {
    // The simulator runs on a runtime of its own, as a real server would: the
    // thousand runs keep this runtime's two workers busy (each run compiles
    // the patterns that mask its token), and a server sharing them would be
    // starved into answering after the client's timeout.
    let (ready, started) = std::sync::mpsc::channel();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let sim = Simulator::start(SimConfig::default()).await.unwrap();
            ready
                .send((sim.config().clone(), sim.base_url().to_string()))
                .unwrap();
            let _ = stopped.await;
            let held = sim.accounts();
            sim.shutdown().await;
            held
        })
    });
    let (cfg, base_url) = started.recv().unwrap();
    let mut opts = CompileOptions::default();
    opts.servers
        .insert("pipedreamApi".into(), base_url.parse().unwrap());
    let spec = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../specs/pipedream/arazzo/pipedream-connect-account-onboarding-workflow.yml");
    let compiled = arazzo_engine::compile_location(&spec.display().to_string(), &opts).unwrap();
    assert!(!compiled.has_errors());
    let mut creds = Credentials::new();
    creds.set("OAuth2.client_id", &cfg.client_id).unwrap();
    creds
        .set("OAuth2.client_secret", &cfg.client_secret)
        .unwrap();
    let transport = Gated {
        inner: ReqwestTransport::new(&HttpOptions::default()).unwrap(),
        gate: Semaphore::new(64),
    };
    let engine = Arc::new(
        Engine::new(compiled.plan)
            .unwrap()
            .with_credentials(creds)
            .with_transport(Arc::new(transport)),
    );
    let mut tasks = Vec::with_capacity(RUNS);
    for i in 0..RUNS {
        let engine = engine.clone();
        let project = cfg.project_id.clone();
        tasks.push(tokio::spawn(async move {
            let outcome = engine
                .run(
                    "connect-account-onboarding",
                    json!({
                        "projectId": project,
                        "environment": "development",
                        "externalUserId": format!("user-{i}"),
                        "appSlug": "openai",
                        "cfmapJson": format!("{{\"api_key\":\"sk-{i}\"}}"),
                        "accountName": format!("account {i}"),
                    }),
                )
                .await
                .unwrap();
            (i, outcome)
        }));
    }
    let mut tokens = HashSet::new();
    let mut accounts = HashSet::new();
    for t in tasks {
        let (i, outcome) = t.await.unwrap();
        assert_eq!(
            outcome.status,
            Status::Succeeded,
            "run {i}: {:?}",
            outcome.error
        );
        let o = &outcome.outputs;
        let account = o["accountId"].as_str().unwrap().to_string();
        // Each run lists exactly its own account: the one it created, for its own user.
        let listed = o["accounts"].as_array().unwrap();
        assert_eq!(listed.len(), 1, "run {i}: {listed:?}");
        assert_eq!(listed[0]["id"], json!(account), "run {i}");
        assert_eq!(
            listed[0]["external_id"],
            json!(format!("user-{i}")),
            "run {i}"
        );
        assert_eq!(listed[0]["name"], json!(format!("account {i}")), "run {i}");
        assert!(tokens.insert(o["connectToken"].as_str().unwrap().to_string()));
        assert!(accounts.insert(account));
    }
    // The server agrees: one account per user, each with that run's credentials.
    stop.send(()).unwrap();
    let held = server.join().unwrap();
    assert_eq!(held.len(), RUNS);
    for a in &held {
        let i: usize = a
            .external_user_id
            .strip_prefix("user-")
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(a.name.as_deref(), Some(format!("account {i}").as_str()));
        assert!(accounts.contains(&a.id));
    }
}
