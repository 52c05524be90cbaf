//! The OAuth token endpoint, `createToken` and `validateToken`, over real loopback HTTP.

#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use base64::Engine as _;
use common::{Client, PROJECT, assert_conforms, sim};
use pipedream_sim::{Environment, SimConfig, Simulator};
use serde_json::{Value, json};

fn claims(jwt: &str) -> Value {
    let parts: Vec<&str> = jwt.split('.').collect();
    assert_eq!(parts.len(), 3, "{jwt}");
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let header: Value = serde_json::from_slice(&engine.decode(parts[0]).unwrap()).unwrap();
    assert_eq!(header, json!({ "typ": "JWT", "alg": "EdDSA" }));
    assert_eq!(engine.decode(parts[2]).unwrap().len(), 64);
    serde_json::from_slice(&engine.decode(parts[1]).unwrap()).unwrap()
}

#[tokio::test]
async fn oauth_json_body_issues_a_jwt_access_token() {
    let sim = sim().await;
    let c = Client::new(&sim);
    let r = c
        .oauth(json!({
            "grant_type": "client_credentials",
            "client_id": "sim-client-id",
            "client_secret": "sim-client-secret",
        }))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["token_type"], "Bearer");
    assert_eq!(r.body["expires_in"], 3600);
    assert_eq!(r.header("cache-control"), Some("no-store"));
    let c = claims(r.body["access_token"].as_str().unwrap());
    assert_eq!(c["iss"], "https://api.pipedream.com");
    assert_eq!(c["token_type"], "oauth_access_token");
    assert_eq!(c["aud"], json!(["api", "catcher"]));
    assert_eq!(c["scopes"], json!(["*"]));
    assert_eq!(
        c["exp"].as_u64().unwrap() - c["iat"].as_u64().unwrap(),
        3600
    );
    assert_eq!(c["nbf"], c["iat"]);
    assert!(c["sub"].as_str().unwrap().starts_with("o_"));
    assert_eq!(c["jti"].as_str().unwrap().len(), 36);
    assert_conforms(&sim);
}

#[tokio::test]
async fn oauth_form_post_and_basic_auth_are_accepted() {
    let sim = sim().await;
    let c = Client::new(&sim);
    let form = c
        .send(
            c.http
                .post(c.url("/v1/oauth/token"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body("grant_type=client_credentials&client_id=sim-client-id&client_secret=sim-client-secret&scope=connect%3Atokens%3Acreate+connect%3Aaccounts%3Aread"),
        )
        .await;
    assert_eq!(form.status, 200, "{}", form.text);
    assert_eq!(
        claims(form.body["access_token"].as_str().unwrap())["scopes"],
        json!(["connect:tokens:create", "connect:accounts:read"])
    );

    let basic = c
        .send(
            c.http
                .post(c.url("/v1/oauth/token"))
                .basic_auth("sim-client-id", Some("sim-client-secret"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body("grant_type=client_credentials"),
        )
        .await;
    assert_eq!(basic.status, 200, "{}", basic.text);

    // The id in the form and the secret only in the Basic header, as some clients send it.
    let mixed = c
        .send(
            c.http
                .post(c.url("/v1/oauth/token"))
                .basic_auth("sim-client-id", Some("sim-client-secret"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body("grant_type=client_credentials&client_id=sim-client-id"),
        )
        .await;
    assert_eq!(mixed.status, 200, "{}", mixed.text);

    let wrong_basic = c
        .send(
            c.http
                .post(c.url("/v1/oauth/token"))
                .basic_auth("sim-client-id", Some("nope"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body("grant_type=client_credentials"),
        )
        .await;
    assert_eq!(wrong_basic.status, 401);
    assert_eq!(wrong_basic.body["error"], "invalid_client");
    assert!(wrong_basic.header("www-authenticate").is_some());
    assert_conforms(&sim);
}

#[tokio::test]
async fn oauth_errors() {
    let sim = sim().await;
    let c = Client::new(&sim);
    let cases = [
        (
            json!({ "grant_type": "client_credentials", "client_id": "sim-client-id", "client_secret": "wrong" }),
            401,
            "invalid_client",
        ),
        (
            json!({ "grant_type": "client_credentials", "client_id": "someone-else", "client_secret": "sim-client-secret" }),
            401,
            "invalid_client",
        ),
        (
            json!({ "grant_type": "client_credentials" }),
            401,
            "invalid_client",
        ),
        (
            json!({ "client_id": "sim-client-id", "client_secret": "sim-client-secret" }),
            400,
            "invalid_request",
        ),
        (
            json!({ "grant_type": "password", "client_id": "sim-client-id", "client_secret": "sim-client-secret" }),
            400,
            "unsupported_grant_type",
        ),
        (
            json!({ "grant_type": "client_credentials", "client_id": "sim-client-id", "client_secret": "sim-client-secret", "scope": "connect:everything" }),
            400,
            "invalid_scope",
        ),
        (
            json!({ "grant_type": 7, "client_id": "sim-client-id", "client_secret": "sim-client-secret" }),
            400,
            "invalid_request",
        ),
    ];
    for (body, status, error) in cases {
        let r = c.oauth(body.clone()).await;
        assert_eq!(r.status, status, "{body}: {}", r.text);
        assert_eq!(r.body["error"], error, "{body}");
        assert!(r.body["error_description"].is_string(), "{body}");
    }
    let malformed = c
        .send(
            c.http
                .post(c.url("/v1/oauth/token"))
                .header("content-type", "application/json")
                .body("{not json"),
        )
        .await;
    assert_eq!(malformed.status, 400);
    assert_eq!(malformed.body["error"], "invalid_request");
    assert_conforms(&sim);
}

#[tokio::test]
async fn create_token_returns_a_single_use_ctok_bound_to_user_and_environment() {
    let sim = sim().await;
    let c = Client::new(&sim);
    let access = c.access_token(None).await;
    let r = c
        .create_token(
            Some(&access),
            PROJECT,
            Some("development"),
            // The published workflow also sends project_id; it must be accepted and ignored.
            json!({ "external_user_id": "user-1", "project_id": PROJECT }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let token = r.body["token"].as_str().unwrap();
    assert!(token.starts_with("ctok_") && token.len() == 37);
    assert!(
        token[5..]
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    );
    assert_eq!(
        r.body["connect_link_url"],
        format!("https://pipedream.com/_static/connect.html?token={token}&connectLink=true")
    );
    // RFC 3339 with milliseconds, four hours ahead.
    let expires_at = r.body["expires_at"].as_str().unwrap();
    assert!(
        expires_at.ends_with("+00:00") && expires_at.len() == 29,
        "{expires_at}"
    );
    let parsed =
        time::OffsetDateTime::parse(expires_at, &time::format_description::well_known::Rfc3339)
            .unwrap();
    let ahead = parsed - time::OffsetDateTime::now_utc();
    assert!(
        ahead > time::Duration::seconds(4 * 3600 - 60)
            && ahead <= time::Duration::seconds(4 * 3600),
        "{ahead}"
    );

    let stored = sim.connect_tokens();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].token, token);
    assert_eq!(stored[0].external_user_id, "user-1");
    assert_eq!(stored[0].environment, Environment::Development);
    assert_eq!(stored[0].project_id, PROJECT);
    assert!(!stored[0].used);
    assert_eq!(stored[0].scope, "connect:*");
    assert_conforms(&sim);
}

#[tokio::test]
async fn create_token_honours_expires_in() {
    let sim = sim().await;
    let c = Client::new(&sim);
    let access = c.access_token(None).await;
    let r = c
        .create_token(
            Some(&access),
            PROJECT,
            Some("production"),
            json!({ "external_user_id": "user-1", "expires_in": 600 }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let t = &sim.connect_tokens()[0];
    let ttl = t
        .expires_at
        .duration_since(std::time::SystemTime::now())
        .unwrap();
    assert!(ttl <= Duration::from_secs(600) && ttl > Duration::from_secs(590));
    assert_eq!(t.environment, Environment::Production);
    assert_conforms(&sim);
}

#[tokio::test]
async fn create_token_errors() {
    let sim = sim().await;
    let c = Client::new(&sim);
    let access = c.access_token(None).await;
    let ok_body = json!({ "external_user_id": "user-1" });

    // Authentication.
    let r = c
        .create_token(None, PROJECT, Some("development"), ok_body.clone())
        .await;
    assert_eq!(r.status, 401, "{}", r.text);
    let r = c
        .create_token(
            Some("not-a-token"),
            PROJECT,
            Some("development"),
            ok_body.clone(),
        )
        .await;
    assert_eq!(r.status, 401);
    let ctok = c.connect_token(&access, "development", "user-1").await;
    let r = c
        .create_token(Some(&ctok), PROJECT, Some("development"), ok_body.clone())
        .await;
    assert_eq!(r.status, 403, "a Connect token cannot mint Connect tokens");
    let read_only = c.access_token(Some("connect:accounts:read")).await;
    let r = c
        .create_token(
            Some(&read_only),
            PROJECT,
            Some("development"),
            ok_body.clone(),
        )
        .await;
    assert_eq!(r.status, 403, "scope connect:tokens:create is needed");
    let basic = c
        .send(
            c.http
                .post(c.url(&format!("/v1/connect/{PROJECT}/tokens")))
                .basic_auth("sim-client-id", Some("sim-client-secret"))
                .header("x-pd-environment", "development")
                .json(&ok_body),
        )
        .await;
    assert_eq!(basic.status, 401);

    // Environment and project.
    let r = c
        .create_token(Some(&access), PROJECT, Some("staging"), ok_body.clone())
        .await;
    assert_eq!(r.status, 400);
    assert!(r.error().contains("x-pd-environment"), "{}", r.text);
    let r = c
        .create_token(
            Some(&access),
            "proj_Unknown1",
            Some("development"),
            ok_body.clone(),
        )
        .await;
    assert_eq!(r.status, 404);
    let r = c
        .create_token(
            Some(&access),
            "project-1",
            Some("development"),
            ok_body.clone(),
        )
        .await;
    assert_eq!(r.status, 400);

    // Body.
    let bad_bodies = [
        json!({}),
        json!({ "external_user_id": "" }),
        json!({ "external_user_id": "x".repeat(251) }),
        json!({ "external_user_id": 42 }),
        json!({ "external_user_id": "u", "expires_in": 14401 }),
        json!({ "external_user_id": "u", "expires_in": 0 }),
        json!({ "external_user_id": "u", "expires_in": "600" }),
        json!({ "external_user_id": "u", "allowed_origins": "https://a.example" }),
        json!({ "external_user_id": "u", "allowed_origins": [1] }),
        json!({ "external_user_id": "u", "success_redirect_uri": false }),
        json!({ "external_user_id": "u", "allow_progressive_scopes": "yes" }),
        json!({ "external_user_id": "u", "scope": ["connect:*"] }),
        json!([]),
    ];
    for body in bad_bodies {
        let r = c
            .create_token(Some(&access), PROJECT, Some("development"), body.clone())
            .await;
        assert_eq!(r.status, 400, "{body}: {}", r.text);
        assert!(!r.error().is_empty());
    }
    let ok_250 = c
        .create_token(
            Some(&access),
            PROJECT,
            Some("development"),
            json!({ "external_user_id": "é".repeat(250) }),
        )
        .await;
    assert_eq!(ok_250.status, 200, "250 characters are allowed");
    let malformed = c
        .send(
            c.http
                .post(c.url(&format!("/v1/connect/{PROJECT}/tokens")))
                .bearer_auth(&access)
                .header("x-pd-environment", "development")
                .header("content-type", "application/json")
                .body("{\"external_user_id\":"),
        )
        .await;
    assert_eq!(malformed.status, 400);
    assert!(malformed.error().contains("malformed JSON"));
    assert_conforms(&sim);
}

#[tokio::test]
async fn missing_environment_defaults_to_production_unless_strict() {
    let sim = sim().await;
    let c = Client::new(&sim);
    let access = c.access_token(None).await;
    let r = c
        .create_token(
            Some(&access),
            PROJECT,
            None,
            json!({ "external_user_id": "u" }),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(sim.connect_tokens()[0].environment, Environment::Production);
    assert_conforms(&sim);

    let strict = Simulator::start(SimConfig {
        strict_environment: true,
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let c = Client::new(&strict);
    let access = c.access_token(None).await;
    let r = c
        .create_token(
            Some(&access),
            PROJECT,
            None,
            json!({ "external_user_id": "u" }),
        )
        .await;
    assert_eq!(r.status, 400);
    assert!(r.error().contains("x-pd-environment"));
    assert_conforms(&strict);
}

#[tokio::test]
async fn access_tokens_expire() {
    let sim = sim().await;
    let c = Client::new(&sim);
    let access = c.access_token(None).await;
    sim.advance_clock(Duration::from_secs(3601));
    let r = c
        .create_token(
            Some(&access),
            PROJECT,
            Some("development"),
            json!({ "external_user_id": "u" }),
        )
        .await;
    assert_eq!(r.status, 401);
    assert!(r.error().contains("expired"), "{}", r.text);
    let fresh = c.access_token(None).await;
    let r = c
        .create_token(
            Some(&fresh),
            PROJECT,
            Some("development"),
            json!({ "external_user_id": "u" }),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_conforms(&sim);
}

#[tokio::test]
async fn validate_token_reports_usable_used_expired_and_unknown_tokens() {
    let sim = sim().await;
    let c = Client::new(&sim);
    let access = c.access_token(None).await;
    let validate = |ctok: String, query: &'static str| {
        let c = &c;
        async move {
            c.call(
                reqwest::Method::GET,
                &format!("/v1/connect/tokens/{ctok}/validate{query}"),
                None,
                None,
            )
            .await
        }
    };

    let ctok = c.connect_token(&access, "development", "user-1").await;
    let r = validate(ctok.clone(), "?app_id=openai").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["success"], true);
    assert_eq!(r.body["error"], Value::Null);
    assert_eq!(r.body["app"]["name_slug"], "openai");
    assert_eq!(r.body["project_id"], PROJECT);
    assert_eq!(r.body["project_environment"], "development");
    // By app id too.
    let r = validate(ctok.clone(), "?app_id=app_1Z2hWk").await;
    assert_eq!(r.body["success"], true);

    // Used.
    let r = c
        .create_account(
            Some(&access),
            PROJECT,
            Some("development"),
            json!({ "app_slug": "openai", "cfmap_json": "{\"api_key\":\"k\"}", "connect_token": ctok }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = validate(ctok.clone(), "?app_id=openai").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["success"], false);
    assert!(r.error().contains("used"), "{}", r.text);

    // Unknown.
    let r = validate(format!("ctok_{}", "0".repeat(32)), "?app_id=openai").await;
    assert_eq!((r.status, r.body["success"].clone()), (200, json!(false)));

    // Expired.
    let ctok2 = c.connect_token(&access, "development", "user-1").await;
    sim.advance_clock(Duration::from_secs(4 * 3600 + 1));
    let r = validate(ctok2.clone(), "?app_id=openai").await;
    assert_eq!(r.body["success"], false);
    assert!(r.error().contains("expired"), "{}", r.text);

    // Request errors.
    assert_eq!(
        validate(ctok2.clone(), "").await.status,
        400,
        "app_id is required"
    );
    assert_eq!(validate(ctok2.clone(), "?app_id=").await.status, 400);
    assert_eq!(
        validate("ctok_XYZ".to_owned(), "?app_id=openai")
            .await
            .status,
        400
    );
    assert_eq!(
        validate(ctok2.clone(), "?app_id=openai&account_id=nope")
            .await
            .status,
        400
    );
    assert_eq!(
        validate(ctok2, "?app_id=openai&oauth_app_id=bad")
            .await
            .status,
        400
    );
    assert_conforms(&sim);
}

#[tokio::test]
async fn validate_token_checks_the_reconnect_account() {
    let sim = sim().await;
    let c = Client::new(&sim);
    let access = c.access_token(None).await;
    let account = c.connect(&access, "development", "user-1", "openai").await;
    let ctok = c.connect_token(&access, "development", "user-1").await;
    let other_user = c.connect_token(&access, "development", "user-2").await;
    let mine = c
        .call(
            reqwest::Method::GET,
            &format!("/v1/connect/tokens/{ctok}/validate?app_id=openai&account_id={account}"),
            None,
            None,
        )
        .await;
    assert_eq!(mine.body["success"], true, "{}", mine.text);
    let theirs = c
        .call(
            reqwest::Method::GET,
            &format!("/v1/connect/tokens/{other_user}/validate?app_id=openai&account_id={account}"),
            None,
            None,
        )
        .await;
    assert_eq!(theirs.body["success"], false);
    let wrong_app = c
        .call(
            reqwest::Method::GET,
            &format!("/v1/connect/tokens/{ctok}/validate?app_id=stripe&account_id={account}"),
            None,
            None,
        )
        .await;
    assert_eq!(wrong_app.body["success"], false);
    assert_conforms(&sim);
}
