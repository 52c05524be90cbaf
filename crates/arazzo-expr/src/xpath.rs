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

use serde_json::Value;

/// The XPath versions the Expression Type Object allows.
pub(crate) const VERSIONS: &[&str] = &["xpath-31", "xpath-30", "xpath-20", "xpath-10"];

#[cfg(feature = "xpath")]
mod imp {
    use serde_json::Value;
    use xee_xpath::{Atomic, Documents, Item, Queries, Query};

    fn compile_err(e: impl std::fmt::Display, q: &str) -> String {
        format!("invalid XPath `{q}`: {e}")
    }

    pub(crate) fn check(q: &str) -> Result<(), String> {
        super::check_query(q)?;
        let queries = Queries::default();
        queries
            .sequence(q)
            .map(|_| ())
            .map_err(|e| compile_err(e, q))
    }

    fn run<T>(
        q: &str,
        xml: &str,
        f: impl FnOnce(&mut Documents, xee_xpath::Sequence) -> Result<T, String>,
    ) -> Result<T, String> {
        super::check_query(q)?;
        super::check_input(xml)?;
        let queries = Queries::default();
        let query = queries.sequence(q).map_err(|e| compile_err(e, q))?;
        let mut documents = Documents::new();
        let doc = documents
            .add_string_without_uri(xml)
            .map_err(|e| format!("the context is not well-formed XML: {e}"))?;
        let seq = query
            .execute(&mut documents, doc)
            .map_err(|e| format!("XPath `{q}` failed: {e}"))?;
        f(&mut documents, seq)
    }

    pub(crate) fn truth(q: &str, xml: &str) -> Result<bool, String> {
        run(q, xml, |_, seq| {
            seq.effective_boolean_value()
                .map_err(|e| format!("XPath `{q}` has no effective boolean value: {e}"))
        })
    }

    pub(crate) fn select(q: &str, xml: &str) -> Result<Vec<Value>, String> {
        run(q, xml, |documents, seq| {
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

    const OFF: &str =
        "XPath support is not compiled in (enable the `xpath` feature of arazzo-expr)";

    pub(crate) fn check(q: &str) -> Result<(), String> {
        super::check_query(q)?;
        Err(OFF.into())
    }
    pub(crate) fn truth(q: &str, xml: &str) -> Result<bool, String> {
        check(q)?;
        super::check_input(xml)?;
        Err(OFF.into())
    }
    pub(crate) fn select(q: &str, xml: &str) -> Result<Vec<Value>, String> {
        check(q)?;
        super::check_input(xml)?;
        Err(OFF.into())
    }
}

/// Refuses a query over the XPath nesting or length limit, before `xee` parses it.
fn check_query(q: &str) -> Result<(), String> {
    crate::limits::check_xpath(q).map_err(|e| format!("XPath `{}`: {}", shorten(q), e.message))
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
pub(crate) fn truth(q: &str, xml: &str) -> Result<bool, String> {
    imp::truth(q, xml)
}

/// The items `q` selects from `xml`, as JSON: atomic values keep their type (boolean,
/// number, string), nodes give their string value.
pub(crate) fn select(q: &str, xml: &str) -> Result<Vec<Value>, String> {
    imp::select(q, xml)
}
