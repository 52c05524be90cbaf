//! Media type parsing and the families the serializer treats alike.

use super::error::SerializeError;
use super::params::is_token;

/// A parsed `type/subtype; param=value` media type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MediaType {
    /// The text as given, trimmed; this is what goes into `Content-Type`.
    pub original: String,
    /// Lowercase top-level type, e.g. `application`.
    pub main: String,
    /// Lowercase subtype, e.g. `vnd.api+json`.
    pub sub: String,
    /// Parameters with lowercase names and unquoted values, in order.
    pub params: Vec<(String, String)>,
}

/// How a media type's content is produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `application/json` and any `+json` suffix.
    Json,
    /// JSON Lines / NDJSON (`false`) or JSON Text Sequences (`true`).
    JsonSeq(bool),
    /// `application/x-www-form-urlencoded`.
    Form,
    /// Any `multipart/*`.
    Multipart,
    /// `application/xml`, `text/xml` and any `+xml` suffix.
    Xml,
    /// Other `text/*`.
    Text,
    /// `application/octet-stream` and other opaque binary types.
    Binary,
    /// Everything else.
    Other,
}

impl MediaType {
    /// Parses `text`. The type and subtype must be RFC 9110 tokens;
    /// malformed parameters are ignored rather than rejected, since they do
    /// not change what is produced.
    pub fn parse(text: &str) -> Result<Self, SerializeError> {
        let original = text.trim().to_owned();
        let invalid = |reason: &str| SerializeError::InvalidMediaType {
            media_type: original.clone(),
            reason: reason.to_owned(),
        };
        if original.chars().any(|c| c.is_control()) {
            return Err(invalid("it contains a control character"));
        }
        let mut pieces = original.split(';');
        let essence = pieces.next().unwrap_or_default().trim();
        let Some((main, sub)) = essence.split_once('/') else {
            return Err(invalid("expected `type/subtype`"));
        };
        let (main, sub) = (main.trim(), sub.trim());
        if !is_token(main) || !is_token(sub) {
            return Err(invalid("type and subtype must be HTTP tokens"));
        }
        let mut params = Vec::new();
        for piece in pieces {
            let Some((name, value)) = piece.split_once('=') else {
                continue;
            };
            let name = name.trim().to_ascii_lowercase();
            let value = value.trim();
            let value = match value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
                Some(inner) => unquote(inner),
                None => value.to_owned(),
            };
            if is_token(&name) {
                params.push((name, value));
            }
        }
        Ok(Self {
            main: main.to_ascii_lowercase(),
            sub: sub.to_ascii_lowercase(),
            original,
            params,
        })
    }

    /// `type/subtype` in lowercase, without parameters.
    pub fn essence(&self) -> String {
        format!("{}/{}", self.main, self.sub)
    }

    /// The value of parameter `name` (lowercase), if present.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Whether this is a range such as `*/*` or `image/*` rather than a
    /// concrete type.
    pub fn is_range(&self) -> bool {
        self.main == "*" || self.sub == "*"
    }

    /// Whether the range `self` includes the concrete `other`.
    pub fn matches(&self, other: &MediaType) -> bool {
        (self.main == "*" || self.main == other.main) && (self.sub == "*" || self.sub == other.sub)
    }

    /// The serializer family of this type.
    pub fn kind(&self) -> Kind {
        let (main, sub) = (self.main.as_str(), self.sub.as_str());
        if sub.ends_with("+json-seq") || (main == "application" && sub == "json-seq") {
            return Kind::JsonSeq(true);
        }
        if main == "application"
            && matches!(sub, "jsonl" | "x-ndjson" | "x-jsonlines" | "jsonlines")
        {
            return Kind::JsonSeq(false);
        }
        if sub == "json" && matches!(main, "application" | "text") || sub.ends_with("+json") {
            return Kind::Json;
        }
        if sub == "xml" && matches!(main, "application" | "text") || sub.ends_with("+xml") {
            return Kind::Xml;
        }
        if main == "multipart" {
            return Kind::Multipart;
        }
        if main == "application" && sub == "x-www-form-urlencoded" {
            return Kind::Form;
        }
        if main == "text" {
            return Kind::Text;
        }
        if matches!(main, "image" | "audio" | "video" | "font")
            || main == "application" && matches!(sub, "octet-stream" | "pdf" | "zip" | "gzip")
        {
            return Kind::Binary;
        }
        Kind::Other
    }
}

fn unquote(inner: &str) -> String {
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(next) = chars.next() {
                out.push(next);
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(s: &str) -> Kind {
        match MediaType::parse(s) {
            Ok(m) => m.kind(),
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn families() {
        assert_eq!(kind("application/json"), Kind::Json);
        assert_eq!(kind("Application/Problem+JSON; charset=utf-8"), Kind::Json);
        assert_eq!(kind("application/geo+json-seq"), Kind::JsonSeq(true));
        assert_eq!(kind("application/x-ndjson"), Kind::JsonSeq(false));
        assert_eq!(kind("text/xml"), Kind::Xml);
        assert_eq!(kind("image/svg+xml"), Kind::Xml);
        assert_eq!(kind("multipart/mixed"), Kind::Multipart);
        assert_eq!(kind("text/csv"), Kind::Text);
        assert_eq!(kind("image/png"), Kind::Binary);
        assert_eq!(kind("application/vnd.custom"), Kind::Other);
        assert!(MediaType::parse("json").is_err());
        assert!(MediaType::parse("text/plain\r\nX: y").is_err());
    }

    #[test]
    fn params() {
        let m = MediaType::parse(r#"multipart/form-data; Boundary="a\"b"; charset=UTF-8"#);
        let m = match m {
            Ok(m) => m,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(m.param("boundary"), Some("a\"b"));
        assert_eq!(m.param("charset"), Some("UTF-8"));
    }
}
