//! Building the typed [`Document`] from a loaded value.
//!
//! The parser never stops at the first problem: each wrong type, missing
//! field or unknown field becomes a [`Diagnostic`] and parsing goes on with a
//! default, so one `validate` run reports everything. Structural rules that
//! concern a single object (required fields, types, enums, name patterns,
//! exactly one step target, `in` on operation parameters, …) are checked
//! here; rules that relate objects to each other live in [`crate::validate`].

use serde_json::Value;

use crate::diag::{Code, Diagnostic};
use crate::load::{Loaded, Part, escape_token};
use crate::model::*;

mod actions;
mod body;
mod criteria;
mod document;
mod fields;
mod parameters;
mod read;
mod workflow;

/// Parses a loaded document. Returns the document (`None` only when the
/// input is not an Arazzo document at all) and every structural finding.
pub fn parse(source: Loaded) -> (Option<Document>, Vec<Diagnostic>) {
    let mut p = Parser {
        src: &source,
        diags: Vec::new(),
        version: Version::V1_1,
    };
    let Some(root) = source.value.as_object() else {
        let d = p.diag(
            Code::NotArazzo,
            "",
            Part::Value,
            format!(
                "an Arazzo document must be an object, found {}",
                describe(&source.value)
            ),
        );
        return (
            None,
            vec![d.hint("an Arazzo document starts with `arazzo: 1.1.0`")],
        );
    };
    let Some(arazzo) = root.get("arazzo") else {
        let looks_like = ["openapi", "swagger", "asyncapi"]
            .into_iter()
            .find(|k| root.contains_key(*k));
        let mut d = p.diag(
            Code::NotArazzo,
            "",
            Part::Value,
            "this is not an Arazzo document: the `arazzo` field is missing",
        );
        d = match looks_like {
            Some(k) => d.hint(format!(
                "this looks like an {} description; it can be used as a source description of an Arazzo document",
                if k == "asyncapi" { "AsyncAPI" } else { "OpenAPI" }
            )),
            None => d.hint("an Arazzo document starts with `arazzo: 1.1.0`"),
        };
        return (None, vec![d]);
    };
    let arazzo_str = match arazzo {
        Value::String(s) => s.clone(),
        other => {
            let d = p
                .diag(
                    Code::WrongType,
                    "/arazzo",
                    Part::Value,
                    format!("`arazzo` must be a string, found {}", describe(other)),
                )
                .hint("quote the version, e.g. `arazzo: \"1.0.1\"`");
            p.diags.push(d);
            other.to_string()
        }
    };
    p.version = match Version::from_field(&arazzo_str) {
        Some(v) => v,
        None => {
            if arazzo.is_string() {
                let d = p
                    .diag(
                        Code::UnsupportedVersion,
                        "/arazzo",
                        Part::Value,
                        format!("unsupported Arazzo version `{arazzo_str}`"),
                    )
                    .label("expected 1.0.x or 1.1.x")
                    .hint(
                        "arazzo-run implements Arazzo 1.0.0, 1.0.1 and 1.1.0 (any patch version)",
                    );
                p.diags.push(d);
            }
            if arazzo_str.starts_with("1.0") {
                Version::V1_0
            } else {
                Version::V1_1
            }
        }
    };
    let doc = p.document(root, arazzo_str);
    let diags = p.diags;
    let doc = doc.map(|mut d| {
        d.source = source;
        d
    });
    (doc, diags)
}

/// Names of workflows, steps and sources SHOULD match this.
pub fn is_strict_identifier(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Output and component keys MUST match `^[a-zA-Z0-9\.\-_]+$`.
pub fn is_identifier(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

/// Is this object a 1.1 Selector Object (`context`, `selector`, `type`)?
pub fn is_selector_object(v: &Value) -> bool {
    v.as_object().is_some_and(|m| {
        m.contains_key("selector")
            && m.contains_key("context")
            && m.keys().all(|k| {
                k.starts_with("x-") || matches!(k.as_str(), "context" | "selector" | "type")
            })
    })
}

struct Parser<'a> {
    src: &'a Loaded,
    diags: Vec<Diagnostic>,
    version: Version,
}

/// Describes a JSON value's type for messages ("an object", "a string", …).
pub fn describe(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_f64() => "a number",
        Value::Number(_) => "an integer",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

fn join(path: &str, field: &str) -> String {
    format!("{path}/{}", escape_token(field))
}

/// The text of a scalar for use where a string was expected (keeps going after a type error).
fn scalar_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        Value::Bool(_) | Value::Number(_) => v.to_string(),
        _ => String::new(),
    }
}

pub use crate::suggest::closest;
