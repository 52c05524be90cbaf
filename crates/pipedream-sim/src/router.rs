//! Maps a request to an operation and runs its handler under the state lock.

use crate::http::{Reply, Request, decode_segment};
use crate::model::Operation;
use crate::state::Shared;
use crate::{accounts, guards, oauth, tokens};

/// A matched route: the operation and its path parameters.
struct Route {
    op: Operation,
    project_id: String,
    /// The `ctok` or `account_id` path parameter, when the route has one.
    id: String,
}

fn route(method: &str, path: &str) -> Option<Route> {
    let segments: Vec<String> = path
        .strip_prefix('/')?
        .split('/')
        .map(decode_segment)
        .collect();
    if segments.iter().any(String::is_empty) {
        return None;
    }
    let s: Vec<&str> = segments.iter().map(String::as_str).collect();
    let (op, project_id, id) = match (method, s.as_slice()) {
        ("POST", ["v1", "oauth", "token"]) => (Operation::CreateOauthToken, "", ""),
        ("GET", ["v1", "connect", "tokens", ctok, "validate"]) => {
            (Operation::ValidateToken, "", *ctok)
        }
        ("POST", ["v1", "connect", project, "tokens"]) => (Operation::CreateToken, *project, ""),
        ("GET", ["v1", "connect", project, "accounts"]) => (Operation::ListAccounts, *project, ""),
        ("POST", ["v1", "connect", project, "accounts"]) => {
            (Operation::CreateAccount, *project, "")
        }
        ("GET", ["v1", "connect", project, "accounts", account]) => {
            (Operation::RetrieveAccount, *project, *account)
        }
        ("DELETE", ["v1", "connect", project, "accounts", account]) => {
            (Operation::DeleteAccount, *project, *account)
        }
        _ => return None,
    };
    Some(Route {
        op,
        project_id: project_id.to_owned(),
        id: id.to_owned(),
    })
}

/// The operation a method and path route to, if any.
pub(crate) fn operation_of(method: &str, path: &str) -> Option<Operation> {
    route(method, path).map(|r| r.op)
}

/// Answers one request. Returns the operation it matched (for the recording) and the reply.
pub(crate) fn handle(shared: &Shared, req: &Request) -> (Option<Operation>, Reply) {
    let Some(r) = route(&req.method, &req.path) else {
        return (
            None,
            Reply::error(404, format!("no route for {} {}", req.method, req.path)),
        );
    };
    let mut state = shared.lock();
    if let Some(failure) = state.take_failure(r.op) {
        let now = state.now();
        return (Some(r.op), guards::injected(r.op, failure, now));
    }
    let result = match r.op {
        Operation::CreateOauthToken => Ok(oauth::create_oauth_token(shared, &mut state, req)),
        Operation::CreateToken => tokens::create_token(shared, &mut state, req, &r.project_id),
        Operation::ValidateToken => tokens::validate_token(shared, &state, req, &r.id),
        Operation::CreateAccount => {
            accounts::create_account(shared, &mut state, req, &r.project_id)
        }
        Operation::ListAccounts => accounts::list_accounts(shared, &state, req, &r.project_id),
        Operation::RetrieveAccount => {
            accounts::retrieve_account(shared, &state, req, &r.project_id, &r.id)
        }
        Operation::DeleteAccount => {
            accounts::delete_account(shared, &mut state, req, &r.project_id, &r.id)
        }
    };
    (Some(r.op), result.unwrap_or_else(|e| e))
}
