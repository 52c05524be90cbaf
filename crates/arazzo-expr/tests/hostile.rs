//! Hostile expressions: each is parsed, compiled or evaluated on a thread with a
//! 256 KiB stack, so that a regression (a recursive parser reached before the nesting
//! pre-scan, an evaluator without a budget) cannot hide behind a large main-thread
//! stack. Each must end with an error that names the limit, never a crash or a hang.
#![allow(clippy::unwrap_used)]

use arazzo_expr::limits::{
    JSONPATH_WORK_LIMIT, MAX_NESTING, MAX_XML_DEPTH, MAX_XPATH_NESTING, MAX_XPATH_OPERATORS,
};
use arazzo_expr::{
    Criterion, CriterionError, CriterionType, EvalErrorKind, JsonContext, LINEAR_WORK_LIMIT,
    ParseErrorKind, Selector, SelectorType, Verdict, parse_condition,
};
use serde_json::{Value, json};

/// Runs `f` on a thread with a 256 KiB stack and returns its result.
fn small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap()
}

fn context(body: Value) -> JsonContext {
    JsonContext::from_value(json!({ "statusCode": 200, "response": { "body": body } })).unwrap()
}

fn compile(condition: &str, ty: CriterionType) -> Result<Criterion, CriterionError> {
    Criterion::compile(condition, Some("$response.body"), &ty)
}

fn jsonpath() -> CriterionType {
    CriterionType::JsonPath { version: None }
}

fn xpath() -> CriterionType {
    CriterionType::XPath { version: None }
}

/// The parse error inside a criterion compile error.
fn condition_error(r: Result<Criterion, CriterionError>) -> arazzo_expr::ParseError {
    match r {
        Err(CriterionError::Condition(e)) => e,
        other => panic!("expected a condition error, got {other:?}"),
    }
}

#[test]
fn deeply_nested_parentheses_in_a_condition() {
    for n in [MAX_NESTING + 1, 1_150, 100_000] {
        let e = small_stack(move || {
            let s = format!("{}$statusCode == 200{}", "(".repeat(n), ")".repeat(n));
            parse_condition(&s).unwrap_err()
        });
        assert_eq!(e.kind(), ParseErrorKind::TooDeep);
        assert_eq!(e.span, MAX_NESTING..MAX_NESTING + 1, "{e}");
        assert!(
            e.message.contains(&format!(
                "nested {n} levels deep; the limit is {MAX_NESTING}"
            )),
            "{e}"
        );
    }
}

#[test]
fn parentheses_hidden_in_strings_do_not_count_and_closers_in_strings_do_not_help() {
    // 200 `(` inside a string literal: one real level.
    let ok = format!("$response.body.a == '{}'", "(".repeat(200));
    assert!(small_stack(move || parse_condition(&ok).is_ok()));
    // `)` inside a string does not close the real parentheses around it.
    let bad = format!(
        "{}'{}' == 'a'{}",
        "(".repeat(40),
        ")".repeat(40),
        "(".repeat(40)
    );
    let e = small_stack(move || parse_condition(&bad).unwrap_err());
    assert_eq!(e.kind(), ParseErrorKind::TooDeep);
}

#[test]
fn long_chains_of_negations_and_conjunctions() {
    for s in [
        format!("{}true", "!".repeat(100_000)),
        vec!["true"; 100_000].join(" && "),
        vec!["$statusCode == 200"; 10_000].join(" || "),
    ] {
        let e = small_stack(move || parse_condition(&s).unwrap_err());
        assert_eq!(e.kind(), ParseErrorKind::TooDeep);
        assert!(
            e.message
                .contains(&format!("more than {MAX_NESTING} levels deep")),
            "{e}"
        );
    }
}

#[test]
fn a_parse_error_on_a_huge_line_renders_a_window() {
    let s = format!("{}true", "!".repeat(100_000));
    let e = parse_condition(&s).unwrap_err();
    let rendered = e.render(&s);
    assert!(rendered.len() < 1_000, "{} bytes", rendered.len());
    assert!(rendered.contains("…!!!!"), "{rendered}");
    assert!(rendered.contains('^'), "{rendered}");
}

#[test]
fn conditions_at_the_limit_still_work() {
    // Parsing 64 parentheses needs about 4.5 MiB of stack in an unoptimized build
    // (pest), so this one runs on a large stack: it checks the limit is not too low.
    let verdict = std::thread::Builder::new()
        .stack_size(32 << 20)
        .spawn(|| {
            let ctx = context(json!({}));
            let n = MAX_NESTING;
            let parens = format!("{}$statusCode == 200{}", "(".repeat(n), ")".repeat(n));
            // A comparison is two levels; each further `&&` operand one more.
            let chain = vec!["$statusCode == 200"; n - 1].join(" && ");
            let nots = format!("{}($statusCode == 200)", "!".repeat(n - 2));
            [parens, chain, nots].map(|s| parse_condition(&s).unwrap().evaluate(&ctx))
        })
        .unwrap()
        .join()
        .unwrap();
    assert!(verdict.iter().all(|v| v.passed), "{verdict:?}");
}

#[test]
fn deeply_nested_jsonpath() {
    let e = condition_error(small_stack(|| {
        let q = format!("$[?{}@.a == 1{}]", "(".repeat(4000), ")".repeat(4000));
        compile(&q, jsonpath())
    }));
    assert_eq!(e.kind(), ParseErrorKind::TooDeep);
    assert_eq!(e.span.start, MAX_NESTING + 2);
    assert!(e.message.contains("nested 4001 levels deep"), "{e}");
    // Nested filter brackets count as much as parentheses.
    let e = condition_error(small_stack(|| {
        let q = format!("${}{}", "[?@".repeat(3000), "]".repeat(3000));
        compile(&q, jsonpath())
    }));
    assert_eq!(e.kind(), ParseErrorKind::TooDeep);
}

#[test]
fn deep_nesting_substituted_into_a_jsonpath_at_run_time() {
    // The query is fine as written; the value substituted into it is not.
    let verdict = small_stack(|| {
        let c = compile("$[?{$response.body#/filter}]", jsonpath()).unwrap();
        let filter = format!("{}@.a{}", "(".repeat(4000), ")".repeat(4000));
        c.evaluate(&context(json!({ "filter": filter })))
    });
    assert!(verdict.error, "{verdict:?}");
    let reason = verdict.reason.unwrap();
    assert!(reason.contains("levels deep; the limit is"), "{reason}");
}

fn limit_verdict(condition: &'static str, ty: CriterionType, body: Value) -> Verdict {
    small_stack(move || compile(condition, ty).unwrap().evaluate(&context(body)))
}

#[test]
fn jsonpath_work_over_the_budget_is_an_error() {
    let over = format!("the work limit of {JSONPATH_WORK_LIMIT}");
    // Descendant segments over a deep chain: each multiplies the node list.
    let chain = (0..100).fold(json!(1), |acc, _| json!({ "a": acc }));
    let v = limit_verdict("$..*..*..*..*..*", jsonpath(), chain);
    assert!(
        v.error && v.reason.as_deref().unwrap().contains(&over),
        "{v:?}"
    );
    // Duplicating unions: 10^8 nodes from eight short segments.
    let mut nested = json!(1);
    for _ in 0..8 {
        nested = json!([nested]);
    }
    let q = "$[0,0,0,0,0,0,0,0,0,0][0,0,0,0,0,0,0,0,0,0][0,0,0,0,0,0,0,0,0,0][0,0,0,0,0,0,0,0,0,0]\
             [0,0,0,0,0,0,0,0,0,0][0,0,0,0,0,0,0,0,0,0][0,0,0,0,0,0,0,0,0,0][0,0,0,0,0,0,0,0,0,0]";
    let v = limit_verdict(q, jsonpath(), nested);
    assert!(
        v.error && v.reason.as_deref().unwrap().contains(&over),
        "{v:?}"
    );
    // The same through a Selector Object.
    let items: Vec<Value> = (0..20_000).map(|i| json!({ "id": i })).collect();
    let terms: Vec<String> = (0..1000).map(|t| format!("@.id == {t}")).collect();
    let query = format!("$[?{}]", terms.join(" || "));
    let err = small_stack(move || {
        let s = Selector::compile(
            "$response.body",
            &query,
            &SelectorType::JsonPath { version: None },
        )
        .unwrap();
        s.evaluate(&context(Value::Array(items))).unwrap_err()
    });
    assert_eq!(err.kind(), EvalErrorKind::Limit);
    assert!(err.message().contains(&over), "{err}");
}

#[test]
fn ordinary_jsonpath_over_a_large_body_runs() {
    let items: Vec<Value> = (0..100_000)
        .map(|i| json!({ "id": i, "status": if i == 99_999 { "done" } else { "open" } }))
        .collect();
    let v = limit_verdict(
        "$.items[?@.status == 'done' && @.id > 5]",
        jsonpath(),
        json!({ "items": items }),
    );
    assert!(v.passed, "{v:?}");
}

#[test]
fn deeply_nested_regex() {
    let e = condition_error(small_stack(|| {
        let q = format!("{}a{}", "(".repeat(10_000), ")".repeat(10_000));
        compile(&q, CriterionType::Regex)
    }));
    assert_eq!(e.kind(), ParseErrorKind::TooDeep);
    assert_eq!(e.span, MAX_NESTING..MAX_NESTING + 1);
}

#[test]
fn a_regex_that_would_thrash_on_a_large_text_is_an_error() {
    // Random `a`s and `b`s: the lazy DFA of this pattern needs a new state almost
    // every byte and the PikeVM would do ~70 steps per byte.
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let noise: String = (0..4 * LINEAR_WORK_LIMIT / 64)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            if seed >> 63 == 0 { 'a' } else { 'b' }
        })
        .collect();
    let v = limit_verdict(
        "(a|b)*a(a|b){20}c",
        CriterionType::Regex,
        Value::String(noise),
    );
    assert!(v.error, "{v:?}");
    assert!(
        v.reason.as_deref().unwrap().contains("in bounded time"),
        "{v:?}"
    );
    // A plain pattern over a large text is not refused: the lazy DFA does not give up.
    let big = "ab".repeat(LINEAR_WORK_LIMIT / 4);
    let v = limit_verdict(
        "ba{2}b|\"status\"",
        CriterionType::Regex,
        Value::String(big),
    );
    assert!(!v.passed && !v.error, "{v:?}");
}

#[test]
fn catastrophic_backtracking_is_an_error_not_false() {
    let v = limit_verdict(
        "(a*)*\\1b",
        CriterionType::Regex,
        Value::String(format!("{}!", "a".repeat(5000))),
    );
    assert!(v.error, "{v:?}");
    assert!(
        v.reason.as_deref().unwrap().contains("backtracking limit"),
        "{v:?}"
    );
}

#[test]
fn deeply_nested_xpath_is_refused_before_xee_parses_it() {
    // 30 levels used to take xee hours (its parse time doubles per level).
    for q in [
        format!("{}1{} = 1", "(".repeat(30), ")".repeat(30)),
        format!("/a{}{}", "[b".repeat(30), "]".repeat(30)),
        format!("{}1{}", "(: (: ".repeat(30), " :) :)".repeat(30)),
    ] {
        let e = condition_error(small_stack(move || compile(&q, xpath())));
        assert_eq!(e.kind(), ParseErrorKind::TooDeep, "{e}");
        assert!(
            e.message
                .contains(&format!("the limit is {MAX_XPATH_NESTING}")),
            "{e}"
        );
    }
}

#[test]
fn long_xpath_operator_chains_are_refused() {
    for q in [
        vec!["1"; 1000].join("+"),
        format!("{}1", "-".repeat(1000)),
        vec!["a"; 1000].join("/"),
        format!("{}1", "if (1) then 1 else ".repeat(300)),
    ] {
        let e = condition_error(small_stack(move || compile(&q, xpath())));
        assert_eq!(e.kind(), ParseErrorKind::TooLong, "{e}");
    }
    // Operators inside a string literal are not operators.
    let q = format!("/a = '{}'", "+".repeat(2 * MAX_XPATH_OPERATORS));
    assert!(compile(&q, xpath()).is_ok());
}

#[test]
fn xpath_constructs_without_a_work_bound_are_refused_where_they_are() {
    for (q, span) in [
        ("sum(1 to 100000000) > 0", 4..18),
        ("count(1 to 1001) > 0", 6..15),
        ("count(1 to $n) > 0", 6..13),
        ("count((1, 1, 1) ! (1, 1, 1) ! (1, 1, 1)) > 0", 6..39),
        ("count(//a ! //a) + count(//a ! //a) > 0", 25..34),
        ("/a[for $b in //b return for $c in //c return $c]", 24..47),
        ("function($x) { $x }(1) = 1", 0..19),
    ] {
        let e = condition_error(small_stack(move || compile(q, xpath())));
        assert_eq!(e.kind(), ParseErrorKind::Unbounded, "{q}: {e}");
        assert_eq!(e.span, span, "{q}: {e}");
    }
    // Ranges between literals up to the limit, one multiplier, keywords as
    // names, and partial application of a built-in are fine.
    for q in [
        "count(1 to 1000) = 1000",
        "string-join(for $p in //price return $p, ',') = ''",
        "count(//a ! string()) >= 0",
        "count(/to/for/function) = 0",
        "count(//a[some $b in //b satisfies $b = .]) >= 0",
        "concat(?, 'x')('y') = 'yx'",
    ] {
        assert!(compile(q, xpath()).is_ok(), "{q}");
    }
}

#[test]
fn xpath_does_not_see_the_environment() {
    // `xee` can expose the process's environment (credentials, in CI) to queries; the
    // engine does not give it.
    let v = limit_verdict(
        "empty(available-environment-variables()) and empty(environment-variable('PATH'))",
        xpath(),
        Value::String("<a/>".into()),
    );
    assert!(v.passed, "{v:?}");
}

#[test]
fn deeply_nested_xml_is_refused() {
    let depth = MAX_XML_DEPTH + 1;
    let xml = format!("{}{}", "<a>".repeat(depth), "</a>".repeat(depth));
    let v = limit_verdict("count(//a) > 0", xpath(), Value::String(xml));
    assert!(v.error, "{v:?}");
    assert!(
        v.reason.as_deref().unwrap().contains("levels deep"),
        "{v:?}"
    );
}
