//! Deterministic example values for schemas.
//!
//! A schema is first *flattened*: `$ref` chains are followed (siblings of a `$ref` are merged, as
//! OpenAPI 3.1 reads them; in 3.0 they are usually `nullable` or `description`), `allOf` parts
//! are merged into one set of constraints, and `oneOf`/`anyOf` become groups to choose from.
//! Then a value is written from the merged constraints, preferring, in order: `const`, an
//! `example` (or `default`) that satisfies the schema, `enum`, and a value built from the type.
//!
//! Everything is a pure function of the schema: no randomness, no clock, no hash-map order, so
//! the same description always gives the same responses.

use serde_json::{Map, Number, Value};
use url::Url;

use crate::conforms::{conforms, declared_types, nullable, same};
use crate::pattern;
use crate::refs::{Refs, ref_of};

/// Nesting depth past which objects and arrays are cut to their emptiest valid form
/// (recursive schemas that require themselves cannot be written out in full).
const MAX_DEPTH: usize = 12;
/// Depth up to which optional properties are written.
const OPTIONAL_DEPTH: usize = 6;
/// Values written per synthesis before only required properties are written: keeps responses of
/// very wide schemas (hundreds of properties, nested) to a reasonable size.
const NODE_BUDGET: usize = 3_000;
/// Values written per synthesis after which nothing more is written (`null`): a bound on the
/// work a hostile schema (nested `minItems: 1000`) can demand.
const HARD_LIMIT: usize = 100_000;
/// `oneOf`/`anyOf` branches tried before settling for the first.
const MAX_BRANCHES: usize = 6;

/// Which side of an exchange a value is for: `readOnly` properties are left out of requests,
/// `writeOnly` ones out of responses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// A response body or header (the default): `writeOnly` properties are omitted.
    Response,
    /// A request body, parameter or workflow input: `readOnly` properties are omitted.
    Request,
}

/// One schema and the document it lives in.
type Node<'a> = (&'a Url, &'a Value);

/// A `oneOf` or `anyOf` to choose a branch of.
#[derive(Clone)]
struct Group<'a> {
    branches: Vec<Node<'a>>,
    one_of: bool,
}

/// A discriminator: the property that names the chosen schema.
#[derive(Clone)]
struct Disc<'a> {
    property: &'a str,
    /// `mapping`: value → reference.
    mapping: Vec<(&'a str, &'a str)>,
    url: &'a Url,
}

/// The merged constraints of a schema and everything it references or includes with `allOf`.
#[derive(Clone, Default)]
struct Flat<'a> {
    /// Every schema object merged in (examples are checked against the first one, the whole).
    parts: Vec<Node<'a>>,
    types: Option<Vec<&'a str>>,
    nullable: bool,
    konst: Option<&'a Value>,
    enums: Option<&'a Vec<Value>>,
    format: Option<&'a str>,
    patterns: Vec<&'a str>,
    min_len: Option<u64>,
    max_len: Option<u64>,
    /// Lower bound and whether it is exclusive.
    lo: Option<(f64, bool)>,
    hi: Option<(f64, bool)>,
    multiple_of: Option<f64>,
    min_items: Option<u64>,
    max_items: Option<u64>,
    unique: bool,
    min_props: Option<u64>,
    max_props: Option<u64>,
    properties: Vec<(&'a str, Vec<Node<'a>>)>,
    required: Vec<&'a str>,
    items: Vec<Node<'a>>,
    prefix: Option<Vec<Node<'a>>>,
    additional: Vec<Node<'a>>,
    additional_false: bool,
    /// For each part with `additionalProperties: false`, the properties it declares: only
    /// those may appear (JSON Schema reads `additionalProperties` per schema object).
    closed: Vec<Vec<&'a str>>,
    /// Examples and `enum` values were already tried against the whole schema.
    tried: bool,
    /// The name of a `$ref` target that does not exist (descriptions that are excerpts).
    dangling: Option<&'a str>,
    pattern_props: Vec<(&'a str, Node<'a>)>,
    property_names: Vec<Node<'a>>,
    groups: Vec<Group<'a>>,
    /// `example`, `examples[…]`, `x-example` of the schema itself (not of its `allOf` parts).
    examples: Vec<&'a Value>,
    default: Option<&'a Value>,
    read_only: bool,
    write_only: bool,
    discriminator: Option<Disc<'a>>,
    /// The names of the component schemas followed through `$ref`, outermost first.
    ref_names: Vec<&'a str>,
    /// The absolute references followed (identity of the schema, for recursion).
    keys: Vec<String>,
    unsatisfiable: bool,
}

/// Per-value context.
#[derive(Clone)]
struct Ctx<'n> {
    depth: usize,
    /// The property (or parameter) name the value is for, for realistic strings.
    name: Option<&'n str>,
    /// Shifts choices, to make distinct items for `uniqueItems`.
    variant: usize,
    /// Write the least that is valid (recursion, budget exhausted).
    minimal: bool,
    /// The discriminator value chosen for this object, if a parent chose a branch.
    disc: Option<(String, String)>,
    /// Whether this is a top-level body (an unconstrained schema gives `{}` there).
    top: bool,
}

/// The synthesizer for one value.
pub(crate) struct Synth<'r> {
    refs: &'r dyn Refs,
    dir: Direction,
    /// Workflow inputs prefer `default` to `example`.
    prefer_default: bool,
    nodes: usize,
    stack: Vec<String>,
}

impl<'r> Synth<'r> {
    pub(crate) fn new(refs: &'r dyn Refs, dir: Direction) -> Synth<'r> {
        Synth {
            refs,
            dir,
            prefer_default: false,
            nodes: 0,
            stack: Vec::new(),
        }
    }

    /// Prefer a schema's `default` to its `example` (for workflow inputs, where the default is
    /// what the author meant to be used).
    pub(crate) fn prefer_default(mut self) -> Self {
        self.prefer_default = true;
        self
    }

    /// A value for the schema `schema` living in the document at `base`.
    pub(crate) fn value(&mut self, base: &Url, schema: &Value) -> Value {
        self.value_named(base, schema, None)
    }

    /// A value for a named property or parameter (the name guides realistic strings).
    pub(crate) fn value_named(&mut self, base: &Url, schema: &Value, name: Option<&str>) -> Value {
        let ctx = Ctx {
            depth: 0,
            name,
            variant: 0,
            minimal: false,
            disc: None,
            top: name.is_none(),
        };
        self.gen_nodes(&[(base, schema)], &ctx)
    }

    /// A value for property `name` of the object schema `schema`; `None` when the schema
    /// declares no such property (and allows no others).
    pub(crate) fn property(&mut self, base: &Url, schema: &Value, name: &str) -> Option<Value> {
        let mut flat = Flat::default();
        self.flatten((base, schema), &mut flat, true, 0);
        for g in flat.groups.clone() {
            for b in g.branches {
                self.flatten(b, &mut flat, false, 1);
            }
        }
        let nodes: Vec<Node<'_>> = flat
            .properties
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, nodes)| nodes.clone())
            .unwrap_or_else(|| self.schemas_for_extra(&flat, name));
        if nodes.is_empty() {
            return None;
        }
        let ctx = Ctx {
            depth: 1,
            name: Some(name),
            variant: 0,
            minimal: false,
            disc: None,
            top: false,
        };
        Some(self.gen_nodes(&nodes, &ctx))
    }

    /// Values for the required properties of the object schema `schema` that `given` lacks, in
    /// schema order.
    pub(crate) fn missing_required(
        &mut self,
        base: &Url,
        schema: &Value,
        given: &Map<String, Value>,
    ) -> Vec<(String, Value)> {
        let mut flat = Flat::default();
        self.flatten((base, schema), &mut flat, true, 0);
        // A `oneOf`/`anyOf` of input sets: the first branch's requirements.
        if let Some(g) = flat.groups.first().cloned()
            && let Some(b) = g.branches.first()
        {
            self.flatten(*b, &mut flat, false, 1);
        }
        let ctx = Ctx {
            depth: 1,
            name: None,
            variant: 0,
            minimal: false,
            disc: None,
            top: false,
        };
        let mut out = Vec::new();
        for name in flat.required.clone() {
            if given.contains_key(name) {
                continue;
            }
            let nodes: Vec<Node<'_>> = flat
                .properties
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, nodes)| nodes.clone())
                .unwrap_or_else(|| self.schemas_for_extra(&flat, name));
            let c = Ctx {
                name: Some(name),
                ..ctx.clone()
            };
            let v = if nodes.is_empty() {
                Value::String(string(&Flat::default(), &c))
            } else {
                self.gen_nodes(&nodes, &c)
            };
            out.push((name.to_string(), v));
        }
        out
    }

    /// `value` (a value of `schema`) with every enumerated value moved `turn` places along its
    /// `enum` (wrapping, among the values of the same JSON type): the answer to the `turn`-th
    /// repeat of a request, so that a polling loop waiting for `status == 'done'` sees the
    /// state move on. Everything that is not enumerated stays as it is.
    pub(crate) fn advance(
        &mut self,
        base: &Url,
        schema: &Value,
        value: &Value,
        turn: usize,
    ) -> Value {
        self.advance_nodes(&[(base, schema)], value, turn, 0)
    }

    fn advance_nodes<'a>(
        &mut self,
        nodes: &[Node<'a>],
        value: &Value,
        turn: usize,
        depth: usize,
    ) -> Value
    where
        'r: 'a,
    {
        self.nodes += 1;
        if depth > MAX_DEPTH || self.nodes > HARD_LIMIT {
            return value.clone();
        }
        let mut flat = Flat::default();
        for (i, n) in nodes.iter().enumerate() {
            self.flatten(*n, &mut flat, i == 0, 0);
        }
        // The properties of every `oneOf`/`anyOf` branch: the value is one of them.
        for g in flat.groups.clone() {
            for b in g.branches {
                self.flatten(b, &mut flat, false, 1);
            }
        }
        if let Some(options) = flat.enums {
            let kin: Vec<&Value> = options
                .iter()
                .filter(|o| !o.is_null() && same_kind(o, value))
                .collect();
            return match kin.iter().position(|o| *o == value) {
                Some(at) => kin[(at + turn) % kin.len()].clone(),
                None => value.clone(),
            };
        }
        match value {
            Value::Object(m) => {
                let mut out = Map::new();
                for (k, v) in m {
                    let nodes = flat
                        .properties
                        .iter()
                        .find(|(n, _)| *n == k)
                        .map(|(_, nodes)| nodes.clone())
                        .unwrap_or_else(|| self.schemas_for_extra(&flat, k));
                    let v = if nodes.is_empty() {
                        v.clone()
                    } else {
                        self.advance_nodes(&nodes, v, turn, depth + 1)
                    };
                    out.insert(k.clone(), v);
                }
                Value::Object(out)
            }
            Value::Array(items) if !flat.items.is_empty() => {
                let nodes = flat.items.clone();
                Value::Array(
                    items
                        .iter()
                        .map(|v| self.advance_nodes(&nodes, v, turn, depth + 1))
                        .collect(),
                )
            }
            _ => value.clone(),
        }
    }

    fn gen_nodes<'a>(&mut self, nodes: &[Node<'a>], ctx: &Ctx<'_>) -> Value
    where
        'r: 'a,
    {
        self.nodes += 1;
        if self.nodes > HARD_LIMIT {
            return Value::Null;
        }
        let mut flat = Flat::default();
        for (i, n) in nodes.iter().enumerate() {
            self.flatten(*n, &mut flat, i == 0, 0);
        }
        let recursive = flat.keys.iter().any(|k| self.stack.contains(k));
        let pushed = flat.keys.len();
        self.stack.extend(flat.keys.iter().cloned());
        let mut ctx = ctx.clone();
        if recursive || self.nodes > NODE_BUDGET {
            ctx.minimal = true;
        }
        let v = if ctx.depth > MAX_DEPTH {
            self.cut(&flat, &ctx)
        } else {
            self.gen_flat(flat, &ctx)
        };
        let keep = self.stack.len().saturating_sub(pushed);
        self.stack.truncate(keep);
        v
    }

    /// Merges the schema `node` into `flat`. `own` says whether examples of this schema describe
    /// the whole value (the schema itself and its `$ref` chain, not `allOf` parts).
    fn flatten<'a>(&self, node: Node<'a>, flat: &mut Flat<'a>, own: bool, depth: usize)
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

    fn gen_flat<'a>(&mut self, mut flat: Flat<'a>, ctx: &Ctx<'_>) -> Value
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
    fn cut(&self, flat: &Flat<'_>, ctx: &Ctx<'_>) -> Value {
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

    fn array<'a>(&mut self, flat: &Flat<'a>, ctx: &Ctx<'_>) -> Value
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

    fn object<'a>(&mut self, flat: &Flat<'a>, ctx: &Ctx<'_>) -> Value
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

    fn schemas_for_extra<'a>(&self, flat: &Flat<'a>, name: &str) -> Vec<Node<'a>> {
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

/// `""`, `[]` and `{}`: values that carry no information.
/// Whether two values have the same JSON type (integers and other numbers alike).
fn same_kind(a: &Value, b: &Value) -> bool {
    std::mem::discriminant(a) == std::mem::discriminant(b)
}

fn is_empty_placeholder(v: &Value) -> bool {
    match v {
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(m) => m.is_empty(),
        _ => false,
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

/// A number within the bounds, a multiple of `multipleOf`; `1` (or `1.5`) when unconstrained.
fn number(flat: &Flat<'_>, integer: bool, variant: usize) -> Value {
    let step = flat.multiple_of;
    let (mut lo, mut hi) = (f64::NEG_INFINITY, f64::INFINITY);
    match flat.format {
        Some("int32") => {
            lo = f64::from(i32::MIN);
            hi = f64::from(i32::MAX);
        }
        Some("int64") => {
            lo = -9.0e15;
            hi = 9.0e15;
        }
        _ => {}
    }
    let gap = if integer { 1.0 } else { step.unwrap_or(0.5) };
    if let Some((x, excl)) = flat.lo {
        let x = if excl {
            if integer {
                x.floor() + 1.0
            } else {
                x + gap.min(1.0)
            }
        } else {
            x
        };
        lo = lo.max(x);
    }
    if let Some((x, excl)) = flat.hi {
        let x = if excl {
            if integer {
                x.ceil() - 1.0
            } else {
                x - gap.min(1.0)
            }
        } else {
            x
        };
        hi = hi.min(x);
    }
    if integer {
        lo = lo.ceil();
        hi = hi.floor();
    }
    let v = variant as f64;
    let mut x = if integer { 1.0 + v } else { 1.5 + v };
    if x < lo {
        x = lo + v;
    }
    if x > hi {
        x = (hi - v).max(lo);
    }
    if let Some(k) = step {
        let k = if integer && k.fract() != 0.0 {
            // An integer multiple of a fraction: use a multiple that is a whole number.
            let mut whole = k;
            for n in 1..=1000 {
                whole = k * f64::from(n);
                if (whole - whole.round()).abs() < 1e-9 {
                    break;
                }
            }
            whole.round()
        } else {
            k
        };
        let mut q = (x / k).ceil();
        if q * k > hi {
            q = (hi / k).floor();
        }
        if q * k < lo {
            q = (lo / k).ceil();
        }
        x = round_like(q * k, k);
    }
    if !x.is_finite() {
        x = 0.0;
    }
    if (integer || x.fract() == 0.0) && x.abs() < 9.0e15 {
        Value::Number(Number::from(x as i64))
    } else {
        Number::from_f64(x)
            .map(Value::Number)
            .unwrap_or(Value::from(0))
    }
}

/// `x` rounded to as many decimals as the step `k` has, so `3 × 0.1` is `0.3`.
fn round_like(x: f64, k: f64) -> f64 {
    let text = format!("{k}");
    let decimals = text.split_once('.').map_or(0, |(_, d)| d.len()).min(12);
    let f = 10f64.powi(decimals as i32);
    (x * f).round() / f
}

/// A string for the constraints: a pattern match, a format, a name-based value, else `string`.
fn string(flat: &Flat<'_>, ctx: &Ctx<'_>) -> String {
    let min = flat.min_len.unwrap_or(0).min(100_000) as usize;
    let max = flat.max_len.map(|m| m as usize);
    let fits = |s: &str| {
        let n = s.chars().count();
        n >= min && max.is_none_or(|m| n <= m)
    };
    if let Some(first) = flat.patterns.first() {
        let others = flat.patterns.get(1..).unwrap_or_default();
        for v in 0..4 {
            if let Some(s) = pattern::generate(first, min, max, ctx.variant + v * 7)
                && others
                    .iter()
                    .all(|p| pattern::matches(p, &s) != Some(false))
            {
                return s;
            }
        }
    }
    if let Some(f) = flat.format
        && let Some(s) = by_format(f, ctx)
        && fits(&s)
    {
        return s;
    }
    let known_format = flat.format.is_some_and(|f| by_format(f, ctx).is_some());
    if let Some(name) = flat
        .dangling
        .filter(|_| flat.patterns.is_empty() && !known_format)
        && let Some(s) = by_name(name, ctx.variant)
        && fits(&s)
    {
        return s;
    }
    if !known_format
        && let Some(name) = ctx.name
        && let Some(s) = by_name(name, ctx.variant)
        && fits(&s)
    {
        return s;
    }
    let base = if ctx.variant == 0 {
        "string".to_string()
    } else {
        format!("string{}", ctx.variant)
    };
    fit(&base, min, max, ctx.variant)
}

/// `s` padded or cut to the length bounds.
fn fit(s: &str, min: usize, max: Option<usize>, variant: usize) -> String {
    let mut out: String = s.to_string();
    if let Some(m) = max {
        out = out.chars().take(m).collect();
        if out.is_empty() && m > 0 && min == 0 {
            out = "s".into();
        }
    }
    let filler = b"abcdefghijklmnopqrstuvwxyz";
    let mut i = variant;
    while out.chars().count() < min {
        out.push(char::from(filler[i % filler.len()]));
        i += 1;
    }
    if variant > 0 && out.chars().count() == max.unwrap_or(usize::MAX) && max.is_some() {
        // Cut strings must still differ between variants.
        let keep: String = out
            .chars()
            .take(max.unwrap_or(1).saturating_sub(1))
            .collect();
        out = format!("{keep}{}", char::from(filler[variant % filler.len()]));
    }
    out
}

/// A stable 64-bit hash (FNV-1a) for values derived from names.
fn fnv(text: &str, variant: usize) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes().chain(variant.to_le_bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

fn by_format(format: &str, ctx: &Ctx<'_>) -> Option<String> {
    let v = ctx.variant;
    let name = ctx.name.unwrap_or("value");
    Some(match format {
        "date-time" => format!("2024-01-{:02}T12:00:00Z", 1 + v % 28),
        "date" => format!("2024-01-{:02}", 1 + v % 28),
        "time" => format!("12:{:02}:00Z", v % 60),
        "duration" => format!("P{}D", 1 + v),
        "email" | "idn-email" => {
            if v == 0 {
                "user@example.com".into()
            } else {
                format!("user{v}@example.com")
            }
        }
        "hostname" | "idn-hostname" => {
            if v == 0 {
                "example.com".into()
            } else {
                format!("host{v}.example.com")
            }
        }
        "ipv4" => format!("192.0.2.{}", 1 + v % 250),
        "ipv6" => format!("2001:db8::{:x}", 1 + v),
        "uri" | "url" | "iri" | "uri-reference" | "iri-reference" => {
            if v == 0 {
                "https://example.com".into()
            } else {
                format!("https://example.com/{v}")
            }
        }
        "uri-template" => "https://example.com/{id}".into(),
        "uuid" | "guid" => uuid(name, v),
        "json-pointer" => format!("/{}", name.replace('~', "~0").replace('/', "~1")),
        "relative-json-pointer" => "0".into(),
        "regex" => "^[a-z]+$".into(),
        "byte" | "base64" => {
            use base64::Engine as _;
            base64::engine::general_purpose::STANDARD.encode(if v == 0 {
                "example".to_string()
            } else {
                format!("example{v}")
            })
        }
        "binary" => {
            if v == 0 {
                "binary".into()
            } else {
                format!("binary{v}")
            }
        }
        "password" => format!(
            "password{}",
            if v == 0 { String::new() } else { v.to_string() }
        ),
        "phone" | "tel" => format!("+1555555{:04}", 100 + v),
        _ => return None,
    })
}

/// A version-4-shaped UUID derived from the name, so the same field always gets the same id.
fn uuid(name: &str, variant: usize) -> String {
    let a = fnv(name, variant);
    let b = fnv(name, variant.wrapping_add(0x9e37));
    let hex = format!("{a:016x}{b:016x}");
    let h = |r: std::ops::Range<usize>| hex.get(r).unwrap_or("0").to_string();
    format!(
        "{}-{}-4{}-8{}-{}",
        h(0..8),
        h(8..12),
        h(13..16),
        h(17..20),
        h(20..32)
    )
}

/// Realistic strings for common property names (only when no format or pattern says otherwise).
fn by_name(name: &str, variant: usize) -> Option<String> {
    let lower = name.to_ascii_lowercase();
    let suffix = if variant == 0 {
        String::new()
    } else {
        variant.to_string()
    };
    if lower.contains("email") {
        return Some(format!("user{suffix}@example.com"));
    }
    if lower.ends_with("url")
        || lower.ends_with("uri")
        || lower.ends_with("href")
        || lower == "link"
        || lower == "website"
    {
        return Some(
            format!(
                "https://example.com/{}{suffix}",
                lower.trim_end_matches("url").trim_end_matches('_')
            )
            .trim_end_matches('/')
            .to_string(),
        );
    }
    if lower == "id" || lower.ends_with("_id") || name.ends_with("Id") || name.ends_with("ID") {
        let h = fnv(&lower, variant);
        return Some(format!("{:012x}", h & 0xffff_ffff_ffff));
    }
    if lower.ends_with("_at")
        || (name.ends_with("At") && name.len() > 2)
        || lower.ends_with("timestamp")
        || lower.ends_with("datetime")
    {
        return Some(format!("2024-01-{:02}T12:00:00Z", 1 + variant % 28));
    }
    if lower == "date" || lower.ends_with("_date") || name.ends_with("Date") {
        return Some(format!("2024-01-{:02}", 1 + variant % 28));
    }
    if lower.contains("phone") {
        return Some(format!("+1555555{:04}", 100 + variant));
    }
    None
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::refs::OneDoc;
    use serde_json::json;

    fn synth(doc: Value, schema: Value) -> Value {
        let refs = OneDoc {
            url: Url::parse("file:///doc.json").unwrap(),
            root: &doc,
        };
        let base = refs.url.clone();
        let v = Synth::new(&refs, Direction::Response).value(&base, &schema);
        assert!(
            conforms(&refs, &base, &schema, &v),
            "{v} does not conform to {schema}"
        );
        v
    }

    #[test]
    fn scalars() {
        assert_eq!(
            synth(json!({}), json!({"type": "integer", "minimum": 10})),
            json!(10)
        );
        assert_eq!(
            synth(
                json!({}),
                json!({"type": "integer", "maximum": 0, "exclusiveMaximum": true})
            ),
            json!(-1)
        );
        assert_eq!(
            synth(
                json!({}),
                json!({"type": "number", "exclusiveMinimum": 2, "maximum": 2.5})
            ),
            json!(2.5)
        );
        assert_eq!(
            synth(
                json!({}),
                json!({"type": "number", "multipleOf": 0.1, "minimum": 0.25, "maximum": 0.35})
            ),
            json!(0.3)
        );
        assert_eq!(synth(json!({}), json!({"type": "boolean"})), json!(true));
        assert_eq!(synth(json!({}), json!({"enum": ["b", "c"]})), json!("b"));
        assert_eq!(synth(json!({}), json!({"const": 7})), json!(7));
        assert_eq!(
            synth(json!({}), json!({"type": ["null", "string"]})),
            json!("string")
        );
        let s = synth(json!({}), json!({"type": "string", "minLength": 12}));
        assert_eq!(s.as_str().unwrap().len(), 12);
        let s = synth(json!({}), json!({"type": "string", "maxLength": 3}));
        assert_eq!(s, json!("str"));
    }

    #[test]
    fn formats() {
        for (f, expect) in [
            ("date-time", "2024-01-01T12:00:00Z"),
            ("date", "2024-01-01"),
            ("email", "user@example.com"),
            ("uri", "https://example.com"),
            ("ipv4", "192.0.2.1"),
        ] {
            assert_eq!(
                synth(json!({}), json!({"type": "string", "format": f})),
                json!(expect)
            );
        }
        let u = synth(json!({}), json!({"type": "string", "format": "uuid"}));
        assert!(crate::conforms::format_ok("uuid", u.as_str().unwrap()));
    }

    #[test]
    fn examples_win_when_valid() {
        assert_eq!(
            synth(json!({}), json!({"type": "string", "example": "hello"})),
            json!("hello")
        );
        assert_eq!(
            synth(json!({}), json!({"type": "integer", "example": "nope"})),
            json!(1)
        );
        assert_eq!(
            synth(json!({}), json!({"type": "integer", "examples": [5]})),
            json!(5)
        );
    }

    #[test]
    fn objects_and_composition() {
        let doc = json!({"components": {"schemas": {
            "Pet": {"type": "object", "required": ["id", "petType"], "properties": {
                "id": {"type": "integer", "format": "int64"},
                "petType": {"type": "string"},
                "secret": {"type": "string", "writeOnly": true}},
                "discriminator": {"propertyName": "petType", "mapping": {"kitty": "#/components/schemas/Cat"}}},
            "Cat": {"allOf": [{"$ref": "#/components/schemas/Pet"}, {"type": "object", "properties": {"purrs": {"type": "boolean"}}}]},
            "Dog": {"allOf": [{"$ref": "#/components/schemas/Pet"}, {"type": "object", "required": ["barks"], "properties": {"barks": {"type": "boolean"}}}]},
            "Node": {"type": "object", "required": ["name"], "properties": {
                "name": {"type": "string"}, "children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}},
                "parent": {"$ref": "#/components/schemas/Node"}}}
        }}});
        let cat = synth(doc.clone(), json!({"$ref": "#/components/schemas/Cat"}));
        assert_eq!(cat, json!({"id": 1, "petType": "kitty", "purrs": true}));
        let dog = synth(doc.clone(), json!({"$ref": "#/components/schemas/Dog"}));
        assert_eq!(dog["petType"], json!("Dog"));
        let one = synth(
            doc.clone(),
            json!({"oneOf": [{"$ref": "#/components/schemas/Cat"}, {"$ref": "#/components/schemas/Dog"}],
                   "discriminator": {"propertyName": "petType"}}),
        );
        assert_eq!(one["petType"], json!("Cat"));
        let node = synth(doc, json!({"$ref": "#/components/schemas/Node"}));
        assert_eq!(node, json!({"name": "string", "children": []}));
    }

    #[test]
    fn one_of_picks_an_exclusive_branch() {
        let v = synth(
            json!({}),
            json!({"oneOf": [{"type": "object", "properties": {"a": {"type": "string"}}},
                             {"type": "object", "required": ["b"], "properties": {"b": {"type": "integer"}}}]}),
        );
        assert!(v.is_object());
    }

    #[test]
    fn arrays() {
        assert_eq!(
            synth(
                json!({}),
                json!({"type": "array", "items": {"type": "integer"}})
            ),
            json!([1])
        );
        assert_eq!(
            synth(
                json!({}),
                json!({"type": "array", "minItems": 3, "uniqueItems": true, "items": {"enum": ["a", "b", "c"]}})
            ),
            json!(["a", "b", "c"])
        );
        assert_eq!(
            synth(json!({}), json!({"type": "array", "maxItems": 0})),
            json!([])
        );
        let v = synth(
            json!({}),
            json!({"type": "array", "minItems": 2, "uniqueItems": true, "items": {"type": "string", "format": "uuid"}}),
        );
        assert_eq!(v.as_array().unwrap().len(), 2);
    }

    #[test]
    fn maps_and_names() {
        let v = synth(
            json!({}),
            json!({"type": "object", "additionalProperties": {"type": "integer"}}),
        );
        assert_eq!(v, json!({"additionalProp1": 1}));
        let v = synth(
            json!({}),
            json!({"type": "object", "properties": {
            "email": {"type": "string"}, "homepage_url": {"type": "string"}, "created_at": {"type": "string"}}}),
        );
        assert_eq!(v["email"], json!("user@example.com"));
        assert!(v["homepage_url"].as_str().unwrap().starts_with("https://"));
        assert_eq!(v["created_at"], json!("2024-01-01T12:00:00Z"));
    }

    #[test]
    fn placeholders_and_missing_schemas() {
        let v = synth(
            json!({}),
            json!({"type": "object", "properties": {
            "id": {"type": "string", "default": ""}, "tags": {"type": "array", "items": {"type": "string"}, "default": []}}}),
        );
        assert!(!v["id"].as_str().unwrap().is_empty());
        assert_eq!(v["tags"], json!(["string"]));
        let v = synth(
            json!({}),
            json!({"type": "array", "items": {"$ref": "#/components/schemas/Group"}}),
        );
        assert!(v[0]["id"].is_string());
        let v = synth(
            json!({}),
            json!({"type": "object", "properties": {"owner": {"$ref": "#/components/schemas/UserId"}}}),
        );
        assert!(v["owner"].is_string());
        // Free-form objects get an id; typed maps get an entry; closed objects stay empty.
        let v = synth(
            json!({}),
            json!({"type": "object", "properties": {"results": {"type": "array",
                "items": {"type": "object", "additionalProperties": true}}}}),
        );
        assert!(v["results"][0]["id"].is_string(), "{v}");
        let v = synth(
            json!({}),
            json!({"type": "object", "additionalProperties": {"type": "integer"}}),
        );
        assert_eq!(v, json!({"additionalProp1": 1}));
        let v = synth(
            json!({}),
            json!({"type": "object", "additionalProperties": false}),
        );
        assert_eq!(v, json!({}));
    }

    #[test]
    fn hostile_schemas_are_bounded() {
        let v = synth_unchecked(json!({"type": "array", "minItems": 1000, "items": {
            "type": "array", "minItems": 1000, "items": {"type": "array", "minItems": 1000, "items": {"type": "string"}}}}));
        assert!(
            v.as_array()
                .is_some_and(|a| !a.is_empty() && a.len() <= 1000)
        );
        let deep = json!({"$ref": "#/a"});
        let doc = json!({"a": {"type": "object", "required": ["a"], "properties": {"a": {"$ref": "#/a"}}}});
        let refs = OneDoc {
            url: Url::parse("file:///doc.json").unwrap(),
            root: &doc,
        };
        let base = refs.url.clone();
        let v = Synth::new(&refs, Direction::Response).value(&base, &deep);
        assert!(v.is_object());
    }

    fn synth_unchecked(schema: Value) -> Value {
        let doc = json!({});
        let refs = OneDoc {
            url: Url::parse("file:///doc.json").unwrap(),
            root: &doc,
        };
        let base = refs.url.clone();
        Synth::new(&refs, Direction::Response).value(&base, &schema)
    }

    #[test]
    fn nullable_and_exclusive_3_0() {
        assert_eq!(
            synth(
                json!({}),
                json!({"type": "string", "nullable": true, "enum": [null, "x"]})
            ),
            json!("x")
        );
        assert_eq!(
            synth(
                json!({}),
                json!({"type": "integer", "minimum": 5, "exclusiveMinimum": true})
            ),
            json!(6)
        );
    }
}
