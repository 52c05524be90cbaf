//! The one error type of the serializer.
//!
//! Every variant names what was being serialized (a parameter and its
//! location, or a body and its media type) and what is wrong, because the
//! engine shows these messages to workflow authors who never read this code.

use super::location::{ParamLocation, Style};
use serde_json::Value;
use std::fmt;

/// The JSON type of a value, as the OpenAPI style tables talk about it.
///
/// Errors carry it so that a message can say "cannot serialize an array"
/// without echoing (possibly secret) data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    /// `null`, which RFC 6570 treats as undefined.
    Null,
    /// A string, number or boolean.
    Primitive,
    /// A JSON array.
    Array,
    /// A JSON object.
    Object,
}

impl ValueKind {
    /// The kind of `value`.
    pub fn of(value: &Value) -> Self {
        match value {
            Value::Null => Self::Null,
            Value::Bool(_) | Value::Number(_) | Value::String(_) => Self::Primitive,
            Value::Array(_) => Self::Array,
            Value::Object(_) => Self::Object,
        }
    }
}

impl fmt::Display for ValueKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Null => "null",
            Self::Primitive => "a primitive value",
            Self::Array => "an array",
            Self::Object => "an object",
        })
    }
}

/// Why a parameter or body could not be serialized.
///
/// Each variant has a stable [`code`](SerializeError::code) so that callers
/// (diagnostics, tests) can match on the problem without parsing messages.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum SerializeError {
    /// The OpenAPI Style Examples table marks this style and value type as
    /// n/a (undefined), so there is no correct wire form to send.
    #[error("{style} style cannot serialize {kind} for {location} parameter `{name}`")]
    UnsupportedValue {
        /// Parameter (or form property) name.
        name: String,
        /// Where the parameter goes.
        location: ParamLocation,
        /// The style in effect.
        style: Style,
        /// What kind of value was given.
        kind: ValueKind,
    },
    /// The style is only defined with `explode: false` (spaceDelimited,
    /// pipeDelimited, tabDelimited) or `explode: true` (cookie values that
    /// would otherwise contain commas).
    #[error(
        "{style} style with explode={explode} is not defined for {kind} in {location} parameter `{name}`"
    )]
    UnsupportedExplode {
        /// Parameter name.
        name: String,
        /// Where the parameter goes.
        location: ParamLocation,
        /// The style in effect.
        style: Style,
        /// The explode flag that is not defined for this style.
        explode: bool,
        /// What kind of value was given.
        kind: ValueKind,
    },
    /// The OpenAPI Style Values table does not permit this style in this
    /// location ("combinations not represented in this table are not
    /// permitted").
    #[error("{style} style is not allowed for {location} parameter `{name}`")]
    StyleNotAllowed {
        /// Parameter name.
        name: String,
        /// Where the parameter goes.
        location: ParamLocation,
        /// The style that is not permitted there.
        style: Style,
    },
    /// The Parameter Object (or Swagger 2.0 parameter) itself is malformed,
    /// so its serialization cannot be determined.
    #[error("invalid {location} parameter `{name}`: {reason}")]
    InvalidParameter {
        /// Parameter name (empty when the object has none).
        name: String,
        /// Where the parameter goes.
        location: ParamLocation,
        /// What is wrong with it.
        reason: String,
    },
    /// A `content` parameter whose value its media type cannot encode; the
    /// source says why.
    #[error("{location} parameter `{name}`: {source}")]
    InParameter {
        /// Parameter name.
        name: String,
        /// Where the parameter goes.
        location: ParamLocation,
        /// The underlying media type problem.
        source: Box<SerializeError>,
    },
    /// A header name that is not an RFC 9110 token.
    #[error("header name `{name}` is not a valid HTTP token")]
    InvalidHeaderName {
        /// The rejected name.
        name: String,
    },
    /// A header value containing a character that HTTP does not allow
    /// (CR, LF, NUL or another control character). Rejected so that a
    /// hostile document or input cannot inject headers.
    #[error(
        "header parameter `{name}` contains a character not allowed in an HTTP header value (U+{code:04X})",
        code = u32::from(*character)
    )]
    InvalidHeaderValue {
        /// Header (parameter) name.
        name: String,
        /// The first offending character.
        character: char,
    },
    /// A cookie name that is not an RFC 6265 token.
    #[error("cookie name `{name}` is not a valid RFC 6265 token")]
    InvalidCookieName {
        /// The rejected name.
        name: String,
    },
    /// A cookie value with a character outside RFC 6265 `cookie-octet`
    /// (for `style: cookie`, and for `allowReserved: true`, where no
    /// percent-encoding protects it). Values must arrive already escaped.
    #[error(
        "cookie parameter `{name}` contains a character not allowed in a cookie value (U+{code:04X}); escape it before serialization",
        code = u32::from(*character)
    )]
    InvalidCookieValue {
        /// Cookie (parameter) name.
        name: String,
        /// The first offending character.
        character: char,
    },
    /// A media type string that cannot be parsed, or a media type range
    /// (`*/*`, `image/*`) that cannot be narrowed to something to send.
    #[error("invalid media type `{media_type}`: {reason}")]
    InvalidMediaType {
        /// The media type as given.
        media_type: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A body value that the media type cannot represent.
    #[error("cannot encode {kind} as `{media_type}`{at}: {reason}", at = at(path))]
    UnsupportedBody {
        /// The media type being produced.
        media_type: String,
        /// Where in the body the value sits (empty for the whole body).
        path: String,
        /// What kind of value was given.
        kind: ValueKind,
        /// Why it cannot be encoded.
        reason: String,
    },
    /// An Encoding Object (from a Media Type Object's `encoding`,
    /// `prefixEncoding` or `itemEncoding`) that is malformed.
    #[error("invalid Encoding Object for `{property}`: {reason}")]
    InvalidEncoding {
        /// The property (or `[index]`) it applies to.
        property: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A name that cannot become an XML element or attribute name.
    #[error("`{name}` is not a valid XML name{at}", at = at(path))]
    InvalidXmlName {
        /// The rejected name.
        name: String,
        /// Where in the body it was needed.
        path: String,
    },
    /// A character that XML 1.0 cannot carry at all, even escaped.
    #[error(
        "XML cannot represent the character U+{code:04X}{at}",
        code = u32::from(*character), at = at(path)
    )]
    InvalidXmlChar {
        /// The offending character.
        character: char,
        /// Where in the body it sits.
        path: String,
    },
    /// A caller-supplied multipart boundary that is malformed or occurs in
    /// the content.
    #[error("invalid multipart boundary `{boundary}`: {reason}")]
    InvalidBoundary {
        /// The boundary as given.
        boundary: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Text that cannot be sent in the charset the media type declares:
    /// bodies are always encoded as UTF-8, so a declared non-UTF-8 charset
    /// would mislabel any non-ASCII text.
    #[error(
        "`{media_type}` declares charset `{charset}`, but the text is not ASCII; only UTF-8 is produced"
    )]
    UnsupportedCharset {
        /// The media type as given.
        media_type: String,
        /// The declared charset.
        charset: String,
    },
}

fn at(path: &str) -> String {
    if path.is_empty() {
        String::new()
    } else {
        format!(" at `{path}`")
    }
}

impl SerializeError {
    /// A stable, machine-readable code for the problem (e.g.
    /// `"unsupported-value"`), independent of the message wording.
    pub fn code(&self) -> &'static str {
        match self {
            Self::UnsupportedValue { .. } => "unsupported-value",
            Self::UnsupportedExplode { .. } => "unsupported-explode",
            Self::StyleNotAllowed { .. } => "style-not-allowed",
            Self::InvalidParameter { .. } => "invalid-parameter",
            Self::InParameter { source, .. } => source.code(),
            Self::InvalidHeaderName { .. } => "invalid-header-name",
            Self::InvalidHeaderValue { .. } => "invalid-header-value",
            Self::InvalidCookieName { .. } => "invalid-cookie-name",
            Self::InvalidCookieValue { .. } => "invalid-cookie-value",
            Self::InvalidMediaType { .. } => "invalid-media-type",
            Self::UnsupportedBody { .. } => "unsupported-body",
            Self::InvalidEncoding { .. } => "invalid-encoding",
            Self::InvalidXmlName { .. } => "invalid-xml-name",
            Self::InvalidXmlChar { .. } => "invalid-xml-char",
            Self::InvalidBoundary { .. } => "invalid-boundary",
            Self::UnsupportedCharset { .. } => "unsupported-charset",
        }
    }
}
