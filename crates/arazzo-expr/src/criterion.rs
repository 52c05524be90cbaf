//! Criterion Objects: `simple`, `regex`, `jsonpath` and `xpath` conditions, and the
//! Expression Type Object.

use std::fmt;
use std::sync::{Arc, Mutex};

use serde_json::Value;

use crate::condition::{Condition, Operand, Verdict};
use crate::context::Context;
use crate::ecma_regex::EcmaRegex;
use crate::error::ParseError;
use crate::limits::{self, Lang};
use crate::parser::ROOT_NAMES;
use crate::stringify::{describe_value, stringify};
use crate::template::Template;
use crate::{jsonpath, xpath};

/// The `type` of a Criterion Object: a keyword or an Expression Type Object.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum CriterionType {
    /// `simple` (also when `type` is omitted).
    #[default]
    Simple,
    /// `regex`: an ECMAScript pattern searched in the stringified context.
    Regex,
    /// `jsonpath`, with the Expression Type Object's `version` if given.
    JsonPath {
        /// `rfc9535` (default) or `draft-goessner-dispatch-jsonpath-00`.
        version: Option<String>,
    },
    /// `xpath`, with the Expression Type Object's `version` if given.
    XPath {
        /// `xpath-31` (default), `xpath-30`, `xpath-20` or `xpath-10`.
        version: Option<String>,
    },
}

impl CriterionType {
    /// Reads a Criterion `type` field as found in a document: absent, a keyword string,
    /// or an Expression Type Object `{type, version}`.
    pub fn from_value(v: Option<&Value>) -> Result<CriterionType, CriterionError> {
        match v {
            None | Some(Value::Null) => Ok(CriterionType::Simple),
            Some(Value::String(s)) => match s.as_str() {
                "simple" => Ok(CriterionType::Simple),
                "regex" => Ok(CriterionType::Regex),
                "jsonpath" => Ok(CriterionType::JsonPath { version: None }),
                "xpath" => Ok(CriterionType::XPath { version: None }),
                other => Err(CriterionError::UnknownType(other.to_owned())),
            },
            Some(Value::Object(m)) => {
                let version = match m.get("version") {
                    None | Some(Value::Null) => None,
                    Some(Value::String(v)) => Some(v.clone()),
                    Some(other) => {
                        return Err(CriterionError::UnknownVersion {
                            ty: "expression type",
                            version: other.to_string(),
                            allowed: &[],
                        });
                    }
                };
                match m.get("type").and_then(Value::as_str) {
                    Some("jsonpath") => Ok(CriterionType::JsonPath { version }),
                    Some("xpath") => Ok(CriterionType::XPath { version }),
                    Some(other) => Err(CriterionError::UnknownType(other.to_owned())),
                    None => Err(CriterionError::UnknownType(
                        "an Expression Type Object without a `type`".into(),
                    )),
                }
            }
            Some(other) => Err(CriterionError::UnknownType(other.to_string())),
        }
    }

    /// The keyword (`simple`, `regex`, `jsonpath`, `xpath`).
    pub fn keyword(&self) -> &'static str {
        match self {
            CriterionType::Simple => "simple",
            CriterionType::Regex => "regex",
            CriterionType::JsonPath { .. } => "jsonpath",
            CriterionType::XPath { .. } => "xpath",
        }
    }
}

/// Why a criterion (or selector) could not be compiled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CriterionError {
    /// A syntax error in a `simple` condition, or in an embedded `{$…}` of a regex,
    /// JSONPath or XPath condition, or a condition over a limit of [`crate::limits`]
    /// (nesting, XPath length; see [`ParseError::kind`]). The span is into the
    /// `condition` string.
    Condition(ParseError),
    /// The `context` is not a runtime expression. The span is into the `context` string.
    Context(ParseError),
    /// `regex`, `jsonpath` and `xpath` criteria need a `context`.
    MissingContext {
        /// The criterion type.
        ty: &'static str,
    },
    /// A `type` other than `simple`, `regex`, `jsonpath`, `xpath` (or, for selectors,
    /// `jsonpath`, `xpath`, `jsonpointer`).
    UnknownType(String),
    /// A `version` the Expression Type Object does not allow for this type.
    UnknownVersion {
        /// The type.
        ty: &'static str,
        /// The version given.
        version: String,
        /// The versions allowed.
        allowed: &'static [&'static str],
    },
    /// A selector query that does not compile (selectors must produce a value, so an
    /// invalid one is rejected at load time).
    InvalidQuery(String),
}

impl fmt::Display for CriterionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CriterionError::Condition(e) => write!(f, "invalid condition: {}", e.message),
            CriterionError::Context(e) => write!(f, "invalid context: {}", e.message),
            CriterionError::MissingContext { ty } => {
                write!(
                    f,
                    "a `{ty}` criterion needs a `context` (e.g. `$response.body`)"
                )
            }
            CriterionError::UnknownType(t) => write!(f, "unknown criterion type `{t}`"),
            CriterionError::UnknownVersion {
                ty,
                version,
                allowed,
            } => {
                write!(f, "unknown {ty} version `{version}`")?;
                if !allowed.is_empty() {
                    write!(f, "; expected one of {}", allowed.join(", "))?;
                }
                Ok(())
            }
            CriterionError::InvalidQuery(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for CriterionError {}

/// Which JSONPath specification a query follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonPathVersion {
    /// RFC 9535 (the default).
    Rfc9535,
    /// `draft-goessner-dispatch-jsonpath-00`, evaluated by the RFC 9535 engine (see
    /// docs/semantics.md for the differences).
    Goessner,
}

pub(crate) fn jsonpath_version(v: Option<&str>) -> Result<JsonPathVersion, CriterionError> {
    match v {
        None | Some("rfc9535") => Ok(JsonPathVersion::Rfc9535),
        Some("draft-goessner-dispatch-jsonpath-00") => Ok(JsonPathVersion::Goessner),
        Some(other) => Err(CriterionError::UnknownVersion {
            ty: "jsonpath",
            version: other.to_owned(),
            allowed: jsonpath::VERSIONS,
        }),
    }
}

pub(crate) fn xpath_version(v: Option<&str>) -> Result<&'static str, CriterionError> {
    match v {
        None => Ok("xpath-31"),
        Some(v) => xpath::VERSIONS
            .iter()
            .find(|x| **x == v)
            .copied()
            .ok_or_else(|| CriterionError::UnknownVersion {
                ty: "xpath",
                version: v.to_owned(),
                allowed: xpath::VERSIONS,
            }),
    }
}

/// Substituted queries are compiled lazily and cached (per criterion, most recent first).
const QUERY_CACHE: usize = 8;

/// A substituted query text and its compiled form (or why it does not compile).
type CacheEntry<T> = (String, Result<Arc<T>, String>);

/// A regex, JSONPath or XPath query: fixed, or with embedded `{$…}` substituted before
/// each evaluation.
enum Query<T> {
    Fixed(Result<Arc<T>, String>),
    Templated {
        template: Template,
        cache: Mutex<Vec<CacheEntry<T>>>,
    },
}

impl<T> Clone for Query<T> {
    fn clone(&self) -> Self {
        match self {
            Query::Fixed(r) => Query::Fixed(r.clone()),
            // A clone starts with its own, empty cache.
            Query::Templated { template, .. } => Query::Templated {
                template: template.clone(),
                cache: Mutex::new(Vec::new()),
            },
        }
    }
}

impl<T> Query<T> {
    fn new(
        condition: &str,
        compile: impl Fn(&str) -> Result<T, String>,
    ) -> Result<Query<T>, CriterionError> {
        if has_embedded_expression(condition) {
            let template = Template::parse(condition).map_err(CriterionError::Condition)?;
            Ok(Query::Templated {
                template,
                cache: Mutex::new(Vec::new()),
            })
        } else {
            Ok(Query::Fixed(compile(condition).map(Arc::new)))
        }
    }

    fn problem(&self) -> Option<&str> {
        match self {
            Query::Fixed(Err(e)) => Some(e),
            _ => None,
        }
    }

    /// The compiled query for this evaluation, and the query text used.
    fn get(
        &self,
        ctx: &dyn Context,
        compile: impl Fn(&str) -> Result<T, String>,
    ) -> Result<(Arc<T>, Option<String>), String> {
        match self {
            Query::Fixed(r) => r.clone().map(|q| (q, None)),
            Query::Templated { template, cache } => {
                let text = template
                    .evaluate_to_string(ctx)
                    .map_err(|e| format!("cannot substitute the condition's expressions: {e}"))?;
                let mut guard = match cache.lock() {
                    Ok(g) => g,
                    Err(poisoned) => poisoned.into_inner(),
                };
                if let Some(i) = guard.iter().position(|(k, _)| *k == text) {
                    let entry = guard.remove(i);
                    let result = entry.1.clone();
                    guard.insert(0, entry);
                    return result.map(|q| (q, Some(text)));
                }
                let compiled = compile(&text).map(Arc::new);
                guard.insert(0, (text.clone(), compiled.clone()));
                guard.truncate(QUERY_CACHE);
                compiled.map(|q| (q, Some(text)))
            }
        }
    }
}

/// True when `s` contains `{$` followed by a runtime expression root, so that a regex
/// such as `^\{$` is not mistaken for an embedded expression.
pub(crate) fn has_embedded_expression(s: &str) -> bool {
    s.match_indices("{$").any(|(i, _)| {
        let rest = &s[i + 2..];
        ROOT_NAMES.iter().any(|r| {
            rest.starts_with(r) && !rest[r.len()..].starts_with(|c: char| c.is_ascii_alphanumeric())
        })
    })
}

#[derive(Clone)]
enum Kind {
    Simple(Condition),
    Regex(Query<EcmaRegex>),
    JsonPath(Query<jsonpath::Compiled>, JsonPathVersion),
    XPath(Query<String>, &'static str),
}

/// A compiled Criterion Object.
///
/// Compilation rejects what is wrong in Arazzo's own languages (condition syntax,
/// `context`, `{$…}` embedding, type and version). A regex, JSONPath or XPath query that
/// does not compile is kept: the spec says such a criterion evaluates to *fail*, so
/// evaluation fails with the reason, and [`Criterion::query_problem`] lets a validator
/// warn about it ahead of time.
#[derive(Clone)]
pub struct Criterion {
    condition: String,
    context: Option<(String, Operand)>,
    ty: CriterionType,
    kind: Kind,
}

impl fmt::Debug for Criterion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Criterion")
            .field("condition", &self.condition)
            .field("context", &self.context.as_ref().map(|c| &c.0))
            .field("type", &self.ty)
            .finish()
    }
}

impl Criterion {
    /// Compiles a Criterion Object from its `condition`, `context` and `type`.
    pub fn compile(
        condition: &str,
        context: Option<&str>,
        ty: &CriterionType,
    ) -> Result<Criterion, CriterionError> {
        let context = match context {
            None => None,
            Some(c) => Some((
                c.to_owned(),
                crate::parser::operand(c).map_err(CriterionError::Context)?,
            )),
        };
        let needs_context = |ty: &'static str| {
            if context.is_none() {
                Err(CriterionError::MissingContext { ty })
            } else {
                Ok(())
            }
        };
        let kind = match ty {
            CriterionType::Simple => {
                Kind::Simple(Condition::parse(condition).map_err(CriterionError::Condition)?)
            }
            CriterionType::Regex => {
                needs_context("regex")?;
                limits::check_nesting(condition, Lang::Regex, "regular expression")
                    .map_err(CriterionError::Condition)?;
                Kind::Regex(Query::new(condition, EcmaRegex::new)?)
            }
            CriterionType::JsonPath { version } => {
                let v = jsonpath_version(version.as_deref())?;
                needs_context("jsonpath")?;
                limits::check_nesting(condition, Lang::JsonPath, "JSONPath query")
                    .map_err(CriterionError::Condition)?;
                Kind::JsonPath(Query::new(condition, jsonpath::compile)?, v)
            }
            CriterionType::XPath { version } => {
                let v = xpath_version(version.as_deref())?;
                needs_context("xpath")?;
                xpath::check_bounds(condition).map_err(CriterionError::Condition)?;
                Kind::XPath(
                    Query::new(condition, |q| xpath::check(q).map(|()| q.to_owned()))?,
                    v,
                )
            }
        };
        Ok(Criterion {
            condition: condition.to_owned(),
            context,
            ty: ty.clone(),
            kind,
        })
    }

    /// The condition string.
    pub fn condition(&self) -> &str {
        &self.condition
    }

    /// The criterion type.
    pub fn criterion_type(&self) -> &CriterionType {
        &self.ty
    }

    /// The version the query is evaluated as (`rfc9535`,
    /// `draft-goessner-dispatch-jsonpath-00`, `xpath-31`, …); `None` for `simple` and
    /// `regex`.
    pub fn effective_version(&self) -> Option<&'static str> {
        match &self.kind {
            Kind::JsonPath(_, JsonPathVersion::Rfc9535) => Some("rfc9535"),
            Kind::JsonPath(_, JsonPathVersion::Goessner) => {
                Some("draft-goessner-dispatch-jsonpath-00")
            }
            Kind::XPath(_, v) => Some(v),
            _ => None,
        }
    }

    /// The parsed `context`, if any.
    pub fn context(&self) -> Option<&Operand> {
        self.context.as_ref().map(|(_, o)| o)
    }

    /// The parsed condition of a `simple` criterion.
    pub fn simple_condition(&self) -> Option<&Condition> {
        match &self.kind {
            Kind::Simple(c) => Some(c),
            _ => None,
        }
    }

    /// The embedded-expression template of a regex/JSONPath/XPath condition, if it has
    /// `{$…}` expressions.
    pub fn condition_template(&self) -> Option<&Template> {
        let q = match &self.kind {
            Kind::Simple(_) => return None,
            Kind::Regex(Query::Templated { template, .. })
            | Kind::JsonPath(Query::Templated { template, .. }, _)
            | Kind::XPath(Query::Templated { template, .. }, _) => template,
            _ => return None,
        };
        Some(q)
    }

    /// A regex, JSONPath or XPath query that cannot compile: the criterion will always
    /// fail with this reason. `None` when the query compiled or is substituted at run
    /// time.
    pub fn query_problem(&self) -> Option<&str> {
        match &self.kind {
            Kind::Simple(_) => None,
            Kind::Regex(q) => q.problem(),
            Kind::JsonPath(q, _) => q.problem(),
            Kind::XPath(q, _) => q.problem(),
        }
    }

    /// Evaluates the criterion. It never errors and never aborts a run: a problem is a
    /// failing [`Verdict`] with a reason.
    pub fn evaluate(&self, ctx: &dyn Context) -> Verdict {
        let kind = match &self.kind {
            Kind::Simple(c) => return c.evaluate(ctx),
            k => k,
        };
        let Some((ctx_src, operand)) = &self.context else {
            return Verdict::error("this criterion has no `context`");
        };
        let value = match operand.resolve(ctx) {
            Ok(v) => v,
            Err(e) => return Verdict::fail(format!("context `{ctx_src}` is absent: {e}")),
        };
        if value.is_null() {
            return Verdict::fail(format!("context `{ctx_src}` is null"));
        }
        match kind {
            Kind::Simple(_) => Verdict::error("internal: simple criterion"),
            Kind::Regex(q) => {
                let (re, text) = match q.get(ctx, EcmaRegex::new) {
                    Ok(x) => x,
                    Err(e) => return Verdict::error(e),
                };
                let pattern = text.as_deref().unwrap_or(re.as_str());
                let hay = stringify(&value);
                match re.is_match(&hay) {
                    Ok(true) => Verdict::pass(),
                    Ok(false) => Verdict::fail(format!(
                        "`{pattern}` does not match {ctx_src} ({})",
                        describe_value(&Value::String(hay.into_owned()))
                    )),
                    Err(e) => Verdict::error(format!("regex `{pattern}` on {ctx_src}: {e}")),
                }
            }
            Kind::JsonPath(q, _) => {
                let (path, text) = match q.get(ctx, jsonpath::compile) {
                    Ok(x) => x,
                    Err(e) => return Verdict::error(e),
                };
                let query = text.unwrap_or_else(|| self.condition.clone());
                let selected = jsonpath::select(&path, &value).map(|n| !n.is_empty());
                let selected = match selected {
                    Ok(false) => jsonpath::filters_root_object(&path, &query, &value),
                    other => other,
                };
                match selected {
                    Ok(true) => Verdict::pass(),
                    Ok(false) => Verdict::fail(format!(
                        "JSONPath `{query}` selected no nodes in {ctx_src} ({})",
                        describe_value(&value)
                    )),
                    Err(e) => Verdict::error(format!("on {ctx_src}: {e}")),
                }
            }
            Kind::XPath(q, _) => {
                let (query, _) = match q.get(ctx, |q| xpath::check(q).map(|()| q.to_owned())) {
                    Ok(x) => x,
                    Err(e) => return Verdict::error(e),
                };
                let Value::String(xml) = &*value else {
                    return Verdict::error(format!(
                        "XPath needs XML text, but context `{ctx_src}` is {}",
                        crate::pointer::describe_type(&value)
                    ));
                };
                match xpath::truth(&query, xml) {
                    Ok(true) => Verdict::pass(),
                    Ok(false) => Verdict::fail(format!("XPath `{query}` is false for {ctx_src}")),
                    Err(e) => Verdict::error(e.into_message()),
                }
            }
        }
    }
}
