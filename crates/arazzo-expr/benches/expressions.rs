//! Parse and evaluation throughput of typical runtime expressions, templates,
//! conditions, payloads and criteria. Figures are recorded in docs/performance.md.
#![allow(clippy::unwrap_used, missing_docs)]

use std::hint::black_box;
use std::time::Duration;

use arazzo_expr::{
    Criterion as ArazzoCriterion, CriterionType, JsonContext, ValueExpr, parse_condition,
    parse_expression, parse_template,
};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use serde_json::json;

const EXPRESSIONS: &[&str] = &[
    "$statusCode",
    "$response.body#/data/0/id",
    "$steps.loginUser.outputs.token",
    "$inputs.customer#/firstName",
    "$request.header.Authorization",
];
const TEMPLATES: &[&str] = &[
    "https://{$inputs.host}/api/{$steps.create.outputs.id}/status",
    "Bearer {$steps.loginUser.outputs.token}",
    "{\"petOrder\": {\"petId\": \"{$inputs.petId}\", \"quantity\": 1}}",
];
const CONDITIONS: &[&str] = &[
    "$statusCode == 200",
    "$statusCode == 200 && $response.body.data != null",
    "$response.body#/status == 'available' || $response.body.items[0].id > $inputs.threshold",
];

fn context() -> JsonContext {
    JsonContext::from_value(json!({
        "statusCode": 200,
        "inputs": { "host": "api.example.com", "petId": 42, "threshold": 5,
                    "customer": { "firstName": "Ann", "lastName": "Lee" } },
        "steps": { "loginUser": { "outputs": { "token": "t0k3n" } }, "create": { "outputs": { "id": 99 } } },
        "request": { "headers": { "Authorization": "Bearer x" } },
        "response": { "body": { "status": "available", "data": [ { "id": 7 } ],
                                "items": [ { "id": 7, "name": "A" } ] } }
    }))
    .unwrap()
}

fn parse(c: &mut Criterion) {
    let mut g = c.benchmark_group("parse");
    g.throughput(Throughput::Elements(EXPRESSIONS.len() as u64));
    g.bench_function("expressions", |b| {
        b.iter(|| {
            for e in EXPRESSIONS {
                black_box(parse_expression(black_box(e)).unwrap());
            }
        })
    });
    g.throughput(Throughput::Elements(TEMPLATES.len() as u64));
    g.bench_function("templates", |b| {
        b.iter(|| {
            for t in TEMPLATES {
                black_box(parse_template(black_box(t)).unwrap());
            }
        })
    });
    g.throughput(Throughput::Elements(CONDITIONS.len() as u64));
    g.bench_function("conditions", |b| {
        b.iter(|| {
            for s in CONDITIONS {
                black_box(parse_condition(black_box(s)).unwrap());
            }
        })
    });
    let payload = json!({
        "petId": "$inputs.petId", "name": "Rex", "owner": { "first": "$inputs.customer#/firstName", "tags": ["a", "b"] },
        "note": "ordered by {$inputs.customer#/firstName} at {$inputs.host}", "quantity": 1
    });
    g.throughput(Throughput::Elements(1));
    g.bench_function("payload", |b| {
        b.iter(|| black_box(ValueExpr::compile(black_box(&payload)).unwrap()))
    });
    g.finish();
}

fn evaluate(c: &mut Criterion) {
    let ctx = context();
    let mut g = c.benchmark_group("evaluate");
    let exprs: Vec<_> = EXPRESSIONS
        .iter()
        .map(|e| parse_expression(e).unwrap())
        .collect();
    g.throughput(Throughput::Elements(exprs.len() as u64));
    g.bench_function("expressions", |b| {
        b.iter(|| {
            for e in &exprs {
                black_box(e.resolve(&ctx).unwrap());
            }
        })
    });
    let templates: Vec<_> = TEMPLATES
        .iter()
        .map(|t| parse_template(t).unwrap())
        .collect();
    g.throughput(Throughput::Elements(templates.len() as u64));
    g.bench_function("templates", |b| {
        b.iter(|| {
            for t in &templates {
                black_box(t.evaluate(&ctx).unwrap());
            }
        })
    });
    let conditions: Vec<_> = CONDITIONS
        .iter()
        .map(|s| parse_condition(s).unwrap())
        .collect();
    g.throughput(Throughput::Elements(conditions.len() as u64));
    g.bench_function("conditions", |b| {
        b.iter(|| {
            for c in &conditions {
                black_box(c.evaluate(&ctx));
            }
        })
    });
    let failing = parse_condition("$statusCode == 404").unwrap();
    g.throughput(Throughput::Elements(1));
    g.bench_function("condition_failing_with_reason", |b| {
        b.iter(|| black_box(failing.evaluate(&ctx)))
    });
    let payload = ValueExpr::compile(&json!({
        "petId": "$inputs.petId", "name": "Rex", "owner": { "first": "$inputs.customer#/firstName", "tags": ["a", "b"] },
        "note": "ordered by {$inputs.customer#/firstName} at {$inputs.host}", "quantity": 1, "opt": "$inputs.missing"
    }))
    .unwrap();
    g.bench_function("payload", |b| {
        b.iter(|| black_box(payload.evaluate(&ctx).unwrap()))
    });
    g.finish();
}

fn criteria(c: &mut Criterion) {
    let ctx = context();
    let mut g = c.benchmark_group("criteria");
    g.throughput(Throughput::Elements(1));
    let regex =
        ArazzoCriterion::compile("^2\\d{2}$", Some("$statusCode"), &CriterionType::Regex).unwrap();
    g.bench_function("regex_status", |b| {
        b.iter(|| black_box(regex.evaluate(&ctx)))
    });
    let jsonpath = ArazzoCriterion::compile(
        "$.items[?@.id > 5]",
        Some("$response.body"),
        &CriterionType::JsonPath { version: None },
    )
    .unwrap();
    g.bench_function("jsonpath_filter", |b| {
        b.iter(|| black_box(jsonpath.evaluate(&ctx)))
    });
    let templated = ArazzoCriterion::compile(
        "$.items[?@.id == {$inputs.threshold}]",
        Some("$response.body"),
        &CriterionType::JsonPath { version: None },
    )
    .unwrap();
    g.bench_function("jsonpath_embedded_cached", |b| {
        b.iter(|| black_box(templated.evaluate(&ctx)))
    });
    let xml_ctx = JsonContext::from_value(
        json!({"response": {"body": "<root><pets><pet>a</pet><pet>b</pet></pets></root>"}}),
    )
    .unwrap();
    let xpath = ArazzoCriterion::compile(
        "count(/root/pets/pet) > 1",
        Some("$response.body"),
        &CriterionType::XPath { version: None },
    )
    .unwrap();
    g.bench_function("xpath_small_document", |b| {
        b.iter(|| black_box(xpath.evaluate(&xml_ctx)))
    });
    let mut big = "a".repeat(1 << 20);
    big.push('!');
    let big_ctx = JsonContext::from_value(json!({"response": {"body": big}})).unwrap();
    let hostile =
        ArazzoCriterion::compile("^(a+)+$", Some("$response.body"), &CriterionType::Regex).unwrap();
    g.throughput(Throughput::Bytes(1 << 20));
    g.bench_function("regex_hostile_1mib", |b| {
        b.iter(|| black_box(hostile.evaluate(&big_ctx)))
    });
    let small = format!("{}!", "a".repeat(8000));
    let small_ctx = JsonContext::from_value(json!({"response": {"body": small}})).unwrap();
    let backtracking = ArazzoCriterion::compile(
        "((?=.*a).)*z",
        Some("$response.body"),
        &CriterionType::Regex,
    )
    .unwrap();
    g.throughput(Throughput::Bytes(8001));
    g.sample_size(10);
    g.bench_function("regex_backtracking_worst_8kib", |b| {
        b.iter(|| black_box(backtracking.evaluate(&small_ctx)))
    });
    g.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(30)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
}

criterion_group! { name = benches; config = config(); targets = parse, evaluate, criteria }
criterion_main!(benches);
