//! Criteria: conditions, their types, and what they tell about the expected response.

use arazzo_expr::{Criterion, CriterionError, CriterionType};
use arazzo_model::model::{Criterion as ModelCriterion, ExpressionType};
use arazzo_model::{Code, Diagnostic};

use super::Compiler;
use crate::plan::*;

impl<'a> Compiler<'a> {
    /// Compiles a criterion; `None` (with diagnostics) when it cannot run.
    pub(super) fn criterion(&mut self, d: usize, c: &ModelCriterion) -> Option<CriterionPlan> {
        let ty = self.criterion_type(d, c)?;
        match Criterion::compile(&c.condition, c.context.as_deref(), &ty) {
            Ok(crit) => Some(self.compiled_criterion(d, c, &ty, crit)),
            Err(e) => {
                self.criterion_error(d, c, &e);
                None
            }
        }
    }

    /// The criterion type of a criterion's `type`; `jsonpointer` is reported.
    fn criterion_type(&mut self, d: usize, c: &ModelCriterion) -> Option<CriterionType> {
        Some(match &c.kind {
            ExpressionType::Simple => CriterionType::Simple,
            ExpressionType::Regex => CriterionType::Regex,
            ExpressionType::JsonPath(v) => CriterionType::JsonPath { version: v.clone() },
            ExpressionType::XPath(v) => CriterionType::XPath { version: v.clone() },
            ExpressionType::JsonPointer(_) => {
                self.diags.push(
                    Diagnostic::error(
                        Code::InvalidValue,
                        "`jsonpointer` is a selector type, not a criterion type",
                    )
                    .at(self.at(d, &format!("{}/type", c.path))),
                );
                return None;
            }
        })
    }

    /// The plan of a criterion that compiled, with warnings about queries
    /// that never match and conditions that are not portable.
    fn compiled_criterion(
        &mut self,
        d: usize,
        c: &ModelCriterion,
        ty: &CriterionType,
        crit: Criterion,
    ) -> CriterionPlan {
        if let Some(plan) = self.js_style_jsonpath(d, c, ty, &crit) {
            return plan;
        }
        if let Some(problem) = crit.query_problem() {
            self.diags.push(
                Diagnostic::warning(
                    Code::CriterionSyntax,
                    format!(
                        "this {} query does not compile, so the criterion always fails: {problem}",
                        ty.keyword()
                    ),
                )
                .at(self.at(d, &format!("{}/condition", c.path))),
            );
        }
        if let Some(cond) = crit.simple_condition() {
            for (span, note) in cond.portability_notes() {
                self.diags.push(
                    Diagnostic::warning(Code::ExpressionSyntax, note.to_string()).at(self.inside(
                        d,
                        &format!("{}/condition", c.path),
                        &c.condition,
                        &span,
                    )),
                );
            }
        }
        CriterionPlan {
            condition: c.condition.clone(),
            criterion: crit,
        }
    }

    /// Many published documents type JavaScript-style comparisons as
    /// `jsonpath` (`$.ok == true`, `$.data.length > 0`). They are not RFC
    /// 9535, but their meaning is plain: run them as the equivalent `simple`
    /// condition on the context, and say so.
    fn js_style_jsonpath(
        &mut self,
        d: usize,
        c: &ModelCriterion,
        ty: &CriterionType,
        crit: &Criterion,
    ) -> Option<CriterionPlan> {
        if crit.query_problem().is_some()
            && matches!(ty, CriterionType::JsonPath { .. })
            && let Some(context) = c.context.as_deref()
            && let Some(simple) = js_comparison(context, &c.condition)
            && let Ok(rewritten) = Criterion::compile(&simple, None, &CriterionType::Simple)
        {
            self.diags.push(
                Diagnostic::warning(
                    Code::CriterionSyntax,
                    format!(
                        "`{}` is not RFC 9535 JSONPath; arazzo-run evaluates it as the simple condition `{simple}`",
                        c.condition
                    ),
                )
                .at(self.at(d, &format!("{}/condition", c.path)))
                .hint(format!("write `condition: {simple}` without `type: jsonpath` to make the document portable")),
            );
            return Some(CriterionPlan {
                condition: c.condition.clone(),
                criterion: rewritten,
            });
        }
        None
    }

    /// Reports why a criterion does not compile (unless the document parser
    /// has already).
    fn criterion_error(&mut self, d: usize, c: &ModelCriterion, e: &CriterionError) {
        match e {
            CriterionError::Context(pe) => {
                let text = c.context.clone().unwrap_or_default();
                self.parse_error(
                    d,
                    &format!("{}/context", c.path),
                    &text,
                    pe,
                    "criterion context",
                );
            }
            CriterionError::Condition(pe) => {
                self.parse_error(
                    d,
                    &format!("{}/condition", c.path),
                    &c.condition,
                    pe,
                    "condition",
                );
            }
            // Reported by the document parser already.
            CriterionError::MissingContext { .. }
            | CriterionError::UnknownType(_)
            | CriterionError::UnknownVersion { .. } => {}
            CriterionError::InvalidQuery(_) => self.diags.push(
                Diagnostic::error(Code::CriterionSyntax, e.to_string())
                    .at(self.at(d, &format!("{}/condition", c.path))),
            ),
        }
    }
}

/// A JavaScript-style "JSONPath" comparison (`$.a.b[0].length > 0`,
/// `$.status == 'pending' || $.status == 'processing'`) as a `simple`
/// condition on `context` (`$response.body.a.b[0].length > 0`): every `$`
/// that starts plain navigation (names, indices, `.length`) becomes the
/// context. `None` when the condition has no comparison, uses real JSONPath
/// (`?`, `@`, `..`, `*`) or navigates in any other way.
fn js_comparison(context: &str, condition: &str) -> Option<String> {
    let c = condition.trim();
    let bytes = c.as_bytes();
    let mut out = String::with_capacity(c.len() + 32);
    let (mut quote, mut rewrote, mut compares) = (None::<u8>, false, false);
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if let Some(q) = quote {
            if b == q {
                quote = None;
            }
        } else {
            match b {
                b'\'' | b'"' => quote = Some(b),
                b'?' | b'@' | b'*' => return None,
                b'=' | b'!' | b'<' | b'>' => compares = true,
                b'$' if matches!(bytes.get(i + 1), Some(b'.' | b'[')) => {
                    let len = navigation(&c[i + 1..])?;
                    out.push_str(context.trim());
                    out.push_str(&c[i + 1..i + 1 + len]);
                    rewrote = true;
                    i += 1 + len;
                    continue;
                }
                _ => {}
            }
        }
        // Copy the whole (possibly multi-byte) character.
        let ch_len = c[i..].chars().next().map_or(1, char::len_utf8);
        out.push_str(&c[i..i + ch_len]);
        i += ch_len;
    }
    (rewrote && compares).then_some(out)
}

/// The length of the plain navigation (`.name`, `[n]`, `['name']`) at the
/// start of `p`; `None` when it is something else (`..`, `.*`, filters).
fn navigation(p: &str) -> Option<usize> {
    let mut at = 0;
    loop {
        let r = &p[at..];
        if let Some(after) = r.strip_prefix('.') {
            let n = after
                .find(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '_' || ch == '-'))
                .unwrap_or(after.len());
            if n == 0 {
                return None;
            }
            at += 1 + n;
        } else if let Some(after) = r.strip_prefix('[') {
            let end = after.find(']')?;
            let inside = &after[..end];
            let ok = (!inside.is_empty() && inside.chars().all(|ch| ch.is_ascii_digit()))
                || (inside.len() >= 2 && inside.starts_with('\'') && inside.ends_with('\''));
            if !ok {
                return None;
            }
            at += end + 2;
        } else {
            return (at > 0).then_some(at);
        }
    }
}

/// `N` from a condition of the form `$statusCode == N` (either side).
pub(super) fn expected_status(condition: &str) -> Option<u16> {
    let c = condition.trim();
    let (l, r) = c.split_once("==")?;
    let (l, r) = (l.trim(), r.trim());
    let n = if l == "$statusCode" {
        r
    } else if r == "$statusCode" {
        l
    } else {
        return None;
    };
    n.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn javascript_style_jsonpath_comparisons() {
        assert_eq!(
            js_comparison("$response.body", "$.data.length > 0").as_deref(),
            Some("$response.body.data.length > 0")
        );
        assert_eq!(
            js_comparison("$response.body", "$.ok == true").as_deref(),
            Some("$response.body.ok == true")
        );
        assert_eq!(
            js_comparison("$response.body", "$.items[0].status == 'done'").as_deref(),
            Some("$response.body.items[0].status == 'done'")
        );
        assert_eq!(js_comparison("$response.body", "$[?@.a == 1]"), None);
        assert_eq!(js_comparison("$response.body", "$..a == 1"), None);
        assert_eq!(js_comparison("$response.body", "$.items"), None);
        assert_eq!(
            js_comparison(
                "$response.body",
                "$.status == 'pending' || $.status == 'processing'"
            )
            .as_deref(),
            Some("$response.body.status == 'pending' || $response.body.status == 'processing'")
        );
        assert_eq!(
            js_comparison("$response.body", "($.n > 1) && $.name != '$.x'").as_deref(),
            Some("($response.body.n > 1) && $response.body.name != '$.x'")
        );
        assert_eq!(
            js_comparison("$response.body", "$.id == $inputs.id").as_deref(),
            Some("$response.body.id == $inputs.id")
        );
        assert_eq!(js_comparison("$response.body", "$.a.* == 1"), None);
    }

    #[test]
    fn expected_status_from_conditions() {
        assert_eq!(expected_status("$statusCode == 201"), Some(201));
        assert_eq!(expected_status("200 == $statusCode"), Some(200));
        assert_eq!(expected_status("$statusCode == 200 && x"), None);
        assert_eq!(expected_status("$response.body#/a == 1"), None);
    }
}
