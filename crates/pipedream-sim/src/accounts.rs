//! The account operations. Accounts live in one (project, environment, external user) partition;
//! a Connect-token caller sees only its own user's accounts.

use serde_json::{Map, Value, json};

use crate::apps;
use crate::guards::{self, Principal, opt_string, req_string};
use crate::http::{Credentials, Reply, Request, credentials};
use crate::ids;
use crate::model::{Account, Environment};
use crate::state::{Shared, State};

/// The default and largest page sizes of `listAccounts`.
const DEFAULT_LIMIT: usize = 10;
const MAX_LIMIT: usize = 100;

/// The API representation of an account. Credentials appear only when asked for.
pub(crate) fn account_json(a: &Account, include_credentials: bool) -> Value {
    let mut v = json!({
        "id": a.id,
        "name": a.name,
        "external_id": a.external_user_id,
        "healthy": a.healthy,
        "dead": a.dead,
        "app": a.app.to_json(),
        "created_at": ids::account_timestamp(a.created_at),
        "updated_at": ids::account_timestamp(a.updated_at),
        "authorized_scopes": [],
        "error": null,
        "last_refreshed_at": null,
        "next_refresh_at": null,
    });
    if include_credentials && let Some(obj) = v.as_object_mut() {
        obj.insert(
            "credentials".to_owned(),
            Value::Object(a.credentials.clone()),
        );
    }
    v
}

/// How the caller of `createAccount` authenticated. A Connect-token bearer is only compared with
/// the body's `connect_token`, which is then checked like any other.
enum CreateBearer {
    OAuth,
    Connect(String),
}

/// `POST /v1/connect/{project_id}/accounts`.
pub(crate) fn create_account(
    shared: &Shared,
    state: &mut State,
    req: &Request,
    project_id: &str,
) -> Result<Reply, Reply> {
    let now = state.now();
    let bearer = match credentials(req) {
        Some(Credentials::Bearer(t)) if t.starts_with("ctok_") => CreateBearer::Connect(t),
        Some(Credentials::Bearer(t)) => {
            guards::oauth(state, &t, "connect:accounts:write", now)?;
            CreateBearer::OAuth
        }
        None => {
            return Err(Reply::error(
                401,
                "missing Authorization header: send `Authorization: Bearer <token>`",
            ));
        }
        Some(_) => {
            return Err(Reply::error(
                401,
                "unsupported Authorization scheme: send `Authorization: Bearer <token>`",
            ));
        }
    };
    let env = guards::environment(shared, req)?;
    guards::project(shared, project_id)?;
    let body = req.json_object()?;

    let app_slug = req_string(&body, "app_slug")?;
    let app = apps::by_slug(&app_slug)
        .ok_or_else(|| Reply::error(400, format!("unknown app_slug `{app_slug}`")))?;
    let credentials = cfmap(&body)?;
    let connect_token = req_string(&body, "connect_token")?;
    let name = opt_string(&body, "name")?;
    let account_id = opt_string(&body, "account_id")?;
    guards::id_param(req, "oauth_app_id", "oa_")?;

    if let CreateBearer::Connect(bearer) = &bearer
        && *bearer != connect_token
    {
        return Err(Reply::error(
            401,
            "the bearer Connect token does not match connect_token",
        ));
    }
    let Some(token) = state.connect_token(&connect_token).cloned() else {
        return Err(Reply::error(401, "invalid connect_token"));
    };
    if now >= token.expires_at {
        return Err(Reply::error(401, "connect_token has expired"));
    }
    if token.used {
        return Err(Reply::error(401, "connect_token has already been used"));
    }
    if token.project_id != project_id {
        return Err(Reply::error(
            400,
            "connect_token was issued for another project",
        ));
    }
    if token.environment != env {
        return Err(Reply::error(
            400,
            format!(
                "connect_token was issued for the {} environment, not {env}",
                token.environment
            ),
        ));
    }
    if !guards::scope_allows(token.scope.split_whitespace(), "connect:accounts:write") {
        return Err(Reply::error(
            403,
            "insufficient scope: this request needs `connect:accounts:write`",
        ));
    }
    if let Some(user) = req.query_param("external_user_id")
        && user != token.external_user_id
    {
        return Err(Reply::error(
            400,
            "external_user_id does not match the user connect_token was issued for",
        ));
    }

    let account = if let Some(account_id) = account_id {
        let Some(existing) = state.accounts.iter_mut().find(|a| {
            a.id == account_id
                && a.project_id == project_id
                && a.environment == env
                && a.external_user_id == token.external_user_id
        }) else {
            return Err(not_found());
        };
        if existing.app.name_slug != app.name_slug {
            return Err(Reply::error(
                400,
                "account_id belongs to another app than app_slug",
            ));
        }
        existing.credentials = credentials;
        if name.is_some() {
            existing.name = name;
        }
        existing.updated_at = now;
        existing.clone()
    } else {
        let id = loop {
            let candidate = ids::prefixed_alnum("apn_", 7);
            if !state.account_seq.contains_key(&candidate) {
                break candidate;
            }
        };
        let seq = state.next_seq;
        state.next_seq += 1;
        state.account_seq.insert(id.clone(), seq);
        let account = Account {
            id,
            project_id: project_id.to_owned(),
            environment: env,
            external_user_id: token.external_user_id.clone(),
            app,
            name,
            credentials,
            healthy: true,
            dead: false,
            created_at: now,
            updated_at: now,
            seq,
        };
        state.accounts.push(account.clone());
        account
    };
    if let Some(t) = state.connect_token_mut(&connect_token) {
        t.used = true;
    }
    Ok(Reply::json(200, account_json(&account, false)))
}

/// `cfmap_json`: required, a string, and that string a JSON object.
fn cfmap(body: &Map<String, Value>) -> Result<Map<String, Value>, Reply> {
    let text = match body.get("cfmap_json") {
        None | Some(Value::Null) => return Err(Reply::error(400, "cfmap_json is required")),
        Some(Value::String(s)) => s,
        Some(_) => {
            return Err(Reply::error(
                400,
                "cfmap_json must be a string containing a JSON object, e.g. \"{\\\"api_key\\\":\\\"…\\\"}\"",
            ));
        }
    };
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(Reply::error(
            400,
            "cfmap_json must be a JSON object serialized into a string",
        )),
    }
}

fn not_found() -> Reply {
    Reply::error(404, "record not found")
}

/// Authentication, environment, project and partition checks shared by the read and delete
/// operations.
fn reader(
    shared: &Shared,
    state: &State,
    req: &Request,
    project_id: &str,
    scope: &str,
) -> Result<(Principal, Environment), Reply> {
    let principal = guards::authenticate(state, req, true, scope)?;
    let env = guards::environment(shared, req)?;
    guards::project(shared, project_id)?;
    guards::same_partition(&principal, project_id, env)?;
    Ok((principal, env))
}

fn visible(a: &Account, project_id: &str, env: Environment, principal: &Principal) -> bool {
    a.project_id == project_id
        && a.environment == env
        && match principal {
            Principal::OAuth => true,
            Principal::Connect(t) => a.external_user_id == t.external_user_id,
        }
}

/// The position named by a cursor, or the 400 for a cursor the simulator never issued.
fn cursor(state: &State, req: &Request, name: &str) -> Result<Option<u64>, Reply> {
    let Some(raw) = req.query_param(name) else {
        return Ok(None);
    };
    ids::decode_cursor(&raw)
        .and_then(|id| state.account_seq.get(&id).copied())
        .map(Some)
        .ok_or_else(|| Reply::error(400, format!("invalid {name} cursor")))
}

/// `GET /v1/connect/{project_id}/accounts`.
pub(crate) fn list_accounts(
    shared: &Shared,
    state: &State,
    req: &Request,
    project_id: &str,
) -> Result<Reply, Reply> {
    let (principal, env) = reader(shared, state, req, project_id, "connect:accounts:read")?;
    let limit = match req.query_param("limit") {
        None => DEFAULT_LIMIT,
        Some(v) => match v.parse::<usize>() {
            Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
            _ => {
                return Err(Reply::error(
                    400,
                    format!("limit must be an integer between 1 and {MAX_LIMIT}"),
                ));
            }
        },
    };
    let after = cursor(state, req, "after")?;
    let before = cursor(state, req, "before")?;
    let include_credentials = guards::bool_param(req, "include_credentials")?;
    let oauth_app_id = guards::id_param(req, "oauth_app_id", "oa_")?;
    let user = req.query_param("external_user_id");
    let app = req.query_param("app");

    let filtered: Vec<&Account> = state
        .accounts
        .iter()
        .filter(|a| visible(a, project_id, env, &principal))
        .filter(|a| user.as_deref().is_none_or(|u| a.external_user_id == u))
        .filter(|a| app.as_deref().is_none_or(|k| apps::matches(&a.app, k)))
        // No simulated account uses a custom OAuth client.
        .filter(|_| oauth_app_id.is_none())
        .collect();
    let window: Vec<&Account> = filtered
        .iter()
        .copied()
        .filter(|a| after.is_none_or(|s| a.seq > s) && before.is_none_or(|s| a.seq < s))
        .collect();
    let page: &[&Account] = if before.is_some() && after.is_none() {
        window
            .get(window.len().saturating_sub(limit)..)
            .unwrap_or_default()
    } else {
        window.get(..limit.min(window.len())).unwrap_or_default()
    };
    let (start_cursor, end_cursor) = match (page.first(), page.last()) {
        (Some(first), Some(last)) => (
            filtered
                .iter()
                .any(|a| a.seq < first.seq)
                .then(|| ids::encode_cursor(&first.id)),
            filtered
                .iter()
                .any(|a| a.seq > last.seq)
                .then(|| ids::encode_cursor(&last.id)),
        ),
        _ => (None, None),
    };
    Ok(Reply::json(
        200,
        json!({
            "data": page.iter().map(|a| account_json(a, include_credentials)).collect::<Vec<_>>(),
            "page_info": {
                "count": page.len(),
                "total_count": filtered.len(),
                "start_cursor": start_cursor,
                "end_cursor": end_cursor,
            },
        }),
    ))
}

/// `GET /v1/connect/{project_id}/accounts/{account_id}`.
pub(crate) fn retrieve_account(
    shared: &Shared,
    state: &State,
    req: &Request,
    project_id: &str,
    account_id: &str,
) -> Result<Reply, Reply> {
    let (principal, env) = reader(shared, state, req, project_id, "connect:accounts:read")?;
    let include_credentials = guards::bool_param(req, "include_credentials")?;
    state
        .accounts
        .iter()
        .find(|a| a.id == account_id && visible(a, project_id, env, &principal))
        .map(|a| Reply::json(200, account_json(a, include_credentials)))
        .ok_or_else(not_found)
}

/// `DELETE /v1/connect/{project_id}/accounts/{account_id}`.
pub(crate) fn delete_account(
    shared: &Shared,
    state: &mut State,
    req: &Request,
    project_id: &str,
    account_id: &str,
) -> Result<Reply, Reply> {
    let (principal, env) = reader(shared, state, req, project_id, "connect:accounts:write")?;
    let before = state.accounts.len();
    state
        .accounts
        .retain(|a| !(a.id == account_id && visible(a, project_id, env, &principal)));
    if state.accounts.len() == before {
        return Err(not_found());
    }
    Ok(Reply::empty(204))
}
