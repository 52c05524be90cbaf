//! Arazzo runtime expressions, templates, `simple` conditions and criteria.
//!
//! Runtime expressions are how data flows through an Arazzo workflow and how success is
//! decided. This crate parses each expression once (a pest grammar covering Arazzo 1.0.1
//! and 1.1.0) into an AST, and evaluates ASTs against a [`Context`], so the engine,
//! `arazzo-run eval` and the tests share one evaluator.
//!
//! * [`parse_expression`]: `$steps.a.outputs.b#/0/id` → [`Expression`].
//! * [`parse_template`]: a string with embedded `{$…}` → [`Template`].
//! * [`parse_condition`]: `$statusCode == 200 && $response.body.ok` → [`Condition`].
//! * [`ValueExpr`]: whole JSON values (payloads, parameter values, outputs).
//! * [`Criterion`]: `simple`, `regex`, `jsonpath` and `xpath` criteria; [`Selector`].
//!
//! Parse errors carry byte spans and render with a caret ([`ParseError::render`]);
//! evaluation errors are typed ([`EvalError::is_absent`]).
//!
//! No expression can crash or hang the process: nesting is measured before any recursive
//! parser runs and every evaluation primitive has a work bound; the limits are the
//! constants of [`limits`]. The semantics, and every
//! policy where the specification is silent, are in `docs/semantics.md`.
//!
//! ```
//! use arazzo_expr::{JsonContext, parse_condition, parse_expression};
//! use serde_json::json;
//!
//! let ctx = JsonContext::from_value(json!({
//!     "statusCode": 200,
//!     "response": { "body": { "items": [{ "id": 7 }] } }
//! })).unwrap();
//! let e = parse_expression("$response.body#/items/0/id").unwrap();
//! assert_eq!(e.evaluate(&ctx).unwrap(), json!(7));
//! let c = parse_condition("$statusCode == 200 && $response.body.items[0].id > 5").unwrap();
//! assert!(c.evaluate(&ctx).passed);
//! ```

mod condition;
mod context;
mod criterion;
mod ecma_regex;
mod error;
pub mod expect;
mod expression;
mod json_context;
mod jsonpath;
pub mod limits;
mod parser;
mod pointer;
mod selector;
mod stringify;
mod template;
mod value_expr;
mod xpath;

pub use condition::{Accessor, CompareOp, CondExpr, Condition, Located, Operand, Verdict, compare};
pub use context::{ComponentKind, Context, EmptyContext};
pub use criterion::{Criterion, CriterionError, CriterionType, JsonPathVersion};
pub use ecma_regex::{
    BACKTRACK_LIMIT, BACKTRACKING_MAX_INPUT, EcmaRegex, LINEAR_DFA_LIMIT, LINEAR_MAX_INPUT,
    LINEAR_SIZE_LIMIT, LINEAR_WORK_LIMIT,
};
pub use error::{EvalError, EvalErrorKind, ParseError, ParseErrorKind};
pub use expression::{Expression, WorkflowField};
pub use json_context::{JsonContext, JsonContextError};
pub use pointer::{JsonPointer, escape_token, unescape_token_lenient};
pub use selector::{Selector, SelectorType};
pub use stringify::stringify;
pub use template::{Template, TemplateKind, TemplatePart};
pub use value_expr::{CompileErrors, ValueExpr, ValueOptions};

/// Parses a whole runtime expression such as `$steps.a.outputs.b#/0/id`.
///
/// The whole string must be one expression (no surrounding whitespace or braces). On
/// failure the [`ParseError`] has a byte span into `s`.
pub fn parse_expression(s: &str) -> Result<Expression, ParseError> {
    parser::expression(s)
}

/// Parses a runtime expression followed by `.property` / `[n]` accesses, as written in
/// a criterion `context` (`$response.body.status`) or a condition operand.
pub fn parse_operand(s: &str) -> Result<Operand, ParseError> {
    parser::operand(s)
}

/// Parses a string that may contain runtime expressions: exactly one whole expression
/// (typed value), text with embedded `{$…}` (a string), or a plain literal.
pub fn parse_template(s: &str) -> Result<Template, ParseError> {
    Template::parse(s)
}

/// Parses a `simple` condition (`$statusCode == 200 && $response.body.ok`).
pub fn parse_condition(s: &str) -> Result<Condition, ParseError> {
    Condition::parse(s)
}

/// For a string that will be used as a literal: if it looks like a runtime expression
/// (it starts with `$inputs`, `$response`, … ) but does not parse, the parse error, so
/// that a validator can tell that `"$response.body#id"` would be text, not an expression.
/// It includes dot navigation and templates; [`malformed_expression`] is the narrower
/// test of what a document must not contain.
pub fn expression_lookalike(s: &str) -> Option<ParseError> {
    let rest = s.strip_prefix('$')?;
    let root_len = rest
        .find(|c: char| !c.is_ascii_alphanumeric())
        .unwrap_or(rest.len());
    if !parser::ROOT_NAMES.contains(&&rest[..root_len]) {
        return None;
    }
    let err = parser::expression(s).err()?;
    // Dot navigation (`$response.body.id`) is only part of conditions; suggest the
    // pointer form.
    if let Ok(op) = parser::operand(s)
        && let Some(e) = op.to_pointer_expression()
    {
        return Some(err.with_hint(format!(
            "`.name` and `[n]` navigation is only allowed in conditions; write `{e}`"
        )));
    }
    Some(err)
}

/// For a string leaf of a value that holds runtime expressions (a parameter value, a
/// request payload, a replacement value, an output): the syntax error that makes it a
/// *malformed* runtime expression, which a document must not contain.
///
/// That is a string that starts with a known expression source (`$inputs`,
/// `$response`, `$steps`, …; see [`expression_lookalike`]) and is neither a whole
/// runtime expression, nor a template with embedded `{$…}` (whose text is text), nor a
/// runtime expression followed by `.name`/`[n]` navigation (evaluated for compatibility,
/// see [`ValueOptions::dot_navigation`]). Text that does not start with a source
/// (`$5.00`, `$HOME`, `$.items[*]`) is never malformed: it is literal text.
///
/// The engine's compiler reports these as errors and `arazzo-run eval` refuses them, so
/// that both agree; the reason (a typo would otherwise silently become data, and the
/// specification has no escape for literal text) is in `docs/semantics.md`.
pub fn malformed_expression(s: &str) -> Option<ParseError> {
    let err = expression_lookalike(s)?;
    if s.contains("{$") && Template::parse(s).is_ok() {
        return None;
    }
    if parser::operand(s).is_ok_and(|op| !op.accessors.is_empty()) {
        return None;
    }
    Some(err)
}
