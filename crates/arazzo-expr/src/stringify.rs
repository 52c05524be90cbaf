//! Turning values into text: template interpolation, regex contexts, and the values
//! quoted in failure reasons.

use std::borrow::Cow;

use serde_json::Value;

/// The text of a value embedded in a template (Arazzo 1.1 rules): strings as they are,
/// numbers, booleans and null as their JSON text, objects and arrays as compact JSON.
pub fn stringify(v: &Value) -> Cow<'_, str> {
    match v {
        Value::String(s) => Cow::Borrowed(s),
        Value::Null => Cow::Borrowed("null"),
        Value::Bool(true) => Cow::Borrowed("true"),
        Value::Bool(false) => Cow::Borrowed("false"),
        Value::Number(n) => Cow::Owned(n.to_string()),
        other => Cow::Owned(other.to_string()),
    }
}

/// Longest value text quoted in a failure reason; longer values are cut with `…`.
const MAX_SHOWN: usize = 160;

/// A value as shown in a failure reason: JSON, cut to a readable length.
pub(crate) fn describe_value(v: &Value) -> String {
    let text = v.to_string();
    if text.chars().count() <= MAX_SHOWN {
        text
    } else {
        let cut: String = text.chars().take(MAX_SHOWN).collect();
        format!("{cut}… ({} bytes)", text.len())
    }
}
