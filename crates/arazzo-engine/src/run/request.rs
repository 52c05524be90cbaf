//! An operation step's request: built from the plan (parameters, body,
//! replacements, what a mock should answer), authorized with the run's
//! credentials when it is handed out, OAuth2 tokens fetched first where a
//! scheme needs one; and the response fed back.

use std::sync::Arc;
use std::time::Duration;

use arazzo_openapi::HttpRequest;
use arazzo_openapi::request::{BodyValue, ParamValue, build_request};
use serde_json::Value;

use super::{Command, Phase, Run, RunClock, Token, Waiting};
use crate::auth::{self, Applied, AuthDecision, ClientAuth, Credential};
use crate::context::Ctx;
use crate::exchange::{Exchange, HttpResponse, TransportError, parse_body, replace};
use crate::plan::{ApiIndex, OperationIndex, StepPlan, Target};
use crate::report::FailureKind;

/// The longest `Arazzo-Expect` header a step sends to a mock server.
const MAX_EXPECT_HEADER: usize = 8 * 1024;

/// A request cannot be authorized before a token is obtained.
pub(super) struct NeedToken;

impl Run {
    /// Builds the request of an operation step.
    pub(super) fn build(
        &mut self,
        step: &StepPlan,
        op: OperationIndex,
    ) -> Result<HttpRequest, String> {
        let plan = &self.plan;
        let opp = plan.operation(op).ok_or("the operation is missing")?;
        let api = plan.api(opp.api).ok_or("the description is missing")?;
        let base = if api.overridden {
            api.server.clone()
        } else {
            opp.server
                .clone()
                .map(Ok)
                .unwrap_or_else(|| api.server.clone())
        };
        let base = base.map_err(|e| format!("no server to send {} to: {e}", opp.op.label()))?;
        let frame = self.st.frames.last().ok_or("no frame")?;
        let ctx = Ctx::new(plan, &self.st, frame, None);
        let mut params = Vec::new();
        for p in &step.params {
            let Some(location) = p.location else { continue };
            match p.value.evaluate(&ctx) {
                Ok(Some(v)) => params.push(ParamValue {
                    name: p.name.clone(),
                    location,
                    value: v,
                }),
                Ok(None) => {}
                Err(e) => return Err(format!("parameter `{}`: {e}", p.name)),
            }
        }
        let mut body = None;
        let body_type = step
            .body
            .as_ref()
            .and_then(|b| b.content_type.clone())
            .or_else(|| {
                opp.op
                    .request_body
                    .as_ref()
                    .and_then(|rb| rb.default_media())
                    .map(|m| m.media_type.clone())
            });
        let json_body = body_type
            .as_deref()
            .is_some_and(arazzo_openapi::media::is_json);
        let form_body = body_type.as_deref().is_some_and(|ct| {
            arazzo_openapi::media::essence(ct) == "application/x-www-form-urlencoded"
        });
        if let Some(b) = &step.body {
            let mut payload = match &b.payload {
                Some(p) => p.evaluate(&ctx).map_err(|e| format!("request body: {e}"))?,
                None => None,
            };
            // A JSON payload written as text (a template) is structured data
            // once evaluated: replacements and `$request.body#/…` reach into it.
            if json_body
                && !b.replacements.is_empty()
                && let Some(Value::String(text)) = &payload
                && let Ok(parsed) = serde_json::from_str::<Value>(text)
            {
                payload = Some(parsed);
            }
            // So is a form written as text (`a=1&b=2`): a replacement's
            // `/b` names the field `b`.
            if form_body
                && !b.replacements.is_empty()
                && let Some(Value::String(text)) = &payload
            {
                payload = Some(form_fields(text));
            }
            for r in &b.replacements {
                let v = r
                    .value
                    .evaluate(&ctx)
                    .map_err(|e| format!("replacement value: {e}"))?
                    .unwrap_or(Value::Null);
                let target = payload.get_or_insert(Value::Null);
                replace(target, &r.target, v).map_err(|e| format!("replacement: {e}"))?;
            }
            if let Some(value) = payload {
                body = Some(BodyValue {
                    content_type: b.content_type.clone(),
                    value,
                });
            }
        }
        // Values the success criteria expect, for a mock server (docs/mock.md#expected-values).
        let expected: Vec<arazzo_expr::expect::Expectation> = if self.opts.prefer_expected_status {
            step.expectations
                .iter()
                .filter_map(|e| e.resolve(&ctx))
                .collect()
        } else {
            Vec::new()
        };
        let built =
            build_request(&opp.op, &base, &params, body.as_ref()).map_err(|e| e.to_string())?;
        let mut sent = built.sent.clone();
        if json_body
            && let Some(Value::String(text)) = &sent.body
            && let Ok(parsed) = serde_json::from_str::<Value>(text)
        {
            sent.body = Some(parsed);
        }
        let wf = frame.wf;
        for w in built.warnings {
            self.warn(Some(wf), Some(&step.id), w);
        }
        let mut req = built.request;
        if self.opts.prefer_expected_status
            && let Some(code) = step.expected_status
        {
            req.set_header("Prefer", format!("code={code}"));
        }
        // Servers bound header sizes (hyper: 64 KiB for all of them): an
        // expectation too large to send is left out.
        if !expected.is_empty() {
            let encoded = arazzo_expr::expect::encode(&expected);
            if encoded.len() <= MAX_EXPECT_HEADER {
                req.set_header(arazzo_expr::expect::HEADER, encoded);
            }
        }
        if let Some(f) = self.frame() {
            f.exchange = Some(Arc::new(Exchange {
                request: None,
                sent,
                ..Exchange::default()
            }));
        }
        Ok(req)
    }

    fn token_key(api: ApiIndex, scheme: &str) -> String {
        format!("{api}:{scheme}")
    }

    /// The API and operation of the top frame's step, if it is an operation step.
    fn current_operation(&self) -> Option<(ApiIndex, OperationIndex)> {
        let f = self.st.frames.last()?;
        let step = self.plan.workflow(f.wf)?.steps.get(f.pc)?;
        let Target::Operation(op) = step.target else {
            return None;
        };
        Some((self.plan.operation(op)?.api, op))
    }

    /// What the security requirements of the current step's operation ask
    /// of `request`, with the tokens valid at `now_ms` (any token held, for
    /// `None`).
    fn auth_decision(&self, request: &HttpRequest, now_ms: Option<u64>) -> AuthDecision {
        let Some((api_i, op)) = self.current_operation() else {
            return AuthDecision::Nothing;
        };
        let (Some(opp), Some(api)) = (self.plan.operation(op), self.plan.api(api_i)) else {
            return AuthDecision::Nothing;
        };
        let token = |scheme: &str| -> Option<String> {
            self.tokens
                .0
                .get(&Self::token_key(api_i, scheme))
                .filter(|t| match (t.expires_ms, now_ms) {
                    (Some(expires), Some(now)) => expires > now,
                    _ => true,
                })
                .map(|t| t.value.clone())
        };
        auth::decide(&opp.op.security, &api.schemes, &self.creds, request, &token)
    }

    /// `request` with the credentials its operation needs applied, to hand
    /// out again a command issued before: a token it used is used again even
    /// if it has expired since; only a token that is gone (after a resume)
    /// must be obtained first.
    pub(super) fn authorize(&self, mut request: HttpRequest) -> Result<HttpRequest, NeedToken> {
        match self.auth_decision(&request, None) {
            AuthDecision::Apply(a) => auth::apply(&mut request, &a),
            AuthDecision::NeedToken { .. } => return Err(NeedToken),
            AuthDecision::Nothing | AuthDecision::Missing(_) => {}
        }
        Ok(request)
    }

    /// Authorizes `request` (fetching a token first if needed) and sends it.
    pub(super) fn send(&mut self, request: HttpRequest, clock: &dyn RunClock) -> Option<Command> {
        let now_ms = clock.now_ms();
        let plan = self.plan.clone();
        let f = self.st.frames.last()?;
        let wf = plan.workflow(f.wf)?;
        let step = wf.steps.get(f.pc)?;
        let (api_i, op) = self.current_operation()?;
        let opp = plan.operation(op)?;
        let mut authorized = request.clone();
        // What the run keeps (for `$request`, the report, a saved state): the
        // request with the credentials masked.
        let mut kept = request.clone();
        match self.auth_decision(&request, Some(now_ms)) {
            AuthDecision::Nothing => {}
            AuthDecision::Apply(a) => {
                auth::apply(&mut authorized, &a);
                let masked: Vec<Applied> = a.iter().map(Applied::masked).collect();
                auth::apply(&mut kept, &masked);
            }
            AuthDecision::Missing(msg) => {
                if self.opts.warn_missing_credentials {
                    let wf_i = f.wf;
                    let id = step.id.clone();
                    self.warn(Some(wf_i), Some(&id), format!("{}: {msg}", opp.op.label()));
                }
            }
            AuthDecision::NeedToken { scheme } => {
                return self.fetch_token(api_i, &scheme, request, now_ms);
            }
        }
        let timeout = step
            .timeout_ms
            .map(Duration::from_millis)
            .unwrap_or(self.opts.request_timeout);
        let timeout = self.within_time_limit(timeout, now_ms);
        let id = self.id();
        let wf_id = wf.id.clone();
        let step_id = step.id.clone();
        self.log_request(&wf_id, &step_id, &authorized);
        if let Some(f) = self.frame() {
            f.phase = Phase::AwaitResponse;
            if let Some(x) = &mut f.exchange {
                Arc::make_mut(x).request = Some(kept);
            }
            f.step_started_ms = now_ms;
        }
        Some(self.issue(
            Command::Send {
                id,
                request: authorized,
                timeout,
            },
            Waiting::Response {
                id,
                request,
                timeout,
            },
        ))
    }

    /// The OAuth2 client-credentials token request for `scheme` of API `api_i`.
    pub(super) fn token_request(
        &self,
        api_i: ApiIndex,
        scheme: &str,
    ) -> Result<HttpRequest, String> {
        let plan = &self.plan;
        let api = plan.api(api_i).ok_or("the description is missing")?;
        let flow = match api.schemes.get(scheme).map(|s| &s.kind) {
            Some(arazzo_openapi::security::SchemeKind::OAuth2(flows)) => {
                flows.client_credentials.clone()
            }
            _ => None,
        };
        let cred = self.creds.get(scheme).cloned();
        let server = api.server.clone().ok();
        match (flow, cred, server) {
            (Some(flow), Some(cred @ Credential::ClientCredentials { .. }), Some(server)) => {
                let client_auth = self
                    .creds
                    .client_auth(scheme)
                    .or_else(|| api.token_styles.get(scheme).copied())
                    .unwrap_or(ClientAuth::Basic);
                auth::token_request(
                    &flow,
                    &cred,
                    client_auth,
                    &server,
                    api.declared_server.as_ref(),
                )
            }
            _ => Err(format!("cannot obtain an OAuth2 token for `{scheme}`")),
        }
    }

    /// Asks for a token of `scheme`; `request` is sent once it is there.
    fn fetch_token(
        &mut self,
        api_i: ApiIndex,
        scheme: &str,
        request: HttpRequest,
        now_ms: u64,
    ) -> Option<Command> {
        match self.token_request(api_i, scheme) {
            Ok(req) => {
                let id = self.id();
                let wf_id = self.workflow_id();
                self.log_request(&wf_id, "oauth2", &req);
                if let Some(f) = self.frame() {
                    f.phase = Phase::AwaitToken {
                        request,
                        scheme: scheme.to_string(),
                    };
                }
                let timeout = self.within_time_limit(self.opts.request_timeout, now_ms);
                Some(self.issue(
                    Command::Send {
                        id,
                        request: req,
                        timeout,
                    },
                    Waiting::Token {
                        id,
                        api: api_i,
                        scheme: scheme.to_string(),
                    },
                ))
            }
            Err(e) => {
                self.fail_before_send(
                    FailureKind::Credentials,
                    format!("could not obtain an OAuth2 token: {e}"),
                );
                None
            }
        }
    }

    /// Takes the token response: keeps the token (outside the state) and
    /// goes back to sending the step's request.
    pub(super) fn on_token(&mut self, result: Result<HttpResponse, TransportError>, now_ms: u64) {
        let Some(f) = self.st.frames.last() else {
            return;
        };
        let Phase::AwaitToken { request, scheme } = f.phase.clone() else {
            return;
        };
        let api = self.current_operation().map(|(api, _)| api);
        let parsed = match result {
            Ok(resp) => {
                let wf_id = self
                    .plan
                    .workflow(f.wf)
                    .map(|w| w.id.clone())
                    .unwrap_or_default();
                // Tokens are secrets before the response is logged.
                let ct = resp.header("content-type");
                auth::add_token_secrets(&mut self.secrets, ct.as_deref(), &resp.body);
                self.log_response(&wf_id, "oauth2", &resp, 0);
                auth::parse_token_response(
                    resp.status,
                    resp.header("content-type").as_deref(),
                    &resp.body,
                )
            }
            Err(e) => Err(e.to_string()),
        };
        match (parsed, api) {
            (Ok((token, expires_in)), Some(api)) => {
                self.secrets.add(&token);
                // Refresh a little before the server's expiry.
                let expires_ms = expires_in.map(|s| now_ms + s.saturating_sub(30).max(1) * 1000);
                self.tokens.0.insert(
                    Self::token_key(api, &scheme),
                    Token {
                        value: token,
                        expires_ms,
                    },
                );
                if let Some(f) = self.frame() {
                    f.phase = Phase::Send { request };
                }
            }
            (Err(e), _) => self.fail_before_send(
                FailureKind::Credentials,
                format!("could not obtain an OAuth2 token for `{scheme}`: {e}"),
            ),
            (Ok(_), None) => self.fail_before_send(
                FailureKind::Internal,
                "the step's operation disappeared".into(),
            ),
        }
    }

    /// Takes the step's response (or why there is none) into its exchange.
    pub(super) fn on_response(
        &mut self,
        result: Result<HttpResponse, TransportError>,
        now_ms: u64,
    ) {
        let plan = self.plan.clone();
        let Some(f) = self.st.frames.last() else {
            return;
        };
        let Some(wf) = plan.workflow(f.wf) else {
            return;
        };
        let step_id = wf.steps.get(f.pc).map(|s| s.id.clone()).unwrap_or_default();
        let duration = now_ms.saturating_sub(f.step_started_ms);
        if let Ok(resp) = &result {
            self.log_response(&wf.id, &step_id, resp, duration);
        }
        let Some(f) = self.frame() else { return };
        // Not shared yet (`last_exchange` takes its clone below), so no copy.
        let x = Arc::make_mut(f.exchange.get_or_insert_with(Default::default));
        x.duration_ms = duration;
        match result {
            Ok(resp) => {
                x.status = Some(resp.status);
                let ct = resp.header("content-type");
                x.body = parse_body(ct.as_deref(), &resp.body);
                x.body_len = resp.body.len();
                x.headers = resp.headers;
            }
            Err(e) => x.error = Some(e.to_string()),
        }
        f.last_exchange = f.exchange.clone();
        f.phase = Phase::Judge;
    }
}

/// The fields of an `application/x-www-form-urlencoded` text, in order; a
/// name given several times has an array of its values.
fn form_fields(text: &str) -> Value {
    let mut out = serde_json::Map::new();
    for (k, v) in url::form_urlencoded::parse(text.as_bytes()) {
        let v = Value::String(v.into_owned());
        match out.get_mut(k.as_ref()) {
            Some(Value::Array(items)) => items.push(v),
            Some(first) => *first = Value::Array(vec![first.take(), v]),
            None => {
                out.insert(k.into_owned(), v);
            }
        }
    }
    Value::Object(out)
}
