//! Criteria and expression types.

use serde_json::{Map, Value};

use super::fields::*;
use super::{Parser, describe, join};
use crate::diag::Code;
use crate::load::Part;
use crate::model::*;

impl Parser<'_> {
    pub(super) fn criteria(
        &mut self,
        m: &Map<String, Value>,
        path: &str,
        field: &str,
    ) -> Vec<Criterion> {
        self.list(m, path, field)
            .into_iter()
            .filter_map(|(p, v)| self.criterion(v, p))
            .collect()
    }

    fn criterion(&mut self, v: &Value, path: String) -> Option<Criterion> {
        let what = "a criterion";
        let m = self.object(v, &path, what)?;
        self.check_fields(m, &path, what, CRITERION_FIELDS);
        let condition = self.req_string(m, &path, "condition", what);
        let context = self.opt_string(m, &path, "context");
        let (kind, explicit_type) = match m.get("type") {
            Some(t) => (
                self.expression_type(
                    t,
                    &join(&path, "type"),
                    &["simple", "regex", "jsonpath", "xpath"],
                )
                .unwrap_or_default(),
                true,
            ),
            None => (ExpressionType::Simple, false),
        };
        if explicit_type && context.is_none() {
            let d = self
                .diag(
                    Code::CriterionContext,
                    &join(&path, "type"),
                    Part::Key,
                    format!("a `{}` criterion needs a `context`", kind.name()),
                )
                .hint(match kind {
                    ExpressionType::Simple => {
                        "add `context` (e.g. `$response.body`) or remove `type: simple`, which is the default"
                    }
                    _ => "add `context`, e.g. `context: $response.body`",
                });
            self.push(d);
        }
        Some(Criterion {
            context,
            condition,
            kind,
            explicit_type,
            extensions: Self::extensions(m),
            path,
        })
    }

    /// Reads a `type`: a string, or an Expression Type Object `{type, version}`.
    pub(super) fn expression_type(
        &mut self,
        v: &Value,
        path: &str,
        allowed: &[&str],
    ) -> Option<ExpressionType> {
        let (name, version) = match v {
            Value::String(s) => (s.clone(), None),
            Value::Object(m) => {
                self.check_fields(m, path, "an expression type", EXPRESSION_TYPE_FIELDS);
                let name = self.req_string(m, path, "type", "an expression type");
                let version = self.opt_string(m, path, "version");
                if let Some(ver) = &version {
                    let known: &[&str] = match name.as_str() {
                        "jsonpath" => &["rfc9535", "draft-goessner-dispatch-jsonpath-00"],
                        "xpath" => &["xpath-31", "xpath-30", "xpath-20", "xpath-10"],
                        "jsonpointer" => &["rfc6901"],
                        _ => &[],
                    };
                    if !known.is_empty() && !known.contains(&ver.as_str()) {
                        let d = self
                            .diag(
                                Code::InvalidValue,
                                &join(path, "version"),
                                Part::Value,
                                format!("unknown {name} version `{ver}`"),
                            )
                            .hint(format!(
                                "use one of {}",
                                known
                                    .iter()
                                    .map(|k| format!("`{k}`"))
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ));
                        self.push(d);
                    } else if self.version < V1
                        && matches!(ver.as_str(), "rfc9535" | "xpath-31" | "rfc6901")
                    {
                        // 1.0's Criterion Expression Type Object lists only the
                        // non-default versions; these values arrived in 1.1.
                        let d = self
                            .warn(
                                Code::VersionMismatch,
                                &join(path, "version"),
                                Part::Value,
                                format!("`{ver}` is an Arazzo 1.1 value; 1.0 defines only non-default versions here"),
                            )
                            .hint("omit the Expression Type Object to get the default, or declare `arazzo: 1.1.0`");
                        self.push(d);
                    }
                }
                (name, version)
            }
            other => {
                let d = self.diag(
                    Code::WrongType,
                    path,
                    Part::Value,
                    format!(
                        "`type` must be a string or an expression type object, found {}",
                        describe(other)
                    ),
                );
                self.push(d);
                return None;
            }
        };
        let kind = match name.as_str() {
            "simple" => ExpressionType::Simple,
            "regex" => ExpressionType::Regex,
            "jsonpath" => ExpressionType::JsonPath(version),
            "xpath" => ExpressionType::XPath(version),
            "jsonpointer" => ExpressionType::JsonPointer(version),
            _ => {
                let d = self
                    .diag(
                        Code::InvalidValue,
                        path,
                        Part::Value,
                        format!("unknown expression type `{name}`"),
                    )
                    .hint(format!(
                        "use one of {}",
                        allowed
                            .iter()
                            .map(|k| format!("`{k}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                self.push(d);
                return None;
            }
        };
        if !allowed.contains(&kind.name()) {
            let d = self
                .diag(
                    Code::InvalidValue,
                    path,
                    Part::Value,
                    format!("`{}` is not allowed here", kind.name()),
                )
                .hint(format!(
                    "use one of {}",
                    allowed
                        .iter()
                        .map(|k| format!("`{k}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            self.push(d);
        }
        Some(kind)
    }
}
