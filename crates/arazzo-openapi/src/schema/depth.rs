//! How deep validating against a bundled schema can recurse, measured before any validation
//! runs, without recursion.
//!
//! The `jsonschema` crate validates by recursion: one call per schema level it enters. Levels
//! that descend into the instance (`properties`, `items`…) are bounded by the instance's own
//! depth, but the in-place applicators (`$ref`, `allOf`, `anyOf`, `oneOf`, `not`,
//! `if`/`then`/`else`, `dependentSchemas`) apply to the same value and can chain without end: a
//! description with a `$ref`/`allOf` chain 8,000 levels deep overflows a thread's stack on the
//! first request, and `A: {allOf: [$ref: B]}, B: {allOf: [$ref: A]}` never ends at all. So the
//! longest such chain is measured once per schema (its *in-place depth*); a schema whose chain
//! is longer than [`MAX_IN_PLACE_DEPTH`], or endless, is not validated against, and a value is
//! only validated when `(value depth + 1) × (in-place depth + 1)`, the most levels the
//! validator can enter, is within [`MAX_VALIDATION_LEVELS`].

use std::collections::{HashMap, HashSet};

use serde_json::Value;

/// The longest chain of in-place applicators (`$ref`, `allOf`, `anyOf`, `oneOf`, `not`,
/// `if`/`then`/`else`, `dependentSchemas`) a schema may have and still be validated against.
/// Each `allOf` item and each `$ref` is a level; the descriptions of the corpus chain at most 7.
pub const MAX_IN_PLACE_DEPTH: usize = 64;

/// The most schema levels one validation may enter: `(value depth + 1) × (in-place depth + 1)`
/// must stay within it. Each level takes up to about a kilobyte of stack in a debug build; this
/// keeps a validation within half of a 2 MiB thread stack (tokio's worker default).
pub const MAX_VALIDATION_LEVELS: usize = 1_024;

/// Nesting past which a value is not validated at all (`serde_json` reads no deeper either).
pub const MAX_VALUE_DEPTH: usize = 128;

/// What [`in_place_depth`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InPlace {
    /// The longest chain, and the `$defs` name it starts at (`None`: the root schema itself).
    Levels(usize, Option<String>),
    /// A chain that loops back to `$defs` entry named here: validation would never end.
    Endless(String),
}

/// Keywords whose subschemas apply to the same value.
const IN_PLACE_ONE: &[&str] = &["not", "if", "then", "else"];
const IN_PLACE_LISTS: &[&str] = &["allOf", "anyOf", "oneOf"];
const IN_PLACE_MAPS: &[&str] = &["dependentSchemas"];
/// Keywords whose subschemas apply to a member or item of the value.
const INTO_ONE: &[&str] = &[
    "additionalProperties",
    "items",
    "contains",
    "propertyNames",
    "unevaluatedProperties",
    "unevaluatedItems",
];
const INTO_LISTS: &[&str] = &["prefixItems"];
const INTO_MAPS: &[&str] = &["properties", "patternProperties"];

/// A run of schema objects linked by in-place keywords within one `$defs` entry: its own
/// deepest level, and the references it makes with the level each is made at.
#[derive(Debug, Default)]
struct Segment {
    local: usize,
    refs: Vec<(usize, String)>,
}

/// The in-place depth of a schema as [`super::validate::bundle`] writes it: either one schema
/// with no references, or `{"$defs": {...}, "$ref": "#/$defs/root"}` whose references all
/// point into its `$defs`.
pub fn in_place_depth(bundled: &Value) -> InPlace {
    let defs = bundled.get("$defs").and_then(Value::as_object);
    // Each entry's segments; the first is the one starting at the entry itself.
    let mut segments: HashMap<&str, Vec<Segment>> = HashMap::new();
    match defs {
        Some(defs) => {
            for (name, schema) in defs {
                segments.insert(name.as_str(), split(schema));
            }
        }
        None => {
            segments.insert("root", split(bundled));
        }
    }
    let mut done: HashMap<&str, (usize, Option<String>)> = HashMap::new();
    let names: Vec<&str> = segments.keys().copied().collect();
    for name in names {
        if let Err(looped) = settle(name, &segments, &mut done) {
            return InPlace::Endless(looped);
        }
    }
    let mut best = (0, None);
    for (name, list) in &segments {
        for seg in list {
            let (levels, via) = eval(seg, &done);
            if levels > best.0 || (levels == best.0 && best.1.is_none()) {
                let at = via.or_else(|| (*name != "root").then(|| (*name).to_string()));
                best = (levels, at);
            }
        }
    }
    InPlace::Levels(best.0, best.1)
}

/// A segment's deepest chain, given the depth of every entry it refers to, and the entry the
/// chain goes through (`None` when its own nesting is the deepest).
fn eval(seg: &Segment, done: &HashMap<&str, (usize, Option<String>)>) -> (usize, Option<String>) {
    let mut best = (seg.local, None);
    for (at, target) in &seg.refs {
        let below = done.get(target.as_str()).map_or(0, |(d, _)| *d);
        if at + below > best.0 {
            best = (at + below, Some(target.clone()));
        }
    }
    best
}

/// Computes the depth of `$defs` entry `start` and of every entry it reaches in place, without
/// recursion. `Err` names an entry on a loop of in-place references.
fn settle<'s>(
    start: &'s str,
    segments: &'s HashMap<&'s str, Vec<Segment>>,
    done: &mut HashMap<&'s str, (usize, Option<String>)>,
) -> Result<(), String> {
    if done.contains_key(start) {
        return Ok(());
    }
    let no_refs: &[(usize, String)] = &[];
    let refs_of = |name: &str| -> &'s [(usize, String)] {
        segments
            .get(name)
            .and_then(|l| l.first())
            .map_or(no_refs, |s| s.refs.as_slice())
    };
    let mut open: HashSet<&'s str> = HashSet::new();
    let mut stack: Vec<(&'s str, usize)> = vec![(start, 0)];
    while let Some((name, next)) = stack.pop() {
        if next == 0 {
            open.insert(name);
        }
        let refs = refs_of(name);
        if let Some((_, target)) = refs.get(next) {
            stack.push((name, next + 1));
            let Some((key, _)) = segments.get_key_value(target.as_str()) else {
                continue;
            };
            if done.contains_key(key) {
                continue;
            }
            if open.contains(key) {
                return Err(target.clone());
            }
            stack.push((key, 0));
            continue;
        }
        let value = segments
            .get(name)
            .and_then(|l| l.first())
            .map_or((0, None), |s| eval(s, done));
        done.insert(name, value);
        open.remove(name);
    }
    Ok(())
}

/// Splits one `$defs` entry into its segments, without recursion.
fn split(schema: &Value) -> Vec<Segment> {
    let mut segments = vec![Segment::default()];
    // (schema object, its segment, its level within the segment)
    let mut stack: Vec<(&Value, usize, usize)> = vec![(schema, 0, 0)];
    while let Some((v, seg, level)) = stack.pop() {
        let Value::Object(m) = v else {
            continue;
        };
        if let Some(s) = segments.get_mut(seg) {
            s.local = s.local.max(level);
            if let Some(Value::String(r)) = m.get("$ref")
                && let Some(name) = r.strip_prefix("#/$defs/")
            {
                s.refs.push((level + 1, name.to_string()));
            }
        }
        for (k, child) in m {
            let k = k.as_str();
            let children: Vec<&Value> = if IN_PLACE_ONE.contains(&k) || INTO_ONE.contains(&k) {
                vec![child]
            } else if IN_PLACE_LISTS.contains(&k) || INTO_LISTS.contains(&k) {
                child
                    .as_array()
                    .map(|a| a.iter().collect())
                    .unwrap_or_default()
            } else if IN_PLACE_MAPS.contains(&k) || INTO_MAPS.contains(&k) {
                child
                    .as_object()
                    .map(|o| o.values().collect())
                    .unwrap_or_default()
            } else {
                continue;
            };
            let same_value = IN_PLACE_ONE.contains(&k)
                || IN_PLACE_LISTS.contains(&k)
                || IN_PLACE_MAPS.contains(&k);
            for c in children {
                if !c.is_object() {
                    continue;
                }
                if same_value {
                    stack.push((c, seg, level + 1));
                } else {
                    segments.push(Segment::default());
                    stack.push((c, segments.len() - 1, 0));
                }
            }
        }
    }
    segments
}

/// How deeply `value` nests (a scalar is 0, `[1]` is 1), counted without recursion and
/// stopping once past `limit`.
pub fn value_depth(value: &Value, limit: usize) -> usize {
    let mut deepest = 0;
    let mut stack: Vec<(&Value, usize)> = vec![(value, 0)];
    while let Some((v, d)) = stack.pop() {
        deepest = deepest.max(d);
        if deepest > limit {
            return deepest;
        }
        match v {
            Value::Array(items) => stack.extend(items.iter().map(|i| (i, d + 1))),
            Value::Object(m) => stack.extend(m.values().map(|i| (i, d + 1))),
            _ => {}
        }
    }
    deepest
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn chain(n: usize) -> Value {
        let mut defs = serde_json::Map::new();
        for i in 0..n {
            defs.insert(
                format!("s{i}"),
                json!({"allOf": [{"$ref": format!("#/$defs/s{}", i + 1)}]}),
            );
        }
        defs.insert(format!("s{n}"), json!({"type": "object"}));
        defs.insert("root".into(), json!({"$ref": "#/$defs/s0"}));
        json!({"$defs": defs, "$ref": "#/$defs/root"})
    }

    #[test]
    fn chains_of_references_count_each_level() {
        // root → s0 (1), s0's allOf item (2), its $ref → s1 (3)…
        assert_eq!(
            in_place_depth(&chain(3)),
            InPlace::Levels(7, Some("s0".into()))
        );
        assert_eq!(
            in_place_depth(&chain(8_000)),
            InPlace::Levels(16_001, Some("s0".into()))
        );
        assert_eq!(
            in_place_depth(&json!({"type": "string"})),
            InPlace::Levels(0, None)
        );
    }

    #[test]
    fn descending_into_the_value_starts_a_new_chain() {
        // A recursive tree: each level is one `properties` step into the value.
        let tree = json!({"$defs": {
            "node": {"type": "object", "properties": {"children": {"type": "array", "items": {"$ref": "#/$defs/node"}}}},
            "root": {"$ref": "#/$defs/node"}}, "$ref": "#/$defs/root"});
        assert_eq!(
            in_place_depth(&tree),
            InPlace::Levels(1, Some("node".into()))
        );
        let nested = json!({"properties": {"a": {"allOf": [{"not": {"anyOf": [{}]}}]}}});
        assert_eq!(in_place_depth(&nested), InPlace::Levels(3, None));
    }

    #[test]
    fn loops_of_in_place_references_are_endless() {
        let looped = json!({"$defs": {
            "a": {"allOf": [{"$ref": "#/$defs/b"}]},
            "b": {"anyOf": [{"$ref": "#/$defs/a"}, {"type": "string"}]},
            "root": {"$ref": "#/$defs/a"}}, "$ref": "#/$defs/root"});
        assert!(matches!(in_place_depth(&looped), InPlace::Endless(_)));
    }

    #[test]
    fn value_depths() {
        assert_eq!(value_depth(&json!(1), 10), 0);
        assert_eq!(value_depth(&json!({"a": [1, {"b": []}]}), 10), 3);
        let mut deep = json!(0);
        for _ in 0..10_000 {
            deep = Value::Array(vec![deep]);
        }
        assert!(value_depth(&deep, 128) > 128);
        // serde_json drops nested values recursively; unwind it by hand.
        while let Value::Array(mut items) = deep {
            deep = items.pop().unwrap_or(Value::Null);
        }
    }
}
