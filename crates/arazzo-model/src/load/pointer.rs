//! JSON pointers (RFC 6901) into a loaded value and its spans.

use serde_json::Value;

use super::{Part, SpanTree};
use crate::source::Span;

/// Finds the span of the node at `pointer` in `value`/`spans`.
///
/// Falls back to the deepest existing ancestor, so a diagnostic about a
/// missing field points at the object that lacks it.
pub fn locate(value: &Value, spans: &SpanTree, pointer: &str, part: Part) -> Span {
    let mut v = value;
    let mut t = spans;
    let mut key_span = None;
    if pointer.is_empty() {
        return t.span;
    }
    for raw in pointer.split('/').skip(1) {
        let token = unescape_token(raw);
        let next = match v {
            Value::Object(map) => map
                .iter()
                .enumerate()
                .find(|(_, (k, _))| **k == token)
                .and_then(|(i, (_, cv))| {
                    let (ks, child) = t.entry(i)?;
                    Some((Some(ks), cv, child))
                }),
            Value::Array(items) => token
                .parse::<usize>()
                .ok()
                .and_then(|i| Some((None, items.get(i)?, t.item(i)?))),
            _ => None,
        };
        match next {
            Some((ks, cv, child)) => {
                key_span = ks;
                v = cv;
                t = child;
            }
            None => return t.span,
        }
    }
    match (part, key_span) {
        (Part::Key, Some(k)) => k,
        _ => t.span,
    }
}

/// Decodes `~1` and `~0` in one JSON pointer token.
pub fn unescape_token(token: &str) -> String {
    if token.contains('~') {
        token.replace("~1", "/").replace("~0", "~")
    } else {
        token.to_string()
    }
}

/// Encodes one JSON pointer token (`~` → `~0`, `/` → `~1`).
pub fn escape_token(token: &str) -> String {
    if token.contains(['~', '/']) {
        token.replace('~', "~0").replace('/', "~1")
    } else {
        token.to_string()
    }
}
