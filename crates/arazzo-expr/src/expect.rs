//! What a criterion asks of a response, when it says so plainly.
//!
//! A mock server answering from an OpenAPI description knows the shape of a
//! response but not the values a workflow waits for: `status` is one of
//! `[queued, completed]`, the workflow polls until it is `completed`. A
//! criterion such as `$response.body#/status == 'completed'` or
//! `$[?@.title == 'Validation failed']` names the value outright, so an engine
//! running against a mock can pass it along ([`HEADER`]) and the mock can answer
//! with it where the description allows. Only plain equalities are read: a
//! condition under `||` or `!`, an ordering, or a query with any other shape
//! asks nothing definite and yields no expectation. The expected side may be a
//! literal or an expression known before the response (`$inputs.mode`), which
//! [`Expected::resolve`] evaluates when the request is sent.

use serde_json::{Value, json};

use crate::condition::{Accessor, CompareOp, CondExpr, Operand};
use crate::context::Context;
use crate::criterion::{Criterion, CriterionType};
use crate::expression::Expression;

/// The request header that carries expectations to a mock server, as a JSON
/// array (see [`encode`]).
pub const HEADER: &str = "arazzo-expect";

/// Where an expected value goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    /// The body node at these JSON pointer tokens (none: the whole body).
    Body(Vec<String>),
    /// `member` of the body node at `pointer` when that node is an object, or of
    /// its first item when it is an array: a JSONPath filter `$[?@.member == v]`.
    Filter {
        /// Tokens of the filtered node.
        pointer: Vec<String>,
        /// Tokens of the member the filter compares.
        member: Vec<String>,
    },
    /// A response header (name as written; headers match case-insensitively).
    Header(String),
}

/// What a criterion expects at a place, as compiled: a literal, or an
/// expression to evaluate when the request is sent.
#[derive(Debug, Clone, PartialEq)]
pub struct Expected {
    /// Where.
    pub place: Place,
    /// What.
    pub wanted: Wanted,
}

/// The expected side of an equality.
#[derive(Debug, Clone, PartialEq)]
pub enum Wanted {
    /// A literal.
    Value(Value),
    /// An expression that does not read the response (`$inputs.x`, `$steps.s.outputs.o`).
    Operand(Operand),
}

impl Expected {
    /// The expectation with its value; `None` when the expression cannot be
    /// evaluated yet (a missing input: then nothing is expected).
    pub fn resolve(&self, ctx: &dyn Context) -> Option<Expectation> {
        let value = match &self.wanted {
            Wanted::Value(v) => v.clone(),
            Wanted::Operand(o) => o.resolve(ctx).ok()?.into_owned(),
        };
        Some(Expectation {
            place: self.place.clone(),
            value,
        })
    }
}

/// A value a criterion expects at a place in the response.
#[derive(Debug, Clone, PartialEq)]
pub struct Expectation {
    /// Where.
    pub place: Place,
    /// What.
    pub value: Value,
}

impl Criterion {
    /// The values this criterion plainly expects in the response; empty when it
    /// expects nothing definite.
    pub fn expectations(&self) -> Vec<Expected> {
        let mut out = Vec::new();
        match self.criterion_type() {
            CriterionType::Simple => {
                if let Some(c) = self.simple_condition() {
                    conjuncts(c.root(), &mut out);
                }
            }
            CriterionType::JsonPath { .. } => {
                if let Some(ctx) = self.context()
                    && let Some(pointer) = body_tokens(ctx)
                    && let Some((member, value)) = root_filter(self.condition())
                {
                    out.push(Expected {
                        place: Place::Filter { pointer, member },
                        wanted: Wanted::Value(value),
                    });
                }
            }
            _ => {}
        }
        out
    }
}

/// Collects `operand == literal` comparisons joined by `&&`.
fn conjuncts(e: &CondExpr, out: &mut Vec<Expected>) {
    match e {
        CondExpr::And { left, right, .. } => {
            conjuncts(left, out);
            conjuncts(right, out);
        }
        CondExpr::Compare {
            op: CompareOp::Eq,
            left,
            right,
            ..
        } => {
            let (operand, wanted) = match (left.as_ref(), right.as_ref()) {
                (CondExpr::Operand { operand, .. }, CondExpr::Literal { value, .. })
                | (CondExpr::Literal { value, .. }, CondExpr::Operand { operand, .. }) => {
                    (operand, Wanted::Value(value.clone()))
                }
                (CondExpr::Operand { operand: a, .. }, CondExpr::Operand { operand: b, .. }) => {
                    match (reads_response(a), reads_response(b)) {
                        (true, false) => (a, Wanted::Operand(b.clone())),
                        (false, true) => (b, Wanted::Operand(a.clone())),
                        _ => return,
                    }
                }
                _ => return,
            };
            let place = match &operand.expression {
                Expression::ResponseHeader { name } if operand.accessors.is_empty() => {
                    Place::Header(name.clone())
                }
                Expression::ResponseBody { .. } => match body_tokens(operand) {
                    Some(t) => Place::Body(t),
                    None => return,
                },
                _ => return,
            };
            out.push(Expected { place, wanted });
        }
        _ => {}
    }
}

/// Whether the operand needs the response (or the request it answers).
fn reads_response(o: &Operand) -> bool {
    matches!(
        o.expression,
        Expression::ResponseBody { .. }
            | Expression::ResponseHeader { .. }
            | Expression::StatusCode
            | Expression::RequestBody { .. }
            | Expression::RequestHeader { .. }
            | Expression::RequestQuery { .. }
            | Expression::RequestPath { .. }
            | Expression::Url
            | Expression::Method
    )
}

/// `$response.body#/a/b.c[0]` as pointer tokens `a, b, c, 0`.
fn body_tokens(operand: &Operand) -> Option<Vec<String>> {
    let Expression::ResponseBody { pointer } = &operand.expression else {
        return None;
    };
    let mut tokens: Vec<String> = pointer
        .as_ref()
        .map(|p| p.tokens().to_vec())
        .unwrap_or_default();
    for a in &operand.accessors {
        tokens.push(match a {
            // `.length` reads the size of an array or string: nothing to set.
            Accessor::Property(p) if p == "length" => return None,
            Accessor::Property(p) => p.clone(),
            Accessor::Index(i) => i.to_string(),
        });
    }
    Some(tokens)
}

/// `$[?@.a.b == 'x']` or `$[?(@.a == 1)]`: the member tokens and the literal.
fn root_filter(query: &str) -> Option<(Vec<String>, Value)> {
    let inner = query.trim().strip_prefix("$[?")?.strip_suffix(']')?.trim();
    let inner = match inner.strip_prefix('(') {
        Some(rest) => rest.strip_suffix(')')?.trim(),
        None => inner,
    };
    let (lhs, rhs) = inner.split_once("==")?;
    let member: Vec<String> = lhs
        .trim()
        .strip_prefix("@.")?
        .split('.')
        .map(str::to_string)
        .collect();
    let plain = |m: &String| {
        !m.is_empty()
            && m.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    };
    if !member.iter().all(plain) {
        return None;
    }
    Some((member, literal(rhs.trim())?))
}

/// A JSONPath literal: a quoted string without escapes, a number, `true`, `false`.
fn literal(text: &str) -> Option<Value> {
    for q in ['\'', '"'] {
        if let Some(s) = text.strip_prefix(q).and_then(|t| t.strip_suffix(q)) {
            return (!s.contains(q) && !s.contains('\\')).then(|| Value::String(s.to_string()));
        }
    }
    match text {
        "true" => Some(Value::Bool(true)),
        "false" => Some(Value::Bool(false)),
        _ => text.parse::<serde_json::Number>().ok().map(Value::Number),
    }
}

/// Expectations as the [`HEADER`] value: a JSON array of
/// `{"body": "/json/pointer", "value": v}`,
/// `{"body": "/json/pointer", "member": "/pointer", "value": v}` (a filter) and
/// `{"header": "Name", "value": v}`, with every non-ASCII character escaped so
/// that it is a valid header value.
pub fn encode(expectations: &[Expectation]) -> String {
    let items: Vec<Value> = expectations
        .iter()
        .map(|e| match &e.place {
            Place::Body(t) => json!({ "body": pointer(t), "value": e.value }),
            Place::Filter { pointer: p, member } => {
                json!({ "body": pointer(p), "member": pointer(member), "value": e.value })
            }
            Place::Header(h) => json!({ "header": h, "value": e.value }),
        })
        .collect();
    let text = Value::Array(items).to_string();
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut buf = [0u16; 2];
            for unit in c.encode_utf16(&mut buf) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    out
}

/// Reads a [`HEADER`] value; anything malformed is skipped.
pub fn decode(text: &str) -> Vec<Expectation> {
    let Ok(Value::Array(items)) = serde_json::from_str::<Value>(text) else {
        return Vec::new();
    };
    items
        .into_iter()
        .filter_map(|item| {
            let value = item.get("value")?.clone();
            let tokens = |key: &str| -> Option<Vec<String>> {
                crate::pointer::JsonPointer::parse(item.get(key)?.as_str()?)
                    .ok()
                    .map(|p| p.tokens().to_vec())
            };
            let place = if let Some(h) = item.get("header").and_then(Value::as_str) {
                Place::Header(h.to_string())
            } else if item.get("member").is_some() {
                Place::Filter {
                    pointer: tokens("body")?,
                    member: tokens("member")?,
                }
            } else {
                Place::Body(tokens("body")?)
            };
            Some(Expectation { place, value })
        })
        .collect()
}

/// Pointer tokens as a JSON pointer (`/a/b~1c`), as the header writes them.
pub fn pointer(tokens: &[String]) -> String {
    crate::pointer::JsonPointer::from_tokens(tokens.iter().cloned()).to_string()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn expect(condition: &str, context: Option<&str>, ty: CriterionType) -> Vec<Expectation> {
        let ctx = crate::JsonContext::new().with_input("mode", json!("strict"));
        Criterion::compile(condition, context, &ty)
            .unwrap()
            .expectations()
            .iter()
            .filter_map(|e| e.resolve(&ctx))
            .collect()
    }

    fn body(t: &[&str], v: Value) -> Expectation {
        Expectation {
            place: Place::Body(t.iter().map(|s| s.to_string()).collect()),
            value: v,
        }
    }

    #[test]
    fn plain_equalities_are_expectations() {
        let s = CriterionType::Simple;
        assert_eq!(
            expect("$response.body#/status == 'completed'", None, s.clone()),
            vec![body(&["status"], json!("completed"))]
        );
        assert_eq!(
            expect(
                "$statusCode == 200 && true == $response.body.data[0].ok",
                None,
                s.clone()
            ),
            vec![body(&["data", "0", "ok"], json!(true))]
        );
        assert_eq!(
            expect(
                "$response.header.X-Powered-By == 'Express'",
                None,
                s.clone()
            ),
            vec![Expectation {
                place: Place::Header("X-Powered-By".into()),
                value: json!("Express")
            }]
        );
        assert_eq!(
            expect("$response.body == 'tiramisu'", None, s.clone()),
            vec![body(&[], json!("tiramisu"))]
        );
        // An expression known before the response is evaluated when the request is sent.
        assert_eq!(
            expect("$inputs.mode == $response.body#/mode", None, s.clone()),
            vec![body(&["mode"], json!("strict"))]
        );
        assert_eq!(
            expect("$response.body#/mode == $inputs.absent", None, s.clone()),
            vec![]
        );
    }

    #[test]
    fn anything_less_definite_expects_nothing() {
        let s = CriterionType::Simple;
        for c in [
            "$response.body#/a == 1 || $response.body#/b == 2",
            "!($response.body#/a == 1)",
            "$response.body#/a != 1",
            "$response.body#/n > 1",
            "$response.body.items.length == 2",
            "$response.body#/a == $response.body#/b",
            "$response.body#/a == $statusCode",
            "$request.header.x == 'y'",
        ] {
            assert_eq!(expect(c, None, s.clone()), vec![], "{c}");
        }
        let jp = CriterionType::JsonPath { version: None };
        for c in [
            "$[?@.a > 1]",
            "$.items[?@.a == 1]",
            "$[?@.a == 'x' && @.b == 1]",
            "$[?@['a'] == 1]",
        ] {
            assert_eq!(expect(c, Some("$response.body"), jp.clone()), vec![], "{c}");
        }
    }

    #[test]
    fn root_filters_expect_a_member() {
        let jp = CriterionType::JsonPath { version: None };
        assert_eq!(
            expect(
                "$[?(@.title == 'Validation failed')]",
                Some("$response.body#/errors"),
                jp
            ),
            vec![Expectation {
                place: Place::Filter {
                    pointer: vec!["errors".into()],
                    member: vec!["title".into()]
                },
                value: json!("Validation failed")
            }]
        );
    }

    #[test]
    fn the_header_form_round_trips_and_is_ascii() {
        let all = vec![
            body(&["a/b", "~"], json!("naïve ☃ 😀")),
            Expectation {
                place: Place::Filter {
                    pointer: vec![],
                    member: vec!["x".into()],
                },
                value: json!(3),
            },
            Expectation {
                place: Place::Header("X-Y".into()),
                value: json!("z"),
            },
        ];
        let text = encode(&all);
        assert!(text.is_ascii(), "{text}");
        assert_eq!(decode(&text), all);
        assert_eq!(decode("not json"), vec![]);
        assert_eq!(
            decode(r#"[{"body": "no-slash", "value": 1}, {"value": 2}]"#),
            vec![]
        );
    }
}
