//! Request body encoding for every media type family, driven by
//! `tests/data/serialize/body_cases.json`, plus multipart boundary and
//! Swagger 2.0 formData checks.
#![allow(clippy::unwrap_used)]

use arazzo_openapi::serialize::{
    BodyOptions, EncodedBody, SerializeError, encode_body, swagger2_form,
};
use serde_json::{Value, json};

fn load(name: &str) -> Value {
    let path = format!("{}/tests/data/serialize/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn options(o: &Value) -> BodyOptions<'_> {
    BodyOptions {
        schema: o.get("schema"),
        encoding: o.get("encoding"),
        prefix_encoding: o.get("prefixEncoding"),
        item_encoding: o.get("itemEncoding"),
        xml_root_name: o.get("xml_root_name").and_then(Value::as_str),
        boundary: o.get("boundary").and_then(Value::as_str),
    }
}

/// The boundary of a multipart content type, if any.
fn boundary_of(content_type: &str) -> Option<String> {
    let (_, rest) = content_type.split_once("boundary=")?;
    Some(rest.split(';').next()?.trim_matches('"').to_owned())
}

/// Replaces the generated boundary with `{boundary}` so that expectations
/// do not depend on the hash.
fn normalize(body: &EncodedBody, fixed: bool) -> (String, Vec<u8>) {
    let generated = |b: &String| !fixed && b.starts_with("arazzo-run-");
    match boundary_of(&body.content_type).filter(generated) {
        Some(b) => {
            let text = String::from_utf8_lossy(&body.bytes).replace(&b, "{boundary}");
            (
                body.content_type.replace(&b, "{boundary}"),
                text.into_bytes(),
            )
        }
        None => (body.content_type.clone(), body.bytes.clone()),
    }
}

fn check(case: &Value, actual: &Result<EncodedBody, SerializeError>) -> Result<(), String> {
    let expect = &case["expect"];
    let body = match (actual, expect.get("error")) {
        (Err(e), Some(code)) if code.as_str() == Some(e.code()) => return Ok(()),
        (Ok(body), None) => body,
        _ => return Err(format!("expected {expect}, got {actual:?}")),
    };
    let fixed = case["options"].get("boundary").is_some();
    let (content_type, bytes) = normalize(body, fixed);
    if let Some(ct) = expect.get("content_type").and_then(Value::as_str)
        && ct != content_type
    {
        return Err(format!(
            "content type: expected {ct:?}, got {content_type:?}"
        ));
    }
    let want: Option<Vec<u8>> = if let Some(t) = expect.get("text").and_then(Value::as_str) {
        Some(t.as_bytes().to_vec())
    } else if let Some(lines) = expect.get("lines").and_then(Value::as_array) {
        let lines: Vec<&str> = lines.iter().map(|l| l.as_str().unwrap()).collect();
        Some(lines.join("\r\n").into_bytes())
    } else {
        expect.get("bytes").and_then(Value::as_array).map(|b| {
            b.iter()
                .map(|n| u8::try_from(n.as_u64().unwrap()).unwrap())
                .collect()
        })
    };
    match want {
        Some(w) if w != bytes => Err(format!(
            "body: expected\n{}\ngot\n{}",
            String::from_utf8_lossy(&w),
            String::from_utf8_lossy(&bytes)
        )),
        _ => Ok(()),
    }
}

#[test]
fn body_cases() {
    let data = load("body_cases.json");
    let cases = data["cases"].as_array().unwrap();
    let mut failures = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let opts = options(&case["options"]);
        let actual = encode_body(case["media_type"].as_str().unwrap(), &case["value"], &opts);
        if let Err(why) = check(case, &actual) {
            let label = case.get("source").or_else(|| case.get("note")).unwrap();
            failures.push(format!("#{i} {label}: {why}"));
        }
    }
    assert!(cases.len() >= 100);
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn multipart_boundary_is_deterministic_and_absent_from_content() {
    let value = json!({"a": "x", "b": {"c": [1, 2]}});
    let first = encode_body("multipart/form-data", &value, &BodyOptions::default()).unwrap();
    let second = encode_body("multipart/form-data", &value, &BodyOptions::default()).unwrap();
    assert_eq!(first, second);
    let other = encode_body(
        "multipart/form-data",
        &json!({"a": "y"}),
        &BodyOptions::default(),
    )
    .unwrap();
    assert_ne!(
        boundary_of(&first.content_type),
        boundary_of(&other.content_type)
    );

    // Content that contains the boundary the same content would otherwise
    // get forces another one.
    let b = boundary_of(&first.content_type).unwrap();
    let tricky = json!({"a": format!("--{b}--"), "b": {"c": [1, 2]}});
    let body = encode_body("multipart/form-data", &tricky, &BodyOptions::default()).unwrap();
    let nb = boundary_of(&body.content_type).unwrap();
    let text = String::from_utf8(body.bytes).unwrap();
    // Exactly one delimiter per part plus the close delimiter.
    assert_eq!(text.matches(&format!("--{nb}")).count(), 3, "{text}");
    assert!(nb.len() <= 70);
}

#[test]
fn nested_multipart_has_its_own_boundary() {
    let opts_value =
        json!([{"contentType": "multipart/mixed", "itemEncoding": {"contentType": "text/plain"}}]);
    let opts = BodyOptions {
        prefix_encoding: Some(&opts_value),
        ..BodyOptions::default()
    };
    let body = encode_body("multipart/mixed", &json!([["x", "y"]]), &opts).unwrap();
    let outer = boundary_of(&body.content_type).unwrap();
    let text = String::from_utf8(body.bytes).unwrap();
    let inner_ct = text
        .lines()
        .find(|l| l.starts_with("Content-Type: multipart/mixed"))
        .unwrap();
    let inner = boundary_of(inner_ct).unwrap();
    assert_ne!(inner, outer);
    assert_eq!(text.matches(&format!("--{inner}\r\n")).count(), 2, "{text}");
    assert!(text.contains(&format!("--{inner}--\r\n")));
    assert!(text.ends_with(&format!("--{outer}--\r\n")));
}

#[test]
fn media_type_object_options() {
    let mto = json!({
        "schema": {"type": "object", "properties": {"file": {}}},
        "encoding": {"file": {"contentType": "image/png"}}
    });
    let opts = BodyOptions::from_media_type_object(&mto);
    let body = encode_body("multipart/form-data", &json!({"file": "PNG"}), &opts).unwrap();
    let text = String::from_utf8(body.bytes).unwrap();
    assert!(text.contains("Content-Type: image/png\r\n"), "{text}");
    assert!(text.contains("filename=\"file\""), "{text}");
}

#[test]
fn swagger2_form_data() {
    let params = json!([
        {"name": "id", "in": "path", "type": "string"},
        {"name": "name", "in": "formData", "type": "string"},
        {"name": "tags", "in": "formData", "type": "array", "items": {"type": "string"}},
        {"name": "ids", "in": "formData", "type": "array", "items": {"type": "integer"}, "collectionFormat": "multi"},
        {"name": "words", "in": "formData", "type": "array", "collectionFormat": "tsv"},
        {"name": "upload", "in": "formData", "type": "file"}
    ]);
    let form = swagger2_form(params.as_array().unwrap()).unwrap();
    let opts = BodyOptions {
        schema: Some(&form.schema),
        encoding: Some(&form.encoding),
        ..BodyOptions::default()
    };
    let value = json!({"name": "a b", "tags": ["x", "y"], "ids": [1, 2], "words": ["p", "q"]});
    let body = encode_body("application/x-www-form-urlencoded", &value, &opts).unwrap();
    assert_eq!(
        String::from_utf8(body.bytes).unwrap(),
        "name=a%20b&tags=x,y&ids=1&ids=2&words=p%09q"
    );

    let value = json!({"name": "a b", "tags": ["x", "y"], "ids": [1, 2], "upload": "BYTES"});
    let body = encode_body("multipart/form-data", &value, &opts).unwrap();
    let b = boundary_of(&body.content_type).unwrap();
    let text = String::from_utf8(body.bytes).unwrap().replace(&b, "B");
    let expected = [
        "--B",
        "Content-Disposition: form-data; name=\"name\"",
        "Content-Type: text/plain",
        "",
        "a b",
        "--B",
        "Content-Disposition: form-data; name=\"tags\"",
        "Content-Type: text/plain",
        "",
        "x,y",
        "--B",
        "Content-Disposition: form-data; name=\"ids\"",
        "Content-Type: text/plain",
        "",
        "1",
        "--B",
        "Content-Disposition: form-data; name=\"ids\"",
        "Content-Type: text/plain",
        "",
        "2",
        "--B",
        "Content-Disposition: form-data; name=\"upload\"; filename=\"upload\"",
        "Content-Type: application/octet-stream",
        "",
        "BYTES",
        "--B--",
        "",
    ]
    .join("\r\n");
    assert_eq!(text, expected);

    let bad = json!([{"name": "x", "in": "formData", "type": "array", "collectionFormat": "nope"}]);
    assert_eq!(
        swagger2_form(bad.as_array().unwrap()).unwrap_err().code(),
        "invalid-parameter"
    );
}
