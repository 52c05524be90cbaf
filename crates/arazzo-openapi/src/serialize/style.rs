//! The style engine: RFC 6570 expansions (simple, label, matrix, form) and
//! the OpenAPI-only styles (space/pipe/tab delimited, deepObject, cookie),
//! independent of percent-encoding, which the caller supplies.

use super::error::ValueKind;
use super::location::Style;
use super::value::{Shape, shape, text};
use serde_json::Value;

/// Why a style cannot serialize a value; the caller turns this into a
/// [`SerializeError`](super::SerializeError) that names the parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fail {
    /// The style does not define this explode setting for this value.
    Explode(ValueKind),
    /// The style does not belong to this kind of expansion at all.
    Style,
}

/// How the pieces of an expansion are encoded.
pub(crate) struct Encoders<'a> {
    /// Values (and object keys, as RFC 6570 encodes them like values).
    pub value: &'a dyn Fn(&str) -> String,
    /// The parameter name.
    pub name: &'a dyn Fn(&str) -> String,
    /// Delimiters that must themselves be encoded in a URL (space, `|`,
    /// tab, `[`, `]`); identity where no URL is involved.
    pub delim: &'a dyn Fn(&str) -> String,
}

fn kind_of(shape: &Shape) -> ValueKind {
    match shape {
        Shape::Undefined => ValueKind::Null,
        Shape::Scalar(_) => ValueKind::Primitive,
        Shape::List(_) => ValueKind::Array,
        Shape::Map(_) => ValueKind::Object,
    }
}

fn join_map(map: &[(String, String)], e: &dyn Fn(&str) -> String, sep: &str) -> String {
    map.iter()
        .flat_map(|(k, v)| [e(k), e(v)])
        .collect::<Vec<_>>()
        .join(sep)
}

fn join_list(list: &[String], e: &dyn Fn(&str) -> String, sep: &str) -> String {
    list.iter().map(|s| e(s)).collect::<Vec<_>>().join(sep)
}

/// Expansions that produce one string with no `name=` pairs of their own:
/// `simple`, `label`, `matrix`, and (for Swagger 2.0 path and header
/// parameters) the delimited styles.
pub(crate) fn expand_string(
    name: &str,
    value: &Value,
    style: Style,
    explode: bool,
    enc: &Encoders<'_>,
) -> Result<String, Fail> {
    let shape = shape(value);
    let e = enc.value;
    Ok(match style {
        Style::Simple => match &shape {
            Shape::Undefined => String::new(),
            Shape::Scalar(s) => e(s),
            Shape::List(l) => join_list(l, e, ","),
            Shape::Map(m) if explode => m
                .iter()
                .map(|(k, v)| format!("{}={}", e(k), e(v)))
                .collect::<Vec<_>>()
                .join(","),
            Shape::Map(m) => join_map(m, e, ","),
        },
        Style::Label => match &shape {
            Shape::Undefined => String::new(),
            Shape::Scalar(s) => format!(".{}", e(s)),
            Shape::List(l) => format!(".{}", join_list(l, e, if explode { "." } else { "," })),
            Shape::Map(m) if explode => m
                .iter()
                .map(|(k, v)| format!(".{}={}", e(k), e(v)))
                .collect(),
            Shape::Map(m) => format!(".{}", join_map(m, e, ",")),
        },
        Style::Matrix => {
            let n = (enc.name)(name);
            let named = |key: &str, val: &str| {
                if val.is_empty() {
                    format!(";{key}")
                } else {
                    format!(";{key}={val}")
                }
            };
            match &shape {
                Shape::Undefined => String::new(),
                Shape::Scalar(s) => named(&n, &e(s)),
                Shape::List(l) if explode => l.iter().map(|i| named(&n, &e(i))).collect(),
                Shape::List(l) => named(&n, &join_list(l, e, ",")),
                Shape::Map(m) if explode => m.iter().map(|(k, v)| named(&e(k), &e(v))).collect(),
                Shape::Map(m) => named(&n, &join_map(m, e, ",")),
            }
        }
        Style::SpaceDelimited | Style::PipeDelimited | Style::TabDelimited => {
            let d = (enc.delim)(&style.delimiter().map(String::from).unwrap_or_default());
            match &shape {
                Shape::Undefined => String::new(),
                Shape::Scalar(s) => e(s),
                Shape::List(_) | Shape::Map(_) if explode => {
                    return Err(Fail::Explode(kind_of(&shape)));
                }
                Shape::List(l) => join_list(l, e, &d),
                Shape::Map(m) => join_map(m, e, &d),
            }
        }
        Style::Form | Style::DeepObject | Style::Cookie => return Err(Fail::Style),
    })
}

/// Expansions that produce `name=value` pairs: `form`, the delimited
/// styles, `deepObject` and `cookie`. Names and values come back encoded
/// but not yet joined, so the caller can use `&`, `; ` or multipart parts.
pub(crate) fn expand_pairs(
    name: &str,
    value: &Value,
    style: Style,
    explode: bool,
    enc: &Encoders<'_>,
) -> Result<Vec<(String, String)>, Fail> {
    if style == Style::DeepObject {
        return deep_object(name, value, enc);
    }
    let shape = shape(value);
    let e = enc.value;
    let n = || (enc.name)(name);
    Ok(match style {
        Style::Form | Style::Cookie => match &shape {
            Shape::Undefined => Vec::new(),
            Shape::Scalar(s) => vec![(n(), e(s))],
            Shape::List(l) if explode => l.iter().map(|i| (n(), e(i))).collect(),
            Shape::List(l) => vec![(n(), join_list(l, e, ","))],
            Shape::Map(m) if explode => m.iter().map(|(k, v)| (e(k), e(v))).collect(),
            Shape::Map(m) => vec![(n(), join_map(m, e, ","))],
        },
        Style::SpaceDelimited | Style::PipeDelimited | Style::TabDelimited => {
            let d = (enc.delim)(&style.delimiter().map(String::from).unwrap_or_default());
            match &shape {
                Shape::Undefined => Vec::new(),
                // A lone primitive is a one-item list: there is nothing to
                // delimit (documented fallback for the table's n/a cell).
                Shape::Scalar(s) => vec![(n(), e(s))],
                Shape::List(_) | Shape::Map(_) if explode => {
                    return Err(Fail::Explode(kind_of(&shape)));
                }
                Shape::List(l) => vec![(n(), join_list(l, e, &d))],
                Shape::Map(m) => vec![(n(), join_map(m, e, &d))],
            }
        }
        Style::Matrix | Style::Label | Style::Simple | Style::DeepObject => {
            return Err(Fail::Style);
        }
    })
}

/// `deepObject`: `name[key]=value` for each member. Nested objects recurse
/// (`name[a][b]=v`), arrays inside objects repeat the key
/// (`name[ids]=1&name[ids]=2`), nulls are skipped, and arrays nested in
/// arrays become JSON text. A top-level array is `name[]=v` per item (and
/// `name[i][k]=v` for object items), a top-level primitive `name=v`. The
/// specification leaves all of these undefined; these are the forms common
/// server frameworks (Rails, PHP, Express's `qs`) read back, and the ones
/// published descriptions such as Stripe's rely on (`expand[]=customer`).
fn deep_object(
    name: &str,
    value: &Value,
    enc: &Encoders<'_>,
) -> Result<Vec<(String, String)>, Fail> {
    let mut out = Vec::new();
    let open = (enc.delim)("[");
    let close = (enc.delim)("]");
    let base = (enc.name)(name);
    match value {
        Value::Null => {}
        Value::Object(map) => walk(&base, map, enc, (&open, &close), 0, &mut out),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                match item {
                    Value::Null => {}
                    Value::Object(inner) => {
                        let key = format!("{base}{open}{i}{close}");
                        walk(&key, inner, enc, (&open, &close), 1, &mut out);
                    }
                    other => out.push((format!("{base}{open}{close}"), (enc.value)(&text(other)))),
                }
            }
        }
        other => out.push((base, (enc.value)(&text(other)))),
    }
    Ok(out)
}

/// Nesting beyond this depth is sent as JSON text instead of more brackets,
/// which bounds recursion on hostile input.
const MAX_DEPTH: usize = 32;

fn walk(
    prefix: &str,
    map: &serde_json::Map<String, Value>,
    enc: &Encoders<'_>,
    brackets: (&str, &str),
    depth: usize,
    out: &mut Vec<(String, String)>,
) {
    let (open, close) = brackets;
    for (k, v) in map {
        let key = format!("{prefix}{open}{}{close}", (enc.value)(k));
        match v {
            Value::Null => {}
            Value::Object(inner) if depth < MAX_DEPTH => {
                walk(&key, inner, enc, brackets, depth + 1, out);
            }
            Value::Object(_) => out.push((key, (enc.value)(&text(v)))),
            Value::Array(items) => {
                for item in items.iter().filter(|i| !i.is_null()) {
                    out.push((key.clone(), (enc.value)(&text(item))));
                }
            }
            Value::Bool(_) | Value::Number(_) | Value::String(_) => {
                out.push((key, (enc.value)(&text(v))));
            }
        }
    }
}
