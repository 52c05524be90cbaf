//! Security schemes and requirements, in a form the engine can apply.
//!
//! A requirement list is a set of alternatives (any one suffices); each
//! alternative names schemes that must all be satisfied. The operation's own
//! `security` wins over the description's; an empty list means "no
//! authentication", and an empty alternative (`{}`) makes it optional.

use indexmap::IndexMap;
use serde_json::Value;

use crate::document::Version;

/// Where an API key goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiKeyIn {
    /// A request header.
    Header,
    /// A query parameter.
    Query,
    /// A cookie.
    Cookie,
}

/// One OAuth 2.0 flow.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OAuthFlow {
    /// `tokenUrl`.
    pub token_url: Option<String>,
    /// `authorizationUrl`.
    pub authorization_url: Option<String>,
    /// `refreshUrl`.
    pub refresh_url: Option<String>,
    /// Scopes with their descriptions.
    pub scopes: IndexMap<String, String>,
}

/// The flows an OAuth 2.0 scheme offers.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OAuthFlows {
    /// `clientCredentials` (Swagger 2.0: `application`).
    pub client_credentials: Option<OAuthFlow>,
    /// `password`.
    pub password: Option<OAuthFlow>,
    /// `authorizationCode` (Swagger 2.0: `accessCode`).
    pub authorization_code: Option<OAuthFlow>,
    /// `implicit`.
    pub implicit: Option<OAuthFlow>,
    /// `deviceAuthorization` (OpenAPI 3.2).
    pub device_authorization: Option<OAuthFlow>,
}

/// What kind of credential a scheme needs.
#[derive(Debug, Clone, PartialEq)]
pub enum SchemeKind {
    /// An API key in a header, query parameter or cookie.
    ApiKey {
        /// The header, parameter or cookie name.
        name: String,
        /// Where it goes.
        location: ApiKeyIn,
    },
    /// HTTP Basic authentication.
    Basic,
    /// HTTP Bearer authentication.
    Bearer {
        /// `bearerFormat`, a hint only.
        format: Option<String>,
    },
    /// Another HTTP authentication scheme (`Authorization: <scheme> <credential>`).
    Http {
        /// The scheme name, e.g. `digest`.
        scheme: String,
    },
    /// OAuth 2.0 (boxed: the flows are large and rarely present).
    OAuth2(Box<OAuthFlows>),
    /// OpenID Connect discovery.
    OpenIdConnect {
        /// `openIdConnectUrl`.
        url: String,
    },
    /// Mutual TLS.
    MutualTls,
    /// A scheme this engine does not understand (kept so it can be reported).
    Unknown(String),
}

/// A named security scheme.
#[derive(Debug, Clone, PartialEq)]
pub struct SecurityScheme {
    /// The name it is declared under (used in requirements).
    pub name: String,
    /// What it needs.
    pub kind: SchemeKind,
    /// Its description.
    pub description: Option<String>,
}

impl SecurityScheme {
    /// Reads a Security Scheme Object (OpenAPI 3.x) or Security Definition (Swagger 2.0).
    pub fn from_value(name: &str, v: &Value, version: Version) -> SecurityScheme {
        let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
        let kind = match s("type").as_deref() {
            Some("apiKey") => {
                let location = match s("in").as_deref() {
                    Some("query") => ApiKeyIn::Query,
                    Some("cookie") => ApiKeyIn::Cookie,
                    _ => ApiKeyIn::Header,
                };
                SchemeKind::ApiKey {
                    name: s("name").unwrap_or_else(|| name.to_string()),
                    location,
                }
            }
            Some("basic") => SchemeKind::Basic,
            Some("http") => match s("scheme").map(|x| x.to_ascii_lowercase()).as_deref() {
                Some("basic") => SchemeKind::Basic,
                Some("bearer") => SchemeKind::Bearer {
                    format: s("bearerFormat"),
                },
                Some(other) => SchemeKind::Http {
                    scheme: other.to_string(),
                },
                None => SchemeKind::Unknown("http without a scheme".into()),
            },
            Some("oauth2") if version == Version::Swagger2 => {
                let flow = OAuthFlow {
                    token_url: s("tokenUrl"),
                    authorization_url: s("authorizationUrl"),
                    refresh_url: None,
                    scopes: scopes(v.get("scopes")),
                };
                let mut flows = OAuthFlows::default();
                match s("flow").as_deref() {
                    Some("application") => flows.client_credentials = Some(flow),
                    Some("password") => flows.password = Some(flow),
                    Some("accessCode") => flows.authorization_code = Some(flow),
                    Some("implicit") => flows.implicit = Some(flow),
                    _ => {}
                }
                SchemeKind::OAuth2(Box::new(flows))
            }
            Some("oauth2") => {
                let flow = |k: &str| {
                    v.get("flows").and_then(|f| f.get(k)).map(|f| OAuthFlow {
                        token_url: f
                            .get("tokenUrl")
                            .and_then(Value::as_str)
                            .map(str::to_string),
                        authorization_url: f
                            .get("authorizationUrl")
                            .and_then(Value::as_str)
                            .map(str::to_string),
                        refresh_url: f
                            .get("refreshUrl")
                            .and_then(Value::as_str)
                            .map(str::to_string),
                        scopes: scopes(f.get("scopes")),
                    })
                };
                SchemeKind::OAuth2(Box::new(OAuthFlows {
                    client_credentials: flow("clientCredentials"),
                    password: flow("password"),
                    authorization_code: flow("authorizationCode"),
                    implicit: flow("implicit"),
                    device_authorization: flow("deviceAuthorization"),
                }))
            }
            Some("openIdConnect") => SchemeKind::OpenIdConnect {
                url: s("openIdConnectUrl").unwrap_or_default(),
            },
            Some("mutualTLS") => SchemeKind::MutualTls,
            Some(other) => SchemeKind::Unknown(other.to_string()),
            None => SchemeKind::Unknown("no type".into()),
        };
        SecurityScheme {
            name: name.to_string(),
            kind,
            description: s("description"),
        }
    }
}

fn scopes(v: Option<&Value>) -> IndexMap<String, String> {
    v.and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, d)| (k.clone(), d.as_str().unwrap_or_default().to_string()))
                .collect()
        })
        .unwrap_or_default()
}

/// One alternative of a security requirement: every listed scheme, with the
/// scopes it needs. An empty alternative means "no authentication needed".
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Requirement(pub Vec<(String, Vec<String>)>);

/// Reads a `security` list.
pub fn requirements(v: &Value) -> Vec<Requirement> {
    v.as_array()
        .map(|alts| {
            alts.iter()
                .filter_map(Value::as_object)
                .map(|m| {
                    Requirement(
                        m.iter()
                            .map(|(name, scopes)| {
                                let scopes = scopes
                                    .as_array()
                                    .map(|a| {
                                        a.iter()
                                            .filter_map(Value::as_str)
                                            .map(str::to_string)
                                            .collect()
                                    })
                                    .unwrap_or_default();
                                (name.clone(), scopes)
                            })
                            .collect(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_every_scheme_kind() {
        let v3 = Version::V3_1;
        let k = |v: Value| SecurityScheme::from_value("s", &v, v3).kind;
        assert_eq!(
            k(json!({"type":"apiKey","in":"query","name":"key"})),
            SchemeKind::ApiKey {
                name: "key".into(),
                location: ApiKeyIn::Query
            }
        );
        assert_eq!(
            k(json!({"type":"http","scheme":"Basic"})),
            SchemeKind::Basic
        );
        assert_eq!(
            k(json!({"type":"http","scheme":"bearer","bearerFormat":"JWT"})),
            SchemeKind::Bearer {
                format: Some("JWT".into())
            }
        );
        let SchemeKind::OAuth2(flows) = k(
            json!({"type":"oauth2","flows":{"clientCredentials":{"tokenUrl":"https://x/token","scopes":{"a":"A"}}}}),
        ) else {
            panic!("not oauth2");
        };
        assert_eq!(
            flows
                .client_credentials
                .and_then(|f| f.token_url)
                .as_deref(),
            Some("https://x/token")
        );
        assert_eq!(k(json!({"type":"mutualTLS"})), SchemeKind::MutualTls);
        let SchemeKind::OAuth2(flows) = SecurityScheme::from_value(
            "o",
            &json!({"type":"oauth2","flow":"application","tokenUrl":"https://t"}),
            Version::Swagger2,
        )
        .kind
        else {
            panic!("not oauth2");
        };
        assert!(flows.client_credentials.is_some());
    }

    #[test]
    fn requirement_lists() {
        let r = requirements(&json!([{"a": [], "b": ["x"]}, {}]));
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].0[1], ("b".to_string(), vec!["x".to_string()]));
        assert!(r[1].0.is_empty());
    }
}
