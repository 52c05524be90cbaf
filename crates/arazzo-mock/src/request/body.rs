//! Checking a request body: its `Content-Type` against the documented media types, then its
//! content (JSON, forms with bracketed names, multipart) read as the schema says and validated.

use arazzo_openapi::media;
use serde_json::{Map, Value};

use super::{Check, Incoming, property, scalar, shape};
use crate::Violation;
use crate::refs::Refs;
use crate::view::{Node, OpView};

pub(super) fn check_body(
    view: &OpView,
    req: &Incoming<'_>,
    refs: &dyn Refs,
    checker: &dyn Check,
    notes: &mut Vec<String>,
    out: &mut Vec<Violation>,
) {
    let Some(spec) = &view.op.request_body else {
        if !req.body.is_empty() {
            notes.push(format!(
                "a {}-byte body was sent, but the operation documents no request body",
                req.body.len()
            ));
        }
        return;
    };
    if req.body.is_empty() {
        // An empty form body is the encoding of an object with no fields, not a missing body.
        let declared = req
            .headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(media::essence);
        let form = |t: &str| media::essence(t) == "application/x-www-form-urlencoded";
        let is_form = match &declared {
            Some(t) => form(t),
            None => spec.content.len() == 1 && spec.content.iter().all(|m| form(&m.media_type)),
        };
        if spec.required && !is_form {
            out.push(Violation {
                path: "$.body".into(),
                message: "the request body is required, but none was sent".into(),
            });
        }
        if spec.required
            && is_form
            && let Some(i) = spec.content.iter().position(|m| form(&m.media_type))
            && let Some(Some(node)) = view.body.get(i)
        {
            let key = format!("{}:body:{}", view.op.pointer, spec.content[i].media_type);
            out.extend(checker.check(&key, node, &Value::Object(Map::new()), "$.body"));
        }
        return;
    }
    let documented: Vec<&str> = spec.content.iter().map(|m| m.media_type.as_str()).collect();
    let content_type = req
        .headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let (index, content_type) = match content_type {
        Some(ct) => {
            let index = spec
                .content
                .iter()
                .position(|m| media::essence(&m.media_type) == media::essence(&ct))
                .or_else(|| {
                    spec.content
                        .iter()
                        .position(|m| media::range_matches(&m.media_type, &media::essence(&ct)))
                });
            if index.is_none() && !documented.is_empty() {
                out.push(Violation {
                    path: "$.header.content-type".into(),
                    message: format!(
                        "`{ct}` is not a documented request media type (expected {})",
                        documented.join(", ")
                    ),
                });
                return;
            }
            (index, ct)
        }
        None => {
            out.push(Violation {
                path: "$.header.content-type".into(),
                message: format!(
                    "a body was sent without a Content-Type (expected {})",
                    documented.join(", ")
                ),
            });
            let i = spec
                .content
                .iter()
                .position(|m| media::is_json(&m.media_type));
            let ct = i
                .and_then(|i| spec.content.get(i))
                .map(|m| m.media_type.clone())
                .unwrap_or_default();
            (i, ct)
        }
    };
    let Some(index) = index else {
        return;
    };
    let Some(node) = view.body.get(index).and_then(Option::as_ref) else {
        return;
    };
    let essence = media::essence(&content_type);
    let value = if media::is_json(&content_type) {
        match serde_json::from_slice::<Value>(req.body) {
            Ok(v) => v,
            Err(e) => {
                out.push(Violation {
                    path: "$.body".into(),
                    message: format!("the body is not valid JSON: {e}"),
                });
                return;
            }
        }
    } else if essence == "application/x-www-form-urlencoded" {
        let pairs: Vec<(String, String)> = url::form_urlencoded::parse(req.body)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        form_object(
            refs,
            node,
            pairs.into_iter().map(|(k, v)| (k, Part::Text(v))),
        )
    } else if essence.starts_with("multipart/") {
        match crate::multipart::parse(&content_type, req.body) {
            Some(parts) => form_object(refs, node, parts.into_iter()),
            None => {
                out.push(Violation {
                    path: "$.body".into(),
                    message:
                        "the multipart body could not be read (missing boundary or malformed parts)"
                            .into(),
                });
                return;
            }
        }
    } else {
        // XML, text and binary bodies are not checked against the schema.
        return;
    };
    let mt = spec
        .content
        .get(index)
        .map(|m| m.media_type.as_str())
        .unwrap_or("");
    let key = format!("{}:body:{mt}", view.op.pointer);
    out.extend(checker.check(&key, node, &value, "$.body"));
}

/// One field of a form or multipart body.
pub(crate) enum Part {
    /// Text (form fields, multipart parts without a JSON type).
    Text(String),
    /// A multipart part declared as JSON.
    Json(Value),
}

/// Form fields as an object. Bracketed names (`card[number]`, `items[0][price]`, `tags[]`),
/// as `deepObject` and Stripe-style encodings write them, become nested objects and arrays;
/// repeated names become arrays; then every value is read as its schema says.
fn form_object(
    refs: &dyn Refs,
    node: &Node,
    fields: impl Iterator<Item = (String, Part)>,
) -> Value {
    let mut tree = Value::Object(Map::new());
    for (key, part) in fields {
        let leaf = match part {
            Part::Json(v) => v,
            Part::Text(t) => Value::String(t),
        };
        insert_path(&mut tree, &key_path(&key), leaf, 0);
    }
    read_as(refs, Some(node), tree, 0)
}

/// `a[b][0]` → `["a", "b", "0"]`; `a[]` → `["a", ""]`.
pub(super) fn key_path(key: &str) -> Vec<String> {
    let Some(open) = key.find('[') else {
        return vec![key.to_string()];
    };
    if open == 0 || !key.ends_with(']') {
        return vec![key.to_string()];
    }
    let mut path = vec![key[..open].to_string()];
    for seg in key[open + 1..key.len() - 1].split("][") {
        path.push(seg.to_string());
    }
    path
}

pub(super) fn insert_path(at: &mut Value, path: &[String], leaf: Value, depth: usize) {
    let Some((first, rest)) = path.split_first() else {
        return;
    };
    if depth > 32 {
        return;
    }
    if first.is_empty() {
        // `name[]`: append.
        if !at.is_array() {
            *at = Value::Array(Vec::new());
        }
        if let Value::Array(a) = at {
            if rest.is_empty() {
                a.push(leaf);
            } else {
                let mut child = Value::Object(Map::new());
                insert_path(&mut child, rest, leaf, depth + 1);
                a.push(child);
            }
        }
        return;
    }
    if !at.is_object() {
        return;
    }
    let Value::Object(m) = at else {
        return;
    };
    if rest.is_empty() {
        match m.get_mut(first.as_str()) {
            // Repeated field: a list.
            Some(Value::Array(a)) => a.push(leaf),
            Some(existing) => {
                let prev = existing.take();
                *existing = Value::Array(vec![prev, leaf]);
            }
            None => {
                m.insert(first.clone(), leaf);
            }
        }
        return;
    }
    let child = m
        .entry(first.clone())
        .or_insert_with(|| Value::Object(Map::new()));
    insert_path(child, rest, leaf, depth + 1);
}

/// A decoded form value read as its schema's types: numbered objects become arrays, JSON text
/// in an object- or array-typed field is parsed, scalars are read as their type.
pub(super) fn read_as(refs: &dyn Refs, node: Option<&Node>, v: Value, depth: usize) -> Value {
    if depth > 32 {
        return v;
    }
    let s = node.map(|n| shape(refs, n)).unwrap_or_default();
    match (s.kind, v) {
        ("array", Value::Object(m)) if m.keys().all(|k| k.parse::<usize>().is_ok()) => {
            let mut items: Vec<(usize, Value)> = m
                .into_iter()
                .filter_map(|(k, v)| Some((k.parse().ok()?, v)))
                .collect();
            items.sort_by_key(|(i, _)| *i);
            Value::Array(
                items
                    .into_iter()
                    .map(|(_, v)| read_as(refs, s.items.as_ref(), v, depth + 1))
                    .collect(),
            )
        }
        (kind @ ("array" | "object"), Value::String(t)) => {
            // Structured fields without an Encoding Object travel as JSON text.
            let parsed = t
                .trim_start()
                .starts_with(['[', '{'])
                .then(|| serde_json::from_str::<Value>(&t).ok())
                .flatten();
            match parsed {
                Some(v @ Value::Array(_)) => read_as(refs, node, v, depth + 1),
                Some(v) if kind == "array" => {
                    Value::Array(vec![read_as(refs, s.items.as_ref(), v, depth + 1)])
                }
                Some(v) => read_as(refs, node, v, depth + 1),
                // One exploded item of an array.
                None if kind == "array" => Value::Array(vec![read_as(
                    refs,
                    s.items.as_ref(),
                    Value::String(t),
                    depth + 1,
                )]),
                None => Value::String(t),
            }
        }
        ("array", Value::Array(a)) => Value::Array(
            a.into_iter()
                .map(|v| match v {
                    Value::String(t) if t.trim_start().starts_with(['[', '{']) => {
                        let parsed = serde_json::from_str::<Value>(&t).unwrap_or(Value::String(t));
                        read_as(refs, s.items.as_ref(), parsed, depth + 1)
                    }
                    other => read_as(refs, s.items.as_ref(), other, depth + 1),
                })
                .collect(),
        ),
        (_, Value::Object(m)) => {
            let mut out = Map::new();
            for (k, v) in m {
                let prop = node.and_then(|n| property(refs, n, &k));
                out.insert(k, read_as(refs, prop.as_ref(), v, depth + 1));
            }
            Value::Object(out)
        }
        (kind, Value::String(t)) => scalar(kind, t),
        (_, Value::Array(a)) => Value::Array(
            a.into_iter()
                .map(|v| read_as(refs, node, v, depth + 1))
                .collect(),
        ),
        (_, other) => other,
    }
}
