//! XPath criteria and selectors through `xee-xpath` (XPath 3.1).
//!
//! `xee-xpath` has no XPath 1.0 compatibility mode, so every version (`xpath-10`,
//! `xpath-20`, `xpath-30`, `xpath-31`) is evaluated by the 3.1 engine; the differences
//! are listed in docs/semantics.md. Its values are reference-counted (not `Send`), so a
//! query is compiled once at load time to validate it and again for each evaluation.
//!
//! `xee` has no work budget. Its parser backtracks (time doubling with each nesting level)
//! and recurses even on flat chains, so a query is refused above
//! [`MAX_XPATH_NESTING`](crate::limits::MAX_XPATH_NESTING) levels or
//! [`MAX_XPATH_LENGTH`](crate::limits::MAX_XPATH_LENGTH) bytes before `xee` sees it, at
//! load time and at each evaluation (a `{$…}` substitution can change it). The XML it
//! runs on is refused above [`MAX_XPATH_INPUT`](crate::limits::MAX_XPATH_INPUT) bytes or
//! [`MAX_XML_DEPTH`](crate::limits::MAX_XML_DEPTH) levels.
//!
//! Its evaluation cannot be interrupted either. `policy` refuses the constructs whose
//! work has no bound that depends on the XML (walking `xee`'s own parse tree), and
//! `worker` runs each evaluation on a thread it stops waiting for at
//! [`XPATH_TIME_LIMIT`](crate::limits::XPATH_TIME_LIMIT). Parsing runs on a thread with
//! a stack of its own too, so that `xee`'s recursive parser does not depend on the
//! caller's stack.

use serde_json::Value;

/// The XPath versions the Expression Type Object allows.
pub(crate) const VERSIONS: &[&str] = &["xpath-31", "xpath-30", "xpath-20", "xpath-10"];

#[cfg(feature = "xpath")]
mod policy;
#[cfg(feature = "xpath")]
mod worker;

#[cfg(not(feature = "xpath"))]
mod worker {
    /// Why an evaluation produced no value.
    #[derive(Debug)]
    pub(crate) enum Failure {
        /// A bound of [`crate::limits`] was reached.
        Limit(String),
        /// The query failed.
        Query(String),
    }
}

pub(crate) use worker::Failure;

impl Failure {
    /// The message, whatever the kind.
    pub(crate) fn into_message(self) -> String {
        match self {
            Failure::Limit(m) | Failure::Query(m) => m,
        }
    }
}

#[cfg(feature = "xpath")]
mod imp {
    use serde_json::Value;
    use xee_xpath::{Atomic, Documents, Item, Queries, Query};

    use super::{Failure, policy, worker};
    use crate::error::ParseError;

    fn compile_err(e: impl std::fmt::Display, q: &str) -> String {
        format!("invalid XPath `{q}`: {e}")
    }

    /// Why a query is not run.
    enum Problem {
        /// Over a bound, or refused by the policy: with the span.
        Bounds(ParseError),
        /// `xee` does not compile it.
        Compile(String),
    }

    /// Checks the bounds (linear scans, on the caller's stack), then the policy and
    /// `xee`'s compiler (recursive parsers, on a thread with a stack of its own).
    fn analyse(q: &str) -> Result<(), Problem> {
        crate::limits::check_xpath(q).map_err(Problem::Bounds)?;
        let query = q.to_owned();
        worker::on_own_stack(move || {
            let compiled = Queries::default()
                .sequence(query.as_str())
                .map(|_| ())
                .map_err(|e| compile_err(e, &query));
            match (policy::check(&query), compiled) {
                (Err(e), _) => Err(Problem::Bounds(e)),
                (Ok(_), Err(message)) => Err(Problem::Compile(message)),
                (Ok(true), Ok(())) => Ok(()),
                // `xee` accepts what the policy could not see: refuse it.
                (Ok(false), Ok(())) => Err(Problem::Bounds(ParseError::new(
                    "arazzo-run cannot analyse this XPath expression, so it does not run it",
                    0..query.len().max(1),
                ))),
            }
        })
        .unwrap_or_else(|message| Err(Problem::Compile(message)))
    }

    /// The bounds and the policy, with the span of what broke them; a query `xee`
    /// does not compile passes here ([`check`] reports it).
    pub(crate) fn check_bounds(q: &str) -> Result<(), ParseError> {
        match analyse(q) {
            Err(Problem::Bounds(e)) => Err(e),
            _ => Ok(()),
        }
    }

    pub(crate) fn check(q: &str) -> Result<(), String> {
        analyse(q).map_err(|p| match p {
            Problem::Bounds(e) => super::bounds_message(q, &e),
            Problem::Compile(message) => message,
        })
    }

    /// Compiles and evaluates `q` on `xml` on the worker thread; `f` turns the result
    /// into plain values there (`xee`'s values cannot leave the thread). The caller has
    /// passed `q` through [`check`].
    fn run<T: Send + 'static>(
        q: &str,
        xml: &str,
        f: fn(&str, &mut Documents, xee_xpath::Sequence) -> Result<T, String>,
    ) -> Result<T, Failure> {
        super::check_input(xml).map_err(Failure::Limit)?;
        let (q, xml) = (q.to_owned(), xml.to_owned());
        worker::run(move || {
            let queries = Queries::default();
            let query = queries
                .sequence(q.as_str())
                .map_err(|e| Failure::Query(compile_err(e, &q)))?;
            let mut documents = Documents::new();
            let doc = documents
                .add_string_without_uri(&xml)
                .map_err(|e| Failure::Query(format!("the context is not well-formed XML: {e}")))?;
            let seq = query
                .execute(&mut documents, doc)
                .map_err(|e| Failure::Query(format!("XPath `{q}` failed: {e}")))?;
            f(&q, &mut documents, seq).map_err(Failure::Query)
        })
    }

    pub(crate) fn truth(q: &str, xml: &str) -> Result<bool, Failure> {
        run(q, xml, |q, _, seq| {
            seq.effective_boolean_value()
                .map_err(|e| format!("XPath `{q}` has no effective boolean value: {e}"))
        })
    }

    pub(crate) fn select(q: &str, xml: &str) -> Result<Vec<Value>, Failure> {
        run(q, xml, |_, documents, seq| {
            let mut out = Vec::new();
            for item in seq.iter() {
                out.push(item_value(documents, &item)?);
            }
            Ok(out)
        })
    }

    fn item_value(documents: &mut Documents, item: &Item) -> Result<Value, String> {
        if let Item::Atomic(a) = item
            && let Some(v) = atomic_value(a)
        {
            return Ok(v);
        }
        if let Item::Function(_) = item {
            return Err("an XPath selector selected a function".into());
        }
        item.string_value(documents.xot())
            .map(Value::String)
            .map_err(|e| format!("cannot take the string value of an XPath item: {e}"))
    }

    /// Booleans and numbers keep their JSON type; everything else is its string value.
    fn atomic_value(a: &Atomic) -> Option<Value> {
        let number = |text: String| text.parse::<serde_json::Number>().ok().map(Value::Number);
        match a {
            Atomic::Boolean(b) => Some(Value::Bool(*b)),
            Atomic::Integer(_, i) => number(i.to_string()),
            Atomic::Decimal(d) => number(d.to_string()),
            Atomic::Double(d) => serde_json::Number::from_f64(d.into_inner()).map(Value::Number),
            Atomic::Float(f) => {
                serde_json::Number::from_f64(f64::from(f.into_inner())).map(Value::Number)
            }
            _ => None,
        }
    }
}

#[cfg(not(feature = "xpath"))]
mod imp {
    use serde_json::Value;

    use super::Failure;
    use crate::error::ParseError;

    const OFF: &str =
        "XPath support is not compiled in (enable the `xpath` feature of arazzo-expr)";

    pub(crate) fn check_bounds(q: &str) -> Result<(), ParseError> {
        crate::limits::check_xpath(q)
    }
    pub(crate) fn check(q: &str) -> Result<(), String> {
        check_bounds(q).map_err(|e| super::bounds_message(q, &e))?;
        Err(OFF.into())
    }
    pub(crate) fn truth(q: &str, xml: &str) -> Result<bool, Failure> {
        check(q).map_err(Failure::Query)?;
        super::check_input(xml).map_err(Failure::Limit)?;
        Err(Failure::Query(OFF.into()))
    }
    pub(crate) fn select(q: &str, xml: &str) -> Result<Vec<Value>, Failure> {
        check(q).map_err(Failure::Query)?;
        super::check_input(xml).map_err(Failure::Limit)?;
        Err(Failure::Query(OFF.into()))
    }
}

/// A bound or policy error as a message that quotes the query.
fn bounds_message(q: &str, e: &crate::error::ParseError) -> String {
    format!("XPath `{}`: {}", shorten(q), e.message)
}

/// Refuses a query over the XPath bounds of [`crate::limits`] or using a construct the
/// policy refuses (a range, an inline function, `for`, `!`), with the span of the
/// offending text, before `xee` compiles it.
pub(crate) fn check_bounds(q: &str) -> Result<(), crate::error::ParseError> {
    imp::check_bounds(q)
}

/// A query as quoted in a message: its first 80 characters.
fn shorten(q: &str) -> String {
    match q.char_indices().nth(80) {
        Some((i, _)) => format!("{}…", &q[..i]),
        None => q.to_owned(),
    }
}

/// Refuses an XML text over [`MAX_XPATH_INPUT`](crate::limits::MAX_XPATH_INPUT) bytes or
/// nested deeper than [`MAX_XML_DEPTH`](crate::limits::MAX_XML_DEPTH) elements.
pub(crate) fn check_input(xml: &str) -> Result<(), String> {
    use crate::limits::{MAX_XML_DEPTH, MAX_XPATH_INPUT};
    if xml.len() > MAX_XPATH_INPUT {
        return Err(format!(
            "the XML is {} bytes; XPath is evaluated on at most {MAX_XPATH_INPUT} bytes",
            xml.len()
        ));
    }
    let depth = crate::limits::xml_depth(xml);
    if depth > MAX_XML_DEPTH {
        return Err(format!(
            "the XML nests elements {depth} levels deep; XPath is evaluated on at most \
             {MAX_XML_DEPTH} levels"
        ));
    }
    Ok(())
}

/// Compiles a query once to report syntax errors at load time.
pub(crate) fn check(q: &str) -> Result<(), String> {
    imp::check(q)
}

/// The effective boolean value of `q` evaluated against the XML document `xml`.
pub(crate) fn truth(q: &str, xml: &str) -> Result<bool, Failure> {
    imp::truth(q, xml)
}

/// The items `q` selects from `xml`, as JSON: atomic values keep their type (boolean,
/// number, string), nodes give their string value.
pub(crate) fn select(q: &str, xml: &str) -> Result<Vec<Value>, Failure> {
    imp::select(q, xml)
}
