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
    let mut t = spans.root();
    let mut key_span = None;
    if pointer.is_empty() {
        return t.span();
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
            None => return t.span(),
        }
    }
    match (part, key_span) {
        (Part::Key, Some(k)) => k,
        _ => t.span(),
    }
}

/// Decodes `~1` and `~0` in one JSON pointer token (arazzo-expr's
/// [`unescape_token_lenient`](arazzo_expr::unescape_token_lenient)).
pub fn unescape_token(token: &str) -> String {
    arazzo_expr::unescape_token_lenient(token).into_owned()
}

/// Encodes one JSON pointer token (`~` → `~0`, `/` → `~1`; arazzo-expr's
/// [`escape_token`](arazzo_expr::escape_token)).
pub fn escape_token(token: &str) -> String {
    arazzo_expr::escape_token(token).into_owned()
}
