//! Serializing parameter values for each location.

use super::body::{BodyOptions, encode_body};
use super::error::{SerializeError, ValueKind};
use super::form;
use super::location::{ParamLocation, Style};
use super::media::{Kind, MediaType};
use super::param_encoding::ParamEncoding;
use super::pct::{self, Target};
use super::style::{Encoders, Fail, expand_pairs, expand_string};
use serde_json::Value;

fn identity(s: &str) -> String {
    s.to_owned()
}

fn fail(name: &str, location: ParamLocation, enc: &ParamEncoding, f: Fail) -> SerializeError {
    match f {
        Fail::Explode(kind) => SerializeError::UnsupportedExplode {
            name: name.to_owned(),
            location,
            style: enc.style,
            explode: enc.explode,
            kind,
        },
        Fail::Style => SerializeError::StyleNotAllowed {
            name: name.to_owned(),
            location,
            style: enc.style,
        },
    }
}

/// Serializes a `content` parameter's value with its media type. `None`
/// for `null`, which (as for styles) means the parameter has no value.
fn content_bytes(
    name: &str,
    location: ParamLocation,
    media_type: &str,
    value: &Value,
    enc: &ParamEncoding,
) -> Result<Option<Vec<u8>>, SerializeError> {
    if value.is_null() {
        return Ok(None);
    }
    let opts = enc
        .media_type_object
        .as_ref()
        .map(BodyOptions::from_media_type_object)
        .unwrap_or_default();
    encode_body(media_type, value, &opts)
        .map(|b| Some(b.bytes))
        .map_err(|e| SerializeError::InParameter {
            name: name.to_owned(),
            location,
            source: Box::new(e),
        })
}

/// The percent-encoded text that replaces `{name}` in a path template.
///
/// `matrix` and `label` include their leading `;` or `.`. Everything outside
/// the RFC 3986 unreserved set is encoded, so a `/` in a value becomes
/// `%2F`; with `allowReserved`, reserved characters other than `/ ? # [ ]`
/// (which would change the URL's structure) pass through. An undefined
/// value (see [`is_undefined`](super::is_undefined)) yields the empty
/// string, as in the specification's table; path parameters are always
/// required, so the caller should reject it first.
pub fn path_value(
    name: &str,
    value: &Value,
    enc: &ParamEncoding,
) -> Result<String, SerializeError> {
    let location = ParamLocation::Path;
    if let Some(ct) = &enc.content_type {
        return Ok(content_bytes(name, location, ct, value, enc)?
            .map(|b| pct::strict_bytes(&b, Target::Path))
            .unwrap_or_default());
    }
    if !matches!(
        enc.style,
        Style::Matrix
            | Style::Label
            | Style::Simple
            | Style::SpaceDelimited
            | Style::PipeDelimited
            | Style::TabDelimited
    ) {
        return Err(fail(name, location, enc, Fail::Style));
    }
    let allow = enc.allow_reserved;
    let value_enc = |s: &str| pct::encode(s, Target::Path, allow);
    let name_enc = |s: &str| pct::strict(s, Target::Path);
    let encoders = Encoders {
        value: &value_enc,
        name: &name_enc,
        delim: &name_enc,
    };
    expand_string(name, value, enc.style, enc.explode, &encoders)
        .map_err(|f| fail(name, location, enc, f))
}

/// The query-string fragments for one parameter, each already
/// percent-encoded (`"id=3"`, `"color%5BR%5D=100"`), to be joined with `&`.
/// Empty when the value is undefined (`null`, `[]`, `{}`), following
/// RFC 6570.
pub fn query_pairs(
    name: &str,
    value: &Value,
    enc: &ParamEncoding,
) -> Result<Vec<String>, SerializeError> {
    let location = ParamLocation::Query;
    if let Some(ct) = &enc.content_type {
        return Ok(content_bytes(name, location, ct, value, enc)?
            .map(|b| {
                vec![format!(
                    "{}={}",
                    pct::strict(name, Target::Query),
                    pct::strict_bytes(&b, Target::Query)
                )]
            })
            .unwrap_or_default());
    }
    if !matches!(
        enc.style,
        Style::Form
            | Style::SpaceDelimited
            | Style::PipeDelimited
            | Style::TabDelimited
            | Style::DeepObject
    ) {
        return Err(fail(name, location, enc, Fail::Style));
    }
    let pairs = url_pairs(name, value, enc.style, enc.explode, enc.allow_reserved)
        .map_err(|f| fail(name, location, enc, f))?;
    Ok(pairs.into_iter().map(|(n, v)| format!("{n}={v}")).collect())
}

/// Query-style pairs with RFC 6570 percent-encoding; shared with
/// style-based form bodies.
pub(crate) fn url_pairs(
    name: &str,
    value: &Value,
    style: Style,
    explode: bool,
    allow_reserved: bool,
) -> Result<Vec<(String, String)>, Fail> {
    let value_enc = |s: &str| pct::encode(s, Target::Query, allow_reserved);
    let strict = |s: &str| pct::strict(s, Target::Query);
    let encoders = Encoders {
        value: &value_enc,
        name: &strict,
        delim: &strict,
    };
    expand_pairs(name, value, style, explode, &encoders)
}

/// The whole query string of an OpenAPI 3.2 `in: querystring` parameter,
/// without the leading `?`.
///
/// With `application/x-www-form-urlencoded` (the default), an object is
/// form-encoded using the Media Type Object's Encoding Objects, and a string
/// is taken as an already-encoded query string: only characters that can
/// never appear raw in a query (spaces, `#`, non-ASCII, a `%` that starts no
/// `%XX` triple…) are percent-encoded. Any other media type serializes the
/// value (e.g. compact JSON) and percent-encodes the result completely.
/// `null` yields the empty string.
pub fn querystring(value: &Value, enc: &ParamEncoding) -> Result<String, SerializeError> {
    let ct = enc
        .content_type
        .as_deref()
        .unwrap_or("application/x-www-form-urlencoded");
    let media = MediaType::parse(ct)?;
    if media.kind() == Kind::Form {
        return match value {
            Value::Null => Ok(String::new()),
            Value::String(s) => Ok(pct::reserved(s, Target::Query)),
            _ => {
                let opts = enc
                    .media_type_object
                    .as_ref()
                    .map(BodyOptions::from_media_type_object)
                    .unwrap_or_default();
                form::encode_value(&media, value, &opts, "")
            }
        };
    }
    Ok(
        content_bytes("", ParamLocation::QueryString, ct, value, enc)?
            .map(|b| pct::strict_bytes(&b, Target::Query))
            .unwrap_or_default(),
    )
}

/// Checks that `name` is an RFC 9110 token, as a header name must be.
pub fn validate_header_name(name: &str) -> Result<(), SerializeError> {
    if is_token(name) {
        Ok(())
    } else {
        Err(SerializeError::InvalidHeaderName {
            name: name.to_owned(),
        })
    }
}

/// Whether OpenAPI says to ignore a header parameter of this name
/// (`Accept`, `Content-Type` and `Authorization` are governed by other
/// fields of the description).
pub fn is_ignored_header(name: &str) -> bool {
    ["accept", "content-type", "authorization"]
        .iter()
        .any(|h| name.eq_ignore_ascii_case(h))
}

/// The value of a header parameter (`style: simple`, the only style a
/// header has), never percent-encoded, as the specification requires.
///
/// Values containing CR, LF, NUL or any other control character except tab
/// are rejected with [`SerializeError::InvalidHeaderValue`], so that no
/// document or input can inject a header. Non-ASCII text is allowed (it is
/// sent as UTF-8, which HTTP carries as `obs-text`). An undefined value
/// yields the empty string; the caller should not send the header at all
/// (see [`is_undefined`](super::is_undefined)).
pub fn header_value(
    name: &str,
    value: &Value,
    enc: &ParamEncoding,
) -> Result<String, SerializeError> {
    let location = ParamLocation::Header;
    validate_header_name(name)?;
    let text = if let Some(ct) = &enc.content_type {
        let bytes = content_bytes(name, location, ct, value, enc)?.unwrap_or_default();
        match String::from_utf8(bytes) {
            Ok(s) => s,
            Err(_) => {
                return Err(SerializeError::InParameter {
                    name: name.to_owned(),
                    location,
                    source: Box::new(SerializeError::UnsupportedBody {
                        media_type: ct.clone(),
                        path: String::new(),
                        kind: ValueKind::of(value),
                        reason: "a header value must be text, not binary content".into(),
                    }),
                });
            }
        }
    } else {
        if !matches!(
            enc.style,
            Style::Simple | Style::SpaceDelimited | Style::PipeDelimited | Style::TabDelimited
        ) {
            return Err(fail(name, location, enc, Fail::Style));
        }
        let encoders = Encoders {
            value: &identity,
            name: &identity,
            delim: &identity,
        };
        expand_string(name, value, enc.style, enc.explode, &encoders)
            .map_err(|f| fail(name, location, enc, f))?
    };
    if let Some(c) = text.chars().find(|c| c.is_ascii_control() && *c != '\t') {
        return Err(SerializeError::InvalidHeaderValue {
            name: name.to_owned(),
            character: c,
        });
    }
    Ok(text)
}

/// Cookie pairs `name=value`, to be joined with `"; "` into one `Cookie`
/// header. Empty when the value is undefined.
///
/// `style: form` (the default) percent-encodes as RFC 6570 does, so any
/// value is safe. `style: cookie` (OpenAPI 3.2) applies no encoding at all:
/// values must already be escaped, and any character outside RFC 6265
/// `cookie-octet` is rejected, as it is with `allowReserved`. Arrays and
/// objects need `explode: true`, because the comma that `explode: false`
/// would produce is not allowed in a cookie.
pub fn cookie_pairs(
    name: &str,
    value: &Value,
    enc: &ParamEncoding,
) -> Result<Vec<String>, SerializeError> {
    let location = ParamLocation::Cookie;
    if !is_token(name) {
        return Err(SerializeError::InvalidCookieName {
            name: name.to_owned(),
        });
    }
    if let Some(ct) = &enc.content_type {
        return Ok(content_bytes(name, location, ct, value, enc)?
            .map(|b| vec![format!("{name}={}", pct::strict_bytes(&b, Target::Query))])
            .unwrap_or_default());
    }
    if !matches!(enc.style, Style::Form | Style::Cookie) {
        return Err(fail(name, location, enc, Fail::Style));
    }
    let composite = matches!(value, Value::Array(_) | Value::Object(_));
    if composite && !enc.explode && !super::is_undefined(value) {
        return Err(fail(
            name,
            location,
            enc,
            Fail::Explode(ValueKind::of(value)),
        ));
    }
    let allow = enc.allow_reserved;
    let value_enc = |s: &str| pct::encode(s, Target::Query, allow);
    let pairs = match enc.style {
        Style::Form => {
            let encoders = Encoders {
                value: &value_enc,
                name: &identity,
                delim: &identity,
            };
            expand_pairs(name, value, enc.style, enc.explode, &encoders)
        }
        Style::Cookie => {
            let encoders = Encoders {
                value: &identity,
                name: &identity,
                delim: &identity,
            };
            expand_pairs(name, value, enc.style, enc.explode, &encoders)
        }
        _ => Err(Fail::Style),
    }
    .map_err(|f| fail(name, location, enc, f))?;
    let check_values = allow || enc.style == Style::Cookie;
    pairs
        .into_iter()
        .map(|(n, v)| {
            if !is_token(&n) {
                return Err(SerializeError::InvalidCookieName { name: n });
            }
            if check_values && let Some(c) = first_non_cookie_octet(&v) {
                return Err(SerializeError::InvalidCookieValue {
                    name: n,
                    character: c,
                });
            }
            Ok(format!("{n}={v}"))
        })
        .collect()
}

/// RFC 9110 `token`.
pub(crate) fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes().all(|b| {
            b.is_ascii_alphanumeric()
                || matches!(
                    b,
                    b'!' | b'#'
                        | b'$'
                        | b'%'
                        | b'&'
                        | b'\''
                        | b'*'
                        | b'+'
                        | b'-'
                        | b'.'
                        | b'^'
                        | b'_'
                        | b'`'
                        | b'|'
                        | b'~'
                )
        })
}

/// The first character outside RFC 6265 `cookie-value` (cookie-octets,
/// optionally inside one pair of double quotes).
fn first_non_cookie_octet(value: &str) -> Option<char> {
    let inner = value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or(value);
    inner.chars().find(
        |c| !matches!(*c as u32, 0x21 | 0x23..=0x2B | 0x2D..=0x3A | 0x3C..=0x5B | 0x5D..=0x7E),
    )
}
