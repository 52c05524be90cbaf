//! A small `multipart/form-data` reader (RFC 7578): enough to turn a body into named fields for
//! validation. File parts become their (lossily decoded) text; parts declared as JSON are parsed.

use crate::request::Part;

/// The fields of a multipart body, in order; `None` when it has no boundary or no valid parts.
pub(crate) fn parse(content_type: &str, body: &[u8]) -> Option<Vec<(String, Part)>> {
    let boundary = param(content_type, "boundary")?;
    if boundary.is_empty() || boundary.len() > 200 {
        return None;
    }
    let delimiter = format!("--{boundary}");
    let d = delimiter.as_bytes();
    let mut fields = Vec::new();
    let mut pos = find(body, d, 0)? + d.len();
    loop {
        // After a delimiter: `--` ends the body, otherwise a line break starts a part.
        if body.get(pos..pos + 2) == Some(b"--") {
            break;
        }
        pos = skip_line_break(body, pos);
        let next = find(body, d, pos)?;
        let mut part = body.get(pos..next)?;
        // The line break before the delimiter belongs to the delimiter.
        if part.ends_with(b"\r\n") {
            part = &part[..part.len() - 2];
        } else if part.ends_with(b"\n") {
            part = &part[..part.len() - 1];
        }
        if let Some(field) = read_part(part) {
            fields.push(field);
        }
        pos = next + d.len();
        if pos >= body.len() {
            break;
        }
    }
    (!fields.is_empty()).then_some(fields)
}

fn read_part(part: &[u8]) -> Option<(String, Part)> {
    let (head, content) = match find(part, b"\r\n\r\n", 0) {
        Some(i) => (part.get(..i)?, part.get(i + 4..)?),
        None => {
            let i = find(part, b"\n\n", 0)?;
            (part.get(..i)?, part.get(i + 2..)?)
        }
    };
    let head = String::from_utf8_lossy(head);
    let mut name = None;
    let mut json = false;
    for line in head.lines() {
        let Some((k, v)) = line.split_once(':') else {
            continue;
        };
        let k = k.trim().to_ascii_lowercase();
        if k == "content-disposition" {
            name = param(v, "name");
        } else if k == "content-type" {
            json = arazzo_openapi::media::is_json(v.trim());
        }
    }
    let name = name?;
    let text = String::from_utf8_lossy(content).into_owned();
    if json && let Ok(v) = serde_json::from_str(&text) {
        return Some((name, Part::Json(v)));
    }
    Some((name, Part::Text(text)))
}

/// The value of `name=value` (or `name="value"`) among `;`-separated parameters.
fn param(header: &str, name: &str) -> Option<String> {
    header.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        if !k.trim().eq_ignore_ascii_case(name) {
            return None;
        }
        let v = v.trim();
        Some(
            v.strip_prefix('"')
                .and_then(|x| x.strip_suffix('"'))
                .unwrap_or(v)
                .to_string(),
        )
    })
}

fn skip_line_break(body: &[u8], pos: usize) -> usize {
    if body.get(pos..pos + 2) == Some(b"\r\n") {
        pos + 2
    } else if body.get(pos) == Some(&b'\n') {
        pos + 1
    } else {
        pos
    }
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || from > haystack.len() {
        return None;
    }
    haystack
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|i| i + from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_fields() {
        let body = b"--XX\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--XX\r\nContent-Disposition: form-data; name=\"meta\"\r\nContent-Type: application/json\r\n\r\n{\"k\":true}\r\n--XX\r\nContent-Disposition: form-data; name=\"f\"; filename=\"x.txt\"\r\n\r\nhello\r\n--XX--\r\n";
        let fields = parse("multipart/form-data; boundary=XX", body).unwrap_or_default();
        assert_eq!(fields.len(), 3);
        assert!(matches!(&fields[0], (n, Part::Text(t)) if n == "a" && t == "1"));
        assert!(matches!(&fields[1], (n, Part::Json(v)) if n == "meta" && v["k"] == true));
        assert!(matches!(&fields[2], (n, Part::Text(t)) if n == "f" && t == "hello"));
        assert!(parse("multipart/form-data", body).is_none());
        assert!(parse("multipart/form-data; boundary=ZZ", body).is_none());
        assert!(parse("multipart/form-data; boundary=XX", b"--XX").is_none());
    }
}
