//! The OpenAPI "Style Examples" table, every style × explode × value type,
//! driven by `tests/data/serialize/style_examples.json`.
#![allow(clippy::unwrap_used)]

use arazzo_openapi::serialize::{
    ParamEncoding, ParamLocation, SerializeError, Style, cookie_pairs, header_value, path_value,
    query_pairs,
};
use serde_json::Value;

fn load(name: &str) -> Value {
    let path = format!("{}/tests/data/serialize/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn serialize(
    location: ParamLocation,
    enc: &ParamEncoding,
    value: &Value,
) -> Result<String, SerializeError> {
    match location {
        ParamLocation::Path => path_value("color", value, enc),
        ParamLocation::Query => query_pairs("color", value, enc).map(|p| p.join("&")),
        ParamLocation::Header => header_value("color", value, enc),
        ParamLocation::Cookie => cookie_pairs("color", value, enc).map(|p| p.join("; ")),
        ParamLocation::QueryString => unreachable!("not in the table"),
    }
}

fn check(actual: &Result<String, SerializeError>, expected: &Value) -> Result<(), String> {
    match (actual, expected) {
        (Ok(a), Value::String(e)) if a == e => Ok(()),
        (Err(err), Value::Object(o))
            if o.get("error").and_then(Value::as_str) == Some(err.code()) =>
        {
            // Every error must say what it is about.
            let msg = err.to_string();
            if msg.contains("`color`") {
                Ok(())
            } else {
                Err(format!("error message does not name the parameter: {msg}"))
            }
        }
        _ => Err(format!("expected {expected}, got {actual:?}")),
    }
}

#[test]
fn style_examples_table() {
    let data = load("style_examples.json");
    let values = data["values"].as_object().unwrap();
    let mut failures = Vec::new();
    let mut checked = 0;
    for row in data["rows"].as_array().unwrap() {
        let location = ParamLocation::from_in(row["in"].as_str().unwrap()).unwrap();
        let style = Style::from_name(row["style"].as_str().unwrap(), false).unwrap();
        let enc = ParamEncoding {
            style,
            explode: row["explode"].as_bool().unwrap(),
            ..ParamEncoding::default_for(location)
        };
        for (column, value) in values {
            let expected = &row["expect"][column];
            assert!(!expected.is_null(), "missing {column} in {row}");
            let actual = serialize(location, &enc, value);
            checked += 1;
            if let Err(why) = check(&actual, expected) {
                failures.push(format!(
                    "{location} {style} explode={} {column}: {why}",
                    enc.explode
                ));
            }
        }
    }
    assert_eq!(checked, 20 * 5);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The same table read through `from_openapi3`, so that the Parameter
/// Object parsing (style names, explode defaults) is exercised too.
#[test]
fn style_examples_through_parameter_objects() {
    let data = load("style_examples.json");
    let array = &data["values"]["array"];
    for row in data["rows"].as_array().unwrap() {
        let param = serde_json::json!({
            "name": "color",
            "in": row["in"],
            "style": row["style"],
            "explode": row["explode"],
            "schema": {"type": "array"}
        });
        let location = ParamLocation::from_in(row["in"].as_str().unwrap()).unwrap();
        let enc = ParamEncoding::from_openapi3(location, &param).unwrap();
        let actual = serialize(location, &enc, array);
        check(&actual, &row["expect"]["array"]).unwrap();
    }
}

#[test]
fn defaults_per_location() {
    let d = ParamEncoding::default_for(ParamLocation::Path);
    assert_eq!((d.style, d.explode), (Style::Simple, false));
    let d = ParamEncoding::default_for(ParamLocation::Header);
    assert_eq!((d.style, d.explode), (Style::Simple, false));
    let d = ParamEncoding::default_for(ParamLocation::Query);
    assert_eq!((d.style, d.explode), (Style::Form, true));
    let d = ParamEncoding::default_for(ParamLocation::Cookie);
    assert_eq!((d.style, d.explode), (Style::Form, true));
    let d = ParamEncoding::default_for(ParamLocation::QueryString);
    assert_eq!(
        d.content_type.as_deref(),
        Some("application/x-www-form-urlencoded")
    );
    // A Parameter Object that names a style but not explode gets that
    // style's default.
    let p = serde_json::json!({"name": "c", "in": "cookie", "style": "cookie"});
    let d = ParamEncoding::from_openapi3(ParamLocation::Cookie, &p).unwrap();
    assert_eq!((d.style, d.explode), (Style::Cookie, true));
    let p = serde_json::json!({"name": "c", "in": "query", "style": "pipeDelimited"});
    let d = ParamEncoding::from_openapi3(ParamLocation::Query, &p).unwrap();
    assert_eq!((d.style, d.explode), (Style::PipeDelimited, false));
}

#[test]
fn error_messages_name_parameter_and_problem() {
    let enc = ParamEncoding {
        style: Style::SpaceDelimited,
        explode: true,
        ..ParamEncoding::default_for(ParamLocation::Query)
    };
    let err = query_pairs("ids", &serde_json::json!([1, 2]), &enc).unwrap_err();
    assert_eq!(
        err.to_string(),
        "spaceDelimited style with explode=true is not defined for an array in query parameter `ids`"
    );
    let enc = ParamEncoding {
        style: Style::Matrix,
        ..ParamEncoding::default_for(ParamLocation::Query)
    };
    let err = query_pairs("m", &serde_json::json!(1), &enc).unwrap_err();
    assert_eq!(
        err.to_string(),
        "matrix style is not allowed for query parameter `m`"
    );
}
