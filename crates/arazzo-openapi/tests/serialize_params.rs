//! Parameter serialization: specification examples, percent-encoding,
//! policies and invalid descriptions, driven by
//! `tests/data/serialize/param_cases.json`.
#![allow(clippy::unwrap_used)]

use arazzo_openapi::serialize::{
    ParamEncoding, ParamLocation, SerializeError, Style, cookie_pairs, header_value,
    is_ignored_header, is_undefined, path_value, query_pairs, querystring,
};
use serde_json::{Value, json};

fn load(name: &str) -> Value {
    let path = format!("{}/tests/data/serialize/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn run(case: &Value) -> Result<String, SerializeError> {
    let param = &case["param"];
    let location_name = case
        .get("location")
        .unwrap_or(&param["in"])
        .as_str()
        .unwrap();
    let location = ParamLocation::from_in(location_name).unwrap();
    let name = param["name"].as_str().unwrap();
    let enc = if case["swagger"].as_bool() == Some(true) {
        ParamEncoding::from_swagger2(location, param)?
    } else {
        ParamEncoding::from_openapi3(location, param)?
    };
    let value = &case["value"];
    match location {
        ParamLocation::Path => path_value(name, value, &enc),
        ParamLocation::Query => query_pairs(name, value, &enc).map(|p| p.join("&")),
        ParamLocation::QueryString => querystring(value, &enc),
        ParamLocation::Header => header_value(name, value, &enc),
        ParamLocation::Cookie => cookie_pairs(name, value, &enc).map(|p| p.join("; ")),
    }
}

#[test]
fn parameter_cases() {
    let data = load("param_cases.json");
    let cases = data["cases"].as_array().unwrap();
    let mut failures = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let actual = run(case);
        let expected = &case["expect"];
        let ok = match (&actual, expected) {
            (Ok(a), Value::String(e)) => a == e,
            (Err(err), Value::Object(o)) => o["error"].as_str() == Some(err.code()),
            _ => false,
        };
        if !ok {
            let label = case
                .get("source")
                .or_else(|| case.get("note"))
                .map_or_else(|| case["param"].to_string(), Value::to_string);
            failures.push(format!("#{i} {label}: expected {expected}, got {actual:?}"));
        }
    }
    assert!(cases.len() >= 80);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn undefined_values() {
    for v in [
        json!(null),
        json!([]),
        json!({}),
        json!({"a": null}),
        json!([null]),
    ] {
        assert!(is_undefined(&v), "{v}");
    }
    for v in [
        json!(""),
        json!(0),
        json!(false),
        json!([""]),
        json!({"a": ""}),
    ] {
        assert!(!is_undefined(&v), "{v}");
    }
    // Undefined query, cookie and header values produce nothing.
    let q = ParamEncoding::default_for(ParamLocation::Query);
    assert!(query_pairs("q", &json!(null), &q).unwrap().is_empty());
    let c = ParamEncoding::default_for(ParamLocation::Cookie);
    assert!(cookie_pairs("c", &json!([]), &c).unwrap().is_empty());
    let h = ParamEncoding::default_for(ParamLocation::Header);
    assert_eq!(header_value("X-A", &json!(null), &h).unwrap(), "");
    // The empty string is defined.
    assert_eq!(query_pairs("q", &json!(""), &q).unwrap(), vec!["q="]);
}

#[test]
fn ignored_headers() {
    assert!(is_ignored_header("Accept"));
    assert!(is_ignored_header("content-type"));
    assert!(is_ignored_header("AUTHORIZATION"));
    assert!(!is_ignored_header("X-Accept"));
}

#[test]
fn explicit_encodings_outside_the_table_are_refused() {
    // A hand-built ParamEncoding can name any style; each function refuses
    // the ones its location does not have.
    let form = ParamEncoding {
        style: Style::Form,
        ..ParamEncoding::default_for(ParamLocation::Path)
    };
    assert_eq!(
        path_value("p", &json!(1), &form).unwrap_err().code(),
        "style-not-allowed"
    );
    let label = ParamEncoding {
        style: Style::Label,
        ..ParamEncoding::default_for(ParamLocation::Header)
    };
    assert_eq!(
        header_value("X-A", &json!(1), &label).unwrap_err().code(),
        "style-not-allowed"
    );
    let simple = ParamEncoding {
        style: Style::Simple,
        ..ParamEncoding::default_for(ParamLocation::Cookie)
    };
    assert_eq!(
        cookie_pairs("c", &json!(1), &simple).unwrap_err().code(),
        "style-not-allowed"
    );
}

#[test]
fn content_parameter_errors_name_the_parameter() {
    let enc = ParamEncoding::with_content(ParamLocation::Query, "application/octet-stream");
    let err = query_pairs("blob", &json!({"a": 1}), &enc).unwrap_err();
    let msg = err.to_string();
    assert!(msg.starts_with("query parameter `blob`: "), "{msg}");
    assert_eq!(err.code(), "unsupported-body");
}

#[test]
fn binary_content_in_a_path_is_percent_encoded_bytewise() {
    let enc = ParamEncoding::with_content(ParamLocation::Path, "application/octet-stream");
    assert_eq!(
        path_value("b", &json!([0, 255, 65]), &enc).unwrap(),
        "%00%FFA"
    );
    // ...but cannot be a header.
    let enc = ParamEncoding::with_content(ParamLocation::Header, "application/octet-stream");
    assert_eq!(
        header_value("X-B", &json!([255]), &enc).unwrap_err().code(),
        "unsupported-body"
    );
}
