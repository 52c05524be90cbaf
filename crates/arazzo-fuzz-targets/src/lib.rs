//! The bodies of arazzo-run's fuzz targets.
//!
//! Each function takes the raw bytes a fuzzer produced and drives one
//! surface that reads untrusted input: the YAML/JSON loader, the Arazzo
//! model and validator, the OpenAPI loader and `$ref` resolver, runtime
//! expressions and criteria, parameter and body serialization, and the
//! mock's schema validation. A function returns normally for every input; a
//! panic, a stack overflow, a hang or an abort is the bug a fuzzer reports.
//!
//! The functions live here, not in `fuzz/`, so that the workspace's
//! `cargo test` replays every input kept under `fuzz/regressions/<target>/`
//! (see `tests/regressions.rs`) without cargo-fuzz or a nightly toolchain.
//! `fuzz/run.sh` runs the fuzzers; `docs/security.md` says how.

use std::sync::Arc;

use arazzo_expr::{
    CriterionType, EmptyContext, JsonContext, parse_condition, parse_expression, parse_template,
};
use arazzo_openapi::serialize::{ParamEncoding, Style};
use serde_json::Value;

/// A fuzz target: its name (a directory under `fuzz/regressions/`) and body.
pub type Target = (&'static str, fn(&[u8]));

/// Every target, by name.
pub const TARGETS: &[Target] = &[
    ("load", load),
    ("document", document),
    ("openapi", openapi),
    ("expression", expression),
    ("criterion", criterion),
    ("serialize", serialize),
    ("mock_validate", mock_validate),
];

/// The target called `name`.
pub fn target(name: &str) -> Option<fn(&[u8])> {
    TARGETS.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
}

/// The YAML/JSON loader: bytes to a value with spans. Every node a pointer
/// can name must locate inside the text.
pub fn load(data: &[u8]) {
    let Ok(loaded) = arazzo_model::load::load("fuzz.yaml", data) else {
        return;
    };
    let len = loaded.file.text().len();
    for pointer in pointers(&loaded.value, 64) {
        let loc = loaded.locate(&pointer, arazzo_model::Part::Value);
        assert!(
            loc.span.end as usize <= len,
            "span past the end at {pointer}"
        );
    }
}

/// The Arazzo model and validator: load, parse, validate, and render every
/// diagnostic (rendering reads the source around each location).
pub fn document(data: &[u8]) {
    let (_doc, diagnostics) = arazzo_model::check("fuzz.arazzo.yaml", data);
    for d in &diagnostics {
        let _ = d.render(false);
    }
}

/// The OpenAPI loader and `$ref` resolver: index the description and build
/// every operation (parameters, bodies and responses through `$ref`s).
pub fn openapi(data: &[u8]) {
    let Ok(loaded) = arazzo_model::load::load("fuzz.openapi.yaml", data) else {
        return;
    };
    let Some(version) = arazzo_openapi::Version::detect(&loaded.value) else {
        return;
    };
    let Ok(url) = url::Url::parse("file:///fuzz/openapi.yaml") else {
        return;
    };
    let loaded = Arc::new(loaded);
    let mut store = arazzo_openapi::Store::new();
    store.insert(url.clone(), loaded.clone());
    let api = arazzo_openapi::OpenApi::new(url, loaded, version, &store);
    let _ = api.security_schemes(&store);
    for entry in api.operations() {
        let op = arazzo_openapi::operation::build(&api, entry, &store);
        let _ = op.label();
    }
}

/// Runtime expressions, templates and conditions: what parses prints back
/// to text that parses to the same tree, and evaluates without a panic;
/// every syntax error renders with a caret.
pub fn expression(data: &[u8]) {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    match parse_expression(s) {
        Ok(e) => {
            assert_eq!(parse_expression(&e.to_string()).ok(), Some(e.clone()));
            let _ = e.evaluate(&EmptyContext);
        }
        Err(err) => assert!(err.render(s).contains('^')),
    }
    match parse_template(s) {
        Ok(t) => {
            assert_eq!(parse_template(&t.to_string()).ok(), Some(t.clone()));
            let _ = t.evaluate(&EmptyContext);
        }
        Err(err) => assert!(err.render(s).contains('^')),
    }
    match parse_condition(s) {
        Ok(c) => {
            let printed = c.to_string();
            assert_eq!(
                parse_condition(&printed).ok().as_ref(),
                Some(&c),
                "{printed}"
            );
            let _ = c.evaluate(&EmptyContext);
        }
        Err(err) => assert!(err.render(s).contains('^')),
    }
}

/// Criteria of every type against a response: the first line is the
/// condition, the first byte picks the type (simple, regex, JSONPath,
/// XPath), the rest is the response body (JSON when it parses, else text).
pub fn criterion(data: &[u8]) {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let (condition, body) = text.split_once('\n').unwrap_or((text, ""));
    let (ty, context) = match pick % 4 {
        0 => ("simple", None),
        1 => ("regex", Some("$response.body")),
        2 => ("jsonpath", Some("$response.body")),
        _ => ("xpath", Some("$response.body")),
    };
    let Ok(ty) = CriterionType::from_value(Some(&Value::String(ty.into()))) else {
        return;
    };
    let Ok(criterion) = arazzo_expr::Criterion::compile(condition, context, &ty) else {
        return;
    };
    let body = serde_json::from_str(body).unwrap_or_else(|_| Value::String(body.to_owned()));
    let ctx = JsonContext::new()
        .with_status_code(200)
        .with_response_body(body);
    let _ = criterion.evaluate(&ctx);
}

/// Parameter and body serialization: the first byte picks the style, explode
/// and allowReserved, the second the location or media type; the rest is
/// the value (JSON when it parses, else a string).
pub fn serialize(data: &[u8]) {
    let [pick, place, rest @ ..] = data else {
        return;
    };
    let value = serde_json::from_slice(rest)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(rest).into_owned()));
    let styles = [
        Style::Matrix,
        Style::Label,
        Style::Simple,
        Style::Form,
        Style::SpaceDelimited,
        Style::PipeDelimited,
        Style::TabDelimited,
        Style::DeepObject,
    ];
    let enc = ParamEncoding {
        style: styles[usize::from(pick % 8)],
        explode: pick & 0x10 != 0,
        allow_reserved: pick & 0x20 != 0,
        content_type: None,
        media_type_object: None,
    };
    use arazzo_openapi::serialize as s;
    match place % 8 {
        0 => drop(s::path_value("p", &value, &enc)),
        1 => drop(s::query_pairs("q", &value, &enc)),
        2 => drop(s::header_value("X-H", &value, &enc)),
        3 => drop(s::cookie_pairs("c", &value, &enc)),
        4 => drop(s::querystring(&value, &enc)),
        m => {
            let media = [
                "application/x-www-form-urlencoded",
                "multipart/form-data",
                "application/xml",
            ][usize::from(m - 5)];
            let _ = s::encode_body(media, &value, &s::BodyOptions::default());
        }
    }
}

/// The mock's request validation: the first line is a JSON Schema (an
/// OpenAPI 3.1 schema object), the rest the value checked against it.
pub fn mock_validate(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (schema, value) = text.split_once('\n').unwrap_or((text, "null"));
    let Ok(schema) = serde_json::from_str::<Value>(schema) else {
        return;
    };
    let Ok(value) = serde_json::from_str::<Value>(value) else {
        return;
    };
    let Ok(base) = url::Url::parse("file:///fuzz/openapi.yaml") else {
        return;
    };
    let root =
        serde_json::json!({"openapi": "3.1.0", "components": {"schemas": {"S": schema.clone()}}});
    let Ok(loaded) = arazzo_model::load::load("fuzz.json", root.to_string().as_bytes()) else {
        return;
    };
    let mut store = arazzo_openapi::Store::new();
    store.insert(base.clone(), Arc::new(loaded));
    for direction in [
        arazzo_mock::Direction::Request,
        arazzo_mock::Direction::Response,
    ] {
        let _ = arazzo_mock::validate_value(&schema, &base, &store, &value, direction);
    }
}

/// Up to `max` JSON pointers into `v`, breadth first.
fn pointers(v: &Value, max: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut queue = std::collections::VecDeque::from([(String::new(), v)]);
    while let Some((p, v)) = queue.pop_front() {
        if out.len() >= max {
            break;
        }
        match v {
            Value::Array(items) => {
                for (i, x) in items.iter().enumerate().take(8) {
                    queue.push_back((format!("{p}/{i}"), x));
                }
            }
            Value::Object(m) => {
                for (k, x) in m.iter().take(8) {
                    let k = arazzo_expr::escape_token(k);
                    queue.push_back((format!("{p}/{k}"), x));
                }
            }
            _ => {}
        }
        out.push(p);
    }
    out
}
