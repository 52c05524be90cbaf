//! Parameter locations and serialization styles.

use std::fmt;

/// Where a parameter goes. The location decides the default style, which
/// characters are percent-encoded and how the pieces are joined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ParamLocation {
    /// A `{name}` segment of the path template.
    Path,
    /// One `name=value` (or several) in the query string.
    Query,
    /// The whole query string (OpenAPI 3.2 `in: querystring`).
    QueryString,
    /// A request header.
    Header,
    /// One or more `name=value` pairs of the `Cookie` header.
    Cookie,
}

impl ParamLocation {
    /// Parses the Parameter Object's `in` value (`"path"`, `"query"`,
    /// `"querystring"`, `"header"`, `"cookie"`). Returns `None` for anything
    /// else, including Swagger 2.0's `body` and `formData`, which are request
    /// bodies rather than parameters here.
    pub fn from_in(value: &str) -> Option<Self> {
        match value {
            "path" => Some(Self::Path),
            "query" => Some(Self::Query),
            "querystring" => Some(Self::QueryString),
            "header" => Some(Self::Header),
            "cookie" => Some(Self::Cookie),
            _ => None,
        }
    }

    /// The `in` value as the specification spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Path => "path",
            Self::Query => "query",
            Self::QueryString => "querystring",
            Self::Header => "header",
            Self::Cookie => "cookie",
        }
    }
}

impl fmt::Display for ParamLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A serialization style: the OpenAPI 3.x `style` values, plus Swagger 2.0's
/// tab-separated `collectionFormat`, which has no OpenAPI 3 equivalent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Style {
    /// RFC 6570 path-style (`;name=value`), path only.
    Matrix,
    /// RFC 6570 label (`.value`), path only.
    Label,
    /// RFC 6570 simple (`value,value`), path and header.
    Simple,
    /// RFC 6570 form (`name=value`), query and cookie.
    Form,
    /// Space-separated values (`%20`), query; Swagger 2.0 `ssv`.
    SpaceDelimited,
    /// Pipe-separated values (`%7C`), query; Swagger 2.0 `pipes`.
    PipeDelimited,
    /// `name[key]=value` pairs for objects, query only.
    DeepObject,
    /// OpenAPI 3.2 `style: cookie`: like form, but `; `-separated and never
    /// percent-encoded (values must arrive already escaped).
    Cookie,
    /// Tab-separated values (`%09`); Swagger 2.0 `tsv` only.
    TabDelimited,
}

impl Style {
    /// Parses an OpenAPI 3.x `style` value. `tabDelimited` is accepted only
    /// when `swagger` is true (it exists only as Swagger 2.0's `tsv`).
    pub fn from_name(value: &str, swagger: bool) -> Option<Self> {
        match value {
            "matrix" => Some(Self::Matrix),
            "label" => Some(Self::Label),
            "simple" => Some(Self::Simple),
            "form" => Some(Self::Form),
            "spaceDelimited" => Some(Self::SpaceDelimited),
            "pipeDelimited" => Some(Self::PipeDelimited),
            "deepObject" => Some(Self::DeepObject),
            "cookie" => Some(Self::Cookie),
            "tabDelimited" if swagger => Some(Self::TabDelimited),
            _ => None,
        }
    }

    /// The style's name as the specification spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Matrix => "matrix",
            Self::Label => "label",
            Self::Simple => "simple",
            Self::Form => "form",
            Self::SpaceDelimited => "spaceDelimited",
            Self::PipeDelimited => "pipeDelimited",
            Self::DeepObject => "deepObject",
            Self::Cookie => "cookie",
            Self::TabDelimited => "tabDelimited",
        }
    }

    /// The explode default the specification gives this style: `true` for
    /// `form` and `cookie`, `false` otherwise.
    pub fn default_explode(self) -> bool {
        matches!(self, Self::Form | Self::Cookie)
    }

    /// Whether the OpenAPI Style Values table permits this style in
    /// `location`. Swagger 2.0 collection formats are wider (any delimiter
    /// in path, query and header) and are checked by
    /// [`ParamEncoding::from_swagger2`](super::ParamEncoding::from_swagger2)
    /// instead.
    pub fn allowed_in(self, location: ParamLocation) -> bool {
        match self {
            Self::Matrix | Self::Label => location == ParamLocation::Path,
            Self::Simple => matches!(location, ParamLocation::Path | ParamLocation::Header),
            Self::Form => matches!(location, ParamLocation::Query | ParamLocation::Cookie),
            Self::SpaceDelimited | Self::PipeDelimited | Self::DeepObject => {
                location == ParamLocation::Query
            }
            Self::Cookie => location == ParamLocation::Cookie,
            Self::TabDelimited => false,
        }
    }

    /// The delimiter of the delimited styles, unencoded.
    pub(crate) fn delimiter(self) -> Option<char> {
        match self {
            Self::SpaceDelimited => Some(' '),
            Self::PipeDelimited => Some('|'),
            Self::TabDelimited => Some('\t'),
            _ => None,
        }
    }
}

impl fmt::Display for Style {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
