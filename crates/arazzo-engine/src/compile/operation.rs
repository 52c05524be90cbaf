//! Operations: resolving them in the source descriptions, and where their requests go.

use arazzo_model::{Code, Diagnostic};
use arazzo_openapi::OpenApi;
use arazzo_openapi::lookup::{Found, LookupError};
use arazzo_openapi::sources::SourceTarget;
use indexmap::IndexMap;
use serde_json::Value;

use super::Compiler;
use crate::auth::ClientAuth;
use crate::plan::*;

impl<'a> Compiler<'a> {
    /// Resolves a step's `operationId` (or, `by_path`, `operationPath`) and
    /// adds the operation to the plan once.
    pub(super) fn operation(
        &mut self,
        d: usize,
        written: &str,
        pointer: &str,
        by_path: bool,
    ) -> Target {
        let found = if by_path {
            self.sources.find_operation_path(d, written)
        } else {
            self.sources.find_operation_id(d, written)
        };
        match found {
            Ok(f) => self.found_operation(d, f, pointer),
            Err(e) => self.operation_not_found(d, written, pointer, by_path, e),
        }
    }

    /// The plan's operation for a resolved one, built and checked the first
    /// time it is used.
    fn found_operation(&mut self, d: usize, f: Found, pointer: &str) -> Target {
        if let Some(w) = &f.warning {
            self.diags.push(
                Diagnostic::warning(
                    if w.contains("is defined in") {
                        Code::AmbiguousOperation
                    } else {
                        Code::UnresolvedOperation
                    },
                    w.clone(),
                )
                .at(self.at(d, pointer)),
            );
        }
        let key = (f.api, f.entry.pointer.clone());
        if let Some(&i) = self.op_index.get(&key) {
            return Target::Operation(i);
        }
        let Some(api) = self.sources.openapi.get(f.api) else {
            return Target::Unsupported("the operation's description is missing".into());
        };
        let op = arazzo_openapi::operation::build(api, &f.entry, &self.sources.store);
        for problem in &op.problems {
            self.diags.push(
                Diagnostic::warning(
                    Code::InvalidOpenApi,
                    format!("{} in {}: {problem}", op.label(), api.name()),
                )
                .at(self.at(d, pointer)),
            );
        }
        for r in &op.unresolved_refs {
            self.diags.push(
                Diagnostic::warning(
                    Code::UnresolvedRef,
                    format!("{} in {}: {r}", op.label(), api.name()),
                )
                .at(self.at(d, pointer)),
            );
        }
        let server = operation_server(api, &op);
        self.operations.push(OperationPlan {
            api: ApiIndex(f.api),
            op,
            server,
        });
        let i = OperationIndex(self.operations.len() - 1);
        self.op_index.insert(key, i);
        Target::Operation(i)
    }

    /// Reports an operation that cannot be resolved (or that is an AsyncAPI
    /// operation, which does not run).
    fn operation_not_found(
        &mut self,
        d: usize,
        written: &str,
        pointer: &str,
        by_path: bool,
        e: LookupError,
    ) -> Target {
        if !by_path && let Some(source) = self.asyncapi_operation(d, written) {
            self.diags.push(
                Diagnostic::warning(
                    Code::Unsupported,
                    format!("`{written}` is an operation of the AsyncAPI source `{source}`, which arazzo-run does not execute"),
                )
                .at(self.at(d, pointer))
                .hint("running this step fails; the rest of the document is checked and runs"),
            );
            return Target::Unsupported(
                "AsyncAPI operations are not executed by arazzo-run".into(),
            );
        }
        if self.follows_failed_source(d, written, &e) {
            // The source's own `source-load` error says what is wrong; a
            // second error per step that uses it would bury that one.
            return Target::Unsupported(e.to_string());
        }
        let code = match &e {
            LookupError::Ambiguous { .. } | LookupError::Duplicate { .. } => {
                Code::AmbiguousOperation
            }
            LookupError::UnknownSource(_) => Code::UnknownSource,
            _ => Code::UnresolvedOperation,
        };
        let mut diag = Diagnostic::error(code, e.to_string()).at(self.at(d, pointer));
        let candidates = e.candidates();
        if !candidates.is_empty() {
            diag = diag.hint(format!(
                "did you mean {}?",
                candidates
                    .iter()
                    .map(|c| format!("`{c}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        } else if let LookupError::Ambiguous { sources, id } = &e {
            diag = diag.hint(format!(
                "qualify it: `$sourceDescriptions.{}.{id}`",
                sources.first().cloned().unwrap_or_default()
            ));
        }
        self.diags.push(diag);
        Target::Unsupported(e.to_string())
    }

    /// Whether lookup error `e` in document `d` is only a consequence of a
    /// source description that could not be loaded (already reported as
    /// `source-load`): the operation names that source, or it is a bare
    /// `operationId` (`written`) not found while one of the document's
    /// sources is missing (it may well be defined there).
    fn follows_failed_source(&self, d: usize, written: &str, e: &LookupError) -> bool {
        let Some(doc) = self.sources.arazzo.get(d) else {
            return false;
        };
        let failed = |name: &str| matches!(doc.sources.get(name), Some(SourceTarget::Failed));
        match e {
            LookupError::NotOpenApi { name, .. } => failed(name),
            LookupError::NotFound { .. } => {
                !written.starts_with("$sourceDescriptions.")
                    && doc
                        .sources
                        .values()
                        .any(|t| matches!(t, SourceTarget::Failed))
            }
            _ => false,
        }
    }

    /// The AsyncAPI source of document `d` that defines operation `written`
    /// (`$sourceDescriptions.<name>.<id>` or a bare id), if any.
    fn asyncapi_operation(&self, d: usize, written: &str) -> Option<String> {
        let (only, id) = match written
            .strip_prefix("$sourceDescriptions.")
            .and_then(|r| r.split_once('.'))
        {
            Some((s, id)) => (Some(s), id),
            None => (None, written),
        };
        let doc = self.sources.arazzo.get(d)?;
        doc.sources.iter().find_map(|(name, t)| {
            let SourceTarget::AsyncApi(url) = t else {
                return None;
            };
            if only.is_some_and(|o| o != name) {
                return None;
            }
            let v = &self.sources.store.get(url)?.value;
            // AsyncAPI 3: `operations` keyed by id; 2.x: `operationId` on publish/subscribe.
            let v3 = v
                .get("operations")
                .and_then(Value::as_object)
                .is_some_and(|o| o.contains_key(id));
            let v2 = v
                .get("channels")
                .and_then(Value::as_object)
                .is_some_and(|chs| {
                    chs.values().any(|c| {
                        ["publish", "subscribe"].iter().any(|k| {
                            c.get(k)
                                .and_then(|o| o.get("operationId"))
                                .and_then(Value::as_str)
                                == Some(id)
                        })
                    })
                });
            (v3 || v2).then(|| name.clone())
        })
    }
}

/// What a run needs of an OpenAPI description: its name, title, security
/// schemes and the server its requests go to.
pub(super) fn api_plan(api: &OpenApi, store: &arazzo_openapi::Store) -> ApiPlan {
    let root = &api.doc.value;
    let server = if api.version == arazzo_openapi::Version::Swagger2 {
        Some(arazzo_openapi::servers::swagger2_server(root, &api.url))
    } else {
        root.get("servers")
            .and_then(Value::as_array)
            .and_then(|a| a.first())
            .and_then(arazzo_openapi::servers::Server::from_value)
            .or_else(|| Some(arazzo_openapi::servers::Server::relative_root()))
    };
    let resolved = server
        .as_ref()
        .map(|s| {
            s.resolve(&api.url, &IndexMap::new())
                .map_err(|e| e.to_string())
        })
        .unwrap_or_else(|| Err("the description declares no server".into()));
    let schemes = api.security_schemes(store);
    let declared = resolved.as_ref().ok();
    let token_styles = schemes
        .iter()
        .filter_map(|(name, scheme)| match &scheme.kind {
            arazzo_openapi::security::SchemeKind::OAuth2(flows) => {
                let flow = flows.client_credentials.as_ref()?;
                Some((name.clone(), token_style(api, store, flow, declared)))
            }
            _ => None,
        })
        .collect();
    ApiPlan {
        name: api.name().to_string(),
        url: api.url.clone(),
        title: api.title().map(str::to_string),
        declared_server: declared.cloned(),
        server: resolved,
        overridden: false,
        schemes,
        token_styles,
    }
}

/// How to call a token endpoint: as a JSON body when the description itself
/// documents its token endpoint as an operation taking JSON (Pipedream
/// does), as a form with the client's credentials in it when it documents a
/// form, else the RFC 6749 default (HTTP Basic). The token URL is matched
/// against the description's paths relative to its declared server.
fn token_style(
    api: &OpenApi,
    store: &arazzo_openapi::Store,
    flow: &arazzo_openapi::security::OAuthFlow,
    server: Option<&url::Url>,
) -> ClientAuth {
    let Some(written) = flow.token_url.as_deref() else {
        return ClientAuth::Basic;
    };
    let joined = match server {
        Some(s) => s.join(written).ok(),
        None => url::Url::parse(written).ok(),
    };
    let path = joined.as_ref().map_or(written, |u| u.path());
    let server_path = server.map_or("", |s| s.path().trim_end_matches('/'));
    let relative = path.strip_prefix(server_path).unwrap_or(path);
    let Some(entry) = api.by_method_path("post", relative) else {
        return ClientAuth::Basic;
    };
    let op = arazzo_openapi::operation::build(api, entry, store);
    match op.request_body.as_ref().and_then(|b| b.default_media()) {
        Some(m) if arazzo_openapi::media::is_json(&m.media_type) => ClientAuth::Json,
        Some(m) if m.media_type.contains("x-www-form-urlencoded") => ClientAuth::Post,
        _ => ClientAuth::Basic,
    }
}

/// The operation's own server, when it declares one different from the description's.
fn operation_server(api: &OpenApi, op: &arazzo_openapi::Operation) -> Option<url::Url> {
    let declared = api.doc.value.get("servers").and_then(Value::as_array);
    let first = op.servers.first()?;
    let same = declared
        .and_then(|a| a.first())
        .and_then(|s| s.get("url"))
        .and_then(Value::as_str)
        == Some(first.url.as_str());
    if same || api.version == arazzo_openapi::Version::Swagger2 {
        return None;
    }
    first.resolve(&api.url, &IndexMap::new()).ok()
}
