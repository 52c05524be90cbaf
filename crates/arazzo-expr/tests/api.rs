//! The API surface the engine programs against: spans, rendering, contexts, helpers.
#![allow(clippy::unwrap_used)]

use std::borrow::Cow;

use arazzo_expr::{
    ComponentKind, Context, EmptyContext, Expression, JsonContext, parse_condition,
    parse_expression, parse_template,
};
use serde_json::{Value, json};

#[test]
fn errors_render_like_rustc() {
    let input = "$steps.login.token";
    let err = parse_expression(input).unwrap_err();
    assert_eq!(
        err.render(input),
        "error: expected `.outputs.`, found `.token`\n  |\n1 | $steps.login.token\n  |             ^"
    );
    // Multi-line conditions show the offending line and its number.
    let input = "$statusCode == 200 &&\n  $response.body.ok ==";
    let err = parse_condition(input).unwrap_err();
    assert_eq!(err.line_col(input), (2, 23));
    assert_eq!(
        err.render(input),
        "error: expected an operand (a runtime expression, a literal, `!` or `(`)\n  |\n2 |   $response.body.ok ==\n  |                       ^"
    );
    // Hints are shown under the caret.
    let input = "$response.body#id";
    let r = parse_expression(input).unwrap_err().render(input);
    assert!(
        r.ends_with("  |                ^^\n  = help: write `#/id`"),
        "{r}"
    );
    // Spans can be re-anchored inside a larger string.
    let e = parse_expression("$inputs.").unwrap_err().offset(10);
    assert_eq!(e.span, 18..18);
}

#[test]
fn expressions_inside_conditions_and_templates_have_spans() {
    let c = parse_condition("$statusCode == 200 && $steps.a.outputs.b.c[0] != $inputs.x").unwrap();
    let found: Vec<(String, std::ops::Range<usize>)> = c
        .expressions()
        .map(|l| (l.expression.to_string(), l.span))
        .collect();
    assert_eq!(
        found,
        [
            ("$statusCode".to_string(), 0..11),
            ("$steps.a.outputs.b.c".to_string(), 22..45),
            ("$inputs.x".to_string(), 49..58),
        ]
    );
    let t = parse_template("GET {$url} as {$inputs.user}").unwrap();
    let found: Vec<_> = t.expressions().map(|l| l.span).collect();
    assert_eq!(found, [4..10, 14..28]);
    let t = parse_template("$inputs.x").unwrap();
    let spans: Vec<_> = t.expressions().map(|l| l.span).collect();
    assert_eq!((spans.len(), spans[0].clone()), (1, 0..9));
}

#[test]
fn dotted_names_list_their_readings() {
    let e = parse_expression("$inputs.a.b.c").unwrap();
    let readings: Vec<(String, Vec<String>)> = e
        .dotted_candidates()
        .into_iter()
        .map(|(e, rest)| (e.to_string(), rest))
        .collect();
    assert_eq!(
        readings,
        [
            ("$inputs.a.b.c".to_string(), vec![]),
            ("$inputs.a.b".to_string(), vec!["c".to_string()]),
            (
                "$inputs.a".to_string(),
                vec!["b".to_string(), "c".to_string()]
            ),
        ]
    );
    let with_pointer = parse_expression("$inputs.a.b#/c").unwrap();
    assert_eq!(with_pointer.dotted_candidates().len(), 1);
    assert_eq!(with_pointer.root().to_string(), "$inputs.a.b");
}

#[test]
fn portability_notes_flag_extensions() {
    let c = parse_condition("$response.body#/state == \"done\" && $response.body.items.length > 0")
        .unwrap();
    let notes: Vec<_> = c.portability_notes().into_iter().map(|(s, _)| s).collect();
    assert_eq!(notes, [25..31, 35..62]);
}

#[test]
fn the_empty_context_has_nothing() {
    for s in [
        "$url",
        "$statusCode",
        "$inputs.a",
        "$response.body",
        "$self",
        "$components.parameters.p",
    ] {
        assert!(
            parse_expression(s)
                .unwrap()
                .evaluate(&EmptyContext)
                .unwrap_err()
                .is_absent(),
            "{s}"
        );
    }
}

/// A hand-written context: only some methods, and owned values.
struct Custom;
impl Context for Custom {
    fn input(&self, name: &str) -> Option<Cow<'_, Value>> {
        (name == "n").then(|| Cow::Owned(json!({"a": [1, 2]})))
    }
    fn component(&self, kind: ComponentKind, name: &str) -> Option<Cow<'_, Value>> {
        (kind == ComponentKind::SuccessActions).then(|| Cow::Owned(json!(name)))
    }
}

#[test]
fn custom_contexts_and_owned_values() {
    let e = parse_expression("$inputs.n#/a/1").unwrap();
    assert_eq!(e.evaluate(&Custom).unwrap(), json!(2));
    assert_eq!(
        parse_expression("$components.successActions.x")
            .unwrap()
            .evaluate(&Custom)
            .unwrap(),
        json!("x")
    );
    assert!(
        parse_condition("$inputs.n.a[0] == 1")
            .unwrap()
            .evaluate(&Custom)
            .passed
    );
    assert!(
        parse_condition("$inputs.n.a.length == 2")
            .unwrap()
            .evaluate(&Custom)
            .passed
    );
}

#[test]
fn json_context_validates_its_shape() {
    for (bad, at) in [
        (json!([]), ""),
        (json!({"inputs": 1}), "/inputs"),
        (json!({"statusCode": "200"}), "/statusCode"),
        (json!({"statusCode": 70000}), "/statusCode"),
        (
            json!({"request": {"headers": {"a": 1}}}),
            "/request/headers/a",
        ),
        (json!({"steps": {"s": {"outputs": []}}}), "/steps/s/outputs"),
        (json!({"components": {"inputs": {}}}), "/components/inputs"),
        (json!({"typo": {}}), "/typo"),
    ] {
        let e = JsonContext::from_value(bad).unwrap_err();
        assert_eq!(e.pointer, at);
    }
    // Builder helpers for tests and embedding.
    let ctx = JsonContext::new()
        .with_status_code(204)
        .with_input("x", json!(1))
        .with_response_body(json!({"ok": true}));
    assert!(
        parse_condition("$statusCode == 204 && $inputs.x == 1 && $response.body.ok")
            .unwrap()
            .evaluate(&ctx)
            .passed
    );
}

#[test]
fn absent_messages_name_what_is_missing() {
    let cases = [
        ("$inputs.petId", "input `petId` was not supplied"),
        ("$steps.s.outputs.o", "step `s` has no output `o`"),
        ("$response.header.ETag", "response header `ETag` is absent"),
        ("$statusCode", "no status code is available"),
        ("$workflows.w.outputs.o", "workflow `w` has no output `o`"),
        (
            "$sourceDescriptions.api.op",
            "source description `api` has no operation, workflow or field `op`",
        ),
    ];
    for (s, msg) in cases {
        let e = parse_expression(s)
            .unwrap()
            .evaluate(&EmptyContext)
            .unwrap_err();
        assert!(e.is_absent());
        assert!(e.to_string().contains(msg), "{e}");
    }
}

#[test]
fn expression_variants_expose_references() {
    match parse_expression("$steps.get-pet.outputs.pet.name#/tags/0").unwrap() {
        Expression::Steps {
            step_id,
            output,
            pointer,
        } => {
            assert_eq!(step_id, "get-pet");
            assert_eq!(output, "pet.name");
            assert_eq!(pointer.unwrap().tokens(), ["tags", "0"]);
        }
        other => panic!("{other:?}"),
    }
    match parse_expression("$sourceDescriptions.petstore.findPets").unwrap() {
        Expression::SourceDescriptions { name, reference } => assert_eq!(
            (name.as_str(), reference.as_str()),
            ("petstore", "findPets")
        ),
        other => panic!("{other:?}"),
    }
}
