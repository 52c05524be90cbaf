//! Loading memory is proportional to the document: the peak of the bytes
//! allocated while [`arazzo_model::load::load`] runs stays within
//! [`MAX_RATIO`] times the size of the input, for JSON, flow-style YAML and
//! block YAML of the shapes that make loaders expensive (long arrays of small
//! numbers, of short strings and of small objects), and for the largest real
//! OpenAPI description of `../shared/corpus` when it is present.
//!
//! Memory is counted by a counting global allocator (`peak_alloc`), not read
//! from the operating system, so the numbers do not depend on the machine or
//! on what other tests do. Every measurement holds one lock, so the tests of
//! this binary measure one at a time.
#![allow(clippy::unwrap_used)]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Instant;

use peak_alloc::PeakAlloc;
use serde_json::Value;

#[global_allocator]
static PEAK: PeakAlloc = PeakAlloc;

/// One measurement at a time: the allocator's counters are process-wide.
static LOCK: Mutex<()> = Mutex::new(());

/// The largest peak allowed, as a multiple of the input size.
const MAX_RATIO: f64 = 20.0;

/// How many elements each generated array has (a few MB of text).
const N: usize = 200_000;

/// Loads `text` and returns the value and the peak allocation over the load,
/// as a multiple of the text's size. Prints the numbers (`--nocapture`).
fn measure(name: &str, text: &str) -> (Value, f64) {
    let _one = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let bytes = text.as_bytes();
    let base = PEAK.current_usage();
    PEAK.reset_peak_usage();
    let start = Instant::now();
    let loaded = arazzo_model::load::load(name, bytes);
    let elapsed = start.elapsed();
    let peak = PEAK.peak_usage().saturating_sub(base);
    let loaded = match loaded {
        Ok(l) => l,
        Err(d) => panic!("{}", d.render(false)),
    };
    let retained = PEAK.current_usage().saturating_sub(base);
    let ratio = peak as f64 / bytes.len() as f64;
    eprintln!(
        "{name}: {} bytes, peak {} bytes ({ratio:.1}×), retained {} bytes ({:.1}×), {elapsed:.2?}",
        bytes.len(),
        peak,
        retained,
        retained as f64 / bytes.len() as f64,
    );
    (loaded.value, ratio)
}

fn check(name: &str, text: &str) -> Value {
    let (value, ratio) = measure(name, text);
    assert!(
        ratio <= MAX_RATIO,
        "{name}: loading took {ratio:.1}× the input size (at most {MAX_RATIO}× allowed)"
    );
    value
}

fn json_array(item: impl Fn(usize) -> String) -> String {
    let mut s = String::from("[");
    for i in 0..N {
        if i > 0 {
            s.push(',');
        }
        s.push_str(&item(i));
    }
    s.push(']');
    s
}

#[test]
fn json_array_of_small_numbers() {
    let v = check("numbers.json", &json_array(|i| i.to_string()));
    assert_eq!(v.as_array().map(Vec::len), Some(N));
    assert_eq!(v[N - 1], N - 1);
}

#[test]
fn json_array_of_short_strings() {
    let v = check("strings.json", &json_array(|i| format!("\"s{i}\"")));
    assert_eq!(v[7], "s7");
}

#[test]
fn json_array_of_small_objects() {
    let v = check(
        "objects.json",
        &json_array(|i| format!("{{\"id\":{i},\"name\":\"n{i}\"}}")),
    );
    assert_eq!(v[3]["name"], "n3");
}

#[test]
fn flow_yaml_array_of_small_objects() {
    let mut s = String::from("[");
    for i in 0..N {
        let _ = write!(s, "{{id: {i}, name: n{i}}}, ");
    }
    s.push(']');
    let v = check("objects-flow.yaml", &s);
    assert_eq!(v[3]["name"], "n3");
}

#[test]
fn flow_yaml_array_of_small_numbers() {
    let mut s = String::from("[");
    for i in 0..N {
        let _ = write!(s, "{i}, ");
    }
    s.push(']');
    let v = check("numbers-flow.yaml", &s);
    assert_eq!(v[N - 1], N - 1);
}

#[test]
fn block_yaml_list_of_small_objects() {
    let mut s = String::new();
    for i in 0..N {
        let _ = write!(s, "- id: {i}\n  name: n{i}\n");
    }
    let v = check("objects-block.yaml", &s);
    assert_eq!(v[3]["name"], "n3");
}

#[test]
fn block_yaml_list_of_small_numbers() {
    let mut s = String::new();
    for i in 0..N {
        let _ = writeln!(s, "- {i}");
    }
    let v = check("numbers-block.yaml", &s);
    assert_eq!(v[N - 1], N - 1);
}

/// The largest YAML or JSON file of the shared corpus (real OpenAPI
/// descriptions), or `None` when the corpus is not there.
fn largest_corpus_file() -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus");
    let mut best: Option<(u64, PathBuf)> = None;
    let mut dirs = vec![root];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let path = e.path();
            let Ok(meta) = e.metadata() else { continue };
            if meta.is_dir() {
                dirs.push(path);
            } else if matches!(
                path.extension().and_then(|x| x.to_str()),
                Some("yaml" | "yml" | "json")
            ) && best.as_ref().is_none_or(|(n, _)| meta.len() > *n)
            {
                best = Some((meta.len(), path));
            }
        }
    }
    best.map(|(_, p)| p)
}

#[test]
fn largest_openapi_description_of_the_corpus() {
    let Some(path) = largest_corpus_file() else {
        eprintln!("note: ../shared/corpus not found; skipping the corpus memory test");
        return;
    };
    let text = std::fs::read_to_string(&path).unwrap();
    let v = check(&path.display().to_string(), &text);
    assert!(v.get("openapi").is_some() || v.get("swagger").is_some() || v.is_object());
}
