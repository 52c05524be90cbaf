//! Request bodies: one entry point that dispatches on the media type.

use super::error::{SerializeError, ValueKind};
use super::media::{Kind, MediaType};
use super::schema;
use super::{form, multipart, xml};
use serde_json::Value;

/// What the description says about a body beyond its media type.
///
/// All fields are optional: without them the serializer falls back to the
/// defaults the specification gives (Encoding Object defaults, XML names
/// from the data).
#[derive(Debug, Clone, Copy, Default)]
pub struct BodyOptions<'a> {
    /// The Media Type Object's `encoding` map (property name → Encoding
    /// Object), for `application/x-www-form-urlencoded` and `multipart`.
    pub encoding: Option<&'a Value>,
    /// The Media Type Object's `prefixEncoding` array (positional
    /// `multipart`).
    pub prefix_encoding: Option<&'a Value>,
    /// The Media Type Object's `itemEncoding` (positional `multipart`).
    pub item_encoding: Option<&'a Value>,
    /// The media type's `schema` with `$ref`s resolved: XML names and node
    /// types, and the default content type of form and multipart fields
    /// (binary, text or JSON).
    pub schema: Option<&'a Value>,
    /// The XML root element name when the schema does not set `xml.name`,
    /// typically the name of the component the schema was referenced from
    /// (the name OpenAPI infers). Defaults to `root`.
    pub xml_root_name: Option<&'a str>,
    /// A fixed multipart boundary. By default a deterministic boundary is
    /// derived from the content and checked not to occur in it.
    pub boundary: Option<&'a str>,
}

impl<'a> BodyOptions<'a> {
    /// Options read from an OpenAPI Media Type Object (`schema`, `encoding`,
    /// `prefixEncoding`, `itemEncoding`).
    pub fn from_media_type_object(media_type_object: &'a Value) -> Self {
        Self {
            schema: media_type_object.get("schema"),
            encoding: media_type_object.get("encoding"),
            prefix_encoding: media_type_object.get("prefixEncoding"),
            item_encoding: media_type_object.get("itemEncoding"),
            ..Self::default()
        }
    }
}

/// An encoded body and the `Content-Type` to send with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedBody {
    /// The `Content-Type` header value. For multipart it carries the
    /// boundary; for a media type range it is the concrete type chosen.
    pub content_type: String,
    /// The body bytes.
    pub bytes: Vec<u8>,
}

/// Encodes a request body for `media_type`.
///
/// | media type | string value | other values |
/// |---|---|---|
/// | `application/json`, `*/*+json` | the text itself if it is JSON text (and the schema does not say `type: string`), else a JSON string | compact JSON |
/// | JSON Lines / NDJSON / `json-seq` | as is | one record per array item |
/// | `application/x-www-form-urlencoded` | as is (already encoded) | object → `a=1&b=x%20y` per Encoding Objects |
/// | `multipart/*` | as is (the media type must carry the boundary) | object → one part per property; array → one part per item |
/// | `application/xml`, `text/xml`, `*/*+xml` | as is | XML from the schema's `xml` hints |
/// | `text/*` and unknown types | as is | JSON text |
/// | `application/octet-stream` and binary types | UTF-8 bytes | an array of integers 0–255 as bytes; `null` as empty |
///
/// A media type range (`*/*`, `application/*`) is narrowed to
/// `application/json` for structured values and `text/plain` (or
/// `application/json` for JSON text) for strings, when the range allows it.
pub fn encode_body(
    media_type: &str,
    value: &Value,
    opts: &BodyOptions<'_>,
) -> Result<EncodedBody, SerializeError> {
    let media = MediaType::parse(media_type)?;
    let media = if media.is_range() {
        narrow_range(&media, value)?
    } else {
        media
    };
    encode_parsed(&media, value, opts, "")
}

fn narrow_range(range: &MediaType, value: &Value) -> Result<MediaType, SerializeError> {
    let candidates: &[&str] = match value {
        Value::String(s) if looks_like_json_document(s) => &["application/json", "text/plain"],
        Value::String(_) => &["text/plain", "application/octet-stream"],
        _ => &["application/json"],
    };
    for candidate in candidates {
        let concrete = MediaType::parse(candidate)?;
        if range.matches(&concrete) {
            return Ok(concrete);
        }
    }
    Err(SerializeError::InvalidMediaType {
        media_type: range.original.clone(),
        reason: format!(
            "it is a media type range and no concrete type fits {}; name one in the request body's contentType",
            ValueKind::of(value)
        ),
    })
}

fn looks_like_json_document(s: &str) -> bool {
    let t = s.trim_start();
    (t.starts_with('{') || t.starts_with('[')) && serde_json::from_str::<Value>(s).is_ok()
}

/// Encodes with an already parsed, concrete media type. `path` locates a
/// nested value (a multipart part) in error messages.
pub(crate) fn encode_parsed(
    media: &MediaType,
    value: &Value,
    opts: &BodyOptions<'_>,
    path: &str,
) -> Result<EncodedBody, SerializeError> {
    let plain = |bytes: Vec<u8>| EncodedBody {
        content_type: media.original.clone(),
        bytes,
    };
    let body = match media.kind() {
        Kind::Json => plain(json_bytes(value, opts.schema)),
        Kind::JsonSeq(rs) => plain(json_seq_bytes(value, rs)),
        Kind::Form => plain(form::encode_value(media, value, opts, path)?.into_bytes()),
        Kind::Multipart => multipart::encode(media, value, opts, path)?,
        Kind::Xml => plain(match value {
            Value::String(s) => s.clone().into_bytes(),
            _ => xml::to_xml(value, opts.schema, opts.xml_root_name, &media.original)?.into_bytes(),
        }),
        Kind::Text | Kind::Other => plain(text_bytes(value)),
        Kind::Binary => plain(binary_bytes(media, value, path)?),
    };
    if !matches!(media.kind(), Kind::Binary | Kind::Multipart) {
        check_charset(media, &body.bytes)?;
    }
    Ok(body)
}

/// JSON: compact; a string that is already JSON text is sent verbatim
/// (Arazzo payload templates produce such strings) unless the schema says
/// the body is a string, in which case it is data and gets quoted.
pub(crate) fn json_bytes(value: &Value, schema: Option<&Value>) -> Vec<u8> {
    match value {
        Value::String(s)
            if !schema::is_string_only(schema) && serde_json::from_str::<Value>(s).is_ok() =>
        {
            s.clone().into_bytes()
        }
        _ => value.to_string().into_bytes(),
    }
}

fn json_seq_bytes(value: &Value, record_separator: bool) -> Vec<u8> {
    let items: Vec<&Value> = match value {
        Value::String(s) => return s.clone().into_bytes(),
        Value::Array(items) => items.iter().collect(),
        other => vec![other],
    };
    let mut out = Vec::new();
    for item in items {
        if record_separator {
            out.push(0x1E);
        }
        out.extend_from_slice(item.to_string().as_bytes());
        out.push(b'\n');
    }
    out
}

/// Text and unknown types: strings verbatim, anything else as JSON text.
pub(crate) fn text_bytes(value: &Value) -> Vec<u8> {
    match value {
        Value::String(s) => s.clone().into_bytes(),
        other => other.to_string().into_bytes(),
    }
}

fn binary_bytes(media: &MediaType, value: &Value, path: &str) -> Result<Vec<u8>, SerializeError> {
    match value {
        Value::String(s) => Ok(s.clone().into_bytes()),
        Value::Null => Ok(Vec::new()),
        Value::Array(items) => items
            .iter()
            .map(|i| {
                i.as_u64()
                    .and_then(|n| u8::try_from(n).ok())
                    .ok_or_else(|| not_binary(media, value, path))
            })
            .collect(),
        Value::Bool(_) | Value::Number(_) | Value::Object(_) => Err(not_binary(media, value, path)),
    }
}

fn not_binary(media: &MediaType, value: &Value, path: &str) -> SerializeError {
    SerializeError::UnsupportedBody {
        media_type: media.original.clone(),
        path: path.to_owned(),
        kind: ValueKind::of(value),
        reason: "binary content must be a string or an array of byte values (0-255)".into(),
    }
}

fn check_charset(media: &MediaType, bytes: &[u8]) -> Result<(), SerializeError> {
    let Some(charset) = media.param("charset") else {
        return Ok(());
    };
    if charset.eq_ignore_ascii_case("utf-8")
        || charset.eq_ignore_ascii_case("utf8")
        || bytes.is_ascii()
    {
        return Ok(());
    }
    Err(SerializeError::UnsupportedCharset {
        media_type: media.original.clone(),
        charset: charset.to_owned(),
    })
}
