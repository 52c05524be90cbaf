//! pest grammar → ASTs, and pest errors → [`ParseError`]s with friendly messages.

use std::ops::Range;

use pest::Parser;
use pest::error::{ErrorVariant, InputLocation};
use pest::iterators::Pair;
use serde_json::Value;

use crate::condition::{Accessor, CompareOp, CondExpr, Operand};
use crate::context::ComponentKind;
use crate::error::{ParseError, ParseErrorKind};
use crate::expression::{Expression, WorkflowField};
use crate::limits::{self, Lang, MAX_NESTING};
use crate::pointer::{JsonPointer, unescape_token};
use crate::template::TemplatePart;

#[derive(pest_derive::Parser)]
#[grammar = "grammar.pest"]
struct Grammar;

/// Parses a whole runtime expression.
pub(crate) fn expression(s: &str) -> Result<Expression, ParseError> {
    let mut pairs =
        Grammar::parse(Rule::expression_only, s).map_err(|e| convert(e, s, Mode::Expression))?;
    let top = pairs.next().ok_or_else(|| internal(s))?;
    let first = top.into_inner().next().ok_or_else(|| internal(s))?;
    build_expr(first)
}

/// Parses an expression followed by `.property` accessors (a criterion `context`).
pub(crate) fn operand(s: &str) -> Result<Operand, ParseError> {
    let mut pairs =
        Grammar::parse(Rule::operand_only, s).map_err(|e| convert(e, s, Mode::Operand))?;
    let top = pairs.next().ok_or_else(|| internal(s))?;
    let mut inner = top.into_inner();
    let first = inner.next().ok_or_else(|| internal(s))?;
    let expression = build_expr(first)?;
    let mut accessors = Vec::new();
    for p in inner {
        match p.as_rule() {
            Rule::property => accessors.push(Accessor::Property(property_name(p))),
            Rule::index => accessors.push(index_accessor(p)?),
            _ => {}
        }
    }
    Ok(Operand {
        expression,
        accessors,
    })
}

/// Parses the parts of a string with embedded `{$…}` expressions.
pub(crate) fn template_parts(s: &str) -> Result<Vec<TemplatePart>, ParseError> {
    let mut pairs =
        Grammar::parse(Rule::template_only, s).map_err(|e| convert(e, s, Mode::Template))?;
    let top = pairs.next().ok_or_else(|| internal(s))?;
    let mut parts = Vec::new();
    for p in top.into_inner() {
        match p.as_rule() {
            Rule::text => parts.push(TemplatePart::Text(p.as_str().to_owned())),
            Rule::embedded => {
                let span = p.as_span().start()..p.as_span().end();
                let e = p.into_inner().next().ok_or_else(|| internal(s))?;
                parts.push(TemplatePart::Expression {
                    expression: build_expr(e)?,
                    span,
                });
            }
            _ => {}
        }
    }
    Ok(parts)
}

/// Parses a `simple` condition.
///
/// pest recurses once per parenthesis, so the nesting is measured first
/// ([`crate::limits::MAX_NESTING`]); the tree built is refused when it is deeper than
/// the same limit, since evaluating, printing, comparing and dropping it recurse too.
pub(crate) fn condition(s: &str) -> Result<CondExpr, ParseError> {
    limits::check_nesting(s, Lang::Condition, "condition")?;
    let mut pairs =
        Grammar::parse(Rule::condition_only, s).map_err(|e| convert(e, s, Mode::Condition))?;
    let top = pairs.next().ok_or_else(|| internal(s))?;
    let or = top.into_inner().next().ok_or_else(|| internal(s))?;
    build_cond(or, s).map(|(e, _)| e)
}

/// The height of a node whose children have height `child` (a leaf has height 1), or
/// the error when it is over [`MAX_NESTING`].
fn taller(child: usize, span: &Range<usize>) -> Result<usize, ParseError> {
    let h = child + 1;
    if h > MAX_NESTING {
        return Err(ParseError::with_kind(
            ParseErrorKind::TooDeep,
            format!(
                "the condition is nested more than {MAX_NESTING} levels deep (each `!`, \
                 comparison and `&&`/`||` operand adds a level); the limit is {MAX_NESTING}"
            ),
            span.clone(),
        )
        .with_hint("split the condition into several success criteria"));
    }
    Ok(h)
}

fn internal(s: &str) -> ParseError {
    ParseError::new("internal parser error: unexpected parse tree", 0..s.len())
}

fn span_of(p: &Pair<'_, Rule>) -> Range<usize> {
    p.as_span().start()..p.as_span().end()
}

// ---------------------------------------------------------------------------
// Expressions

/// The children of a pair, without the `.` separators.
fn children(p: Pair<'_, Rule>) -> impl Iterator<Item = Pair<'_, Rule>> {
    p.into_inner().filter(|x| x.as_rule() != Rule::dot)
}

fn build_expr(p: Pair<'_, Rule>) -> Result<Expression, ParseError> {
    let whole = span_of(&p);
    let bad = || {
        ParseError::new(
            "internal parser error: unexpected expression tree",
            whole.clone(),
        )
    };
    Ok(match p.as_rule() {
        Rule::url_expr => Expression::Url,
        Rule::method_expr => Expression::Method,
        Rule::status_expr => Expression::StatusCode,
        Rule::self_expr => Expression::SelfUri,
        Rule::request_expr | Rule::response_expr | Rule::message_expr => {
            let which = p.as_rule();
            let source = children(p).next().ok_or_else(bad)?;
            let rule = source.as_rule();
            let mut inner = children(source);
            let _keyword = inner.next();
            let arg = inner.next();
            match (which, rule) {
                (_, Rule::header_ref) => {
                    let name = arg.ok_or_else(bad)?.as_str().to_owned();
                    match which {
                        Rule::request_expr => Expression::RequestHeader { name },
                        Rule::response_expr => Expression::ResponseHeader { name },
                        _ => Expression::MessageHeader { name },
                    }
                }
                (_, Rule::query_ref) => Expression::RequestQuery {
                    name: arg.ok_or_else(bad)?.as_str().to_owned(),
                },
                (_, Rule::path_ref) => Expression::RequestPath {
                    name: arg.ok_or_else(bad)?.as_str().to_owned(),
                },
                (Rule::request_expr, Rule::body_ref) => Expression::RequestBody {
                    pointer: arg.map(pointer).transpose()?,
                },
                (Rule::response_expr, Rule::body_ref) => Expression::ResponseBody {
                    pointer: arg.map(pointer).transpose()?,
                },
                (_, Rule::payload_ref) => Expression::MessagePayload {
                    pointer: arg.map(pointer).transpose()?,
                },
                _ => return Err(bad()),
            }
        }
        Rule::inputs_expr | Rule::outputs_expr => {
            let which = p.as_rule();
            let mut inner = children(p);
            let name = inner.next().ok_or_else(bad)?.as_str().to_owned();
            let pointer = inner.next().map(pointer).transpose()?;
            if which == Rule::inputs_expr {
                Expression::Inputs { name, pointer }
            } else {
                Expression::Outputs { name, pointer }
            }
        }
        Rule::steps_expr => {
            let mut inner = children(p);
            let step_id = inner.next().ok_or_else(bad)?.as_str().to_owned();
            let _kw = inner.next();
            let output = inner.next().ok_or_else(bad)?.as_str().to_owned();
            let pointer = inner.next().map(pointer).transpose()?;
            Expression::Steps {
                step_id,
                output,
                pointer,
            }
        }
        Rule::workflows_expr => {
            let mut inner = children(p);
            let workflow_id = inner.next().ok_or_else(bad)?.as_str().to_owned();
            let field = match inner.next().ok_or_else(bad)?.as_str() {
                "inputs" => WorkflowField::Inputs,
                _ => WorkflowField::Outputs,
            };
            let name = inner.next().ok_or_else(bad)?.as_str().to_owned();
            let pointer = inner.next().map(pointer).transpose()?;
            Expression::Workflows {
                workflow_id,
                field,
                name,
                pointer,
            }
        }
        Rule::source_expr => {
            let mut inner = children(p);
            let name = inner.next().ok_or_else(bad)?.as_str().to_owned();
            let reference = inner.next().ok_or_else(bad)?.as_str().to_owned();
            Expression::SourceDescriptions { name, reference }
        }
        Rule::components_expr => {
            let mut inner = children(p);
            let kind = ComponentKind::from_keyword(inner.next().ok_or_else(bad)?.as_str())
                .ok_or_else(bad)?;
            let name = inner.next().ok_or_else(bad)?.as_str().to_owned();
            Expression::Components { kind, name }
        }
        _ => return Err(bad()),
    })
}

/// `pointer_suffix` → [`JsonPointer`].
fn pointer(p: Pair<'_, Rule>) -> Result<JsonPointer, ParseError> {
    let mut tokens = Vec::new();
    let json_pointer = p.into_inner().next();
    for t in json_pointer.into_iter().flat_map(Pair::into_inner) {
        let raw = t.as_str();
        let start = t.as_span().start();
        tokens.push(unescape_token(raw).map_err(|i| {
            ParseError::new(
                "`~` in a JSON pointer must be followed by `0` (for `~`) or `1` (for `/`)",
                start + i..start + i + 1,
            )
        })?);
    }
    Ok(JsonPointer::from_tokens(tokens))
}

fn index_accessor(p: Pair<'_, Rule>) -> Result<Accessor, ParseError> {
    let span = span_of(&p);
    let digits = p
        .into_inner()
        .next()
        .map(|d| (d.as_str().to_owned(), span_of(&d)));
    let (digits, dspan) = digits.ok_or_else(|| ParseError::new("expected an array index", span))?;
    let n: u64 = digits
        .parse()
        .map_err(|_| ParseError::new("array index is too large", dspan))?;
    Ok(Accessor::Index(n))
}

fn property_name(p: Pair<'_, Rule>) -> String {
    p.into_inner()
        .next()
        .map(|n| n.as_str().to_owned())
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------
// Conditions

/// A node's span without the trailing whitespace pest's implicit WHITESPACE adds.
fn trimmed_span(p: &Pair<'_, Rule>, src: &str) -> Range<usize> {
    let r = span_of(p);
    let text = src.get(r.clone()).unwrap_or("");
    r.start..r.start + text.trim_end().len()
}

/// Builds the condition tree of a pair, with its height. The recursion follows pest's
/// nesting (bounded by the parenthesis pre-scan); the height also counts the chains pest
/// reads in loops (`!!!x`, `a && b && c`), which become nested nodes.
fn build_cond(p: Pair<'_, Rule>, src: &str) -> Result<(CondExpr, usize), ParseError> {
    let span = trimmed_span(&p, src);
    let bad = || {
        ParseError::new(
            "internal parser error: unexpected condition tree",
            span.clone(),
        )
    };
    match p.as_rule() {
        Rule::cond_or | Rule::cond_and => {
            let is_or = p.as_rule() == Rule::cond_or;
            let mut inner = p
                .into_inner()
                .filter(|x| !matches!(x.as_rule(), Rule::or_op | Rule::and_op));
            let first = inner.next().ok_or_else(bad)?;
            let start = first.as_span().start();
            let (mut acc, mut height) = build_cond(first, src)?;
            for next in inner {
                let end = trimmed_span(&next, src).end;
                let (right, right_height) = build_cond(next, src)?;
                height = taller(height.max(right_height), &(start..end))?;
                acc = if is_or {
                    CondExpr::Or {
                        left: Box::new(acc),
                        right: Box::new(right),
                        span: start..end,
                    }
                } else {
                    CondExpr::And {
                        left: Box::new(acc),
                        right: Box::new(right),
                        span: start..end,
                    }
                };
            }
            Ok((acc, height))
        }
        Rule::cond_compare => {
            let mut inner = p.into_inner();
            let (left, left_height) = build_cond(inner.next().ok_or_else(bad)?, src)?;
            match inner.next() {
                None => Ok((left, left_height)),
                Some(op) => {
                    let op = match op.as_str() {
                        "==" => CompareOp::Eq,
                        "!=" => CompareOp::Ne,
                        "<" => CompareOp::Lt,
                        "<=" => CompareOp::Le,
                        ">" => CompareOp::Gt,
                        _ => CompareOp::Ge,
                    };
                    let (right, right_height) = build_cond(inner.next().ok_or_else(bad)?, src)?;
                    let height = taller(left_height.max(right_height), &span)?;
                    Ok((
                        CondExpr::Compare {
                            op,
                            left: Box::new(left),
                            right: Box::new(right),
                            span,
                        },
                        height,
                    ))
                }
            }
        }
        Rule::cond_unary => {
            let mut nots = Vec::new();
            let mut operand = None;
            for x in p.into_inner() {
                if x.as_rule() == Rule::not_op {
                    nots.push(x.as_span().start());
                } else {
                    operand = Some(x);
                }
            }
            let operand = operand.ok_or_else(bad)?;
            let end = trimmed_span(&operand, src).end;
            let (mut acc, mut height) = build_cond(operand, src)?;
            for start in nots.into_iter().rev() {
                height = taller(height, &(start..end))?;
                acc = CondExpr::Not {
                    inner: Box::new(acc),
                    span: start..end,
                };
            }
            Ok((acc, height))
        }
        Rule::cond_postfix => {
            let head = p.into_inner().next().ok_or_else(bad)?;
            match head.as_rule() {
                Rule::operand_access => {
                    let mut inner = head.into_inner();
                    let head = inner.next().ok_or_else(bad)?;
                    let start = head.as_span().start();
                    let text = head.as_str();
                    let mut op = operand(text).map_err(|e| e.offset(start))?;
                    for acc in inner {
                        match acc.as_rule() {
                            Rule::index => op.accessors.push(index_accessor(acc)?),
                            Rule::property => {
                                op.accessors.push(Accessor::Property(property_name(acc)))
                            }
                            _ => return Err(bad()),
                        }
                    }
                    Ok((CondExpr::Operand { operand: op, span }, 1))
                }
                Rule::group => {
                    let or = head.into_inner().next().ok_or_else(bad)?;
                    build_cond(or, src)
                }
                _ => build_literal(head).map(|e| (e, 1)),
            }
        }
        _ => Err(bad()),
    }
}

/// Integers stay exact (i64/u64); anything else is the correctly rounded f64.
fn number(text: &str, span: &Range<usize>) -> Result<serde_json::Number, ParseError> {
    let out_of_range = || ParseError::new("number out of range", span.clone());
    if !text.contains(['.', 'e', 'E']) {
        if let Ok(i) = text.parse::<i64>() {
            return Ok(i.into());
        }
        if let Ok(u) = text.parse::<u64>() {
            return Ok(u.into());
        }
    }
    let f: f64 = text.parse().map_err(|_| out_of_range())?;
    serde_json::Number::from_f64(f).ok_or_else(out_of_range)
}

fn build_literal(p: Pair<'_, Rule>) -> Result<CondExpr, ParseError> {
    let span = span_of(&p);
    let value = match p.as_rule() {
        Rule::true_lit => Value::Bool(true),
        Rule::false_lit => Value::Bool(false),
        Rule::null_lit => Value::Null,
        Rule::number => Value::Number(number(p.as_str(), &span)?),
        Rule::single_quoted => {
            let inner = p.into_inner().next().map(|i| i.as_str()).unwrap_or("");
            Value::String(inner.replace("''", "'"))
        }
        Rule::double_quoted => {
            let raw = p.as_str();
            let s: String = serde_json::from_str(raw).map_err(|_| {
                ParseError::new(
                    "invalid escape in a double-quoted string (use JSON escapes such as `\\\"` or `\\n`)",
                    span.clone(),
                )
            })?;
            return Ok(CondExpr::Literal {
                value: Value::String(s),
                span,
                double_quoted: true,
            });
        }
        _ => {
            return Err(ParseError::new(
                "internal parser error: unexpected literal",
                span,
            ));
        }
    };
    Ok(CondExpr::Literal {
        value,
        span,
        double_quoted: false,
    })
}

// ---------------------------------------------------------------------------
// Errors

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Expression,
    Operand,
    Template,
    Condition,
}

const ROOTS: &str = "`$url`, `$method`, `$statusCode`, `$request.`, `$response.`, `$message.`, \
`$inputs.`, `$outputs.`, `$steps.`, `$workflows.`, `$sourceDescriptions.`, `$components.` or `$self`";

/// The known roots, for "did you mean" style checks.
pub(crate) const ROOT_NAMES: &[&str] = &[
    "url",
    "method",
    "statusCode",
    "self",
    "request",
    "response",
    "message",
    "inputs",
    "outputs",
    "steps",
    "workflows",
    "sourceDescriptions",
    "components",
];

fn friendly(rule: Rule) -> Option<&'static str> {
    Some(match rule {
        Rule::url_expr
        | Rule::method_expr
        | Rule::status_expr
        | Rule::self_expr
        | Rule::request_expr
        | Rule::response_expr
        | Rule::message_expr
        | Rule::inputs_expr
        | Rule::outputs_expr
        | Rule::steps_expr
        | Rule::workflows_expr
        | Rule::source_expr
        | Rule::components_expr => "a runtime expression",
        Rule::header_kw => "`header`",
        Rule::query_kw => "`query`",
        Rule::path_kw => "`path`",
        Rule::body_kw => "`body`",
        Rule::payload_kw => "`payload`",
        Rule::identifier => "a name (letters, digits, `.`, `-`, `_`)",
        Rule::step_id => "a step id (letters, digits, `-`, `_`)",
        Rule::workflow_id => "a workflow id (letters, digits, `-`, `_`)",
        Rule::source_name => "a source description name (letters, digits, `-`, `_`)",
        Rule::identifier_strict => "an id (letters, digits, `-`, `_`)",
        Rule::token => "a header name",
        Rule::name => "a parameter name",
        Rule::outputs_kw => "`.outputs.`",
        Rule::workflow_field => "`inputs` or `outputs`",
        Rule::component_kind => "`parameters`, `successActions` or `failureActions`",
        Rule::source_ref => "an operationId, workflowId or field name",
        Rule::pointer_suffix => "`#` and a JSON pointer",
        Rule::json_pointer | Rule::reference_token => "a JSON pointer",
        Rule::close_brace => "`}` to close the embedded expression",
        Rule::EOI => "end of input",
        Rule::embedded => "an embedded expression",
        Rule::text => "text",
        Rule::property => "`.` and a property name",
        Rule::property_name => "a property name (letters, digits, `-`, `_`)",
        Rule::index => "`[`",
        Rule::index_number => "an array index (digits)",
        Rule::or_op => "`||`",
        Rule::and_op => "`&&`",
        Rule::not_op => "`!`",
        Rule::compare_op => "a comparison operator (`==`, `!=`, `<`, `<=`, `>`, `>=`)",
        Rule::operand_text => "a runtime expression",
        Rule::group => "`(`",
        Rule::close_paren => "`)`",
        Rule::close_bracket => "`]`",
        Rule::dot => "`.`",
        Rule::cond_or
        | Rule::cond_and
        | Rule::cond_compare
        | Rule::cond_unary
        | Rule::cond_postfix => "an operand (a runtime expression, a literal, `!` or `(`)",
        Rule::true_lit
        | Rule::false_lit
        | Rule::null_lit
        | Rule::number
        | Rule::single_quoted
        | Rule::double_quoted => "a literal (`true`, `false`, `null`, a number or a 'string')",
        _ => return None,
    })
}

fn join_or(items: &[&str]) -> String {
    match items.len() {
        0 => String::from("something else"),
        1 => items[0].to_owned(),
        n => format!("{} or {}", items[..n - 1].join(", "), items[n - 1]),
    }
}

fn char_span(s: &str, pos: usize) -> Range<usize> {
    match s[pos.min(s.len())..].chars().next() {
        Some(c) => pos..pos + c.len_utf8(),
        None => s.len()..s.len(),
    }
}

fn convert(e: pest::error::Error<Rule>, s: &str, mode: Mode) -> ParseError {
    let pos = match e.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((a, _)) => a,
    };
    let pos = pos.min(s.len());
    let mut expected: Vec<&str> = Vec::new();
    if let ErrorVariant::ParsingError { positives, .. } = &e.variant {
        for r in positives {
            if let Some(f) = friendly(*r)
                && !expected.contains(&f)
            {
                expected.push(f);
            }
        }
    }
    let rest = &s[pos..];
    let before = &s[..pos];

    // An unknown root such as `$foo.bar`.
    let at_operand_start = before.is_empty()
        || before.ends_with(|c: char| c.is_whitespace() || "{(!=<>&|".contains(c));
    if let Some(word) = rest.strip_prefix('$')
        && at_operand_start
    {
        let len = word
            .find(|c: char| !c.is_ascii_alphanumeric() && c != '_')
            .unwrap_or(word.len());
        let root = &word[..len];
        if !ROOT_NAMES.contains(&root) {
            let shown = if root.is_empty() {
                "$"
            } else {
                &rest[..len + 1]
            };
            return ParseError::new(
                format!("`{shown}` is not a runtime expression; expected {ROOTS}"),
                pos..pos + len + 1,
            );
        }
    }
    // A bad `~` escape in a pointer.
    if rest.starts_with('~') && before.contains('#') {
        return ParseError::new(
            "`~` in a JSON pointer must be followed by `0` (for `~`) or `1` (for `/`)",
            pos..pos + 1,
        );
    }
    // `#id` instead of `#/id`.
    if before.ends_with('#') && !rest.is_empty() && !rest.starts_with('/') {
        let word_len = rest
            .find(|c: char| c.is_whitespace() || "=!<>&|()'\"}".contains(c))
            .unwrap_or(rest.len());
        return ParseError::new(
            "a JSON pointer must start with `/`",
            pos..pos + word_len.max(1),
        )
        .with_hint(format!("write `#/{}`", &rest[..word_len]));
    }

    // An unterminated string literal.
    if mode == Mode::Condition
        && let Some(q) = rest.chars().next().filter(|c| *c == '\'' || *c == '"')
    {
        let body = &rest[1..];
        let closed = if q == '\'' {
            body.replace("''", "").contains('\'')
        } else {
            body.contains('"')
        };
        if !closed {
            return ParseError::new("unterminated string literal", pos..s.len());
        }
    }

    let mut message = if expected.is_empty() {
        String::from("unexpected input")
    } else {
        format!("expected {}", join_or(&expected))
    };
    if !rest.is_empty() && mode != Mode::Template {
        let found: String = rest.chars().take(12).collect();
        let found = if rest.chars().count() > 12 {
            format!("{found}…")
        } else {
            found
        };
        message.push_str(&format!(", found `{found}`"));
    }
    let mut err = ParseError::new(message, char_span(s, pos));

    let trimmed = s.trim();
    if mode == Mode::Condition {
        if rest.starts_with('=') && !rest.starts_with("==") {
            err = err.with_hint("use `==` to compare");
        } else if rest.starts_with('&') && !rest.starts_with("&&") {
            err = err.with_hint("use `&&` for a logical and");
        } else if rest.starts_with('|') && !rest.starts_with("||") {
            err = err.with_hint("use `||` for a logical or");
        } else if trimmed.starts_with("{$") && trimmed.ends_with('}') {
            err = err.with_hint("conditions are not templates: remove the surrounding `{` and `}`");
        }
    } else if mode != Mode::Template && trimmed.starts_with("{$") && trimmed.ends_with('}') {
        err = err.with_hint(
            "a runtime expression is written without braces: remove the surrounding `{` and `}`",
        );
    }
    err
}
