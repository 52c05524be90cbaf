//! Running a compiled plan offline: a mock server for every OpenAPI
//! description, the plan pointed at them, and the inputs a run needs
//! synthesized — what `arazzo-run run --mock` does, for embedders and tests.

use std::sync::Arc;

use arazzo_mock::{Exchange, ExchangeHook, MockOptions, MockServer};
use serde_json::{Map, Value};

use crate::plan::Plan;

/// The mock servers of an offline run; shut them down when the run is over.
#[derive(Debug)]
pub struct Offline {
    /// One server per OpenAPI description of the plan (same order as `Plan::apis`).
    pub servers: Vec<MockServer>,
}

impl Offline {
    /// Starts a mock server for every OpenAPI description of `plan` and
    /// points the plan at them, OAuth 2.0 token endpoints included (a
    /// `tokenUrl` usually names another host than the API's server, so
    /// following the server override is not enough; the mocks answer token
    /// requests with made-up tokens). `on_exchange` sees every request (with
    /// its validation verdict).
    pub async fn start(
        plan: &mut Plan,
        strict: bool,
        on_exchange: Option<ExchangeHook>,
    ) -> std::io::Result<Offline> {
        let store = Arc::new(plan.sources.store.clone());
        let apis = plan.sources.openapi.clone();
        let mut servers = Vec::new();
        for (i, api) in apis.iter().enumerate() {
            let options = MockOptions {
                strict,
                on_exchange: on_exchange.clone(),
                ..MockOptions::default()
            };
            let server = MockServer::start(api.clone(), store.clone(), options, 0).await?;
            plan.set_api_server(crate::plan::ApiIndex(i), server.base_url());
            if let Some(api_plan) = plan.apis.get_mut(i) {
                to_mock_token_urls(api_plan, &server);
            }
            servers.push(server);
        }
        Ok(Offline { servers })
    }

    /// Every exchange every server saw.
    pub fn log(&self) -> Vec<Exchange> {
        self.servers.iter().flat_map(MockServer::log).collect()
    }

    /// Stops the servers.
    pub async fn shutdown(self) {
        for s in self.servers {
            s.shutdown().await;
        }
    }
}

/// Points every OAuth 2.0 token and refresh URL of `api`'s security schemes
/// at `server`, which answers them: no credential of an offline run leaves
/// the machine.
fn to_mock_token_urls(api: &mut crate::plan::ApiPlan, server: &MockServer) {
    for scheme in api.schemes.values_mut() {
        let arazzo_openapi::security::SchemeKind::OAuth2(flows) = &mut scheme.kind else {
            continue;
        };
        let flows = [
            &mut flows.client_credentials,
            &mut flows.password,
            &mut flows.authorization_code,
            &mut flows.device_authorization,
            &mut flows.implicit,
        ];
        for flow in flows.into_iter().flatten() {
            for url in [&mut flow.token_url, &mut flow.refresh_url] {
                if let Some(written) = url.as_deref()
                    && let Some(local) = server.token_url(written)
                {
                    *url = Some(local.to_string());
                }
            }
        }
    }
}

/// The inputs a workflow runs with offline: `given`, plus synthesized values
/// for required inputs that are missing and for optional inputs the requests
/// cannot leave out ([`WorkflowPlan::needed_inputs`](crate::plan::WorkflowPlan::needed_inputs)). Returns the inputs and the
/// names that were synthesized.
pub fn inputs_for(
    plan: &Plan,
    workflow: crate::plan::WorkflowIndex,
    given: &Map<String, Value>,
) -> (Map<String, Value>, Vec<String>) {
    let Some(wf) = plan.workflow(workflow) else {
        return (given.clone(), Vec::new());
    };
    let Some(root) = plan.sources.arazzo.get(wf.doc.get()) else {
        return (given.clone(), Vec::new());
    };
    let root = &root.doc.source.value;
    let schema = wf.inputs.schema.clone().unwrap_or(Value::Null);
    let mut inputs = given.clone();
    let mut names = Vec::new();
    if !wf.inputs.missing(&inputs).is_empty() {
        let (filled, synthesized) = arazzo_mock::synthesize_inputs(&schema, root, &inputs);
        inputs = filled;
        names = synthesized;
    }
    let declared = wf.inputs.properties();
    let needed = wf.needed_inputs();
    let mut decided: Vec<&str> = Vec::new();
    for used in &needed {
        // `$inputs.customer.uri` names the input `customer` (or one called `customer.uri`).
        let Some(name) = declared_prefix(used, |n| declared.iter().any(|p| p.name == n)) else {
            continue;
        };
        if !inputs.contains_key(name)
            && let Some(v) = arazzo_mock::synthesize_input(&schema, root, name)
        {
            inputs.insert(name.to_string(), v);
            names.push(name.to_string());
        }
        // `$inputs.customer.uri` where the synthesized `customer` took a `oneOf`
        // branch without `uri`: take the branch that has it. The first use (in
        // step order) decides; a later step may well be the other branch's.
        let member = used.get(name.len() + 1..).and_then(|m| m.split('.').next());
        if let Some(member) = member
            && names.iter().any(|n| n == name)
            && !decided.contains(&name)
            && inputs.get(name).is_some_and(|v| v.get(member).is_none())
            && let Some(narrowed) = with_branch(&schema, name, member)
            && let Some(v) = arazzo_mock::synthesize_input(&narrowed, root, name)
            && v.get(member).is_some()
        {
            inputs.insert(name.to_string(), v);
        }
        if member.is_some() {
            decided.push(name);
        }
    }
    (inputs, names)
}

/// The inputs schema with input `name`'s `oneOf`/`anyOf` replaced by its first
/// branch that declares property `member`.
fn with_branch(schema: &Value, name: &str, member: &str) -> Option<Value> {
    let property = schema.get("properties")?.get(name)?;
    let branches = property
        .get("oneOf")
        .or_else(|| property.get("anyOf"))?
        .as_array()?;
    let branch = branches
        .iter()
        .find(|b| b.get("properties").and_then(|p| p.get(member)).is_some())?;
    let mut narrowed = schema.clone();
    *narrowed.get_mut("properties")?.get_mut(name)? = branch.clone();
    Some(narrowed)
}

/// The longest prefix of `used` (cut at dots) that is a declared input.
fn declared_prefix(used: &str, declared: impl Fn(&str) -> bool) -> Option<&str> {
    let mut name = used;
    loop {
        if declared(name) {
            return Some(name);
        }
        name = &name[..name.rfind('.')?];
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::{declared_prefix, with_branch};
    use serde_json::json;

    #[test]
    fn a_member_picks_the_branch_that_declares_it() {
        let schema = json!({"type": "object", "properties": {"customer": {"oneOf": [
            {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}},
            {"type": "object", "required": ["uri"], "properties": {"uri": {"type": "string"}}}
        ]}}});
        let narrowed = with_branch(&schema, "customer", "uri").unwrap();
        assert_eq!(
            narrowed["properties"]["customer"]["required"],
            json!(["uri"])
        );
        assert!(with_branch(&schema, "customer", "nothing").is_none());
        assert!(with_branch(&schema, "absent", "uri").is_none());
        let v = arazzo_mock::synthesize_input(&narrowed, &json!({}), "customer").unwrap();
        assert!(v["uri"].is_string(), "{v}");
    }

    #[test]
    fn dotted_input_references_name_their_declared_prefix() {
        let declared = |n: &str| n == "customer" || n == "a.b";
        assert_eq!(declared_prefix("customer.uri", declared), Some("customer"));
        assert_eq!(declared_prefix("customer", declared), Some("customer"));
        assert_eq!(declared_prefix("a.b.c", declared), Some("a.b"));
        assert_eq!(declared_prefix("other.x", declared), None);
    }
}
