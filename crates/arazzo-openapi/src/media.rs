//! Media type questions the resolver, engine and mock ask (one parser: the
//! serializer's).

use crate::serialize::media::{Kind, MediaType};

/// `type/subtype` in lower case, without parameters; the trimmed, lower-cased
/// text when it does not parse.
pub fn essence(media_type: &str) -> String {
    MediaType::parse(media_type)
        .map(|m| m.essence())
        .unwrap_or_else(|_| {
            media_type
                .split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        })
}

/// `application/json`, `text/json` or any `+json` type.
pub fn is_json(media_type: &str) -> bool {
    MediaType::parse(media_type).is_ok_and(|m| m.kind() == Kind::Json)
}

/// `application/xml`, `text/xml` or any `+xml` type.
pub fn is_xml(media_type: &str) -> bool {
    MediaType::parse(media_type).is_ok_and(|m| m.kind() == Kind::Xml)
}

/// Whether the range `range` (e.g. `application/*`, `*/*`) includes `media_type`.
pub fn range_matches(range: &str, media_type: &str) -> bool {
    match (MediaType::parse(range), MediaType::parse(media_type)) {
        (Ok(r), Ok(m)) => r.matches(&m),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families() {
        assert!(is_json("application/problem+json; charset=utf-8"));
        assert!(!is_json("application/xml"));
        assert!(is_xml("application/atom+xml"));
        assert_eq!(
            essence("Application/JSON; charset=UTF-8"),
            "application/json"
        );
        assert!(range_matches("application/*", "application/json"));
        assert!(!range_matches("text/*", "application/json"));
    }
}
