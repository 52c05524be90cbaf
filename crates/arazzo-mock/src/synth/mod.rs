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

mod compound;
mod flatten;
mod generate;
mod scalars;
#[cfg(test)]
mod tests;

use serde_json::{Map, Value};
use url::Url;

use crate::refs::Refs;
use scalars::string;

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
/// Bytes of string that count as one value against [`NODE_BUDGET`] and [`HARD_LIMIT`]: with
/// them, a synthesized value holds at most about 6 MiB of text.
const TEXT_PER_NODE: usize = 64;
/// `oneOf`/`anyOf` branches tried before settling for the first.
const MAX_BRANCHES: usize = 6;

/// Which side of an exchange a value is for (shared with the validator).
pub use arazzo_openapi::schema::Direction;

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
        // Long strings count as many values (one per 64 bytes), so that the budgets bound the
        // size of what is written too: `minItems: 1000` of `minLength: 100000` strings would
        // otherwise be 100 MB.
        if let Value::String(text) = &v {
            self.nodes += text.len() / TEXT_PER_NODE;
        }
        let keep = self.stack.len().saturating_sub(pushed);
        self.stack.truncate(keep);
        v
    }
}

/// Whether two values have the same JSON type (integers and other numbers alike).
fn same_kind(a: &Value, b: &Value) -> bool {
    std::mem::discriminant(a) == std::mem::discriminant(b)
}
