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

mod decide;
mod token;

pub use decide::{Applied, AuthDecision, apply, decide};
pub use token::{parse_token_response, token_request};

use std::collections::HashMap;

use base64::Engine as _;
use serde::{Deserialize, Serialize};

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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use arazzo_openapi::HttpRequest;
    use arazzo_openapi::security::OAuthFlows;
    use arazzo_openapi::security::{ApiKeyIn, OAuthFlow, Requirement, SchemeKind, SecurityScheme};
    use indexmap::IndexMap;
    use url::Url;

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
