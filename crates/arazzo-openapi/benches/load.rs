//! Loading (bytes → value with source spans) and indexing (operations by
//! operationId and pointer) of the largest descriptions the project meets:
//! the Pipedream Connect OpenAPI under `specs/`, the largest OpenAPI
//! description of the shared corpus (2.8 MB) and its largest Arazzo
//! documents, and the same descriptions read from the on-disk cache of
//! parsed documents (`DiskCache`). Figures are recorded in docs/performance.md.
#![allow(clippy::unwrap_used, missing_docs)]

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use arazzo_model::load::Limits;
use arazzo_openapi::{DiskCache, OpenApi, Store, Version};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use url::Url;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `(label, path)` of each document measured; corpus files only when `../shared/corpus` exists.
fn documents() -> Vec<(&'static str, PathBuf, bool)> {
    let corpus = root().join("../shared/corpus");
    let mut docs = vec![
        (
            "pipedream_openapi_44k",
            root().join("specs/pipedream/openapi/pipedream-openapi.yml"),
            true,
        ),
        // A small document, to see where the cache starts to win.
        (
            "pipedream_arazzo_4k",
            root().join("specs/pipedream/arazzo/pipedream-connect-account-onboarding-workflow.yml"),
            false,
        ),
    ];
    for (label, rel, openapi) in [
        (
            "openai_openapi_2_8m",
            "api-evangelist-openai/openapi/openai-openapi-master.yml",
            true,
        ),
        (
            "jira_openapi_2_4m",
            "api-evangelist-atlassian/openapi/jira-openapi-original.yml",
            true,
        ),
        (
            "devopness_arazzo_85k",
            "jentic-jentic-public-apis/workflows/devopness.com/workflows.arazzo.json",
            false,
        ),
    ] {
        let p = corpus.join(rel);
        if p.exists() {
            docs.push((label, p, openapi));
        } else {
            eprintln!("skipping {label}: {} not found", p.display());
        }
    }
    docs
}

fn load(c: &mut Criterion) {
    let mut g = c.benchmark_group("load");
    g.sample_size(10).measurement_time(Duration::from_secs(10));
    for (label, path, openapi) in documents() {
        let bytes = std::fs::read(&path).unwrap();
        let name = path.display().to_string();
        g.throughput(Throughput::Bytes(bytes.len() as u64));
        g.bench_function(format!("parse/{label}"), |b| {
            b.iter(|| arazzo_model::load::load(&name, black_box(&bytes)).unwrap())
        });
        cached(&mut g, label, &path, &bytes);
        if !openapi {
            g.bench_function(format!("check/{label}"), |b| {
                b.iter(|| arazzo_model::check(&name, black_box(&bytes)))
            });
            continue;
        }
        let url = Url::from_file_path(&path).unwrap();
        let loaded = Arc::new(arazzo_model::load::load(&name, &bytes).unwrap());
        let version = Version::detect(&loaded.value).unwrap();
        let mut store = Store::new();
        store.insert(url.clone(), loaded.clone());
        g.bench_function(format!("index/{label}"), |b| {
            b.iter(|| OpenApi::new(url.clone(), loaded.clone(), version, &store))
        });
        g.bench_function(format!("parse_and_index/{label}"), |b| {
            b.iter(|| {
                let loaded = Arc::new(arazzo_model::load::load(&name, black_box(&bytes)).unwrap());
                let mut store = Store::new();
                store.insert(url.clone(), loaded.clone());
                OpenApi::new(url.clone(), loaded, version, &store)
            })
        });
    }
    g.finish();
}

/// Loads of `path` through a warm [`DiskCache`]: `hash` is the SHA-256 of
/// the bytes (the cache key's cost), `decode` the entry's decoding alone
/// (in memory), `cached` all of a hit as a run pays it: reading the
/// document, hashing it, checking it is UTF-8 and indexing its lines,
/// reading and decoding the entry. Neither counts dropping the document
/// (`iter_with_large_drop`): a run keeps its descriptions until it ends.
fn cached(
    g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    label: &str,
    path: &Path,
    bytes: &[u8],
) {
    use sha2::Digest;
    let dir = std::env::temp_dir().join(format!("arazzo-bench-cache-{}", std::process::id()));
    let disk = DiskCache::new(&dir).with_min_bytes(0);
    let name = path.display().to_string();
    // The first load writes the entry.
    disk.load(&name, bytes, Limits::default()).unwrap();
    let entry = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "arzc"))
        .unwrap();
    let data = std::fs::read(&entry).unwrap();
    eprintln!(
        "{label}: entry {} bytes for a {}-byte document",
        data.len(),
        bytes.len()
    );
    g.bench_function(format!("hash/{label}"), |b| {
        b.iter(|| sha2::Sha256::digest(black_box(bytes)))
    });
    let file = arazzo_model::load::decode(&name, bytes, Limits::default()).unwrap();
    let text_len = file.text().len();
    // The key is checked, so decode with the entry's own (bytes 13 + version).
    let version = arazzo_model::load::cache::CRATE_VERSION.len();
    let at = 8 + 4 + 1 + version;
    let key: [u8; 32] = data[at..at + 32].try_into().unwrap();
    g.bench_function(format!("decode/{label}"), |b| {
        b.iter_with_large_drop(|| {
            arazzo_model::load::cache::decode(&key, text_len, black_box(&data)).unwrap()
        })
    });
    // The parse, measured the same way (without the drop), to compare with.
    g.bench_function(format!("parse_kept/{label}"), |b| {
        b.iter_with_large_drop(|| arazzo_model::load::load(&name, black_box(bytes)).unwrap())
    });
    g.bench_function(format!("cached/{label}"), |b| {
        b.iter_with_large_drop(|| {
            let bytes = std::fs::read(path).unwrap();
            disk.load_owned(&name, bytes, Limits::default()).unwrap()
        })
    });
    let notes = disk.take_notes();
    assert!(
        notes.iter().all(|n| !n.contains("parsed instead")),
        "{notes:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, load);
criterion_main!(benches);
