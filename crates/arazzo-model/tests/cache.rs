//! The cache encoding (`load::cache`) over real descriptions: the flagship's
//! and, when `../shared/corpus` is present, a few of the corpus's largest
//! and oddest. A decoded document must be the parsed one: the same value and
//! the same span at every node, key spans included.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::{Path, PathBuf};

use arazzo_model::load::cache::{self, KEY_LEN};
use arazzo_model::load::{Part, SpanNode, escape_token, load, locate};
use serde_json::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn documents() -> Vec<PathBuf> {
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root().join("specs/pipedream/openapi"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    docs.push(
        root().join("specs/pipedream/arazzo/pipedream-connect-account-onboarding-workflow.yml"),
    );
    let corpus = root().join("../shared/corpus");
    for rel in [
        "api-evangelist-openai/openapi/openai-openapi-master.yml",
        "api-evangelist-atlassian/openapi/jira-openapi-original.yml",
        "jentic-jentic-public-apis/workflows/devopness.com/workflows.arazzo.json",
    ] {
        let p = corpus.join(rel);
        if p.exists() {
            docs.push(p);
        } else {
            eprintln!("skipping {}: not found", p.display());
        }
    }
    docs
}

/// Compares the two trees node by node (the spans of every value and key),
/// and returns how many nodes were compared.
fn same_spans(v: &Value, a: SpanNode<'_>, b: SpanNode<'_>, at: &str) -> usize {
    assert_eq!(a.span(), b.span(), "{at}");
    let mut n = 1;
    match v {
        Value::Object(m) => {
            for (i, (k, c)) in m.iter().enumerate() {
                let (ka, ca) = a.entry(i).expect(at);
                let (kb, cb) = b.entry(i).expect(at);
                let p = format!("{at}/{}", escape_token(k));
                assert_eq!(ka, kb, "{p}");
                n += same_spans(c, ca, cb, &p);
            }
        }
        Value::Array(items) => {
            for (i, c) in items.iter().enumerate() {
                n += same_spans(
                    c,
                    a.item(i).expect(at),
                    b.item(i).expect(at),
                    &format!("{at}/{i}"),
                );
            }
        }
        _ => {}
    }
    n
}

fn pointers(v: &Value, at: String, out: &mut Vec<String>) {
    out.push(at.clone());
    match v {
        Value::Object(m) => {
            for (k, c) in m {
                pointers(c, format!("{at}/{}", escape_token(k)), out);
            }
        }
        Value::Array(a) => {
            for (i, c) in a.iter().enumerate() {
                pointers(c, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

#[test]
fn decoded_documents_equal_parsed_ones() {
    let key = [42u8; KEY_LEN];
    for path in documents() {
        let bytes = std::fs::read(&path).unwrap();
        let name = path.display().to_string();
        let parsed = load(&name, &bytes).unwrap();
        let text_len = parsed.file.text().len();
        let data = cache::encode(&key, text_len, &parsed.value, &parsed.spans).unwrap();
        let (value, spans) = cache::decode(&key, text_len, &data).expect(&name);
        assert_eq!(value, parsed.value, "{name}");
        assert_eq!(spans.span(), parsed.spans.span());
        let nodes = same_spans(&value, spans.root(), parsed.spans.root(), "");
        // Every pointer through `locate` too (a sample of the large documents:
        // `locate` scans each object's keys).
        let mut all = Vec::new();
        pointers(&value, String::new(), &mut all);
        assert_eq!(all.len(), nodes);
        let step = (all.len() / 5000).max(1);
        for p in all.iter().step_by(step) {
            for part in [Part::Key, Part::Value] {
                assert_eq!(
                    locate(&value, &spans, p, part),
                    locate(&parsed.value, &parsed.spans, p, part),
                    "{name}: {p}"
                );
            }
        }
        eprintln!(
            "{name}: {} bytes, {nodes} nodes, entry {} bytes",
            bytes.len(),
            data.len()
        );
    }
}

/// `decode_owned` (the text without a copy, as the disk cache reads a
/// description) answers what `decode` answers.
#[test]
fn decode_owned_is_decode() {
    use arazzo_model::load::{Limits, decode, decode_owned};
    let small = Limits {
        max_bytes: 8,
        ..Limits::default()
    };
    for (bytes, limits) in [
        (&b"a: 1\nb: 2\n"[..], Limits::default()),
        (&b"\xEF\xBB\xBFa: 1\n"[..], Limits::default()),
        (&b"a: \xff\xfe\n"[..], Limits::default()),
        (&b"a: 1234567890\n"[..], small),
        (&b""[..], Limits::default()),
    ] {
        let a = decode("x.yaml", bytes, limits);
        let b = decode_owned("x.yaml", bytes.to_vec(), limits);
        match (a, b) {
            (Ok(a), Ok(b)) => {
                assert_eq!(a.text(), b.text());
                assert_eq!(a.line_count(), b.line_count());
            }
            (Err(a), Err(b)) => {
                assert_eq!(a.message, b.message);
                assert_eq!(a.position(), b.position());
            }
            (a, b) => panic!("{bytes:?}: {a:?} vs {b:?}"),
        }
    }
}
