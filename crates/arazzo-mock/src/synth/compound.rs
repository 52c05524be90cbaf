//! Arrays and objects: items, properties (required first, then optional ones while the budget
//! lasts), discriminators, maps and their keys.

use serde_json::{Map, Value};

use super::scalars::by_name;
use super::{
    Ctx, Direction, Flat, HARD_LIMIT, MAX_DEPTH, NODE_BUDGET, Node, OPTIONAL_DEPTH, Synth,
};
use crate::conforms::{conforms, same};
use crate::pattern;
use crate::refs::ref_of;

impl<'r> Synth<'r> {
    pub(super) fn array<'a>(&mut self, flat: &Flat<'a>, ctx: &Ctx<'_>) -> Value
    where
        'r: 'a,
    {
        let min = flat.min_items.unwrap_or(0).min(1_000) as usize;
        let max = flat.max_items.map(|m| m as usize);
        let item_nodes: Vec<Node<'a>> = flat.items.clone();
        let items_recursive = item_nodes.iter().any(|n| self.is_recursive(*n));
        let wanted = if ctx.minimal || items_recursive || ctx.depth >= MAX_DEPTH {
            min
        } else {
            min.max(1)
        };
        let count = match max {
            Some(m) => wanted.min(m).max(min.min(m)),
            None => wanted,
        };
        let mut out: Vec<Value> = Vec::with_capacity(count);
        let child = |variant: usize| Ctx {
            depth: ctx.depth + 1,
            name: ctx.name,
            variant,
            minimal: ctx.minimal,
            disc: None,
            top: false,
        };
        let any = Value::Object(Map::new());
        let scalar_enum: Option<Vec<Value>> = flat
            .enums
            .filter(|e| e.iter().all(|v| !v.is_array() && !v.is_null()))
            .cloned();
        let mut attempts = 0;
        let mut variant = 0;
        while out.len() < count && attempts < count * 3 + 8 && self.nodes <= HARD_LIMIT {
            attempts += 1;
            let i = out.len();
            let v = match flat.prefix.as_ref().and_then(|p| p.get(i)) {
                Some(n) => self.gen_nodes(&[*n], &child(variant)),
                None if item_nodes.is_empty() => {
                    // `items` absent: anything goes; strings are the least surprising.
                    let url = flat.parts.first().map(|p| p.0);
                    match url {
                        Some(u) => self.gen_nodes(&[(u, &any)], &child(variant)),
                        None => Value::String("string".into()),
                    }
                }
                None => match &scalar_enum {
                    // An `enum` of scalars on an array: what the author meant for the items.
                    Some(options) if !options.is_empty() => options
                        .get(variant % options.len())
                        .cloned()
                        .unwrap_or(Value::Null),
                    _ => self.gen_nodes(&item_nodes, &child(variant)),
                },
            };
            if flat.unique && out.iter().any(|o| same(o, &v)) {
                variant += 1;
                continue;
            }
            out.push(v);
            if flat.unique {
                variant += 1;
            }
        }
        Value::Array(out)
    }

    pub(super) fn object<'a>(&mut self, flat: &Flat<'a>, ctx: &Ctx<'_>) -> Value
    where
        'r: 'a,
    {
        let mut out = Map::new();
        let disc: Option<(String, String)> = ctx.disc.clone().or_else(|| {
            let d = flat.discriminator.as_ref()?;
            // Reached through `$ref` to a concrete schema: name it.
            let name = flat.ref_names.first()?;
            let value = d
                .mapping
                .iter()
                .find(|(_, target)| target.rsplit('/').next() == Some(name))
                .map(|(k, _)| (*k).to_string())
                .unwrap_or_else(|| (*name).to_string());
            Some((d.property.to_string(), value))
        });
        let optional_ok = !ctx.minimal && ctx.depth < OPTIONAL_DEPTH;
        let max_props = flat.max_props.map(|m| m as usize);
        let child = |name: &'a str| Ctx {
            depth: ctx.depth + 1,
            name: Some(name),
            variant: ctx.variant,
            minimal: ctx.minimal,
            disc: None,
            top: false,
        };
        // Required properties first in document order, then optional ones while allowed.
        for pass in [true, false] {
            for (name, nodes) in &flat.properties {
                let required = flat.required.contains(name);
                if required != pass || out.contains_key(*name) {
                    continue;
                }
                if nodes.iter().any(|(_, s)| matches!(s, Value::Bool(false))) {
                    continue;
                }
                if !required && flat.closed.iter().any(|c| !c.contains(name)) {
                    continue;
                }
                if self.excluded_by_direction(nodes) {
                    continue;
                }
                if !required {
                    let room = max_props.is_none_or(|m| out.len() < m);
                    if !(optional_ok && room && self.nodes <= NODE_BUDGET)
                        || nodes.iter().any(|n| self.is_recursive(*n))
                    {
                        continue;
                    }
                }
                let v = match &disc {
                    Some((p, value)) if p == name => {
                        let candidate = Value::String(value.clone());
                        let fits = nodes
                            .iter()
                            .all(|(u, s)| conforms(self.refs, u, s, &candidate));
                        if fits {
                            candidate
                        } else {
                            self.gen_nodes(nodes, &child(name))
                        }
                    }
                    _ => self.gen_nodes(nodes, &child(name)),
                };
                out.insert((*name).to_string(), v);
            }
        }
        // Required names that `properties` does not describe.
        for name in &flat.required {
            if out.contains_key(*name) || flat.properties.iter().any(|(n, _)| n == name) {
                continue;
            }
            let nodes = self.schemas_for_extra(flat, name);
            let v = match &disc {
                Some((p, value)) if p == name => Value::String(value.clone()),
                _ if nodes.is_empty() => {
                    let url = flat.parts.first().map(|p| p.0);
                    let any = Value::Object(Map::new());
                    match url {
                        Some(u) => self.gen_nodes(&[(u, &any)], &child(name)),
                        None => Value::String("string".into()),
                    }
                }
                _ => self.gen_nodes(&nodes, &child(name)),
            };
            out.insert((*name).to_string(), v);
        }
        // An object whose schema is missing (a dangling `$ref`) or says nothing about its
        // members (`type: object`, `additionalProperties: true`): an `id` is what workflows
        // read from such objects, and nothing forbids it.
        let free_form = flat.properties.is_empty()
            && flat.pattern_props.is_empty()
            && flat.property_names.is_empty()
            && !flat.additional_false
            && flat.additional.iter().all(|(_, s)| {
                matches!(s, Value::Bool(true)) || s.as_object().is_some_and(Map::is_empty)
            });
        if (flat.dangling.is_some() || free_form) && flat.properties.is_empty() && out.is_empty() {
            let id = by_name("id", ctx.variant).unwrap_or_else(|| "id".into());
            out.insert("id".into(), Value::String(id));
        }
        // The discriminator property must be present even when not declared.
        if let Some((p, value)) = &disc
            && !out.contains_key(p)
            && !flat.additional_false
        {
            out.insert(p.clone(), Value::String(value.clone()));
        }
        // A map (`additionalProperties` only): one entry shows its shape.
        let min_props = flat.min_props.unwrap_or(0) as usize;
        let wants_entry = flat.properties.is_empty()
            && !flat.additional.is_empty()
            && out.is_empty()
            && optional_ok;
        if (wants_entry || out.len() < min_props) && !flat.additional_false {
            let mut n = 1;
            while (out.is_empty() || out.len() < min_props) && n <= min_props.max(1) + 8 {
                let key = self.key_name(flat, n);
                n += 1;
                if out.contains_key(&key) {
                    continue;
                }
                let v = if flat.additional.is_empty() {
                    Value::String("string".into())
                } else {
                    let nodes = flat.additional.clone();
                    self.gen_nodes(&nodes, &child("additionalProp"))
                };
                out.insert(key, v);
                if !wants_entry && out.len() >= min_props {
                    break;
                }
            }
        }
        // Too many: drop optional properties from the end.
        if let Some(m) = max_props {
            let keys: Vec<String> = out.keys().cloned().collect();
            for k in keys.iter().rev() {
                if out.len() <= m {
                    break;
                }
                if !flat.required.contains(&k.as_str()) {
                    out.shift_remove(k);
                }
            }
        }
        Value::Object(out)
    }

    fn key_name(&self, flat: &Flat<'_>, n: usize) -> String {
        let plain = format!("additionalProp{n}");
        let Some((url, names)) = flat.property_names.first().copied() else {
            return plain;
        };
        let mut s = Synth::new(self.refs, self.dir);
        match s.value_named(url, names, Some("key")) {
            Value::String(k) if n == 1 => k,
            Value::String(k) => format!("{k}{n}"),
            _ => plain,
        }
    }

    pub(super) fn schemas_for_extra<'a>(&self, flat: &Flat<'a>, name: &str) -> Vec<Node<'a>> {
        let by_pattern: Vec<Node<'a>> = flat
            .pattern_props
            .iter()
            .filter(|(p, _)| pattern::matches(p, name) == Some(true))
            .map(|(_, n)| *n)
            .collect();
        if by_pattern.is_empty() {
            flat.additional.clone()
        } else {
            by_pattern
        }
    }

    /// Whether the property is `readOnly` in a request or `writeOnly` in a response.
    fn excluded_by_direction(&self, nodes: &[Node<'_>]) -> bool {
        let key = match self.dir {
            Direction::Response => "writeOnly",
            Direction::Request => "readOnly",
        };
        nodes.iter().any(|(u, s)| {
            let (_, v) = crate::refs::resolve(self.refs, u, s);
            v.get(key).and_then(Value::as_bool) == Some(true)
                || s.get(key).and_then(Value::as_bool) == Some(true)
        })
    }

    /// Whether following `node`'s `$ref` chain comes back to a schema being written.
    fn is_recursive(&self, node: Node<'_>) -> bool {
        let (mut url, mut v) = node;
        for _ in 0..16 {
            let Some(r) = ref_of(v) else {
                return false;
            };
            let Some(t) = self.refs.lookup(url, r) else {
                return false;
            };
            if self.stack.contains(&t.key) {
                return true;
            }
            url = t.url;
            v = t.value;
        }
        false
    }
}
