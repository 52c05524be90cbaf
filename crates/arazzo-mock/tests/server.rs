//! The mock server over real loopback HTTP.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use arazzo_mock::{MockOptions, MockServer};
use arazzo_openapi::fetch::{DefaultFetcher, file_url};
use serde_json::{Value, json};

fn fixture() -> std::path::PathBuf {
    std::path::PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/petstore.yaml"
    ))
}

async fn start(options: MockOptions) -> MockServer {
    let url = file_url(&fixture()).unwrap();
    let (api, store, diags) =
        arazzo_openapi::load_description(&url, &DefaultFetcher::default(), Default::default())
            .unwrap();
    assert!(diags.iter().all(|d| !d.is_error()));
    MockServer::start(api, Arc::new(store), options, 0)
        .await
        .unwrap()
}

fn client() -> reqwest::Client {
    arazzo_openapi::fetch::install_tls_provider();
    reqwest::Client::builder().no_proxy().build().unwrap()
}

const RID: &str = "3fa85f64-5717-4562-b3fc-2c963f66afa6";

#[tokio::test]
async fn lists_with_synthesized_body_and_headers() {
    let server = start(MockOptions::default()).await;
    let base = server.base_url();
    let r = client()
        .get(base.join("/pets?limit=5&tags=dog,cat").unwrap())
        .header("x-request-id", RID)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/json");
    assert_eq!(r.headers()["retry-after"], "1");
    assert!(
        r.headers()["x-total-count"]
            .to_str()
            .unwrap()
            .parse::<u64>()
            .is_ok()
    );
    let body: Value = r.json().await.unwrap();
    let pet = &body[0];
    assert!(pet["id"].as_str().unwrap().starts_with("apn_"), "{body}");
    assert_eq!(pet["kind"], "dog");
    assert_eq!(pet["owner_email"], "user@example.com");
    assert!(
        pet.get("secret").is_none(),
        "writeOnly left out of responses"
    );
    let log = server.log();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].operation.as_ref().unwrap().label(), "listPets");
    assert!(log[0].violations.is_empty(), "{:?}", log[0].violations);
    // Deterministic.
    let again: Value = client()
        .get(base.join("/pets").unwrap())
        .header("x-request-id", RID)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body, again);
    server.shutdown().await;
}

#[tokio::test]
async fn reports_parameter_violations_with_paths() {
    let server = start(MockOptions::default()).await;
    let base = server.base_url();
    let r = client()
        .get(base.join("/pets?limit=0&tags=dog,bird").unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "non-strict answers anyway");
    let log = server.log();
    let paths: Vec<&str> = log[0].violations.iter().map(|v| v.path.as_str()).collect();
    assert_eq!(
        paths,
        vec!["$.query.limit", "$.query.tags[1]", "$.header.x-request-id"],
        "{:?}",
        log[0].violations
    );
    let line = log[0].to_string();
    assert!(
        line.starts_with(
            "GET /pets?limit=0&tags=dog,bird → 200 (listPets) [3 violations: $.query.limit"
        ),
        "{line}"
    );
    let r = client()
        .get(base.join("/pets/nope").unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(server.log()[1].violations[0].path, "$.path.petId");
    server.shutdown().await;
}

#[tokio::test]
async fn strict_mode_rejects_violations() {
    let server = start(MockOptions {
        strict: true,
        ..MockOptions::default()
    })
    .await;
    let base = server.base_url();
    let r = client()
        .post(base.join("/pets").unwrap())
        .json(&json!({"name": "", "kind": "bird", "age": "old"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let body: Value = r.json().await.unwrap();
    let paths: Vec<&str> = body["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["path"].as_str().unwrap())
        .collect();
    assert!(paths.contains(&"$.body.name"), "{body}");
    assert!(paths.contains(&"$.body.kind"), "{body}");
    assert!(paths.contains(&"$.body.age"), "{body}");
    // Missing body, wrong content type.
    let r = client()
        .post(base.join("/pets").unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = client()
        .post(base.join("/pets").unwrap())
        .header("content-type", "text/plain")
        .body("hello")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["violations"][0]["path"], "$.header.content-type");
    // A valid form body passes.
    let r = client()
        .post(base.join("/pets").unwrap())
        .header("content-type", "application/x-www-form-urlencoded")
        .body("name=Rex&kind=dog&age=3")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    server.shutdown().await;
}

#[tokio::test]
async fn prefer_and_examples() {
    let server = start(MockOptions::default()).await;
    let base = server.base_url();
    let new_pet = json!({"name": "Rex", "kind": "dog"});
    // The first valid documented example; `bad` does not match the schema.
    let r = client()
        .post(base.join("/pets").unwrap())
        .json(&new_pet)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    assert!(
        r.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("https://")
    );
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["name"], "Rex");
    // A named example, even one that does not match.
    let r = client()
        .post(base.join("/pets").unwrap())
        .header("prefer", "example=bad")
        .json(&new_pet)
        .send()
        .await
        .unwrap();
    assert_eq!(r.json::<Value>().await.unwrap(), json!({"id": 42}));
    // A documented error code.
    let r = client()
        .post(base.join("/pets").unwrap())
        .header("prefer", "code=400")
        .json(&new_pet)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    assert!(
        body["code"].is_i64() && body["message"].is_string(),
        "{body}"
    );
    // An undocumented code falls under `default` for listPets.
    let r = client()
        .get(base.join("/pets").unwrap())
        .header("prefer", "code=503")
        .header("x-request-id", RID)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 503);
    // And is noted when nothing covers it.
    let r = client()
        .post(base.join("/pets").unwrap())
        .header("prefer", "code=200")
        .json(&new_pet)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        server
            .log()
            .last()
            .unwrap()
            .notes
            .iter()
            .any(|n| n.contains("does not document"))
    );
    server.shutdown().await;
}

#[tokio::test]
async fn routing_negotiation_and_edges() {
    let server = start(MockOptions {
        max_body_bytes: 1024,
        ..MockOptions::default()
    })
    .await;
    let base = server.base_url();
    let c = client();
    // Literal beats template.
    let r = c
        .get(base.join("/pets/mine").unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        server.log()[0].operation.as_ref().unwrap().label(),
        "myPets"
    );
    // Example, JSON preferred; XML on request.
    let r = c
        .get(base.join("/pets/apn_1/").unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.json::<Value>().await.unwrap()["name"], "Fido");
    let r = c
        .get(base.join("/pets/apn_1").unwrap())
        .header("accept", "application/xml")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-type"], "application/xml");
    assert!(r.text().await.unwrap().contains("<id>apn_"));
    // The description's base path is accepted too.
    let r = c
        .get(base.join("/v1/pets/mine").unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // 204 has no body; HEAD neither.
    let r = c
        .delete(base.join("/pets/apn_1").unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert!(r.bytes().await.unwrap().is_empty());
    let r = c
        .head(base.join("/pets/mine").unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // Unknown path, wrong method.
    let r = c.get(base.join("/owners").unwrap()).send().await.unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let r = c
        .put(base.join("/pets/apn_1").unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);
    assert_eq!(r.headers()["allow"], "DELETE, GET");
    // Too large.
    let r = c
        .post(base.join("/pets").unwrap())
        .header("content-type", "application/json")
        .body(vec![b' '; 4096])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    // Hostile bytes do not break anything.
    let r = c
        .post(base.join("/pets").unwrap())
        .header("content-type", "application/json")
        .body(vec![0xff, 0xfe, b'{'])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    assert_eq!(server.log().last().unwrap().violations[0].path, "$.body");
    server.shutdown().await;
}

async fn start_jobs() -> MockServer {
    let path = std::path::PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/jobs.yaml"
    ));
    let url = file_url(&path).unwrap();
    let (api, store, _) =
        arazzo_openapi::load_description(&url, &DefaultFetcher::default(), Default::default())
            .unwrap();
    MockServer::start(api, Arc::new(store), MockOptions::default(), 0)
        .await
        .unwrap()
}

async fn get_json(url: url::Url) -> Value {
    client()
        .get(url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn repeated_requests_advance_enumerated_values() {
    let server = start_jobs().await;
    let base = server.base_url();
    let job = |id: &str| base.join(&format!("/jobs/{id}")).unwrap();
    let first = get_json(job("1")).await;
    let second = get_json(job("1")).await;
    let third = get_json(job("1")).await;
    let fourth = get_json(job("1")).await;
    let statuses: Vec<&str> = [&first, &second, &third, &fourth]
        .iter()
        .map(|b| b["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["queued", "running", "done", "queued"]);
    // Nested enums advance too; values that are not enumerated do not change.
    assert_eq!(first["steps"][0]["state"], "pending");
    assert_eq!(second["steps"][0]["state"], "finished");
    assert_eq!(first["id"], second["id"]);
    assert_eq!(first["priority"], 1);
    assert_eq!(second["priority"], 2);
    // A different request starts from the first answer.
    assert_eq!(get_json(job("2")).await["status"], "queued");
    server.shutdown().await;
}

#[tokio::test]
async fn an_incomplete_example_is_laid_over_a_synthesized_body() {
    let server = start_jobs().await;
    let body = get_json(server.base_url().join("/reminders/9").unwrap()).await;
    assert_eq!(body["ok"], true, "{body}");
    assert!(body["reminder"]["id"].is_string(), "{body}");
    let log = server.log();
    assert!(
        log[0].notes.iter().any(|n| n.contains("laid over")),
        "{:?}",
        log[0].notes
    );
    server.shutdown().await;
}

/// `Arazzo-Expect` values are answered where the schema allows them, and noted where not.
#[tokio::test]
async fn expected_values_are_answered_where_the_schema_allows() {
    let server = start_jobs().await;
    let url = server.base_url().join("/jobs/7").unwrap();
    let expect = r#"[{"body": "/status", "value": "done"},
        {"body": "/priority", "value": 9},
        {"body": "/steps", "member": "/state", "value": "finished"},
        {"header": "X-Powered-By", "value": "Express"},
        {"header": "Content-Type", "value": "application/json; charset=utf-8"}]"#;
    let response = client()
        .get(url)
        .header("arazzo-expect", expect.replace('\n', ""))
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-powered-by"], "Express");
    assert_eq!(
        response.headers()["content-type"],
        "application/json; charset=utf-8"
    );
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], "done", "{body}");
    assert_eq!(body["steps"][0]["state"], "finished", "{body}");
    assert_eq!(body["priority"], 1, "the enum does not allow 9: {body}");
    let notes = &server.log()[0].notes;
    assert!(
        notes
            .iter()
            .any(|n| n.contains("9 at /priority") && n.contains("does not allow")),
        "{notes:?}"
    );
    // Another media type than the body's is not claimed.
    let other = client()
        .get(server.base_url().join("/jobs/9").unwrap())
        .header(
            "arazzo-expect",
            r#"[{"header": "content-type", "value": "text/html"}]"#,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(other.headers()["content-type"], "application/json");
    // Without the header a request gets the plain answer.
    let plain = get_json(server.base_url().join("/jobs/8").unwrap()).await;
    assert_eq!(plain["steps"][0]["state"], "pending", "{plain}");
    server.shutdown().await;
}
