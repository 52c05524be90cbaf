//! A quick yes/no check of a value against a schema, used while synthesizing: to decide whether
//! an author's `example` may be used as it is, and which `oneOf` branch a generated value falls
//! in. It reads OpenAPI 2.0–3.2 schemas directly (`nullable`, boolean `exclusiveMinimum`,
//! `$ref` with siblings), needs no compilation, and errs on the side of "conforms" for keywords
//! it does not know. Request validation and the tests use the full `jsonschema` validator.

use serde_json::{Map, Value};
use url::Url;

use crate::pattern;
use crate::refs::Refs;

/// Deeper than this, a value is taken to conform (recursive schemas, hostile input).
const MAX_DEPTH: usize = 48;

/// Whether `value` satisfies the schema `schema` (which lives in the document at `base`).
pub(crate) fn conforms(refs: &dyn Refs, base: &Url, schema: &Value, value: &Value) -> bool {
    check(refs, base, schema, value, 0)
}

fn check(refs: &dyn Refs, base: &Url, schema: &Value, value: &Value, depth: usize) -> bool {
    if depth > MAX_DEPTH {
        return true;
    }
    let m = match schema {
        Value::Bool(b) => return *b,
        Value::Object(m) => m,
        _ => return true,
    };
    // An unresolvable reference constrains nothing we can check.
    if let Some(Value::String(r)) = m.get("$ref")
        && let Some(t) = refs.lookup(base, r)
        && !(value.is_null() && nullable(m))
        && !check(refs, t.url, t.value, value, depth + 1)
    {
        return false;
    }
    if value.is_null() && allows_null(m) {
        return true;
    }
    if let Some(types) = declared_types(m)
        && !types.iter().any(|t| has_type(value, t))
    {
        return false;
    }
    if let Some(Value::Array(options)) = m.get("enum")
        && !options.iter().any(|o| same(o, value))
    {
        return false;
    }
    if let Some(c) = m.get("const")
        && !same(c, value)
    {
        return false;
    }
    let ok = match value {
        Value::String(s) => check_string(m, s),
        Value::Number(n) => n.as_f64().is_none_or(|x| check_number(m, x)),
        Value::Array(items) => check_array(refs, base, m, items, depth),
        Value::Object(obj) => check_object(refs, base, m, obj, depth),
        _ => true,
    };
    if !ok {
        return false;
    }
    if let Some(Value::Array(all)) = m.get("allOf")
        && !all.iter().all(|s| check(refs, base, s, value, depth + 1))
    {
        return false;
    }
    if let Some(Value::Array(any)) = m.get("anyOf")
        && !any.iter().any(|s| check(refs, base, s, value, depth + 1))
    {
        return false;
    }
    if let Some(Value::Array(one)) = m.get("oneOf")
        && one
            .iter()
            .filter(|s| check(refs, base, s, value, depth + 1))
            .count()
            != 1
    {
        return false;
    }
    if let Some(not) = m.get("not")
        && check(refs, base, not, value, depth + 1)
    {
        return false;
    }
    true
}

/// `nullable: true` (3.0) or `x-nullable: true` (2.0).
pub(crate) fn nullable(m: &Map<String, Value>) -> bool {
    m.get("nullable").and_then(Value::as_bool) == Some(true)
        || m.get("x-nullable").and_then(Value::as_bool) == Some(true)
}

fn allows_null(m: &Map<String, Value>) -> bool {
    nullable(m)
        || declared_types(m).is_some_and(|t| t.contains(&"null"))
        || m.get("enum")
            .and_then(Value::as_array)
            .is_some_and(|e| e.iter().any(Value::is_null))
}

/// The `type` keyword as a list (`None` when absent or unreadable). Swagger's `file` counts as
/// a string.
pub(crate) fn declared_types(m: &Map<String, Value>) -> Option<Vec<&str>> {
    let list: Vec<&str> = match m.get("type")? {
        Value::String(s) => vec![s.as_str()],
        Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
        _ => return None,
    };
    let known: Vec<&str> = list
        .into_iter()
        .map(|t| if t == "file" { "string" } else { t })
        .filter(|t| {
            matches!(
                *t,
                "string" | "number" | "integer" | "boolean" | "array" | "object" | "null"
            )
        })
        .collect();
    (!known.is_empty()).then_some(known)
}

fn has_type(v: &Value, t: &str) -> bool {
    match t {
        "string" => v.is_string(),
        "number" => v.is_number(),
        "integer" => v.as_f64().is_some_and(|x| x.fract() == 0.0),
        "boolean" => v.is_boolean(),
        "array" => v.is_array(),
        "object" => v.is_object(),
        "null" => v.is_null(),
        _ => true,
    }
}

/// JSON equality with numbers compared by value (`1` equals `1.0`).
pub(crate) fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

fn uint(m: &Map<String, Value>, k: &str) -> Option<u64> {
    m.get(k).and_then(Value::as_f64).map(|f| f.max(0.0) as u64)
}

fn check_string(m: &Map<String, Value>, s: &str) -> bool {
    let n = s.chars().count() as u64;
    if uint(m, "minLength").is_some_and(|min| n < min)
        || uint(m, "maxLength").is_some_and(|max| n > max)
    {
        return false;
    }
    if let Some(Value::String(p)) = m.get("pattern")
        && pattern::matches(p, s) == Some(false)
    {
        return false;
    }
    match m.get("format").and_then(Value::as_str) {
        Some(f) => format_ok(f, s),
        None => true,
    }
}

/// A light check of the formats that validators commonly enforce.
pub(crate) fn format_ok(format: &str, s: &str) -> bool {
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    let date = |t: &str| {
        let p: Vec<&str> = t.split('-').collect();
        p.len() == 3
            && p.first().is_some_and(|y| y.len() == 4 && digits(y))
            && p.get(1).is_some_and(|x| x.len() == 2 && digits(x))
            && p.get(2).is_some_and(|x| x.len() == 2 && digits(x))
            && p.get(1)
                .and_then(|x| x.parse::<u8>().ok())
                .is_some_and(|x| (1..=12).contains(&x))
            && p.get(2)
                .and_then(|x| x.parse::<u8>().ok())
                .is_some_and(|x| (1..=31).contains(&x))
    };
    // RFC 3339 `full-time`: `HH:MM:SS[.frac]` and `Z` or `±HH:MM`.
    let time = |t: &str| {
        let (partial, offset) = if let Some(p) = t.strip_suffix(['Z', 'z']) {
            (p, None)
        } else {
            match t.rfind(['+', '-']) {
                Some(i) => (t.get(..i).unwrap_or(""), t.get(i + 1..)),
                None => return false,
            }
        };
        let offset_ok = offset.is_none_or(|o| {
            let p: Vec<&str> = o.split(':').collect();
            p.len() == 2 && p.iter().all(|x| x.len() == 2 && digits(x))
        });
        let (hms, frac) = partial.split_once('.').unwrap_or((partial, "0"));
        let p: Vec<&str> = hms.split(':').collect();
        offset_ok
            && digits(frac)
            && p.len() == 3
            && p.iter().all(|x| x.len() == 2 && digits(x))
            && p.first()
                .and_then(|h| h.parse::<u8>().ok())
                .is_some_and(|h| h < 24)
            && p.get(1)
                .and_then(|m| m.parse::<u8>().ok())
                .is_some_and(|m| m < 60)
            && p.get(2)
                .and_then(|s| s.parse::<u8>().ok())
                .is_some_and(|s| s <= 60)
    };
    match format {
        "date-time" => s
            .split_once(['T', 't'])
            .is_some_and(|(d, t)| date(d) && time(t)),
        "date" => date(s),
        "time" => time(s),
        "email" | "idn-email" => s
            .split_once('@')
            .is_some_and(|(a, b)| !a.is_empty() && !b.is_empty()),
        "uuid" => {
            let p: Vec<&str> = s.split('-').collect();
            p.len() == 5
                && [8, 4, 4, 4, 12]
                    .iter()
                    .zip(&p)
                    .all(|(n, x)| x.len() == *n && x.bytes().all(|b| b.is_ascii_hexdigit()))
        }
        "uri" | "iri" => {
            s.split_once(':').is_some_and(|(scheme, _)| {
                scheme
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphabetic())
                    && scheme
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
            }) && !s.contains(' ')
        }
        "ipv4" => s.parse::<std::net::Ipv4Addr>().is_ok(),
        "ipv6" => s.parse::<std::net::Ipv6Addr>().is_ok(),
        "hostname" | "idn-hostname" => {
            !s.is_empty()
                && s.len() <= 253
                && s.split('.').all(|l| {
                    !l.is_empty()
                        && l.len() <= 63
                        && !l.starts_with('-')
                        && !l.ends_with('-')
                        && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                })
        }
        _ => true,
    }
}

fn check_number(m: &Map<String, Value>, x: f64) -> bool {
    let num = |k: &str| m.get(k).and_then(Value::as_f64);
    let excl = |k: &str| m.get(k).and_then(Value::as_bool) == Some(true);
    if let Some(min) = num("minimum")
        && (x < min || (excl("exclusiveMinimum") && x == min))
    {
        return false;
    }
    if let Some(max) = num("maximum")
        && (x > max || (excl("exclusiveMaximum") && x == max))
    {
        return false;
    }
    if num("exclusiveMinimum").is_some_and(|e| x <= e)
        || num("exclusiveMaximum").is_some_and(|e| x >= e)
    {
        return false;
    }
    if let Some(k) = num("multipleOf")
        && k > 0.0
    {
        let q = x / k;
        if (q - q.round()).abs() > 1e-9 * q.abs().max(1.0) {
            return false;
        }
    }
    true
}

fn check_array(
    refs: &dyn Refs,
    base: &Url,
    m: &Map<String, Value>,
    items: &[Value],
    depth: usize,
) -> bool {
    let n = items.len() as u64;
    if uint(m, "minItems").is_some_and(|min| n < min)
        || uint(m, "maxItems").is_some_and(|max| n > max)
    {
        return false;
    }
    if m.get("uniqueItems").and_then(Value::as_bool) == Some(true) {
        for (i, a) in items.iter().enumerate() {
            if items.iter().skip(i + 1).any(|b| same(a, b)) {
                return false;
            }
        }
    }
    let prefix: &[Value] = match (m.get("prefixItems"), m.get("items")) {
        (Some(Value::Array(p)), _) | (None, Some(Value::Array(p))) => p,
        _ => &[],
    };
    for (i, v) in items.iter().enumerate() {
        let schema = match prefix.get(i) {
            Some(s) => Some(s),
            None => m.get("items").filter(|s| !s.is_array()),
        };
        if let Some(s) = schema
            && !check(refs, base, s, v, depth + 1)
        {
            return false;
        }
    }
    true
}

fn check_object(
    refs: &dyn Refs,
    base: &Url,
    m: &Map<String, Value>,
    obj: &Map<String, Value>,
    depth: usize,
) -> bool {
    let n = obj.len() as u64;
    if uint(m, "minProperties").is_some_and(|min| n < min)
        || uint(m, "maxProperties").is_some_and(|max| n > max)
    {
        return false;
    }
    if let Some(Value::Array(req)) = m.get("required")
        && req
            .iter()
            .filter_map(Value::as_str)
            .any(|k| !obj.contains_key(k))
    {
        return false;
    }
    let props = m.get("properties").and_then(Value::as_object);
    let patterns = m.get("patternProperties").and_then(Value::as_object);
    for (k, v) in obj {
        let mut known = false;
        if let Some(s) = props.and_then(|p| p.get(k)) {
            known = true;
            if !check(refs, base, s, v, depth + 1) {
                return false;
            }
        }
        if let Some(pp) = patterns {
            for (p, s) in pp {
                if pattern::matches(p, k) == Some(true) {
                    known = true;
                    if !check(refs, base, s, v, depth + 1) {
                        return false;
                    }
                }
            }
        }
        if !known
            && let Some(add) = m.get("additionalProperties")
            && !check(refs, base, add, v, depth + 1)
        {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::refs::OneDoc;
    use serde_json::json;

    fn ok(schema: Value, v: Value) -> bool {
        let root = json!({});
        let refs = OneDoc {
            url: Url::parse("urn:x:root").unwrap(),
            root: &root,
        };
        let base = refs.url.clone();
        conforms(&refs, &base, &schema, &v)
    }

    #[test]
    fn basics() {
        assert!(ok(json!({"type": "integer", "minimum": 1}), json!(3)));
        assert!(!ok(
            json!({"type": "integer", "minimum": 1, "exclusiveMinimum": true}),
            json!(1)
        ));
        assert!(ok(json!({"type": "string", "nullable": true}), json!(null)));
        assert!(!ok(json!({"type": "string"}), json!(null)));
        assert!(ok(json!({"type": ["string", "null"]}), json!(null)));
        assert!(!ok(json!({"type": "object", "required": ["a"]}), json!({})));
        assert!(!ok(
            json!({"oneOf": [{"type": "object"}, {"type": "object"}]}),
            json!({})
        ));
        assert!(ok(
            json!({"type": "number", "multipleOf": 0.01}),
            json!(1.23)
        ));
        assert!(!ok(
            json!({"type": "string", "format": "date-time"}),
            json!("2024-01-01")
        ));
        assert!(ok(
            json!({"type": "string", "format": "date-time"}),
            json!("2024-01-01T10:00:00+02:00")
        ));
        assert!(!ok(
            json!({"type": "string", "format": "date-time"}),
            json!("2020-01-02T03:04:05.282979+0000")
        ));
        assert!(ok(
            json!({"type": "string", "format": "date-time"}),
            json!("2020-01-02T03:04:05.282979Z")
        ));
        assert!(!ok(
            json!({"additionalProperties": false, "properties": {"a": {}}}),
            json!({"b": 1})
        ));
    }
}
