//! Static checks of `specs/pipedream/`: the OpenAPI description declares what the published
//! workflows use, its examples satisfy their schemas, the retry variant differs from the flagship
//! only by its retry action, and the example inputs satisfy the workflow's input schema.

#![allow(clippy::unwrap_used)]

mod common;

use common::{escape, load_yaml, resolve, schema_errors, spec};
use serde_json::{Value, json};

const FLAGSHIP: &str = "specs/pipedream/arazzo/pipedream-connect-account-onboarding-workflow.yml";
const RETRY: &str = "specs/pipedream/arazzo/pipedream-connect-account-onboarding-with-retry.yml";

/// (operationId, method, path) as Pipedream's API has them.
const OPERATIONS: [(&str, &str, &str); 7] = [
    ("createOauthToken", "post", "/v1/oauth/token"),
    ("createToken", "post", "/v1/connect/{project_id}/tokens"),
    ("validateToken", "get", "/v1/connect/tokens/{ctok}/validate"),
    ("createAccount", "post", "/v1/connect/{project_id}/accounts"),
    ("listAccounts", "get", "/v1/connect/{project_id}/accounts"),
    (
        "retrieveAccount",
        "get",
        "/v1/connect/{project_id}/accounts/{account_id}",
    ),
    (
        "deleteAccount",
        "delete",
        "/v1/connect/{project_id}/accounts/{account_id}",
    ),
];

/// Finds an operation by id: (pointer, path, method).
fn operation(id: &str) -> Option<(String, String, String)> {
    for (path, item) in spec()["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if op.get("operationId").and_then(Value::as_str) == Some(id) {
                return Some((
                    format!("/paths/{}/{method}", escape(path)),
                    path.clone(),
                    method.clone(),
                ));
            }
        }
    }
    None
}

/// The parameters of an operation, path-level ones included, `$ref`s resolved.
fn parameters(op_pointer: &str) -> Vec<Value> {
    let path_pointer = op_pointer.rsplit_once('/').unwrap().0;
    let mut out = Vec::new();
    for base in [path_pointer, op_pointer] {
        if let Some(list) = spec()
            .pointer(&format!("{base}/parameters"))
            .and_then(Value::as_array)
        {
            for i in 0..list.len() {
                let p = resolve(&format!("{base}/parameters/{i}"));
                out.push(spec().pointer(&p).unwrap().clone());
            }
        }
    }
    out
}

#[test]
fn description_is_openapi_3_1_with_pipedreams_operations() {
    let s = spec();
    assert!(s["openapi"].as_str().unwrap().starts_with("3.1."));
    assert_eq!(s["servers"][0]["url"], "https://api.pipedream.com");
    for (id, method, path) in OPERATIONS {
        let (_, p, m) = operation(id).unwrap_or_else(|| panic!("{id} missing"));
        assert_eq!((p.as_str(), m.as_str()), (path, method), "{id}");
    }
    for id in [
        "createToken",
        "createAccount",
        "listAccounts",
        "retrieveAccount",
        "deleteAccount",
    ] {
        let (ptr, ..) = operation(id).unwrap();
        let env = parameters(&ptr)
            .into_iter()
            .find(|p| p["name"] == "x-pd-environment")
            .unwrap_or_else(|| panic!("{id} lacks x-pd-environment"));
        assert_eq!(env["in"], "header");
        assert_eq!(env["required"], true);
        let schema = spec()
            .pointer(&resolve("/components/parameters/Environment/schema"))
            .unwrap();
        assert_eq!(schema["enum"], json!(["development", "production"]));
        // Every Connect operation documents its errors and throttling.
        for status in ["400", "401", "404", "429"] {
            assert!(
                spec()
                    .pointer(&format!("{ptr}/responses/{status}"))
                    .is_some(),
                "{id} lacks {status}"
            );
        }
    }
    let oauth = &s["components"]["securitySchemes"]["OAuth2"]["flows"]["clientCredentials"];
    assert_eq!(
        oauth["tokenUrl"],
        "https://api.pipedream.com/v1/oauth/token"
    );
    assert_eq!(oauth["scopes"].as_object().unwrap().len(), 16);
    let ctok = &s["components"]["securitySchemes"]["ConnectToken"];
    assert_eq!(
        (ctok["type"].as_str(), ctok["scheme"].as_str()),
        (Some("http"), Some("bearer"))
    );
    assert_eq!(ctok["bearerFormat"], "^ctok_[0-9a-f]{32}$");

    // The two deliberate choices.
    let (create_account, ..) = operation("createAccount").unwrap();
    let security = spec()
        .pointer(&format!("{create_account}/security"))
        .unwrap();
    assert_eq!(
        security,
        &json!([{ "ConnectToken": [] }, { "OAuth2": ["connect:accounts:write"] }])
    );
    let opts = &s["components"]["schemas"]["CreateTokenOpts"];
    assert_eq!(opts["required"], json!(["external_user_id"]));
    assert_eq!(opts["properties"]["project_id"]["deprecated"], true);
}

#[test]
fn id_schemas_have_pipedreams_patterns() {
    let schemas = &spec()["components"]["schemas"];
    assert_eq!(schemas["ProjectId"]["pattern"], "^proj_[a-zA-Z0-9]+$");
    assert_eq!(schemas["AccountId"]["pattern"], "^apn_[a-zA-Z0-9]+$");
    assert_eq!(schemas["ConnectToken"]["pattern"], "^ctok_[0-9a-f]{32}$");
    assert_eq!(schemas["OAuthAppId"]["pattern"], "^oa_[0-9a-zA-Z]+$");
    let ok = |name: &str, v: &str| {
        schema_errors(&format!("/components/schemas/{name}"), &json!(v), false).is_empty()
    };
    assert!(ok("ConnectToken", "ctok_4b4dce0a16ad4972577086e3fd806360"));
    assert!(!ok("ConnectToken", "ctok_xxx"));
    assert!(!ok("ConnectToken", "ctok_4B4DCE0A16AD4972577086E3FD806360"));
    assert!(ok("AccountId", "apn_XehyZPr"));
    assert!(!ok("AccountId", "apn_"));
    assert!(ok("ProjectId", "proj_mJsAlN1"));
    assert!(!ok("ExternalUserId", &"x".repeat(251)));
}

/// Every `example`/`examples` in the description satisfies the schema it illustrates.
#[test]
fn examples_match_their_schemas() {
    fn walk(node: &Value, path: &mut Vec<String>, checked: &mut usize, failures: &mut Vec<String>) {
        let here = |path: &[String]| {
            format!(
                "/{}",
                path.iter().map(|p| escape(p)).collect::<Vec<_>>().join("/")
            )
        };
        match node {
            Value::Object(map) => {
                let mut check = |schema: String, example: &Value, at: String| {
                    *checked += 1;
                    let errors = schema_errors(&schema, example, true);
                    if !errors.is_empty() {
                        failures.push(format!("{at}: {errors:?}"));
                    }
                };
                if map.contains_key("schema") {
                    // A media type, parameter or header.
                    let schema = format!("{}/schema", here(path));
                    if let Some(ex) = map.get("example") {
                        check(schema.clone(), ex, format!("{}/example", here(path)));
                    }
                    if let Some(Value::Object(named)) = map.get("examples") {
                        for (name, ex) in named {
                            if let Some(v) = ex.get("value") {
                                check(schema.clone(), v, format!("{}/examples/{name}", here(path)));
                            }
                        }
                    }
                } else if path.last().map(String::as_str) != Some("properties") {
                    // A schema.
                    if let Some(Value::Array(list)) = map.get("examples") {
                        for (i, ex) in list.iter().enumerate() {
                            check(here(path), ex, format!("{}/examples/{i}", here(path)));
                        }
                    }
                }
                for (k, v) in map {
                    path.push(k.clone());
                    walk(v, path, checked, failures);
                    path.pop();
                }
            }
            Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    path.push(i.to_string());
                    walk(v, path, checked, failures);
                    path.pop();
                }
            }
            _ => {}
        }
    }
    let (mut checked, mut failures) = (0, Vec::new());
    walk(spec(), &mut Vec::new(), &mut checked, &mut failures);
    assert!(checked >= 40, "only {checked} examples found");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The published workflow (and its variant) resolve against the description: operations exist,
/// parameters are declared where the steps put them, required parameters are supplied, body
/// fields are defined, success statuses are declared and output pointers exist in the schema.
#[test]
fn onboarding_workflows_resolve_against_the_description() {
    for file in [FLAGSHIP, RETRY] {
        let doc = load_yaml(file);
        assert_eq!(doc["arazzo"], "1.0.1");
        assert_eq!(
            doc["sourceDescriptions"][0]["url"],
            "../openapi/pipedream-openapi.yml"
        );
        assert!(
            common::repo_root()
                .join("specs/pipedream/openapi/pipedream-openapi.yml")
                .exists()
        );
        for step in doc["workflows"][0]["steps"].as_array().unwrap() {
            let id = step["operationId"].as_str().unwrap();
            let (ptr, ..) = operation(id).unwrap_or_else(|| panic!("{file}: {id} unknown"));
            let declared = parameters(&ptr);
            let given = step["parameters"].as_array().cloned().unwrap_or_default();
            for p in &given {
                assert!(
                    declared
                        .iter()
                        .any(|d| d["name"] == p["name"] && d["in"] == p["in"]),
                    "{file}: {id} has no {} parameter in {}",
                    p["name"],
                    p["in"]
                );
            }
            for d in declared.iter().filter(|d| d["required"] == true) {
                assert!(
                    given
                        .iter()
                        .any(|p| p["name"] == d["name"] && p["in"] == d["in"]),
                    "{file}: {id} needs {}",
                    d["name"]
                );
            }
            if let Some(payload) = step["requestBody"]["payload"].as_object() {
                let content = step["requestBody"]["contentType"].as_str().unwrap();
                let schema_ptr = resolve(&format!(
                    "{ptr}/requestBody/content/{}/schema",
                    escape(content)
                ));
                let schema = spec().pointer(&schema_ptr).unwrap();
                for key in payload.keys() {
                    assert!(
                        schema["properties"].get(key).is_some(),
                        "{file}: {id} body field {key} undefined"
                    );
                }
                for req in schema["required"].as_array().unwrap() {
                    assert!(
                        payload.contains_key(req.as_str().unwrap()),
                        "{file}: {id} misses {req}"
                    );
                }
            }
            for c in step["successCriteria"].as_array().unwrap() {
                let status = c["condition"].as_str().unwrap().rsplit(' ').next().unwrap();
                let response = spec().pointer(&format!("{ptr}/responses/{status}"));
                assert!(response.is_some(), "{file}: {id} never answers {status}");
                let media = spec()
                    .pointer(&resolve(&format!("{ptr}/responses/{status}")))
                    .unwrap()["content"]["application/json"]["schema"]
                    .clone();
                for out in step["outputs"].as_object().unwrap().values() {
                    let pointer = out
                        .as_str()
                        .unwrap()
                        .strip_prefix("$response.body#")
                        .unwrap();
                    let mut schema = media.clone();
                    for token in pointer.split('/').skip(1) {
                        while let Some(r) = schema.get("$ref").and_then(Value::as_str) {
                            schema = spec().pointer(r.trim_start_matches('#')).unwrap().clone();
                        }
                        schema = if token.parse::<usize>().is_ok() {
                            schema["items"].clone()
                        } else {
                            schema["properties"][token].clone()
                        };
                        assert!(
                            !schema.is_null(),
                            "{file}: {id} output {pointer} not in the schema"
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn retry_variant_is_the_flagship_plus_a_429_retry() {
    let flagship = load_yaml(FLAGSHIP);
    let mut variant = load_yaml(RETRY);
    assert_eq!(
        variant["sourceDescriptions"],
        flagship["sourceDescriptions"]
    );
    let steps = variant["workflows"][0]["steps"].as_array_mut().unwrap();
    let retry = steps[0]
        .as_object_mut()
        .unwrap()
        .remove("onFailure")
        .unwrap();
    assert_eq!(
        retry,
        json!([{
            "name": "retryWhenThrottled",
            "type": "retry",
            "retryAfter": 1,
            "retryLimit": 3,
            "criteria": [{ "condition": "$statusCode == 429" }],
        }])
    );
    assert_eq!(steps[0]["stepId"], "createConnectToken");
    for key in ["inputs", "steps", "outputs"] {
        assert_eq!(
            variant["workflows"][0][key], flagship["workflows"][0][key],
            "{key}"
        );
    }
}

#[test]
fn example_inputs_satisfy_the_workflow_inputs() {
    let inputs = load_yaml("specs/pipedream/inputs.example.yaml");
    let flagship = load_yaml(FLAGSHIP);
    let schema = &flagship["workflows"][0]["inputs"];
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .build(schema)
        .unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&inputs)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    for key in schema["properties"].as_object().unwrap().keys() {
        assert!(inputs.get(key).is_some(), "the example omits {key}");
    }
    let ok = |name: &str, v: &Value| {
        schema_errors(&format!("/components/schemas/{name}"), v, false).is_empty()
    };
    assert!(ok("ProjectId", &inputs["projectId"]));
    assert!(ok("ProjectEnvironment", &inputs["environment"]));
    assert!(ok("ExternalUserId", &inputs["externalUserId"]));
    let cfmap: Value = serde_json::from_str(inputs["cfmapJson"].as_str().unwrap()).unwrap();
    assert!(cfmap.is_object());
    assert_eq!(
        inputs["projectId"],
        pipedream_sim::SimConfig::default().project_id.as_str()
    );
}

/// Every scope the description declares can be requested from the simulator, and nothing else.
#[tokio::test]
async fn simulator_accepts_exactly_the_declared_scopes() {
    let sim = common::sim().await;
    let c = common::Client::new(&sim);
    let scopes =
        spec()["components"]["securitySchemes"]["OAuth2"]["flows"]["clientCredentials"]["scopes"]
            .as_object()
            .unwrap();
    for scope in scopes.keys() {
        c.access_token(Some(scope)).await;
    }
    let all = scopes.keys().cloned().collect::<Vec<_>>().join(" ");
    c.access_token(Some(&all)).await;
    let r = c
        .oauth(json!({
            "grant_type": "client_credentials",
            "client_id": "sim-client-id",
            "client_secret": "sim-client-secret",
            "scope": "connect:accounts:delete",
        }))
        .await;
    assert_eq!(r.status, 400);
    common::assert_conforms(&sim);
}
