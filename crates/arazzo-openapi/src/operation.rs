//! One operation, as the engine needs it: method, path, merged parameters,
//! request body, responses, effective security and servers — with every
//! `$ref` resolved and Swagger 2.0 restated in OpenAPI 3 terms.
//!
//! Operations are built on demand from the index (compilation builds only
//! the ones a workflow uses), so loading a 3 MB description stays cheap.

use arazzo_model::load::escape_token;
use indexmap::IndexMap;
use serde_json::{Map, Value, json};
use url::Url;

use crate::document::{OpEntry, OpenApi, Version};
use crate::security::{Requirement, requirements};
use crate::serialize::{ParamEncoding, ParamLocation, swagger2_form};
use crate::servers::Server;
use crate::store::Store;

/// A parameter the operation declares.
#[derive(Debug, Clone)]
pub struct ParamSpec {
    /// `name`.
    pub name: String,
    /// `in`.
    pub location: ParamLocation,
    /// `required` (always true for path parameters).
    pub required: bool,
    /// How values are serialized.
    pub encoding: ParamEncoding,
    /// The schema (`$ref` resolved at the top level).
    pub schema: Option<Value>,
    /// `deprecated`.
    pub deprecated: bool,
    /// The parameter object itself (resolved), for anything else a caller needs.
    pub raw: Value,
}

impl ParamSpec {
    /// Whether `name` refers to this parameter: header names compare
    /// case-insensitively (RFC 9110), all others exactly.
    pub fn matches(&self, name: &str, location: ParamLocation) -> bool {
        location == self.location
            && if location == ParamLocation::Header {
                self.name.eq_ignore_ascii_case(name)
            } else {
                self.name == name
            }
    }
}

/// One media type of a request or response body.
#[derive(Debug, Clone)]
pub struct MediaSpec {
    /// The media type (range), e.g. `application/json`.
    pub media_type: String,
    /// The schema (`$ref` resolved at the top level).
    pub schema: Option<Value>,
    /// The Encoding Object map (form and multipart bodies).
    pub encoding: Option<Value>,
    /// `example`.
    pub example: Option<Value>,
    /// `examples`: name → value (Example Objects resolved to their `value`).
    pub examples: Vec<(String, Value)>,
}

/// The operation's request body.
#[derive(Debug, Clone)]
pub struct BodySpec {
    /// `required`.
    pub required: bool,
    /// Media types in document order.
    pub content: Vec<MediaSpec>,
}

impl BodySpec {
    /// The media type to send when a step does not say: the first declared,
    /// preferring JSON when several are offered.
    pub fn default_media(&self) -> Option<&MediaSpec> {
        self.content
            .iter()
            .find(|m| crate::media::is_json(&m.media_type))
            .or_else(|| self.content.first())
    }

    /// The media type entry matching `content_type` (exact, then by range such as `application/*`).
    pub fn media(&self, content_type: &str) -> Option<&MediaSpec> {
        let essence = crate::media::essence(content_type);
        self.content
            .iter()
            .find(|m| crate::media::essence(&m.media_type) == essence)
            .or_else(|| {
                self.content
                    .iter()
                    .find(|m| crate::media::range_matches(&m.media_type, &essence))
            })
    }
}

/// A declared response header.
#[derive(Debug, Clone)]
pub struct HeaderSpec {
    /// The schema.
    pub schema: Option<Value>,
    /// `required`.
    pub required: bool,
    /// `example` (header or schema level).
    pub example: Option<Value>,
}

/// One declared response.
#[derive(Debug, Clone)]
pub struct ResponseSpec {
    /// The status key as written: `200`, `2XX` or `default`.
    pub status: String,
    /// `description`.
    pub description: Option<String>,
    /// Headers, in document order.
    pub headers: Vec<(String, HeaderSpec)>,
    /// Media types, in document order.
    pub content: Vec<MediaSpec>,
}

impl ResponseSpec {
    /// Whether a concrete status code falls under this response's key.
    pub fn covers(&self, status: u16) -> bool {
        let key = self.status.to_ascii_uppercase();
        if key == "DEFAULT" {
            return true;
        }
        if let Ok(code) = key.parse::<u16>() {
            return code == status;
        }
        key.len() == 3
            && key.ends_with("XX")
            && key.starts_with(char::from(b'0' + (status / 100) as u8))
    }
}

/// Everything about one operation.
#[derive(Debug, Clone)]
pub struct Operation {
    /// HTTP method, upper-case.
    pub method: String,
    /// Path template, e.g. `/pets/{petId}`.
    pub path: String,
    /// `operationId`.
    pub operation_id: Option<String>,
    /// `summary`.
    pub summary: Option<String>,
    /// JSON pointer of the operation in its description.
    pub pointer: String,
    /// Parameters: path-level ones overridden by operation-level ones with
    /// the same name and location.
    pub parameters: Vec<ParamSpec>,
    /// The request body (Swagger 2.0 `body`/`formData` parameters become one).
    pub request_body: Option<BodySpec>,
    /// Declared responses, in document order.
    pub responses: Vec<ResponseSpec>,
    /// Effective security: the operation's own, else the description's.
    /// Each entry is an alternative.
    pub security: Vec<Requirement>,
    /// Effective servers: the operation's, else the path item's, else the description's.
    pub servers: Vec<Server>,
    /// `deprecated`.
    pub deprecated: bool,
    /// Problems found while reading the operation (bad parameter settings …).
    pub problems: Vec<String>,
    /// `$ref`s of the operation that do not resolve.
    pub unresolved_refs: Vec<String>,
}

impl Operation {
    /// The parameter with this name and location.
    pub fn parameter(&self, name: &str, location: ParamLocation) -> Option<&ParamSpec> {
        self.parameters.iter().find(|p| p.matches(name, location))
    }

    /// A short label such as `GET /pets/{petId}`.
    pub fn label(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

/// The path item of an index entry (its `$ref` followed) with the URL of the
/// document it lives in, and the raw operation object in it; `null` for
/// what cannot be found.
pub(crate) fn raw<'a>(
    api: &'a OpenApi,
    entry: &OpEntry,
    store: &'a Store,
) -> (Url, &'a Value, &'a Value) {
    let item_ptr = format!("/paths/{}", escape_token(&entry.path));
    let item = api
        .doc
        .value
        .pointer(&item_ptr)
        .and_then(|v| store.resolve(&api.url, v).ok());
    let (item_url, item) = match item {
        Some(f) => (f.url.clone(), f.value),
        None => (api.url.clone(), &Value::Null),
    };
    let op = if entry.pointer.contains("/additionalOperations/") {
        item.get("additionalOperations")
            .and_then(Value::as_object)
            .and_then(|m| {
                m.iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(&entry.method))
                    .map(|(_, v)| v)
            })
            .unwrap_or(&Value::Null)
    } else {
        item.get(&entry.method).unwrap_or(&Value::Null)
    };
    (item_url, item, op)
}

/// Builds the operation for an index entry.
pub fn build(api: &OpenApi, entry: &OpEntry, store: &Store) -> Operation {
    let root = &api.doc.value;
    let (item_url, item, op) = raw(api, entry, store);
    let mut problems = Vec::new();
    let mut unresolved_refs = Vec::new();
    let swagger = api.version == Version::Swagger2;

    // Parameters: path-level, then operation-level overriding by (name, in).
    let mut raw_params: Vec<Value> = Vec::new();
    for list in [item.get("parameters"), op.get("parameters")]
        .into_iter()
        .flatten()
    {
        // Both lists live in the path item's document.
        let base = &item_url;
        for p in list.as_array().map(Vec::as_slice).unwrap_or_default() {
            let resolved = match store.resolve(base, p) {
                Ok(f) => f.value.clone(),
                Err(e) => {
                    unresolved_refs.push(e.to_string());
                    continue;
                }
            };
            let key = |v: &Value| {
                (
                    v.get("name").and_then(Value::as_str).map(str::to_string),
                    v.get("in").and_then(Value::as_str).map(str::to_string),
                )
            };
            let k = key(&resolved);
            if let Some(existing) = raw_params.iter_mut().find(|e| key(e) == k) {
                *existing = resolved;
            } else {
                raw_params.push(resolved);
            }
        }
    }
    let mut parameters = Vec::new();
    let mut body_param: Option<Value> = None;
    for p in &raw_params {
        let name = p
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let inn = p.get("in").and_then(Value::as_str).unwrap_or_default();
        if swagger && inn == "body" {
            body_param = Some(p.clone());
            continue;
        }
        if swagger && inn == "formData" {
            continue;
        }
        let Some(location) = ParamLocation::from_in(inn) else {
            problems.push(format!(
                "parameter `{name}` has an unknown location `{inn}`"
            ));
            continue;
        };
        let encoding = if swagger {
            ParamEncoding::from_swagger2(location, p)
        } else {
            ParamEncoding::from_openapi3(location, p)
        };
        let encoding = match encoding {
            Ok(e) => e,
            Err(e) => {
                problems.push(e.to_string());
                ParamEncoding::default_for(location)
            }
        };
        let schema = if swagger {
            Some(swagger_param_schema(p))
        } else {
            p.get("schema")
                .map(|s| resolved_value(store, &item_url, s))
                .or_else(|| {
                    // `content` parameters carry their schema in the media type.
                    p.get("content")
                        .and_then(Value::as_object)
                        .and_then(|m| m.values().next())
                        .and_then(|mt| mt.get("schema"))
                        .map(|s| resolved_value(store, &item_url, s))
                })
        };
        parameters.push(ParamSpec {
            required: location == ParamLocation::Path
                || p.get("required").and_then(Value::as_bool).unwrap_or(false),
            deprecated: p
                .get("deprecated")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            name,
            location,
            encoding,
            schema,
            raw: p.clone(),
        });
    }

    let request_body = if swagger {
        swagger_body(root, op, body_param.as_ref(), &raw_params, &mut problems)
    } else {
        op.get("requestBody").and_then(|rb| {
            let rb = store.resolve(&item_url, rb).ok()?;
            Some(BodySpec {
                required: rb
                    .value
                    .get("required")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
                content: media_list(store, rb.url, rb.value.get("content")),
            })
        })
    };

    let responses = op
        .get("responses")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter(|(k, _)| !k.starts_with("x-"))
                .map(|(status, r)| {
                    let found = store.resolve(&item_url, r).ok();
                    let (url, r) = found.map_or((&item_url, r), |f| (f.url, f.value));
                    if swagger {
                        swagger_response(root, op, status, r)
                    } else {
                        ResponseSpec {
                            status: status.clone(),
                            description: r
                                .get("description")
                                .and_then(Value::as_str)
                                .map(str::to_string),
                            headers: headers(store, url, r.get("headers")),
                            content: media_list(store, url, r.get("content")),
                        }
                    }
                })
                .collect()
        })
        .unwrap_or_default();

    let security = match op.get("security") {
        Some(s) => requirements(s),
        None => root.get("security").map(requirements).unwrap_or_default(),
    };

    let servers = if swagger {
        vec![crate::servers::swagger2_server(root, &api.url)]
    } else {
        let pick = [op.get("servers"), item.get("servers"), root.get("servers")]
            .into_iter()
            .flatten()
            .find(|s| s.as_array().is_some_and(|a| !a.is_empty()));
        match pick {
            Some(list) => list
                .as_array()
                .map(|a| a.iter().filter_map(Server::from_value).collect())
                .unwrap_or_default(),
            // OpenAPI 3: without servers, the default is a server at `/`.
            None => vec![Server::relative_root()],
        }
    };

    Operation {
        method: entry.method.to_ascii_uppercase(),
        path: entry.path.clone(),
        operation_id: entry.operation_id.clone(),
        summary: op
            .get("summary")
            .and_then(Value::as_str)
            .map(str::to_string),
        pointer: entry.pointer.clone(),
        parameters,
        request_body,
        responses,
        security,
        servers,
        deprecated: op
            .get("deprecated")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        problems,
        unresolved_refs,
    }
}

/// `v` with a top-level `$ref` resolved (nested references stay).
fn resolved_value(store: &Store, base: &Url, v: &Value) -> Value {
    store
        .resolve(base, v)
        .map(|f| f.value.clone())
        .unwrap_or_else(|_| v.clone())
}

fn media_list(store: &Store, base: &Url, content: Option<&Value>) -> Vec<MediaSpec> {
    content
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(mt, obj)| {
                    let obj = store.resolve(base, obj).map(|f| f.value).unwrap_or(obj);
                    let examples = obj
                        .get("examples")
                        .and_then(Value::as_object)
                        .map(|ex| {
                            ex.iter()
                                .filter_map(|(name, e)| {
                                    let e = store.resolve(base, e).map(|f| f.value).unwrap_or(e);
                                    let v = e.get("value").or_else(|| e.get("dataValue"))?;
                                    Some((name.clone(), v.clone()))
                                })
                                .collect()
                        })
                        .unwrap_or_default();
                    MediaSpec {
                        media_type: mt.clone(),
                        schema: obj.get("schema").map(|s| resolved_value(store, base, s)),
                        encoding: obj.get("encoding").cloned(),
                        example: obj.get("example").cloned(),
                        examples,
                    }
                })
                .collect()
        })
        .unwrap_or_default()
}

fn headers(store: &Store, base: &Url, v: Option<&Value>) -> Vec<(String, HeaderSpec)> {
    v.and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(name, h)| {
                    let h = store.resolve(base, h).map(|f| f.value).unwrap_or(h);
                    let schema = h
                        .get("schema")
                        .map(|s| resolved_value(store, base, s))
                        .or_else(|| {
                            // Swagger 2.0 headers carry the schema fields inline.
                            h.get("type").map(|_| h.clone())
                        });
                    let example = h
                        .get("example")
                        .cloned()
                        .or_else(|| schema.as_ref().and_then(|s| s.get("example")).cloned());
                    (
                        name.clone(),
                        HeaderSpec {
                            schema,
                            required: h.get("required").and_then(Value::as_bool).unwrap_or(false),
                            example,
                        },
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// A Swagger 2.0 non-body parameter's schema: its own type fields.
fn swagger_param_schema(p: &Value) -> Value {
    let mut schema = Map::new();
    if let Some(m) = p.as_object() {
        for (k, v) in m {
            if matches!(
                k.as_str(),
                "type"
                    | "format"
                    | "items"
                    | "enum"
                    | "default"
                    | "minimum"
                    | "maximum"
                    | "exclusiveMinimum"
                    | "exclusiveMaximum"
                    | "minLength"
                    | "maxLength"
                    | "pattern"
                    | "minItems"
                    | "maxItems"
                    | "uniqueItems"
                    | "multipleOf"
            ) {
                schema.insert(k.clone(), v.clone());
            }
        }
    }
    Value::Object(schema)
}

fn consumes<'a>(root: &'a Value, op: &'a Value) -> Vec<String> {
    op.get("consumes")
        .or_else(|| root.get("consumes"))
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

fn produces<'a>(root: &'a Value, op: &'a Value) -> Vec<String> {
    op.get("produces")
        .or_else(|| root.get("produces"))
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// Swagger 2.0: `in: body` or `in: formData` parameters as a request body.
fn swagger_body(
    root: &Value,
    op: &Value,
    body: Option<&Value>,
    params: &[Value],
    problems: &mut Vec<String>,
) -> Option<BodySpec> {
    let types = consumes(root, op);
    if let Some(b) = body {
        let types = if types.is_empty() {
            vec!["application/json".to_string()]
        } else {
            types
        };
        return Some(BodySpec {
            required: b.get("required").and_then(Value::as_bool).unwrap_or(false),
            content: types
                .into_iter()
                .map(|mt| MediaSpec {
                    media_type: mt,
                    schema: b.get("schema").cloned(),
                    encoding: None,
                    example: None,
                    examples: Vec::new(),
                })
                .collect(),
        });
    }
    if !params
        .iter()
        .any(|p| p.get("in").and_then(Value::as_str) == Some("formData"))
    {
        return None;
    }
    let form = match swagger2_form(params) {
        Ok(f) => f,
        Err(e) => {
            problems.push(e.to_string());
            return None;
        }
    };
    let multipart = types.iter().any(|t| t.starts_with("multipart/form-data"))
        || params
            .iter()
            .any(|p| p.get("type").and_then(Value::as_str) == Some("file"));
    let mt = if multipart {
        "multipart/form-data"
    } else {
        "application/x-www-form-urlencoded"
    };
    let required = params.iter().any(|p| {
        p.get("in").and_then(Value::as_str) == Some("formData")
            && p.get("required").and_then(Value::as_bool).unwrap_or(false)
    });
    Some(BodySpec {
        required,
        content: vec![MediaSpec {
            media_type: mt.to_string(),
            schema: Some(form.schema),
            encoding: Some(form.encoding),
            example: None,
            examples: Vec::new(),
        }],
    })
}

/// Swagger 2.0: a response's `schema` and `examples` restated per `produces` type.
fn swagger_response(root: &Value, op: &Value, status: &str, r: &Value) -> ResponseSpec {
    let mut types = produces(root, op);
    if types.is_empty() {
        types.push("application/json".into());
    }
    let examples = r.get("examples").and_then(Value::as_object);
    let content = if r.get("schema").is_some() || examples.is_some() {
        types
            .into_iter()
            .map(|mt| MediaSpec {
                example: examples.and_then(|e| e.get(&mt)).cloned(),
                media_type: mt,
                schema: r.get("schema").cloned(),
                encoding: None,
                examples: Vec::new(),
            })
            .collect()
    } else {
        Vec::new()
    };
    let headers = r
        .get("headers")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(name, h)| {
                    (
                        name.clone(),
                        HeaderSpec {
                            schema: Some(h.clone()),
                            required: false,
                            example: h
                                .get("example")
                                .cloned()
                                .or_else(|| h.get("default").cloned()),
                        },
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    ResponseSpec {
        status: status.to_string(),
        description: r
            .get("description")
            .and_then(Value::as_str)
            .map(str::to_string),
        headers,
        content,
    }
}

/// Schema-level `example` of an object built from `properties` examples (used by callers that synthesize).
pub fn property_examples(schema: &Value) -> Option<Value> {
    let props = schema.get("properties")?.as_object()?;
    let mut out = Map::new();
    for (k, v) in props {
        out.insert(k.clone(), v.get("example")?.clone());
    }
    Some(Value::Object(out))
}

/// An empty object schema, for places that need "anything".
pub fn any_schema() -> Value {
    json!({})
}

/// Orders a map by key for stable output.
pub fn sorted(m: &IndexMap<String, Value>) -> Vec<(&String, &Value)> {
    let mut v: Vec<_> = m.iter().collect();
    v.sort_by(|a, b| a.0.cmp(b.0));
    v
}
