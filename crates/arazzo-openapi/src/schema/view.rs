//! One operation as the mock and the response checks need it: the resolver's [`Operation`] (merged parameters,
//! encodings, media types, examples) plus, for every schema, the raw schema *and the document it
//! lives in*. [`Operation`] resolves top-level `$ref`s for its callers, which loses the URL that
//! nested references are relative to; synthesis and validation need it, so the schemas are read
//! again here from the raw description.

use crate::operation::{self, Operation};
use crate::serialize::ParamLocation;
use crate::{OpEntry, OpenApi, Store, Version};
use serde_json::Value;
use url::Url;

/// A schema and the document its references are relative to.
#[derive(Debug, Clone)]
pub struct Node {
    /// The document the schema lives in: its `$ref`s are relative to it.
    pub url: Url,
    /// The schema as written (a `$ref` is not resolved).
    pub schema: Value,
}

/// An operation with located schemas.
#[derive(Debug)]
pub struct OpView {
    /// The resolver's operation.
    pub op: Operation,
    /// Aligned with `op.parameters`.
    pub params: Vec<Option<Node>>,
    /// Aligned with `op.request_body.content`.
    pub body: Vec<Option<Node>>,
    /// Aligned with `op.responses`; each aligned with the response's `content`.
    pub responses: Vec<Vec<Option<Node>>>,
    /// Aligned with `op.responses`; each aligned with the response's `headers`.
    pub headers: Vec<Vec<Option<Node>>>,
}

impl OpView {
    /// The operation `entry` of `api`, with its schemas located.
    pub fn build(api: &OpenApi, entry: &OpEntry, store: &Store) -> OpView {
        let op = operation::build(api, entry, store);
        let swagger = api.version == Version::Swagger2;
        let (item_url, item, raw_op) = operation::raw(api, entry, store);

        // Parameters, located: path-level ones, overridden by operation-level ones.
        let mut located: Vec<(String, String, Url, &Value)> = Vec::new();
        for list in [item.get("parameters"), raw_op.get("parameters")]
            .into_iter()
            .flatten()
        {
            for p in list.as_array().map(Vec::as_slice).unwrap_or_default() {
                let Ok(found) = store.resolve(&item_url, p) else {
                    continue;
                };
                let name = found
                    .value
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                let inn = found.value.get("in").and_then(Value::as_str).unwrap_or("");
                let entry = (
                    name.to_string(),
                    inn.to_string(),
                    found.url.clone(),
                    found.value,
                );
                match located
                    .iter_mut()
                    .find(|(n, i, _, _)| n == name && i == inn)
                {
                    Some(slot) => *slot = entry,
                    None => located.push(entry),
                }
            }
        }
        let params = op
            .parameters
            .iter()
            .map(|p| {
                let (_, _, url, raw) = located.iter().find(|(n, i, _, _)| {
                    *n == p.name && ParamLocation::from_in(i) == Some(p.location)
                })?;
                let schema = if swagger {
                    p.schema.clone()?
                } else {
                    raw.get("schema")
                        .or_else(|| {
                            raw.get("content")
                                .and_then(Value::as_object)
                                .and_then(|m| m.values().next())
                                .and_then(|mt| mt.get("schema"))
                        })?
                        .clone()
                };
                Some(Node {
                    url: url.clone(),
                    schema,
                })
            })
            .collect();

        // Request body.
        let body = match &op.request_body {
            None => Vec::new(),
            Some(b) => {
                if swagger {
                    let body_param = located.iter().find(|(_, i, _, _)| i == "body");
                    b.content
                        .iter()
                        .map(|m| match body_param {
                            Some((_, _, url, raw)) => raw.get("schema").map(|s| Node {
                                url: url.clone(),
                                schema: s.clone(),
                            }),
                            // formData: the resolver built the schema from the parameters.
                            None => m.schema.clone().map(|s| Node {
                                url: api.url.clone(),
                                schema: s,
                            }),
                        })
                        .collect()
                } else {
                    let rb = raw_op
                        .get("requestBody")
                        .and_then(|rb| store.resolve(&item_url, rb).ok());
                    b.content
                        .iter()
                        .map(|m| {
                            let rb = rb?;
                            media_schema(
                                store,
                                rb.url,
                                rb.value.get("content")?.get(&m.media_type)?,
                            )
                        })
                        .collect()
                }
            }
        };

        // Responses.
        let raw_responses = raw_op.get("responses").and_then(Value::as_object);
        let mut responses = Vec::new();
        let mut headers = Vec::new();
        for r in &op.responses {
            let found = raw_responses
                .and_then(|m| m.get(&r.status))
                .and_then(|v| store.resolve(&item_url, v).ok());
            let content = r
                .content
                .iter()
                .map(|m| {
                    let f = found?;
                    if swagger {
                        f.value.get("schema").map(|s| Node {
                            url: f.url.clone(),
                            schema: s.clone(),
                        })
                    } else {
                        media_schema(store, f.url, f.value.get("content")?.get(&m.media_type)?)
                    }
                })
                .collect();
            let hs = r
                .headers
                .iter()
                .map(|(name, _)| {
                    let f = found?;
                    let h = f.value.get("headers")?.get(name)?;
                    if swagger {
                        return Some(Node {
                            url: f.url.clone(),
                            schema: h.clone(),
                        });
                    }
                    let h = store.resolve(f.url, h).ok()?;
                    let schema = h.value.get("schema").or_else(|| {
                        h.value
                            .get("content")
                            .and_then(Value::as_object)
                            .and_then(|m| m.values().next())
                            .and_then(|mt| mt.get("schema"))
                    })?;
                    Some(Node {
                        url: h.url.clone(),
                        schema: schema.clone(),
                    })
                })
                .collect();
            responses.push(content);
            headers.push(hs);
        }
        OpView {
            op,
            params,
            body,
            responses,
            headers,
        }
    }
}

/// The schema of a Media Type Object (itself possibly a `$ref`).
fn media_schema(store: &Store, base: &Url, media: &Value) -> Option<Node> {
    let f = store.resolve(base, media).ok()?;
    f.value.get("schema").map(|s| Node {
        url: f.url.clone(),
        schema: s.clone(),
    })
}
