//! `simple` conditions: the AST, printing, and evaluation to a [`Verdict`].
//!
//! The rules (precedence, comparisons, truthiness, absent values, dotted names) are
//! written down in docs/semantics.md, "Conditions"; each one is pinned by a test.

use std::borrow::Cow;
use std::fmt;
use std::ops::Range;

use serde_json::Value;

use crate::context::Context;
use crate::error::{EvalError, EvalErrorKind, ParseError};
use crate::expression::Expression;
use crate::pointer::describe_type;
use crate::stringify::describe_value;

mod compare;

pub use compare::compare;

/// The outcome of a condition or criterion.
///
/// A criterion never aborts a run: an evaluation problem is a failing verdict whose
/// `reason` says what went wrong, with `error` set so that tools can tell "evaluated to
/// false" from "could not be evaluated".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// True when the criterion passed.
    pub passed: bool,
    /// Why it failed, naming the failing part and the actual values, e.g.
    /// "`$statusCode == 200`: $statusCode was 404". `None` when it passed.
    pub reason: Option<String>,
    /// True when the failure is an evaluation error (a non-boolean operand, an invalid
    /// JSONPath, an XML parse error…) rather than a condition that evaluated to false.
    pub error: bool,
}

impl Verdict {
    /// A passing verdict.
    pub fn pass() -> Self {
        Verdict {
            passed: true,
            reason: None,
            error: false,
        }
    }

    /// A verdict for a condition that evaluated to false.
    pub fn fail(reason: impl Into<String>) -> Self {
        Verdict {
            passed: false,
            reason: Some(reason.into()),
            error: false,
        }
    }

    /// A verdict for a condition that could not be evaluated.
    pub fn error(reason: impl Into<String>) -> Self {
        Verdict {
            passed: false,
            reason: Some(reason.into()),
            error: true,
        }
    }
}

/// One step of property navigation after a runtime expression in a condition.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Accessor {
    /// `.name`: an object member (or `length` of an array or string).
    Property(String),
    /// `[n]`: an array element.
    Index(u64),
}

impl fmt::Display for Accessor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Accessor::Property(p) => write!(f, ".{p}"),
            Accessor::Index(i) => write!(f, "[{i}]"),
        }
    }
}

/// A runtime expression followed by property accesses: `$response.body.items[0].id`.
///
/// Used for condition operands and for criterion and selector `context`s (the spec's own
/// example writes `context: $response.body.status`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Operand {
    /// The runtime expression.
    pub expression: Expression,
    /// Property and index accesses applied to its value, in order.
    pub accessors: Vec<Accessor>,
}

impl Operand {
    /// The same reference written as a plain runtime expression with a JSON pointer
    /// (`$response.body.items[0].id` → `$response.body#/items/0/id`), when the root
    /// takes a pointer. Used to suggest a fix for dot navigation outside conditions.
    pub fn to_pointer_expression(&self) -> Option<Expression> {
        let mut e = self.expression.clone();
        let mut tokens: Vec<String> = e.pointer().map(|p| p.tokens().to_vec()).unwrap_or_default();
        tokens.extend(self.accessors.iter().map(|a| match a {
            Accessor::Property(p) => p.clone(),
            Accessor::Index(i) => i.to_string(),
        }));
        e.set_pointer(Some(crate::pointer::JsonPointer::from_tokens(tokens)))
            .then_some(e)
    }

    /// Resolves the operand. A dotted name (`$inputs.a.b`) is resolved by the longest
    /// name that exists in the context, the rest becoming property accesses.
    ///
    /// Errors are typed like [`Expression::resolve`]: an absent root is
    /// [`EvalErrorKind::Absent`], a failed pointer or property is
    /// [`EvalErrorKind::Pointer`].
    pub fn resolve<'c>(&self, ctx: &'c dyn Context) -> Result<Cow<'c, Value>, EvalError> {
        let mut found = None;
        for (candidate, rest) in self.expression.dotted_candidates() {
            if let Some(root) = candidate.lookup(ctx) {
                found = Some((candidate, rest, root));
                break;
            }
        }
        let Some((candidate, rest, root)) = found else {
            return Err(EvalError::new(
                EvalErrorKind::Absent,
                self.expression.absent_message(),
            ));
        };
        let mut value = match candidate.pointer() {
            None => root,
            Some(p) => p.resolve(root).map_err(|reason| {
                EvalError::new(EvalErrorKind::Pointer, format!("{candidate}: {reason}"))
            })?,
        };
        let rest = rest.into_iter().map(Accessor::Property);
        let mut path = candidate.to_string();
        for acc in rest.chain(self.accessors.iter().cloned()) {
            value = access(value, &acc).ok_or_else(|| {
                EvalError::new(
                    EvalErrorKind::Pointer,
                    format!("{path}: {}", access_failure(&acc)),
                )
            })?;
            path.push_str(&acc.to_string());
        }
        Ok(value)
    }
}

fn access_failure(acc: &Accessor) -> String {
    match acc {
        Accessor::Property(p) => format!("no property `{p}`"),
        Accessor::Index(i) => format!("no element {i}"),
    }
}

/// Applies one accessor. `length` of an array or a string is its length (a
/// compatibility extension for conditions written in JavaScript style).
fn access<'c>(value: Cow<'c, Value>, acc: &Accessor) -> Option<Cow<'c, Value>> {
    match value {
        Cow::Borrowed(v) => match (v, acc) {
            (Value::Object(m), Accessor::Property(p)) => m.get(p.as_str()).map(Cow::Borrowed),
            (Value::Array(a), Accessor::Property(p)) if p == "length" => {
                Some(Cow::Owned(Value::from(a.len())))
            }
            (Value::String(s), Accessor::Property(p)) if p == "length" => {
                Some(Cow::Owned(Value::from(s.chars().count())))
            }
            (Value::Array(a), Accessor::Index(i)) => usize::try_from(*i)
                .ok()
                .and_then(|i| a.get(i))
                .map(Cow::Borrowed),
            _ => None,
        },
        Cow::Owned(v) => match (v, acc) {
            (Value::Object(mut m), Accessor::Property(p)) => {
                m.swap_remove(p.as_str()).map(Cow::Owned)
            }
            (Value::Array(a), Accessor::Property(p)) if p == "length" => {
                Some(Cow::Owned(Value::from(a.len())))
            }
            (Value::String(s), Accessor::Property(p)) if p == "length" => {
                Some(Cow::Owned(Value::from(s.chars().count())))
            }
            (Value::Array(mut a), Accessor::Index(i)) => {
                let i = usize::try_from(*i).ok()?;
                (i < a.len()).then(|| Cow::Owned(a.swap_remove(i)))
            }
            _ => None,
        },
    }
}

impl fmt::Display for Operand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.expression)?;
        for a in &self.accessors {
            write!(f, "{a}")?;
        }
        Ok(())
    }
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CompareOp {
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

impl CompareOp {
    /// The operator as written.
    pub fn as_str(self) -> &'static str {
        match self {
            CompareOp::Eq => "==",
            CompareOp::Ne => "!=",
            CompareOp::Lt => "<",
            CompareOp::Le => "<=",
            CompareOp::Gt => ">",
            CompareOp::Ge => ">=",
        }
    }
}

/// A node of a parsed condition. Spans are byte ranges into the condition string.
///
/// Equality is structural: spans (and whether a string literal was double-quoted) are
/// ignored, so that `parse(print(c)) == c`.
#[derive(Debug, Clone)]
pub enum CondExpr {
    /// `true`, `false`, `null`, a number or a string.
    Literal {
        /// The literal value.
        value: Value,
        /// Where it is.
        span: Range<usize>,
        /// True when written with double quotes (a non-standard extension).
        double_quoted: bool,
    },
    /// A runtime expression with optional property accesses.
    Operand {
        /// The operand.
        operand: Operand,
        /// Where it is.
        span: Range<usize>,
    },
    /// `!x`
    Not {
        /// The negated node.
        inner: Box<CondExpr>,
        /// Where it is.
        span: Range<usize>,
    },
    /// `a <op> b`
    Compare {
        /// The operator.
        op: CompareOp,
        /// Left side.
        left: Box<CondExpr>,
        /// Right side.
        right: Box<CondExpr>,
        /// Where it is.
        span: Range<usize>,
    },
    /// `a && b`
    And {
        /// Left side.
        left: Box<CondExpr>,
        /// Right side.
        right: Box<CondExpr>,
        /// Where it is.
        span: Range<usize>,
    },
    /// `a || b`
    Or {
        /// Left side.
        left: Box<CondExpr>,
        /// Right side.
        right: Box<CondExpr>,
        /// Where it is.
        span: Range<usize>,
    },
}

impl PartialEq for CondExpr {
    fn eq(&self, other: &Self) -> bool {
        use CondExpr::*;
        match (self, other) {
            (Literal { value: a, .. }, Literal { value: b, .. }) => a == b,
            (Operand { operand: a, .. }, Operand { operand: b, .. }) => a == b,
            (Not { inner: a, .. }, Not { inner: b, .. }) => a == b,
            (
                Compare {
                    op: o1,
                    left: l1,
                    right: r1,
                    ..
                },
                Compare {
                    op: o2,
                    left: l2,
                    right: r2,
                    ..
                },
            ) => o1 == o2 && l1 == l2 && r1 == r2,
            (
                And {
                    left: l1,
                    right: r1,
                    ..
                },
                And {
                    left: l2,
                    right: r2,
                    ..
                },
            )
            | (
                Or {
                    left: l1,
                    right: r1,
                    ..
                },
                Or {
                    left: l2,
                    right: r2,
                    ..
                },
            ) => l1 == l2 && r1 == r2,
            _ => false,
        }
    }
}

impl CondExpr {
    /// The byte span of this node in the condition string.
    pub fn span(&self) -> Range<usize> {
        match self {
            CondExpr::Literal { span, .. }
            | CondExpr::Operand { span, .. }
            | CondExpr::Not { span, .. }
            | CondExpr::Compare { span, .. }
            | CondExpr::And { span, .. }
            | CondExpr::Or { span, .. } => span.clone(),
        }
    }

    /// Binding strength, for printing with the fewest parentheses.
    fn precedence(&self) -> u8 {
        match self {
            CondExpr::Or { .. } => 1,
            CondExpr::And { .. } => 2,
            CondExpr::Compare { .. } => 3,
            CondExpr::Not { .. } => 4,
            CondExpr::Literal { .. } | CondExpr::Operand { .. } => 5,
        }
    }

    fn write_child(&self, f: &mut fmt::Formatter<'_>, min: u8) -> fmt::Result {
        if self.precedence() < min {
            write!(f, "({self})")
        } else {
            write!(f, "{self}")
        }
    }

    fn collect_operands<'a>(&'a self, out: &mut Vec<(&'a Operand, Range<usize>)>) {
        match self {
            CondExpr::Literal { .. } => {}
            CondExpr::Operand { operand, span } => out.push((operand, span.clone())),
            CondExpr::Not { inner, .. } => inner.collect_operands(out),
            CondExpr::Compare { left, right, .. }
            | CondExpr::And { left, right, .. }
            | CondExpr::Or { left, right, .. } => {
                left.collect_operands(out);
                right.collect_operands(out);
            }
        }
    }
}

impl fmt::Display for CondExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CondExpr::Literal { value, .. } => match value {
                Value::String(s) => write!(f, "'{}'", s.replace('\'', "''")),
                other => write!(f, "{other}"),
            },
            CondExpr::Operand { operand, .. } => write!(f, "{operand}"),
            CondExpr::Not { inner, .. } => {
                f.write_str("!")?;
                inner.write_child(f, 4)
            }
            CondExpr::Compare {
                op, left, right, ..
            } => {
                left.write_child(f, 4)?;
                write!(f, " {} ", op.as_str())?;
                right.write_child(f, 4)
            }
            CondExpr::And { left, right, .. } => {
                left.write_child(f, 2)?;
                f.write_str(" && ")?;
                right.write_child(f, 3)
            }
            CondExpr::Or { left, right, .. } => {
                left.write_child(f, 1)?;
                f.write_str(" || ")?;
                right.write_child(f, 2)
            }
        }
    }
}

/// A parsed `simple` condition, ready to evaluate many times.
#[derive(Debug, Clone)]
pub struct Condition {
    source: String,
    root: CondExpr,
}

impl PartialEq for Condition {
    fn eq(&self, other: &Self) -> bool {
        self.root == other.root
    }
}

/// A runtime expression found inside a template or condition, with its byte span in
/// the parsed string (for diagnostics at the document's file:line:column).
#[derive(Debug, Clone)]
pub struct Located<'a> {
    /// The expression.
    pub expression: &'a Expression,
    /// Byte span in the parsed string.
    pub span: Range<usize>,
}

impl Condition {
    /// Parses a condition; see [`crate::parse_condition`].
    pub fn parse(s: &str) -> Result<Condition, ParseError> {
        let root = crate::parser::condition(s)?;
        Ok(Condition {
            source: s.to_owned(),
            root,
        })
    }

    /// The string the condition was parsed from.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The root node of the AST.
    pub fn root(&self) -> &CondExpr {
        &self.root
    }

    /// Every runtime expression in the condition, with its byte span, in source order.
    pub fn expressions(&self) -> impl Iterator<Item = Located<'_>> {
        self.operands().into_iter().map(|(op, span)| Located {
            expression: &op.expression,
            span,
        })
    }

    /// Every operand (expression plus property accesses) with its span, in source order.
    pub fn operands(&self) -> Vec<(&Operand, Range<usize>)> {
        let mut out = Vec::new();
        self.root.collect_operands(&mut out);
        out
    }

    /// Non-standard constructs the condition uses (accepted for compatibility), with
    /// their spans, so that a validator can warn about portability.
    pub fn portability_notes(&self) -> Vec<(Range<usize>, &'static str)> {
        fn walk(e: &CondExpr, out: &mut Vec<(Range<usize>, &'static str)>) {
            match e {
                CondExpr::Literal {
                    double_quoted: true,
                    span,
                    ..
                } => out.push((
                    span.clone(),
                    "double-quoted string literal; Arazzo strings use single quotes",
                )),
                CondExpr::Literal { .. } => {}
                CondExpr::Operand { operand, span } => {
                    if operand
                        .accessors
                        .iter()
                        .any(|a| matches!(a, Accessor::Property(p) if p == "length"))
                    {
                        out.push((
                            span.clone(),
                            "`.length` of an array or string is an arazzo-run extension",
                        ));
                    }
                }
                CondExpr::Not { inner, .. } => walk(inner, out),
                CondExpr::Compare { left, right, .. }
                | CondExpr::And { left, right, .. }
                | CondExpr::Or { left, right, .. } => {
                    walk(left, out);
                    walk(right, out);
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.root, &mut out);
        out
    }

    /// Evaluates the condition. It never errors: a problem is a failing [`Verdict`]
    /// whose reason names the failing part and the actual values.
    pub fn evaluate(&self, ctx: &dyn Context) -> Verdict {
        let mut ev = Evaluator {
            ctx,
            src: &self.source,
        };
        match ev.truth(&self.root) {
            Ok(true) => Verdict::pass(),
            Ok(false) => Verdict::fail(ev.explain(&self.root)),
            Err(e) => Verdict::error(e),
        }
    }
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.root)
    }
}

/// The value of an operand inside a condition: absent or a JSON value.
type Val<'c> = Option<Cow<'c, Value>>;

struct Evaluator<'a> {
    ctx: &'a dyn Context,
    src: &'a str,
}

impl<'a> Evaluator<'a> {
    fn text(&self, span: &Range<usize>) -> &'a str {
        self.src.get(span.clone()).unwrap_or("")
    }

    /// Evaluates a node used as a value (operands and literals; anything else is a
    /// boolean).
    fn value(&mut self, e: &CondExpr) -> Result<Val<'a>, String> {
        match e {
            CondExpr::Literal { value, .. } => Ok(Some(Cow::Owned(value.clone()))),
            CondExpr::Operand { operand, .. } => Ok(operand.resolve(self.ctx).ok()),
            other => self.truth(other).map(|b| Some(Cow::Owned(Value::Bool(b)))),
        }
    }

    /// Evaluates a node in a boolean position. Only `true` passes; `false`, `null` and
    /// absent values are false; any other type is an evaluation error.
    fn truth(&mut self, e: &CondExpr) -> Result<bool, String> {
        match e {
            CondExpr::Literal { .. } | CondExpr::Operand { .. } => {
                let v = self.value(e)?;
                match v.as_deref() {
                    Some(Value::Bool(b)) => Ok(*b),
                    None | Some(Value::Null) => Ok(false),
                    Some(other) => Err(format!(
                        "`{}` is {} ({}), not a boolean: only `true` passes; compare it explicitly, e.g. `{} != null`",
                        self.text(&e.span()),
                        describe_type(other),
                        describe_value(other),
                        self.text(&e.span()),
                    )),
                }
            }
            CondExpr::Not { inner, .. } => self.truth(inner).map(|b| !b),
            CondExpr::And { left, right, .. } => Ok(self.truth(left)? && self.truth(right)?),
            CondExpr::Or { left, right, .. } => Ok(self.truth(left)? || self.truth(right)?),
            CondExpr::Compare {
                op, left, right, ..
            } => {
                let l = self.value(left)?;
                let r = self.value(right)?;
                Ok(compare(*op, l.as_deref(), r.as_deref()))
            }
        }
    }

    /// Builds the reason for a node that evaluated to false: the failing part and the
    /// values of the expressions in it.
    fn explain(&mut self, e: &CondExpr) -> String {
        if let CondExpr::And { left, right, .. } = e {
            // Report the first conjunct that failed.
            if matches!(self.truth(left), Ok(false)) {
                return self.explain(left);
            }
            return self.explain(right);
        }
        let mut operands = Vec::new();
        e.collect_operands(&mut operands);
        let mut seen = Vec::new();
        let mut values = Vec::new();
        for (op, span) in operands {
            let text = self.text(&span);
            if seen.contains(&text) {
                continue;
            }
            seen.push(text);
            let v = op.resolve(self.ctx);
            values.push(match v {
                Ok(v) => format!("{text} was {}", describe_value(&v)),
                Err(err) if err.is_absent() => format!("{text} was absent ({err})"),
                Err(err) => format!("{text} was absent ({err})"),
            });
        }
        let source = self.text(&e.span());
        if values.is_empty() {
            format!("`{source}` is false")
        } else {
            format!("`{source}`: {}", values.join(", "))
        }
    }
}
