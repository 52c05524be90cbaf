//! Feeds arbitrary strings to the expression, template and condition parsers.
//!
//! Invariants checked beyond "does not panic": every parse error renders with a caret,
//! and whatever parses prints to text that parses back to the same AST.
#![no_main]

use arazzo_expr::{EmptyContext, parse_condition, parse_expression, parse_template};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    match parse_expression(s) {
        Ok(e) => {
            assert_eq!(parse_expression(&e.to_string()).ok(), Some(e.clone()));
            let _ = e.evaluate(&EmptyContext);
        }
        Err(err) => assert!(err.render(s).contains('^')),
    }
    match parse_template(s) {
        Ok(t) => {
            assert_eq!(parse_template(&t.to_string()).ok(), Some(t.clone()));
            let _ = t.evaluate(&EmptyContext);
        }
        Err(err) => assert!(err.render(s).contains('^')),
    }
    match parse_condition(s) {
        Ok(c) => {
            let printed = c.to_string();
            assert_eq!(
                parse_condition(&printed).ok().as_ref(),
                Some(&c),
                "{printed}"
            );
            let _ = c.evaluate(&EmptyContext);
        }
        Err(err) => assert!(err.render(s).contains('^')),
    }
});
