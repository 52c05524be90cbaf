//! JSON values with embedded runtime expressions: request payloads, parameter values,
//! replacement values and outputs, compiled once and evaluated per run.

use serde_json::{Map, Value};

use crate::context::Context;
use crate::error::{EvalError, EvalErrorKind, ParseError};
use crate::expression::Expression;
use crate::pointer::JsonPointer;
use crate::selector::{Selector, SelectorType};
use crate::template::{Template, TemplateKind};

/// Options for [`ValueExpr::compile_with`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ValueOptions {
    /// Recognise Arazzo 1.1 Selector Objects: an object with exactly the members
    /// `context` (a runtime expression), `selector` (a string) and `type`. Off by
    /// default because a 1.0 payload object may legitimately have those keys.
    pub selectors: bool,
    /// Compatibility: evaluate strings such as `$response.body.id` or
    /// `$steps.s.outputs.list[0].id` (dot and index navigation, which the ABNF only
    /// allows in conditions) as [`ValueExpr::Operand`] instead of leaving them literal
    /// text. Off by default; real-world documents use it (see docs/semantics.md).
    pub dot_navigation: bool,
}

/// A JSON value in which string leaves may be runtime expressions or templates.
#[derive(Debug, Clone, PartialEq)]
pub enum ValueExpr {
    /// A subtree without any expression (kept as is, cloned on evaluation).
    Literal(Value),
    /// A string that is exactly one runtime expression: evaluates to the typed value.
    Expression(Expression),
    /// A string with embedded `{$…}` expressions: evaluates to a string.
    Template(Template),
    /// A runtime expression followed by `.name`/`[n]` navigation (only with
    /// [`ValueOptions::dot_navigation`]): evaluates to the typed value.
    Operand(crate::condition::Operand),
    /// An Arazzo 1.1 Selector Object (only with [`ValueOptions::selectors`]).
    Selector(Box<Selector>),
    /// An array with at least one expression inside.
    Array(Vec<ValueExpr>),
    /// An object with at least one expression inside (member order kept).
    Object(Vec<(String, ValueExpr)>),
}

/// Compile errors: the JSON pointer of each offending string inside the value, and its
/// parse error (with a span into that string).
pub type CompileErrors = Vec<(String, ParseError)>;

impl ValueExpr {
    /// Compiles a value with the default options (no Selector Objects).
    ///
    /// String leaves are classified as: a whole runtime expression (typed value); else a
    /// template if they contain `{$` (a malformed embedded expression is an error); else
    /// a literal. So `"$5 off"`, `"$.items[*]"` and `"{\"a\":1}"` stay literals.
    pub fn compile(v: &Value) -> Result<ValueExpr, CompileErrors> {
        Self::compile_with(v, ValueOptions::default())
    }

    /// Compiles a value; see [`ValueExpr::compile`] and [`ValueOptions`].
    pub fn compile_with(v: &Value, options: ValueOptions) -> Result<ValueExpr, CompileErrors> {
        let mut errors = Vec::new();
        let mut path = Vec::new();
        let out = compile_node(v, options, &mut path, &mut errors);
        if errors.is_empty() {
            Ok(out)
        } else {
            Err(errors)
        }
    }

    /// True when the value contains no expression at all.
    pub fn is_literal(&self) -> bool {
        matches!(self, ValueExpr::Literal(_))
    }

    /// Every runtime expression in the value: the JSON pointer of its string, the
    /// expression, and its byte span inside that string.
    pub fn expressions(&self) -> Vec<(String, &Expression, std::ops::Range<usize>)> {
        let mut out = Vec::new();
        let mut path = Vec::new();
        collect(self, &mut path, &mut out);
        out
    }

    /// Evaluates the value.
    ///
    /// * `Ok(None)`: the value as a whole refers to something absent (an optional input
    ///   that was not supplied).
    /// * Object members and array items whose expression is absent are left out, so an
    ///   optional input that was not supplied leaves its field out of the request.
    /// * An absent value inside a template is an error.
    pub fn evaluate(&self, ctx: &dyn Context) -> Result<Option<Value>, EvalError> {
        let mut path = Vec::new();
        eval_node(self, ctx, &mut path)
    }
}

fn pointer_of(path: &[String]) -> String {
    JsonPointer::from_tokens(path.to_vec()).to_string()
}

fn compile_node(
    v: &Value,
    options: ValueOptions,
    path: &mut Vec<String>,
    errors: &mut CompileErrors,
) -> ValueExpr {
    match v {
        Value::String(s) => {
            if !s.contains('$') {
                return ValueExpr::Literal(v.clone());
            }
            if options.dot_navigation
                && s.starts_with('$')
                && let Ok(op) = crate::parser::operand(s)
                && !op.accessors.is_empty()
            {
                return ValueExpr::Operand(op);
            }
            match Template::parse(s) {
                Ok(t) => match t.kind() {
                    TemplateKind::Literal(_) => ValueExpr::Literal(v.clone()),
                    TemplateKind::Whole(e) => ValueExpr::Expression(e.clone()),
                    TemplateKind::Interpolated(_) => ValueExpr::Template(t),
                },
                Err(e) => {
                    errors.push((pointer_of(path), e));
                    ValueExpr::Literal(v.clone())
                }
            }
        }
        Value::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                path.push(i.to_string());
                out.push(compile_node(item, options, path, errors));
                path.pop();
            }
            if out.iter().all(ValueExpr::is_literal) {
                ValueExpr::Literal(v.clone())
            } else {
                ValueExpr::Array(out)
            }
        }
        Value::Object(map) => {
            if options.selectors
                && let Some(sel) = selector_object(map, path, errors)
            {
                return sel;
            }
            let mut out = Vec::with_capacity(map.len());
            for (k, item) in map {
                path.push(k.clone());
                out.push((k.clone(), compile_node(item, options, path, errors)));
                path.pop();
            }
            if out.iter().all(|(_, x)| x.is_literal()) {
                ValueExpr::Literal(v.clone())
            } else {
                ValueExpr::Object(out)
            }
        }
        other => ValueExpr::Literal(other.clone()),
    }
}

/// An object with exactly `context`, `selector` and `type` (plus `x-` extensions) whose
/// `context` is a runtime expression is a Selector Object.
fn selector_object(
    map: &Map<String, Value>,
    path: &mut Vec<String>,
    errors: &mut CompileErrors,
) -> Option<ValueExpr> {
    let keys_ok = map
        .keys()
        .all(|k| matches!(k.as_str(), "context" | "selector" | "type") || k.starts_with("x-"));
    let (Some(Value::String(context)), Some(Value::String(selector)), Some(ty)) =
        (map.get("context"), map.get("selector"), map.get("type"))
    else {
        return None;
    };
    if !keys_ok || !context.starts_with('$') {
        return None;
    }
    let ty = SelectorType::from_value(ty).ok()?;
    match Selector::compile(context, selector, &ty) {
        Ok(s) => Some(ValueExpr::Selector(Box::new(s))),
        Err(e) => {
            // Point at the member that is wrong: the context expression, or the query.
            let (field, len) = match &e {
                crate::CriterionError::Context(_) => ("context", context.len()),
                _ => ("selector", selector.len()),
            };
            path.push(field.into());
            errors.push((pointer_of(path), ParseError::new(e.to_string(), 0..len)));
            path.pop();
            Some(ValueExpr::Literal(Value::Null))
        }
    }
}

fn collect<'a>(
    v: &'a ValueExpr,
    path: &mut Vec<String>,
    out: &mut Vec<(String, &'a Expression, std::ops::Range<usize>)>,
) {
    match v {
        ValueExpr::Literal(_) => {}
        ValueExpr::Expression(e) => out.push((pointer_of(path), e, 0..e.to_string().len())),
        ValueExpr::Operand(o) => {
            out.push((pointer_of(path), &o.expression, 0..o.to_string().len()))
        }
        ValueExpr::Template(t) => {
            for l in t.expressions() {
                out.push((pointer_of(path), l.expression, l.span));
            }
        }
        ValueExpr::Selector(s) => {
            path.push("context".into());
            let e = &s.context().expression;
            out.push((pointer_of(path), e, 0..s.context_source().len()));
            path.pop();
        }
        ValueExpr::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                path.push(i.to_string());
                collect(item, path, out);
                path.pop();
            }
        }
        ValueExpr::Object(members) => {
            for (k, item) in members {
                path.push(k.clone());
                collect(item, path, out);
                path.pop();
            }
        }
    }
}

fn located(e: EvalError, path: &[String]) -> EvalError {
    if path.is_empty() {
        return e;
    }
    let span = e.span();
    let msg = format!("at {}: {}", pointer_of(path), e.message());
    let out = EvalError::new(e.kind(), msg);
    match span {
        Some(s) => out.with_span(s),
        None => out,
    }
}

fn eval_node(
    v: &ValueExpr,
    ctx: &dyn Context,
    path: &mut Vec<String>,
) -> Result<Option<Value>, EvalError> {
    match v {
        ValueExpr::Literal(x) => Ok(Some(x.clone())),
        ValueExpr::Expression(e) => match e.evaluate(ctx) {
            Ok(x) => Ok(Some(x)),
            // `$steps.s.outputs.a.b` with no output `a.b`: output `a`, property `b`
            // (docs/semantics.md#property-access-and-dotted-names).
            Err(err) if err.is_absent() => Ok(dotted(e, ctx)),
            Err(err) => Err(located(err, path)),
        },
        ValueExpr::Template(t) => t.evaluate(ctx).map(Some).map_err(|e| {
            // An absent value cannot be left out of the middle of a string.
            let e = if e.is_absent() {
                EvalError::new(EvalErrorKind::Template, e.message().to_owned())
            } else {
                e
            };
            located(e, path)
        }),
        ValueExpr::Operand(o) => match o.resolve(ctx) {
            Ok(x) => Ok(Some(x.into_owned())),
            Err(err) if err.is_absent() => Ok(None),
            Err(err) => Err(located(err, path)),
        },
        ValueExpr::Selector(s) => match s.evaluate(ctx) {
            Ok(x) => Ok(Some(x)),
            Err(err) if err.is_absent() => Ok(None),
            Err(err) => Err(located(err, path)),
        },
        ValueExpr::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                path.push(i.to_string());
                let x = eval_node(item, ctx, path)?;
                path.pop();
                if let Some(x) = x {
                    out.push(x);
                }
            }
            Ok(Some(Value::Array(out)))
        }
        ValueExpr::Object(members) => {
            let mut out = Map::with_capacity(members.len());
            for (k, item) in members {
                path.push(k.clone());
                let x = eval_node(item, ctx, path)?;
                path.pop();
                if let Some(x) = x {
                    out.insert(k.clone(), x);
                }
            }
            Ok(Some(Value::Object(out)))
        }
    }
}

/// A dotted name read as a shorter name and property accesses, when the whole
/// name is absent.
fn dotted(e: &crate::Expression, ctx: &dyn Context) -> Option<Value> {
    if !e.dotted_name().is_some_and(|n| n.contains('.')) {
        return None;
    }
    let op = crate::condition::Operand {
        expression: e.clone(),
        accessors: Vec::new(),
    };
    op.resolve(ctx).ok().map(std::borrow::Cow::into_owned)
}
