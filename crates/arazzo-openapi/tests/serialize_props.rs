//! Properties that must hold for any input: encoded values decode back,
//! path values never add structure, headers never carry line breaks,
//! multipart boundaries never occur in content.
#![allow(clippy::unwrap_used)]

use arazzo_openapi::serialize::{
    BodyOptions, ParamEncoding, ParamLocation, encode_body, header_value, path_value, query_pairs,
};
use proptest::prelude::*;
use serde_json::{Value, json};

fn pct_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8()
        .unwrap()
        .into_owned()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn query_values_round_trip(s in any::<String>()) {
        let enc = ParamEncoding::default_for(ParamLocation::Query);
        let pairs = query_pairs("q", &Value::String(s.clone()), &enc).unwrap();
        prop_assert_eq!(pairs.len(), 1);
        let (name, value) = pairs[0].split_once('=').unwrap();
        prop_assert_eq!(name, "q");
        prop_assert!(value.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~%".contains(&b)));
        prop_assert_eq!(pct_decode(value), s);
    }

    #[test]
    fn exploded_arrays_round_trip(items in proptest::collection::vec(any::<String>(), 1..5)) {
        let enc = ParamEncoding::default_for(ParamLocation::Query);
        let pairs = query_pairs("q", &json!(items), &enc).unwrap();
        let decoded: Vec<String> = pairs.iter().map(|p| pct_decode(&p[2..])).collect();
        prop_assert_eq!(decoded, items);
    }

    #[test]
    fn path_values_stay_one_segment(s in any::<String>(), allow_reserved in any::<bool>()) {
        let enc = ParamEncoding {
            allow_reserved,
            ..ParamEncoding::default_for(ParamLocation::Path)
        };
        let out = path_value("p", &Value::String(s), &enc).unwrap();
        prop_assert!(!out.contains(['/', '?', '#', '[', ']', ' ']));
        prop_assert!(out.is_ascii());
    }

    #[test]
    fn header_values_never_break_lines(s in any::<String>()) {
        let enc = ParamEncoding::default_for(ParamLocation::Header);
        match header_value("X-Test", &Value::String(s.clone()), &enc) {
            Ok(out) => {
                prop_assert!(!out.contains(['\r', '\n', '\0']));
                prop_assert_eq!(out, s);
            }
            Err(e) => {
                prop_assert_eq!(e.code(), "invalid-header-value");
                prop_assert!(s.chars().any(|c| c.is_ascii_control() && c != '\t'));
            }
        }
    }

    #[test]
    fn multipart_boundary_never_in_content(
        fields in proptest::collection::vec(("[a-z]{1,6}", any::<String>()), 0..6),
        prefix in any::<bool>(),
    ) {
        let mut map = serde_json::Map::new();
        for (k, v) in fields {
            // Salt values with boundary-like text to tempt collisions.
            let v = if prefix { format!("--arazzo-run-{v}") } else { v };
            map.insert(k, Value::String(v));
        }
        let parts = map.len();
        let body = encode_body("multipart/form-data", &Value::Object(map), &BodyOptions::default()).unwrap();
        let b = body.content_type.rsplit("boundary=").next().unwrap().to_owned();
        let text = String::from_utf8(body.bytes).unwrap();
        prop_assert_eq!(text.matches(b.as_str()).count(), parts + 1);
    }

    #[test]
    fn form_bodies_round_trip(fields in proptest::collection::vec(("[a-z]{1,6}", any::<String>()), 0..6)) {
        let mut map = serde_json::Map::new();
        for (k, v) in &fields {
            map.insert(k.clone(), Value::String(v.clone()));
        }
        let body = encode_body("application/x-www-form-urlencoded", &Value::Object(map.clone()), &BodyOptions::default()).unwrap();
        let text = String::from_utf8(body.bytes).unwrap();
        let mut decoded = serde_json::Map::new();
        for pair in text.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap();
            decoded.insert(pct_decode(k), Value::String(pct_decode(v)));
        }
        prop_assert_eq!(decoded, map);
    }

    #[test]
    fn xml_never_panics(value in arb_json()) {
        // Either valid output or a typed error; never a panic.
        let _ = encode_body("application/xml", &value, &BodyOptions::default());
        let _ = encode_body("multipart/form-data", &value, &BodyOptions::default());
        let _ = encode_body("application/x-www-form-urlencoded", &value, &BodyOptions::default());
    }
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<String>().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::btree_map("[a-zA-Z_][a-zA-Z0-9]{0,4}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}
