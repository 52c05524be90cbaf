//! Choosing a security alternative for a request and applying it.

use arazzo_openapi::HttpRequest;
use arazzo_openapi::security::{ApiKeyIn, Requirement, SchemeKind, SecurityScheme};
use base64::Engine as _;
use indexmap::IndexMap;
use url::Url;

use super::{Credential, Credentials};

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
    // How to supply them is the embedder's to say (the CLI names its flags).
    AuthDecision::Missing(format!("no credentials for {}", missing_names.join(" or ")))
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
