//! The XPath time limit. In a test binary of its own: the evaluation it abandons keeps
//! running until the process ends, and while it runs every other XPath evaluation in
//! the process fails at once (that is what this checks, too).
#![cfg(feature = "xpath")]
#![allow(clippy::unwrap_used)]

use std::time::Instant;

use arazzo_expr::limits::XPATH_TIME_LIMIT;
use arazzo_expr::{Criterion, CriterionType, EvalErrorKind, JsonContext, Selector, SelectorType};
use serde_json::json;

#[test]
fn a_slow_xpath_fails_at_the_time_limit_and_blocks_others_while_it_runs() {
    let xml = format!("<r>{}</r>", "<a>y</a>".repeat(2000));
    let ctx = JsonContext::from_value(json!({ "response": { "body": xml } })).unwrap();
    let xpath = CriterionType::XPath { version: None };
    // Three nested `//` predicates over 2,000 elements: 8·10⁹ comparisons.
    let slow = Criterion::compile(
        "count(//a[//a[//a = 'x']]) > 0",
        Some("$response.body"),
        &xpath,
    )
    .unwrap();
    let started = Instant::now();
    let v = slow.evaluate(&ctx);
    let took = started.elapsed();
    assert!(v.error && !v.passed, "{v:?}");
    let reason = v.reason.unwrap();
    assert!(
        reason.contains(&format!(
            "did not finish within the time limit of {} s",
            XPATH_TIME_LIMIT.as_secs_f64()
        )),
        "{reason}"
    );
    assert!(took >= XPATH_TIME_LIMIT, "{took:?}");
    assert!(took < XPATH_TIME_LIMIT * 5, "{took:?}");

    // The abandoned evaluation still runs: the next one fails at once.
    let quick = Criterion::compile("count(//a) > 0", Some("$response.body"), &xpath).unwrap();
    let started = Instant::now();
    let v = quick.evaluate(&ctx);
    assert!(
        started.elapsed() < XPATH_TIME_LIMIT,
        "{:?}",
        started.elapsed()
    );
    assert!(v.error, "{v:?}");
    assert!(v.reason.unwrap().contains("is still running"));

    // A selector fails with a limit error.
    let selector = Selector::compile(
        "$response.body",
        "count(//a)",
        &SelectorType::XPath { version: None },
    )
    .unwrap();
    let e = selector.evaluate(&ctx).unwrap_err();
    assert_eq!(e.kind(), EvalErrorKind::Limit, "{e:?}");
    assert!(e.message().contains("is still running"), "{e:?}");
}
