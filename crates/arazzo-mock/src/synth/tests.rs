//! Synthesized values conform to their schemas, and are the values a client expects.

#![allow(clippy::unwrap_used)]
use super::*;
use crate::conforms::conforms;
use crate::refs::OneDoc;
use serde_json::json;

fn synth(doc: Value, schema: Value) -> Value {
    let refs = OneDoc {
        url: Url::parse("file:///doc.json").unwrap(),
        root: &doc,
    };
    let base = refs.url.clone();
    let v = Synth::new(&refs, Direction::Response).value(&base, &schema);
    assert!(
        conforms(&refs, &base, &schema, &v),
        "{v} does not conform to {schema}"
    );
    v
}

#[test]
fn scalars() {
    assert_eq!(
        synth(json!({}), json!({"type": "integer", "minimum": 10})),
        json!(10)
    );
    assert_eq!(
        synth(
            json!({}),
            json!({"type": "integer", "maximum": 0, "exclusiveMaximum": true})
        ),
        json!(-1)
    );
    assert_eq!(
        synth(
            json!({}),
            json!({"type": "number", "exclusiveMinimum": 2, "maximum": 2.5})
        ),
        json!(2.5)
    );
    assert_eq!(
        synth(
            json!({}),
            json!({"type": "number", "multipleOf": 0.1, "minimum": 0.25, "maximum": 0.35})
        ),
        json!(0.3)
    );
    assert_eq!(synth(json!({}), json!({"type": "boolean"})), json!(true));
    assert_eq!(synth(json!({}), json!({"enum": ["b", "c"]})), json!("b"));
    assert_eq!(synth(json!({}), json!({"const": 7})), json!(7));
    assert_eq!(
        synth(json!({}), json!({"type": ["null", "string"]})),
        json!("string")
    );
    let s = synth(json!({}), json!({"type": "string", "minLength": 12}));
    assert_eq!(s.as_str().unwrap().len(), 12);
    let s = synth(json!({}), json!({"type": "string", "maxLength": 3}));
    assert_eq!(s, json!("str"));
}

#[test]
fn formats() {
    for (f, expect) in [
        ("date-time", "2024-01-01T12:00:00Z"),
        ("date", "2024-01-01"),
        ("email", "user@example.com"),
        ("uri", "https://example.com"),
        ("ipv4", "192.0.2.1"),
    ] {
        assert_eq!(
            synth(json!({}), json!({"type": "string", "format": f})),
            json!(expect)
        );
    }
    let u = synth(json!({}), json!({"type": "string", "format": "uuid"}));
    assert!(crate::conforms::format_ok("uuid", u.as_str().unwrap()));
}

#[test]
fn examples_win_when_valid() {
    assert_eq!(
        synth(json!({}), json!({"type": "string", "example": "hello"})),
        json!("hello")
    );
    assert_eq!(
        synth(json!({}), json!({"type": "integer", "example": "nope"})),
        json!(1)
    );
    assert_eq!(
        synth(json!({}), json!({"type": "integer", "examples": [5]})),
        json!(5)
    );
}

#[test]
fn objects_and_composition() {
    let doc = json!({"components": {"schemas": {
        "Pet": {"type": "object", "required": ["id", "petType"], "properties": {
            "id": {"type": "integer", "format": "int64"},
            "petType": {"type": "string"},
            "secret": {"type": "string", "writeOnly": true}},
            "discriminator": {"propertyName": "petType", "mapping": {"kitty": "#/components/schemas/Cat"}}},
        "Cat": {"allOf": [{"$ref": "#/components/schemas/Pet"}, {"type": "object", "properties": {"purrs": {"type": "boolean"}}}]},
        "Dog": {"allOf": [{"$ref": "#/components/schemas/Pet"}, {"type": "object", "required": ["barks"], "properties": {"barks": {"type": "boolean"}}}]},
        "Node": {"type": "object", "required": ["name"], "properties": {
            "name": {"type": "string"}, "children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}},
            "parent": {"$ref": "#/components/schemas/Node"}}}
    }}});
    let cat = synth(doc.clone(), json!({"$ref": "#/components/schemas/Cat"}));
    assert_eq!(cat, json!({"id": 1, "petType": "kitty", "purrs": true}));
    let dog = synth(doc.clone(), json!({"$ref": "#/components/schemas/Dog"}));
    assert_eq!(dog["petType"], json!("Dog"));
    let one = synth(
        doc.clone(),
        json!({"oneOf": [{"$ref": "#/components/schemas/Cat"}, {"$ref": "#/components/schemas/Dog"}],
               "discriminator": {"propertyName": "petType"}}),
    );
    assert_eq!(one["petType"], json!("Cat"));
    let node = synth(doc, json!({"$ref": "#/components/schemas/Node"}));
    assert_eq!(node, json!({"name": "string", "children": []}));
}

#[test]
fn one_of_picks_an_exclusive_branch() {
    let v = synth(
        json!({}),
        json!({"oneOf": [{"type": "object", "properties": {"a": {"type": "string"}}},
                         {"type": "object", "required": ["b"], "properties": {"b": {"type": "integer"}}}]}),
    );
    assert!(v.is_object());
}

#[test]
fn arrays() {
    assert_eq!(
        synth(
            json!({}),
            json!({"type": "array", "items": {"type": "integer"}})
        ),
        json!([1])
    );
    assert_eq!(
        synth(
            json!({}),
            json!({"type": "array", "minItems": 3, "uniqueItems": true, "items": {"enum": ["a", "b", "c"]}})
        ),
        json!(["a", "b", "c"])
    );
    assert_eq!(
        synth(json!({}), json!({"type": "array", "maxItems": 0})),
        json!([])
    );
    let v = synth(
        json!({}),
        json!({"type": "array", "minItems": 2, "uniqueItems": true, "items": {"type": "string", "format": "uuid"}}),
    );
    assert_eq!(v.as_array().unwrap().len(), 2);
}

#[test]
fn maps_and_names() {
    let v = synth(
        json!({}),
        json!({"type": "object", "additionalProperties": {"type": "integer"}}),
    );
    assert_eq!(v, json!({"additionalProp1": 1}));
    let v = synth(
        json!({}),
        json!({"type": "object", "properties": {
        "email": {"type": "string"}, "homepage_url": {"type": "string"}, "created_at": {"type": "string"}}}),
    );
    assert_eq!(v["email"], json!("user@example.com"));
    assert!(v["homepage_url"].as_str().unwrap().starts_with("https://"));
    assert_eq!(v["created_at"], json!("2024-01-01T12:00:00Z"));
}

#[test]
fn placeholders_and_missing_schemas() {
    let v = synth(
        json!({}),
        json!({"type": "object", "properties": {
        "id": {"type": "string", "default": ""}, "tags": {"type": "array", "items": {"type": "string"}, "default": []}}}),
    );
    assert!(!v["id"].as_str().unwrap().is_empty());
    assert_eq!(v["tags"], json!(["string"]));
    let v = synth(
        json!({}),
        json!({"type": "array", "items": {"$ref": "#/components/schemas/Group"}}),
    );
    assert!(v[0]["id"].is_string());
    let v = synth(
        json!({}),
        json!({"type": "object", "properties": {"owner": {"$ref": "#/components/schemas/UserId"}}}),
    );
    assert!(v["owner"].is_string());
    // Free-form objects get an id; typed maps get an entry; closed objects stay empty.
    let v = synth(
        json!({}),
        json!({"type": "object", "properties": {"results": {"type": "array",
            "items": {"type": "object", "additionalProperties": true}}}}),
    );
    assert!(v["results"][0]["id"].is_string(), "{v}");
    let v = synth(
        json!({}),
        json!({"type": "object", "additionalProperties": {"type": "integer"}}),
    );
    assert_eq!(v, json!({"additionalProp1": 1}));
    let v = synth(
        json!({}),
        json!({"type": "object", "additionalProperties": false}),
    );
    assert_eq!(v, json!({}));
}

#[test]
fn hostile_schemas_are_bounded() {
    let v = synth_unchecked(json!({"type": "array", "minItems": 1000, "items": {
        "type": "array", "minItems": 1000, "items": {"type": "array", "minItems": 1000, "items": {"type": "string"}}}}));
    assert!(
        v.as_array()
            .is_some_and(|a| !a.is_empty() && a.len() <= 1000)
    );
    let deep = json!({"$ref": "#/a"});
    let doc =
        json!({"a": {"type": "object", "required": ["a"], "properties": {"a": {"$ref": "#/a"}}}});
    let refs = OneDoc {
        url: Url::parse("file:///doc.json").unwrap(),
        root: &doc,
    };
    let base = refs.url.clone();
    let v = Synth::new(&refs, Direction::Response).value(&base, &deep);
    assert!(v.is_object());
}

fn synth_unchecked(schema: Value) -> Value {
    let doc = json!({});
    let refs = OneDoc {
        url: Url::parse("file:///doc.json").unwrap(),
        root: &doc,
    };
    let base = refs.url.clone();
    Synth::new(&refs, Direction::Response).value(&base, &schema)
}

#[test]
fn nullable_and_exclusive_3_0() {
    assert_eq!(
        synth(
            json!({}),
            json!({"type": "string", "nullable": true, "enum": [null, "x"]})
        ),
        json!("x")
    );
    assert_eq!(
        synth(
            json!({}),
            json!({"type": "integer", "minimum": 5, "exclusiveMinimum": true})
        ),
        json!(6)
    );
}
