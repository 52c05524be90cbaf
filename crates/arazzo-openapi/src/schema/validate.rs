//! Validating values against OpenAPI schemas with the `jsonschema` crate.
//!
//! OpenAPI schemas are not quite JSON Schema: 3.0 has `nullable` and boolean
//! `exclusiveMinimum`, Swagger 2.0 has `type: file` and `x-nullable`, references point anywhere
//! in any loaded document, and `readOnly`/`writeOnly` change what `required` means depending on
//! the direction. So a schema is first *bundled*: every schema it reaches through `$ref` is copied
//! into `$defs` (once, so recursive schemas stay finite), references are rewritten to point
//! there, and each schema object is translated to JSON Schema 2020-12. Annotations (`example`,
//! `description`, `discriminator`…) are dropped: they assert nothing, and a malformed one would
//! make the meta-schema check fail.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, OnceLock};

use arazzo_expr::JsonPointer;
use serde_json::{Map, Value, json};
use url::Url;

use super::Direction;
use super::depth::{self, InPlace, MAX_IN_PLACE_DEPTH, MAX_VALIDATION_LEVELS, MAX_VALUE_DEPTH};
use super::refs::Refs;

/// Most schemas one bundle may hold (each referenced schema counts once).
const MAX_DEFS: usize = 20_000;
/// Most levels of schema objects written inside one another (not through `$ref`) that are
/// bundled; a deeper schema is not validated against. Descriptions in the corpus nest at most
/// about 8; the bundler takes a few kilobytes of stack per level.
pub const MAX_INLINE_DEPTH: usize = 64;
/// Longest message kept per violation: messages quote the offending value, which may be large.
const MAX_MESSAGE: usize = 300;

/// A compiled schema.
pub struct SchemaValidator {
    inner: jsonschema::Validator,
    /// Its longest chain of in-place applicators (see [`super::depth`]).
    in_place: usize,
    /// For each `$defs` name of the bundle, where that schema is written, for
    /// [`SchemaError::schema_path`].
    places: HashMap<String, String>,
}

/// One place where a value departs from a schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaError {
    /// A JSON pointer to the offending value inside the validated value (`/pets/0/id`; empty:
    /// the value itself).
    pub instance_path: String,
    /// The keyword that failed, as a JSON pointer into the description:
    /// `#/components/schemas/Pet/properties/id/type` when it belongs to a schema reached by
    /// `$ref` (prefixed with the document's URL when that is not the validated schema's own
    /// document), else a pointer relative to the validated schema (`/properties/id/type`).
    /// Keywords the translation to JSON Schema 2020-12 renamed keep their new name (`items` of
    /// a tuple is `prefixItems`, a 3.0 `nullable` schema is an `anyOf`).
    pub schema_path: String,
    /// What is wrong, at most 300 bytes (messages quote the value).
    pub message: String,
}

impl std::fmt::Display for SchemaError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {} (schema {})",
            self.instance_path, self.message, self.schema_path
        )
    }
}

/// Why a schema is not validated against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unusable {
    /// Its chains of `$ref`/`allOf`/`anyOf`/`oneOf`/`not` are longer than
    /// [`MAX_IN_PLACE_DEPTH`], or endless: validating would exhaust the stack. Worth telling the
    /// user (the description is at fault, and the value went unchecked).
    TooDeep(String),
    /// The `jsonschema` crate rejects the translated schema. Nothing is checked, silently, as
    /// any other reading would report the validator's own limits as the value's faults.
    Invalid(String),
}

impl std::fmt::Display for Unusable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unusable::TooDeep(m) | Unusable::Invalid(m) => f.write_str(m),
        }
    }
}

impl std::fmt::Debug for SchemaValidator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SchemaValidator")
    }
}

/// Compiles the schema `schema` (living in the document at `base`). `Err` says why the schema
/// cannot be used; callers then skip validation rather than report false violations.
pub fn compile(
    refs: &dyn Refs,
    base: &Url,
    schema: &Value,
    dir: Direction,
    lenient: bool,
) -> Result<SchemaValidator, Unusable> {
    super::with_stack(|| compile_here(refs, base, schema, dir, lenient))
}

fn compile_here(
    refs: &dyn Refs,
    base: &Url,
    schema: &Value,
    dir: Direction,
    lenient: bool,
) -> Result<SchemaValidator, Unusable> {
    let (bundled, keys, cut) = bundle(refs, base, schema, dir, lenient);
    // Where a `$defs` entry comes from, for the message.
    let place = |name: Option<&str>| {
        let key = name.and_then(|n| keys.get(n));
        match key {
            Some(key) => match refs.locate(key) {
                Some(at) => format!("the schema at {at}"),
                None => format!("the schema `{key}`"),
            },
            None => "the schema".to_string(),
        }
    };
    if let Some(at) = cut {
        return Err(Unusable::TooDeep(format!(
            "{} nests schemas more than {MAX_INLINE_DEPTH} levels deep",
            place(at.as_deref())
        )));
    }
    let in_place = match depth::in_place_depth(&bundled) {
        InPlace::Levels(n, _) if n <= MAX_IN_PLACE_DEPTH => n,
        InPlace::Levels(n, at) => {
            return Err(Unusable::TooDeep(format!(
                "{} chains $ref/allOf/anyOf/oneOf/not {n} levels deep, more than the {MAX_IN_PLACE_DEPTH} that are validated against",
                place(at.as_deref())
            )));
        }
        InPlace::Endless(at) => {
            return Err(Unusable::TooDeep(format!(
                "{} refers back to itself through $ref/allOf/anyOf/oneOf/not without descending into the value, so no validation of it would end",
                place(Some(&at))
            )));
        }
    };
    let mut own = base.clone();
    own.set_fragment(None);
    let places = keys
        .iter()
        .map(|(name, key)| {
            let shown = match key.split_once('#') {
                Some((doc, fragment)) if doc == own.as_str() => format!("#{fragment}"),
                _ => key.clone(),
            };
            (name.clone(), shown)
        })
        .collect();
    build(&bundled)
        .map(|inner| SchemaValidator {
            inner,
            in_place,
            places,
        })
        .map_err(Unusable::Invalid)
}

fn build(schema: &Value) -> Result<jsonschema::Validator, String> {
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .should_ignore_unknown_formats(true)
        .with_pattern_options(jsonschema::PatternOptions::fancy_regex().backtrack_limit(100_000))
        .build(schema)
        .map_err(|e| e.to_string())
}

impl SchemaValidator {
    /// `Err` when validating `instance` could enter more than [`MAX_VALIDATION_LEVELS`] schema
    /// levels (see [`super::depth`]), saying so.
    fn within_budget(&self, instance: &Value) -> Result<(), String> {
        let d = depth::value_depth(instance, MAX_VALUE_DEPTH);
        let levels = (d + 1).saturating_mul(self.in_place + 1);
        if d > MAX_VALUE_DEPTH || levels > MAX_VALIDATION_LEVELS {
            let shown = if d > MAX_VALUE_DEPTH {
                format!("more than {MAX_VALUE_DEPTH}")
            } else {
                d.to_string()
            };
            return Err(format!(
                "the value nests {shown} levels deep, too deep to validate against a schema whose $ref/allOf chains are {} levels deep (at most {MAX_VALIDATION_LEVELS} levels in all)",
                self.in_place
            ));
        }
        Ok(())
    }

    /// Whether `instance` is valid. A value too deep to validate safely is not taken as valid.
    pub fn is_valid(&self, instance: &Value) -> bool {
        self.within_budget(instance).is_ok() && super::with_stack(|| self.inner.is_valid(instance))
    }

    /// Every departure of `instance` from the schema, at most `limit` of them. `Err` says why
    /// the value was not validated (it nests too deeply).
    pub fn errors(&self, instance: &Value, limit: usize) -> Result<Vec<SchemaError>, String> {
        self.within_budget(instance)?;
        Ok(super::with_stack(|| {
            self.inner
                .iter_errors(instance)
                .take(limit)
                .map(|e| SchemaError {
                    instance_path: e.instance_path().as_str().to_string(),
                    schema_path: self.schema_place(e.schema_path().as_str()),
                    message: cut_text(e.to_string(), MAX_MESSAGE),
                })
                .collect()
        }))
    }

    /// A keyword's location in the bundle, as a location in the description.
    fn schema_place(&self, bundled: &str) -> String {
        let Some(rest) = bundled.strip_prefix("/$defs/") else {
            return bundled.to_string();
        };
        let (name, tail) = match rest.find('/') {
            Some(i) => rest.split_at(i),
            None => (rest, ""),
        };
        match self.places.get(name) {
            Some(place) => format!("{place}{tail}"),
            // The root schema, or a name the bundle did not make.
            None if name == "root" => tail.to_string(),
            None => bundled.to_string(),
        }
    }
}

/// `text` cut to at most `max` bytes (on a character boundary), with `…` when cut.
pub fn cut_text(mut text: String, max: usize) -> String {
    if text.len() > max {
        let mut at = max;
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        text.truncate(at);
        text.push('…');
    }
    text
}

/// Turns a JSON pointer into the instance into a JSONPath-like location: `$.body.pets[0].id`.
pub fn json_path(prefix: &str, instance: &Value, pointer: &str) -> String {
    let mut out = prefix.to_string();
    let mut at = Some(instance);
    // Instance paths come from the validator, always well formed; a malformed one names nothing.
    let pointer = JsonPointer::parse(pointer).unwrap_or_default();
    for token in pointer.tokens() {
        let token = token.as_str();
        match at {
            Some(Value::Array(items)) => {
                out.push_str(&format!("[{token}]"));
                at = token.parse::<usize>().ok().and_then(|i| items.get(i));
            }
            other => {
                push_key(&mut out, token);
                at = other.and_then(|v| v.get(token));
            }
        }
    }
    out
}

/// Appends `.key`, or `['key']` when the key is not a plain name.
pub fn push_key(out: &mut String, key: &str) {
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '$');
    if plain {
        out.push('.');
        out.push_str(key);
    } else {
        out.push_str("['");
        out.push_str(&key.replace('\\', "\\\\").replace('\'', "\\'"));
        out.push_str("']");
    }
}

/// Whether the `jsonschema` crate accepts `pattern` (it rejects some ECMAScript it cannot run).
fn pattern_ok(pattern: &str) -> bool {
    static CACHE: OnceLock<Mutex<HashMap<String, bool>>> = OnceLock::new();
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    if let Ok(m) = cache.lock()
        && let Some(ok) = m.get(pattern)
    {
        return *ok;
    }
    let ok = build(&json!({"pattern": pattern})).is_ok();
    if let Ok(mut m) = cache.lock() {
        if m.len() > 20_000 {
            m.clear();
        }
        m.insert(pattern.to_string(), ok);
    }
    ok
}

/// The self-contained JSON Schema 2020-12 equivalent of an OpenAPI schema. `lenient` reads
/// `oneOf` as `anyOf`: descriptions often list overlapping alternatives (two object schemas
/// with only optional properties), which no value can satisfy exactly once, and a mock that
/// rejected every request to such an operation would report the description's flaw as the
/// workflow's.
///
/// Also returns, for each `$defs` name, the absolute reference it was made from, and whether
/// (and in which `$defs` entry, `None` for the root) schemas nested more than
/// [`MAX_INLINE_DEPTH`] levels were cut off.
#[allow(clippy::type_complexity)]
fn bundle(
    refs: &dyn Refs,
    base: &Url,
    schema: &Value,
    dir: Direction,
    lenient: bool,
) -> (Value, HashMap<String, String>, Option<Option<String>>) {
    let mut b = Bundler {
        refs,
        dir,
        lenient,
        names: HashMap::new(),
        queue: VecDeque::new(),
        open: Vec::new(),
        current: None,
        cut: None,
    };
    let root = b.rewrite(base, schema, 0);
    let mut defs = Map::new();
    while let Some((name, url, value)) = b.queue.pop_front() {
        b.current = Some(name.clone());
        let r = b.rewrite(url, value, 0);
        defs.insert(name, r);
    }
    let cut = b.cut.take();
    // Lenient: schemas used as `allOf` parts do not close the object they are part of.
    let mut pending = std::mem::take(&mut b.open);
    let mut done = std::collections::HashSet::new();
    while let Some(name) = pending.pop() {
        if !done.insert(name.clone()) {
            continue;
        }
        if let Some(Value::Object(def)) = defs.get_mut(&name) {
            open_up(def);
            if let Some(Value::String(r)) = def.get("$ref")
                && let Some(next) = r.strip_prefix("#/$defs/")
            {
                pending.push(next.to_string());
            }
        }
    }
    let keys = b.names.into_iter().map(|(key, name)| (name, key)).collect();
    if defs.is_empty() {
        return (root, keys, cut);
    }
    defs.insert("root".to_string(), root);
    (json!({"$defs": defs, "$ref": "#/$defs/root"}), keys, cut)
}

struct Bundler<'r> {
    refs: &'r dyn Refs,
    dir: Direction,
    lenient: bool,
    /// Absolute reference → name in `$defs`.
    names: HashMap<String, String>,
    queue: VecDeque<(String, &'r Url, &'r Value)>,
    /// `$defs` names used as `allOf` parts (lenient mode opens them up).
    open: Vec<String>,
    /// The `$defs` entry being rewritten (`None`: the root schema).
    current: Option<String>,
    /// Where nesting first went past [`MAX_INLINE_DEPTH`].
    cut: Option<Option<String>>,
}

const SCHEMA_MAPS: &[&str] = &["properties", "patternProperties", "dependentSchemas"];
const SCHEMA_ONE: &[&str] = &[
    "additionalProperties",
    "not",
    "if",
    "then",
    "else",
    "contains",
    "propertyNames",
    "unevaluatedProperties",
    "unevaluatedItems",
];
const SCHEMA_LISTS: &[&str] = &["allOf", "anyOf", "oneOf", "prefixItems"];
const COUNTS: &[&str] = &[
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "minProperties",
    "maxProperties",
    "minContains",
    "maxContains",
];

impl<'r> Bundler<'r> {
    fn rewrite(&mut self, base: &'r Url, schema: &'r Value, depth: usize) -> Value {
        if depth > MAX_INLINE_DEPTH {
            self.cut.get_or_insert_with(|| self.current.clone());
            return Value::Bool(true);
        }
        let m = match schema {
            Value::Bool(b) => return Value::Bool(*b),
            Value::Object(m) => m,
            // Not a schema: it constrains nothing.
            _ => return Value::Bool(true),
        };
        let mut out = Map::new();
        for (k, v) in m {
            let k = k.as_str();
            if k == "$ref" {
                if let Value::String(r) = v
                    && let Some(name) = self.def_name(base, r)
                {
                    out.insert("$ref".into(), Value::String(format!("#/$defs/{name}")));
                }
            } else if SCHEMA_MAPS.contains(&k) {
                if let Value::Object(props) = v {
                    let mapped: Map<String, Value> = props
                        .iter()
                        .filter(|(name, _)| k != "patternProperties" || pattern_ok(name))
                        .map(|(name, s)| (name.clone(), self.rewrite(base, s, depth + 1)))
                        .collect();
                    out.insert(k.into(), Value::Object(mapped));
                }
            } else if SCHEMA_ONE.contains(&k) {
                if v.is_object() || v.is_boolean() {
                    out.insert(k.into(), self.rewrite(base, v, depth + 1));
                }
            } else if SCHEMA_LISTS.contains(&k) {
                if let Value::Array(list) = v {
                    // Alternatives that are references to nothing (a dangling `$ref`) cannot be
                    // told apart; drop them rather than make the whole choice unsatisfiable.
                    let alternatives = matches!(k, "oneOf" | "anyOf");
                    let kept: Vec<&'r Value> = list
                        .iter()
                        .filter(|s| !alternatives || !self.dangling(base, s))
                        .collect();
                    let mapped: Vec<Value> = kept
                        .into_iter()
                        .map(|s| self.rewrite(base, s, depth + 1))
                        .collect();
                    if !mapped.is_empty() {
                        let k = if k == "oneOf" && self.lenient {
                            "anyOf"
                        } else {
                            k
                        };
                        if k == "allOf" {
                            let mut mapped = mapped;
                            if self.lenient {
                                for part in &mut mapped {
                                    if let Value::Object(p) = part {
                                        open_up(p);
                                        if let Some(Value::String(r)) = p.get("$ref")
                                            && let Some(name) = r.strip_prefix("#/$defs/")
                                        {
                                            self.open.push(name.to_string());
                                        }
                                    }
                                }
                            }
                            append_all(&mut out, mapped);
                        } else if let Some(prev) = out.remove(k) {
                            // `anyOf` from both `oneOf` and `anyOf`: both must hold.
                            append_all(&mut out, vec![json!({k: prev}), json!({k: mapped})]);
                        } else {
                            out.insert(k.into(), Value::Array(mapped));
                        }
                    }
                }
            } else {
                match k {
                    "items" => match v {
                        Value::Array(tuple) => {
                            let mapped = tuple
                                .iter()
                                .map(|s| self.rewrite(base, s, depth + 1))
                                .collect();
                            out.insert("prefixItems".into(), Value::Array(mapped));
                            if let Some(add) = m
                                .get("additionalItems")
                                .filter(|a| a.is_object() || a.is_boolean())
                            {
                                out.insert("items".into(), self.rewrite(base, add, depth + 1));
                            }
                        }
                        Value::Object(_) | Value::Bool(_) => {
                            out.insert("items".into(), self.rewrite(base, v, depth + 1));
                        }
                        _ => {}
                    },
                    "type" => {
                        let list: Vec<&str> = match v {
                            Value::String(s) => vec![s.as_str()],
                            Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
                            _ => Vec::new(),
                        };
                        let mut known: Vec<Value> = Vec::new();
                        for t in list {
                            let t = if t == "file" { "string" } else { t };
                            if matches!(
                                t,
                                "string"
                                    | "number"
                                    | "integer"
                                    | "boolean"
                                    | "array"
                                    | "object"
                                    | "null"
                            ) && !known.iter().any(|x| x == t)
                            {
                                known.push(Value::String(t.into()));
                            }
                        }
                        match known.len() {
                            0 => {}
                            1 => {
                                out.insert("type".into(), known.remove(0));
                            }
                            _ => {
                                out.insert("type".into(), Value::Array(known));
                            }
                        }
                    }
                    "enum" => {
                        if let Value::Array(a) = v
                            && !a.is_empty()
                        {
                            out.insert(k.into(), v.clone());
                        }
                    }
                    "const" => {
                        out.insert(k.into(), v.clone());
                    }
                    "required" => {
                        if let Value::Array(a) = v {
                            let mut names: Vec<Value> = Vec::new();
                            for n in a.iter().filter_map(Value::as_str) {
                                if !names.iter().any(|x| x == n) && !self.excluded(base, m, n) {
                                    names.push(Value::String(n.into()));
                                }
                            }
                            out.insert(k.into(), Value::Array(names));
                        }
                    }
                    "pattern" => {
                        if let Value::String(p) = v
                            && pattern_ok(p)
                        {
                            out.insert(k.into(), v.clone());
                        }
                    }
                    "format" if v.is_string() => {
                        out.insert(k.into(), v.clone());
                    }
                    "uniqueItems" if v.is_boolean() => {
                        out.insert(k.into(), v.clone());
                    }
                    "minimum" | "maximum" if v.is_number() => {
                        let excl = if k == "minimum" {
                            "exclusiveMinimum"
                        } else {
                            "exclusiveMaximum"
                        };
                        if m.get(excl) == Some(&Value::Bool(true)) {
                            out.insert(excl.into(), v.clone());
                        } else {
                            out.insert(k.into(), v.clone());
                        }
                    }
                    "exclusiveMinimum" | "exclusiveMaximum" if v.is_number() => {
                        out.insert(k.into(), v.clone());
                    }
                    "multipleOf" if v.as_f64().is_some_and(|x| x > 0.0) => {
                        out.insert(k.into(), v.clone());
                    }
                    "dependentRequired" => {
                        if let Value::Object(d) = v
                            && d.values().all(|l| {
                                l.as_array().is_some_and(|a| a.iter().all(Value::is_string))
                            })
                        {
                            out.insert(k.into(), v.clone());
                        }
                    }
                    _ if COUNTS.contains(&k) => {
                        if let Some(n) = v.as_f64().filter(|n| *n >= 0.0 && n.fract() == 0.0) {
                            out.insert(k.into(), json!(n as u64));
                        }
                    }
                    // Annotations, identifiers and vendor extensions assert nothing here.
                    _ => {}
                }
            }
        }
        if self.lenient {
            // A `$ref` counts even when it resolved to nothing and was dropped.
            if m.contains_key("$ref") {
                open_up(&mut out);
            }
            lenient_fixes(&mut out);
        }
        let nullable = m.get("nullable") == Some(&Value::Bool(true))
            || m.get("x-nullable") == Some(&Value::Bool(true));
        if nullable {
            return allow_null(out);
        }
        Value::Object(out)
    }

    /// Whether a required property does not apply in this direction (`readOnly` in a request,
    /// `writeOnly` in a response).
    fn excluded(&self, base: &Url, m: &Map<String, Value>, name: &str) -> bool {
        let key = match self.dir {
            Direction::Response => "writeOnly",
            Direction::Request => "readOnly",
        };
        let Some(prop) = m.get("properties").and_then(|p| p.get(name)) else {
            return false;
        };
        let (_, resolved) = super::refs::resolve(self.refs, base, prop);
        prop.get(key) == Some(&Value::Bool(true)) || resolved.get(key) == Some(&Value::Bool(true))
    }

    /// Whether `schema` is only a `$ref` that resolves to nothing.
    fn dangling(&self, base: &Url, schema: &Value) -> bool {
        match super::refs::ref_of(schema) {
            Some(r) => {
                schema.as_object().is_some_and(|m| m.len() == 1)
                    && self.refs.lookup(base, r).is_none()
            }
            None => false,
        }
    }

    fn def_name(&mut self, base: &Url, reference: &str) -> Option<String> {
        let target = self.refs.lookup(base, reference)?;
        if let Some(n) = self.names.get(&target.key) {
            return Some(n.clone());
        }
        if self.names.len() >= MAX_DEFS {
            return None;
        }
        let name = format!("s{}", self.names.len());
        self.names.insert(target.key, name.clone());
        self.queue
            .push_back((name.clone(), target.url, target.value));
        Some(name)
    }
}

/// Removes `additionalProperties: false` (lenient mode, for `allOf` parts: JSON Schema applies
/// it to each part alone, so `allOf: [closed A, B]` rejects B's properties, which is never what
/// the author meant).
fn open_up(m: &mut Map<String, Value>) {
    if m.get("additionalProperties") == Some(&Value::Bool(false)) {
        m.remove("additionalProperties");
    }
}

/// Common authoring mistakes read the way the author meant them (lenient mode only):
/// `additionalProperties: false` beside `allOf`/`oneOf`/`anyOf`/`$ref` (it would reject every
/// property the alternatives or the referenced schema declare; OpenAPI 3.0 ignores `$ref`
/// siblings anyway) is dropped, and an `enum` of scalars on an array schema constrains
/// its items.
fn lenient_fixes(out: &mut Map<String, Value>) {
    if ["allOf", "anyOf", "oneOf", "$ref"]
        .iter()
        .any(|k| out.contains_key(*k))
    {
        open_up(out);
    }
    let is_array = match out.get("type") {
        Some(Value::String(t)) => t == "array",
        Some(Value::Array(a)) => a.iter().any(|t| t == "array"),
        _ => false,
    };
    let scalar_enum = out
        .get("enum")
        .and_then(Value::as_array)
        .is_some_and(|e| e.iter().all(|v| !v.is_array()));
    if is_array
        && scalar_enum
        && let Some(e) = out.remove("enum")
    {
        match out.get_mut("items") {
            Some(Value::Object(items)) => {
                items.entry("enum").or_insert(e);
            }
            Some(_) => {}
            None => {
                out.insert("items".into(), json!({"enum": e}));
            }
        }
    }
}

/// Adds schemas to `allOf`.
fn append_all(out: &mut Map<String, Value>, more: Vec<Value>) {
    let mut all = match out.remove("allOf") {
        Some(Value::Array(a)) => a,
        _ => Vec::new(),
    };
    all.extend(more);
    out.insert("allOf".into(), Value::Array(all));
}

/// OpenAPI 3.0 `nullable: true`: the schema, or `null`.
fn allow_null(mut out: Map<String, Value>) -> Value {
    let composite = ["$ref", "allOf", "anyOf", "oneOf", "not", "const"]
        .iter()
        .any(|k| out.contains_key(*k));
    if composite {
        return json!({"anyOf": [{"type": "null"}, Value::Object(out)]});
    }
    match out.get_mut("type") {
        Some(Value::String(t)) => {
            let t = std::mem::take(t);
            if t != "null" {
                out.insert("type".into(), json!([t, "null"]));
            }
        }
        Some(Value::Array(list)) if !list.iter().any(|t| t == "null") => {
            list.push(json!("null"));
        }
        _ => {}
    }
    if let Some(Value::Array(e)) = out.get_mut("enum")
        && !e.iter().any(Value::is_null)
    {
        e.push(Value::Null);
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::super::refs::OneDoc;
    use super::*;

    fn errors(doc: Value, schema: Value, dir: Direction, v: Value) -> Vec<String> {
        let refs = OneDoc {
            url: Url::parse("file:///d.json").unwrap(),
            root: &doc,
        };
        let base = refs.url.clone();
        let c = compile(&refs, &base, &schema, dir, false).unwrap();
        c.errors(&v, 10)
            .unwrap()
            .into_iter()
            .map(|e| json_path("$.body", &v, &e.instance_path))
            .collect()
    }

    #[test]
    fn openapi_3_0_dialect() {
        let s = json!({"type": "object", "required": ["a"], "properties": {
            "a": {"type": "integer", "minimum": 0, "exclusiveMinimum": true, "nullable": true, "example": "x"},
            "b": {"$ref": "#/components/schemas/B"}}});
        let doc = json!({"components": {"schemas": {"B": {"type": "array", "items": {"$ref": "#/components/schemas/B"}}}}});
        assert!(
            errors(
                doc.clone(),
                s.clone(),
                Direction::Request,
                json!({"a": null, "b": [[]]})
            )
            .is_empty()
        );
        assert_eq!(
            errors(doc.clone(), s.clone(), Direction::Request, json!({"a": 0})),
            vec!["$.body.a"]
        );
        assert_eq!(
            errors(doc, s, Direction::Request, json!({"a": 1, "b": [1]})),
            vec!["$.body.b[0]"]
        );
    }

    #[test]
    fn read_and_write_only() {
        let s = json!({"type": "object", "required": ["id", "password"], "properties": {
            "id": {"type": "string", "readOnly": true}, "password": {"type": "string", "writeOnly": true}}});
        assert!(
            errors(
                json!({}),
                s.clone(),
                Direction::Request,
                json!({"password": "x"})
            )
            .is_empty()
        );
        assert!(errors(json!({}), s, Direction::Response, json!({"id": "x"})).is_empty());
    }

    #[test]
    fn schema_paths_point_into_the_description() {
        let doc = json!({"components": {"schemas": {"Pet": {"type": "object", "properties": {"id": {"type": "integer"}}}}}});
        let refs = OneDoc {
            url: Url::parse("file:///d.json").unwrap(),
            root: &doc,
        };
        let schema = json!({"type": "array", "items": {"$ref": "#/components/schemas/Pet"}});
        let c = compile(&refs, &refs.url, &schema, Direction::Response, true).unwrap();
        let e = c.errors(&json!([{"id": "x"}]), 10).unwrap();
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].instance_path, "/0/id");
        assert_eq!(
            e[0].schema_path,
            "#/components/schemas/Pet/properties/id/type"
        );
        let e = c.errors(&json!({}), 10).unwrap();
        assert_eq!(e[0].schema_path, "/type");
        let long = json!([{"id": "x".repeat(1000)}]);
        assert!(c.errors(&long, 10).unwrap()[0].message.len() <= 300 + '…'.len_utf8());
    }

    #[test]
    fn paths() {
        assert_eq!(
            json_path("$.body", &json!({"a b": [1]}), "/a b/0"),
            "$.body['a b'][0]"
        );
        assert_eq!(json_path("$.query", &json!(1), ""), "$.query");
    }
}
