//! Values with runtime expressions: parameter values, request bodies and outputs.

use std::sync::Arc;

use arazzo_expr::{ParseError, ValueExpr, ValueOptions};
use arazzo_model::load::escape_token;
use arazzo_model::model::{ExpressionType, Replacement, RequestBody, Version};
use arazzo_model::{Code, Diagnostic};
use indexmap::IndexMap;
use serde_json::Value;

use super::Compiler;
use crate::plan::*;

impl<'a> Compiler<'a> {
    /// Compiles a value with expressions; reports syntax errors at their place,
    /// malformed runtime expressions included (`None` then: the value cannot
    /// be sent as the document means it).
    pub(super) fn value(
        &mut self,
        d: usize,
        v: &Value,
        pointer: &str,
        selectors: bool,
    ) -> Option<ValueExpr> {
        self.value_in(d, v, pointer, selectors, false)
    }

    /// [`Compiler::value`], for an output when `output` (which changes the
    /// hint of a malformed expression: outputs take no literal text).
    fn value_in(
        &mut self,
        d: usize,
        v: &Value,
        pointer: &str,
        selectors: bool,
        output: bool,
    ) -> Option<ValueExpr> {
        let options = ValueOptions {
            selectors,
            // Real-world documents write `$response.body.id`; run them, and
            // warn with the standard spelling (see `lookalikes`).
            dot_navigation: true,
        };
        match ValueExpr::compile_with(v, options) {
            Ok(x) => {
                let before = self.diags.len();
                self.lookalikes(d, v, pointer, output);
                let malformed = self.diags[before..].iter().any(Diagnostic::is_error);
                (!malformed).then_some(x)
            }
            Err(errors) => {
                for (inner, e) in errors {
                    self.value_error(d, &format!("{pointer}{inner}"), &e);
                }
                None
            }
        }
    }

    /// Reports a value that does not compile at `p`: a Selector Object's
    /// query, or a runtime expression.
    fn value_error(&mut self, d: usize, p: &str, e: &ParseError) {
        let text = self
            .doc(d)
            .source
            .value
            .pointer(p)
            .and_then(Value::as_str)
            .unwrap_or("");
        let text = text.to_string();
        let at_selector = self
            .doc(d)
            .source
            .value
            .pointer(p)
            .is_some_and(arazzo_model::parse::is_selector_object);
        if p.ends_with("/selector") || at_selector {
            // The query of a Selector Object, not an expression.
            let field = if at_selector {
                format!("{p}/selector")
            } else {
                p.to_string()
            };
            self.diags.push(
                Diagnostic::error(
                    Code::CriterionSyntax,
                    format!("invalid selector: {}", e.message),
                )
                .at(self.at(d, &field)),
            );
        } else {
            self.parse_error(d, p, &text, e, "runtime expression");
        }
    }

    /// Reports the strings of a compiled value that look like runtime
    /// expressions but are not: an error for a malformed expression (it would
    /// otherwise be sent as text, see docs/semantics.md "Malformed expressions
    /// are errors"), a warning for `.`/`[n]` navigation (evaluated anyway) and
    /// for a template whose text starts like an expression.
    fn lookalikes(&mut self, d: usize, v: &Value, pointer: &str, output: bool) {
        match v {
            Value::String(s) => {
                if s.starts_with('$')
                    && arazzo_expr::parse_expression(s).is_err()
                    && let Ok(op) = arazzo_expr::parse_operand(s)
                    && !op.accessors.is_empty()
                {
                    let standard = op
                        .to_pointer_expression()
                        .map(|e| format!("; write `{e}`"))
                        .unwrap_or_default();
                    self.diags.push(
                        Diagnostic::warning(
                            Code::ExpressionSyntax,
                            format!("`{s}` navigates with `.`/`[n]`, which Arazzo allows only in conditions; arazzo-run evaluates it anyway{standard}"),
                        )
                        .at(self.at(d, pointer)),
                    );
                } else if let Some(e) = arazzo_expr::malformed_expression(s) {
                    let hint = e.hint.clone().unwrap_or_else(|| {
                        if output {
                            "an output is a runtime expression such as `$response.body#/id`"
                        } else {
                            "fix the expression; to send text that starts like an expression, pass it in an input and write `$inputs.<name>`"
                        }
                        .to_string()
                    });
                    self.diags.push(
                        Diagnostic::error(
                            Code::ExpressionSyntax,
                            format!("`{s}` is a malformed runtime expression: {}", e.message),
                        )
                        .at(self.inside(d, pointer, s, &e.span))
                        .label(e.message.clone())
                        .hint(hint),
                    );
                } else if let Some(e) = arazzo_expr::expression_lookalike(s) {
                    // A template (`$inputs.a-{$inputs.b}`): only its `{$…}` parts are
                    // expressions.
                    self.diags.push(
                        Diagnostic::warning(
                            Code::ExpressionSyntax,
                            format!("`{s}` is a template whose text starts like a runtime expression; only its `{{$…}}` parts are evaluated, the rest is sent as text"),
                        )
                        .at(self.inside(d, pointer, s, &e.span))
                        .label(e.message.clone())
                        .hint("write `{$…}` around every expression of a template"),
                    );
                }
            }
            Value::Array(items) => {
                for (i, x) in items.iter().enumerate() {
                    self.lookalikes(d, x, &format!("{pointer}/{i}"), output);
                }
            }
            Value::Object(m) => {
                for (k, x) in m {
                    self.lookalikes(d, x, &format!("{pointer}/{}", escape_token(k)), output);
                }
            }
            _ => {}
        }
    }

    /// Compiles a request body: its payload and replacements.
    pub(super) fn body(&mut self, d: usize, b: &RequestBody) -> BodyPlan {
        let selectors = self.doc(d).version >= Version::V1_1;
        let payload = b
            .payload
            .as_ref()
            .and_then(|p| self.value(d, p, &format!("{}/payload", b.path), selectors));
        let xml = b
            .content_type
            .as_deref()
            .is_some_and(arazzo_openapi::media::is_xml);
        let replacements = b
            .replacements
            .iter()
            .filter_map(|r| self.replacement(d, r, xml, selectors))
            .collect();
        BodyPlan {
            content_type: b.content_type.clone(),
            payload,
            replacements,
        }
    }

    /// A payload replacement; `xml` when the body is XML (targets are then
    /// XPath by default).
    fn replacement(
        &mut self,
        d: usize,
        r: &Replacement,
        xml: bool,
        selectors: bool,
    ) -> Option<ReplacementPlan> {
        let target = match (&r.target_type, xml) {
            (Some(ExpressionType::JsonPath(_)), _) => {
                match serde_json_path::JsonPath::parse(&r.target) {
                    Ok(p) => ReplacementTarget::JsonPath(Arc::new(p)),
                    Err(e) => {
                        self.diags.push(
                            Diagnostic::error(
                                Code::CriterionSyntax,
                                format!("invalid JSONPath target: {e}"),
                            )
                            .at(self.at(d, &format!("{}/target", r.path))),
                        );
                        return None;
                    }
                }
            }
            (Some(ExpressionType::XPath(_)), _) | (None, true) => {
                ReplacementTarget::XPath(r.target.clone())
            }
            _ => {
                if !r.target.is_empty() && !r.target.starts_with('/') {
                    self.diags.push(
                        Diagnostic::error(
                            Code::InvalidValue,
                            format!("replacement target `{}` is not a JSON pointer", r.target),
                        )
                        .at(self.at(d, &format!("{}/target", r.path)))
                        .hint("JSON pointers start with `/`, e.g. `/pet/id`"),
                    );
                    return None;
                }
                ReplacementTarget::Pointer(r.target.clone())
            }
        };
        let value = self.value(d, &r.value, &format!("{}/value", r.path), selectors)?;
        Some(ReplacementPlan { target, value })
    }

    /// Compiles `outputs` (at `pointer`). An output is a runtime expression or
    /// a Selector Object: a string that starts with `$` and is none is an
    /// error, other literal text a warning.
    pub(super) fn outputs(
        &mut self,
        d: usize,
        outputs: &IndexMap<String, Value>,
        pointer: &str,
    ) -> Vec<OutputPlan> {
        // Selector Objects are unambiguous in outputs (an output is otherwise a string).
        let selectors = true;
        outputs
            .iter()
            .filter_map(|(name, v)| {
                let p = format!("{pointer}/{}", escape_token(name));
                if !v.is_string() && !arazzo_model::parse::is_selector_object(v) {
                    return None;
                }
                let value = self.value_in(d, v, &p, selectors, true)?;
                if let (Value::String(s), true) = (v, value.is_literal())
                    && !self.literal_output(d, name, s, &p)
                {
                    return None;
                }
                Some(OutputPlan {
                    name: name.clone(),
                    value,
                })
            })
            .collect()
    }

    /// Reports an output that compiled to the literal text `s`: an error when
    /// it starts with `$` (`$body#/id`, `$5`: meant as an expression, and not
    /// one), else a warning. False when it is an error.
    fn literal_output(&mut self, d: usize, name: &str, s: &str, p: &str) -> bool {
        if s.starts_with('$')
            && let Err(e) = arazzo_expr::parse_expression(s)
        {
            let mut diag = Diagnostic::error(
                Code::ExpressionSyntax,
                format!("output `{name}` is not a runtime expression: {}", e.message),
            )
            .at(self.inside(d, p, s, &e.span))
            .label(e.message.clone());
            diag = diag.hint(e.hint.clone().unwrap_or_else(|| {
                "an output is a runtime expression such as `$response.body#/id`".to_string()
            }));
            self.diags.push(diag);
            return false;
        }
        self.diags.push(
            Diagnostic::warning(
                Code::ExpressionSyntax,
                format!("output `{name}` is the literal text `{s}`, not a runtime expression"),
            )
            .at(self.at(d, p))
            .hint("outputs are usually expressions such as `$response.body#/id`"),
        );
        true
    }
}
