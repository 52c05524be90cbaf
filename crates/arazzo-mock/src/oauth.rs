//! The OAuth 2.0 token endpoints of a description's security schemes.
//!
//! A description names its token endpoint in `securitySchemes` (`flows.clientCredentials.tokenUrl`),
//! often on another host (`https://auth.example.com/oauth/token`) and rarely as an operation. So
//! that a workflow whose operations need an OAuth 2.0 token runs offline, the mock answers a
//! `POST` to the path of every `tokenUrl` and `refreshUrl` of the description, when no operation
//! is documented there, the way an authorization server does (RFC 6749 §4.4, §5): a client that
//! authenticates gets a made-up bearer token, a request that is not a token request gets the
//! RFC's error. A documented operation at the same path is answered like any other operation.

use arazzo_openapi::security::SchemeKind;
use arazzo_openapi::{OpenApi, Store};
use base64::Engine as _;
use bytes::Bytes;
use http::{HeaderValue, StatusCode};
use serde_json::{Map, Value, json};
use url::Url;

/// How long the tokens the mock issues say they last, in seconds.
const EXPIRES_IN: u64 = 3600;

/// A token endpoint: the path it is served at and the security scheme that names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TokenEndpoint {
    pub path: String,
    pub scheme: String,
}

/// The path a mock serves the token endpoint `token_url` at: the path of the URL (a relative
/// one read from the root, as the engine does against an overridden server), without a
/// trailing slash. `None` when it is not a URL.
pub(crate) fn token_path(token_url: &str) -> Option<String> {
    let root = Url::parse("http://mock.invalid/").ok()?;
    let url = root.join(token_url.trim()).ok()?;
    Some(normalize(url.path()))
}

/// A path without its trailing slash (`/` stays `/`).
fn normalize(path: &str) -> String {
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        "/".to_string()
    } else {
        trimmed.to_string()
    }
}

/// Every token and refresh endpoint of the description's OAuth 2.0 security schemes.
pub(crate) fn endpoints(api: &OpenApi, store: &Store) -> Vec<TokenEndpoint> {
    let mut out: Vec<TokenEndpoint> = Vec::new();
    for (name, scheme) in api.security_schemes(store) {
        let SchemeKind::OAuth2(flows) = &scheme.kind else {
            continue;
        };
        let flows = [
            &flows.client_credentials,
            &flows.password,
            &flows.authorization_code,
            &flows.device_authorization,
            &flows.implicit,
        ];
        for flow in flows.into_iter().flatten() {
            for url in [&flow.token_url, &flow.refresh_url].into_iter().flatten() {
                if let Some(path) = token_path(url)
                    && !out.iter().any(|e| e.path == path)
                {
                    out.push(TokenEndpoint {
                        path,
                        scheme: name.clone(),
                    });
                }
            }
        }
    }
    out
}

/// The endpoint `path` (as requested, or with one of the description's base paths taken off)
/// names, if any.
pub(crate) fn find<'e>(
    endpoints: &'e [TokenEndpoint],
    base_paths: &[String],
    path: &str,
) -> Option<&'e TokenEndpoint> {
    let decoded = percent_encoding::percent_decode_str(path).decode_utf8_lossy();
    let path = normalize(&decoded);
    let matches = |p: &str| endpoints.iter().find(|e| e.path == p);
    matches(&path).or_else(|| {
        base_paths.iter().find_map(|base| {
            let rest = path.strip_prefix(base.as_str())?;
            if rest.is_empty() || rest.starts_with('/') {
                matches(&normalize(rest))
            } else {
                None
            }
        })
    })
}

/// The answer of an authorization server's token endpoint to `body` (RFC 6749 §5), with a note
/// for the exchange.
pub(crate) fn answer(
    endpoint: &TokenEndpoint,
    headers: &http::HeaderMap,
    body: &[u8],
) -> (http::Response<Bytes>, String) {
    let what = format!(
        "OAuth 2.0 token endpoint of security scheme `{}`",
        endpoint.scheme
    );
    match grant(headers, body) {
        Ok(token) => (
            json_response(StatusCode::OK, &token),
            format!("{what}: a mock access token was issued"),
        ),
        Err((status, error, description)) => {
            let mut r = json_response(
                status,
                &json!({"error": error, "error_description": description}),
            );
            if status == StatusCode::UNAUTHORIZED {
                r.headers_mut().insert(
                    http::header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Basic realm=\"mock\""),
                );
            }
            (r, format!("{what}: {error}: {description}"))
        }
    }
}

type Refusal = (StatusCode, &'static str, String);

/// The token response for a token request, or the error.
fn grant(headers: &http::HeaderMap, body: &[u8]) -> Result<Value, Refusal> {
    let params = parameters(headers, body)?;
    let get = |k: &str| {
        params
            .get(k)
            .and_then(Value::as_str)
            .filter(|v| !v.is_empty())
    };
    let bad = |error: &'static str, d: &str| (StatusCode::BAD_REQUEST, error, d.to_string());
    let Some(grant_type) = get("grant_type") else {
        return Err(bad("invalid_request", "the request has no grant_type"));
    };
    let needs: &[&str] = match grant_type {
        "client_credentials" => &[],
        "password" => &["username", "password"],
        "authorization_code" => &["code"],
        "refresh_token" => &["refresh_token"],
        "urn:ietf:params:oauth:grant-type:device_code" => &["device_code"],
        _ => {
            return Err(bad(
                "unsupported_grant_type",
                "the mock issues tokens for the client_credentials, password, authorization_code, refresh_token and device_code grants",
            ));
        }
    };
    if let Some(missing) = needs.iter().find(|k| get(k).is_none()) {
        return Err(bad(
            "invalid_request",
            &format!("the {grant_type} grant needs `{missing}`"),
        ));
    }
    let basic = basic_credentials(headers);
    let client_id = basic
        .as_ref()
        .map(|(id, _)| id.clone())
        .or_else(|| get("client_id").map(str::to_string));
    let authenticated = basic.is_some() || get("client_secret").is_some();
    // The client credentials grant is for confidential clients only (§4.4); the other grants
    // may come from public clients, which still name themselves.
    let client_id = match client_id {
        Some(id) if authenticated || grant_type != "client_credentials" => id,
        _ => {
            return Err((
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "the client did not authenticate: send HTTP Basic credentials, or client_id and client_secret in the body".into(),
            ));
        }
    };
    let scope = get("scope");
    let mut token = Map::new();
    token.insert(
        "access_token".into(),
        Value::String(format!(
            "mock_{:016x}",
            fnv1a(&[client_id.as_bytes(), scope.unwrap_or("").as_bytes()])
        )),
    );
    token.insert("token_type".into(), json!("Bearer"));
    token.insert("expires_in".into(), json!(EXPIRES_IN));
    if let Some(s) = scope {
        token.insert("scope".into(), json!(s));
    }
    Ok(Value::Object(token))
}

/// The parameters of a token request: a form (RFC 6749 §4.4.2) or, as some providers document,
/// a JSON object; values as strings.
fn parameters(headers: &http::HeaderMap, body: &[u8]) -> Result<Map<String, Value>, Refusal> {
    let content_type = headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = arazzo_openapi::media::essence(content_type);
    if arazzo_openapi::media::is_json(&essence) {
        return match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(m)) => Ok(m
                .into_iter()
                .map(|(k, v)| match v {
                    Value::String(_) => (k, v),
                    other => (k, Value::String(other.to_string())),
                })
                .collect()),
            _ => Err((
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "the JSON body is not an object".into(),
            )),
        };
    }
    if essence == "application/x-www-form-urlencoded" || (essence.is_empty() && !body.is_empty()) {
        return Ok(url::form_urlencoded::parse(body)
            .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
            .collect());
    }
    Err((
        StatusCode::BAD_REQUEST,
        "invalid_request",
        "a token request is an application/x-www-form-urlencoded body".into(),
    ))
}

/// The client id and secret of an `Authorization: Basic` header (each form-urlencoded, RFC 6749
/// §2.3.1).
fn basic_credentials(headers: &http::HeaderMap) -> Option<(String, String)> {
    let value = headers.get(http::header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, rest) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(rest.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    let unform = |s: &str| {
        url::form_urlencoded::parse(format!("x={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    let id = unform(id);
    (!id.is_empty()).then(|| (id, unform(secret)))
}

/// A JSON response that must not be cached (RFC 6749 §5.1).
fn json_response(status: StatusCode, body: &Value) -> http::Response<Bytes> {
    let mut r = http::Response::new(Bytes::from(
        serde_json::to_vec_pretty(body).unwrap_or_default(),
    ));
    *r.status_mut() = status;
    let h = r.headers_mut();
    h.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h.insert(
        http::header::CACHE_CONTROL,
        HeaderValue::from_static("no-store"),
    );
    h.insert(http::header::PRAGMA, HeaderValue::from_static("no-cache"));
    r
}

/// FNV-1a over the parts (with a separator): a hash that is the same on every machine and Rust
/// release, so tokens are deterministic.
fn fnv1a(parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in part.iter().chain(std::iter::once(&0u8)) {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    h
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> http::HeaderMap {
        let mut h = http::HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    const FORM: (&str, &str) = ("content-type", "application/x-www-form-urlencoded");

    #[test]
    fn token_paths() {
        assert_eq!(
            token_path("https://auth.example.com/oauth/token").as_deref(),
            Some("/oauth/token")
        );
        assert_eq!(token_path("/v1/token/").as_deref(), Some("/v1/token"));
        assert_eq!(token_path("oauth/token").as_deref(), Some("/oauth/token"));
        let e = vec![TokenEndpoint {
            path: "/oauth/token".into(),
            scheme: "o".into(),
        }];
        assert!(find(&e, &[], "/oauth/token/").is_some());
        assert!(find(&e, &["/v1".into()], "/v1/oauth/token").is_some());
        assert!(find(&e, &["/v1".into()], "/v1oauth/token").is_none());
        assert!(find(&e, &[], "/other").is_none());
    }

    #[test]
    fn client_credentials_with_basic_or_body_credentials() {
        let e = TokenEndpoint {
            path: "/t".into(),
            scheme: "OAuth2".into(),
        };
        let basic = base64::engine::general_purpose::STANDARD.encode("app:s%3Acret");
        let (r, note) = answer(
            &e,
            &headers(&[FORM, ("authorization", &format!("Basic {basic}"))]),
            b"grant_type=client_credentials&scope=read",
        );
        assert_eq!(r.status(), 200, "{note}");
        assert_eq!(r.headers()["cache-control"], "no-store");
        let v: Value = serde_json::from_slice(r.body()).unwrap();
        assert!(v["access_token"].as_str().unwrap().starts_with("mock_"));
        assert_eq!(v["token_type"], "Bearer");
        assert_eq!(v["expires_in"], 3600);
        assert_eq!(v["scope"], "read");
        // The same client gets the same token, as JSON too.
        let (r2, _) = answer(
            &e,
            &headers(&[("content-type", "application/json")]),
            br#"{"grant_type": "client_credentials", "client_id": "app", "client_secret": "x", "scope": "read"}"#,
        );
        let v2: Value = serde_json::from_slice(r2.body()).unwrap();
        assert_eq!(v["access_token"], v2["access_token"]);
    }

    #[test]
    fn refusals_follow_rfc_6749() {
        let e = TokenEndpoint {
            path: "/t".into(),
            scheme: "OAuth2".into(),
        };
        let error = |h: &http::HeaderMap, body: &[u8]| {
            let (r, _) = answer(&e, h, body);
            let v: Value = serde_json::from_slice(r.body()).unwrap();
            (
                r.status().as_u16(),
                v["error"].as_str().unwrap().to_string(),
            )
        };
        let form = headers(&[FORM]);
        assert_eq!(
            error(&form, b"grant_type=client_credentials"),
            (401, "invalid_client".into())
        );
        assert_eq!(
            error(&form, b"client_id=a&client_secret=b"),
            (400, "invalid_request".into())
        );
        assert_eq!(
            error(&form, b"grant_type=magic&client_id=a&client_secret=b"),
            (400, "unsupported_grant_type".into())
        );
        assert_eq!(
            error(&form, b"grant_type=password&client_id=a"),
            (400, "invalid_request".into())
        );
        assert_eq!(
            error(&headers(&[("content-type", "text/plain")]), b"x"),
            (400, "invalid_request".into())
        );
        let (r, _) = answer(&e, &form, b"grant_type=client_credentials");
        assert_eq!(r.headers()["www-authenticate"], "Basic realm=\"mock\"");
    }
}
