//! The XPath constructs arazzo-run refuses because their cost does not depend on the
//! XML they run on: a short query could otherwise ask for unbounded time or memory.
//!
//! * a range `a to b`, unless both ends are integer literals at most
//!   [`MAX_XPATH_RANGE`] apart (`sum(1 to 100000000)` took 2 GB);
//! * an inline function `function($x) { … }` (it can call itself, and recursion doubles
//!   its work with every level);
//! * more than one sequence multiplier: a `for` expression or a step of the simple map
//!   operator `!` makes a sequence as long as the product of its operands', so a chain
//!   of them is exponential (`(1,1,1) ! (1,1,1) ! …` thirty times is 2·10¹⁴ items). One
//!   is allowed (`string-join(for $p in //price return $p, ',')`, `//a ! string()`).
//!
//! What is left costs at most a polynomial in the size of the XML, which is bounded by
//! [`MAX_XPATH_INPUT`](crate::limits::MAX_XPATH_INPUT), and its time is bounded by
//! [`XPATH_TIME_LIMIT`](crate::limits::XPATH_TIME_LIMIT).
//!
//! The query is parsed with `xee`'s own parser (`xee-xpath-ast`), so the check sees the
//! same tree `xee` compiles: an element named `to` or `for` is a name, not an operator.
//! The walk recurses once per level of the tree, which the nesting and operator limits
//! checked before it bound.

use xee_xpath_ast::ast::{
    self, ApplyOperator, ArrayConstructor, BinaryOperator, ExprSingle, KeySpecifier, Literal,
    PathExpr, Postfix, PrimaryExpr, StepExpr,
};

use crate::error::{ParseError, ParseErrorKind};
use crate::limits::MAX_XPATH_RANGE;

/// Refuses `query` when it uses a construct whose cost does not depend on the XML.
/// `Ok(false)` when the query does not parse here: the caller reports `xee`'s syntax
/// error, or refuses a query `xee` accepts but this check could not see.
pub(crate) fn check(query: &str) -> Result<bool, ParseError> {
    let context = xee_xpath_ast::XPathParserContext::default();
    match context.parse_xpath(query) {
        Ok(xpath) => {
            let mut walk = Walk { multipliers: 0 };
            walk.expr(&xpath.0.value).map(|()| true)
        }
        Err(_) => Ok(false),
    }
}

/// The walk over a query's tree: the multipliers seen so far.
struct Walk {
    multipliers: usize,
}

fn refuse(what: &str, span: ast::Span, hint: &str) -> Result<(), ParseError> {
    Err(ParseError::with_kind(
        ParseErrorKind::Unbounded,
        format!("{what} is not allowed in an XPath expression: its work has no bound"),
        span.start..span.end.max(span.start + 1),
    )
    .with_hint(hint))
}

impl Walk {
    fn expr(&mut self, e: &ast::Expr) -> Result<(), ParseError> {
        e.0.iter().try_for_each(|s| self.single(s))
    }

    fn expr_or_empty(&mut self, e: &ast::ExprOrEmptyS) -> Result<(), ParseError> {
        e.value.as_ref().map_or(Ok(()), |e| self.expr(e))
    }

    fn single(&mut self, s: &ast::ExprSingleS) -> Result<(), ParseError> {
        match &s.value {
            ExprSingle::Path(p) => self.path(p),
            ExprSingle::Apply(a) => {
                self.path(&a.path_expr)?;
                match &a.operator {
                    ApplyOperator::SimpleMap(steps) => {
                        self.multiply(steps.len(), s.span)?;
                        steps.iter().try_for_each(|p| self.path(p))
                    }
                    _ => Ok(()),
                }
            }
            ExprSingle::Let(l) => {
                self.single(&l.var_expr)?;
                self.single(&l.return_expr)
            }
            ExprSingle::If(i) => {
                self.expr(&i.condition.value)?;
                self.single(&i.then)?;
                self.single(&i.else_)
            }
            ExprSingle::Binary(b) => {
                if b.operator == BinaryOperator::Range && !small_range(&b.left, &b.right) {
                    return refuse(
                        &format!(
                            "a range `to` other than between two integer literals at most \
                             {MAX_XPATH_RANGE} apart"
                        ),
                        s.span,
                        "compare with `>=` and `<=` instead",
                    );
                }
                self.path(&b.left)?;
                self.path(&b.right)
            }
            ExprSingle::For(f) => {
                self.multiply(1, s.span)?;
                self.single(&f.var_expr)?;
                self.single(&f.return_expr)
            }
            ExprSingle::Quantified(q) => {
                self.single(&q.var_expr)?;
                self.single(&q.satisfies_expr)
            }
        }
    }

    fn path(&mut self, p: &PathExpr) -> Result<(), ParseError> {
        for step in &p.steps {
            match &step.value {
                StepExpr::PrimaryExpr(pe) => self.primary(pe)?,
                StepExpr::PostfixExpr {
                    primary: pe,
                    postfixes,
                } => {
                    self.primary(pe)?;
                    for postfix in postfixes {
                        match postfix {
                            Postfix::Predicate(e) => self.expr(&e.value)?,
                            Postfix::ArgumentList(args) => {
                                args.iter().try_for_each(|s| self.single(s))?
                            }
                            Postfix::Lookup(k) => self.key(k)?,
                        }
                    }
                }
                StepExpr::AxisStep(a) => {
                    a.predicates.iter().try_for_each(|e| self.expr(&e.value))?
                }
            }
        }
        Ok(())
    }

    fn primary(&mut self, pe: &ast::PrimaryExprS) -> Result<(), ParseError> {
        match &pe.value {
            PrimaryExpr::Literal(_)
            | PrimaryExpr::VarRef(_)
            | PrimaryExpr::ContextItem
            | PrimaryExpr::NamedFunctionRef(_) => Ok(()),
            PrimaryExpr::Expr(e) => self.expr_or_empty(e),
            PrimaryExpr::FunctionCall(call) => {
                call.arguments.iter().try_for_each(|s| self.single(s))
            }
            // A wrapper is what `xee` makes of a partial application (`f(?, 1)`): it calls
            // an existing function and cannot recurse.
            PrimaryExpr::InlineFunction(f) if f.wrapper => self.expr_or_empty(&f.body),
            PrimaryExpr::InlineFunction(_) => refuse(
                "an inline function",
                pe.span,
                "call the built-in functions directly",
            ),
            PrimaryExpr::MapConstructor(m) => m.entries.iter().try_for_each(|entry| {
                self.single(&entry.key)?;
                self.single(&entry.value)
            }),
            PrimaryExpr::ArrayConstructor(ArrayConstructor::Square(e)) => self.expr(&e.value),
            PrimaryExpr::ArrayConstructor(ArrayConstructor::Curly(e)) => self.expr_or_empty(e),
            PrimaryExpr::UnaryLookup(k) => self.key(k),
        }
    }

    fn key(&mut self, k: &KeySpecifier) -> Result<(), ParseError> {
        match k {
            KeySpecifier::Expr(e) => self.expr_or_empty(e),
            _ => Ok(()),
        }
    }

    /// Counts `n` multipliers (`for`, `!` steps) at `span`; refuses the second.
    fn multiply(&mut self, n: usize, span: ast::Span) -> Result<(), ParseError> {
        self.multipliers += n;
        if self.multipliers > 1 {
            return refuse(
                "more than one `for` or `!` step",
                span,
                "each multiplies the length of a sequence; select with a path instead",
            );
        }
        Ok(())
    }
}

/// Whether `left to right` is a range between integer literals at most
/// [`MAX_XPATH_RANGE`] items long.
fn small_range(left: &PathExpr, right: &PathExpr) -> bool {
    let int = |p: &PathExpr| -> Option<i128> {
        match p.steps.as_slice() {
            [step] => match &step.value {
                StepExpr::PrimaryExpr(pe) => match &pe.value {
                    PrimaryExpr::Literal(Literal::Integer(i)) => i.to_string().parse().ok(),
                    _ => None,
                },
                _ => None,
            },
            _ => None,
        }
    };
    match (int(left), int(right)) {
        (Some(a), Some(b)) => b.saturating_sub(a) < MAX_XPATH_RANGE as i128,
        _ => false,
    }
}
