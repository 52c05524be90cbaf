//! JSONPath (RFC 9535) through `serde_json_path`.

use serde_json::Value;
use serde_json_path::JsonPath;

/// The JSONPath versions the Expression Type Object allows.
pub(crate) const VERSIONS: &[&str] = &["rfc9535", "draft-goessner-dispatch-jsonpath-00"];

/// Compiles an RFC 9535 query. The error explains the position and, for the common
/// JavaScript-style mistakes (`$.ok == true`, `$.items.length > 0`), what to write
/// instead.
pub(crate) fn compile(query: &str) -> Result<JsonPath, String> {
    JsonPath::parse(query).map_err(|e| {
        let mut msg = format!(
            "invalid RFC 9535 JSONPath `{query}` at character {}: {}",
            e.position(),
            e.message()
        );
        if looks_like_comparison(query) {
            msg.push_str(
                "; a JSONPath query selects nodes and has no top-level comparison or \
                 `.length`: filter instead (e.g. `$[?@.status == 'done']`), or use a \
                 `simple` condition such as `$response.body.status == 'done'`",
            );
        }
        msg
    })
}

/// True when the query has an operator outside brackets, or uses `.length`.
fn looks_like_comparison(q: &str) -> bool {
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    let chars: Vec<char> = q.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if let Some(qc) = quote {
            if c == qc {
                quote = None;
            }
            continue;
        }
        match c {
            '\'' | '"' => quote = Some(c),
            '[' | '(' => depth += 1,
            ']' | ')' => depth -= 1,
            '=' | '<' | '>' | '&' | '|' | '!' if depth == 0 => return true,
            _ => {}
        }
        if depth == 0 && c == '.' && chars[i + 1..].starts_with(&['l', 'e', 'n', 'g', 't', 'h']) {
            return true;
        }
    }
    false
}

/// An RFC 9535 "singular query": only name and index segments, so it selects at most one
/// node. Selectors return that node's value; other queries return an array of values.
pub(crate) fn is_singular(q: &str) -> bool {
    let mut quote: Option<char> = None;
    let mut prev = '\0';
    for c in q.chars() {
        if let Some(qc) = quote {
            if c == qc && prev != '\\' {
                quote = None;
            }
            prev = c;
            continue;
        }
        match c {
            '\'' | '"' => quote = Some(c),
            '*' | '?' | ':' | ',' => return false,
            '.' if prev == '.' => return false,
            _ => {}
        }
        prev = c;
    }
    true
}

/// Whether a query that starts by filtering the root (`$[?@.title == 'x']`) keeps an
/// object context itself. RFC 9535 applies such a filter to the object's member
/// values, but authors — the specification's own examples (`$[?count(@.pets) > 0]`,
/// `$[?@.access_token != null]`) and Respect, which queries `[context]` — mean the
/// object. Asked only when the RFC 9535 reading selected nothing.
pub(crate) fn filters_root_object(path: &JsonPath, query: &str, value: &Value) -> bool {
    let starts_with_filter = query
        .trim_start()
        .strip_prefix('$')
        .map(str::trim_start)
        .and_then(|r| r.strip_prefix('['))
        .is_some_and(|r| r.trim_start().starts_with('?'));
    if !starts_with_filter || !value.is_object() {
        return false;
    }
    let wrapped = Value::Array(vec![value.clone()]);
    !path.query(&wrapped).all().is_empty()
}

/// Runs a query; `None` when it selected nothing.
pub(crate) fn select<'v>(path: &JsonPath, value: &'v Value) -> Vec<&'v Value> {
    path.query(value).all()
}
