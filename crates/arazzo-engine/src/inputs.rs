//! Workflow inputs: validation against the workflow's JSON Schema, defaults,
//! and which inputs are secrets.
//!
//! The schema may `$ref` into `components.inputs` of its document; the
//! validator sees a root that holds both the schema and the document's
//! `components`, so those references resolve without any I/O.

use std::sync::Arc;

use serde_json::{Map, Value, json};

/// One input a workflow declares (for listings and `--input` typing).
#[derive(Debug, Clone, PartialEq)]
pub struct InputInfo {
    /// The property name.
    pub name: String,
    /// Whether the schema requires it.
    pub required: bool,
    /// `description`.
    pub description: Option<String>,
    /// `type` (the first one, when several are allowed).
    pub ty: Option<String>,
    /// `default`.
    pub default: Option<Value>,
    /// `format: password` or `writeOnly: true`.
    pub secret: bool,
}

/// One problem with the inputs given to a workflow.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct InputError {
    /// JSON pointer of the offending value (`""` for the inputs object itself).
    pub path: String,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for InputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

/// A workflow's compiled input schema.
#[derive(Debug, Clone, Default)]
pub struct InputsPlan {
    /// The schema as written.
    pub schema: Option<Value>,
    /// The schema with a top-level `$ref` resolved (where properties, defaults and types are read).
    pub resolved: Option<Value>,
    validator: Option<Arc<jsonschema::Validator>>,
    /// Why the schema could not be compiled, if it could not.
    pub problem: Option<String>,
}

impl InputsPlan {
    /// Compiles a workflow's `inputs` schema; `components` is its document's `components` object.
    pub fn compile(schema: Option<&Value>, components: Option<&Value>) -> InputsPlan {
        let Some(schema) = schema else {
            return InputsPlan::default();
        };
        let mut root = match schema {
            Value::Object(m) => m.clone(),
            Value::Bool(b) => {
                let mut m = Map::new();
                if !*b {
                    m.insert("not".into(), json!({}));
                }
                m
            }
            _ => Map::new(),
        };
        // The document's `components.inputs` become `$defs` of the root, so
        // the validator finds `$ref: '#/components/inputs/x'` targets and the
        // plain-name `$anchor`s inside them (an unknown keyword such as
        // `components` would hide anchors from it).
        if let Some(inputs) = components
            .and_then(|c| c.get("inputs"))
            .and_then(Value::as_object)
        {
            let defs = root
                .entry("$defs")
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(defs) = defs {
                for (name, schema) in inputs {
                    let mut schema = schema.clone();
                    rewrite_refs(&mut schema);
                    defs.insert(format!("{INPUT_DEF_PREFIX}{name}"), schema);
                }
            }
        }
        for (k, v) in root.iter_mut() {
            if k != "$defs" {
                rewrite_refs(v);
            }
        }
        if let Some(Value::String(r)) = root.get_mut("$ref") {
            *r = rewrite_ref(r);
        }
        // Arazzo uses JSON Schema 2020-12.
        root.entry("$schema")
            .or_insert_with(|| json!("https://json-schema.org/draft/2020-12/schema"));
        let root = Value::Object(root);
        let resolved = resolve_root(schema, components);
        match jsonschema::options()
            .should_validate_formats(false)
            .build(&root)
        {
            Ok(v) => InputsPlan {
                schema: Some(schema.clone()),
                resolved: Some(resolved),
                validator: Some(Arc::new(v)),
                problem: None,
            },
            Err(e) => InputsPlan {
                schema: Some(schema.clone()),
                resolved: Some(resolved),
                validator: None,
                problem: Some(e.to_string()),
            },
        }
    }

    /// The declared inputs, in schema order.
    pub fn properties(&self) -> Vec<InputInfo> {
        let Some(s) = &self.resolved else {
            return Vec::new();
        };
        let required: Vec<&str> = s
            .get("required")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        s.get("properties")
            .and_then(Value::as_object)
            .map(|props| {
                props
                    .iter()
                    .map(|(name, p)| InputInfo {
                        name: name.clone(),
                        required: required.contains(&name.as_str()),
                        description: p
                            .get("description")
                            .and_then(Value::as_str)
                            .map(str::to_string),
                        ty: match p.get("type") {
                            Some(Value::String(t)) => Some(t.clone()),
                            Some(Value::Array(ts)) => ts
                                .iter()
                                .filter_map(Value::as_str)
                                .find(|t| *t != "null")
                                .map(str::to_string),
                            _ => None,
                        },
                        default: p.get("default").cloned(),
                        secret: p.get("format").and_then(Value::as_str) == Some("password")
                            || p.get("writeOnly").and_then(Value::as_bool) == Some(true),
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Names of required inputs that `given` lacks (and that have no default).
    pub fn missing(&self, given: &Map<String, Value>) -> Vec<InputInfo> {
        self.properties()
            .into_iter()
            .filter(|p| p.required && p.default.is_none() && !given.contains_key(&p.name))
            .collect()
    }

    /// The values in `inputs` that are secrets: those of the properties with
    /// `format: password` or `writeOnly: true` (see [`InputInfo::secret`]).
    pub fn secret_values<'a>(&self, inputs: &'a Map<String, Value>) -> Vec<&'a Value> {
        self.properties()
            .into_iter()
            .filter(|p| p.secret)
            .filter_map(|p| inputs.get(&p.name))
            .collect()
    }

    /// Applies defaults and validates. Returns the inputs the workflow sees.
    ///
    /// A problem with a secret input (or with the inputs object as a whole,
    /// when it holds one) never quotes the value: its message says
    /// `****` where the validator would show the value.
    pub fn prepare(
        &self,
        given: &Map<String, Value>,
    ) -> Result<Map<String, Value>, Vec<InputError>> {
        let mut inputs = given.clone();
        for p in self.properties() {
            if let Some(d) = p.default
                && !inputs.contains_key(&p.name)
            {
                inputs.insert(p.name, d);
            }
        }
        let Some(validator) = &self.validator else {
            return Ok(inputs);
        };
        let secret: Vec<String> = self
            .properties()
            .into_iter()
            .filter(|p| p.secret && inputs.contains_key(&p.name))
            .map(|p| p.name)
            .collect();
        let instance = Value::Object(inputs);
        let mut errors: Vec<InputError> = validator
            .iter_errors(&instance)
            .map(|e| {
                let path = e.instance_path().to_string();
                let message = if holds_secret(&path, &secret) {
                    e.masked_with(crate::secrets::MASK).to_string()
                } else {
                    e.to_string()
                };
                InputError { path, message }
            })
            .collect();
        if errors.is_empty() {
            let Value::Object(inputs) = instance else {
                return Ok(Map::new());
            };
            Ok(inputs)
        } else {
            errors.sort_by(|a, b| a.path.cmp(&b.path));
            Err(errors)
        }
    }
}

/// Whether the value at JSON pointer `path` of the inputs holds one of the
/// `secret` inputs: it is the inputs object itself, or lies inside one.
fn holds_secret(path: &str, secret: &[String]) -> bool {
    if secret.is_empty() {
        return false;
    }
    let Some(rest) = path.strip_prefix('/') else {
        return true;
    };
    let first = rest.split('/').next().unwrap_or_default();
    secret
        .iter()
        .any(|name| arazzo_expr::escape_token(name) == first)
}

/// Where `components.inputs.<name>` lives in the validator's root schema.
const INPUT_DEF_PREFIX: &str = "arazzo-components-inputs-";

/// `#/components/inputs/x/…` → `#/$defs/arazzo-components-inputs-x/…`.
fn rewrite_ref(r: &str) -> String {
    match r.strip_prefix("#/components/inputs/") {
        Some(rest) => format!("#/$defs/{INPUT_DEF_PREFIX}{rest}"),
        None => r.to_string(),
    }
}

fn rewrite_refs(v: &mut Value) {
    match v {
        Value::Object(m) => {
            for (k, x) in m.iter_mut() {
                if k == "$ref"
                    && let Value::String(r) = x
                {
                    *r = rewrite_ref(r);
                } else {
                    rewrite_refs(x);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(rewrite_refs),
        _ => {}
    }
}

/// Follows a top-level `$ref: '#/components/inputs/x'` (repeatedly) so that
/// properties and defaults can be read.
fn resolve_root(schema: &Value, components: Option<&Value>) -> Value {
    let mut s = schema.clone();
    for _ in 0..16 {
        let Some(r) = s.get("$ref").and_then(Value::as_str) else {
            break;
        };
        let target = if let Some(ptr) = r.strip_prefix("#/components/") {
            components.and_then(|c| c.pointer(&format!("/{ptr}")))
        } else if let Some(anchor) = r
            .strip_prefix('#')
            .filter(|a| !a.is_empty() && !a.starts_with('/'))
        {
            // A plain-name fragment names an `$anchor` (Arazzo 1.1).
            components
                .and_then(|c| c.get("inputs"))
                .and_then(Value::as_object)
                .and_then(|m| {
                    m.values()
                        .find(|v| v.get("$anchor").and_then(Value::as_str) == Some(anchor))
                })
        } else {
            break;
        };
        match target {
            Some(t) => {
                // Sibling keywords next to `$ref` stay (2020-12 semantics).
                let mut merged = t.clone();
                if let (Value::Object(m), Value::Object(orig)) = (&mut merged, &s) {
                    for (k, v) in orig {
                        if k != "$ref" {
                            m.entry(k.clone()).or_insert_with(|| v.clone());
                        }
                    }
                }
                s = merged;
            }
            None => break,
        }
    }
    s
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn defaults_required_and_refs() {
        let components = json!({"inputs": {"pet": {"type": "object", "required": ["id"], "properties": {
            "id": {"type": "integer", "minimum": 1},
            "mood": {"type": "string", "default": "happy"},
            "secret": {"type": "string", "format": "password"}
        }}}});
        let plan = InputsPlan::compile(
            Some(&json!({"$ref": "#/components/inputs/pet"})),
            Some(&components),
        );
        assert!(plan.problem.is_none(), "{:?}", plan.problem);
        let props = plan.properties();
        assert_eq!(props.len(), 3);
        assert!(props[0].required);
        assert!(props[2].secret);
        let ok = plan.prepare(json!({"id": 3}).as_object().unwrap()).unwrap();
        assert_eq!(ok["mood"], "happy");
        let err = plan
            .prepare(json!({"id": 0}).as_object().unwrap())
            .unwrap_err();
        assert_eq!(err[0].path, "/id");
        let err = plan.prepare(&Map::new()).unwrap_err();
        assert!(err[0].message.contains("id"), "{err:?}");
        assert_eq!(plan.missing(&Map::new()).len(), 1);
    }

    /// A secret input's value is never quoted in a validation error: the old
    /// messages echoed it (`"hunter2-x" is shorter than 12 characters`).
    #[test]
    fn errors_about_secret_inputs_do_not_quote_them() {
        let schema = json!({"type": "object", "additionalProperties": false, "properties": {
            "pw": {"type": "string", "format": "password", "minLength": 12},
            "wo": {"type": "string", "writeOnly": true, "pattern": "^x+$"},
            "n/m": {"type": "object", "writeOnly": true, "properties": {"a": {"type": "integer"}}},
            "id": {"type": "integer"}
        }});
        let plan = InputsPlan::compile(Some(&schema), None);
        let given = json!({"pw": "hunter2-x", "wo": "s3cr3t-wo", "n/m": {"a": "deep-s3cret"},
            "id": "not-a-number", "extra": 1});
        let errors = plan.prepare(given.as_object().unwrap()).unwrap_err();
        let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
        let text = text.join("\n");
        for secret in ["hunter2-x", "s3cr3t-wo", "deep-s3cret"] {
            assert!(!text.contains(secret), "{text}");
        }
        assert!(text.contains("/pw: "), "{text}");
        assert!(text.contains("/n~1m/a: "), "{text}");
        assert!(text.contains("\"not-a-number\""), "{text}");
        let secrets = plan.secret_values(given.as_object().unwrap());
        assert_eq!(secrets.len(), 3);
    }

    #[test]
    fn no_schema_accepts_anything() {
        let plan = InputsPlan::compile(None, None);
        let given = json!({"x": 1});
        assert_eq!(plan.prepare(given.as_object().unwrap()).unwrap()["x"], 1);
    }
}

/// Types a value given as text on a command line by the input's schema
/// type: a `string` input keeps the raw text (so `{"a":1}` stays a string);
/// other types parse as JSON, falling back to the text when it is not JSON
/// (schema validation then reports the mismatch); inputs the schema does not
/// declare parse as JSON when they can.
pub fn coerce_text(raw: &str, ty: Option<&str>) -> Value {
    match ty {
        Some("string") => Value::String(raw.to_string()),
        _ => serde_json::from_str(raw).unwrap_or_else(|_| Value::String(raw.to_string())),
    }
}

#[cfg(test)]
mod coerce_tests {
    use super::*;

    #[test]
    fn strings_stay_strings() {
        assert_eq!(coerce_text("{\"a\":1}", Some("string")), json!("{\"a\":1}"));
        assert_eq!(coerce_text("007", Some("string")), json!("007"));
        assert_eq!(coerce_text("7", Some("integer")), json!(7));
        assert_eq!(coerce_text("true", Some("boolean")), json!(true));
        assert_eq!(coerce_text("[1,2]", Some("array")), json!([1, 2]));
        assert_eq!(coerce_text("abc", Some("integer")), json!("abc"));
        assert_eq!(coerce_text("{\"a\":1}", None), json!({"a": 1}));
        assert_eq!(coerce_text("hello", None), json!("hello"));
    }
}
