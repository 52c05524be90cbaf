//! Table-driven cases: expressions, templates and conditions from `tests/cases/*.yaml`,
//! evaluated against the fixed context in `tests/cases/context.yaml`.
#![allow(clippy::unwrap_used)]

use arazzo_expr::{
    JsonContext, ParseError, TemplateKind, parse_condition, parse_expression, parse_template,
};
use serde_json::Value;

fn load(name: &str) -> Value {
    let path = format!("{}/tests/cases/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap();
    yaml_serde::from_str(&text).unwrap()
}

fn context() -> JsonContext {
    JsonContext::from_value(load("context.yaml")).unwrap()
}

/// Checks a parse error against the case's `parse_error` offset and `message`.
fn check_parse_error(case: &Value, input: &str, err: &ParseError, failures: &mut Vec<String>) {
    let want = case["parse_error"].as_u64().unwrap() as usize;
    if err.span.start != want {
        failures.push(format!(
            "{input:?}: error at byte {} (want {want}): {}\n{}",
            err.span.start,
            err.message,
            err.render(input)
        ));
    }
    if let Some(m) = case.get("message").and_then(Value::as_str)
        && !err.message.contains(m)
    {
        failures.push(format!("{input:?}: message {:?} lacks {m:?}", err.message));
    }
    // Every error renders with a caret under the span.
    let rendered = err.render(input);
    if !rendered.contains('^') {
        failures.push(format!("{input:?}: rendering has no caret:\n{rendered}"));
    }
}

/// Checks an evaluation result against `value` / `absent` / `eval_error`.
fn check_result(
    case: &Value,
    input: &str,
    result: Result<Value, arazzo_expr::EvalError>,
    failures: &mut Vec<String>,
) {
    match result {
        Ok(v) => {
            if case.get("absent").is_some() || case.get("eval_error").is_some() {
                failures.push(format!("{input:?}: evaluated to {v} but should fail"));
            } else if case.get("value") != Some(&v) {
                failures.push(format!("{input:?}: got {v}, want {}", case["value"]));
            }
        }
        Err(e) => {
            if case.get("absent").is_some() {
                if !e.is_absent() {
                    failures.push(format!("{input:?}: want absent, got {e}"));
                }
            } else if let Some(m) = case.get("eval_error").and_then(Value::as_str) {
                if e.is_absent() || !e.to_string().contains(m) {
                    failures.push(format!("{input:?}: error {e:?} lacks {m:?} (or is absent)"));
                }
            } else {
                failures.push(format!("{input:?}: unexpected error {e}"));
            }
        }
    }
}

fn report(kind: &str, total: usize, failures: Vec<String>) -> usize {
    assert!(
        failures.is_empty(),
        "{} of {total} {kind} cases failed:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
    total
}

fn run_expressions() -> usize {
    let ctx = context();
    let cases = load("expressions.yaml");
    let cases = cases.as_array().unwrap();
    let mut failures = Vec::new();
    for case in cases {
        let input = case["expr"].as_str().unwrap();
        match parse_expression(input) {
            Err(err) => {
                if case.get("parse_error").is_some() {
                    check_parse_error(case, input, &err, &mut failures);
                } else {
                    failures.push(format!("{input:?}: unexpected parse error: {err}"));
                }
            }
            Ok(expr) => {
                if case.get("parse_error").is_some() {
                    failures.push(format!("{input:?}: parsed as {expr:?} but should fail"));
                    continue;
                }
                let printed = expr.to_string();
                let canonical = case
                    .get("canonical")
                    .and_then(Value::as_str)
                    .unwrap_or(input);
                if printed != canonical {
                    failures.push(format!(
                        "{input:?}: printed as {printed:?}, want {canonical:?}"
                    ));
                }
                if parse_expression(&printed).as_ref() != Ok(&expr) {
                    failures.push(format!("{input:?}: printed form does not re-parse equal"));
                }
                check_result(case, input, expr.evaluate(&ctx), &mut failures);
            }
        }
    }
    report("expression", cases.len(), failures)
}

fn run_templates() -> usize {
    let ctx = context();
    let cases = load("templates.yaml");
    let cases = cases.as_array().unwrap();
    let mut failures = Vec::new();
    for case in cases {
        let input = case["template"].as_str().unwrap();
        match parse_template(input) {
            Err(err) => {
                if case.get("parse_error").is_some() {
                    check_parse_error(case, input, &err, &mut failures);
                } else {
                    failures.push(format!("{input:?}: unexpected parse error: {err}"));
                }
            }
            Ok(t) => {
                if case.get("parse_error").is_some() {
                    failures.push(format!("{input:?}: parsed as {t:?} but should fail"));
                    continue;
                }
                let kind = match t.kind() {
                    TemplateKind::Literal(_) => "literal",
                    TemplateKind::Whole(_) => "whole",
                    TemplateKind::Interpolated(_) => "interpolated",
                };
                if let Some(want) = case.get("kind").and_then(Value::as_str)
                    && want != kind
                {
                    failures.push(format!("{input:?}: classified {kind}, want {want}"));
                }
                if t.to_string() != input {
                    failures.push(format!("{input:?}: printed as {:?}", t.to_string()));
                }
                if parse_template(&t.to_string()).as_ref() != Ok(&t) {
                    failures.push(format!("{input:?}: printed form does not re-parse equal"));
                }
                check_result(case, input, t.evaluate(&ctx), &mut failures);
            }
        }
    }
    report("template", cases.len(), failures)
}

fn run_conditions() -> usize {
    let ctx = context();
    let cases = load("conditions.yaml");
    let cases = cases.as_array().unwrap();
    let mut failures = Vec::new();
    for case in cases {
        let input = case["condition"].as_str().unwrap();
        match parse_condition(input) {
            Err(err) => {
                if case.get("parse_error").is_some() {
                    check_parse_error(case, input, &err, &mut failures);
                } else {
                    failures.push(format!("{input:?}: unexpected parse error: {err}"));
                }
            }
            Ok(c) => {
                if case.get("parse_error").is_some() {
                    failures.push(format!("{input:?}: parsed as `{c}` but should fail"));
                    continue;
                }
                let printed = c.to_string();
                let canonical = case
                    .get("canonical")
                    .and_then(Value::as_str)
                    .unwrap_or(input);
                if printed != canonical {
                    failures.push(format!(
                        "{input:?}: printed as {printed:?}, want {canonical:?}"
                    ));
                }
                if parse_condition(&printed).as_ref() != Ok(&c) {
                    failures.push(format!("{input:?}: printed form does not re-parse equal"));
                }
                let verdict = c.evaluate(&ctx);
                let want = case["value"].as_bool().unwrap();
                if verdict.passed != want {
                    failures.push(format!(
                        "{input:?}: passed={} want {want}: {:?}",
                        verdict.passed, verdict.reason
                    ));
                }
                if verdict.passed == verdict.reason.is_some() {
                    failures.push(format!(
                        "{input:?}: reason must be present exactly on failure: {verdict:?}"
                    ));
                }
                let want_error = case.get("error").and_then(Value::as_bool).unwrap_or(false);
                if verdict.error != want_error {
                    failures.push(format!(
                        "{input:?}: error={} want {want_error}: {:?}",
                        verdict.error, verdict.reason
                    ));
                }
                if let Some(r) = case.get("reason").and_then(Value::as_str) {
                    let got = verdict.reason.clone().unwrap_or_default();
                    if !got.contains(r) {
                        failures.push(format!("{input:?}: reason {got:?} lacks {r:?}"));
                    }
                }
            }
        }
    }
    report("condition", cases.len(), failures)
}

#[test]
fn expression_cases() {
    run_expressions();
}

#[test]
fn template_cases() {
    run_templates();
}

#[test]
fn condition_cases() {
    run_conditions();
}

#[test]
fn at_least_300_cases() {
    let n = ["expressions.yaml", "templates.yaml", "conditions.yaml"]
        .iter()
        .map(|f| load(f).as_array().unwrap().len())
        .sum::<usize>();
    assert!(n >= 300, "only {n} table-driven cases");
    println!("{n} table-driven cases");
}
