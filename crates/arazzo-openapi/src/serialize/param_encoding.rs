//! Reading a parameter's serialization settings from its description.

use super::error::SerializeError;
use super::location::{ParamLocation, Style};
use serde_json::{Map, Value, json};

/// How one parameter is serialized, read from its OpenAPI Parameter Object
/// (or Swagger 2.0 parameter).
///
/// Kept separate from the value so that the engine can read it once, at
/// compile time, and apply it to every value a workflow produces.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamEncoding {
    /// The `style` in effect (explicit or the location's default).
    pub style: Style,
    /// The `explode` flag in effect (explicit or the style's default).
    pub explode: bool,
    /// `allowReserved`: RFC 3986 reserved characters and `%XX` triples pass
    /// through unencoded (path, query and form-style cookie only).
    pub allow_reserved: bool,
    /// For parameters described with `content`: the media type to serialize
    /// the value with, before encoding it for its location. When set, it
    /// overrides `style` and `explode`.
    pub content_type: Option<String>,
    /// For `content` parameters: the Media Type Object itself, whose
    /// `schema` and `encoding` guide form and XML serialization (notably for
    /// `in: querystring` with `application/x-www-form-urlencoded`).
    pub media_type_object: Option<Value>,
}

fn invalid(location: ParamLocation, name: &str, reason: impl Into<String>) -> SerializeError {
    SerializeError::InvalidParameter {
        name: name.to_owned(),
        location,
        reason: reason.into(),
    }
}

fn flag(
    param: &Map<String, Value>,
    key: &str,
    location: ParamLocation,
    name: &str,
) -> Result<Option<bool>, SerializeError> {
    match param.get(key) {
        None => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(invalid(
            location,
            name,
            format!("`{key}` must be a boolean"),
        )),
    }
}

/// Checks that the object's own `in` (when present) agrees with the
/// location the caller serializes for, so that a mix-up surfaces here
/// rather than as a silently wrong request.
fn check_in(
    param: &Map<String, Value>,
    location: ParamLocation,
    name: &str,
) -> Result<(), SerializeError> {
    match param.get("in") {
        None => Ok(()),
        Some(Value::String(s)) if s == location.as_str() => Ok(()),
        Some(other) => Err(invalid(
            location,
            name,
            format!("its `in` is {other}, not \"{location}\""),
        )),
    }
}

impl ParamEncoding {
    /// The OpenAPI defaults for `location`: `simple` for path and header,
    /// `form` for query and cookie, `explode` true only for `form`, and
    /// `application/x-www-form-urlencoded` content for `querystring` (the
    /// usual media type there, since that location must use `content`).
    pub fn default_for(location: ParamLocation) -> Self {
        let style = match location {
            ParamLocation::Path | ParamLocation::Header => Style::Simple,
            ParamLocation::Query | ParamLocation::QueryString | ParamLocation::Cookie => {
                Style::Form
            }
        };
        Self {
            style,
            explode: style.default_explode(),
            allow_reserved: false,
            content_type: (location == ParamLocation::QueryString)
                .then(|| "application/x-www-form-urlencoded".to_owned()),
            media_type_object: None,
        }
    }

    /// Serialize with media type `content_type` instead of a style, as a
    /// Parameter Object with `content` does.
    pub fn with_content(location: ParamLocation, content_type: &str) -> Self {
        Self {
            content_type: Some(content_type.to_owned()),
            ..Self::default_for(location)
        }
    }

    /// Reads `style`, `explode`, `allowReserved` and `content` from an
    /// OpenAPI 3.x Parameter Object (`$ref`s already resolved).
    ///
    /// Rejects what the specification does not permit, rather than guessing:
    /// unknown styles, styles the Style Values table does not allow in this
    /// location, `content` with other than one entry, `content` together
    /// with `schema`, and `querystring` parameters without `content` or with
    /// schema-style fields.
    pub fn from_openapi3(location: ParamLocation, param: &Value) -> Result<Self, SerializeError> {
        let Value::Object(param) = param else {
            return Err(invalid(
                location,
                "",
                "a Parameter Object must be an object",
            ));
        };
        let name = param
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default();
        check_in(param, location, name)?;
        if let Some(content) = param.get("content") {
            if param.contains_key("schema") {
                return Err(invalid(
                    location,
                    name,
                    "a Parameter Object must have `schema` or `content`, not both",
                ));
            }
            if location == ParamLocation::QueryString
                && let Some(field) = ["style", "explode", "allowReserved"]
                    .into_iter()
                    .find(|f| param.contains_key(*f))
            {
                return Err(invalid(
                    location,
                    name,
                    format!("`{field}` must not be used with `in: querystring`"),
                ));
            }
            let Some(content) = content.as_object().filter(|c| c.len() == 1) else {
                return Err(invalid(
                    location,
                    name,
                    "`content` must map exactly one media type",
                ));
            };
            let Some((media_type, object)) = content.iter().next() else {
                return Err(invalid(location, name, "`content` is empty"));
            };
            return Ok(Self {
                content_type: Some(media_type.clone()),
                media_type_object: Some(object.clone()),
                ..Self::default_for(location)
            });
        }
        if location == ParamLocation::QueryString {
            return Err(invalid(
                location,
                name,
                "`in: querystring` parameters must be described with `content`",
            ));
        }
        let mut enc = Self::default_for(location);
        match param.get("style") {
            None => {}
            Some(Value::String(s)) => {
                let Some(style) = Style::from_name(s, false) else {
                    return Err(invalid(location, name, format!("unknown style `{s}`")));
                };
                if !style.allowed_in(location) {
                    return Err(SerializeError::StyleNotAllowed {
                        name: name.to_owned(),
                        location,
                        style,
                    });
                }
                enc.style = style;
                enc.explode = style.default_explode();
            }
            Some(_) => return Err(invalid(location, name, "`style` must be a string")),
        }
        if let Some(explode) = flag(param, "explode", location, name)? {
            enc.explode = explode;
        }
        if let Some(allow) = flag(param, "allowReserved", location, name)? {
            enc.allow_reserved = allow;
        }
        Ok(enc)
    }

    /// Reads a Swagger 2.0 parameter's `collectionFormat` (default `csv`):
    /// `csv` is `form` in the query and `simple` in path and header, `ssv`,
    /// `pipes` and `tsv` are the delimited styles, and `multi` (query only)
    /// is exploded `form`. Swagger 2.0 has no cookie or querystring
    /// parameters; `formData` is a body (see [`swagger2_form`]).
    pub fn from_swagger2(location: ParamLocation, param: &Value) -> Result<Self, SerializeError> {
        let Value::Object(param) = param else {
            return Err(invalid(
                location,
                "",
                "a Parameter Object must be an object",
            ));
        };
        let name = param
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default();
        check_in(param, location, name)?;
        if matches!(location, ParamLocation::Cookie | ParamLocation::QueryString) {
            return Err(invalid(
                location,
                name,
                "Swagger 2.0 has no cookie or querystring parameters",
            ));
        }
        let format = match param.get("collectionFormat") {
            None => "csv",
            Some(Value::String(s)) => s.as_str(),
            Some(_) => {
                return Err(invalid(
                    location,
                    name,
                    "`collectionFormat` must be a string",
                ));
            }
        };
        let (style, explode) = match format {
            "csv" if location == ParamLocation::Query => (Style::Form, false),
            "csv" => (Style::Simple, false),
            "ssv" => (Style::SpaceDelimited, false),
            "tsv" => (Style::TabDelimited, false),
            "pipes" => (Style::PipeDelimited, false),
            "multi" if location == ParamLocation::Query => (Style::Form, true),
            "multi" => {
                return Err(invalid(
                    location,
                    name,
                    "`collectionFormat: multi` is only valid for query and formData parameters",
                ));
            }
            other => {
                return Err(invalid(
                    location,
                    name,
                    format!("unknown collectionFormat `{other}`"),
                ));
            }
        };
        Ok(Self {
            style,
            explode,
            allow_reserved: false,
            content_type: None,
            media_type_object: None,
        })
    }
}

/// Swagger 2.0 `in: formData` parameters restated as an OpenAPI 3 form
/// body: a `schema` and an `encoding` map to pass in
/// [`BodyOptions`](super::BodyOptions), so the same form and multipart
/// encoders serve both versions.
#[derive(Debug, Clone, PartialEq)]
pub struct Swagger2Form {
    /// An object schema with one property per formData parameter.
    pub schema: Value,
    /// An Encoding Object per array parameter, carrying its
    /// `collectionFormat` as a style.
    pub encoding: Value,
}

/// Converts the `formData` parameters of a Swagger 2.0 operation (other
/// parameters are skipped) for use with `application/x-www-form-urlencoded`
/// or `multipart/form-data`, whichever the operation `consumes`.
///
/// `type: file` becomes a schema without `type`, so that its part defaults
/// to `application/octet-stream`; arrays keep their `collectionFormat`
/// (`multi` repeats the field, the others join the items).
pub fn swagger2_form(params: &[Value]) -> Result<Swagger2Form, SerializeError> {
    let mut properties = Map::new();
    let mut encoding = Map::new();
    for param in params {
        if param.get("in").and_then(Value::as_str) != Some("formData") {
            continue;
        }
        let name = param
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if name.is_empty() {
            return Err(invalid(
                ParamLocation::Query,
                "",
                "a formData parameter needs a `name`",
            ));
        }
        let ty = param
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("string");
        let schema = match ty {
            "file" => json!({}),
            "array" => {
                let items = param.get("items").cloned().unwrap_or_else(|| json!({}));
                let format = param
                    .get("collectionFormat")
                    .and_then(Value::as_str)
                    .unwrap_or("csv");
                let (style, explode) = match format {
                    "csv" => ("form", false),
                    "multi" => ("form", true),
                    "ssv" => ("spaceDelimited", false),
                    "pipes" => ("pipeDelimited", false),
                    "tsv" => ("tabDelimited", false),
                    other => {
                        return Err(invalid(
                            ParamLocation::Query,
                            name,
                            format!("unknown collectionFormat `{other}` (formData)"),
                        ));
                    }
                };
                encoding.insert(name.to_owned(), json!({"style": style, "explode": explode}));
                json!({"type": "array", "items": items})
            }
            other => {
                let mut s = Map::new();
                s.insert("type".into(), Value::String(other.to_owned()));
                if let Some(f) = param.get("format") {
                    s.insert("format".into(), f.clone());
                }
                Value::Object(s)
            }
        };
        properties.insert(name.to_owned(), schema);
    }
    Ok(Swagger2Form {
        schema: json!({"type": "object", "properties": properties}),
        encoding: Value::Object(encoding),
    })
}
