//! Encoding Objects: per-field settings of form and multipart bodies.

use super::body::BodyOptions;
use super::error::{SerializeError, ValueKind};
use super::location::Style;
use super::media::MediaType;
use super::schema;
use super::style::Fail;
use serde_json::{Map, Value};

/// One Encoding Object, read.
#[derive(Debug, Clone, Copy)]
pub(crate) struct EncodingObject<'a> {
    /// `contentType`, a comma-separated list of media types or ranges.
    pub content_type: Option<&'a str>,
    /// RFC 6570-style serialization, present when any of `style`,
    /// `explode` or `allowReserved` is given: (style, explode,
    /// allowReserved). It then replaces `contentType`.
    pub rfc6570: Option<(Style, bool, bool)>,
    /// The object itself, for its nested `encoding` fields.
    pub raw: &'a Map<String, Value>,
}

fn invalid(property: &str, reason: impl Into<String>) -> SerializeError {
    SerializeError::InvalidEncoding {
        property: property.to_owned(),
        reason: reason.into(),
    }
}

impl<'a> EncodingObject<'a> {
    /// Reads `raw`, the Encoding Object applying to `property`.
    pub fn parse(raw: &'a Value, property: &str) -> Result<Self, SerializeError> {
        let Value::Object(raw) = raw else {
            return Err(invalid(property, "an Encoding Object must be an object"));
        };
        let content_type = match raw.get("contentType") {
            None => None,
            Some(Value::String(s)) => Some(s.as_str()),
            Some(_) => return Err(invalid(property, "`contentType` must be a string")),
        };
        let style = match raw.get("style") {
            None => None,
            // `tabDelimited` is accepted here so that Swagger 2.0 `tsv`
            // formData fields can be restated as Encoding Objects.
            Some(Value::String(s)) => Some(
                Style::from_name(s, true)
                    .filter(|st| {
                        matches!(
                            st,
                            Style::Form
                                | Style::SpaceDelimited
                                | Style::PipeDelimited
                                | Style::TabDelimited
                                | Style::DeepObject
                        )
                    })
                    .ok_or_else(|| {
                        invalid(property, format!("style `{s}` is not a query style"))
                    })?,
            ),
            Some(_) => return Err(invalid(property, "`style` must be a string")),
        };
        let flag = |key: &str| match raw.get(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(invalid(property, format!("`{key}` must be a boolean"))),
        };
        let explode = flag("explode")?;
        let allow_reserved = flag("allowReserved")?;
        let rfc6570 = if style.is_some() || explode.is_some() || allow_reserved.is_some() {
            let style = style.unwrap_or(Style::Form);
            Some((
                style,
                explode.unwrap_or(style.default_explode()),
                allow_reserved.unwrap_or(false),
            ))
        } else {
            None
        };
        Ok(Self {
            content_type,
            rfc6570,
            raw,
        })
    }

    /// The Encoding Object for `property` in an `encoding` map, if any.
    pub fn lookup(
        encoding: Option<&'a Value>,
        property: &str,
    ) -> Result<Option<Self>, SerializeError> {
        match encoding {
            None => Ok(None),
            Some(Value::Object(map)) => map
                .get(property)
                .map(|raw| Self::parse(raw, property))
                .transpose(),
            Some(_) => Err(invalid(property, "`encoding` must be an object")),
        }
    }

    /// The Encoding Object at `index` from `prefixEncoding`, else
    /// `itemEncoding`.
    pub fn positional(
        prefix: Option<&'a Value>,
        item: Option<&'a Value>,
        index: usize,
    ) -> Result<Option<Self>, SerializeError> {
        let label = format!("[{index}]");
        if let Some(raw) = prefix.and_then(Value::as_array).and_then(|a| a.get(index)) {
            return Self::parse(raw, &label).map(Some);
        }
        item.map(|raw| Self::parse(raw, &label)).transpose()
    }

    /// Options for encoding the value this object applies to: its nested
    /// `encoding`, `prefixEncoding` and `itemEncoding`.
    pub fn nested<'s>(enc: Option<&Self>, schema: Option<&'s Value>) -> BodyOptions<'s>
    where
        'a: 's,
    {
        BodyOptions {
            schema,
            encoding: enc.and_then(|e| e.raw.get("encoding")),
            prefix_encoding: enc.and_then(|e| e.raw.get("prefixEncoding")),
            item_encoding: enc.and_then(|e| e.raw.get("itemEncoding")),
            ..BodyOptions::default()
        }
    }
}

/// The content type to encode a field with: the first concrete type in
/// the Encoding Object's `contentType`; if it lists only ranges, the
/// default for the value when a range admits it, else
/// `application/octet-stream`; without `contentType`, the Encoding Object
/// default for the schema or value.
pub(crate) fn content_type_for(
    enc: Option<&EncodingObject<'_>>,
    schema: Option<&Value>,
    value: &Value,
) -> Result<MediaType, SerializeError> {
    let default = schema::default_content_type(schema, value);
    let Some(list) = enc.and_then(|e| e.content_type) else {
        return MediaType::parse(default);
    };
    let mut ranges = Vec::new();
    for entry in list.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let media = MediaType::parse(entry)?;
        if !media.is_range() {
            return Ok(media);
        }
        ranges.push(media);
    }
    let default = MediaType::parse(default)?;
    if ranges.is_empty() || ranges.iter().any(|r| r.matches(&default)) {
        Ok(default)
    } else {
        MediaType::parse("application/octet-stream")
    }
}

/// An RFC 6570-style field failure as a body error.
pub(crate) fn style_failure(
    media: &MediaType,
    path: &str,
    style: Style,
    explode: bool,
    value: &Value,
    fail: Fail,
) -> SerializeError {
    let kind = ValueKind::of(value);
    let reason = match fail {
        Fail::Explode(_) => {
            format!("{style} style with explode={explode} is not defined for {kind}")
        }
        Fail::Style => format!("{style} style cannot be used in a form"),
    };
    SerializeError::UnsupportedBody {
        media_type: media.original.clone(),
        path: path.to_owned(),
        kind,
        reason,
    }
}

/// `parent/child` paths for error messages.
pub(crate) fn join_path(parent: &str, child: &str) -> String {
    if parent.is_empty() {
        child.to_owned()
    } else {
        format!("{parent}/{child}")
    }
}
