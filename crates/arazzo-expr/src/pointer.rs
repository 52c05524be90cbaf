//! RFC 6901 JSON Pointers as they appear after `#` in runtime expressions.
//!
//! Pointers are stored as unescaped reference tokens so that evaluation does no string
//! processing, and printed back with `~0`/`~1` escapes.

use std::borrow::Cow;
use std::fmt;

use serde_json::Value;

/// A parsed JSON Pointer (`/a/0/b~1c`), kept as its unescaped reference tokens.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct JsonPointer {
    tokens: Vec<String>,
}

impl JsonPointer {
    /// Builds a pointer from unescaped tokens (`["a", "b/c"]` is `/a/b~1c`).
    pub fn from_tokens<I, S>(tokens: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        JsonPointer {
            tokens: tokens.into_iter().map(Into::into).collect(),
        }
    }

    /// Parses the RFC 6901 string form (`""` or `/…`). Returns the byte offset of the
    /// problem on failure, so that callers can point at it.
    pub fn parse(s: &str) -> Result<Self, (usize, &'static str)> {
        if s.is_empty() {
            return Ok(JsonPointer::default());
        }
        if !s.starts_with('/') {
            return Err((0, "a JSON pointer must be empty or start with `/`"));
        }
        let mut tokens = Vec::new();
        let mut offset = 1;
        for raw in s[1..].split('/') {
            tokens.push(unescape_token(raw).map_err(|i| {
                (
                    offset + i,
                    "`~` in a JSON pointer must be followed by `0` (for `~`) or `1` (for `/`)",
                )
            })?);
            offset += raw.len() + 1;
        }
        Ok(JsonPointer { tokens })
    }

    /// The unescaped reference tokens.
    pub fn tokens(&self) -> &[String] {
        &self.tokens
    }

    /// True for the empty pointer, which designates the whole value.
    pub fn is_root(&self) -> bool {
        self.tokens.is_empty()
    }

    /// Resolves the pointer against `value`. Borrowed input gives borrowed output;
    /// owned input is taken apart without cloning the rest.
    ///
    /// The error says which token failed and why, for example
    /// "no element 0 in an empty array".
    pub fn resolve<'v>(&self, value: Cow<'v, Value>) -> Result<Cow<'v, Value>, String> {
        match value {
            Cow::Borrowed(v) => self.resolve_ref(v).map(Cow::Borrowed),
            Cow::Owned(mut v) => {
                // Validate (and build the message) on the borrowed form, then move the
                // target out without cloning its siblings.
                self.resolve_ref(&v)?;
                let target = v.pointer_mut(&self.to_string()).map(Value::take);
                Ok(Cow::Owned(target.unwrap_or(Value::Null)))
            }
        }
    }

    /// Resolves the pointer against a borrowed value.
    pub fn resolve_ref<'v>(&self, value: &'v Value) -> Result<&'v Value, String> {
        let mut cur = value;
        for (i, t) in self.tokens.iter().enumerate() {
            let at = || {
                if i == 0 {
                    String::new()
                } else {
                    format!(
                        " at {}",
                        JsonPointer::from_tokens(self.tokens[..i].to_vec())
                    )
                }
            };
            cur = match cur {
                Value::Object(m) => match m.get(t.as_str()) {
                    Some(x) => x,
                    None => return Err(format!("no member `{t}` in the object{}", at())),
                },
                Value::Array(a) => {
                    if t == "-" {
                        return Err(format!(
                            "`-` (the position after the last element) names no element{}",
                            at()
                        ));
                    }
                    let Some(idx) = parse_index(t) else {
                        return Err(format!("`{t}` is not an array index{}", at()));
                    };
                    match a.get(idx) {
                        Some(x) => x,
                        None if a.is_empty() => {
                            return Err(format!("no element {idx} in an empty array{}", at()));
                        }
                        None => {
                            return Err(format!(
                                "no element {idx} in an array of {}{}",
                                a.len(),
                                at()
                            ));
                        }
                    }
                }
                other => {
                    return Err(format!(
                        "cannot look up `{t}` in {}{}",
                        describe_type(other),
                        at()
                    ));
                }
            };
        }
        Ok(cur)
    }
}

impl fmt::Display for JsonPointer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for t in &self.tokens {
            f.write_str("/")?;
            f.write_str(&escape_token(t))?;
        }
        Ok(())
    }
}

/// Encodes one reference token (`~` → `~0`, `/` → `~1`): the one place the
/// workspace escapes JSON pointers.
pub fn escape_token(token: &str) -> Cow<'_, str> {
    if token.contains(['~', '/']) {
        Cow::Owned(token.replace('~', "~0").replace('/', "~1"))
    } else {
        Cow::Borrowed(token)
    }
}

/// Decodes `~1` and `~0` in one reference token, keeping any other `~` as
/// written — for pointers inside documents (`$ref`s, operationPaths), where
/// the lookup that follows reports what does not resolve.
pub fn unescape_token_lenient(token: &str) -> Cow<'_, str> {
    if token.contains('~') {
        Cow::Owned(token.replace("~1", "/").replace("~0", "~"))
    } else {
        Cow::Borrowed(token)
    }
}

/// Unescapes one reference token; on a bad escape returns the byte offset of the `~`.
pub(crate) fn unescape_token(raw: &str) -> Result<String, usize> {
    if !raw.contains('~') {
        return Ok(raw.to_owned());
    }
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.char_indices();
    while let Some((i, c)) = chars.next() {
        if c == '~' {
            match chars.next() {
                Some((_, '0')) => out.push('~'),
                Some((_, '1')) => out.push('/'),
                _ => return Err(i),
            }
        } else {
            out.push(c);
        }
    }
    Ok(out)
}

/// RFC 6901 array index: `0` or digits without a leading zero.
fn parse_index(t: &str) -> Option<usize> {
    if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) || (t.len() > 1 && t.starts_with('0'))
    {
        return None;
    }
    t.parse().ok()
}

/// "a string", "an object", … for messages.
pub(crate) fn describe_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
