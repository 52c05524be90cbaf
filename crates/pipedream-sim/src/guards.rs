//! Checks shared by the Connect handlers: the bearer, the environment header, the project, and
//! injected failures. Each returns the error [`Reply`] the real service would send, so handlers
//! read as a list of `?`s in the order Pipedream applies them.

use std::time::{Duration, SystemTime};

use serde_json::{Map, Value};

use crate::http::{Credentials, Reply, Request, credentials, is_prefixed_alnum};
use crate::ids::unix_secs;
use crate::model::{ConnectToken, Environment, Operation};
use crate::state::{PlannedFailure, Shared, State};

/// Who is calling.
#[derive(Debug, Clone)]
pub(crate) enum Principal {
    /// The server, with an OAuth access token.
    OAuth,
    /// An end user's browser, with a Connect token.
    Connect(ConnectToken),
}

/// Whether a granted scope list allows `needed`. `*` allows everything and `x:*` allows every
/// scope that starts with `x:`, as Pipedream's scope names imply.
pub(crate) fn scope_allows<'a>(granted: impl IntoIterator<Item = &'a str>, needed: &str) -> bool {
    granted.into_iter().any(|g| {
        g == "*"
            || g == needed
            || g.strip_suffix('*')
                .is_some_and(|prefix| prefix.ends_with(':') && needed.starts_with(prefix))
    })
}

fn insufficient_scope(needed: &str) -> Reply {
    Reply::error(
        403,
        format!("insufficient scope: this request needs `{needed}`"),
    )
}

/// Authenticates the bearer. `allow_connect` says whether the operation accepts Connect tokens;
/// `scope` is the OAuth scope it needs.
pub(crate) fn authenticate(
    state: &State,
    req: &Request,
    allow_connect: bool,
    scope: &str,
) -> Result<Principal, Reply> {
    let now = state.now();
    match credentials(req) {
        None => Err(Reply::error(
            401,
            "missing Authorization header: send `Authorization: Bearer <token>`",
        )),
        Some(Credentials::Bearer(token)) if token.starts_with("ctok_") => {
            if !allow_connect {
                return Err(Reply::error(
                    403,
                    "this endpoint requires an OAuth access token, not a Connect token",
                ));
            }
            let Some(t) = state.connect_token(&token) else {
                return Err(Reply::error(401, "invalid Connect token"));
            };
            if now >= t.expires_at {
                return Err(Reply::error(401, "Connect token has expired"));
            }
            if !scope_allows(t.scope.split_whitespace(), scope) {
                return Err(insufficient_scope(scope));
            }
            Ok(Principal::Connect(t.clone()))
        }
        Some(Credentials::Bearer(token)) => {
            oauth(state, &token, scope, now).map(|()| Principal::OAuth)
        }
        Some(_) => Err(Reply::error(
            401,
            "unsupported Authorization scheme: send `Authorization: Bearer <token>`",
        )),
    }
}

/// Checks an OAuth access token and its scope.
pub(crate) fn oauth(state: &State, token: &str, scope: &str, now: SystemTime) -> Result<(), Reply> {
    let Some(t) = state.access_tokens.get(token) else {
        return Err(Reply::error(401, "invalid access token"));
    };
    if now >= t.expires_at {
        return Err(Reply::error(401, "access token has expired"));
    }
    if !scope_allows(t.scopes.iter().map(String::as_str), scope) {
        return Err(insufficient_scope(scope));
    }
    Ok(())
}

/// The `x-pd-environment` header: required to be one of the two values when present; when absent
/// `production` unless the simulator is strict.
pub(crate) fn environment(shared: &Shared, req: &Request) -> Result<Environment, Reply> {
    match req.header("x-pd-environment") {
        None if shared.config.strict_environment => Err(Reply::error(
            400,
            "the x-pd-environment header is required (development or production)",
        )),
        None => Ok(Environment::Production),
        Some(v) => Environment::parse(v.trim()).ok_or_else(|| {
            Reply::error(
                400,
                format!("invalid x-pd-environment `{v}`: expected development or production"),
            )
        }),
    }
}

/// The project in the path: malformed is 400, well-formed but unknown is 404.
pub(crate) fn project(shared: &Shared, project_id: &str) -> Result<(), Reply> {
    if !is_prefixed_alnum(project_id, "proj_") {
        return Err(Reply::error(
            400,
            "invalid project_id: expected proj_ followed by letters and digits",
        ));
    }
    if project_id != shared.config.project_id {
        return Err(Reply::error(404, "project not found"));
    }
    Ok(())
}

/// A Connect-token caller may only act in the project and environment its token was minted for.
pub(crate) fn same_partition(
    principal: &Principal,
    project_id: &str,
    env: Environment,
) -> Result<(), Reply> {
    match principal {
        Principal::Connect(t) if t.project_id != project_id || t.environment != env => {
            Err(Reply::error(
                403,
                "this Connect token belongs to another project or environment",
            ))
        }
        _ => Ok(()),
    }
}

/// The reply to an injected failure. 429s carry the headers Pipedream sends when throttling.
pub(crate) fn injected(op: Operation, failure: PlannedFailure, now: SystemTime) -> Reply {
    let status = if (200..=599).contains(&failure.status) {
        failure.status
    } else {
        500
    };
    let mut reply = if status == 429 {
        Reply::error(429, "Throttled")
    } else if status == 204 || status == 304 {
        Reply::empty(status)
    } else {
        let reason = http::StatusCode::from_u16(status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("Injected failure");
        Reply::error(status, reason)
    };
    if let Some(secs) = failure.retry_after_secs {
        reply = reply.with_header("retry-after", secs.to_string());
    }
    if status == 429 {
        let wait = failure.retry_after_secs.unwrap_or(60);
        let reset = unix_secs(now.checked_add(Duration::from_secs(wait)).unwrap_or(now));
        reply = reply
            .with_header("x-ratelimit-limit", op.rate_limit().to_string())
            .with_header("x-ratelimit-remaining", "0")
            .with_header("x-ratelimit-reset", reset.to_string());
    }
    reply
}

/// An optional string field: absent and `null` are `None`, any other non-string is a 400.
pub(crate) fn opt_string(body: &Map<String, Value>, name: &str) -> Result<Option<String>, Reply> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(Reply::error(400, format!("{name} must be a string"))),
    }
}

/// A required string field.
pub(crate) fn req_string(body: &Map<String, Value>, name: &str) -> Result<String, Reply> {
    match body.get(name) {
        None | Some(Value::Null) => Err(Reply::error(400, format!("{name} is required"))),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(Reply::error(400, format!("{name} must be a string"))),
    }
}

/// A boolean query parameter (`true` or `false`).
pub(crate) fn bool_param(req: &Request, name: &str) -> Result<bool, Reply> {
    match req.query_param(name).as_deref() {
        None => Ok(false),
        Some("true") => Ok(true),
        Some("false") => Ok(false),
        Some(other) => Err(Reply::error(
            400,
            format!("{name} must be true or false, not `{other}`"),
        )),
    }
}

/// An optional query parameter that must be an id with the given prefix.
pub(crate) fn id_param(req: &Request, name: &str, prefix: &str) -> Result<Option<String>, Reply> {
    match req.query_param(name) {
        None => Ok(None),
        Some(v) if is_prefixed_alnum(&v, prefix) => Ok(Some(v)),
        Some(v) => Err(Reply::error(
            400,
            format!("invalid {name} `{v}`: expected {prefix} followed by letters and digits"),
        )),
    }
}
