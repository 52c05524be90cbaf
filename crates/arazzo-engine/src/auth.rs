//! Credentials and how they are applied to requests.
//!
//! Credentials are named by the security scheme they satisfy (the name under
//! `components.securitySchemes`). They come from the embedding API, from
//! `--auth SCHEME=VALUE` / `--auth SCHEME.client_id=…`, or from environment
//! variables `ARAZZO_AUTH_<SCHEME>` / `ARAZZO_AUTH_<SCHEME>_<FIELD>` (scheme
//! name upper-cased, other characters as `_`). The engine picks, for each
//! operation, the first security alternative it holds credentials for.
//!
//! Safety rules: credentials go only to the operation's own server; OAuth2
//! client secrets go only to a token URL that is https or loopback; an
//! `Authorization` header or API-key parameter the document sets explicitly
//! wins over a scheme.

use std::collections::HashMap;

use arazzo_openapi::HttpRequest;
use arazzo_openapi::security::{ApiKeyIn, OAuthFlow, Requirement, SchemeKind, SecurityScheme};
use base64::Engine as _;
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use url::Url;

/// A credential for one security scheme.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Credential {
    /// An API key, a bearer or other HTTP credential, an OAuth2/OpenID
    /// Connect access token, or `user:password` for Basic.
    Value(String),
    /// HTTP Basic.
    Basic {
        /// User name.
        username: String,
        /// Password.
        password: String,
    },
    /// OAuth2 client credentials: the engine fetches and refreshes the token.
    ClientCredentials {
        /// `client_id`.
        client_id: String,
        /// `client_secret`.
        client_secret: String,
        /// Space-separated scopes to request (none: the server's default).
        scope: Option<String>,
    },
}

/// How the client authenticates at the OAuth2 token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ClientAuth {
    /// HTTP Basic with a form body (RFC 6749 §2.3.1, which servers must support).
    Basic,
    /// Credentials in a form body (`client_secret_post`).
    Post,
    /// Credentials in a JSON body, for token endpoints that document one.
    Json,
}

/// Credentials by scheme name.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Credentials {
    schemes: HashMap<String, Credential>,
    client_auth: HashMap<String, ClientAuth>,
    partial: HashMap<String, HashMap<String, String>>,
}

/// Why a credential specification was rejected.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct CredentialError(pub String);

impl Credentials {
    /// No credentials.
    pub fn new() -> Credentials {
        Credentials::default()
    }

    /// Sets a credential from `SCHEME` or `SCHEME.FIELD` and a value, as
    /// `--auth` does. Fields: `client_id`, `client_secret`, `scope`,
    /// `username`, `password`, `token`, `client_auth` (`basic`, `post`, `json`).
    pub fn set(&mut self, spec: &str, value: &str) -> Result<(), CredentialError> {
        let (scheme, field) = match spec.rsplit_once('.') {
            Some((s, f))
                if matches!(
                    f,
                    "client_id"
                        | "client_secret"
                        | "scope"
                        | "username"
                        | "password"
                        | "token"
                        | "client_auth"
                ) =>
            {
                (s, Some(f))
            }
            _ => (spec, None),
        };
        if scheme.is_empty() {
            return Err(CredentialError(format!(
                "`{spec}` names no security scheme"
            )));
        }
        match field {
            None | Some("token") => {
                self.schemes
                    .insert(scheme.to_string(), Credential::Value(value.to_string()));
            }
            Some("client_auth") => {
                let a = match value {
                    "basic" => ClientAuth::Basic,
                    "post" => ClientAuth::Post,
                    "json" => ClientAuth::Json,
                    other => {
                        return Err(CredentialError(format!(
                            "unknown client_auth `{other}`; use basic, post or json"
                        )));
                    }
                };
                self.client_auth.insert(scheme.to_string(), a);
            }
            Some(f) => {
                let parts = self.partial.entry(scheme.to_string()).or_default();
                parts.insert(f.to_string(), value.to_string());
                let get = |k: &str| parts.get(k).cloned();
                if let (Some(id), Some(secret)) = (get("client_id"), get("client_secret")) {
                    self.schemes.insert(
                        scheme.to_string(),
                        Credential::ClientCredentials {
                            client_id: id,
                            client_secret: secret,
                            scope: get("scope"),
                        },
                    );
                } else if let (Some(u), Some(p)) = (get("username"), get("password")) {
                    self.schemes.insert(
                        scheme.to_string(),
                        Credential::Basic {
                            username: u,
                            password: p,
                        },
                    );
                }
            }
        }
        Ok(())
    }

    /// Sets a credential directly.
    pub fn insert(&mut self, scheme: &str, credential: Credential) {
        self.schemes.insert(scheme.to_string(), credential);
    }

    /// The credential for `scheme`.
    pub fn get(&self, scheme: &str) -> Option<&Credential> {
        self.schemes.get(scheme)
    }

    /// Schemes that were given only part of a multi-field credential.
    pub fn incomplete(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .partial
            .keys()
            .filter(|k| !self.schemes.contains_key(*k))
            .cloned()
            .collect();
        v.sort();
        v
    }

    /// Reads `ARAZZO_AUTH_*` environment variables for the given scheme
    /// names (flags set earlier win).
    pub fn add_env<'a>(
        &mut self,
        schemes: impl IntoIterator<Item = &'a str>,
        env: &dyn Fn(&str) -> Option<String>,
    ) {
        for scheme in schemes {
            let key = env_name(scheme);
            if self.schemes.contains_key(scheme) {
                continue;
            }
            for field in [
                "client_id",
                "client_secret",
                "scope",
                "username",
                "password",
                "client_auth",
            ] {
                if let Some(v) = env(&format!("{key}_{}", field.to_ascii_uppercase())) {
                    let _ = self.set(&format!("{scheme}.{field}"), &v);
                }
            }
            if let Some(v) = env(&key)
                && !self.schemes.contains_key(scheme)
            {
                let _ = self.set(scheme, &v);
            }
        }
    }

    /// How the client authenticates at the token endpoint of `scheme`, if set.
    pub fn client_auth(&self, scheme: &str) -> Option<ClientAuth> {
        self.client_auth.get(scheme).copied()
    }

    /// Every secret value, for masking.
    pub fn secret_values(&self) -> Vec<String> {
        let mut out = Vec::new();
        for c in self.schemes.values() {
            match c {
                Credential::Value(v) => out.push(v.clone()),
                Credential::Basic { password, username } => {
                    out.push(password.clone());
                    out.push(
                        base64::engine::general_purpose::STANDARD
                            .encode(format!("{username}:{password}")),
                    );
                }
                Credential::ClientCredentials { client_secret, .. } => {
                    out.push(client_secret.clone())
                }
            }
        }
        out
    }
}

/// The environment variable that holds a scheme's credential.
pub fn env_name(scheme: &str) -> String {
    let mut s = String::from("ARAZZO_AUTH_");
    for c in scheme.chars() {
        s.push(if c.is_ascii_alphanumeric() {
            c.to_ascii_uppercase()
        } else {
            '_'
        });
    }
    s
}

/// What to do to a request for its security requirements.
#[derive(Debug, Clone, PartialEq)]
pub enum AuthDecision {
    /// Nothing applies (no requirement, an optional one, or everything already set explicitly).
    Nothing,
    /// Apply these.
    Apply(Vec<Applied>),
    /// A token is needed first for this scheme.
    NeedToken {
        /// The scheme name.
        scheme: String,
    },
    /// No alternative can be satisfied.
    Missing(String),
}

/// One credential application.
#[derive(Debug, Clone, PartialEq)]
pub enum Applied {
    /// Set a header.
    Header(String, String),
    /// Add a query parameter.
    Query(String, String),
    /// Add a cookie.
    Cookie(String, String),
}

impl Applied {
    /// The same application with the credential replaced by `****` (keeping
    /// an `Authorization` header's scheme word): what a run keeps of the
    /// request it sent, so that no saved state or report holds a credential.
    pub fn masked(&self) -> Applied {
        let mask = crate::secrets::MASK.to_string();
        match self {
            Applied::Header(n, v) if n.eq_ignore_ascii_case("authorization") => {
                let v = match v.split_once(' ') {
                    Some((scheme, _)) => format!("{scheme} {mask}"),
                    None => mask,
                };
                Applied::Header(n.clone(), v)
            }
            Applied::Header(n, _) => Applied::Header(n.clone(), mask),
            Applied::Query(n, _) => Applied::Query(n.clone(), mask),
            Applied::Cookie(n, _) => Applied::Cookie(n.clone(), mask),
        }
    }
}

/// Picks a security alternative for a request and says how to apply it.
/// `token` returns a cached OAuth2 access token for a scheme, if valid.
pub fn decide(
    requirements: &[Requirement],
    schemes: &IndexMap<String, SecurityScheme>,
    creds: &Credentials,
    request: &HttpRequest,
    token: &dyn Fn(&str) -> Option<String>,
) -> AuthDecision {
    if requirements.is_empty() {
        return AuthDecision::Nothing;
    }
    let mut missing_names: Vec<String> = Vec::new();
    for alt in requirements {
        if alt.0.is_empty() {
            return AuthDecision::Nothing;
        }
        let mut applied = Vec::new();
        let mut ok = true;
        for (name, _scopes) in &alt.0 {
            let Some(scheme) = schemes.get(name) else {
                ok = false;
                missing_names.push(format!("`{name}` (not declared in the description)"));
                break;
            };
            if explicitly_set(&scheme.kind, request) {
                continue;
            }
            match apply_one(scheme, creds.get(name), token) {
                Ok(Some(a)) => applied.push(a),
                Ok(None) => {}
                Err(need) => match need {
                    Need::Token => {
                        return AuthDecision::NeedToken {
                            scheme: name.clone(),
                        };
                    }
                    Need::Credential => {
                        ok = false;
                        missing_names.push(format!("`{name}`"));
                        break;
                    }
                },
            }
        }
        if ok {
            return if applied.is_empty() {
                AuthDecision::Nothing
            } else {
                AuthDecision::Apply(applied)
            };
        }
    }
    missing_names.dedup();
    let hint = requirements
        .iter()
        .flat_map(|a| a.0.iter())
        .find_map(|(n, _)| schemes.get(n))
        .map(credential_hint)
        .unwrap_or_default();
    AuthDecision::Missing(format!(
        "no credentials for {}; {hint}",
        missing_names.join(" or ")
    ))
}

/// How a user supplies a credential for `scheme`.
pub fn credential_hint(scheme: &SecurityScheme) -> String {
    let n = &scheme.name;
    let env = env_name(n);
    match &scheme.kind {
        SchemeKind::Basic => format!(
            "supply them with `--auth {n}.username=… --auth {n}.password=…` (or {env}_USERNAME and {env}_PASSWORD)"
        ),
        SchemeKind::OAuth2(flows) if flows.client_credentials.is_some() => format!(
            "supply `--auth {n}.client_id=… --auth {n}.client_secret=…` (or {env}_CLIENT_ID and {env}_CLIENT_SECRET), or an access token with `--auth {n}=TOKEN` ({env})"
        ),
        _ => format!("supply it with `--auth {n}=VALUE` (or {env})"),
    }
}

enum Need {
    Token,
    Credential,
}

/// Whether the document already set what this scheme would set.
fn explicitly_set(kind: &SchemeKind, request: &HttpRequest) -> bool {
    match kind {
        SchemeKind::ApiKey { name, location } => match location {
            ApiKeyIn::Header => request.header(name).is_some(),
            ApiKeyIn::Query => Url::parse(&request.url)
                .map(|u| u.query_pairs().any(|(k, _)| k == name.as_str()))
                .unwrap_or(false),
            ApiKeyIn::Cookie => request.header("cookie").is_some_and(|c| {
                c.split(';')
                    .any(|p| p.trim().starts_with(&format!("{name}=")))
            }),
        },
        SchemeKind::Basic
        | SchemeKind::Bearer { .. }
        | SchemeKind::Http { .. }
        | SchemeKind::OAuth2(_)
        | SchemeKind::OpenIdConnect { .. } => request.header("authorization").is_some(),
        SchemeKind::MutualTls | SchemeKind::Unknown(_) => false,
    }
}

fn apply_one(
    scheme: &SecurityScheme,
    cred: Option<&Credential>,
    token: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<Applied>, Need> {
    let bearer = |v: &str| Applied::Header("Authorization".into(), format!("Bearer {v}"));
    match &scheme.kind {
        SchemeKind::ApiKey { name, location } => {
            let Some(Credential::Value(v)) = cred else {
                return Err(Need::Credential);
            };
            Ok(Some(match location {
                ApiKeyIn::Header => Applied::Header(name.clone(), v.clone()),
                ApiKeyIn::Query => Applied::Query(name.clone(), v.clone()),
                ApiKeyIn::Cookie => Applied::Cookie(name.clone(), v.clone()),
            }))
        }
        SchemeKind::Basic => {
            let pair = match cred {
                Some(Credential::Basic { username, password }) => format!("{username}:{password}"),
                Some(Credential::Value(v)) => v.clone(),
                _ => return Err(Need::Credential),
            };
            Ok(Some(Applied::Header(
                "Authorization".into(),
                format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(pair)
                ),
            )))
        }
        SchemeKind::Bearer { .. } => match cred {
            Some(Credential::Value(v)) => Ok(Some(bearer(v))),
            Some(Credential::ClientCredentials { .. }) => match token(&scheme.name) {
                Some(t) => Ok(Some(bearer(&t))),
                None => Err(Need::Credential),
            },
            _ => Err(Need::Credential),
        },
        SchemeKind::Http { scheme: s } => match cred {
            Some(Credential::Value(v)) => Ok(Some(Applied::Header(
                "Authorization".into(),
                format!("{} {v}", capitalize(s)),
            ))),
            _ => Err(Need::Credential),
        },
        SchemeKind::OAuth2(flows) => match cred {
            Some(Credential::Value(v)) => Ok(Some(bearer(v))),
            Some(Credential::ClientCredentials { .. }) if flows.client_credentials.is_some() => {
                match token(&scheme.name) {
                    Some(t) => Ok(Some(bearer(&t))),
                    None => Err(Need::Token),
                }
            }
            _ => Err(Need::Credential),
        },
        SchemeKind::OpenIdConnect { .. } => match cred {
            Some(Credential::Value(v)) => Ok(Some(bearer(v))),
            _ => Err(Need::Credential),
        },
        // Mutual TLS happens at the connection, configured on the client.
        SchemeKind::MutualTls => Ok(None),
        SchemeKind::Unknown(_) => Err(Need::Credential),
    }
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// Applies decisions to a request.
pub fn apply(request: &mut HttpRequest, applied: &[Applied]) {
    for a in applied {
        match a {
            Applied::Header(n, v) => request.set_header(n, v.clone()),
            Applied::Query(n, v) => {
                if let Ok(mut u) = Url::parse(&request.url) {
                    u.query_pairs_mut().append_pair(n, v);
                    request.url = u.to_string();
                }
            }
            Applied::Cookie(n, v) => {
                let pair = format!("{n}={v}");
                let cookie = match request.header("cookie") {
                    Some(c) => format!("{c}; {pair}"),
                    None => pair,
                };
                request.set_header("Cookie", cookie);
            }
        }
    }
}

/// Builds the OAuth2 client-credentials token request.
///
/// `server` is where the description's requests go now and `declared` the
/// server it declares: a token URL on the declared origin follows an
/// override, so a local simulator receives the token request too.
pub fn token_request(
    flow: &OAuthFlow,
    credential: &Credential,
    client_auth: ClientAuth,
    server: &Url,
    declared: Option<&Url>,
) -> Result<HttpRequest, String> {
    let Credential::ClientCredentials {
        client_id,
        client_secret,
        scope,
    } = credential
    else {
        return Err("the credential is not a client_id/client_secret pair".into());
    };
    let raw = flow
        .token_url
        .as_deref()
        .ok_or("the OAuth2 client-credentials flow has no tokenUrl")?;
    let mut url = server
        .join(raw)
        .map_err(|e| format!("tokenUrl `{raw}` is not valid: {e}"))?;
    if let Some(declared) = declared
        && declared.origin() == url.origin()
        && declared.origin() != server.origin()
    {
        let _ = url.set_scheme(server.scheme());
        let _ = url.set_host(server.host_str());
        let _ = url.set_port(server.port());
    }
    let loopback = url.host_str().is_some_and(|h| {
        h == "localhost"
            || h.parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    });
    if url.scheme() != "https" && !loopback {
        return Err(format!(
            "refusing to send client credentials to {url}: token URLs must be https (or loopback)"
        ));
    }
    let mut headers = vec![("Accept".to_string(), "application/json".to_string())];
    let body = match client_auth {
        ClientAuth::Json => {
            headers.push(("Content-Type".into(), "application/json".into()));
            let mut m = serde_json::Map::new();
            m.insert("grant_type".into(), "client_credentials".into());
            m.insert("client_id".into(), client_id.clone().into());
            m.insert("client_secret".into(), client_secret.clone().into());
            if let Some(s) = scope {
                m.insert("scope".into(), s.clone().into());
            }
            serde_json::Value::Object(m).to_string()
        }
        ClientAuth::Post | ClientAuth::Basic => {
            headers.push((
                "Content-Type".into(),
                "application/x-www-form-urlencoded".into(),
            ));
            let mut form = url::form_urlencoded::Serializer::new(String::new());
            form.append_pair("grant_type", "client_credentials");
            if client_auth == ClientAuth::Post {
                form.append_pair("client_id", client_id);
                form.append_pair("client_secret", client_secret);
            } else {
                let enc = |s: &str| {
                    url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>()
                };
                headers.push((
                    "Authorization".into(),
                    format!(
                        "Basic {}",
                        base64::engine::general_purpose::STANDARD.encode(format!(
                            "{}:{}",
                            enc(client_id),
                            enc(client_secret)
                        ))
                    ),
                ));
            }
            if let Some(s) = scope {
                form.append_pair("scope", s);
            }
            form.finish()
        }
    };
    Ok(HttpRequest {
        method: "POST".into(),
        url: url.to_string(),
        headers,
        body: Some(body.into_bytes()),
    })
}

/// A token from a token response: (access token, lifetime in seconds).
pub fn parse_token_response(
    status: u16,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<(String, Option<u64>), String> {
    let text = String::from_utf8_lossy(body);
    if !(200..300).contains(&status) {
        let short: String = text.chars().take(200).collect();
        return Err(format!("the token endpoint answered {status}: {short}"));
    }
    let form = content_type.is_some_and(|c| c.contains("x-www-form-urlencoded"));
    let (token, expires) = if form {
        let pairs: HashMap<String, String> =
            url::form_urlencoded::parse(body).into_owned().collect();
        (
            pairs.get("access_token").cloned(),
            pairs.get("expires_in").and_then(|e| e.parse().ok()),
        )
    } else {
        let v: serde_json::Value = serde_json::from_slice(body)
            .map_err(|e| format!("the token response is not JSON: {e}"))?;
        (
            v.get("access_token")
                .and_then(|t| t.as_str())
                .map(str::to_string),
            v.get("expires_in").and_then(|e| {
                e.as_u64()
                    .or_else(|| e.as_f64().map(|f| f.max(0.0) as u64))
                    .or_else(|| e.as_str().and_then(|s| s.parse().ok()))
            }),
        )
    };
    match token {
        Some(t) if !t.is_empty() => Ok((t, expires)),
        _ => Err("the token response has no access_token".into()),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use arazzo_openapi::security::OAuthFlows;

    fn scheme(name: &str, kind: SchemeKind) -> (String, SecurityScheme) {
        (
            name.into(),
            SecurityScheme {
                name: name.into(),
                kind,
                description: None,
            },
        )
    }

    fn req() -> HttpRequest {
        HttpRequest {
            method: "GET".into(),
            url: "https://api.x/pets".into(),
            headers: vec![],
            body: None,
        }
    }

    #[test]
    fn picks_the_first_satisfiable_alternative() {
        let schemes: IndexMap<_, _> = [
            scheme(
                "key",
                SchemeKind::ApiKey {
                    name: "X-Key".into(),
                    location: ApiKeyIn::Header,
                },
            ),
            scheme("basic", SchemeKind::Basic),
        ]
        .into_iter()
        .collect();
        let reqs = vec![
            Requirement(vec![("key".into(), vec![])]),
            Requirement(vec![("basic".into(), vec![])]),
        ];
        let mut creds = Credentials::new();
        creds.set("basic.username", "u").unwrap();
        creds.set("basic.password", "p").unwrap();
        let d = decide(&reqs, &schemes, &creds, &req(), &|_| None);
        assert_eq!(
            d,
            AuthDecision::Apply(vec![Applied::Header(
                "Authorization".into(),
                "Basic dTpw".into()
            )])
        );
        creds.set("key", "k1").unwrap();
        let d = decide(&reqs, &schemes, &creds, &req(), &|_| None);
        assert_eq!(
            d,
            AuthDecision::Apply(vec![Applied::Header("X-Key".into(), "k1".into())])
        );
        // An explicit header wins.
        let mut r = req();
        r.set_header("x-key", "mine".into());
        assert_eq!(
            decide(&reqs, &schemes, &creds, &r, &|_| None),
            AuthDecision::Nothing
        );
    }

    #[test]
    fn oauth2_needs_a_token_then_uses_it() {
        let flows = OAuthFlows {
            client_credentials: Some(OAuthFlow {
                token_url: Some("https://api.x/oauth/token".into()),
                ..OAuthFlow::default()
            }),
            ..OAuthFlows::default()
        };
        let schemes: IndexMap<_, _> = [scheme("OAuth2", SchemeKind::OAuth2(Box::new(flows)))]
            .into_iter()
            .collect();
        let reqs = vec![Requirement(vec![("OAuth2".into(), vec![])])];
        let mut creds = Credentials::new();
        creds.set("OAuth2.client_id", "id").unwrap();
        assert!(matches!(
            decide(&reqs, &schemes, &creds, &req(), &|_| None),
            AuthDecision::Missing(_)
        ));
        creds.set("OAuth2.client_secret", "sec").unwrap();
        assert_eq!(
            decide(&reqs, &schemes, &creds, &req(), &|_| None),
            AuthDecision::NeedToken {
                scheme: "OAuth2".into()
            }
        );
        assert_eq!(
            decide(&reqs, &schemes, &creds, &req(), &|_| Some("tok".into())),
            AuthDecision::Apply(vec![Applied::Header(
                "Authorization".into(),
                "Bearer tok".into()
            )])
        );
    }

    #[test]
    fn token_requests_follow_overrides_and_refuse_plain_http() {
        let flow = OAuthFlow {
            token_url: Some("https://api.pipedream.com/v1/oauth/token".into()),
            ..OAuthFlow::default()
        };
        let cred = Credential::ClientCredentials {
            client_id: "id".into(),
            client_secret: "s e".into(),
            scope: None,
        };
        let local = Url::parse("http://127.0.0.1:9999").unwrap();
        let declared = Url::parse("https://api.pipedream.com").unwrap();
        let r = token_request(&flow, &cred, ClientAuth::Json, &local, Some(&declared)).unwrap();
        assert_eq!(r.url, "http://127.0.0.1:9999/v1/oauth/token");
        assert!(
            String::from_utf8(r.body.unwrap())
                .unwrap()
                .contains("\"client_secret\":\"s e\"")
        );
        let r = token_request(&flow, &cred, ClientAuth::Basic, &declared, Some(&declared)).unwrap();
        assert_eq!(r.header("authorization"), Some("Basic aWQ6cytl"));
        let evil = OAuthFlow {
            token_url: Some("http://evil.example/token".into()),
            ..OAuthFlow::default()
        };
        assert!(token_request(&evil, &cred, ClientAuth::Post, &declared, Some(&declared)).is_err());
    }

    #[test]
    fn token_responses() {
        assert_eq!(
            parse_token_response(
                200,
                Some("application/json"),
                br#"{"access_token":"t","expires_in":3600}"#
            )
            .unwrap(),
            ("t".to_string(), Some(3600))
        );
        assert_eq!(
            parse_token_response(
                200,
                Some("application/x-www-form-urlencoded"),
                b"access_token=t2&expires_in=5"
            )
            .unwrap(),
            ("t2".to_string(), Some(5))
        );
        assert!(parse_token_response(401, None, b"nope").is_err());
        assert!(parse_token_response(200, None, b"{}").is_err());
    }

    #[test]
    fn env_names_and_env_loading() {
        assert_eq!(env_name("OAuth2"), "ARAZZO_AUTH_OAUTH2");
        assert_eq!(env_name("api-key"), "ARAZZO_AUTH_API_KEY");
        let mut c = Credentials::new();
        let env = |k: &str| match k {
            "ARAZZO_AUTH_OAUTH2_CLIENT_ID" => Some("id".to_string()),
            "ARAZZO_AUTH_OAUTH2_CLIENT_SECRET" => Some("sec".to_string()),
            "ARAZZO_AUTH_API_KEY" => Some("k".to_string()),
            _ => None,
        };
        c.add_env(["OAuth2", "api-key"], &env);
        assert!(matches!(
            c.get("OAuth2"),
            Some(Credential::ClientCredentials { .. })
        ));
        assert_eq!(c.get("api-key"), Some(&Credential::Value("k".into())));
    }
}
