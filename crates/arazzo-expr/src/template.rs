//! Strings with embedded `{$…}` runtime expressions.

use std::fmt;
use std::ops::Range;

use serde_json::Value;

use crate::condition::Located;
use crate::context::Context;
use crate::error::{EvalError, EvalErrorKind, ParseError};
use crate::expression::Expression;
use crate::stringify::stringify;

/// One piece of an interpolated template. Equality ignores spans.
#[derive(Debug, Clone)]
pub enum TemplatePart {
    /// Literal text (never contains `{$`).
    Text(String),
    /// An embedded `{$…}` expression.
    Expression {
        /// The expression between the braces.
        expression: Expression,
        /// Byte span of `{$…}` (braces included) in the template string.
        span: Range<usize>,
    },
}

impl PartialEq for TemplatePart {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (TemplatePart::Text(a), TemplatePart::Text(b)) => a == b,
            (
                TemplatePart::Expression { expression: a, .. },
                TemplatePart::Expression { expression: b, .. },
            ) => a == b,
            _ => false,
        }
    }
}

/// What a template string turned out to be.
#[derive(Debug, Clone, PartialEq)]
pub enum TemplateKind {
    /// A string without expressions.
    Literal(String),
    /// A string that is exactly one runtime expression: evaluates to the typed value.
    Whole(Expression),
    /// Text with embedded `{$…}` expressions: evaluates to a string.
    Interpolated(Vec<TemplatePart>),
}

/// A string value that may contain runtime expressions, parsed once.
///
/// Classification of a string (see docs/semantics.md, "Templates"):
/// * the whole string parses as a runtime expression → [`TemplateKind::Whole`], which
///   evaluates to the typed value;
/// * otherwise, if it contains `{$` → [`TemplateKind::Interpolated`], which evaluates
///   to a string (a malformed embedded expression is a parse error);
/// * otherwise → [`TemplateKind::Literal`], the string itself (`"$5 off"`,
///   `"$.items[*]"`).
///
/// Equality compares the parsed structure, not the source text.
#[derive(Debug, Clone)]
pub struct Template {
    source: String,
    kind: TemplateKind,
}

impl PartialEq for Template {
    fn eq(&self, other: &Self) -> bool {
        self.kind == other.kind
    }
}

impl Template {
    /// Parses a string; see [`crate::parse_template`].
    pub fn parse(s: &str) -> Result<Template, ParseError> {
        let kind = if let Some(e) = s
            .starts_with('$')
            .then(|| crate::parser::expression(s).ok())
            .flatten()
        {
            TemplateKind::Whole(e)
        } else if !s.contains("{$") {
            TemplateKind::Literal(s.to_owned())
        } else {
            TemplateKind::Interpolated(crate::parser::template_parts(s)?)
        };
        Ok(Template {
            source: s.to_owned(),
            kind,
        })
    }

    /// What the string turned out to be.
    pub fn kind(&self) -> &TemplateKind {
        &self.kind
    }

    /// The string the template was parsed from.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// True when the template contains no expression.
    pub fn is_literal(&self) -> bool {
        matches!(self.kind, TemplateKind::Literal(_))
    }

    /// The expression, when the whole string is one.
    pub fn as_expression(&self) -> Option<&Expression> {
        match &self.kind {
            TemplateKind::Whole(e) => Some(e),
            _ => None,
        }
    }

    /// Every runtime expression in the template with its byte span (for `Whole`, the
    /// whole string; for embedded ones, the `{$…}` including braces).
    pub fn expressions(&self) -> impl Iterator<Item = Located<'_>> {
        let items: Vec<Located<'_>> = match &self.kind {
            TemplateKind::Literal(_) => Vec::new(),
            TemplateKind::Whole(e) => vec![Located {
                expression: e,
                span: 0..self.source.len(),
            }],
            TemplateKind::Interpolated(parts) => parts
                .iter()
                .filter_map(|p| match p {
                    TemplatePart::Expression { expression, span } => Some(Located {
                        expression,
                        span: span.clone(),
                    }),
                    TemplatePart::Text(_) => None,
                })
                .collect(),
        };
        items.into_iter()
    }

    /// Evaluates the template. `Whole` gives the typed value (and an absent root is
    /// an error for which [`EvalError::is_absent`] holds); `Literal` and
    /// `Interpolated` give a `Value::String`. Inside an interpolated string an absent
    /// value is an error of kind [`EvalErrorKind::Template`]: a template cannot leave a
    /// hole.
    pub fn evaluate(&self, ctx: &dyn Context) -> Result<Value, EvalError> {
        match &self.kind {
            TemplateKind::Literal(s) => Ok(Value::String(s.clone())),
            TemplateKind::Whole(e) => e.evaluate(ctx),
            TemplateKind::Interpolated(parts) => render_parts(parts, ctx).map(Value::String),
        }
    }

    /// Evaluates the template to text, whatever its form (a `Whole` expression is
    /// stringified). Used to substitute `{$…}` into regex, JSONPath and XPath queries.
    pub fn evaluate_to_string(&self, ctx: &dyn Context) -> Result<String, EvalError> {
        match &self.kind {
            TemplateKind::Literal(s) => Ok(s.clone()),
            TemplateKind::Whole(e) => e.resolve(ctx).map(|v| stringify(&v).into_owned()),
            TemplateKind::Interpolated(parts) => render_parts(parts, ctx),
        }
    }
}

fn render_parts(parts: &[TemplatePart], ctx: &dyn Context) -> Result<String, EvalError> {
    let mut out = String::new();
    for p in parts {
        match p {
            TemplatePart::Text(t) => out.push_str(t),
            TemplatePart::Expression { expression, span } => {
                // A hole cannot be left, so a dotted name that does not exist as
                // such (`{$inputs.env.TOKEN}`) is read as property access, as in
                // conditions: the longest existing name, then properties.
                let operand = crate::condition::Operand {
                    expression: expression.clone(),
                    accessors: Vec::new(),
                };
                let v = operand.resolve(ctx).map_err(|e| {
                    EvalError::new(
                        EvalErrorKind::Template,
                        format!("in `{{{expression}}}`: {}", e.message()),
                    )
                    .with_span(span.clone())
                })?;
                out.push_str(&stringify(&v));
            }
        }
    }
    Ok(out)
}

impl fmt::Display for Template {
    /// Prints the canonical form (expressions in canonical form, text verbatim).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            TemplateKind::Literal(s) => f.write_str(s),
            TemplateKind::Whole(e) => write!(f, "{e}"),
            TemplateKind::Interpolated(parts) => {
                for p in parts {
                    match p {
                        TemplatePart::Text(t) => f.write_str(t)?,
                        TemplatePart::Expression { expression, .. } => {
                            write!(f, "{{{expression}}}")?
                        }
                    }
                }
                Ok(())
            }
        }
    }
}
