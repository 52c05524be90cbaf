//! `ValueExpr`: classification of string leaves, absent members, errors with pointers.
#![allow(clippy::unwrap_used)]

use arazzo_expr::{
    EvalErrorKind, Expression, JsonContext, ValueExpr, ValueOptions, expression_lookalike,
    malformed_expression,
};
use serde_json::{Value, json};

fn ctx() -> JsonContext {
    JsonContext::from_value(json!({
        "inputs": { "petId": 42, "name": "Rex", "tags": ["a"], "nothing": null },
        "response": { "body": { "id": 7, "items": [] }, "headers": { "X-Id": "h1" } },
        "steps": { "s": { "outputs": { "xml": "<r><id>5</id><id>6</id></r>" } } }
    }))
    .unwrap()
}

fn eval(v: Value) -> Option<Value> {
    ValueExpr::compile(&v).unwrap().evaluate(&ctx()).unwrap()
}

#[test]
fn string_leaves_are_classified() {
    assert!(matches!(
        ValueExpr::compile(&json!("$inputs.petId")).unwrap(),
        ValueExpr::Expression(Expression::Inputs { .. })
    ));
    assert!(matches!(
        ValueExpr::compile(&json!("id-{$inputs.petId}")).unwrap(),
        ValueExpr::Template(_)
    ));
    for literal in [
        "$5 off",
        "$.items[*]",
        "{\"a\":1}",
        "plain",
        "$response.body#id",
        "{ $inputs.petId }",
    ] {
        assert_eq!(
            ValueExpr::compile(&json!(literal)).unwrap(),
            ValueExpr::Literal(json!(literal)),
            "{literal}"
        );
    }
}

#[test]
fn whole_expressions_keep_their_type() {
    assert_eq!(eval(json!("$inputs.petId")), Some(json!(42)));
    assert_eq!(eval(json!("$inputs.tags")), Some(json!(["a"])));
    assert_eq!(eval(json!("$inputs.nothing")), Some(Value::Null));
    // A braced expression is a template: scalars become text (Arazzo 1.1 rule).
    assert_eq!(eval(json!("{$inputs.petId}")), Some(json!("42")));
}

#[test]
fn nested_values_evaluate_in_place() {
    let v = json!({
        "petId": "$inputs.petId",
        "label": "pet {$inputs.name}",
        "fixed": { "a": [1, 2], "b": "$5 off" },
        "list": ["$response.body#/id", "x", {"h": "$response.header.x-id"}]
    });
    assert_eq!(
        eval(v),
        Some(json!({
            "petId": 42,
            "label": "pet Rex",
            "fixed": { "a": [1, 2], "b": "$5 off" },
            "list": [7, "x", {"h": "h1"}]
        }))
    );
}

#[test]
fn literal_subtrees_stay_literal() {
    let v = json!({"a": {"b": [1, "two", null]}, "c": "$inputs.petId"});
    let ValueExpr::Object(members) = ValueExpr::compile(&v).unwrap() else {
        panic!()
    };
    assert!(members[0].1.is_literal());
    assert!(!members[1].1.is_literal());
}

#[test]
fn absent_members_and_items_are_left_out() {
    let v = json!({
        "petId": "$inputs.petId",
        "optional": "$inputs.notSupplied",
        "items": ["$inputs.notSupplied", "$inputs.name"]
    });
    assert_eq!(eval(v), Some(json!({"petId": 42, "items": ["Rex"]})));
    // Supplied as null is not absent.
    assert_eq!(
        eval(json!({"n": "$inputs.nothing"})),
        Some(json!({"n": null}))
    );
}

#[test]
fn a_wholly_absent_value_is_none() {
    assert_eq!(eval(json!("$inputs.notSupplied")), None);
    assert_eq!(eval(json!("$inputs.notSupplied#/x")), None);
}

#[test]
fn absent_inside_a_template_is_an_error() {
    let e = ValueExpr::compile(&json!({"q": "a={$inputs.notSupplied}"}))
        .unwrap()
        .evaluate(&ctx())
        .unwrap_err();
    assert!(!e.is_absent());
    assert_eq!(e.kind(), EvalErrorKind::Template);
    assert!(e.to_string().contains("at /q"), "{e}");
    assert!(
        e.to_string()
            .contains("input `notSupplied` was not supplied"),
        "{e}"
    );
    assert_eq!(e.span(), Some(2..23));
}

#[test]
fn pointer_failures_are_errors_with_their_location() {
    let e = ValueExpr::compile(&json!({"a": ["$response.body#/items/0"]}))
        .unwrap()
        .evaluate(&ctx())
        .unwrap_err();
    assert_eq!(e.kind(), EvalErrorKind::Pointer);
    assert_eq!(
        e.to_string(),
        "at /a/0: $response.body#/items/0: no element 0 in an empty array at /items"
    );
}

#[test]
fn compile_errors_name_the_offending_strings() {
    let v = json!({"ok": "$inputs.a", "bad": {"x~y": "id {$inputs.}"}, "list": ["{$foo}"]});
    let errors = ValueExpr::compile(&v).unwrap_err();
    let where_: Vec<&str> = errors.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(where_, ["/bad/x~0y", "/list/0"]);
    assert_eq!(errors[0].1.span.start, 12);
    assert_eq!(errors[1].1.span.start, 1);
}

#[test]
fn expressions_are_listed_with_pointers_and_spans() {
    let v = json!({"a": "$inputs.petId", "b": ["x {$inputs.name} {$statusCode}"]});
    let c = ValueExpr::compile(&v).unwrap();
    let list: Vec<(String, String, std::ops::Range<usize>)> = c
        .expressions()
        .into_iter()
        .map(|(p, e, s)| (p, e.to_string(), s))
        .collect();
    assert_eq!(
        list,
        [
            ("/a".to_string(), "$inputs.petId".to_string(), 0..13),
            ("/b/0".to_string(), "$inputs.name".to_string(), 2..16),
            ("/b/0".to_string(), "$statusCode".to_string(), 17..30),
        ]
    );
}

#[test]
fn selector_objects_only_with_the_option() {
    let v =
        json!({"ids": {"context": "$steps.s.outputs.xml", "selector": "/r/id", "type": "xpath"}});
    // Without the option it is a plain object with a string that is an expression.
    let plain = ValueExpr::compile(&v)
        .unwrap()
        .evaluate(&ctx())
        .unwrap()
        .unwrap();
    assert_eq!(
        plain["ids"]["context"],
        json!("<r><id>5</id><id>6</id></r>")
    );
    let sel = ValueExpr::compile_with(
        &v,
        ValueOptions {
            selectors: true,
            ..ValueOptions::default()
        },
    )
    .unwrap();
    #[cfg(feature = "xpath")]
    assert_eq!(
        sel.evaluate(&ctx()).unwrap(),
        Some(json!({"ids": ["5", "6"]}))
    );
    let _ = sel;
    let jp = json!({"id": {"context": "$response.body", "selector": "$.id", "type": "jsonpath"}});
    let jp = ValueExpr::compile_with(
        &jp,
        ValueOptions {
            selectors: true,
            ..ValueOptions::default()
        },
    )
    .unwrap();
    assert_eq!(jp.evaluate(&ctx()).unwrap(), Some(json!({"id": 7})));
}

#[test]
fn lookalikes_are_reported() {
    let e = expression_lookalike("$response.body#id").unwrap();
    assert_eq!(e.span.start, 15);
    assert!(expression_lookalike("$inputs.petId").is_none());
    assert!(expression_lookalike("$5 off").is_none());
    assert!(expression_lookalike("$.items[*]").is_none());
    assert!(expression_lookalike("$inputs.pet id").is_some());
}

#[test]
fn malformed_expressions_are_the_lookalikes_a_document_must_not_contain() {
    // Start with a known source and do not parse: malformed, with the span of the fault.
    for s in [
        "$response.body#id",
        "$steps.x.outputs",
        "$steps.get.pet",
        "$inputs.pet id",
        "$inputs",
        "$response.headers.Location",
        "$url-encoded",
    ] {
        assert!(malformed_expression(s).is_some(), "{s}");
    }
    assert_eq!(
        malformed_expression("$response.body#id")
            .unwrap()
            .span
            .start,
        15
    );
    // Valid expressions, dot navigation (evaluated), templates and literal text: not.
    for s in [
        "$inputs.petId",
        "$response.body#/id",
        "$response.body.id",
        "$inputs.tags[0]",
        "{$inputs.a}-{$inputs.b}",
        "$inputs.a-{$inputs.b}",
        "$5.00",
        "$HOME",
        "$selfie",
        "$.items[*]",
        "Total: $inputs.x",
        "plain",
    ] {
        assert!(malformed_expression(s).is_none(), "{s}");
    }
}

#[test]
fn dot_navigation_is_opt_in() {
    let v =
        json!({"id": "$response.body.id", "first": "$inputs.tags[0]", "none": "$inputs.nope.x"});
    // By default these are literal text (the ABNF only allows navigation in conditions),
    // and `expression_lookalike` suggests the pointer form.
    assert_eq!(
        eval(v.clone()),
        Some(json!({"id": "$response.body.id", "first": "$inputs.tags[0]"}))
    );
    let hint = expression_lookalike("$response.body.items[0].id")
        .unwrap()
        .hint
        .unwrap();
    assert!(hint.contains("$response.body#/items/0/id"), "{hint}");
    let opts = ValueOptions {
        dot_navigation: true,
        ..ValueOptions::default()
    };
    let c = ValueExpr::compile_with(&v, opts).unwrap();
    assert_eq!(
        c.evaluate(&ctx()).unwrap(),
        Some(json!({"id": 7, "first": "a"}))
    );
}
