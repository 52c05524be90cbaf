//! Percent-encoding for each place a value can land.
//!
//! Plain expansion encodes everything outside the RFC 3986 *unreserved* set
//! (`A-Z a-z 0-9 - . _ ~`), as RFC 6570 does; spaces become `%20`.
//! `application/x-www-form-urlencoded` content also encodes `~`, as the
//! OpenAPI URL Percent-Encoding section recommends. Reserved expansion
//! (`allowReserved: true`) lets RFC 3986 reserved characters and existing
//! `%XX` triples through, but still encodes what the destination can never
//! hold: `/ ? # [ ]` in a path segment and `# [ ]` in a query, so the URL
//! stays parseable.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Everything but RFC 3986 unreserved characters.
const UNRESERVED_ONLY: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Everything but unreserved characters, and `~` too (form content).
const FORM: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_');

/// Where encoded text is going to be placed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    /// A path segment.
    Path,
    /// A query-string name or value (RFC 6570 form-style expansion).
    Query,
    /// `application/x-www-form-urlencoded` content.
    Form,
}

/// Encodes every character outside the unreserved set (plus `~` for form
/// content).
pub(crate) fn strict(text: &str, target: Target) -> String {
    let set = if target == Target::Form {
        FORM
    } else {
        UNRESERVED_ONLY
    };
    utf8_percent_encode(text, set).to_string()
}

/// [`strict`] over raw bytes, for content that a media type produced and
/// that need not be UTF-8.
pub(crate) fn strict_bytes(bytes: &[u8], target: Target) -> String {
    let set = if target == Target::Form {
        FORM
    } else {
        UNRESERVED_ONLY
    };
    percent_encoding::percent_encode(bytes, set).to_string()
}

/// Reserved expansion (RFC 6570 `+`): reserved characters and valid `%XX`
/// triples pass through, everything else is encoded, and characters the
/// target cannot hold raw are encoded even though they are reserved.
pub(crate) fn reserved(text: &str, target: Target) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%'
            && bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
            && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit)
        {
            out.push_str(&text[i..i + 3]);
            i += 3;
            continue;
        }
        if passes_reserved(b, target) {
            out.push(char::from(b));
        } else {
            push_pct(&mut out, b);
        }
        i += 1;
    }
    out
}

fn passes_reserved(b: u8, target: Target) -> bool {
    if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
        return true;
    }
    match b {
        // sub-delims and the pchar extras are fine in both components.
        b'!' | b'$' | b'&' | b'\'' | b'(' | b')' | b'*' | b'+' | b',' | b';' | b'=' | b':'
        | b'@' => true,
        // `/` and `?` would change the path's structure; a query may hold them.
        b'/' | b'?' => target != Target::Path,
        // `#`, `[`, `]` are gen-delims that no path segment or query may hold.
        _ => false,
    }
}

fn push_pct(out: &mut String, b: u8) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    out.push('%');
    out.push(char::from(HEX[usize::from(b >> 4)]));
    out.push(char::from(HEX[usize::from(b & 0x0F)]));
}

/// Encodes `text` for `target`, reserved or not.
pub(crate) fn encode(text: &str, target: Target, allow_reserved: bool) -> String {
    if allow_reserved {
        reserved(text, target)
    } else {
        strict(text, target)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_keeps_only_unreserved() {
        assert_eq!(strict("a b/c~", Target::Query), "a%20b%2Fc~");
        assert_eq!(strict("a b/c~", Target::Form), "a%20b%2Fc%7E");
        assert_eq!(strict("ṅ", Target::Path), "%E1%B9%85");
    }

    #[test]
    fn reserved_passes_reserved_and_triples() {
        assert_eq!(reserved("x%2By", Target::Query), "x%2By");
        assert_eq!(reserved("x/y?z", Target::Query), "x/y?z");
        assert_eq!(reserved("x/y?z", Target::Path), "x%2Fy%3Fz");
        assert_eq!(reserved("a#b[c]", Target::Query), "a%23b%5Bc%5D");
        assert_eq!(reserved("100%", Target::Query), "100%25");
        assert_eq!(reserved("%zz", Target::Query), "%25zz");
        assert_eq!(reserved("x^y z", Target::Query), "x%5Ey%20z");
    }
}
