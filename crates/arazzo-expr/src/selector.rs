//! Arazzo 1.1 Selector Objects: JSONPath, XPath or JSON Pointer applied to a context.

use serde_json::Value;

use crate::condition::Operand;
use crate::context::Context;
use crate::criterion::{CriterionError, jsonpath_version, xpath_version};
use crate::error::{EvalError, EvalErrorKind};
use crate::pointer::{JsonPointer, describe_type};
use crate::{jsonpath, xpath};

/// The `type` of a Selector Object: a keyword or an Expression Type Object.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SelectorType {
    /// `jsonpath` (`rfc9535` or `draft-goessner-dispatch-jsonpath-00`).
    JsonPath {
        /// The version, if given.
        version: Option<String>,
    },
    /// `xpath` (`xpath-31`, `xpath-30`, `xpath-20`, `xpath-10`).
    XPath {
        /// The version, if given.
        version: Option<String>,
    },
    /// `jsonpointer` (`rfc6901`).
    JsonPointer {
        /// The version, if given.
        version: Option<String>,
    },
}

impl SelectorType {
    /// Reads a Selector `type` field: a keyword string or an Expression Type Object.
    pub fn from_value(v: &Value) -> Result<SelectorType, CriterionError> {
        let (ty, version) = match v {
            Value::String(s) => (s.as_str(), None),
            Value::Object(m) => (
                m.get("type").and_then(Value::as_str).unwrap_or(""),
                m.get("version").and_then(Value::as_str).map(str::to_owned),
            ),
            other => return Err(CriterionError::UnknownType(other.to_string())),
        };
        match ty {
            "jsonpath" => Ok(SelectorType::JsonPath { version }),
            "xpath" => Ok(SelectorType::XPath { version }),
            "jsonpointer" => Ok(SelectorType::JsonPointer { version }),
            other => Err(CriterionError::UnknownType(other.to_owned())),
        }
    }
}

#[derive(Debug, Clone)]
enum Kind {
    JsonPath {
        path: jsonpath::Compiled,
        singular: bool,
    },
    XPath(String),
    JsonPointer(JsonPointer),
}

/// A compiled Selector Object.
///
/// Results: a JSON Pointer gives the value it designates; a singular JSONPath query
/// (only names and indices) gives the selected value, any other JSONPath query an array
/// of the selected values; XPath gives one value for one item, else an array (nodes as
/// their string value, atomic values with their type). Selecting nothing is an error.
#[derive(Debug, Clone)]
pub struct Selector {
    context_source: String,
    context: Operand,
    selector: String,
    kind: Kind,
}

impl PartialEq for Selector {
    fn eq(&self, other: &Self) -> bool {
        self.context == other.context && self.selector == other.selector
    }
}

impl Selector {
    /// Compiles a Selector Object. An invalid context, type, version or query is an
    /// error (a selector must produce a value).
    pub fn compile(
        context: &str,
        selector: &str,
        ty: &SelectorType,
    ) -> Result<Selector, CriterionError> {
        let operand = crate::parser::operand(context).map_err(CriterionError::Context)?;
        let kind = match ty {
            SelectorType::JsonPath { version } => {
                jsonpath_version(version.as_deref())?;
                let path = jsonpath::compile(selector).map_err(CriterionError::InvalidQuery)?;
                Kind::JsonPath {
                    path,
                    singular: jsonpath::is_singular(selector),
                }
            }
            SelectorType::XPath { version } => {
                xpath_version(version.as_deref())?;
                xpath::check(selector).map_err(CriterionError::InvalidQuery)?;
                Kind::XPath(selector.to_owned())
            }
            SelectorType::JsonPointer { version } => {
                match version.as_deref() {
                    None | Some("rfc6901") => {}
                    Some(other) => {
                        return Err(CriterionError::UnknownVersion {
                            ty: "jsonpointer",
                            version: other.to_owned(),
                            allowed: &["rfc6901"],
                        });
                    }
                }
                let p = JsonPointer::parse(selector).map_err(|(_, m)| {
                    CriterionError::InvalidQuery(format!("invalid JSON pointer `{selector}`: {m}"))
                })?;
                Kind::JsonPointer(p)
            }
        };
        Ok(Selector {
            context_source: context.to_owned(),
            context: operand,
            selector: selector.to_owned(),
            kind,
        })
    }

    /// The parsed context.
    pub fn context(&self) -> &Operand {
        &self.context
    }

    /// The context as written.
    pub fn context_source(&self) -> &str {
        &self.context_source
    }

    /// The selector string.
    pub fn selector(&self) -> &str {
        &self.selector
    }

    /// Evaluates the selector. An absent context is an absent error (so a payload
    /// member built from it can be left out); selecting nothing is a selector error.
    pub fn evaluate(&self, ctx: &dyn Context) -> Result<Value, EvalError> {
        let value = self.context.resolve(ctx)?;
        let nothing = || {
            EvalError::new(
                EvalErrorKind::Selector,
                format!(
                    "selector `{}` selected nothing in {}",
                    self.selector, self.context_source
                ),
            )
        };
        match &self.kind {
            Kind::JsonPointer(p) => p.resolve(value).map(|v| v.into_owned()).map_err(|reason| {
                EvalError::new(
                    EvalErrorKind::Selector,
                    format!(
                        "selector `{}` on {}: {reason}",
                        self.selector, self.context_source
                    ),
                )
            }),
            Kind::JsonPath { path, singular } => {
                let nodes = jsonpath::select(path, &value).map_err(|e| {
                    EvalError::new(
                        EvalErrorKind::Limit,
                        format!("selector on {}: {e}", self.context_source),
                    )
                })?;
                if *singular {
                    nodes.first().map(|v| (*v).clone()).ok_or_else(nothing)
                } else {
                    Ok(Value::Array(nodes.into_iter().cloned().collect()))
                }
            }
            Kind::XPath(q) => {
                let Value::String(xml) = &*value else {
                    return Err(EvalError::new(
                        EvalErrorKind::Type,
                        format!(
                            "XPath selector needs XML text, but {} is {}",
                            self.context_source,
                            describe_type(&value)
                        ),
                    ));
                };
                xpath::check_input(xml).map_err(|e| {
                    EvalError::new(
                        EvalErrorKind::Limit,
                        format!(
                            "selector `{}` on {}: {e}",
                            self.selector, self.context_source
                        ),
                    )
                })?;
                let mut items = xpath::select(q, xml).map_err(|e| match e {
                    xpath::Failure::Limit(m) => EvalError::new(
                        EvalErrorKind::Limit,
                        format!(
                            "selector `{}` on {}: {m}",
                            self.selector, self.context_source
                        ),
                    ),
                    xpath::Failure::Query(m) => EvalError::new(EvalErrorKind::Selector, m),
                })?;
                match items.len() {
                    0 => Err(nothing()),
                    1 => Ok(items.pop().unwrap_or(Value::Null)),
                    _ => Ok(Value::Array(items)),
                }
            }
        }
    }
}
