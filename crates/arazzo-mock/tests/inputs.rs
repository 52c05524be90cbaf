//! Synthesizing the required workflow inputs a user did not give.
#![allow(clippy::unwrap_used)]

use arazzo_mock::{synthesize_input, synthesize_inputs};
use serde_json::{Map, Value, json};

fn map(v: Value) -> Map<String, Value> {
    v.as_object().unwrap().clone()
}

#[test]
fn fills_only_missing_required_inputs() {
    let root = json!({"components": {"inputs": {"login": {
        "type": "object",
        "required": ["user", "count", "kind", "token", "when"],
        "properties": {
            "user": {"type": "string", "format": "email"},
            "count": {"type": "integer", "default": 3, "example": 5},
            "kind": {"enum": ["b", "a"]},
            "token": {"type": "string", "pattern": "^apn_[a-zA-Z0-9]+$"},
            "when": {"type": "string", "format": "date"},
            "optional": {"type": "string"}
        }
    }}}});
    let schema = json!({"$ref": "#/components/inputs/login"});
    let (inputs, synthesized) =
        synthesize_inputs(&schema, &root, &map(json!({"user": "ann@example.org"})));
    assert_eq!(synthesized, vec!["count", "kind", "token", "when"]);
    assert_eq!(inputs["user"], "ann@example.org", "given inputs are kept");
    assert_eq!(inputs["count"], 3, "default before example");
    assert_eq!(inputs["kind"], "b", "first enum value");
    assert!(inputs["token"].as_str().unwrap().starts_with("apn_"));
    assert_eq!(inputs["when"], "2024-01-01");
    assert!(!inputs.contains_key("optional"));
    // Deterministic.
    assert_eq!(
        synthesize_inputs(&schema, &root, &Map::new()),
        synthesize_inputs(&schema, &root, &Map::new())
    );
}

#[test]
fn nested_objects_and_all_of() {
    let schema = json!({"allOf": [
        {"type": "object", "required": ["account"], "properties": {"account": {
            "type": "object", "required": ["id"], "properties": {"id": {"type": "string", "format": "uuid"}, "name": {"type": "string"}}}}},
        {"type": "object", "required": ["limit"], "properties": {"limit": {"type": "integer", "minimum": 10, "maximum": 20}}}
    ]});
    let (inputs, names) = synthesize_inputs(&schema, &json!({}), &Map::new());
    assert_eq!(names, vec!["account", "limit"]);
    assert_eq!(inputs["limit"], 10);
    assert!(inputs["account"]["id"].as_str().unwrap().len() == 36);
}

#[test]
fn nothing_to_do() {
    let (inputs, names) = synthesize_inputs(
        &json!({"type": "object"}),
        &json!({}),
        &map(json!({"a": 1})),
    );
    assert!(names.is_empty());
    assert_eq!(inputs, map(json!({"a": 1})));
    // Unresolvable references and non-object schemas are not an error.
    let (_, names) = synthesize_inputs(&json!({"$ref": "other.yaml#/x"}), &json!({}), &Map::new());
    assert!(names.is_empty());
}

#[test]
fn one_optional_input() {
    let schema = json!({"type": "object", "properties": {
        "bookingId": {"type": "string"},
        "count": {"type": "integer", "default": 2}}});
    let root = json!({});
    assert_eq!(synthesize_input(&schema, &root, "count"), Some(json!(2)));
    let id = synthesize_input(&schema, &root, "bookingId").unwrap();
    assert!(id.as_str().is_some_and(|s| !s.is_empty()));
    assert_eq!(synthesize_input(&schema, &root, "nope"), None);
}

#[test]
fn an_optional_object_input_gets_its_optional_properties() {
    // `{$inputs.env.AUTH_TOKEN}` in a template needs `env` with `AUTH_TOKEN` in it.
    let schema = json!({"type": "object", "properties": {
        "env": {"type": "object", "properties": {
            "AUTH_TOKEN": {"type": "string", "format": "password"}}}}});
    let env = synthesize_input(&schema, &json!({}), "env").unwrap();
    assert!(env["AUTH_TOKEN"].is_string(), "{env}");
}
