//! Writing a value from flattened constraints: `const`, a valid example, `enum`, a chosen
//! `oneOf`/`anyOf` branch, else a value of the chosen type.

use serde_json::{Map, Value};

use super::scalars::{number, string};
use super::{Ctx, Disc, Flat, Group, MAX_BRANCHES, Node, Synth};
use crate::conforms::conforms;
use crate::refs::{Refs, ref_of};

impl<'r> Synth<'r> {
    pub(super) fn gen_flat<'a>(&mut self, mut flat: Flat<'a>, ctx: &Ctx<'_>) -> Value
    where
        'r: 'a,
    {
        if let Some(c) = flat.konst {
            return c.clone();
        }
        let whole = flat.parts.first().copied();
        if !flat.tried {
            flat.tried = true;
            if let Some((url, schema)) = whole {
                // An author's example (or default) wins when it satisfies the schema.
                if ctx.variant == 0 {
                    let mut candidates: Vec<&Value> = Vec::new();
                    if self.prefer_default {
                        candidates.extend(flat.default);
                        candidates.extend(flat.examples.iter().copied());
                    } else {
                        candidates.extend(flat.examples.iter().copied());
                        candidates.extend(flat.default);
                    }
                    for c in candidates {
                        if c.is_null() && !flat.nullable {
                            continue;
                        }
                        if conforms(self.refs, url, schema, c) {
                            return c.clone();
                        }
                    }
                }
                // Then the first `enum` value the whole schema accepts.
                if let Some(options) = flat.enums {
                    let n = options.len();
                    for k in 0..n {
                        if let Some(v) = options.get((ctx.variant + k) % n)
                            && !v.is_null()
                            && conforms(self.refs, url, schema, v)
                        {
                            return v.clone();
                        }
                    }
                }
            }
        }
        if !flat.groups.is_empty() {
            let group = flat.groups.remove(0);
            return self.choose_branch(flat, group, ctx);
        }
        let kind = self.choose_type(&flat, ctx);
        if let Some(options) = flat.enums {
            // No value satisfies everything: prefer the author's enumerated values, unless
            // the schema is an array (whose `items` say more than a misplaced `enum`).
            let usable: Vec<&Value> = options
                .iter()
                .filter(|v| !v.is_null())
                .filter(|v| match &flat.types {
                    Some(t) => t.iter().any(|t| type_of_ok(v, t)),
                    None => true,
                })
                .collect();
            if let Some(v) = usable.get(ctx.variant % usable.len().max(1)) {
                return (*v).clone();
            }
            if kind != "array"
                && let Some(v) = options.iter().find(|v| !v.is_null())
            {
                return v.clone();
            }
            if options.iter().all(Value::is_null) {
                return Value::Null;
            }
        }
        match kind {
            "null" => Value::Null,
            "boolean" => Value::Bool(ctx.variant.is_multiple_of(2)),
            "integer" => number(&flat, true, ctx.variant),
            "number" => number(&flat, false, ctx.variant),
            "array" => self.array(&flat, ctx),
            "object" => self.object(&flat, ctx),
            _ => Value::String(string(&flat, ctx)),
        }
    }

    /// The emptiest value of the schema's type, where nesting must stop (a schema that requires
    /// itself cannot be written out; the result may then miss required properties).
    pub(super) fn cut(&self, flat: &Flat<'_>, ctx: &Ctx<'_>) -> Value {
        if let Some(c) = flat.konst {
            return c.clone();
        }
        if flat.nullable {
            return Value::Null;
        }
        match self.choose_type(flat, ctx) {
            "object" => Value::Object(Map::new()),
            "array" => Value::Array(Vec::new()),
            "null" => Value::Null,
            "boolean" => Value::Bool(true),
            "integer" => number(flat, true, 0),
            "number" => number(flat, false, 0),
            _ => Value::String(string(flat, ctx)),
        }
    }

    fn choose_type(&self, flat: &Flat<'_>, ctx: &Ctx<'_>) -> &'static str {
        const ALL: [&str; 7] = [
            "object", "array", "string", "integer", "number", "boolean", "null",
        ];
        if let Some(types) = &flat.types {
            if let Some(t) = types.iter().find(|t| **t != "null") {
                return ALL.iter().copied().find(|a| a == t).unwrap_or("string");
            }
            return "null";
        }
        if !flat.properties.is_empty()
            || !flat.required.is_empty()
            || !flat.additional.is_empty()
            || flat.additional_false
            || flat.min_props.is_some()
            || flat.discriminator.is_some()
        {
            return "object";
        }
        if !flat.items.is_empty() || flat.prefix.is_some() || flat.min_items.is_some() {
            return "array";
        }
        match flat.format {
            Some("int32" | "int64" | "integer") => return "integer",
            Some("float" | "double" | "decimal" | "number") => return "number",
            _ => {}
        }
        if !flat.patterns.is_empty()
            || flat.min_len.is_some()
            || flat.max_len.is_some()
            || flat.format.is_some()
        {
            return "string";
        }
        if flat.lo.is_some() || flat.hi.is_some() || flat.multiple_of.is_some() {
            return "number";
        }
        // A reference to a schema that is not there: component schemas are nearly always
        // objects, except the ones named as identifiers.
        if let Some(name) = flat.dangling {
            return if name.to_ascii_lowercase().ends_with("id") {
                "string"
            } else {
                "object"
            };
        }
        if ctx.top { "object" } else { "string" }
    }

    fn choose_branch<'a>(&mut self, flat: Flat<'a>, group: Group<'a>, ctx: &Ctx<'_>) -> Value
    where
        'r: 'a,
    {
        let disc = flat.discriminator.clone();
        let whole = flat.parts.first().copied();
        let mut first: Option<Value> = None;
        // A branch that is a reference to nothing (a dangling `$ref`) says nothing.
        let live: Vec<Node<'a>> = group
            .branches
            .iter()
            .copied()
            .filter(|(u, s)| {
                ref_of(s).is_none_or(|r| {
                    s.as_object().is_some_and(|m| m.len() > 1) || self.refs.lookup(u, r).is_some()
                })
            })
            .collect();
        if live.is_empty() {
            return self.gen_flat(flat, ctx);
        }
        let group = Group {
            branches: live,
            one_of: group.one_of,
        };
        for (i, branch) in group.branches.iter().enumerate().take(MAX_BRANCHES) {
            let mut f = flat.clone();
            let before = f.keys.len();
            self.flatten(*branch, &mut f, false, 1);
            if f.unsatisfiable {
                continue;
            }
            let mut c = ctx.clone();
            if let Some(d) = &disc
                && let Some(value) = disc_value(self.refs, d, *branch)
            {
                c.disc = Some((d.property.to_string(), value));
            }
            // Recursion through a branch: only the keys this branch added count.
            let added: Vec<String> = f.keys.iter().skip(before).cloned().collect();
            let recursive = added.iter().any(|k| self.stack.contains(k));
            if recursive && i + 1 < group.branches.len() {
                continue;
            }
            self.stack.extend(added.iter().cloned());
            if recursive {
                c.minimal = true;
            }
            let v = self.gen_flat(f, &c);
            let keep = self.stack.len().saturating_sub(added.len());
            self.stack.truncate(keep);
            let (url, schema) = *branch;
            let in_branch = conforms(self.refs, url, schema, &v);
            let exclusive = !group.one_of
                || group
                    .branches
                    .iter()
                    .enumerate()
                    .filter(|(j, _)| *j != i)
                    .all(|(_, (u, s))| !conforms(self.refs, u, s, &v));
            let in_whole = whole.is_none_or(|(u, s)| conforms(self.refs, u, s, &v));
            if in_branch && exclusive && in_whole {
                return v;
            }
            if first.is_none() {
                first = Some(v);
            }
        }
        first.unwrap_or(Value::Null)
    }
}

fn type_of_ok(v: &Value, t: &str) -> bool {
    match t {
        "string" => v.is_string(),
        "integer" => v.as_f64().is_some_and(|x| x.fract() == 0.0),
        "number" => v.is_number(),
        "boolean" => v.is_boolean(),
        "array" => v.is_array(),
        "object" => v.is_object(),
        _ => true,
    }
}

/// The discriminator value naming `branch`: its key in `mapping`, else its schema name.
fn disc_value(refs: &dyn Refs, d: &Disc<'_>, branch: Node<'_>) -> Option<String> {
    let r = ref_of(branch.1)?;
    let target = refs.lookup(branch.0, r)?.key;
    for (k, v) in &d.mapping {
        let mapped = refs.lookup(d.url, v).map(|t| t.key);
        if mapped.as_deref() == Some(target.as_str()) {
            return Some((*k).to_string());
        }
    }
    // A mapping value may also be a bare schema name.
    let name = r.rsplit('/').next()?;
    if let Some((k, _)) = d.mapping.iter().find(|(_, v)| *v == name) {
        return Some((*k).to_string());
    }
    Some(name.to_string())
}
