//! Turning JSON values into the text pieces that styles arrange.

use serde_json::Value;

/// A value as RFC 6570 sees it: undefined, one string, a list of strings or
/// a list of name/value pairs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Shape {
    /// `null`, an empty array, or an object with no non-null member
    /// (RFC 6570 §2.3).
    Undefined,
    /// A primitive, already turned into text.
    Scalar(String),
    /// Array items, as text, nulls skipped.
    List(Vec<String>),
    /// Object members, as text, null-valued members skipped.
    Map(Vec<(String, String)>),
}

/// The text a primitive contributes: strings as they are, numbers as their
/// JSON text, booleans as `true`/`false`. Arrays and objects nested inside
/// another value (which RFC 6570 cannot express) become compact JSON, the
/// same rule Arazzo uses for embedding structured values in strings.
pub(crate) fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => "null".to_owned(),
        Value::Bool(_) | Value::Number(_) | Value::Array(_) | Value::Object(_) => value.to_string(),
    }
}

/// The RFC 6570 view of `value`.
pub(crate) fn shape(value: &Value) -> Shape {
    match value {
        Value::Null => Shape::Undefined,
        Value::Bool(_) | Value::Number(_) | Value::String(_) => Shape::Scalar(text(value)),
        Value::Array(items) => {
            let list: Vec<String> = items.iter().filter(|v| !v.is_null()).map(text).collect();
            if list.is_empty() {
                Shape::Undefined
            } else {
                Shape::List(list)
            }
        }
        Value::Object(map) => {
            let pairs: Vec<(String, String)> = map
                .iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), text(v)))
                .collect();
            if pairs.is_empty() {
                Shape::Undefined
            } else {
                Shape::Map(pairs)
            }
        }
    }
}

/// Whether RFC 6570 considers `value` undefined: `null`, an empty array, or
/// an object without any non-null member.
///
/// Undefined query and cookie parameters serialize to nothing. Path and
/// header serializations of an undefined value are the empty string, so an
/// engine should check this first: a required path parameter without a value
/// is an error, and an optional header without a value is simply not sent.
pub fn is_undefined(value: &Value) -> bool {
    shape(value) == Shape::Undefined
}
