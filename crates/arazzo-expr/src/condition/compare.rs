//! The loose comparison rules of conditions (docs/semantics.md,
//! "Comparisons"): numbers and numeric strings, booleans, case-insensitive
//! strings, and `null` for absent values.

use std::cmp::Ordering;

use serde_json::Value;

use super::CompareOp;

/// Compares two condition values with the loose rules of docs/semantics.md.
pub fn compare(op: CompareOp, l: Option<&Value>, r: Option<&Value>) -> bool {
    let l = l.unwrap_or(&Value::Null);
    let r = r.unwrap_or(&Value::Null);
    match op {
        CompareOp::Eq => loose_eq(l, r),
        CompareOp::Ne => !loose_eq(l, r),
        CompareOp::Lt => loose_cmp(l, r) == Some(Ordering::Less),
        CompareOp::Le => matches!(loose_cmp(l, r), Some(Ordering::Less | Ordering::Equal)),
        CompareOp::Gt => loose_cmp(l, r) == Some(Ordering::Greater),
        CompareOp::Ge => matches!(loose_cmp(l, r), Some(Ordering::Greater | Ordering::Equal)),
    }
}

fn loose_eq(l: &Value, r: &Value) -> bool {
    match (l, r) {
        (Value::Null, Value::Null) => true,
        (Value::Null, _) | (_, Value::Null) => false,
        (Value::Number(a), Value::Number(b)) => num_cmp(a, b) == Some(Ordering::Equal),
        (Value::String(a), Value::String(b)) => caseless_cmp(a, b) == Ordering::Equal,
        (Value::Number(n), Value::String(s)) | (Value::String(s), Value::Number(n)) => {
            numeric_string(s).is_some_and(|m| num_cmp(n, &m) == Some(Ordering::Equal))
        }
        (Value::Bool(a), Value::Bool(b)) => a == b,
        (Value::Bool(b), Value::String(s)) | (Value::String(s), Value::Bool(b)) => {
            boolean_string(s) == Some(*b)
        }
        (Value::Array(_), Value::Array(_)) | (Value::Object(_), Value::Object(_)) => l == r,
        _ => false,
    }
}

fn loose_cmp(l: &Value, r: &Value) -> Option<Ordering> {
    match (l, r) {
        (Value::Number(a), Value::Number(b)) => num_cmp(a, b),
        (Value::String(a), Value::String(b)) => Some(caseless_cmp(a, b)),
        (Value::Number(n), Value::String(s)) => num_cmp(n, &numeric_string(s)?),
        (Value::String(s), Value::Number(n)) => num_cmp(&numeric_string(s)?, n),
        _ => None,
    }
}

/// Integers compare exactly (large ids keep their precision); anything else as f64.
fn num_cmp(a: &serde_json::Number, b: &serde_json::Number) -> Option<Ordering> {
    fn int(n: &serde_json::Number) -> Option<i128> {
        n.as_i64()
            .map(i128::from)
            .or_else(|| n.as_u64().map(i128::from))
    }
    match (int(a), int(b)) {
        (Some(x), Some(y)) => Some(x.cmp(&y)),
        _ => a.as_f64()?.partial_cmp(&b.as_f64()?),
    }
}

/// A string that is a JSON number (surrounding whitespace allowed), as a number.
fn numeric_string(s: &str) -> Option<serde_json::Number> {
    let t = s.trim();
    let b = t.as_bytes();
    let mut i = 0;
    if b.first() == Some(&b'-') {
        i += 1;
    }
    let digits_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    if i == digits_start || (b[digits_start] == b'0' && i - digits_start > 1) {
        return None;
    }
    if i < b.len() && b[i] == b'.' {
        i += 1;
        let f = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == f {
            return None;
        }
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        let f = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == f {
            return None;
        }
    }
    if i != b.len() {
        return None;
    }
    t.parse().ok()
}

fn boolean_string(s: &str) -> Option<bool> {
    let t = s.trim();
    if t.eq_ignore_ascii_case("true") {
        Some(true)
    } else if t.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// Case-insensitive comparison by lower-cased characters.
fn caseless_cmp(a: &str, b: &str) -> Ordering {
    if a.is_ascii() && b.is_ascii() {
        let x = a.bytes().map(|c| c.to_ascii_lowercase());
        let y = b.bytes().map(|c| c.to_ascii_lowercase());
        return x.cmp(y);
    }
    let x = a.chars().flat_map(char::to_lowercase);
    let y = b.chars().flat_map(char::to_lowercase);
    x.cmp(y)
}
