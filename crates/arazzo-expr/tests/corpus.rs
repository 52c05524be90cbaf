//! Every runtime expression, template and criterion in the shared corpus of real-world
//! Arazzo documents parses, except for the genuine defects classified below.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use arazzo_expr::{Criterion, CriterionError, CriterionType, ValueExpr, expression_lookalike};
use serde_json::Value;

fn corpus_dir() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/corpus"
    ))
}

/// Arazzo documents listed in the corpus manifest.
fn documents(dir: &Path) -> Vec<PathBuf> {
    let manifest = std::fs::read_to_string(dir.join("MANIFEST.tsv")).unwrap();
    manifest
        .lines()
        .skip(1)
        .filter_map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            (cols.get(4) == Some(&"arazzo")).then(|| dir.join(cols[0]))
        })
        .collect()
}

#[derive(Default)]
struct Findings {
    criteria: usize,
    strings: usize,
    /// reason → examples
    defects: BTreeMap<&'static str, Vec<String>>,
    unexpected: Vec<String>,
}

/// Names the defect class of a string that failed to parse, or `None` if unexplained.
fn classify_string(s: &str) -> Option<&'static str> {
    let steps_without_outputs = s.strip_prefix("$steps.").is_some_and(|rest| {
        let id_len = rest.find('.').unwrap_or(rest.len());
        !rest[id_len..].starts_with(".outputs.")
    });
    Some(if s.contains("body#") && !s.contains("body#/") {
        "JSON pointer without a leading `/` (`$response.body#id`)"
    } else if s.starts_with("$sourceDescriptions.") && s.contains("#/") {
        "operationPath as a bare expression with a pointer (needs `{$sourceDescriptions.<name>.url}#/…`)"
    } else if s.starts_with("$response.headers.") {
        "`$response.headers.` instead of `$response.header.`"
    } else if s.contains(char::is_whitespace) {
        "whitespace inside an expression (prose after it, or ids and names with spaces)"
    } else if steps_without_outputs {
        "`$steps.<id>.<name>` without `.outputs.` (Arazzo 1.0.0 errata form)"
    } else if s.contains("[*]") {
        "JSONPath wildcard `[*]` inside a runtime expression"
    } else if arazzo_expr::parse_operand(s).is_ok() {
        "dot/index navigation outside a condition (`$response.body.id`; write `$response.body#/id`)"
    } else {
        return None;
    })
}

/// Names the defect class of a criterion whose query does not compile.
fn classify_query(condition: &str, ty: &CriterionType) -> Option<&'static str> {
    if matches!(ty, CriterionType::JsonPath { .. })
        && (condition.contains("==")
            || condition.contains("!=")
            || condition.contains('>')
            || condition.contains('<')
            || condition.contains(".length"))
    {
        return Some(
            "JavaScript-style comparison or `.length` in a `jsonpath` condition (not RFC 9535)",
        );
    }
    None
}

fn walk(v: &Value, path: &str, doc: &str, f: &mut Findings) {
    match v {
        Value::Object(m) => {
            if let Some(Value::String(condition)) = m.get("condition") {
                f.criteria += 1;
                let context = m.get("context").and_then(Value::as_str);
                let where_ = format!("{doc}#{path}");
                match CriterionType::from_value(m.get("type")) {
                    Err(e) => f.unexpected.push(format!("{where_}: {e}")),
                    Ok(ty) => match Criterion::compile(condition, context, &ty) {
                        Ok(c) => {
                            if let Some(problem) = c.query_problem() {
                                match classify_query(condition, &ty) {
                                    Some(reason) => {
                                        f.defects.entry(reason).or_default().push(condition.clone())
                                    }
                                    None => f
                                        .unexpected
                                        .push(format!("{where_}: {condition:?}: {problem}")),
                                }
                            }
                        }
                        Err(CriterionError::Condition(e)) => match classify_string(condition) {
                            Some(reason) => {
                                f.defects.entry(reason).or_default().push(condition.clone())
                            }
                            None => f
                                .unexpected
                                .push(format!("{where_}: {condition:?}\n{}", e.render(condition))),
                        },
                        Err(CriterionError::Context(_)) if context == Some("$inputs") => f
                            .defects
                            .entry("`$inputs` without an input name as a criterion context")
                            .or_default()
                            .push(format!("context: $inputs, condition: {condition}")),
                        Err(e) => f.unexpected.push(format!("{where_}: {condition:?}: {e}")),
                    },
                }
            }
            for (k, x) in m {
                if k == "condition" || (k == "context" && m.contains_key("condition")) {
                    continue;
                }
                walk(
                    x,
                    &format!("{path}/{}", k.replace('~', "~0").replace('/', "~1")),
                    doc,
                    f,
                );
            }
        }
        Value::Array(items) => {
            for (i, x) in items.iter().enumerate() {
                walk(x, &format!("{path}/{i}"), doc, f);
            }
        }
        Value::String(s) if s.contains('$') => {
            f.strings += 1;
            let where_ = format!("{doc}#{path}");
            let problem = match ValueExpr::compile(v) {
                Err(errors) => Some(errors[0].1.clone()),
                Ok(_) => expression_lookalike(s),
            };
            if let Some(e) = problem {
                match classify_string(s) {
                    Some(reason) => f.defects.entry(reason).or_default().push(s.clone()),
                    None => f
                        .unexpected
                        .push(format!("{where_}: {s:?}\n{}", e.render(s))),
                }
            }
        }
        _ => {}
    }
}

#[test]
fn corpus_expressions_parse() {
    let dir = corpus_dir();
    if !dir.join("MANIFEST.tsv").exists() {
        println!("note: {} not found; corpus test skipped", dir.display());
        return;
    }
    let mut f = Findings::default();
    let docs = documents(&dir);
    for doc in &docs {
        let text = std::fs::read_to_string(doc).unwrap();
        let value: Value = yaml_serde::from_str(&text).unwrap();
        let name = doc.strip_prefix(&dir).unwrap().display().to_string();
        walk(&value, "", &name, &mut f);
    }
    println!(
        "{} documents, {} criteria, {} strings with `$`",
        docs.len(),
        f.criteria,
        f.strings
    );
    for (reason, examples) in &f.defects {
        let mut distinct = examples.clone();
        distinct.sort();
        distinct.dedup();
        println!(
            "defect ({} occurrences, {} distinct): {reason}",
            examples.len(),
            distinct.len()
        );
        for e in distinct.iter().take(3) {
            println!("    e.g. {e:?}");
        }
    }
    assert!(
        f.criteria > 1000 && f.strings > 5000,
        "corpus looks incomplete"
    );
    assert!(
        f.unexpected.is_empty(),
        "{} unexplained failures:\n\n{}",
        f.unexpected.len(),
        f.unexpected.join("\n\n")
    );
}
