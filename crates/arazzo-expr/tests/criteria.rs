//! Criterion Objects of every type, the regex guard, XPath on XML, and selectors.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use arazzo_expr::{
    BACKTRACKING_MAX_INPUT, Criterion, CriterionError, CriterionType, EcmaRegex, JsonContext,
    Selector, SelectorType,
};
use serde_json::{Value, json};

fn ctx() -> JsonContext {
    JsonContext::from_value(json!({
        "statusCode": 201,
        "inputs": { "expectedStatus": "sold", "statusPattern": "avail|sold", "minPrice": 10, "host": "a.b" },
        "steps": { "getPricing": { "outputs": { "minPrice": 4 } } },
        "response": {
            "headers": { "Content-Type": "application/xml" },
            "body": {
                "status": "available",
                "pets": [ { "name": "Rex", "status": "sold" }, { "name": "Tom", "status": "available" } ],
                "empty": [],
                "ok": true
            }
        },
        "outputs": { "xml": "<root><items><item><price>5</price></item><item><price>12</price></item></items><pets/></root>" }
    }))
    .unwrap()
}

fn crit(condition: &str, context: Option<&str>, ty: CriterionType) -> Criterion {
    Criterion::compile(condition, context, &ty).unwrap()
}

fn passes(c: &Criterion) -> bool {
    c.evaluate(&ctx()).passed
}

fn jsonpath() -> CriterionType {
    CriterionType::JsonPath { version: None }
}

fn xpath() -> CriterionType {
    CriterionType::XPath { version: None }
}

#[test]
fn criterion_type_from_document_values() {
    assert_eq!(
        CriterionType::from_value(None).unwrap(),
        CriterionType::Simple
    );
    assert_eq!(
        CriterionType::from_value(Some(&json!("regex"))).unwrap(),
        CriterionType::Regex
    );
    assert_eq!(
        CriterionType::from_value(Some(
            &json!({"type": "jsonpath", "version": "draft-goessner-dispatch-jsonpath-00"})
        ))
        .unwrap(),
        CriterionType::JsonPath {
            version: Some("draft-goessner-dispatch-jsonpath-00".into())
        }
    );
    assert_eq!(
        CriterionType::from_value(Some(&json!({"type": "xpath", "version": "xpath-30"}))).unwrap(),
        CriterionType::XPath {
            version: Some("xpath-30".into())
        }
    );
    assert!(matches!(
        CriterionType::from_value(Some(&json!("jmespath"))),
        Err(CriterionError::UnknownType(_))
    ));
}

#[test]
fn simple_criteria() {
    assert!(passes(&crit(
        "$statusCode == 201",
        None,
        CriterionType::Simple
    )));
    let c = crit("$statusCode == 200", None, CriterionType::Simple);
    let v = c.evaluate(&ctx());
    assert!(!v.passed && !v.error);
    assert_eq!(
        v.reason.unwrap(),
        "`$statusCode == 200`: $statusCode was 201"
    );
    // A context is allowed (the schema requires it with `type`) and ignored.
    assert!(passes(&crit(
        "$response.body.ok",
        Some("$response.body"),
        CriterionType::Simple
    )));
    match Criterion::compile("$statusCode ==", None, &CriterionType::Simple) {
        Err(CriterionError::Condition(e)) => assert_eq!(e.span.start, 14),
        other => panic!("{other:?}"),
    }
}

#[test]
fn regex_criteria() {
    assert!(passes(&crit(
        "^2\\d{2}$",
        Some("$statusCode"),
        CriterionType::Regex
    )));
    assert!(!passes(&crit(
        "^200$",
        Some("$statusCode"),
        CriterionType::Regex
    )));
    // Unanchored search.
    assert!(passes(&crit(
        "vail",
        Some("$response.body#/status"),
        CriterionType::Regex
    )));
    // Objects and arrays are matched as JSON text.
    assert!(passes(&crit(
        "\"name\":\"Rex\"",
        Some("$response.body#/pets"),
        CriterionType::Regex
    )));
    // The spec example's dotted context.
    assert!(passes(&crit(
        "^avail",
        Some("$response.body.status"),
        CriterionType::Regex
    )));
    // Embedded expressions are substituted before compiling (1.1).
    assert!(passes(&crit(
        "^({$inputs.statusPattern})able$",
        Some("$response.body.status"),
        CriterionType::Regex
    )));
    // A literal `{` followed by `$` is not an embedded expression.
    assert!(!passes(&crit(
        "^\\{$",
        Some("$response.body.status"),
        CriterionType::Regex
    )));
    // Null and absent contexts fail.
    let v = crit(".*", Some("$response.body#/missing"), CriterionType::Regex).evaluate(&ctx());
    assert!(!v.passed && v.reason.unwrap().contains("is absent"));
    // Regex and JSONPath need a context.
    assert!(matches!(
        Criterion::compile("x", None, &CriterionType::Regex),
        Err(CriterionError::MissingContext { .. })
    ));
    // An invalid pattern compiles to a criterion that always fails, with the reason.
    let bad = crit("(a", Some("$statusCode"), CriterionType::Regex);
    assert!(
        bad.query_problem()
            .unwrap()
            .contains("invalid ECMAScript regular expression")
    );
    let v = bad.evaluate(&ctx());
    assert!(!v.passed && v.error);
}

#[test]
fn regex_follows_ecmascript() {
    let m = |p: &str, s: &str| EcmaRegex::new(p).unwrap().is_match(s).unwrap();
    // ASCII classes, unlike the `regex` crate's Unicode defaults.
    assert!(!m("^\\d+$", "٣٤"));
    assert!(m("^\\d+$", "34"));
    assert!(!m("^\\w+$", "héllo"));
    assert!(m("\\bfoo\\b", "a foo b"));
    assert!(!m("\\bfoo\\b", "éfooé") || m("\\bfoo\\b", "éfooé"));
    // `.` excludes line terminators; `[^]` and `[\s\S]` include them.
    assert!(!m("^a.b$", "a\nb"));
    assert!(!m("^a.b$", "a\u{2028}b"));
    assert!(m("^a[^]b$", "a\nb"));
    assert!(m("^a[\\s\\S]b$", "a\u{2028}b"));
    assert!(!m("[]", "anything"));
    // JavaScript's \s includes U+FEFF and U+00A0.
    assert!(m("^\\s$", "\u{feff}"));
    assert!(m("^\\s$", "\u{a0}"));
    // `$` is the end of input (no multiline), `^` the start.
    assert!(!m("^a$", "a\n"));
    // Escapes.
    assert!(m("^\\x41\\u0042\\u{1F600}$", "AB😀"));
    assert!(m("^\\uD83D\\uDE00$", "😀"));
    assert!(m("^\\cJ$", "\n"));
    assert!(m("^[\\b]$", "\u{8}"));
    assert!(m("^\\/path\\/$", "/path/"));
    assert!(m("^a{2}$", "aa"));
    assert!(m("^a{$", "a{"));
    assert!(m("^[\\w-]+$", "a-b_c"));
    assert!(m("^\\p{Lu}+$", "ÀB"));
    // Backtracking features run on the bounded engine.
    assert!(m("^(?=.*\\d)(?=.*[a-z]).{6,}$", "abc123"));
    assert!(!m("^(?=.*\\d)(?=.*[a-z]).{6,}$", "abcdef"));
    assert!(m("(a)\\1", "xaay"));
    assert!(m("(?<year>\\d{4})-\\k<year>", "2024-2024"));
    assert!(m("(?<!\\$)\\b\\d+", "cost 42"));
    assert!(EcmaRegex::new("(?=a)").unwrap().is_backtracking());
    assert!(!EcmaRegex::new("^(a+)+$").unwrap().is_backtracking());
}

#[test]
fn hostile_patterns_terminate_quickly() {
    // ^(a+)+$ on a megabyte of `a`s and a `!`: seconds-to-forever for a backtracker.
    let mut body = "a".repeat(1 << 20);
    body.push('!');
    let ctx = JsonContext::from_value(json!({"response": {"body": body}})).unwrap();
    for pattern in [
        "^(a+)+$",
        "^(a|aa)*$",
        "(x+x+)+y",
        "(a*)*b",
        "(?:a|b)*a(?:a|b){20}c",
    ] {
        let c = crit(pattern, Some("$response.body"), CriterionType::Regex);
        let t = Instant::now();
        let v = c.evaluate(&ctx);
        assert!(!v.passed, "{pattern}");
        // Generous for unoptimised test builds; release figures are in docs/performance.md.
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "{pattern} took {:?}",
            t.elapsed()
        );
    }
    // A backtracking pattern on a large body is refused outright.
    let c = crit("^(?=(a+)+$)", Some("$response.body"), CriterionType::Regex);
    let v = c.evaluate(&ctx);
    assert!(!v.passed && v.error);
    assert!(
        v.reason
            .unwrap()
            .contains(&BACKTRACKING_MAX_INPUT.to_string())
    );
    // Within the input cap, catastrophic backtracking hits the step limit.
    let small =
        JsonContext::from_value(json!({"response": {"body": format!("{}!", "a".repeat(4000))}}))
            .unwrap();
    let c = crit("(a+)+\\1$", Some("$response.body"), CriterionType::Regex);
    let t = Instant::now();
    let v = c.evaluate(&small);
    assert!(!v.passed && v.error);
    assert!(v.reason.unwrap().contains("backtracking limit"));
    assert!(t.elapsed() < Duration::from_secs(10));
}

#[test]
fn jsonpath_criteria() {
    assert!(passes(&crit(
        "$.pets[*]",
        Some("$response.body"),
        jsonpath()
    )));
    assert!(!passes(&crit(
        "$.empty[*]",
        Some("$response.body"),
        jsonpath()
    )));
    // A filter on the root of an object context also considers the object itself
    // (the spec's own example), after the RFC 9535 reading (its members) found nothing.
    assert!(passes(&crit(
        "$[?count(@.pets) > 0]",
        Some("$response.body"),
        jsonpath()
    )));
    assert!(!passes(&crit(
        "$[?count(@.cats) > 0]",
        Some("$response.body"),
        jsonpath()
    )));
    // Not for arrays: their elements are what a root filter means.
    assert!(!passes(&crit(
        "$[?@[1].name == 'Tom']",
        Some("$response.body.pets"),
        jsonpath()
    )));
    assert!(passes(&crit(
        "$[?count(@.name) > 0]",
        Some("$response.body.pets"),
        jsonpath()
    )));
    assert!(passes(&crit(
        "$.pets[?@.status == 'sold']",
        Some("$response.body"),
        jsonpath()
    )));
    assert!(passes(&crit(
        "$.pets[?(@.name == 'Tom')]",
        Some("$response.body"),
        jsonpath()
    )));
    assert!(passes(&crit(
        "$.pets[?length(@.name) == 3]",
        Some("$response.body"),
        jsonpath()
    )));
    assert!(passes(&crit(
        "$.pets[?match(@.name, 'R.*')]",
        Some("$response.body"),
        jsonpath()
    )));
    // Embedded expressions (1.1).
    assert!(passes(&crit(
        "$.pets[?(@.status == \"{$inputs.expectedStatus}\")]",
        Some("$response.body"),
        jsonpath()
    )));
    // Goessner's draft is evaluated by the RFC 9535 engine.
    let g = Criterion::compile(
        "$.pets[?(@.status == 'sold')]",
        Some("$response.body"),
        &CriterionType::JsonPath {
            version: Some("draft-goessner-dispatch-jsonpath-00".into()),
        },
    )
    .unwrap();
    assert_eq!(
        g.effective_version(),
        Some("draft-goessner-dispatch-jsonpath-00")
    );
    assert!(passes(&g));
    // Unknown versions are rejected.
    assert!(matches!(
        Criterion::compile(
            "$",
            Some("$response.body"),
            &CriterionType::JsonPath {
                version: Some("jsonpath-2".into())
            }
        ),
        Err(CriterionError::UnknownVersion { .. })
    ));
    // A null context fails.
    let n = JsonContext::from_value(json!({"response": {"body": null}})).unwrap();
    let v = crit("$", Some("$response.body"), jsonpath()).evaluate(&n);
    assert!(!v.passed && v.reason.unwrap().contains("is null"));
}

#[test]
fn javascript_style_jsonpath_fails_with_a_clear_reason() {
    for q in [
        "$.ok == true",
        "$.data.length > 0",
        "$.state == \"running\" || $.state == \"scheduled\"",
    ] {
        let c = crit(q, Some("$response.body"), jsonpath());
        let problem = c.query_problem().unwrap();
        assert!(problem.contains("invalid RFC 9535 JSONPath"), "{problem}");
        assert!(problem.contains("simple"), "{problem}");
        let v = c.evaluate(&ctx());
        assert!(!v.passed && v.error);
    }
}

#[test]
fn xpath_criteria() {
    if cfg!(not(feature = "xpath")) {
        return;
    }
    assert!(passes(&crit(
        "count(/root/items/item) > 1",
        Some("$outputs.xml"),
        xpath()
    )));
    assert!(passes(&crit("/root/pets", Some("$outputs.xml"), xpath())));
    assert!(!passes(&crit("/root/cats", Some("$outputs.xml"), xpath())));
    assert!(passes(&crit(
        "/root/items/item[price > {$steps.getPricing.outputs.minPrice}]",
        Some("$outputs.xml"),
        xpath()
    )));
    assert!(!passes(&crit(
        "/root/items/item[price > {$inputs.minPrice} + 5]",
        Some("$outputs.xml"),
        xpath()
    )));
    assert!(passes(&crit(
        "string-join(for $p in //price return $p, ',') = '5,12'",
        Some("$outputs.xml"),
        xpath()
    )));
    assert!(!passes(&crit("0", Some("$outputs.xml"), xpath())));
    assert!(passes(&crit("'x'", Some("$outputs.xml"), xpath())));
    for version in ["xpath-10", "xpath-20", "xpath-30", "xpath-31"] {
        let c = Criterion::compile(
            "/root/pets",
            Some("$outputs.xml"),
            &CriterionType::XPath {
                version: Some(version.into()),
            },
        )
        .unwrap();
        assert!(passes(&c), "{version}");
        assert_eq!(c.effective_version(), Some(version));
    }
    assert!(matches!(
        Criterion::compile(
            "/a",
            Some("$outputs.xml"),
            &CriterionType::XPath {
                version: Some("xpath-40".into())
            }
        ),
        Err(CriterionError::UnknownVersion { .. })
    ));
    // Not XML, or not a string: fail with a reason.
    let v = crit("/a", Some("$response.body"), xpath()).evaluate(&ctx());
    assert!(v.error && v.reason.unwrap().contains("XPath needs XML text"));
    let v = crit("/a", Some("$response.body#/status"), xpath()).evaluate(&ctx());
    assert!(v.error && v.reason.unwrap().contains("well-formed XML"));
    // A syntax error is kept as a problem and fails at evaluation.
    let c = crit("/root/[", Some("$outputs.xml"), xpath());
    assert!(c.query_problem().is_some());
}

#[test]
fn selectors() {
    let sel = |ctx_expr: &str, s: &str, ty: Value| {
        Selector::compile(ctx_expr, s, &SelectorType::from_value(&ty).unwrap())
            .unwrap()
            .evaluate(&ctx())
    };
    assert_eq!(
        sel("$response.body", "$.pets[0].name", json!("jsonpath")).unwrap(),
        json!("Rex")
    );
    assert_eq!(
        sel("$response.body", "$.pets[*].name", json!("jsonpath")).unwrap(),
        json!(["Rex", "Tom"])
    );
    assert_eq!(
        sel(
            "$response.body",
            "$.pets[?@.status=='x'].name",
            json!("jsonpath")
        )
        .unwrap(),
        json!([])
    );
    assert!(sel("$response.body", "$.nope", json!("jsonpath")).is_err());
    assert_eq!(
        sel("$response.body", "/pets/1/status", json!("jsonpointer")).unwrap(),
        json!("available")
    );
    assert_eq!(
        sel(
            "$response.body",
            "/pets/1/status",
            json!({"type": "jsonpointer", "version": "rfc6901"})
        )
        .unwrap(),
        json!("available")
    );
    assert!(
        sel("$inputs.nope", "/x", json!("jsonpointer"))
            .unwrap_err()
            .is_absent()
    );
    if cfg!(feature = "xpath") {
        assert_eq!(
            sel(
                "$outputs.xml",
                "/root/items/item[2]/price",
                json!({"type": "xpath", "version": "xpath-30"})
            )
            .unwrap(),
            json!("12")
        );
        assert_eq!(
            sel("$outputs.xml", "count(//item)", json!("xpath")).unwrap(),
            json!(2)
        );
        assert_eq!(
            sel("$outputs.xml", "//price = 12", json!("xpath")).unwrap(),
            json!(true)
        );
    }
    assert!(
        Selector::compile(
            "$response.body",
            "$.[",
            &SelectorType::JsonPath { version: None }
        )
        .is_err()
    );
    assert!(
        Selector::compile(
            "$response.body",
            "a/b",
            &SelectorType::JsonPointer { version: None }
        )
        .is_err()
    );
    assert!(
        Selector::compile(
            "response.body",
            "/a",
            &SelectorType::JsonPointer { version: None }
        )
        .is_err()
    );
}

#[test]
fn criteria_are_send_sync_and_clone() {
    fn check<T: Send + Sync + Clone>() {}
    check::<Criterion>();
    check::<Selector>();
    check::<arazzo_expr::Condition>();
    check::<arazzo_expr::Template>();
    check::<arazzo_expr::ValueExpr>();
    let c = crit(
        "^{$inputs.host}$",
        Some("$inputs.host"),
        CriterionType::Regex,
    );
    assert!(passes(&c));
    assert!(passes(&c.clone()));
}
