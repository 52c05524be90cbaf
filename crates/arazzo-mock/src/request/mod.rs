//! Checking a request against its operation: parameters (present when required, and of the
//! documented type once the text is read as the schema says), the `Content-Type`, and the body.
//!
//! Parameters arrive as text. Each is first split the way its `style`/`explode` say (arrays,
//! objects, `deepObject`), then each piece is read as the schema's type (`"42"` becomes `42`
//! for an integer, `"true"` becomes `true` for a boolean), and the result is validated. A piece
//! that does not read as its type is left as a string, so the violation says what was sent.

mod body;

use arazzo_openapi::media;
use arazzo_openapi::operation::ParamSpec;
use arazzo_openapi::serialize::{ParamLocation, Style, is_ignored_header};
use http::HeaderMap;
use serde_json::{Map, Number, Value};

use crate::Violation;
use crate::refs::{Refs, resolve};
use crate::validate::push_key;
use crate::view::{Node, OpView};

pub(crate) use body::Part;
use body::{check_body, insert_path, key_path, read_as};

/// Most violations reported for one value.
pub(crate) const MAX_VIOLATIONS: usize = 20;

/// The parts of a request the checks read.
pub(crate) struct Incoming<'a> {
    /// Path parameters from the route, percent-decoded.
    pub path_params: &'a [(String, String)],
    /// The raw query string.
    pub query: Option<&'a str>,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
}

/// Something that validates a value against a located schema (cached by the caller).
pub(crate) trait Check {
    /// Violations of `value` against `node`, located under `prefix`; `key` names the schema for
    /// caching. Empty when the schema cannot be compiled.
    fn check(&self, key: &str, node: &Node, value: &Value, prefix: &str) -> Vec<Violation>;
}

/// Every violation of the request, and notes that are not violations.
pub(crate) fn check_request(
    view: &OpView,
    req: &Incoming<'_>,
    refs: &dyn Refs,
    checker: &dyn Check,
    notes: &mut Vec<String>,
) -> Vec<Violation> {
    let mut out = Vec::new();
    let query: Vec<(String, String)> = req
        .query
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect()
        })
        .unwrap_or_default();
    let cookies = cookies(req.headers);
    for (i, p) in view.op.parameters.iter().enumerate() {
        if p.location == ParamLocation::Header && is_ignored_header(&p.name) {
            continue;
        }
        if p.location == ParamLocation::QueryString {
            continue;
        }
        let node = view.params.get(i).and_then(Option::as_ref);
        let raw = match p.location {
            ParamLocation::Path => req
                .path_params
                .iter()
                .find(|(n, _)| *n == p.name)
                .map(|(_, v)| Raw::One(strip_path_style(p, v))),
            ParamLocation::Query => query_raw(p, node, refs, &query),
            ParamLocation::Header => {
                let values: Vec<String> = req
                    .headers
                    .get_all(p.name.as_str())
                    .iter()
                    .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
                    .collect();
                (!values.is_empty()).then(|| Raw::One(values.join(",")))
            }
            ParamLocation::Cookie => cookies
                .iter()
                .find(|(n, _)| *n == p.name)
                .map(|(_, v)| Raw::One(v.clone())),
            ParamLocation::QueryString => None,
        };
        let mut prefix = format!("$.{}", p.location.as_str());
        push_key(
            &mut prefix,
            &if p.location == ParamLocation::Header {
                p.name.to_ascii_lowercase()
            } else {
                p.name.clone()
            },
        );
        let Some(raw) = raw else {
            if p.required {
                out.push(Violation {
                    path: prefix,
                    message: format!(
                        "the required {} parameter `{}` is missing",
                        p.location, p.name
                    ),
                });
            }
            continue;
        };
        let Some(node) = node else {
            continue;
        };
        let value = if let Some(ct) = &p.encoding.content_type {
            match raw {
                Raw::One(s) if media::is_json(ct) => match serde_json::from_str(&s) {
                    Ok(v) => v,
                    Err(e) => {
                        out.push(Violation {
                            path: prefix,
                            message: format!("the value is not valid JSON ({ct}): {e}"),
                        });
                        continue;
                    }
                },
                Raw::One(s) => Value::String(s),
                other => other.into_value(),
            }
        } else {
            coerce(refs, node, raw, p)
        };
        let key = format!("{}:param:{}:{}", view.op.pointer, p.location, p.name);
        out.extend(checker.check(&key, node, &value, &prefix));
    }
    check_body(view, req, refs, checker, notes, &mut out);
    out
}

/// Removes the `label` (`.`) and `matrix` (`;name=`) prefixes of a path value.
fn strip_path_style(p: &ParamSpec, v: &str) -> String {
    match p.encoding.style {
        Style::Label => v.strip_prefix('.').unwrap_or(v).to_string(),
        Style::Matrix => {
            let prefix = format!(";{}=", p.name);
            if p.encoding.explode {
                v.split(&prefix)
                    .filter(|s| !s.is_empty())
                    .collect::<Vec<_>>()
                    .join(",")
            } else {
                v.strip_prefix(&prefix).unwrap_or(v).to_string()
            }
        }
        _ => v.to_string(),
    }
}

/// A parameter's text before it is read as its type.
enum Raw {
    One(String),
    Many(Vec<String>),
    Map(Vec<(String, String)>),
    /// Nested fields (`deepObject`), read like a form body.
    Tree(Value),
}

impl Raw {
    fn into_value(self) -> Value {
        match self {
            Raw::One(s) => Value::String(s),
            Raw::Many(l) => Value::Array(l.into_iter().map(Value::String).collect()),
            Raw::Map(m) => {
                Value::Object(m.into_iter().map(|(k, v)| (k, Value::String(v))).collect())
            }
            Raw::Tree(v) => v,
        }
    }
}

fn query_raw(
    p: &ParamSpec,
    node: Option<&Node>,
    refs: &dyn Refs,
    query: &[(String, String)],
) -> Option<Raw> {
    if p.encoding.style == Style::DeepObject && p.encoding.content_type.is_none() {
        // `name[a][b]=v`: nested like a form body.
        let prefix = format!("{}[", p.name);
        let mut tree = Value::Object(Map::new());
        let mut any = false;
        for (k, v) in query.iter().filter(|(k, _)| k.starts_with(&prefix)) {
            let path = key_path(k);
            insert_path(
                &mut tree,
                path.get(1..).unwrap_or_default(),
                Value::String(v.clone()),
                0,
            );
            any = true;
        }
        return any.then_some(Raw::Tree(tree));
    }
    let shape = node.map(|n| shape(refs, n)).unwrap_or_default();
    if p.encoding.content_type.is_none()
        && p.encoding.style == Style::Form
        && p.encoding.explode
        && shape.kind == "object"
    {
        // Exploded form objects: each property is its own query parameter.
        let pairs: Vec<(String, String)> = query
            .iter()
            .filter(|(k, _)| shape.properties.contains(k))
            .cloned()
            .collect();
        return (!pairs.is_empty()).then_some(Raw::Map(pairs));
    }
    let values: Vec<String> = query
        .iter()
        .filter(|(k, _)| *k == p.name)
        .map(|(_, v)| v.clone())
        .collect();
    match values.len() {
        0 => None,
        1 => values.into_iter().next().map(Raw::One),
        _ => Some(Raw::Many(values)),
    }
}

/// What a schema expects, as far as reading text goes.
#[derive(Default)]
struct Shape {
    kind: &'static str,
    items: Option<Node>,
    properties: Vec<String>,
}

/// The expected JSON type of a schema (following `$ref`, `allOf` and the first `oneOf`/`anyOf`
/// branch with a type).
fn shape(refs: &dyn Refs, node: &Node) -> Shape {
    let (url, v) = resolve(refs, &node.url, &node.schema);
    let mut s = Shape::default();
    let types: Vec<&str> = match v.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    s.kind = match types.iter().find(|t| **t != "null") {
        Some(&"integer") => "integer",
        Some(&"number") => "number",
        Some(&"boolean") => "boolean",
        Some(&"array") => "array",
        Some(&"object") => "object",
        Some(_) => "string",
        None if v.get("properties").is_some() => "object",
        None if v.get("items").is_some() => "array",
        None => "",
    };
    if let Some(Value::Object(p)) = v.get("properties") {
        s.properties = p.keys().cloned().collect();
    }
    if let Some(items) = v.get("items").filter(|i| i.is_object()) {
        s.items = Some(Node {
            url: url.clone(),
            schema: items.clone(),
        });
    }
    if s.kind.is_empty() {
        for key in ["allOf", "oneOf", "anyOf"] {
            if let Some(Value::Array(list)) = v.get(key) {
                for sub in list {
                    let inner = shape(
                        refs,
                        &Node {
                            url: url.clone(),
                            schema: sub.clone(),
                        },
                    );
                    if !inner.kind.is_empty() {
                        return inner;
                    }
                }
            }
        }
    }
    s
}

/// The schema of property `name` of an object schema.
fn property(refs: &dyn Refs, node: &Node, name: &str) -> Option<Node> {
    let (url, v) = resolve(refs, &node.url, &node.schema);
    if let Some(p) = v.get("properties").and_then(|p| p.get(name)) {
        return Some(Node {
            url: url.clone(),
            schema: p.clone(),
        });
    }
    if let Some(add) = v.get("additionalProperties").filter(|a| a.is_object()) {
        return Some(Node {
            url: url.clone(),
            schema: add.clone(),
        });
    }
    for key in ["allOf", "oneOf", "anyOf"] {
        if let Some(Value::Array(list)) = v.get(key) {
            for sub in list {
                let n = Node {
                    url: url.clone(),
                    schema: sub.clone(),
                };
                if let Some(found) = property(refs, &n, name) {
                    return Some(found);
                }
            }
        }
    }
    None
}

/// Reads parameter text as the schema's type.
fn coerce(refs: &dyn Refs, node: &Node, raw: Raw, p: &ParamSpec) -> Value {
    if let Raw::Tree(tree) = raw {
        return read_as(refs, Some(node), tree, 0);
    }
    let s = shape(refs, node);
    let delimiter = match p.encoding.style {
        Style::SpaceDelimited => ' ',
        Style::PipeDelimited => '|',
        Style::TabDelimited => '\t',
        _ => ',',
    };
    match s.kind {
        "array" => {
            let pieces: Vec<String> = match raw {
                Raw::Many(l) => l,
                Raw::One(v) if v.is_empty() => Vec::new(),
                Raw::One(v) => v.split(delimiter).map(str::to_string).collect(),
                Raw::Map(m) => m.into_iter().map(|(_, v)| v).collect(),
                Raw::Tree(_) => Vec::new(),
            };
            let kind = s.items.as_ref().map(|i| shape(refs, i).kind).unwrap_or("");
            Value::Array(pieces.into_iter().map(|v| scalar(kind, v)).collect())
        }
        "object" => {
            let pairs: Vec<(String, String)> = match raw {
                Raw::Map(m) => m,
                Raw::One(v) => {
                    if p.encoding.explode && p.location != ParamLocation::Query {
                        v.split(',')
                            .map(|kv| match kv.split_once('=') {
                                Some((k, v)) => (k.to_string(), v.to_string()),
                                None => (kv.to_string(), String::new()),
                            })
                            .collect()
                    } else {
                        let parts: Vec<&str> = v.split(',').collect();
                        parts
                            .chunks(2)
                            .map(|c| {
                                (
                                    c.first().copied().unwrap_or("").to_string(),
                                    c.get(1).copied().unwrap_or("").to_string(),
                                )
                            })
                            .collect()
                    }
                }
                Raw::Many(l) => l.into_iter().map(|v| (v, String::new())).collect(),
                Raw::Tree(_) => Vec::new(),
            };
            let mut m = Map::new();
            for (k, v) in pairs {
                let kind = property(refs, node, &k)
                    .map(|n| shape(refs, &n).kind)
                    .unwrap_or("");
                m.insert(k, scalar(kind, v));
            }
            Value::Object(m)
        }
        kind => match raw {
            Raw::One(v) => scalar(kind, v),
            // Repeated scalar: the first counts; the validator sees the rest as a type error.
            Raw::Many(l) => Value::Array(l.into_iter().map(|v| scalar(kind, v)).collect()),
            other => other.into_value(),
        },
    }
}

/// Text read as `kind`, or left as a string when it does not read.
fn scalar(kind: &str, text: String) -> Value {
    match kind {
        "integer" => text
            .trim()
            .parse::<i64>()
            .map(|n| Value::Number(n.into()))
            .or_else(|_| {
                text.trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|f| f.fract() == 0.0 && f.is_finite())
                    .and_then(Number::from_f64)
                    .map(Value::Number)
                    .ok_or(())
            })
            .unwrap_or(Value::String(text)),
        "number" => match text.trim().parse::<i64>() {
            Ok(n) => Value::Number(n.into()),
            Err(_) => text
                .trim()
                .parse::<f64>()
                .ok()
                .and_then(Number::from_f64)
                .map(Value::Number)
                .unwrap_or(Value::String(text)),
        },
        "boolean" => match text.as_str() {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => Value::String(text),
        },
        _ => Value::String(text),
    }
}

fn cookies(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| {
            let (k, v) = pair.split_once('=')?;
            Some((k.trim().to_string(), v.trim().to_string()))
        })
        .collect()
}
