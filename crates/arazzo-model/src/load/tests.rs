#![allow(clippy::unwrap_used)]
use super::*;
use serde_json::json;

fn ok(text: &str) -> Loaded {
    match load("t.yaml", text.as_bytes()) {
        Ok(l) => l,
        Err(d) => panic!("{}", d.render(false)),
    }
}

fn err(text: &str) -> Diagnostic {
    match load("t.yaml", text.as_bytes()) {
        Ok(l) => panic!("expected an error, got {}", l.value),
        Err(d) => d,
    }
}

#[test]
fn yaml_1_2_core_schema() {
    let l = ok(
        "a: yes\nb: no\nc: on\nd: NO\ne: 017\nf: 0x1F\ng: 1.5e3\nh: ~\ni: True\nj: '1'\nk: -7\nl: .5\n",
    );
    assert_eq!(
        l.value,
        json!({"a":"yes","b":"no","c":"on","d":"NO","e":17,"f":31,"g":1500.0,"h":null,"i":true,"j":"1","k":-7,"l":0.5})
    );
}

#[test]
fn numeric_keys_become_strings() {
    let l = ok("200:\n  description: ok\ntrue: x\n");
    assert_eq!(l.value, json!({"200": {"description": "ok"}, "true": "x"}));
}

#[test]
fn big_integers() {
    let l = ok("a: 18446744073709551615\nb: -9223372036854775808\nc: 99999999999999999999\n");
    assert_eq!(l.value["a"], json!(18446744073709551615u64));
    assert_eq!(l.value["b"], json!(-9223372036854775808i64));
    assert!(l.value["c"].is_f64());
}

#[test]
fn duplicate_keys_are_errors_with_both_positions() {
    let d = err("a: 1\nb: 2\na: 3\n");
    assert_eq!(d.code, Code::DuplicateKey);
    assert_eq!(d.position().unwrap().line, 3);
    assert_eq!(d.notes[0].location.start().line, 1);
}

#[test]
fn json_input_with_positions() {
    let l = ok("{\n  \"a\": [1, {\"b\": \"c\"}]\n}");
    assert_eq!(l.value, json!({"a": [1, {"b": "c"}]}));
    let loc = l.locate("/a/1/b", Part::Value);
    assert_eq!(loc.start().line, 2);
    assert_eq!(loc.start().column, 18);
    let key = l.locate("/a", Part::Key);
    assert_eq!(key.start().column, 3);
}

#[test]
fn locate_falls_back_to_nearest_ancestor() {
    let l = ok("a:\n  b: 1\n");
    let loc = l.locate("/a/missing/x", Part::Value);
    assert_eq!(loc.start().line, 2);
}

#[test]
fn anchors_aliases_and_merge_keys() {
    let l = ok("base: &b {x: 1, y: 2}\nuse: *b\nmerged:\n  <<: *b\n  y: 3\n");
    assert_eq!(l.value["use"], json!({"x":1,"y":2}));
    assert_eq!(l.value["merged"], json!({"y":3,"x":1}));
    // The merged key keeps the anchored node's position.
    assert_eq!(l.locate("/merged/x", Part::Value).start().line, 1);
}

#[test]
fn quoted_merge_key_is_a_plain_key() {
    let l = ok("m:\n  '<<': 1\n");
    assert_eq!(l.value, json!({"m": {"<<": 1}}));
}

#[test]
fn alias_bomb_fails_fast() {
    let mut doc = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    let mut prev = 'a';
    for name in ['b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'] {
        doc.push_str(&format!(
            "{name}: &{name} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"
        ));
        prev = name;
    }
    let start = std::time::Instant::now();
    let d = err(&doc);
    assert_eq!(d.code, Code::AliasBudget);
    assert!(start.elapsed().as_secs() < 5);
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let deep = "[".repeat(10_000) + &"]".repeat(10_000);
    let d = err(&deep);
    assert!(matches!(d.code, Code::TooDeep | Code::Syntax), "{}", d);
    let mut block = String::new();
    for i in 0..2000 {
        block.push_str(&" ".repeat(i));
        block.push_str("a:\n");
    }
    let d = err(&block);
    assert_eq!(d.code, Code::TooDeep);
}

#[test]
fn empty_and_garbage_input() {
    assert_eq!(err("").code, Code::EmptyDocument);
    assert_eq!(err("# only a comment\n").code, Code::EmptyDocument);
    let d = load("bin", &[0xff, 0xfe, 0x00, 0x41]).unwrap_err();
    assert_eq!(d.code, Code::NotUtf8);
    assert_eq!(err("a: [1, 2\n").code, Code::Syntax);
    assert_eq!(err("---\na: 1\n---\nb: 2\n").code, Code::MultipleDocuments);
}

#[test]
fn tags() {
    let l = ok("a: !!str 12\nb: !!int '7'\nc: ! 5\n");
    assert_eq!(l.value, json!({"a":"12","b":7,"c":"5"}));
    assert_eq!(err("a: !custom 1\n").code, Code::UnsupportedTag);
    assert_eq!(err("a: .inf\n").code, Code::UnrepresentableValue);
}

#[test]
fn non_ascii_positions_are_bytes() {
    let l = ok("é: 1\nkey: \"ü\"\nz: 2\n");
    let loc = l.locate("/z", Part::Key);
    assert_eq!(loc.start().line, 3);
    assert_eq!(loc.start().column, 1);
    assert_eq!(l.file.slice(loc.span), "z");
}

#[test]
fn byte_order_mark_is_ignored() {
    let l = load("t", b"\xEF\xBB\xBFa: 1").unwrap();
    assert_eq!(l.value, json!({"a":1}));
}
