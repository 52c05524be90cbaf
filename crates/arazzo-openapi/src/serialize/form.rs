//! `application/x-www-form-urlencoded` content.

use super::body::encode_parsed;
use super::encoding_object::{EncodingObject, content_type_for, join_path, style_failure};
use super::error::{SerializeError, ValueKind};
use super::media::MediaType;
use super::params::url_pairs;
use super::pct::{self, Target};
use super::schema;
use serde_json::Value;

/// Form-encodes `value`: an object becomes `name=value` pairs joined with
/// `&`, a string is taken as already encoded, `null` is empty.
///
/// Each field follows its Encoding Object: with `style`, `explode` or
/// `allowReserved` it is serialized like a query parameter (RFC 6570);
/// otherwise it is serialized with its `contentType` (default `text/plain`
/// for primitives, `application/json` for objects) and then
/// percent-encoded. Array fields produce one pair per item. `null` fields
/// are omitted. Spaces are `%20`, which every form and URI decoder reads.
pub(crate) fn encode_value(
    media: &MediaType,
    value: &Value,
    opts: &super::BodyOptions<'_>,
    path: &str,
) -> Result<String, SerializeError> {
    let map = match value {
        Value::Null => return Ok(String::new()),
        Value::String(s) => return Ok(s.clone()),
        Value::Object(map) => map,
        Value::Bool(_) | Value::Number(_) | Value::Array(_) => {
            return Err(SerializeError::UnsupportedBody {
                media_type: media.original.clone(),
                path: path.to_owned(),
                kind: ValueKind::of(value),
                reason:
                    "form content needs an object of fields, or a string that is already encoded"
                        .into(),
            });
        }
    };
    let mut out: Vec<String> = Vec::new();
    for (name, field) in map {
        if field.is_null() {
            continue;
        }
        let field_path = join_path(path, name);
        let enc = EncodingObject::lookup(opts.encoding, name)?;
        let field_schema = opts.schema.and_then(|s| schema::property(s, name));
        if let Some((style, explode, allow_reserved)) = enc.and_then(|e| e.rfc6570) {
            let pairs = url_pairs(name, field, style, explode, allow_reserved)
                .map_err(|f| style_failure(media, &field_path, style, explode, field, f))?;
            out.extend(pairs.into_iter().map(|(n, v)| format!("{n}={v}")));
            continue;
        }
        let items: Vec<(&Value, Option<&Value>)> = match field {
            Value::Array(items) => items
                .iter()
                .enumerate()
                .filter(|(_, item)| !item.is_null())
                .map(|(i, item)| (item, field_schema.and_then(|s| schema::item(s, i))))
                .collect(),
            other => vec![(other, field_schema)],
        };
        for (item, item_schema) in items {
            let item_media = content_type_for(enc.as_ref(), item_schema, item)?;
            let mut nested = EncodingObject::nested(enc.as_ref(), item_schema);
            nested.xml_root_name = Some(name);
            let bytes = encode_parsed(&item_media, item, &nested, &field_path)?.bytes;
            out.push(format!(
                "{}={}",
                pct::strict(name, Target::Form),
                pct::strict_bytes(&bytes, Target::Form)
            ));
        }
    }
    Ok(out.join("&"))
}
