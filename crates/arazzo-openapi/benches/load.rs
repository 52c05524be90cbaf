//! Loading (bytes → value with source spans) and indexing (operations by
//! operationId and pointer) of the largest descriptions the project meets:
//! the Pipedream Connect OpenAPI under `specs/`, the largest OpenAPI
//! description of the shared corpus (2.8 MB) and its largest Arazzo
//! documents. Figures are recorded in docs/performance.md.
#![allow(clippy::unwrap_used, missing_docs)]

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use arazzo_openapi::{OpenApi, Store, Version};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use url::Url;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `(label, path)` of each document measured; corpus files only when `../shared/corpus` exists.
fn documents() -> Vec<(&'static str, PathBuf, bool)> {
    let corpus = root().join("../shared/corpus");
    let mut docs = vec![(
        "pipedream_openapi_293k",
        root().join("specs/pipedream/openapi/pipedream-openapi.yml"),
        true,
    )];
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

criterion_group!(benches, load);
criterion_main!(benches);
