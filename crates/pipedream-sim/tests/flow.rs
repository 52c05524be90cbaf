//! The onboarding flow end to end, request recording, and injected failures.

#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::{Client, PROJECT, assert_conforms, sim};
use pipedream_sim::{Operation, SimConfig, Simulator};
use reqwest::Method;
use serde_json::{Value, json};

/// The onboarding workflow's requests, as the published Arazzo document spells them out, then
/// retrieve and delete.
#[tokio::test]
async fn happy_path_token_account_list_retrieve_delete() {
    let sim = Simulator::start(SimConfig::new("my-client", "my-secret", "proj_Happy42"))
        .await
        .unwrap();
    let c = Client::new(&sim);

    // 1. OAuth access token.
    let oauth = c
        .oauth(json!({ "grant_type": "client_credentials", "client_id": "my-client", "client_secret": "my-secret" }))
        .await;
    assert_eq!(oauth.status, 200, "{}", oauth.text);
    let access = oauth.body["access_token"].as_str().unwrap().to_owned();

    // 2. createConnectToken, with the body the workflow sends.
    let token = c
        .create_token(
            Some(&access),
            "proj_Happy42",
            Some("development"),
            json!({ "external_user_id": "user-7f3a2c", "project_id": "proj_Happy42" }),
        )
        .await;
    assert_eq!(token.status, 200, "{}", token.text);
    let ctok = token.body["token"].as_str().unwrap().to_owned();

    // 3. connectAccount.
    let account = c
        .create_account(
            Some(&access),
            "proj_Happy42",
            Some("development"),
            json!({
                "app_slug": "openai",
                "cfmap_json": "{\"api_key\":\"sk-example-0000000000000000\"}",
                "connect_token": ctok,
                "name": "Work OpenAI key",
            }),
        )
        .await;
    assert_eq!(account.status, 200, "{}", account.text);
    let id = account.body["id"].as_str().unwrap().to_owned();
    assert_eq!(account.body["healthy"], true);

    // 4. verifyAccount.
    let list = c
        .call(
            Method::GET,
            "/v1/connect/proj_Happy42/accounts?external_user_id=user-7f3a2c&app=openai",
            Some(&access),
            Some("development"),
        )
        .await;
    assert_eq!(list.status, 200, "{}", list.text);
    assert_eq!(list.body["data"][0]["id"], id.as_str());
    assert_eq!(list.body["data"].as_array().unwrap().len(), 1);
    assert_eq!(
        list.body["page_info"],
        json!({ "count": 1, "total_count": 1, "start_cursor": null, "end_cursor": null })
    );

    // 5. Retrieve and delete.
    let path = format!("/v1/connect/proj_Happy42/accounts/{id}");
    let got = c
        .call(Method::GET, &path, Some(&access), Some("development"))
        .await;
    assert_eq!(got.status, 200);
    assert_eq!(got.body["name"], "Work OpenAI key");
    let deleted = c
        .call(Method::DELETE, &path, Some(&access), Some("development"))
        .await;
    assert_eq!(deleted.status, 204);
    assert!(sim.accounts().is_empty());
    let empty = c
        .call(
            Method::GET,
            "/v1/connect/proj_Happy42/accounts",
            Some(&access),
            Some("development"),
        )
        .await;
    assert_eq!(empty.body["data"], json!([]));
    assert_eq!(empty.body["page_info"]["total_count"], 0);

    // What the client sent, as the simulator saw it.
    let recorded = sim.requests();
    let ops: Vec<Option<Operation>> = recorded.iter().map(|r| r.operation).collect();
    assert_eq!(
        ops,
        [
            Some(Operation::CreateOauthToken),
            Some(Operation::CreateToken),
            Some(Operation::CreateAccount),
            Some(Operation::ListAccounts),
            Some(Operation::RetrieveAccount),
            Some(Operation::DeleteAccount),
            Some(Operation::ListAccounts),
        ]
    );
    let create = &recorded[1];
    assert_eq!(create.method, "POST");
    assert_eq!(create.path, "/v1/connect/proj_Happy42/tokens");
    assert_eq!(create.header("X-PD-Environment"), Some("development"));
    assert_eq!(
        create.header("authorization"),
        Some(format!("Bearer {access}").as_str())
    );
    assert_eq!(
        create.body_json().unwrap()["external_user_id"],
        "user-7f3a2c"
    );
    let verify = &recorded[3];
    assert_eq!(
        verify.query_param("external_user_id").as_deref(),
        Some("user-7f3a2c")
    );
    assert_eq!(verify.query_param("app").as_deref(), Some("openai"));
    assert_eq!(recorded[2].response.status, 200);
    assert_eq!(recorded[2].response.body_json().unwrap()["id"], id.as_str());
    assert_conforms(&sim);

    sim.clear_requests();
    assert!(sim.requests().is_empty());
    sim.shutdown().await;
}

#[tokio::test]
async fn injected_429_carries_rate_limit_headers_then_recovers() {
    let sim = sim().await;
    let c = Client::new(&sim);
    let access = c.access_token(None).await;
    sim.fail_next(Operation::CreateToken, 429, Some(2), 2);

    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    for _ in 0..2 {
        let r = c
            .create_token(
                Some(&access),
                PROJECT,
                Some("development"),
                json!({ "external_user_id": "u" }),
            )
            .await;
        assert_eq!(r.status, 429);
        assert_eq!(r.body, json!({ "error": "Throttled" }));
        assert_eq!(r.header("retry-after"), Some("2"));
        assert_eq!(r.header("x-ratelimit-limit"), Some("100"));
        assert_eq!(r.header("x-ratelimit-remaining"), Some("0"));
        let reset: u64 = r.header("x-ratelimit-reset").unwrap().parse().unwrap();
        assert!(reset >= now + 2 && reset <= now + 4, "{reset} vs {now}");
    }
    let r = c
        .create_token(
            Some(&access),
            PROJECT,
            Some("development"),
            json!({ "external_user_id": "u" }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        sim.connect_tokens().len(),
        1,
        "throttled requests mint nothing"
    );
    assert_conforms(&sim);
}

#[tokio::test]
async fn injected_failures_target_one_operation_and_queue_up() {
    let sim = sim().await;
    let c = Client::new(&sim);
    let access = c.access_token(None).await;
    sim.fail_next(Operation::ListAccounts, 429, None, 1);
    sim.fail_next(Operation::ListAccounts, 503, Some(5), 1);
    sim.fail_next(Operation::CreateOauthToken, 500, None, 1);
    sim.fail_next(Operation::DeleteAccount, 429, Some(0), 0);

    // Other operations are unaffected.
    let ctok = c.connect_token(&access, "development", "u").await;
    let r = c
        .call(
            Method::GET,
            &format!("/v1/connect/tokens/{ctok}/validate?app_id=openai"),
            None,
            None,
        )
        .await;
    assert_eq!(r.status, 200);

    // Injected failures come before authentication: even a bad request is throttled.
    let first = c
        .call(
            Method::GET,
            &format!("/v1/connect/{PROJECT}/accounts"),
            None,
            None,
        )
        .await;
    assert_eq!(first.status, 429);
    assert!(first.header("retry-after").is_none());
    assert!(first.header("x-ratelimit-reset").is_some());
    let second = c.list(&access, "development", "").await;
    assert_eq!(second.status, 503);
    assert_eq!(second.body, json!({ "error": "Service Unavailable" }));
    assert_eq!(second.header("retry-after"), Some("5"));
    assert_eq!(c.list(&access, "development", "").await.status, 200);

    let oauth = c
        .oauth(json!({ "grant_type": "client_credentials", "client_id": "sim-client-id", "client_secret": "sim-client-secret" }))
        .await;
    assert_eq!(oauth.status, 500);
    assert_eq!(oauth.body["error"], "Internal Server Error");
    // A count of 0 queues nothing.
    let id = c.connect(&access, "development", "u2", "openai").await;
    let r = c
        .call(
            Method::DELETE,
            &format!("/v1/connect/{PROJECT}/accounts/{id}"),
            Some(&access),
            Some("development"),
        )
        .await;
    assert_eq!(r.status, 204);
    assert_conforms(&sim);
}

#[tokio::test]
async fn operations_parse_from_their_operation_ids() {
    for op in Operation::ALL {
        assert_eq!(op.operation_id().parse::<Operation>().unwrap(), op);
        assert_eq!(op.to_string(), op.operation_id());
    }
    assert!("createConnectToken".parse::<Operation>().is_err());
}

#[tokio::test]
async fn shutdown_stops_the_server_and_drop_is_safe() {
    let sim = sim().await;
    let url = format!("{}/v1/oauth/token", sim.base_url());
    let c = common::http_client();
    let r = c.post(&url).json(&json!({})).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 400);
    sim.shutdown().await;
    let fresh = common::http_client();
    assert!(fresh.post(&url).json(&json!({})).send().await.is_err());

    let dropped = common::sim().await;
    let addr = dropped.local_addr();
    drop(dropped);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}

/// Arbitrary bytes and headers never take the server down; every answer is a JSON error or a
/// success, and the server keeps answering afterwards.
#[tokio::test]
async fn hostile_input_gets_json_errors() {
    let sim = sim().await;
    let c = Client::new(&sim);
    let access = c.access_token(None).await;
    let bodies: [&[u8]; 7] = [
        b"",
        b"\xff\xfe\x00",
        b"null",
        b"[[[[[[[[[[]]]]]]]]]]",
        b"{\"external_user_id\": \"\\ud800\"}",
        b"{\"external_user_id\": 1e999}",
        b"{\"app_slug\":\"openai\",\"cfmap_json\":\"{\\\"a\\\":\",\"connect_token\":\"ctok_\"}",
    ];
    for path in [
        "/v1/oauth/token".to_owned(),
        format!("/v1/connect/{PROJECT}/tokens"),
        format!("/v1/connect/{PROJECT}/accounts"),
    ] {
        for body in bodies {
            for auth in ["Bearer", "Bearer ", "Basic !!!", "Digest x", "bearer ctok_"] {
                let r = c
                    .send(
                        c.http
                            .post(c.url(&path))
                            .header("authorization", auth)
                            .header("x-pd-environment", "development")
                            .header("content-type", "application/json")
                            .body(body.to_vec()),
                    )
                    .await;
                assert!(
                    (400..500).contains(&r.status),
                    "{path} {auth}: {}",
                    r.status
                );
                assert!(r.body["error"].is_string(), "{path}: {}", r.text);
            }
            let r = c
                .send(
                    c.http
                        .post(c.url(&path))
                        .bearer_auth(&access)
                        .header("x-pd-environment", "development")
                        .body(body.to_vec()),
                )
                .await;
            assert!((400..500).contains(&r.status), "{path}: {}", r.status);
        }
    }
    // Oversized bodies are refused, not buffered.
    let big = vec![b'a'; 2 * 1024 * 1024];
    let r = c
        .send(
            c.http
                .post(c.url(&format!("/v1/connect/{PROJECT}/tokens")))
                .body(big),
        )
        .await;
    assert_eq!(r.status, 413);
    let weird_paths = [
        "/v1/connect/%FF%FE/accounts",
        "/v1/connect/proj_%00/accounts/%2e%2e",
        "/v1/connect/tokens/%E2%98%83/validate?app_id=%",
    ];
    for p in weird_paths {
        let r = c
            .call(Method::GET, p, Some(&access), Some("development"))
            .await;
        assert!((400..500).contains(&r.status), "{p}: {}", r.status);
        assert!(r.body["error"].is_string());
    }
    assert_eq!(c.list(&access, "development", "").await.status, 200);
    assert_eq!(
        c.list(&access, "development", "limit=99999999999999999999999")
            .await
            .status,
        400
    );
    let _: Value = c.list(&access, "development", "").await.body;
    assert_conforms(&sim);
}
