//! `createToken` and `validateToken`: Connect tokens are minted by the server (OAuth) for one
//! end user in one project environment, last at most four hours, and are consumed by the first
//! account connected with them.

use std::time::Duration;

use serde_json::{Map, Value, json};

use crate::apps;
use crate::guards::{self, opt_string};
use crate::http::{Reply, Request, is_connect_token};
use crate::ids;
use crate::model::ConnectToken;
use crate::state::{Shared, State};

/// The longest a Connect token may live, in seconds (4 hours).
const MAX_TTL_SECS: u64 = 14_400;

/// `POST /v1/connect/{project_id}/tokens`.
pub(crate) fn create_token(
    shared: &Shared,
    state: &mut State,
    req: &Request,
    project_id: &str,
) -> Result<Reply, Reply> {
    guards::authenticate(state, req, false, "connect:tokens:create")?;
    let env = guards::environment(shared, req)?;
    guards::project(shared, project_id)?;
    let body = req.json_object()?;

    let external_user_id = match body.get("external_user_id") {
        None | Some(Value::Null) => return Err(Reply::error(400, "external_user_id is required")),
        Some(Value::String(s)) if s.trim().is_empty() => {
            return Err(Reply::error(400, "external_user_id must not be empty"));
        }
        Some(Value::String(s)) if s.chars().count() > 250 => {
            return Err(Reply::error(
                400,
                "external_user_id must be at most 250 characters",
            ));
        }
        Some(Value::String(s)) => s.clone(),
        Some(_) => return Err(Reply::error(400, "external_user_id must be a string")),
    };
    // `project_id` in the body is ignored: the project is the one in the path. Pipedream's
    // published description lists it as required without defining it, and the published
    // workflows send it, so it must not be rejected either.
    validate_optional_fields(&body)?;

    let ttl = match body.get("expires_in") {
        None | Some(Value::Null) => shared.config.connect_token_ttl,
        Some(v) => match v.as_u64() {
            Some(secs) if (1..=MAX_TTL_SECS).contains(&secs) => Duration::from_secs(secs),
            _ => {
                return Err(Reply::error(
                    400,
                    "expires_in must be an integer number of seconds between 1 and 14400",
                ));
            }
        },
    };
    let now = state.now();
    let token = ConnectToken {
        token: ids::connect_token(),
        project_id: project_id.to_owned(),
        environment: env,
        external_user_id,
        expires_at: now.checked_add(ttl).unwrap_or(now),
        used: false,
        scope: opt_string(&body, "scope")?.unwrap_or_else(|| "connect:*".to_owned()),
        success_redirect_uri: opt_string(&body, "success_redirect_uri")?,
        error_redirect_uri: opt_string(&body, "error_redirect_uri")?,
    };
    let reply = Reply::json(
        200,
        json!({
            "token": token.token,
            "expires_at": ids::token_timestamp(token.expires_at),
            "connect_link_url": format!(
                "https://pipedream.com/_static/connect.html?token={}&connectLink=true",
                token.token
            ),
        }),
    );
    state.connect_tokens.push(token);
    Ok(reply)
}

/// Type-checks the optional fields of `CreateTokenOpts` that the simulator otherwise ignores.
fn validate_optional_fields(body: &Map<String, Value>) -> Result<(), Reply> {
    for name in [
        "success_redirect_uri",
        "error_redirect_uri",
        "webhook_uri",
        "scope",
    ] {
        opt_string(body, name)?;
    }
    match body.get("allowed_origins") {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) if items.iter().all(Value::is_string) => {}
        Some(_) => {
            return Err(Reply::error(
                400,
                "allowed_origins must be an array of strings",
            ));
        }
    }
    match body.get("allow_progressive_scopes") {
        None | Some(Value::Null | Value::Bool(_)) => {}
        Some(_) => {
            return Err(Reply::error(
                400,
                "allow_progressive_scopes must be a boolean",
            ));
        }
    }
    Ok(())
}

fn invalid(reason: &str) -> Reply {
    Reply::json(200, json!({ "success": false, "error": reason }))
}

/// `GET /v1/connect/tokens/{ctok}/validate`. The token in the path is the credential; an unusable
/// token is a 200 with `success: false`, not an HTTP error.
pub(crate) fn validate_token(
    shared: &Shared,
    state: &State,
    req: &Request,
    ctok: &str,
) -> Result<Reply, Reply> {
    if !is_connect_token(ctok) {
        return Err(Reply::error(
            400,
            "invalid ctok: expected ctok_ followed by 32 lowercase hex digits",
        ));
    }
    let app_id = match req.query_param("app_id") {
        Some(v) if !v.is_empty() => v,
        _ => return Err(Reply::error(400, "app_id is required")),
    };
    let account_id = guards::id_param(req, "account_id", "apn_")?;
    guards::id_param(req, "oauth_app_id", "oa_")?;

    let Some(token) = state.connect_token(ctok) else {
        return Ok(invalid("invalid connect token"));
    };
    if state.now() >= token.expires_at {
        return Ok(invalid("connect token has expired"));
    }
    if token.used {
        return Ok(invalid("connect token has already been used"));
    }
    let Some(app) = apps::by_slug_or_id(&app_id) else {
        return Ok(invalid("app not found"));
    };
    if let Some(account_id) = account_id {
        let owned = state.accounts.iter().any(|a| {
            a.id == account_id
                && a.project_id == token.project_id
                && a.environment == token.environment
                && a.external_user_id == token.external_user_id
                && apps::matches(&a.app, &app.name_slug)
        });
        if !owned {
            return Ok(invalid("account not found for this user and app"));
        }
    }
    Ok(Reply::json(
        200,
        json!({
            "success": true,
            "error": null,
            "app": app.to_json(),
            "project_id": token.project_id,
            "project_environment": token.environment.as_str(),
            "project_app_name": shared.config.project_name,
            "project_support_email": null,
            "success_redirect_uri": token.success_redirect_uri,
            "error_redirect_uri": token.error_redirect_uri,
            "oauth_app_id": null,
        }),
    ))
}
