//! `createAccount`, `listAccounts`, `retrieveAccount` and `deleteAccount` over real loopback HTTP.

#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::{Client, PROJECT, assert_conforms, sim};
use pipedream_sim::Environment;
use reqwest::Method;
use serde_json::{Value, json};

fn body(app: &str, ctok: &str) -> Value {
    json!({ "app_slug": app, "cfmap_json": "{\"api_key\":\"sk-test\"}", "connect_token": ctok })
}

#[tokio::test]
async fn create_account_with_a_connect_token_bearer() {
    let sim = sim().await;
    let c = Client::new(&sim);
    let access = c.access_token(None).await;
    let ctok = c.connect_token(&access, "development", "user-1").await;
    let mut b = body("openai", &ctok);
    b["name"] = json!("Work key");
    let r = c
        .create_account(Some(&ctok), PROJECT, Some("development"), b)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let id = r.body["id"].as_str().unwrap();
    assert!(
        id.starts_with("apn_")
            && id.len() == 11
            && id[4..].bytes().all(|b| b.is_ascii_alphanumeric())
    );
    assert_eq!(r.body["name"], "Work key");
    assert_eq!(r.body["external_id"], "user-1");
    assert_eq!(r.body["healthy"], true);
    assert_eq!(r.body["dead"], false);
    assert_eq!(r.body["error"], Value::Null);
    assert_eq!(r.body["app"]["name_slug"], "openai");
    assert_eq!(r.body["app"]["auth_type"], "keys");
    assert!(
        r.body.get("credentials").is_none(),
        "credentials are not echoed"
    );
    let created = r.body["created_at"].as_str().unwrap();
    assert!(created.ends_with('Z') && created.len() == 24, "{created}");

    let stored = sim.accounts();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].id, id);
    assert_eq!(stored[0].environment, Environment::Development);
    assert_eq!(stored[0].credentials["api_key"], "sk-test");
    assert!(sim.connect_tokens()[0].used);
    assert_conforms(&sim);
}

#[tokio::test]
async fn create_account_accepts_null_name_and_unknown_slugs() {
    let sim = sim().await;
    let c = Client::new(&sim);
    let access = c.access_token(None).await;
    let ctok = c.connect_token(&access, "production", "user-1").await;
    let mut b = body("my_internal_api", &ctok);
    b["name"] = Value::Null;
    let r = c
        .create_account(Some(&access), PROJECT, Some("production"), b)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["name"], Value::Null);
    assert_eq!(r.body["app"]["name"], "My Internal Api");
    assert_conforms(&sim);
}

#[tokio::test]
async fn connect_tokens_are_single_use() {
    let sim = sim().await;
    let c = Client::new(&sim);
    let access = c.access_token(None).await;
    let ctok = c.connect_token(&access, "development", "user-1").await;
    let first = c
        .create_account(
            Some(&access),
            PROJECT,
            Some("development"),
            body("openai", &ctok),
        )
        .await;
    assert_eq!(first.status, 200);
    let second = c
        .create_account(
            Some(&access),
            PROJECT,
            Some("development"),
            body("stripe", &ctok),
        )
        .await;
    assert_eq!(second.status, 401, "{}", second.text);
    assert!(second.error().contains("already been used"));
    assert_eq!(sim.accounts().len(), 1);
    assert_conforms(&sim);
}

#[tokio::test]
async fn connect_tokens_expire() {
    let sim = sim().await;
    let c = Client::new(&sim);
    let access = c.access_token(None).await;
    let short = c
        .create_token(
            Some(&access),
            PROJECT,
            Some("development"),
            json!({ "external_user_id": "user-1", "expires_in": 60 }),
        )
        .await;
    let short = short.body["token"].as_str().unwrap().to_owned();
    let default = c.connect_token(&access, "development", "user-1").await;

    sim.advance_clock(Duration::from_secs(61));
    let r = c
        .create_account(
            Some(&access),
            PROJECT,
            Some("development"),
            body("openai", &short),
        )
        .await;
    assert_eq!(r.status, 401);
    assert!(r.error().contains("expired"), "{}", r.text);

    // The default four-hour token still works a minute later; a fresh access token is needed
    // after an hour, so fetch one after moving the clock again.
    sim.advance_clock(Duration::from_secs(4 * 3600 - 120));
    let access = c.access_token(None).await;
    let r = c
        .create_account(
            Some(&access),
            PROJECT,
            Some("development"),
            body("openai", &default),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let again = c.connect_token(&access, "development", "user-1").await;
    sim.advance_clock(Duration::from_secs(4 * 3600));
    let access = c.access_token(None).await;
    let r = c
        .create_account(
            Some(&access),
            PROJECT,
            Some("development"),
            body("openai", &again),
        )
        .await;
    assert_eq!(r.status, 401, "{}", r.text);
    assert_conforms(&sim);
}

#[tokio::test]
async fn create_account_errors() {
    let sim = sim().await;
    let c = Client::new(&sim);
    let access = c.access_token(None).await;
    let ctok = c.connect_token(&access, "development", "user-1").await;
    let other = c.connect_token(&access, "development", "user-1").await;
    let dev = Some("development");

    // Authentication.
    let r = c
        .create_account(None, PROJECT, dev, body("openai", &ctok))
        .await;
    assert_eq!(r.status, 401);
    let r = c
        .create_account(Some("garbage"), PROJECT, dev, body("openai", &ctok))
        .await;
    assert_eq!(r.status, 401);
    let r = c
        .create_account(Some(&other), PROJECT, dev, body("openai", &ctok))
        .await;
    assert_eq!(r.status, 401, "a ctok bearer must equal connect_token");
    let r = c
        .create_account(
            Some(&format!("ctok_{}", "a".repeat(32))),
            PROJECT,
            dev,
            body("openai", &ctok),
        )
        .await;
    assert_eq!(r.status, 401);
    let read_only = c.access_token(Some("connect:accounts:read")).await;
    let r = c
        .create_account(Some(&read_only), PROJECT, dev, body("openai", &ctok))
        .await;
    assert_eq!(r.status, 403);

    // Environment and project.
    let r = c
        .create_account(
            Some(&access),
            PROJECT,
            Some("Development"),
            body("openai", &ctok),
        )
        .await;
    assert_eq!(r.status, 400);
    let r = c
        .create_account(
            Some(&access),
            PROJECT,
            Some("production"),
            body("openai", &ctok),
        )
        .await;
    assert_eq!(r.status, 400, "the token was minted for development");
    assert!(r.error().contains("development"), "{}", r.text);
    let r = c
        .create_account(Some(&access), "proj_Other99", dev, body("openai", &ctok))
        .await;
    assert_eq!(r.status, 404);

    // Body.
    let bad = [
        json!({ "cfmap_json": "{}", "connect_token": ctok }),
        json!({ "app_slug": 5, "cfmap_json": "{}", "connect_token": ctok }),
        json!({ "app_slug": "Not A Slug", "cfmap_json": "{}", "connect_token": ctok }),
        json!({ "app_slug": "openai", "connect_token": ctok }),
        json!({ "app_slug": "openai", "cfmap_json": { "api_key": "k" }, "connect_token": ctok }),
        json!({ "app_slug": "openai", "cfmap_json": "not json", "connect_token": ctok }),
        json!({ "app_slug": "openai", "cfmap_json": "[1,2]", "connect_token": ctok }),
        json!({ "app_slug": "openai", "cfmap_json": "{}" }),
        json!({ "app_slug": "openai", "cfmap_json": "{}", "connect_token": 1 }),
        json!({ "app_slug": "openai", "cfmap_json": "{}", "connect_token": ctok, "name": 3 }),
        json!({ "app_slug": "openai", "cfmap_json": "{}", "connect_token": ctok, "account_id": [] }),
        json!("a string"),
    ];
    for b in bad {
        let r = c
            .create_account(Some(&access), PROJECT, dev, b.clone())
            .await;
        assert_eq!(r.status, 400, "{b}: {}", r.text);
    }
    let r = c
        .create_account(
            Some(&access),
            PROJECT,
            dev,
            json!({ "app_slug": "openai", "cfmap_json": "{}", "connect_token": format!("ctok_{}", "b".repeat(32)) }),
        )
        .await;
    assert_eq!(r.status, 401, "unknown connect_token");
    let mismatched_user = c
        .send(
            c.http
                .post(c.url(&format!(
                    "/v1/connect/{PROJECT}/accounts?external_user_id=user-2"
                )))
                .bearer_auth(&access)
                .header("x-pd-environment", "development")
                .json(&body("openai", &ctok)),
        )
        .await;
    assert_eq!(mismatched_user.status, 400);
    let bad_oauth_app = c
        .send(
            c.http
                .post(c.url(&format!("/v1/connect/{PROJECT}/accounts?oauth_app_id=xyz")))
                .bearer_auth(&access)
                .header("x-pd-environment", "development")
                .json(&body("openai", &ctok)),
        )
        .await;
    assert_eq!(bad_oauth_app.status, 400);
    let malformed = c
        .send(
            c.http
                .post(c.url(&format!("/v1/connect/{PROJECT}/accounts")))
                .bearer_auth(&access)
                .header("x-pd-environment", "development")
                .header("content-type", "application/json")
                .body("{"),
        )
        .await;
    assert_eq!(malformed.status, 400);

    // None of that consumed the token or created anything.
    assert!(sim.accounts().is_empty());
    assert!(!sim.connect_tokens()[0].used);
    let r = c
        .create_account(
            Some(&access),
            PROJECT,
            dev,
            json!({ "app_slug": "openai", "cfmap_json": "{\"api_key\":\"k\"}", "connect_token": ctok }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_conforms(&sim);
}

#[tokio::test]
async fn reconnect_replaces_credentials_of_an_existing_account() {
    let sim = sim().await;
    let c = Client::new(&sim);
    let access = c.access_token(None).await;
    let id = c.connect(&access, "development", "user-1", "openai").await;
    let ctok = c.connect_token(&access, "development", "user-1").await;
    let r = c
        .create_account(
            Some(&access),
            PROJECT,
            Some("development"),
            json!({
                "app_slug": "openai",
                "cfmap_json": "{\"api_key\":\"sk-rotated\"}",
                "connect_token": ctok,
                "account_id": id,
            }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["id"], id.as_str());
    let stored = sim.accounts();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].credentials["api_key"], "sk-rotated");

    // Another user's token cannot reconnect it, nor can a token for another app.
    let theirs = c.connect_token(&access, "development", "user-2").await;
    let r = c
        .create_account(
            Some(&access),
            PROJECT,
            Some("development"),
            json!({ "app_slug": "openai", "cfmap_json": "{}", "connect_token": theirs, "account_id": id }),
        )
        .await;
    assert_eq!(r.status, 404);
    let mine = c.connect_token(&access, "development", "user-1").await;
    let r = c
        .create_account(
            Some(&access),
            PROJECT,
            Some("development"),
            json!({ "app_slug": "stripe", "cfmap_json": "{}", "connect_token": mine, "account_id": id }),
        )
        .await;
    assert_eq!(r.status, 400);
    assert_conforms(&sim);
}

#[tokio::test]
async fn list_filters_by_user_app_and_environment() {
    let sim = sim().await;
    let c = Client::new(&sim);
    let access = c.access_token(None).await;
    let a1 = c.connect(&access, "development", "alice", "openai").await;
    let a2 = c.connect(&access, "development", "alice", "stripe").await;
    let b1 = c.connect(&access, "development", "bob", "openai").await;
    let p1 = c.connect(&access, "production", "alice", "openai").await;

    let ids = |r: &common::Resp| -> Vec<String> {
        r.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let all_dev = c.list(&access, "development", "").await;
    assert_eq!(all_dev.status, 200, "{}", all_dev.text);
    assert_eq!(ids(&all_dev), [a1.clone(), a2.clone(), b1.clone()]);
    assert_eq!(all_dev.body["page_info"]["total_count"], 3);
    assert_eq!(ids(&c.list(&access, "production", "").await), [p1]);
    assert_eq!(
        ids(&c
            .list(&access, "development", "external_user_id=alice")
            .await),
        [a1.clone(), a2.clone()]
    );
    assert_eq!(
        ids(&c
            .list(&access, "development", "external_user_id=alice&app=openai")
            .await),
        [a1.as_str()]
    );
    assert_eq!(
        ids(&c.list(&access, "development", "app=app_1Z2hWk").await),
        [a1.clone(), b1.clone()],
        "app accepts an app id"
    );
    assert!(
        ids(&c
            .list(&access, "development", "external_user_id=carol")
            .await)
        .is_empty()
    );
    assert!(
        ids(&c
            .list(&access, "development", "oauth_app_id=oa_Ab12Cd3")
            .await)
        .is_empty()
    );

    // Credentials only on request.
    let plain = c.list(&access, "development", "app=stripe").await;
    assert!(plain.body["data"][0].get("credentials").is_none());
    let with = c
        .list(
            &access,
            "development",
            "app=stripe&include_credentials=true",
        )
        .await;
    assert_eq!(with.body["data"][0]["credentials"]["api_key"], "sk-test");

    // A Connect token sees only its own user's accounts, whatever the filter says.
    let alice = c.connect_token(&access, "development", "alice").await;
    assert_eq!(
        ids(&c.list(&alice, "development", "").await),
        [a1.clone(), a2]
    );
    assert!(ids(&c.list(&alice, "development", "external_user_id=bob").await).is_empty());
    let r = c.list(&alice, "production", "").await;
    assert_eq!(r.status, 403, "the token belongs to development");
    assert_conforms(&sim);
}

#[tokio::test]
async fn list_paginates_with_opaque_cursors() {
    let sim = sim().await;
    let c = Client::new(&sim);
    let access = c.access_token(None).await;
    let mut ids = Vec::new();
    for _ in 0..12 {
        ids.push(c.connect(&access, "development", "user-1", "openai").await);
    }

    // Default page size 10.
    let first = c.list(&access, "development", "").await;
    assert_eq!(first.body["data"].as_array().unwrap().len(), 10);
    let info = &first.body["page_info"];
    assert_eq!(info["count"], 10);
    assert_eq!(info["total_count"], 12);
    assert_eq!(info["start_cursor"], Value::Null, "no previous page");
    let end = info["end_cursor"].as_str().unwrap();

    // Walk forward five at a time.
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let q = match &after {
            Some(a) => format!("limit=5&after={a}"),
            None => "limit=5".to_owned(),
        };
        let page = c.list(&access, "development", &q).await;
        assert_eq!(page.status, 200, "{}", page.text);
        for a in page.body["data"].as_array().unwrap() {
            seen.push(a["id"].as_str().unwrap().to_owned());
        }
        match page.body["page_info"]["end_cursor"].as_str() {
            Some(cursor) => after = Some(cursor.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen, ids);

    // The tenth item's cursor leads to the last two; from there `before` leads back.
    let rest = c
        .list(&access, "development", &format!("after={end}"))
        .await;
    let rest_ids: Vec<&str> = rest.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert_eq!(rest_ids, [ids[10].as_str(), ids[11].as_str()]);
    assert_eq!(rest.body["page_info"]["end_cursor"], Value::Null);
    let start = rest.body["page_info"]["start_cursor"].as_str().unwrap();
    let back = c
        .list(&access, "development", &format!("limit=3&before={start}"))
        .await;
    let back_ids: Vec<&str> = back.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        back_ids,
        [ids[7].as_str(), ids[8].as_str(), ids[9].as_str()]
    );
    assert!(back.body["page_info"]["start_cursor"].is_string());
    assert!(back.body["page_info"]["end_cursor"].is_string());

    // A cursor of a deleted account still marks a position.
    let deleted = c
        .call(
            Method::DELETE,
            &format!("/v1/connect/{PROJECT}/accounts/{}", ids[9]),
            Some(&access),
            Some("development"),
        )
        .await;
    assert_eq!(deleted.status, 204);
    let after_deleted = c
        .list(&access, "development", &format!("after={end}"))
        .await;
    assert_eq!(after_deleted.body["data"].as_array().unwrap().len(), 2);

    // Bounds and garbage.
    for q in [
        "limit=0",
        "limit=101",
        "limit=ten",
        "limit=-1",
        "after=%%%",
        "after=Zm9v",
        "before=!",
        "include_credentials=yes",
    ] {
        let r = c.list(&access, "development", q).await;
        assert_eq!(r.status, 400, "{q}: {}", r.text);
    }
    assert_eq!(
        c.list(&access, "development", "limit=100").await.status,
        200
    );
    assert_eq!(c.list(&access, "development", "limit=1").await.status, 200);
    assert_conforms(&sim);
}

#[tokio::test]
async fn retrieve_and_delete() {
    let sim = sim().await;
    let c = Client::new(&sim);
    let access = c.access_token(None).await;
    let id = c.connect(&access, "development", "alice", "openai").await;
    let path = format!("/v1/connect/{PROJECT}/accounts/{id}");

    let r = c
        .call(Method::GET, &path, Some(&access), Some("development"))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["id"], id.as_str());
    assert!(r.body.get("data").is_none(), "not wrapped");
    assert!(r.body.get("credentials").is_none());
    let r = c
        .call(
            Method::GET,
            &format!("{path}?include_credentials=true"),
            Some(&access),
            Some("development"),
        )
        .await;
    assert_eq!(r.body["credentials"]["api_key"], "sk-test");

    // Other environment, other user's token, unknown ids: not found.
    let r = c
        .call(Method::GET, &path, Some(&access), Some("production"))
        .await;
    assert_eq!((r.status, r.error()), (404, "record not found"));
    let bob = c.connect_token(&access, "development", "bob").await;
    assert_eq!(
        c.call(Method::GET, &path, Some(&bob), Some("development"))
            .await
            .status,
        404
    );
    assert_eq!(
        c.call(Method::DELETE, &path, Some(&bob), Some("development"))
            .await
            .status,
        404
    );
    let unknown = format!("/v1/connect/{PROJECT}/accounts/apn_0000000");
    assert_eq!(
        c.call(Method::GET, &unknown, Some(&access), Some("development"))
            .await
            .status,
        404
    );
    assert_eq!(
        c.call(Method::DELETE, &unknown, Some(&access), Some("development"))
            .await
            .status,
        404
    );
    // Authentication and project.
    assert_eq!(
        c.call(Method::GET, &path, None, Some("development"))
            .await
            .status,
        401
    );
    assert_eq!(
        c.call(Method::DELETE, &path, Some("nope"), Some("development"))
            .await
            .status,
        401
    );
    let read_only = c.access_token(Some("connect:accounts:read")).await;
    assert_eq!(
        c.call(Method::GET, &path, Some(&read_only), Some("development"))
            .await
            .status,
        200
    );
    assert_eq!(
        c.call(Method::DELETE, &path, Some(&read_only), Some("development"))
            .await
            .status,
        403
    );
    let other_project = format!("/v1/connect/proj_Nope123/accounts/{id}");
    assert_eq!(
        c.call(
            Method::GET,
            &other_project,
            Some(&access),
            Some("development")
        )
        .await
        .status,
        404
    );
    assert_eq!(
        c.call(Method::GET, &path, Some(&access), Some("qa"))
            .await
            .status,
        400
    );

    // The owner's Connect token can read and delete.
    let alice = c.connect_token(&access, "development", "alice").await;
    assert_eq!(
        c.call(Method::GET, &path, Some(&alice), Some("development"))
            .await
            .status,
        200
    );
    let r = c
        .call(Method::DELETE, &path, Some(&alice), Some("development"))
        .await;
    assert_eq!(r.status, 204);
    assert!(r.text.is_empty());
    assert!(sim.accounts().is_empty());
    assert_eq!(
        c.call(Method::GET, &path, Some(&access), Some("development"))
            .await
            .status,
        404
    );
    assert_eq!(
        c.call(Method::DELETE, &path, Some(&access), Some("development"))
            .await
            .status,
        404
    );
    assert_conforms(&sim);
}

#[tokio::test]
async fn unknown_routes_are_json_404s() {
    let sim = sim().await;
    let c = Client::new(&sim);
    for (method, path) in [
        (Method::GET, "/"),
        (Method::GET, "/v1/oauth/token"),
        (
            Method::PUT,
            &format!("/v1/connect/{PROJECT}/accounts") as &str,
        ),
        (Method::GET, "/v1/connect/tokens/x"),
        (Method::POST, "/v1/oauth/token/"),
        (Method::GET, "/v1/connect//accounts"),
        (Method::PATCH, "/v2/anything"),
    ] {
        let r = c.call(method.clone(), path, None, None).await;
        assert_eq!(r.status, 404, "{method} {path}");
        assert!(
            r.header("content-type")
                .unwrap()
                .starts_with("application/json")
        );
        assert!(r.body["error"].is_string());
    }
    assert_conforms(&sim);
}
