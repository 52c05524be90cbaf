//! The encodings a secret must not appear in, generated without the
//! engine's code, and the assertion that looks for them.

use std::sync::atomic::{AtomicUsize, Ordering};

// Encodings, written here without the engine's code.

pub const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";
pub const HEX_LOWER: &[u8; 16] = b"0123456789abcdef";

/// Percent-encodes every byte `keep` rejects; `plus` writes a space as `+`.
pub fn pct(s: &str, keep: &dyn Fn(u8) -> bool, plus: bool, lower: bool) -> String {
    let hex = if lower { HEX_LOWER } else { HEX_UPPER };
    let mut out = String::new();
    for b in s.bytes() {
        if plus && b == b' ' {
            out.push('+');
        } else if keep(b) {
            out.push(b as char);
        } else {
            out.push('%');
            out.push(hex[usize::from(b >> 4)] as char);
            out.push(hex[usize::from(b & 15)] as char);
        }
    }
    out
}

pub fn json_escape(s: &str, ascii: bool, lower: bool, slash: bool) -> String {
    let mut out = String::new();
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '/' if slash => out.push_str("\\/"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || (ascii && !c.is_ascii()) => {
                let mut units = [0u16; 2];
                for u in c.encode_utf16(&mut units) {
                    let h = format!("\\u{:04x}", u);
                    out.push_str(&if lower {
                        h
                    } else {
                        h.to_uppercase().replace("\\U", "\\u")
                    });
                }
            }
            c => out.push(c),
        }
    }
    out
}

pub fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

pub fn base64(bytes: &[u8], url: bool, pad: bool) -> String {
    let alphabet: &[u8] = if url {
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    } else {
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    };
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.len();
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let v = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= n {
                out.push(alphabet[((v >> (18 - 6 * i)) & 63) as usize] as char);
            } else if pad {
                out.push('=');
            }
        }
    }
    out
}

pub fn base64_decode(s: &str) -> Vec<u8> {
    let val = |c: u8| match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' | b'-' => Some(62),
        b'/' | b'_' => Some(63),
        _ => None,
    };
    let digits: Vec<u8> = s.bytes().filter_map(val).collect();
    let mut out = Vec::new();
    for chunk in digits.chunks(4) {
        let mut v = 0u32;
        for (i, d) in chunk.iter().enumerate() {
            v |= u32::from(*d) << (18 - 6 * i);
        }
        for i in 0..chunk.len().saturating_sub(1) {
            out.push((v >> (16 - 8 * i)) as u8);
        }
    }
    out
}

pub fn pct_decode(s: &str, plus: bool) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' if plus => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("zz");
                match u8::from_str_radix(hex, 16) {
                    Ok(v) => {
                        out.push(v);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Every form of `secret` that must not appear, named.
pub fn encodings(secret: &str) -> Vec<(String, String)> {
    let alnum = |b: u8| b.is_ascii_alphanumeric();
    let unreserved = |b: u8| b.is_ascii_alphanumeric() || b"-._~".contains(&b);
    let form = |b: u8| b.is_ascii_alphanumeric() || b"*-._".contains(&b);
    // WHATWG URL sets: what stays plain in a query and in a path.
    let query = |b: u8| b > 0x20 && b < 0x7f && !b"\"#<>'".contains(&b);
    let path = |b: u8| b > 0x20 && b < 0x7f && !b"\"#<>?`{}/%".contains(&b);
    let userinfo = |b: u8| unreserved(b) || b"!$&'()*+,;=".contains(&b);
    let none = |_: u8| false;
    let sets: [(&str, &dyn Fn(u8) -> bool); 7] = [
        ("non-alphanumeric", &alnum),
        ("rfc3986-unreserved", &unreserved),
        ("form", &form),
        ("whatwg-query", &query),
        ("whatwg-path", &path),
        ("userinfo", &userinfo),
        ("every-byte", &none),
    ];
    let mut out = vec![("raw".to_string(), secret.to_string())];
    for (name, keep) in sets {
        for plus in [false, true] {
            for lower in [false, true] {
                out.push((
                    format!(
                        "percent {name}{}{}",
                        if plus { " +" } else { "" },
                        if lower { " lower" } else { "" }
                    ),
                    pct(secret, keep, plus, lower),
                ));
            }
        }
    }
    for ascii in [false, true] {
        for lower in [false, true] {
            for slash in [false, true] {
                out.push((
                    format!("json ascii={ascii} lower={lower} slash={slash}"),
                    json_escape(secret, ascii, lower, slash),
                ));
            }
        }
    }
    let once = json_escape(secret, false, true, false);
    out.push(("json twice".into(), json_escape(&once, false, true, false)));
    out.push(("xml".into(), xml_escape(secret)));
    out.push(("xml of json".into(), xml_escape(&once)));
    for url in [false, true] {
        for pad in [false, true] {
            out.push((
                format!("base64 url={url} pad={pad}"),
                base64(secret.as_bytes(), url, pad),
            ));
        }
    }
    let head: String = secret.chars().take(10).collect();
    out.push(("first ten characters".into(), head));
    out.sort();
    out.dedup_by(|a, b| a.1 == b.1);
    out
}

/// Every form of Basic's `user:password` pair that must not appear.
pub fn pair_encodings(user: &str, password: &str) -> Vec<(String, String)> {
    let pair = format!("{user}:{password}");
    let mut out = Vec::new();
    for url in [false, true] {
        for pad in [false, true] {
            out.push((
                format!("base64 of user:password url={url} pad={pad}"),
                base64(pair.as_bytes(), url, pad),
            ));
        }
    }
    let form = |s: &str| {
        pct(
            s,
            &|b: u8| b.is_ascii_alphanumeric() || b"*-._".contains(&b),
            true,
            false,
        )
    };
    let encoded = format!("{}:{}", form(user), form(password));
    out.push((
        "base64 of form-encoded client pair".into(),
        base64(encoded.as_bytes(), false, true),
    ));
    out
}

/// Counts every (output, needle) check made by the suite.
pub static CHECKS: AtomicUsize = AtomicUsize::new(0);

/// Asserts that no output holds any of `needles`; names every leak.
pub fn assert_no_leak(what: &str, outputs: &[(String, String)], needles: &[(String, String)]) {
    let mut leaks = Vec::new();
    for (name, text) in outputs {
        for (encoding, needle) in needles {
            CHECKS.fetch_add(1, Ordering::Relaxed);
            if let Some(at) = text.find(needle.as_str()) {
                let from = text[..at]
                    .char_indices()
                    .rev()
                    .nth(60)
                    .map_or(0, |(i, _)| i);
                let to = (at + needle.len() + 60).min(text.len());
                let to = (to..=text.len())
                    .find(|&i| text.is_char_boundary(i))
                    .unwrap_or(text.len());
                leaks.push(format!(
                    "{name}: {encoding} `{needle}` in …{}…",
                    &text[from..to]
                ));
            }
        }
    }
    assert!(
        leaks.is_empty(),
        "{what}: {} leak(s):\n{}",
        leaks.len(),
        leaks.join("\n")
    );
}
