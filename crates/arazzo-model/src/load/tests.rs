#![allow(clippy::unwrap_used)]
use super::*;
use crate::source::SourceFile;
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

/// Reads `text` with saphyr only, as the loader did before the flow reader.
fn with_saphyr(text: &str) -> Result<(Value, SpanTree), Diagnostic> {
    let file = SourceFile::new("t.yaml", text);
    let limits = Limits::default();
    let mut counter = Counter::new(limits);
    let _ = yaml::read(&file, limits, &mut counter);
    let mut b = Builder::new(&file, limits, counter);
    yaml::read(&file, limits, &mut b)?;
    b.finish()
}

/// Every JSON pointer of `v`.
fn pointers(v: &Value, at: String, out: &mut Vec<String>) {
    out.push(at.clone());
    match v {
        Value::Object(m) => {
            for (k, c) in m {
                pointers(c, format!("{at}/{}", escape_token(k)), out);
            }
        }
        Value::Array(items) => {
            for (i, c) in items.iter().enumerate() {
                pointers(c, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

#[test]
fn the_flow_reader_reads_as_saphyr_does() {
    let docs = [
        r#"{"a": [1, -2.5e3, true, null, "x"], "b": {"c": "d\"\n\t\u00e9\\"}, "e": []}"#,
        "{a: 1, b: [x y, 'it''s', \"q\"], c: {d: ~, e: 0x1F, f: 017}, g: yes}",
        "# comment\n[\n  1, # one\n  two,\n  {k: v},\n]\n",
        "{\"é\": \"ü\", \"z\": [ \"ß\" ,  3 ]}",
        "[a:b, -1, :x, ?y, a#b, 'x # y']",
        "{\"url\": \"http://x/y?a=b#c\", \"k\":\"v\"}",
        "\t[\t1 ,\t2\t]\t",
        "[\"\\x41\\u00e9\\U0001F600\\N\\_\\L\\P\\0\\a\\b\\v\\f\\e\\ \\/\"]",
    ];
    for text in docs {
        let (v1, t1) = match with_saphyr(text) {
            Ok(x) => x,
            Err(d) => panic!("saphyr: {text}: {}", d.render(false)),
        };
        let l = ok(text);
        assert_eq!(l.value, v1, "{text}");
        let mut ps = Vec::new();
        pointers(&v1, String::new(), &mut ps);
        for p in ps {
            for part in [Part::Key, Part::Value] {
                let a = locate(&l.value, &l.spans, &p, part);
                let b = locate(&v1, &t1, &p, part);
                assert_eq!(a.start, b.start, "{text}: {p} {part:?}");
            }
        }
    }
}

#[test]
fn flow_documents_with_more_yaml_fall_back_to_saphyr() {
    let l = ok("{base: &b {x: 1}, use: *b, t: !!str 12, long: a\n  b}");
    assert_eq!(
        l.value,
        json!({"base": {"x": 1}, "use": {"x": 1}, "t": "12", "long": "a b"})
    );
    assert_eq!(l.locate("/use/x", Part::Value).start().line, 1);
}

#[test]
fn large_flow_documents_must_be_json_like() {
    let mut doc = String::from("[&a 1");
    while doc.len() <= FLOW_FALLBACK_BYTES {
        doc.push_str(", 12345678");
    }
    doc.push(']');
    let d = err(&doc);
    assert_eq!(d.code, Code::TooLarge);
    assert_eq!(d.position().unwrap().column, 2);
    // The same without the anchor is read.
    let l = ok(&doc.replacen("&a ", "", 1));
    assert!(l.value.as_array().unwrap().len() > 100_000);
}

#[test]
fn json_surrogate_pairs_are_one_character() {
    let l = ok(r#"{"e": "\ud83d\ude00"}"#);
    assert_eq!(l.value["e"], "😀");
    assert_eq!(err(r#"{"e": "\ud83d"}"#).code, Code::Syntax);
}

#[test]
fn a_large_json_syntax_error_is_reported_where_it_is() {
    let mut doc = String::from("[");
    while doc.len() <= FLOW_FALLBACK_BYTES {
        doc.push_str("12345678,\n");
    }
    doc.push_str("1}");
    let d = err(&doc);
    assert_eq!(d.code, Code::Syntax);
    assert_eq!(d.position().unwrap().line, doc.lines().count() as u32);
}

/// `[` or `a:` nested `depth` times, in block YAML, flow YAML and JSON.
fn nested(kind: &str, depth: usize) -> String {
    match kind {
        "block" => {
            let mut s = String::new();
            for i in 0..depth {
                s.push_str(&" ".repeat(i));
                s.push_str("a:\n");
            }
            s.push_str(&" ".repeat(depth));
            s.push_str("b: 1\n");
            s
        }
        "flow" => "{a: ".repeat(depth) + "x" + &"}".repeat(depth),
        _ => "[".repeat(depth) + "1" + &"]".repeat(depth),
    }
}

#[test]
fn nesting_is_limited_alike_in_block_flow_and_json() {
    for kind in ["block", "flow", "json"] {
        // The limit counts collections; the block document's innermost
        // `b: 1` is one more mapping.
        let at = if kind == "block" {
            MAX_DEPTH - 1
        } else {
            MAX_DEPTH
        };
        ok(&nested(kind, at));
        let d = err(&nested(kind, at + 1));
        assert_eq!(d.code, Code::TooDeep, "{kind}: {}", d.render(false));
        assert!(d.message.contains("255 levels"), "{kind}: {}", d.message);
        assert!(d.position().is_some());
    }
    // A flow document saphyr reads (it has an anchor) stops at the same depth.
    let text = "[&a ".to_string() + &"[".repeat(MAX_DEPTH - 1) + &"]".repeat(MAX_DEPTH);
    ok(&text);
    let text = "[&a ".to_string() + &"[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH + 1);
    assert_eq!(err(&text).code, Code::TooDeep);
}

#[test]
fn loading_at_the_depth_limit_fits_a_small_stack() {
    let docs: Vec<String> = ["block", "flow", "json"]
        .iter()
        .map(|k| nested(k, MAX_DEPTH - 1))
        .collect();
    let handle = std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(move || {
            for d in docs {
                let l = load("t", d.as_bytes()).map_err(|d| d.message)?;
                drop(l);
            }
            Ok::<(), String>(())
        })
        .unwrap();
    handle.join().unwrap().unwrap();
}

#[test]
fn a_long_non_ascii_line_loads_in_linear_time() {
    // saphyr positions are characters; converting each by scanning its line
    // was quadratic on one long line.
    let mut doc = String::from("a: [\"é\"");
    for _ in 0..100_000 {
        doc.push_str(", é");
    }
    doc.push(']');
    let start = std::time::Instant::now();
    let l = ok(&doc);
    assert_eq!(l.value["a"].as_array().unwrap().len(), 100_001);
    assert!(start.elapsed().as_secs() < 30);
    let loc = l.locate("/a/100000", Part::Value);
    assert_eq!(l.file.slice(loc.span), "é");
}
