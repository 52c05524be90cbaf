//! Reading the few Schema Object facts serialization depends on.
//!
//! Schemas arrive with `$ref`s already resolved. Only what changes the
//! bytes is read: types (for default part content types), properties and
//! items (to find sub-schemas), and `xml` hints.

use serde_json::Value;

/// The `type` keyword as a list (`"string"` or `["string", "null"]`),
/// without `"null"`.
pub(crate) fn types(schema: &Value) -> Vec<&str> {
    match schema.get("type") {
        Some(Value::String(t)) if t != "null" => vec![t.as_str()],
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .filter(|t| *t != "null")
            .collect(),
        _ => Vec::new(),
    }
}

/// Whether the schema describes only strings, so that a string value is
/// data rather than pre-serialized content.
pub(crate) fn is_string_only(schema: Option<&Value>) -> bool {
    schema.is_some_and(|s| {
        let ts = types(s);
        !ts.is_empty() && ts.iter().all(|t| *t == "string")
    })
}

/// Whether the schema describes arrays.
pub(crate) fn is_array(schema: &Value) -> bool {
    types(schema).contains(&"array")
        || (types(schema).is_empty()
            && (schema.get("items").is_some() || schema.get("prefixItems").is_some()))
}

/// The sub-schema for property `name`: `properties`, then the members of
/// `allOf`/`anyOf`/`oneOf`, then an object-valued `additionalProperties`.
pub(crate) fn property<'a>(schema: &'a Value, name: &str) -> Option<&'a Value> {
    property_depth(schema, name, 0)
}

fn property_depth<'a>(schema: &'a Value, name: &str, depth: usize) -> Option<&'a Value> {
    if depth > 8 {
        return None;
    }
    if let Some(p) = schema.get("properties").and_then(|p| p.get(name)) {
        return Some(p);
    }
    for key in ["allOf", "anyOf", "oneOf"] {
        if let Some(Value::Array(members)) = schema.get(key)
            && let Some(p) = members
                .iter()
                .find_map(|m| property_depth(m, name, depth + 1))
        {
            return Some(p);
        }
    }
    match schema.get("additionalProperties") {
        Some(p @ Value::Object(_)) => Some(p),
        _ => None,
    }
}

/// The schema for array item `index`: `prefixItems[index]`, then `items`
/// (an array-valued `items` is the draft-04 tuple form of OpenAPI 3.0's
/// ancestors and is read the same way).
pub(crate) fn item(schema: &Value, index: usize) -> Option<&Value> {
    if let Some(p) = schema
        .get("prefixItems")
        .and_then(Value::as_array)
        .and_then(|a| a.get(index))
    {
        return Some(p);
    }
    match schema.get("items") {
        Some(Value::Array(tuple)) => tuple.get(index),
        Some(items @ Value::Object(_)) => Some(items),
        _ => None,
    }
}

/// The Encoding Object default `contentType` for `value` described by
/// `schema` (OpenAPI 3.2 Encoding Object table, with OpenAPI 3.0's
/// `format: binary` treated like `contentEncoding`).
pub(crate) fn default_content_type(schema: Option<&Value>, value: &Value) -> &'static str {
    if let Some(schema) = schema {
        let ts = types(schema);
        if ts.is_empty() {
            let structural = [
                "properties",
                "additionalProperties",
                "patternProperties",
                "items",
                "prefixItems",
                "allOf",
                "anyOf",
                "oneOf",
                "enum",
                "const",
                "format",
            ]
            .iter()
            .any(|k| schema.get(k).is_some());
            if !structural && value.is_string() {
                // "absent type" means arbitrary (binary) content.
                return "application/octet-stream";
            }
        } else if ts.contains(&"string") && ts.len() == 1 {
            let binary = schema.get("contentEncoding").is_some()
                || schema.get("format").and_then(Value::as_str) == Some("binary");
            return if binary {
                "application/octet-stream"
            } else {
                "text/plain"
            };
        } else if ts
            .iter()
            .all(|t| matches!(*t, "number" | "integer" | "boolean"))
        {
            return "text/plain";
        } else if ts.iter().all(|t| matches!(*t, "object" | "array")) {
            return "application/json";
        }
    }
    match value {
        Value::Object(_) | Value::Array(_) => "application/json",
        Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) => "text/plain",
    }
}
