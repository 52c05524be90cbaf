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
pub(crate) use token::add_token_secrets;
pub use token::{parse_token_response, token_request};

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use base64::Engine as _;
use serde::{Deserialize, Serialize};

use crate::secrets::Secrets;

/// A credential for one security scheme. Its `Debug` form shows `****` for
/// every secret part, so a logged credential reveals nothing.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
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

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use crate::secrets::MASK;
        match self {
            Credential::Value(_) => f.debug_tuple("Value").field(&MASK).finish(),
            Credential::Basic { username, .. } => f
                .debug_struct("Basic")
                .field("username", username)
                .field("password", &MASK)
                .finish(),
            Credential::ClientCredentials {
                client_id, scope, ..
            } => f
                .debug_struct("ClientCredentials")
                .field("client_id", client_id)
                .field("client_secret", &MASK)
                .field("scope", scope)
                .finish(),
        }
    }
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

/// Credentials by scheme name (`Debug` shows no secret).
#[derive(Clone, Default, Serialize, Deserialize)]
pub struct Credentials {
    schemes: HashMap<String, Credential>,
    client_auth: HashMap<String, ClientAuth>,
    partial: HashMap<String, HashMap<String, String>>,
    /// The set runs with these credentials mask with and fill, when shared.
    #[serde(skip)]
    shared: Option<Secrets>,
    /// The credentials' own set, built once and forked for each run, so a
    /// thousand runs do not compile the same masking patterns a thousand
    /// times. Reset by every change to the credentials.
    #[serde(skip)]
    own: Arc<OnceLock<Secrets>>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Of half-given credentials, only which fields were given.
        let partial: HashMap<&String, Vec<&String>> = self
            .partial
            .iter()
            .map(|(scheme, fields)| (scheme, fields.keys().collect()))
            .collect();
        f.debug_struct("Credentials")
            .field("schemes", &self.schemes)
            .field("client_auth", &self.client_auth)
            .field("partial", &partial)
            .field("shared", &self.shared)
            .finish()
    }
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
        self.own = Arc::default();
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
        self.own = Arc::default();
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
        self.own = Arc::default();
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

    /// Shares `secrets` with every run that uses these credentials: a run
    /// masks with everything in the set and adds what it learns (OAuth2
    /// tokens, secret inputs) to it, so an embedder that prints or stores
    /// anything outside the engine can mask it with what the run knows. The
    /// command line masks every byte it writes with this set.
    pub fn with_shared_secrets(mut self, secrets: Secrets) -> Credentials {
        self.shared = Some(secrets);
        self
    }

    /// The secrets a run with these credentials masks: the shared set
    /// ([`Credentials::with_shared_secrets`]) or a new one, with every
    /// credential added in each form a request carries it in — the value, an
    /// HTTP Basic `user:password` pair and its base64 (also of a `user:pass`
    /// [`Credential::Value`]), an OAuth2 client's pair as `client_secret_basic`
    /// encodes it.
    pub fn secrets(&self) -> Secrets {
        match &self.shared {
            Some(shared) => self.fill(shared.clone()),
            None => self.own.get_or_init(|| self.fill(Secrets::new())).fork(),
        }
    }

    fn fill(&self, mut s: Secrets) -> Secrets {
        for c in self.schemes.values() {
            match c {
                Credential::Value(v) => {
                    s.add(v);
                    if let Some((user, password)) = v.split_once(':')
                        && !password.is_empty()
                    {
                        s.add_basic(user, password);
                    }
                }
                Credential::Basic { username, password } => s.add_basic(username, password),
                Credential::ClientCredentials {
                    client_id,
                    client_secret,
                    ..
                } => s.add_basic(client_id, client_secret),
            }
        }
        s
    }

    /// The security scheme names given credentials (whole or in part), sorted.
    pub fn scheme_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self
            .schemes
            .keys()
            .chain(self.partial.keys())
            .chain(self.client_auth.keys())
            .map(String::as_str)
            .collect();
        names.sort_unstable();
        names.dedup();
        names
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

    /// Credentials shown for debugging show no secret.
    #[test]
    fn debug_forms_hide_secrets() {
        let mut c = Credentials::new();
        c.set("k", "key-s3cret").unwrap();
        c.set("b.username", "bob").unwrap();
        c.set("b.password", "pw-s3cret").unwrap();
        c.set("o.client_id", "id").unwrap();
        c.set("o.client_secret", "cs-s3cret").unwrap();
        let shown = format!("{c:?}");
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.contains("bob") && shown.contains("****"), "{shown}");
    }

    /// Runs without a shared set each get their own, built once from the
    /// credentials: what one run learns is not masked in another's, and a
    /// change to the credentials is seen by the next run.
    #[test]
    fn runs_fork_the_credentials_set() {
        let mut c = Credentials::new();
        c.set("key", "first-secret").unwrap();
        let mut a = c.secrets();
        let b = c.secrets();
        a.add("token-of-run-a");
        assert_eq!(a.mask("first-secret token-of-run-a"), "**** ****");
        assert_eq!(b.mask("first-secret token-of-run-a"), "**** token-of-run-a");
        c.set("other", "second-secret").unwrap();
        assert_eq!(c.secrets().mask("second-secret"), "****");
    }

    /// A shared set gets every credential in the forms requests carry it.
    #[test]
    fn shared_secrets_hold_every_form() {
        let shared = crate::secrets::Secrets::new();
        let mut c = Credentials::new();
        c.set("b", "user:pa ss-word").unwrap();
        c.set("o.client_id", "my id").unwrap();
        c.set("o.client_secret", "se cr/et+x").unwrap();
        let c = c.with_shared_secrets(shared.clone());
        c.secrets();
        let b64 = base64::engine::general_purpose::STANDARD;
        for shown in [
            "pa ss-word".to_string(),
            b64.encode("user:pa ss-word"),
            "Basic ".to_string() + &b64.encode("my+id:se+cr%2Fet%2Bx"),
        ] {
            assert!(!shared.mask(&shown).contains("ss-word"), "{shown}");
            assert!(shared.mask(&shown).contains("****"), "{shown}");
        }
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
