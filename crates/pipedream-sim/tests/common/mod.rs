//! Shared test helpers: a small client for the simulator, and the check that every response the
//! simulator gave agrees with `specs/pipedream/openapi/pipedream-openapi.yml`.

#![allow(dead_code, clippy::unwrap_used)]

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::OnceLock;

use pipedream_sim::{RecordedRequest, SimConfig, Simulator};
use serde_json::{Value, json};

pub const PROJECT: &str = "proj_Qx7Lm2Ka";

/// The repository root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Reads a YAML file of the repository as JSON.
pub fn load_yaml(relative: &str) -> Value {
    let path = repo_root().join(relative);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    yaml_serde::from_str(&text).unwrap_or_else(|e| panic!("{} is not YAML: {e}", path.display()))
}

/// The project's OpenAPI description.
pub fn spec() -> &'static Value {
    static SPEC: OnceLock<Value> = OnceLock::new();
    SPEC.get_or_init(|| load_yaml("specs/pipedream/openapi/pipedream-openapi.yml"))
}

/// Escapes one JSON Pointer token.
pub fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// Follows `$ref`s of the form `#/…` from the value at `pointer`, returning the final pointer.
pub fn resolve(pointer: &str) -> String {
    let mut pointer = pointer.to_owned();
    for _ in 0..16 {
        let node = spec()
            .pointer(&pointer)
            .unwrap_or_else(|| panic!("no {pointer}"));
        match node.get("$ref").and_then(Value::as_str) {
            Some(r) => pointer = r.trim_start_matches('#').to_owned(),
            None => return pointer,
        }
    }
    panic!("$ref loop at {pointer}")
}

/// The description made strict for testing: every object schema that lists `properties` and says
/// nothing about others gets `unevaluatedProperties: false`, so a field the simulator sends but
/// the description does not declare is caught, not silently allowed.
fn strict_spec() -> Value {
    fn walk(v: &mut Value) {
        match v {
            Value::Object(map) => {
                if map.get("properties").is_some_and(Value::is_object)
                    && !map.contains_key("additionalProperties")
                {
                    map.insert("unevaluatedProperties".to_owned(), Value::Bool(false));
                }
                map.values_mut().for_each(walk);
            }
            Value::Array(items) => items.iter_mut().for_each(walk),
            _ => {}
        }
    }
    let mut s = spec().clone();
    walk(&mut s);
    s
}

/// Validates `instance` against the schema at `pointer` in the (strict) description, with formats
/// checked. Returns the error messages.
pub fn schema_errors(pointer: &str, instance: &Value, strict: bool) -> Vec<String> {
    thread_local! {
        static CACHE: std::cell::RefCell<HashMap<(String, bool), jsonschema::Validator>> =
            std::cell::RefCell::new(HashMap::new());
    }
    CACHE.with(|cache| {
        let mut cache = cache.borrow_mut();
        let validator = cache
            .entry((pointer.to_owned(), strict))
            .or_insert_with(|| {
                let mut root = if strict {
                    strict_spec()
                } else {
                    spec().clone()
                };
                let obj = root.as_object_mut().unwrap();
                // A URI fragment cannot hold `{` or `}` (from path templates) unescaped.
                let fragment = pointer.replace('{', "%7B").replace('}', "%7D");
                obj.insert("$ref".to_owned(), Value::String(format!("#{fragment}")));
                jsonschema::options()
                    .with_draft(jsonschema::Draft::Draft202012)
                    .should_validate_formats(true)
                    .build(&root)
                    .unwrap_or_else(|e| panic!("schema at {pointer} does not compile: {e}"))
            });
        validator
            .iter_errors(instance)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect()
    })
}

/// The path template of the description that matches a concrete path.
fn match_path(path: &str) -> Option<String> {
    let paths = spec()["paths"].as_object().unwrap();
    let concrete: Vec<&str> = path.split('/').collect();
    paths
        .keys()
        .filter(|template| {
            let parts: Vec<&str> = template.split('/').collect();
            parts.len() == concrete.len()
                && parts.iter().zip(&concrete).all(|(t, c)| {
                    (t.starts_with('{') && t.ends_with('}') && !c.is_empty()) || t == c
                })
        })
        // Prefer the template with the most literal segments.
        .max_by_key(|t| t.split('/').filter(|p| !p.starts_with('{')).count())
        .cloned()
}

/// Checks one recorded exchange against the description.
pub fn check_exchange(r: &RecordedRequest) -> Result<(), String> {
    let what = format!(
        "{} {}{} -> {}",
        r.method,
        r.path,
        r.query
            .as_deref()
            .map(|q| format!("?{q}"))
            .unwrap_or_default(),
        r.response.status
    );
    let method = r.method.to_ascii_lowercase();
    let op_pointer = match_path(&r.path)
        .map(|t| format!("/paths/{}/{method}", escape(&t)))
        .filter(|p| spec().pointer(p).is_some());
    let Some(op_pointer) = op_pointer else {
        // Not an operation of the description: the simulator must answer 404 with an error body.
        if r.operation.is_some() {
            return Err(format!(
                "{what}: routed to an operation the description lacks"
            ));
        }
        if r.response.status != 404 && r.response.status != 413 {
            return Err(format!("{what}: unknown route answered other than 404"));
        }
        let body = r
            .response
            .body_json()
            .ok_or(format!("{what}: no JSON body"))?;
        let errors = schema_errors("/components/schemas/ErrorResponse", &body, true);
        return if errors.is_empty() {
            Ok(())
        } else {
            Err(format!("{what}: {errors:?}"))
        };
    };
    let op = spec().pointer(&op_pointer).unwrap();
    let declared_id = op["operationId"].as_str().unwrap();
    match r.operation {
        Some(o) if o.operation_id() == declared_id => {}
        other => {
            return Err(format!(
                "{what}: routed to {other:?}, description says {declared_id}"
            ));
        }
    }
    let status = r.response.status.to_string();
    let class = format!("{}XX", &status[..1]);
    let key = [status.as_str(), class.as_str(), "default"]
        .into_iter()
        .find(|k| op["responses"].get(*k).is_some())
        .ok_or(format!("{what}: status not declared"))?;
    let response_pointer = resolve(&format!("{op_pointer}/responses/{key}"));
    let response = spec().pointer(&response_pointer).unwrap();

    // Headers the description declares must have values of the declared type, and the
    // rate-limit headers the simulator sends must be declared.
    let declared_headers = response.get("headers").and_then(Value::as_object);
    for (name, value) in &r.response.headers {
        let declared = declared_headers.and_then(|h| {
            h.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(k, _)| k.clone())
        });
        match declared {
            Some(header) => {
                let header_pointer =
                    resolve(&format!("{response_pointer}/headers/{}", escape(&header)));
                let schema = &spec().pointer(&header_pointer).unwrap()["schema"];
                let instance = if schema["type"] == "integer" {
                    value
                        .parse::<i64>()
                        .map(Value::from)
                        .map_err(|_| format!("{what}: header {name} `{value}` is not an integer"))?
                } else {
                    Value::String(value.clone())
                };
                let errors = schema_errors(&format!("{header_pointer}/schema"), &instance, true);
                if !errors.is_empty() {
                    return Err(format!("{what}: header {name}: {errors:?}"));
                }
            }
            None if name == "retry-after" || name.starts_with("x-ratelimit") => {
                return Err(format!("{what}: header {name} is not declared for {key}"));
            }
            None => {}
        }
    }

    match response.get("content").and_then(Value::as_object) {
        None => {
            if !r.response.body.is_empty() {
                return Err(format!(
                    "{what}: body sent where the description declares none"
                ));
            }
        }
        Some(content) => {
            let content_type = r
                .response
                .header("content-type")
                .ok_or(format!("{what}: no content-type"))?;
            let media = content_type.split(';').next().unwrap().trim();
            if !content.contains_key(media) {
                return Err(format!("{what}: content-type {media} not declared"));
            }
            let body = r
                .response
                .body_json()
                .ok_or(format!("{what}: body is not JSON"))?;
            let schema_pointer = format!("{response_pointer}/content/{}/schema", escape(media));
            let errors = schema_errors(&schema_pointer, &body, true);
            if !errors.is_empty() {
                return Err(format!(
                    "{what}: body {body} violates {schema_pointer}: {errors:?}"
                ));
            }
        }
    }
    Ok(())
}

/// Asserts that every response the simulator has given so far agrees with the description.
pub fn assert_conforms(sim: &Simulator) {
    let recorded = sim.requests();
    assert!(!recorded.is_empty(), "nothing was recorded");
    let failures: Vec<String> = recorded
        .iter()
        .filter_map(|r| check_exchange(r).err())
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} responses disagree with the description:\n{}",
        failures.len(),
        recorded.len(),
        failures.join("\n")
    );
}

/// A simulator with the default configuration.
pub async fn sim() -> Simulator {
    Simulator::start(SimConfig::default()).await.unwrap()
}

/// A thin client for the simulator.
pub struct Client {
    pub http: reqwest::Client,
    pub base: String,
}

/// A response, read fully.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The `error` string of an error body.
    pub fn error(&self) -> &str {
        self.body["error"].as_str().unwrap_or_default()
    }
}

impl Client {
    pub fn new(sim: &Simulator) -> Client {
        Client {
            http: http_client(),
            base: sim.base_url(),
        }
    }

    pub async fn send(&self, rb: reqwest::RequestBuilder) -> Resp {
        let resp = rb.send().await.unwrap();
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Resp {
            status,
            headers,
            body,
            text,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// `POST /v1/oauth/token` with a JSON body.
    pub async fn oauth(&self, body: Value) -> Resp {
        self.send(self.http.post(self.url("/v1/oauth/token")).json(&body))
            .await
    }

    /// A valid access token with the default client credentials and the given scope (or `*`).
    pub async fn access_token(&self, scope: Option<&str>) -> String {
        let mut body = json!({
            "grant_type": "client_credentials",
            "client_id": "sim-client-id",
            "client_secret": "sim-client-secret",
        });
        if let Some(scope) = scope {
            body["scope"] = json!(scope);
        }
        let r = self.oauth(body).await;
        assert_eq!(r.status, 200, "{}", r.text);
        r.body["access_token"].as_str().unwrap().to_owned()
    }

    /// `POST /v1/connect/{project}/tokens`.
    pub async fn create_token(
        &self,
        bearer: Option<&str>,
        project: &str,
        env: Option<&str>,
        body: Value,
    ) -> Resp {
        let mut rb = self
            .http
            .post(self.url(&format!("/v1/connect/{project}/tokens")))
            .json(&body);
        if let Some(b) = bearer {
            rb = rb.bearer_auth(b);
        }
        if let Some(e) = env {
            rb = rb.header("x-pd-environment", e);
        }
        self.send(rb).await
    }

    /// A fresh Connect token for `user` in `env`.
    pub async fn connect_token(&self, access: &str, env: &str, user: &str) -> String {
        let r = self
            .create_token(
                Some(access),
                PROJECT,
                Some(env),
                json!({ "external_user_id": user }),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        r.body["token"].as_str().unwrap().to_owned()
    }

    /// `POST /v1/connect/{project}/accounts`.
    pub async fn create_account(
        &self,
        bearer: Option<&str>,
        project: &str,
        env: Option<&str>,
        body: Value,
    ) -> Resp {
        let mut rb = self
            .http
            .post(self.url(&format!("/v1/connect/{project}/accounts")))
            .json(&body);
        if let Some(b) = bearer {
            rb = rb.bearer_auth(b);
        }
        if let Some(e) = env {
            rb = rb.header("x-pd-environment", e);
        }
        self.send(rb).await
    }

    /// Connects an `app` account for `user` in `env` and returns its id.
    pub async fn connect(&self, access: &str, env: &str, user: &str, app: &str) -> String {
        let ctok = self.connect_token(access, env, user).await;
        let r = self
            .create_account(
                Some(access),
                PROJECT,
                Some(env),
                json!({
                    "app_slug": app,
                    "cfmap_json": "{\"api_key\":\"sk-test\"}",
                    "connect_token": ctok,
                }),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        r.body["id"].as_str().unwrap().to_owned()
    }

    /// A GET or DELETE with a bearer and an environment header.
    pub async fn call(
        &self,
        method: reqwest::Method,
        path_and_query: &str,
        bearer: Option<&str>,
        env: Option<&str>,
    ) -> Resp {
        let mut rb = self.http.request(method, self.url(path_and_query));
        if let Some(b) = bearer {
            rb = rb.bearer_auth(b);
        }
        if let Some(e) = env {
            rb = rb.header("x-pd-environment", e);
        }
        self.send(rb).await
    }

    /// `GET /v1/connect/{project}/accounts?{query}`.
    pub async fn list(&self, bearer: &str, env: &str, query: &str) -> Resp {
        self.call(
            reqwest::Method::GET,
            &format!("/v1/connect/{PROJECT}/accounts?{query}"),
            Some(bearer),
            Some(env),
        )
        .await
    }
}

/// A reqwest client, after installing the TLS crypto provider the workspace's
/// reqwest (built without one) needs.
pub fn http_client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}
