//! `POST /v1/oauth/token`: the OAuth 2.0 client-credentials grant.
//!
//! Pipedream documents a JSON body. Generic OAuth 2.0 clients (including the engine's) send the
//! standard form instead, with the client credentials in the form (`client_secret_post`) or in an
//! HTTP Basic header (`client_secret_basic`), so all three are accepted.

use serde_json::{Map, Value, json};

use crate::http::{Credentials, Reply, Request, credentials, parse_form};
use crate::ids;
use crate::state::{AccessToken, Shared, State};

/// The scopes Pipedream's OAuth clients can request.
pub(crate) const SCOPES: &[&str] = &[
    "*",
    "connect:*",
    "connect:actions:*",
    "connect:triggers:*",
    "connect:accounts:read",
    "connect:accounts:write",
    "connect:deployed_triggers:read",
    "connect:deployed_triggers:write",
    "connect:users:read",
    "connect:users:write",
    "connect:projects:read",
    "connect:projects:write",
    "connect:usage:read",
    "connect:tokens:create",
    "connect:proxy",
    "connect:workflow:invoke",
];

fn invalid_request(description: impl Into<String>) -> Reply {
    Reply::oauth_error(400, "invalid_request", description)
}

/// The grant's parameters, from a form or a JSON object, as strings.
fn parameters(req: &Request) -> Result<Map<String, Value>, Reply> {
    if req.media_type().as_deref() == Some("application/x-www-form-urlencoded") {
        let text = String::from_utf8_lossy(&req.body);
        let mut map = Map::new();
        for (k, v) in parse_form(&text) {
            map.entry(k).or_insert(Value::String(v));
        }
        return Ok(map);
    }
    if req.body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(&req.body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(invalid_request("the request body must be a JSON object")),
        Err(e) => Err(invalid_request(format!("malformed JSON body: {e}"))),
    }
}

fn string_param(params: &Map<String, Value>, name: &str) -> Result<Option<String>, Reply> {
    match params.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(invalid_request(format!("{name} must be a string"))),
    }
}

/// Handles the token request.
pub(crate) fn create_oauth_token(shared: &Shared, state: &mut State, req: &Request) -> Reply {
    match issue(shared, state, req) {
        Ok(reply) | Err(reply) => reply,
    }
}

fn issue(shared: &Shared, state: &mut State, req: &Request) -> Result<Reply, Reply> {
    let params = parameters(req)?;
    match string_param(&params, "grant_type")?.as_deref() {
        None => return Err(invalid_request("grant_type is required")),
        Some("client_credentials") => {}
        Some(other) => {
            return Err(Reply::oauth_error(
                400,
                "unsupported_grant_type",
                format!("grant type `{other}` is not supported; use client_credentials"),
            ));
        }
    }

    let header = credentials(req);
    let used_basic = matches!(header, Some(Credentials::Basic { .. }));
    let (id, secret) = match (string_param(&params, "client_id")?, header) {
        // Some clients put the id in the form and the secret only in the Basic header.
        (Some(id), header) => {
            let secret = match (string_param(&params, "client_secret")?, header) {
                (Some(secret), _) => secret,
                (
                    None,
                    Some(Credentials::Basic {
                        id: basic_id,
                        secret,
                    }),
                ) if basic_id == id => secret,
                (None, _) => String::new(),
            };
            (id, secret)
        }
        (None, Some(Credentials::Basic { id, secret })) => (id, secret),
        (None, _) => {
            return Err(Reply::oauth_error(
                401,
                "invalid_client",
                "client authentication required: send client_id and client_secret",
            ));
        }
    };
    if id != shared.config.client_id || secret != shared.config.client_secret {
        let reply = Reply::oauth_error(401, "invalid_client", "client authentication failed");
        return Err(if used_basic {
            reply.with_header("www-authenticate", "Basic realm=\"pipedream\"")
        } else {
            reply
        });
    }

    let requested = string_param(&params, "scope")?.unwrap_or_default();
    let mut scopes: Vec<String> = requested.split_whitespace().map(str::to_owned).collect();
    if let Some(unknown) = scopes.iter().find(|s| !SCOPES.contains(&s.as_str())) {
        return Err(Reply::oauth_error(
            400,
            "invalid_scope",
            format!("unknown scope `{unknown}`"),
        ));
    }
    if scopes.is_empty() {
        scopes.push("*".to_owned());
    }

    let now = state.now();
    let ttl = shared.config.access_token_ttl;
    let token = ids::access_token(&shared.workspace_id, &scopes, now, ttl);
    state.access_tokens.insert(
        token.clone(),
        AccessToken {
            expires_at: now.checked_add(ttl).unwrap_or(now),
            scopes,
        },
    );
    Ok(Reply::json(
        200,
        json!({ "access_token": token, "token_type": "Bearer", "expires_in": ttl.as_secs() }),
    )
    .with_header("cache-control", "no-store")
    .with_header("pragma", "no-cache"))
}
