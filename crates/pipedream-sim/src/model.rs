//! The public data types: configuration, operations, server-side records and recorded exchanges.

use std::fmt;
use std::str::FromStr;
use std::time::{Duration, SystemTime};

use serde_json::{Map, Value};

/// How the simulator is set up. Tests build one with [`SimConfig::new`] or [`SimConfig::default`]
/// and adjust the public fields, so new knobs never break existing callers.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// The OAuth client id that `POST /v1/oauth/token` accepts.
    pub client_id: String,
    /// The OAuth client secret that goes with [`SimConfig::client_id`].
    pub client_secret: String,
    /// The one Connect project that exists (`proj_…`); every other project id is 404.
    pub project_id: String,
    /// The project's display name, reported by `validateToken` as `project_app_name`.
    pub project_name: String,
    /// When true, a request without `x-pd-environment` is a 400. When false (the default) it
    /// works in `production`, as older Pipedream clients relied on.
    pub strict_environment: bool,
    /// How long OAuth access tokens live; Pipedream's are valid for one hour.
    pub access_token_ttl: Duration,
    /// How long Connect tokens live when `expires_in` is absent; Pipedream's default is 4 hours.
    /// `expires_in` in the request still wins, up to the 4-hour maximum.
    pub connect_token_ttl: Duration,
    /// The largest request body accepted; larger bodies get 413.
    pub max_body_bytes: usize,
}

impl SimConfig {
    /// Credentials and project id, with every other setting at its default.
    pub fn new(
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
        project_id: impl Into<String>,
    ) -> Self {
        SimConfig {
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            project_id: project_id.into(),
            ..SimConfig::default()
        }
    }
}

impl Default for SimConfig {
    /// The values `specs/pipedream/inputs.example.yaml` uses, so the example inputs run unchanged.
    fn default() -> Self {
        SimConfig {
            client_id: "sim-client-id".to_owned(),
            client_secret: "sim-client-secret".to_owned(),
            project_id: "proj_Qx7Lm2Ka".to_owned(),
            project_name: "Acme Integrations".to_owned(),
            strict_environment: false,
            access_token_ttl: Duration::from_secs(3600),
            connect_token_ttl: Duration::from_secs(4 * 3600),
            max_body_bytes: 1024 * 1024,
        }
    }
}

/// One of the Pipedream Connect operations the simulator serves, named after its `operationId`.
/// Used to aim injected failures ([`crate::Simulator::fail_next`]) and to label recorded requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    /// `POST /v1/oauth/token` (`createOauthToken`).
    CreateOauthToken,
    /// `POST /v1/connect/{project_id}/tokens` (`createToken`).
    CreateToken,
    /// `GET /v1/connect/tokens/{ctok}/validate` (`validateToken`).
    ValidateToken,
    /// `POST /v1/connect/{project_id}/accounts` (`createAccount`).
    CreateAccount,
    /// `GET /v1/connect/{project_id}/accounts` (`listAccounts`).
    ListAccounts,
    /// `GET /v1/connect/{project_id}/accounts/{account_id}` (`retrieveAccount`).
    RetrieveAccount,
    /// `DELETE /v1/connect/{project_id}/accounts/{account_id}` (`deleteAccount`).
    DeleteAccount,
}

impl Operation {
    /// Every operation, in the order the onboarding flow meets them.
    pub const ALL: [Operation; 7] = [
        Operation::CreateOauthToken,
        Operation::CreateToken,
        Operation::ValidateToken,
        Operation::CreateAccount,
        Operation::ListAccounts,
        Operation::RetrieveAccount,
        Operation::DeleteAccount,
    ];

    /// The `operationId` in `specs/pipedream/openapi/pipedream-openapi.yml`.
    pub fn operation_id(self) -> &'static str {
        match self {
            Operation::CreateOauthToken => "createOauthToken",
            Operation::CreateToken => "createToken",
            Operation::ValidateToken => "validateToken",
            Operation::CreateAccount => "createAccount",
            Operation::ListAccounts => "listAccounts",
            Operation::RetrieveAccount => "retrieveAccount",
            Operation::DeleteAccount => "deleteAccount",
        }
    }

    /// The `X-RateLimit-Limit` a throttled response of this operation reports, after Pipedream's
    /// published limits (100 token requests per minute, 2,000 account requests per 5 minutes).
    pub(crate) fn rate_limit(self) -> u64 {
        match self {
            Operation::CreateOauthToken | Operation::CreateToken | Operation::ValidateToken => 100,
            _ => 2000,
        }
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.operation_id())
    }
}

impl FromStr for Operation {
    type Err = UnknownOperation;

    /// Parses an `operationId`, so a test or the binary can name operations as the description does.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Operation::ALL
            .into_iter()
            .find(|op| op.operation_id() == s)
            .ok_or_else(|| UnknownOperation(s.to_owned()))
    }
}

/// The error of parsing an [`Operation`] from a string that is not one of its `operationId`s.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownOperation(pub String);

impl fmt::Display for UnknownOperation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown operationId `{}`", self.0)
    }
}

impl std::error::Error for UnknownOperation {}

/// A project's data partition, the value of the `x-pd-environment` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Environment {
    /// For building and testing.
    Development,
    /// For real end users; what the service assumes when the header is absent.
    Production,
}

impl Environment {
    /// The header value.
    pub fn as_str(self) -> &'static str {
        match self {
            Environment::Development => "development",
            Environment::Production => "production",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Environment> {
        match s {
            "development" => Some(Environment::Development),
            "production" => Some(Environment::Production),
            _ => None,
        }
    }
}

impl fmt::Display for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An app's public metadata, as the `App` schema describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct App {
    /// The app id (`app_…`).
    pub id: String,
    /// The stable slug used as `app_slug` and in the `app` filter.
    pub name_slug: String,
    /// The display name.
    pub name: String,
    /// `keys`, `oauth` or `none`.
    pub auth_type: String,
    /// A one-line description.
    pub description: String,
    /// The logo URL.
    pub img_src: String,
    /// The credential fields as a JSON array serialized into a string, as Pipedream returns it.
    pub custom_fields_json: String,
    /// Directory categories.
    pub categories: Vec<String>,
    /// Popularity ordering.
    pub featured_weight: f64,
}

impl App {
    pub(crate) fn to_json(&self) -> Value {
        serde_json::json!({
            "id": self.id,
            "name_slug": self.name_slug,
            "name": self.name,
            "auth_type": self.auth_type,
            "description": self.description,
            "img_src": self.img_src,
            "custom_fields_json": self.custom_fields_json,
            "categories": self.categories,
            "featured_weight": self.featured_weight,
        })
    }
}

/// A connected account as the simulator stores it: the API fields plus the partition it lives in.
#[derive(Debug, Clone, PartialEq)]
pub struct Account {
    /// `apn_` followed by 7 letters and digits.
    pub id: String,
    /// The project the account belongs to.
    pub project_id: String,
    /// The environment the account belongs to.
    pub environment: Environment,
    /// The end user (`external_id` in the API), taken from the Connect token that created it.
    pub external_user_id: String,
    /// The connected app.
    pub app: App,
    /// The display name, if one was given.
    pub name: Option<String>,
    /// The parsed `cfmap_json`, returned only with `include_credentials=true`.
    pub credentials: Map<String, Value>,
    /// Always true for a freshly connected key-based account.
    pub healthy: bool,
    /// Always false for a freshly connected account.
    pub dead: bool,
    /// When the account was connected (simulator clock).
    pub created_at: SystemTime,
    /// When the account was connected or last reconnected (simulator clock).
    pub updated_at: SystemTime,
    /// Creation order; cursors and listings follow it.
    pub(crate) seq: u64,
}

/// A Connect token as the simulator stores it.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectToken {
    /// `ctok_` followed by 32 lowercase hex digits.
    pub token: String,
    /// The project it was minted for.
    pub project_id: String,
    /// The environment it was minted for.
    pub environment: Environment,
    /// The end user it was minted for.
    pub external_user_id: String,
    /// When it stops working (simulator clock).
    pub expires_at: SystemTime,
    /// Whether an account was already connected with it; tokens are single use.
    pub used: bool,
    /// Space-separated scopes (`connect:*` by default).
    pub scope: String,
    /// The `success_redirect_uri` given at creation, if any.
    pub success_redirect_uri: Option<String>,
    /// The `error_redirect_uri` given at creation, if any.
    pub error_redirect_uri: Option<String>,
}

/// One request the simulator received, with the response it gave, so tests can assert what a
/// client actually sent (and check what the simulator answered against the description).
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedRequest {
    /// The HTTP method, upper case.
    pub method: String,
    /// The path, without the query.
    pub path: String,
    /// The raw query string, without `?`, if there was one.
    pub query: Option<String>,
    /// Every header, names lower-cased, in arrival order.
    pub headers: Vec<(String, String)>,
    /// The raw body.
    pub body: Vec<u8>,
    /// The operation the route matched, or `None` for an unknown route.
    pub operation: Option<Operation>,
    /// What the simulator answered.
    pub response: RecordedResponse,
}

impl RecordedRequest {
    /// The first header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The decoded query parameters, in order.
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        self.query
            .as_deref()
            .map(crate::http::parse_form)
            .unwrap_or_default()
    }

    /// The first query parameter with this name.
    pub fn query_param(&self, name: &str) -> Option<String> {
        self.query_pairs()
            .into_iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }

    /// The body parsed as JSON, or `None` if it is empty or not JSON.
    pub fn body_json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

/// The response half of a [`RecordedRequest`].
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedResponse {
    /// The status code.
    pub status: u16,
    /// Every header, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// The raw body (empty for 204).
    pub body: Vec<u8>,
}

impl RecordedResponse {
    /// The first header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body parsed as JSON, or `None` if it is empty or not JSON.
    pub fn body_json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }
}
