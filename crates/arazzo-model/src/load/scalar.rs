//! Scalars and tags by the YAML 1.2 core schema.

use saphyr_parser::{ScalarStyle, Tag};
use serde_json::{Number, Value};

use super::builder::Builder;
use crate::diag::{Code, Diagnostic};
use crate::source::Span;

impl Builder<'_> {
    pub(super) fn check_collection_tag(
        &self,
        tag: Option<&Tag>,
        expected: &str,
        span: Span,
    ) -> Result<(), Diagnostic> {
        match tag {
            None => Ok(()),
            Some(t) if t.is_yaml_core_schema() && t.suffix == expected => Ok(()),
            Some(t) if is_non_specific(t) => Ok(()),
            Some(t) => Err(self
                .err(
                    Code::UnsupportedTag,
                    span,
                    format!("unsupported YAML tag `{t}`"),
                )
                .hint("only the JSON-compatible tags !!map, !!seq, !!str, !!int, !!float, !!bool and !!null are allowed")),
        }
    }

    pub(super) fn scalar_value(
        &self,
        text: &str,
        style: ScalarStyle,
        tag: Option<&Tag>,
        span: Span,
    ) -> Result<Value, Diagnostic> {
        let Some(tag) = tag else {
            return if style == ScalarStyle::Plain {
                self.plain(text, span)
            } else {
                Ok(Value::String(text.to_string()))
            };
        };
        if is_non_specific(tag) {
            // The non-specific tag `!` forces a string.
            return Ok(Value::String(text.to_string()));
        }
        if !tag.is_yaml_core_schema() {
            return Err(self
                .err(
                    Code::UnsupportedTag,
                    span,
                    format!("unsupported YAML tag `{tag}`"),
                )
                .hint("only the JSON-compatible tags !!str, !!int, !!float, !!bool and !!null are allowed"));
        }
        let bad = |what: &str| {
            self.err(
                Code::WrongType,
                span,
                format!("`{text}` is not a valid {what}"),
            )
        };
        match tag.suffix.as_str() {
            "str" => Ok(Value::String(text.to_string())),
            "null" => match text {
                "" | "~" | "null" | "Null" | "NULL" => Ok(Value::Null),
                _ => Err(bad("null")),
            },
            "bool" => match text {
                "true" | "True" | "TRUE" => Ok(Value::Bool(true)),
                "false" | "False" | "FALSE" => Ok(Value::Bool(false)),
                _ => Err(bad("boolean")),
            },
            "int" => parse_int(text).ok_or_else(|| bad("integer")),
            "float" => match parse_float(text) {
                Some(Some(n)) => Ok(Value::Number(n)),
                Some(None) => Err(self.unrepresentable(text, span)),
                None => parse_int(text).ok_or_else(|| bad("number")),
            },
            _ => Err(self
                .err(
                    Code::UnsupportedTag,
                    span,
                    format!("unsupported YAML tag `{tag}`"),
                )
                .hint("only the JSON-compatible tags !!str, !!int, !!float, !!bool and !!null are allowed")),
        }
    }

    fn unrepresentable(&self, text: &str, span: Span) -> Diagnostic {
        self.err(
            Code::UnrepresentableValue,
            span,
            format!("`{text}` has no JSON representation"),
        )
        .hint("quote it to make it a string")
    }

    /// Resolves a plain (unquoted) scalar by the YAML 1.2 core schema.
    fn plain(&self, text: &str, span: Span) -> Result<Value, Diagnostic> {
        Ok(match text {
            "" | "~" | "null" | "Null" | "NULL" => Value::Null,
            "true" | "True" | "TRUE" => Value::Bool(true),
            "false" | "False" | "FALSE" => Value::Bool(false),
            _ => {
                let first = text.as_bytes().first().copied().unwrap_or(b'a');
                if !(first.is_ascii_digit() || matches!(first, b'-' | b'+' | b'.')) {
                    return Ok(Value::String(text.to_string()));
                }
                if let Some(n) = parse_int(text) {
                    n
                } else {
                    match parse_float(text) {
                        Some(Some(n)) => Value::Number(n),
                        Some(None) => return Err(self.unrepresentable(text, span)),
                        None => Value::String(text.to_string()),
                    }
                }
            }
        })
    }
}

/// The non-specific tag `!`, which the parser reports as an empty handle
/// with suffix `!`.
fn is_non_specific(tag: &Tag) -> bool {
    (tag.handle.is_empty() && tag.suffix == "!") || (tag.handle == "!" && tag.suffix.is_empty())
}

/// Integers of the YAML 1.2 core schema: decimal, `0o` octal, `0x` hex.
fn parse_int(text: &str) -> Option<Value> {
    let (neg, digits) = match text.as_bytes().first()? {
        b'-' => (true, text.get(1..)?),
        b'+' => (false, text.get(1..)?),
        _ => (false, text),
    };
    let (radix, digits) = if let Some(d) = digits.strip_prefix("0o") {
        (8, d)
    } else if let Some(d) = digits.strip_prefix("0x") {
        (16, d)
    } else {
        (10, digits)
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    if radix != 10 && text.starts_with(['-', '+']) {
        return None;
    }
    match u64::from_str_radix(digits, radix) {
        Ok(u) if !neg => Some(Value::Number(Number::from(u))),
        Ok(u) => {
            if u <= i64::MAX as u64 + 1 {
                let i = (u as i128).wrapping_neg();
                i64::try_from(i)
                    .ok()
                    .map(|i| Value::Number(Number::from(i)))
            } else {
                Number::from_f64(-(u as f64)).map(Value::Number)
            }
        }
        // Beyond 64 bits: keep the magnitude as a float, as JSON parsers do.
        Err(_) => digits
            .parse::<f64>()
            .ok()
            .and_then(|f| Number::from_f64(if neg { -f } else { f }))
            .map(Value::Number),
    }
}

/// Floats of the YAML 1.2 core schema. `Some(None)` means a valid YAML float
/// that JSON cannot represent (infinity, NaN).
fn parse_float(text: &str) -> Option<Option<Number>> {
    let body = text.strip_prefix(['-', '+']).unwrap_or(text);
    if matches!(body, ".inf" | ".Inf" | ".INF") || matches!(text, ".nan" | ".NaN" | ".NAN") {
        return Some(None);
    }
    // [0-9]* ( . [0-9]* )? ( [eE] [-+]? [0-9]+ )?  with at least one digit before the exponent.
    let bytes = body.as_bytes();
    let mut i = 0;
    let mut digits = 0;
    while i < bytes.len() && bytes[i].is_ascii_digit() {
        i += 1;
        digits += 1;
    }
    if i < bytes.len() && bytes[i] == b'.' {
        i += 1;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
            digits += 1;
        }
    }
    if digits == 0 {
        return None;
    }
    if i < bytes.len() && (bytes[i] == b'e' || bytes[i] == b'E') {
        i += 1;
        if i < bytes.len() && (bytes[i] == b'-' || bytes[i] == b'+') {
            i += 1;
        }
        let exp_start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        if i == exp_start {
            return None;
        }
    }
    if i != bytes.len() {
        return None;
    }
    let f: f64 = text.parse().ok()?;
    Some(Number::from_f64(f))
}
