//! Property tests: generated ASTs print to text that parses back to the same AST.
#![allow(clippy::unwrap_used)]

use arazzo_expr::{
    Accessor, CompareOp, ComponentKind, CondExpr, Expression, JsonPointer, Operand, TemplateKind,
    TemplatePart, WorkflowField, parse_condition, parse_expression, parse_operand, parse_template,
};
use proptest::prelude::*;
use serde_json::Value;

fn identifier() -> impl Strategy<Value = String> {
    "[A-Za-z0-9._-]{1,10}"
}
fn strict() -> impl Strategy<Value = String> {
    "[A-Za-z0-9_-]{1,10}"
}

/// Character classes differ between plain expressions (which run to the end of the
/// string or to `}`) and condition operands (which stop at whitespace and operators).
#[derive(Clone, Copy, Debug)]
enum Mode {
    Plain,
    Condition,
}

fn token(mode: Mode) -> BoxedStrategy<String> {
    match mode {
        Mode::Plain => "[A-Za-z0-9!#$%&'*+.^_`|~-]{1,10}".boxed(),
        Mode::Condition => "[A-Za-z0-9#$%*+.^_`~-]{1,10}".boxed(),
    }
}
fn param_name(mode: Mode) -> BoxedStrategy<String> {
    match mode {
        Mode::Plain => "[A-Za-z0-9._~!$&'()*+,;=:@#%/\\[\\]-]{1,10}".boxed(),
        Mode::Condition => "[A-Za-z0-9._~$*+;:@#%/-]{1,10}".boxed(),
    }
}
fn source_ref(mode: Mode) -> BoxedStrategy<String> {
    param_name(mode)
}
fn pointer(mode: Mode) -> BoxedStrategy<Option<JsonPointer>> {
    let tok = match mode {
        Mode::Plain => "[^{}]{0,6}".boxed(),
        Mode::Condition => "[A-Za-z0-9._~/$*+;:@#%-]{0,6}".boxed(),
    };
    proptest::option::of(proptest::collection::vec(tok, 0..4).prop_map(JsonPointer::from_tokens))
        .boxed()
}

fn expression(mode: Mode) -> BoxedStrategy<Expression> {
    let kind = prop_oneof![
        Just(ComponentKind::Parameters),
        Just(ComponentKind::SuccessActions),
        Just(ComponentKind::FailureActions)
    ];
    let field = prop_oneof![Just(WorkflowField::Inputs), Just(WorkflowField::Outputs)];
    prop_oneof![
        Just(Expression::Url),
        Just(Expression::Method),
        Just(Expression::StatusCode),
        Just(Expression::SelfUri),
        token(mode).prop_map(|name| Expression::RequestHeader { name }),
        param_name(mode).prop_map(|name| Expression::RequestQuery { name }),
        param_name(mode).prop_map(|name| Expression::RequestPath { name }),
        pointer(mode).prop_map(|pointer| Expression::RequestBody { pointer }),
        token(mode).prop_map(|name| Expression::ResponseHeader { name }),
        pointer(mode).prop_map(|pointer| Expression::ResponseBody { pointer }),
        token(mode).prop_map(|name| Expression::MessageHeader { name }),
        pointer(mode).prop_map(|pointer| Expression::MessagePayload { pointer }),
        (identifier(), pointer(mode))
            .prop_map(|(name, pointer)| Expression::Inputs { name, pointer }),
        (identifier(), pointer(mode))
            .prop_map(|(name, pointer)| Expression::Outputs { name, pointer }),
        (strict(), identifier(), pointer(mode)).prop_map(|(step_id, output, pointer)| {
            Expression::Steps {
                step_id,
                output,
                pointer,
            }
        }),
        (strict(), field, identifier(), pointer(mode)).prop_map(
            |(workflow_id, field, name, pointer)| {
                Expression::Workflows {
                    workflow_id,
                    field,
                    name,
                    pointer,
                }
            }
        ),
        (strict(), source_ref(mode))
            .prop_map(|(name, reference)| Expression::SourceDescriptions { name, reference }),
        (kind, identifier()).prop_map(|(kind, name)| Expression::Components { kind, name }),
    ]
    .boxed()
}

fn accessors(e: &Expression) -> BoxedStrategy<Vec<Accessor>> {
    // A `.name` right after a name or a pointer would be read as part of it, so the
    // canonical form starts with an index there.
    let absorbs_dots = e.pointer().is_some() || e.dotted_name().is_some();
    let acc = prop_oneof![
        "[A-Za-z0-9_-]{1,6}".prop_map(Accessor::Property),
        (0u64..1000).prop_map(Accessor::Index)
    ];
    proptest::collection::vec(acc, 0..4)
        .prop_map(move |mut v| {
            if absorbs_dots && matches!(v.first(), Some(Accessor::Property(_))) {
                v.insert(0, Accessor::Index(0));
            }
            v
        })
        .boxed()
}

fn operand() -> impl Strategy<Value = Operand> {
    expression(Mode::Condition).prop_flat_map(|e| {
        accessors(&e).prop_map(move |accessors| Operand {
            expression: e.clone(),
            accessors,
        })
    })
}

fn literal() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        any::<String>().prop_map(Value::String),
    ]
}

fn cond() -> impl Strategy<Value = CondExpr> {
    let leaf = prop_oneof![
        literal().prop_map(|value| CondExpr::Literal {
            value,
            span: 0..0,
            double_quoted: false
        }),
        operand().prop_map(|operand| CondExpr::Operand {
            operand,
            span: 0..0
        }),
    ];
    let op = prop_oneof![
        Just(CompareOp::Eq),
        Just(CompareOp::Ne),
        Just(CompareOp::Lt),
        Just(CompareOp::Le),
        Just(CompareOp::Gt),
        Just(CompareOp::Ge)
    ];
    leaf.prop_recursive(4, 24, 2, move |inner| {
        prop_oneof![
            inner.clone().prop_map(|i| CondExpr::Not {
                inner: Box::new(i),
                span: 0..0
            }),
            (op.clone(), inner.clone(), inner.clone()).prop_map(|(op, l, r)| CondExpr::Compare {
                op,
                left: Box::new(l),
                right: Box::new(r),
                span: 0..0
            }),
            (inner.clone(), inner.clone()).prop_map(|(l, r)| CondExpr::And {
                left: Box::new(l),
                right: Box::new(r),
                span: 0..0
            }),
            (inner.clone(), inner).prop_map(|(l, r)| CondExpr::Or {
                left: Box::new(l),
                right: Box::new(r),
                span: 0..0
            }),
        ]
    })
}

fn template_parts() -> impl Strategy<Value = Vec<TemplatePart>> {
    let text = "[^{]{1,8}|\\{ ?[^{$]{0,4}".prop_map(TemplatePart::Text);
    let expr = expression(Mode::Plain).prop_map(|expression| TemplatePart::Expression {
        expression,
        span: 0..0,
    });
    proptest::collection::vec(prop_oneof![text, expr], 1..6).prop_map(|parts| {
        // Adjacent texts would re-parse as one; a template needs one expression.
        let mut out: Vec<TemplatePart> = Vec::new();
        for p in parts {
            match (out.last_mut(), p) {
                (Some(TemplatePart::Text(a)), TemplatePart::Text(b)) => a.push_str(&b),
                (_, p) => out.push(p),
            }
        }
        for p in &mut out {
            if let TemplatePart::Text(t) = p {
                *t = t.replace("{$", "{ $");
            }
        }
        if !out
            .iter()
            .any(|p| matches!(p, TemplatePart::Expression { .. }))
        {
            out.push(TemplatePart::Expression {
                expression: Expression::Url,
                span: 0..0,
            });
        }
        out
    })
}

fn print_parts(parts: &[TemplatePart]) -> String {
    parts
        .iter()
        .map(|p| match p {
            TemplatePart::Text(t) => t.clone(),
            TemplatePart::Expression { expression, .. } => format!("{{{expression}}}"),
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn expressions_round_trip(e in expression(Mode::Plain)) {
        let printed = e.to_string();
        prop_assert_eq!(parse_expression(&printed), Ok(e.clone()), "printed: {}", printed);
    }

    #[test]
    fn condition_expressions_round_trip(e in expression(Mode::Condition)) {
        prop_assert_eq!(parse_expression(&e.to_string()), Ok(e));
    }

    #[test]
    fn operands_round_trip(o in operand()) {
        let printed = o.to_string();
        let c = parse_condition(&printed);
        prop_assert!(c.is_ok(), "printed: {} error: {:?}", printed, c.err());
        match c.unwrap().root() {
            CondExpr::Operand { operand, .. } => prop_assert_eq!(operand, &o, "printed: {}", printed),
            other => prop_assert!(false, "{} parsed as {:?}", printed, other),
        }
        // As a criterion context (the whole string), pointers and query/path parameter
        // names and source references run to the end, so only the other operands are comparable.
        if o.expression.pointer().is_none()
            && !matches!(
                o.expression,
                Expression::RequestQuery { .. }
                    | Expression::RequestPath { .. }
                    | Expression::SourceDescriptions { .. }
            )
        {
            prop_assert_eq!(parse_operand(&printed), Ok(o.clone()), "printed: {}", printed);
        }
    }

    #[test]
    fn conditions_round_trip(c in cond()) {
        let printed = c.to_string();
        let parsed = parse_condition(&printed);
        prop_assert!(parsed.is_ok(), "printed: {} error: {:?}", printed, parsed.err());
        let parsed = parsed.unwrap();
        prop_assert_eq!(parsed.root(), &c, "printed: {}", printed);
        // Printing is a fixed point.
        prop_assert_eq!(parsed.to_string(), printed);
    }

    #[test]
    fn templates_round_trip(parts in template_parts()) {
        let printed = print_parts(&parts);
        let t = parse_template(&printed);
        prop_assert!(t.is_ok(), "printed: {:?} error: {:?}", printed, t.err());
        let t = t.unwrap();
        match t.kind() {
            TemplateKind::Interpolated(got) => prop_assert_eq!(got, &parts, "printed: {:?}", printed),
            other => prop_assert!(false, "{:?} classified as {:?}", printed, other),
        }
        prop_assert_eq!(t.to_string(), printed);
    }

    #[test]
    fn parsers_never_panic(s in "\\PC{0,40}") {
        let _ = parse_expression(&s).map_err(|e| e.render(&s));
        let _ = parse_template(&s).map_err(|e| e.render(&s));
        let _ = parse_condition(&s).map_err(|e| e.render(&s));
    }

    #[test]
    fn parsers_never_panic_on_expression_like_input(s in "[$#/~{}().\\[\\]'\" =!<>&|a-z0-9]{0,40}") {
        for input in [s.clone(), format!("${s}"), format!("$inputs.{s}"), format!("{{$response.body#{s}")] {
            let _ = parse_expression(&input).map_err(|e| e.render(&input));
            let _ = parse_template(&input).map_err(|e| e.render(&input));
            let _ = parse_condition(&input).map_err(|e| e.render(&input));
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    /// The ECMAScript translator never panics, and whatever compiles can be matched.
    #[test]
    fn regex_translation_never_panics(p in "[\\\\()\\[\\]{}^$.*+?|a-z0-9<>=!:,ukxcpPdDwWsSbB-]{0,24}") {
        if let Ok(re) = arazzo_expr::EcmaRegex::new(&p) {
            for hay in ["", "abc", "a-b_c 123", "ü\n\u{2028}x"] {
                let _ = re.is_match(hay);
            }
        }
    }
}
