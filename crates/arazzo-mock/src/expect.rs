//! Answering with the values a workflow expects (`Arazzo-Expect`), where the
//! description allows them. See `docs/mock.md#expected-values`.

use arazzo_expr::expect::{Expectation, Place};
use serde_json::{Map, Value};

/// Sets the expected value in `body`; false when the body has no place for it
/// (a scalar on the way, an array index out of range, an empty array to filter).
pub(crate) fn set(body: &mut Value, e: &Expectation) -> bool {
    match &e.place {
        Place::Body(tokens) => put(body, tokens, e.value.clone()),
        Place::Filter { pointer, member } => {
            let Some(node) = walk(body, pointer) else {
                return false;
            };
            let target = match node {
                Value::Array(items) => match items.first_mut() {
                    Some(first) => first,
                    None => return false,
                },
                other => other,
            };
            put(target, member, e.value.clone())
        }
        Place::Header(_) => false,
    }
}

/// The node at `tokens`, creating missing object members on the way.
fn walk<'v>(mut node: &'v mut Value, tokens: &[String]) -> Option<&'v mut Value> {
    for t in tokens {
        node = match node {
            Value::Object(m) => m
                .entry(t.clone())
                .or_insert_with(|| Value::Object(Map::new())),
            Value::Array(items) => items.get_mut(t.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(node)
}

fn put(body: &mut Value, tokens: &[String], value: Value) -> bool {
    match walk(body, tokens) {
        Some(node) => {
            *node = value;
            true
        }
        None => false,
    }
}

/// A header expectation's value as header text: a string as it is, anything
/// else as JSON.
pub(crate) fn header_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    fn body(t: &[&str], v: Value) -> Expectation {
        Expectation {
            place: Place::Body(t.iter().map(|s| s.to_string()).collect()),
            value: v,
        }
    }

    #[test]
    fn sets_members_items_and_filtered_members() {
        let mut b = json!({"a": {"b": 1}, "list": [{"s": "x"}, {"s": "y"}]});
        assert!(set(&mut b, &body(&["a", "b"], json!(2))));
        assert!(set(&mut b, &body(&["new", "deep"], json!(true))));
        assert!(set(&mut b, &body(&["list", "1", "s"], json!("z"))));
        let filter = |p: &[&str], v| Expectation {
            place: Place::Filter {
                pointer: p.iter().map(|s| s.to_string()).collect(),
                member: vec!["s".into()],
            },
            value: v,
        };
        assert!(set(&mut b, &filter(&["list"], json!("first"))));
        assert!(set(&mut b, &filter(&["a"], json!("obj"))));
        assert_eq!(
            b,
            json!({"a": {"b": 2, "s": "obj"}, "new": {"deep": true},
                   "list": [{"s": "first"}, {"s": "z"}]})
        );
        let mut whole = json!({"x": 1});
        assert!(set(&mut whole, &body(&[], json!("text"))));
        assert_eq!(whole, json!("text"));
    }

    #[test]
    fn no_place_no_change() {
        let mut b = json!({"n": 1, "list": []});
        let before = b.clone();
        assert!(!set(&mut b, &body(&["n", "x"], json!(1))));
        assert!(!set(&mut b, &body(&["list", "3"], json!(1))));
        let empty = Expectation {
            place: Place::Filter {
                pointer: vec!["list".into()],
                member: vec!["s".into()],
            },
            value: json!(1),
        };
        assert!(!set(&mut b, &empty));
        assert_eq!(b, before);
    }
}
