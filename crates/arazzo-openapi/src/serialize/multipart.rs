//! `multipart/*` content (RFC 2046, RFC 7578).

use super::body::{BodyOptions, EncodedBody, encode_parsed};
use super::encoding_object::{EncodingObject, content_type_for, join_path, style_failure};
use super::error::{SerializeError, ValueKind};
use super::media::{Kind, MediaType};
use super::schema;
use super::style::{Encoders, expand_pairs};
use serde_json::Value;

/// One part: its headers and its content.
struct Part {
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

fn unsupported(media: &MediaType, path: &str, value: &Value, reason: &str) -> SerializeError {
    SerializeError::UnsupportedBody {
        media_type: media.original.clone(),
        path: path.to_owned(),
        kind: ValueKind::of(value),
        reason: reason.to_owned(),
    }
}

/// Encodes a multipart body.
///
/// An object gives one named part per property (`Content-Disposition:
/// form-data; name="…"`), and one part per item for array properties, as
/// RFC 7578 §4.3 and the Encoding Object rules say. An array gives one part
/// per item, in order, with `prefixEncoding`/`itemEncoding`; for
/// `multipart/form-data` each item must be a one-member object naming its
/// part. A string is sent as it is, which needs the boundary in the media
/// type. Each part's `Content-Type` comes from its Encoding Object or, by
/// default, from its schema or value (`text/plain`, `application/json`,
/// `application/octet-stream`); binary parts also get a `filename` (the
/// field name), which many servers need to treat them as files.
pub(crate) fn encode(
    media: &MediaType,
    value: &Value,
    opts: &BodyOptions<'_>,
    path: &str,
) -> Result<EncodedBody, SerializeError> {
    let form_data = media.sub == "form-data";
    let parts = match value {
        Value::String(s) => {
            if media.param("boundary").is_none() {
                return Err(SerializeError::InvalidMediaType {
                    media_type: media.original.clone(),
                    reason: "a multipart body given as text needs a `boundary` parameter".into(),
                });
            }
            return Ok(EncodedBody {
                content_type: media.original.clone(),
                bytes: s.clone().into_bytes(),
            });
        }
        Value::Null => Vec::new(),
        Value::Object(map) => {
            let mut parts = Vec::new();
            for (name, field) in map {
                let field_path = join_path(path, name);
                let enc = EncodingObject::lookup(opts.encoding, name)?;
                let field_schema = opts.schema.and_then(|s| schema::property(s, name));
                named_parts(
                    media,
                    name,
                    field,
                    field_schema,
                    enc,
                    &field_path,
                    &mut parts,
                )?;
            }
            parts
        }
        Value::Array(items) => {
            let mut parts = Vec::new();
            for (i, item) in items.iter().enumerate() {
                let item_path = join_path(path, &format!("[{i}]"));
                let enc = EncodingObject::positional(opts.prefix_encoding, opts.item_encoding, i)?;
                let item_schema = opts.schema.and_then(|s| schema::item(s, i));
                if form_data {
                    let (name, field) = match item {
                        Value::Object(m) if m.len() == 1 => match m.iter().next() {
                            Some(pair) => pair,
                            None => continue,
                        },
                        _ => {
                            return Err(unsupported(
                                media,
                                &item_path,
                                item,
                                "a multipart/form-data array item must be an object with exactly one member (the part name and its value)",
                            ));
                        }
                    };
                    let field_schema = item_schema.and_then(|s| schema::property(s, name));
                    named_parts(
                        media,
                        name,
                        field,
                        field_schema,
                        enc,
                        &item_path,
                        &mut parts,
                    )?;
                } else if !item.is_null() {
                    parts.push(part(None, item, item_schema, enc.as_ref(), &item_path)?);
                }
            }
            parts
        }
        Value::Bool(_) | Value::Number(_) => {
            return Err(unsupported(
                media,
                path,
                value,
                "multipart content needs an object (named parts) or an array (ordered parts)",
            ));
        }
    };
    assemble(media, parts, opts.boundary)
}

/// The parts for one named field: none for `null`, one per item for
/// arrays, one per RFC 6570 pair when the Encoding Object uses `style`,
/// `explode` or `allowReserved` (never percent-encoded in multipart).
fn named_parts(
    media: &MediaType,
    name: &str,
    field: &Value,
    field_schema: Option<&Value>,
    enc: Option<EncodingObject<'_>>,
    path: &str,
    parts: &mut Vec<Part>,
) -> Result<(), SerializeError> {
    if field.is_null() {
        return Ok(());
    }
    // `style`, `explode` and `allowReserved` only apply to
    // multipart/form-data; other multipart types ignore them.
    let rfc6570 = enc
        .and_then(|e| e.rfc6570)
        .filter(|_| media.sub == "form-data");
    if let Some((style, explode, _)) = rfc6570 {
        let identity = |s: &str| s.to_owned();
        let encoders = Encoders {
            value: &identity,
            name: &identity,
            delim: &identity,
        };
        let pairs = expand_pairs(name, field, style, explode, &encoders)
            .map_err(|f| style_failure(media, path, style, explode, field, f))?;
        for (n, v) in pairs {
            parts.push(Part {
                headers: vec![
                    ("Content-Disposition".into(), disposition(&n, false)),
                    ("Content-Type".into(), "text/plain".into()),
                ],
                body: v.into_bytes(),
            });
        }
        return Ok(());
    }
    match field {
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate().filter(|(_, v)| !v.is_null()) {
                let item_schema = field_schema.and_then(|s| schema::item(s, i));
                let item_path = format!("{path}[{i}]");
                parts.push(part(
                    Some(name),
                    item,
                    item_schema,
                    enc.as_ref(),
                    &item_path,
                )?);
            }
        }
        other => parts.push(part(Some(name), other, field_schema, enc.as_ref(), path)?),
    }
    Ok(())
}

/// One part for `value`, named (form-data) or not.
fn part(
    name: Option<&str>,
    value: &Value,
    value_schema: Option<&Value>,
    enc: Option<&EncodingObject<'_>>,
    path: &str,
) -> Result<Part, SerializeError> {
    let media = content_type_for(enc, value_schema, value)?;
    let mut nested = EncodingObject::nested(enc, value_schema);
    nested.xml_root_name = name;
    let encoded = encode_parsed(&media, value, &nested, path)?;
    let mut headers = Vec::new();
    if let Some(name) = name {
        headers.push((
            "Content-Disposition".to_owned(),
            disposition(name, media.kind() == Kind::Binary),
        ));
    }
    headers.push(("Content-Type".to_owned(), encoded.content_type));
    Ok(Part {
        headers,
        body: encoded.bytes,
    })
}

/// `form-data; name="…"` with the escaping of the WHATWG multipart/form-data
/// encoding algorithm (`"` → `%22`, CR → `%0D`, LF → `%0A`), which is what
/// servers parse.
fn disposition(name: &str, file: bool) -> String {
    let escaped = name
        .replace('"', "%22")
        .replace('\r', "%0D")
        .replace('\n', "%0A");
    if file {
        format!("form-data; name=\"{escaped}\"; filename=\"{escaped}\"")
    } else {
        format!("form-data; name=\"{escaped}\"")
    }
}

fn is_bchar(c: char) -> bool {
    c.is_ascii_alphanumeric() || "'()+_,-./:=? ".contains(c)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

fn occurs(parts: &[Part], boundary: &str) -> bool {
    let needle = boundary.as_bytes();
    parts.iter().any(|p| {
        contains(&p.body, needle)
            || p.headers
                .iter()
                .any(|(n, v)| contains(n.as_bytes(), needle) || contains(v.as_bytes(), needle))
    })
}

/// FNV-1a: a small, stable hash, so the same content always gets the same
/// boundary (reproducible requests and tests) without a dependency.
fn fnv1a(seed: u64, data: &[u8]) -> u64 {
    let mut h = seed;
    for b in data {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01B3);
    }
    h
}

fn derive_boundary(parts: &[Part]) -> String {
    let mut h = 0xCBF2_9CE4_8422_2325_u64;
    for p in parts {
        for (n, v) in &p.headers {
            h = fnv1a(h, n.as_bytes());
            h = fnv1a(h, v.as_bytes());
        }
        h = fnv1a(h, &p.body);
    }
    let mut attempt: u64 = 0;
    loop {
        let boundary = format!("arazzo-run-{:016x}", fnv1a(h, &attempt.to_le_bytes()));
        if !occurs(parts, &boundary) {
            return boundary;
        }
        attempt += 1;
    }
}

fn assemble(
    media: &MediaType,
    parts: Vec<Part>,
    fixed: Option<&str>,
) -> Result<EncodedBody, SerializeError> {
    let boundary = match fixed {
        Some(b) => {
            let bad = |reason: &str| SerializeError::InvalidBoundary {
                boundary: b.to_owned(),
                reason: reason.to_owned(),
            };
            if b.is_empty() || b.len() > 70 || !b.chars().all(is_bchar) || b.ends_with(' ') {
                return Err(bad(
                    "RFC 2046 allows 1-70 characters from its bchars set, not ending in a space",
                ));
            }
            if occurs(&parts, b) {
                return Err(bad("it occurs in the content"));
            }
            b.to_owned()
        }
        None => derive_boundary(&parts),
    };
    let mut bytes = Vec::new();
    for p in &parts {
        bytes.extend_from_slice(b"--");
        bytes.extend_from_slice(boundary.as_bytes());
        bytes.extend_from_slice(b"\r\n");
        for (n, v) in &p.headers {
            bytes.extend_from_slice(n.as_bytes());
            bytes.extend_from_slice(b": ");
            bytes.extend_from_slice(v.as_bytes());
            bytes.extend_from_slice(b"\r\n");
        }
        bytes.extend_from_slice(b"\r\n");
        bytes.extend_from_slice(&p.body);
        bytes.extend_from_slice(b"\r\n");
    }
    bytes.extend_from_slice(b"--");
    bytes.extend_from_slice(boundary.as_bytes());
    bytes.extend_from_slice(b"--\r\n");
    let mut content_type = media.essence();
    for (n, v) in &media.params {
        if n != "boundary" {
            content_type.push_str(&format!("; {n}={}", quote_if_needed(v)));
        }
    }
    content_type.push_str(&format!("; boundary={}", quote_if_needed(&boundary)));
    Ok(EncodedBody {
        content_type,
        bytes,
    })
}

fn quote_if_needed(v: &str) -> String {
    if !v.is_empty() && super::params::is_token(v) {
        v.to_owned()
    } else {
        format!("\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\""))
    }
}
