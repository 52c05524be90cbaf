//! The OAuth2 client-credentials token request and its response.

use std::collections::HashMap;

use arazzo_openapi::HttpRequest;
use arazzo_openapi::security::OAuthFlow;
use base64::Engine as _;
use url::Url;

use super::{ClientAuth, Credential};
use crate::secrets::Secrets;

/// The fields of a token response that hold tokens.
const TOKEN_FIELDS: [&str; 3] = ["access_token", "refresh_token", "id_token"];

/// Adds the tokens of a token response (`access_token`, `refresh_token`,
/// `id_token`; JSON or form) to `secrets` — called on the response before
/// anything logs it, so the tokens are secrets the moment they arrive.
pub(crate) fn add_token_secrets(secrets: &mut Secrets, content_type: Option<&str>, body: &[u8]) {
    let form = content_type.is_some_and(|c| c.contains("x-www-form-urlencoded"));
    if form {
        for (k, v) in url::form_urlencoded::parse(body) {
            if TOKEN_FIELDS.contains(&k.as_ref()) {
                secrets.add(&v);
            }
        }
    } else if let Ok(serde_json::Value::Object(m)) = serde_json::from_slice(body) {
        for field in TOKEN_FIELDS {
            if let Some(v) = m.get(field) {
                secrets.add_value(v);
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
        // A cut text ends with `…`, which masking knows: a secret cut here is masked too.
        let mut short: String = text.chars().take(200).collect();
        if short.len() < text.len() {
            short.push('…');
        }
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
