//! Flattening: a schema, its `$ref` chain and its `allOf` parts merged into one [`Flat`] set of
//! constraints, with `oneOf`/`anyOf` kept as groups to choose from.

use serde_json::Value;

use super::{Disc, Flat, Group, Node, Synth};
use crate::conforms::{declared_types, nullable};
use crate::refs::ref_of;

impl<'r> Synth<'r> {
    /// Merges the schema `node` into `flat`. `own` says whether examples of this schema describe
    /// the whole value (the schema itself and its `$ref` chain, not `allOf` parts).
    pub(super) fn flatten<'a>(&self, node: Node<'a>, flat: &mut Flat<'a>, own: bool, depth: usize)
    where
        'r: 'a,
    {
        let (url, value) = node;
        if depth > 32 {
            return;
        }
        let m = match value {
            Value::Bool(false) => {
                flat.unsatisfiable = true;
                return;
            }
            Value::Object(m) => m,
            _ => return,
        };
        flat.parts.push(node);
        if let Some(r) = ref_of(value) {
            match self.refs.lookup(url, r) {
                Some(t) if !flat.keys.contains(&t.key) => {
                    if let Some(name) = r.rsplit('/').next().filter(|n| !n.is_empty()) {
                        flat.ref_names.push(name);
                    }
                    flat.keys.push(t.key);
                    // The target describes the value; siblings (3.1) are merged below.
                    self.flatten((t.url, t.value), flat, own, depth + 1);
                }
                Some(_) => {}
                None => flat.dangling = r.rsplit('/').next(),
            }
        }
        if nullable(m) {
            flat.nullable = true;
        }
        if let Some(types) = declared_types(m) {
            if types.contains(&"null") {
                flat.nullable = true;
            }
            flat.types = Some(match flat.types.take() {
                None => types,
                Some(prev) => {
                    let both: Vec<&str> = prev
                        .iter()
                        .copied()
                        .filter(|t| {
                            types.contains(t)
                                || (*t == "integer" && types.contains(&"number"))
                                || (*t == "number" && types.contains(&"integer"))
                        })
                        .map(|t| {
                            if t == "number" && types.contains(&"integer") {
                                "integer"
                            } else {
                                t
                            }
                        })
                        .collect();
                    if both.is_empty() { prev } else { both }
                }
            });
        }
        if let Some(c) = m.get("const") {
            flat.konst.get_or_insert(c);
        }
        if let Some(Value::Array(e)) = m.get("enum")
            && !e.is_empty()
        {
            flat.enums.get_or_insert(e);
        }
        if let Some(Value::String(f)) = m.get("format") {
            flat.format.get_or_insert(f.as_str());
        }
        if let Some(Value::String(p)) = m.get("pattern") {
            flat.patterns.push(p.as_str());
        }
        let uint = |k: &str| m.get(k).and_then(Value::as_f64).map(|f| f.max(0.0) as u64);
        let tighten_min = |a: Option<u64>, b: Option<u64>| match (a, b) {
            (Some(x), Some(y)) => Some(x.max(y)),
            (x, y) => x.or(y),
        };
        let tighten_max = |a: Option<u64>, b: Option<u64>| match (a, b) {
            (Some(x), Some(y)) => Some(x.min(y)),
            (x, y) => x.or(y),
        };
        flat.min_len = tighten_min(flat.min_len, uint("minLength"));
        flat.max_len = tighten_max(flat.max_len, uint("maxLength"));
        flat.min_items = tighten_min(flat.min_items, uint("minItems"));
        flat.max_items = tighten_max(flat.max_items, uint("maxItems"));
        flat.min_props = tighten_min(flat.min_props, uint("minProperties"));
        flat.max_props = tighten_max(flat.max_props, uint("maxProperties"));
        if m.get("uniqueItems").and_then(Value::as_bool) == Some(true) {
            flat.unique = true;
        }
        // Bounds: OpenAPI 3.0 / Swagger boolean exclusivity, or 3.1 numeric exclusive bounds.
        let num = |k: &str| m.get(k).and_then(Value::as_f64);
        let flag = |k: &str| m.get(k).and_then(Value::as_bool) == Some(true);
        let mut lows = Vec::new();
        let mut highs = Vec::new();
        if let Some(x) = num("minimum") {
            lows.push((x, flag("exclusiveMinimum")));
        }
        if let Some(x) = num("exclusiveMinimum") {
            lows.push((x, true));
        }
        if let Some(x) = num("maximum") {
            highs.push((x, flag("exclusiveMaximum")));
        }
        if let Some(x) = num("exclusiveMaximum") {
            highs.push((x, true));
        }
        for l in lows {
            flat.lo = Some(match flat.lo {
                Some(p) if p.0 > l.0 || (p.0 == l.0 && p.1) => p,
                _ => l,
            });
        }
        for h in highs {
            flat.hi = Some(match flat.hi {
                Some(p) if p.0 < h.0 || (p.0 == h.0 && p.1) => p,
                _ => h,
            });
        }
        if let Some(k) = num("multipleOf").filter(|k| *k > 0.0) {
            flat.multiple_of = Some(match flat.multiple_of {
                // Both must hold: use the larger when it is a multiple of the smaller.
                Some(p) if p >= k => p,
                _ => k,
            });
        }
        if let Some(Value::Object(props)) = m.get("properties") {
            for (name, sub) in props {
                match flat
                    .properties
                    .iter_mut()
                    .find(|(n, _)| *n == name.as_str())
                {
                    Some((_, list)) => list.push((url, sub)),
                    None => flat.properties.push((name.as_str(), vec![(url, sub)])),
                }
            }
        }
        if let Some(Value::Array(req)) = m.get("required") {
            for r in req.iter().filter_map(Value::as_str) {
                if !flat.required.contains(&r) {
                    flat.required.push(r);
                }
            }
        }
        match m.get("items") {
            Some(Value::Array(tuple)) => {
                flat.prefix
                    .get_or_insert_with(|| tuple.iter().map(|s| (url, s)).collect());
            }
            Some(items @ (Value::Object(_) | Value::Bool(_))) => flat.items.push((url, items)),
            _ => {}
        }
        if let Some(Value::Array(tuple)) = m.get("prefixItems") {
            flat.prefix = Some(tuple.iter().map(|s| (url, s)).collect());
        }
        match m.get("additionalProperties") {
            // Beside `$ref` (ignored in OpenAPI 3.0) or alternatives, a closure is a mistake
            // that would forbid the very properties the schema describes.
            Some(Value::Bool(false))
                if !["$ref", "allOf", "oneOf", "anyOf"]
                    .iter()
                    .any(|k| m.contains_key(*k)) =>
            {
                flat.additional_false = true;
                flat.closed.push(
                    m.get("properties")
                        .and_then(Value::as_object)
                        .map(|p| p.keys().map(String::as_str).collect())
                        .unwrap_or_default(),
                );
            }
            Some(add @ Value::Object(_)) => flat.additional.push((url, add)),
            _ => {}
        }
        if let Some(Value::Object(pp)) = m.get("patternProperties") {
            for (p, s) in pp {
                flat.pattern_props.push((p.as_str(), (url, s)));
            }
        }
        if let Some(pn @ Value::Object(_)) = m.get("propertyNames") {
            flat.property_names.push((url, pn));
        }
        if let Some(Value::Array(all)) = m.get("allOf") {
            for s in all {
                self.flatten((url, s), flat, false, depth + 1);
            }
        }
        for (key, one_of) in [("oneOf", true), ("anyOf", false)] {
            if let Some(Value::Array(branches)) = m.get(key)
                && !branches.is_empty()
            {
                flat.groups.push(Group {
                    branches: branches.iter().map(|s| (url, s)).collect(),
                    one_of,
                });
            }
        }
        if own {
            // Empty placeholders (`default: ""`) say nothing and would make ids empty.
            let informative = |v: &&Value| !is_empty_placeholder(v);
            if let Some(e) = m.get("example").filter(informative) {
                flat.examples.push(e);
            }
            if let Some(Value::Array(list)) = m.get("examples") {
                flat.examples.extend(list.iter().filter(informative));
            }
            if let Some(e) = m.get("x-example").filter(informative) {
                flat.examples.push(e);
            }
            if let Some(d) = m.get("default").filter(informative) {
                flat.default.get_or_insert(d);
            }
        }
        if m.get("readOnly").and_then(Value::as_bool) == Some(true) {
            flat.read_only = true;
        }
        if m.get("writeOnly").and_then(Value::as_bool) == Some(true) {
            flat.write_only = true;
        }
        match m.get("discriminator") {
            Some(Value::Object(d)) => {
                if let Some(Value::String(p)) = d.get("propertyName") {
                    let mapping = d
                        .get("mapping")
                        .and_then(Value::as_object)
                        .map(|mm| {
                            mm.iter()
                                .filter_map(|(k, v)| Some((k.as_str(), v.as_str()?)))
                                .collect()
                        })
                        .unwrap_or_default();
                    flat.discriminator.get_or_insert(Disc {
                        property: p,
                        mapping,
                        url,
                    });
                }
            }
            // Swagger 2.0: the discriminator is the property name.
            Some(Value::String(p)) => {
                flat.discriminator.get_or_insert(Disc {
                    property: p,
                    mapping: Vec::new(),
                    url,
                });
            }
            _ => {}
        }
    }
}

/// `""`, `[]` and `{}`: values that carry no information.
fn is_empty_placeholder(v: &Value) -> bool {
    match v {
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(m) => m.is_empty(),
        _ => false,
    }
}
