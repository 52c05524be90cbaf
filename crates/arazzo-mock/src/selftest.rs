//! Checks over the shared corpus (`shared/corpus`, skipped with a note when absent). The
//! descriptions are parsed once and shared by both tests.
//!
//! - Every response schema synthesizes a value that validates against it (with the `jsonschema`
//!   crate, reading the schema exactly as JSON Schema does), except the listed unsatisfiable
//!   schemas.
//! - Requests built the way the engine builds them (values synthesized from each operation's
//!   schemas, serialized with `arazzo-openapi`'s serializer) pass the mock's own request checks:
//!   a violation there is a false positive the mock would report against a correct workflow.
#![allow(clippy::unwrap_used)]

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use arazzo_openapi::fetch::{DefaultFetcher, file_url};
use arazzo_openapi::serialize::{
    self, BodyOptions, ParamLocation, is_ignored_header, is_undefined,
};
use arazzo_openapi::{OpenApi, Store, Version};
use bytes::Bytes;
use serde_json::Value;
use url::Url;

use crate::mock::Mock;
use crate::synth::{Direction, Synth};
use crate::view::OpView;
use crate::{synthesize, validate_value};

/// Operations tried per description: enough to cover every style of description while keeping
/// the debug-build test short.
const PER_DESCRIPTION: usize = 30;

/// A loaded corpus description: its path in the corpus, the description, its documents.
type Loaded = (String, Arc<OpenApi>, Arc<Store>);

/// Every OpenAPI description of the corpus manifest, parsed once; `None` without a corpus.
fn corpus() -> Option<&'static [Loaded]> {
    static DOCS: OnceLock<Option<(Vec<Loaded>, Duration)>> = OnceLock::new();
    DOCS.get_or_init(|| {
        let root = PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/corpus"
        ));
        let manifest = std::fs::read_to_string(root.join("MANIFEST.tsv")).ok()?;
        let fetcher = DefaultFetcher {
            allow_remote: false,
            ..DefaultFetcher::default()
        };
        let started = Instant::now();
        let mut out = Vec::new();
        for line in manifest.lines().skip(1) {
            let cols: Vec<&str> = line.split('\t').collect();
            if cols.get(4) != Some(&"openapi") {
                continue;
            }
            let url = file_url(&root.join(cols[0])).unwrap();
            if let Ok((api, store, _)) =
                arazzo_openapi::load_description(&url, &fetcher, Default::default())
            {
                out.push((cols[0].to_string(), api, Arc::new(store)));
            }
        }
        Some((out, started.elapsed()))
    })
    .as_ref()
    .map(|(docs, took)| {
        eprintln!("corpus: {} descriptions parsed in {took:?}", docs.len());
        docs.as_slice()
    })
}

/// Response schemas no value satisfies, by file and path template, with the reason. The mock
/// still answers them (with the required properties and the author's enumerated values, the
/// most useful reading), but no answer can validate.
const UNSATISFIABLE_RESPONSES: &[(&str, &str, &str)] = &[
    (
        "jira-openapi-original.yml",
        "/rest/api/3/field/{fieldId}/context/defaultValue",
        "`additionalProperties: false` beside a `oneOf` of object schemas admits no property at all",
    ),
    (
        "jira-openapi-original.yml",
        "/rest/api/3/jql/parse",
        "`additionalProperties: false` beside an `anyOf` of object schemas admits no property at all",
    ),
    (
        "jira-openapi-original.yml",
        "/rest/api/3/workflow/search",
        "`additionalProperties: false` beside an `anyOf` of object schemas admits no property at all",
    ),
    (
        "jira-openapi-original.yml",
        "/rest/api/3/screenscheme",
        "a property is both required and forbidden by `additionalProperties: false`",
    ),
    (
        "jira-openapi-original.yml",
        "/rest/api/3/workflows/capabilities",
        "`type: array` with an `enum` of strings",
    ),
    (
        "auth0-management-api-openapi.yml",
        "/attack-protection/bot-detection",
        "`oneOf` branches whose only difference is a format the validator does not know (cidr): every string matches several",
    ),
    (
        "auth0-management-api-openapi.yml",
        "/branding/phone/providers",
        "`credentials` is required but not declared, and `additionalProperties: false` forbids it",
    ),
    (
        "cloudflare-zones--openapi-original.yml",
        "/zones/{zone_identifier}/firewall/waf/packages/{identifier}",
        "`oneOf` branches built on `$ref`s that do not resolve (the file is an excerpt) cannot be told apart",
    ),
    (
        "okta-openapi-original.yml",
        "/api/v1/mappings",
        "`type: object` with an `enum` of strings",
    ),
    (
        "okta-openapi-original.yml",
        "/api/v1/meta/schemas/",
        "`type: object` with an `enum` of strings",
    ),
    (
        "warehouse.yaml",
        "/api/v2/warehouses",
        "`type: string` with an `enum` of booleans",
    ),
    (
        "socket-diff-scans-api-openapi.yml",
        "/orgs/{org_slug}/diff-scans/{diff_scan_id}",
        "`allOf` of two schemas with `additionalProperties: false` that forbid each other's required properties",
    ),
    (
        "socket-full-scans-api-openapi.yml",
        "/orgs/{org_slug}/export/cdx/{id}",
        "`allOf` of two schemas with `additionalProperties: false` that forbid each other's required properties",
    ),
    (
        "devopness.com/main/1.0.0/openapi.json",
        "/hook",
        "`oneOf` of object schemas with only optional properties: every object matches both",
    ),
    (
        "devopness.com/main/1.0.0/openapi.json",
        "/applications/{application_id}/hooks",
        "`oneOf` of object schemas with only optional properties: every object matches both",
    ),
    (
        "devopness.com/main/1.0.0/openapi.json",
        "/networks/{network_id}/subnets",
        "`oneOf` of object schemas with only optional properties: every object matches several",
    ),
    (
        "FAPI-PAR.openapi.yaml",
        "/as/token.oauth2",
        "`oneOf` of two token responses where every value of one satisfies the other",
    ),
];

fn known_unsatisfiable(file: &str, at: &str) -> Option<&'static str> {
    UNSATISFIABLE_RESPONSES
        .iter()
        .find(|(f, path, _)| {
            file.ends_with(f) && at.split(' ').nth(1).is_some_and(|p| p.starts_with(path))
        })
        .map(|(_, _, why)| *why)
}

/// `(document URL, schema, where)` for every response media type with a schema.
fn response_schemas<'a>(
    store: &'a Store,
    url: &'a Url,
    root: &'a Value,
    swagger: bool,
) -> Vec<(&'a Url, &'a Value, String)> {
    let mut out = Vec::new();
    let Some(paths) = root.get("paths").and_then(Value::as_object) else {
        return out;
    };
    for (template, item) in paths {
        let Ok(item) = store.resolve(url, item) else {
            continue;
        };
        let Some(item_obj) = item.value.as_object() else {
            continue;
        };
        for (method, op) in item_obj {
            let Some(responses) = op.get("responses").and_then(Value::as_object) else {
                continue;
            };
            for (status, r) in responses {
                let Ok(r) = store.resolve(item.url, r) else {
                    continue;
                };
                let at = format!("{method} {template} {status}");
                if swagger {
                    if let Some(s) = r.value.get("schema") {
                        out.push((r.url, s, at));
                    }
                    continue;
                }
                let Some(content) = r.value.get("content").and_then(Value::as_object) else {
                    continue;
                };
                for (mt, media) in content {
                    let Ok(media) = store.resolve(r.url, media) else {
                        continue;
                    };
                    if let Some(s) = media.value.get("schema") {
                        out.push((media.url, s, format!("{at} {mt}")));
                    }
                }
            }
        }
    }
    out
}

#[test]
fn every_corpus_response_schema_synthesizes_valid_values() {
    let Some(docs) = corpus() else {
        eprintln!("note: shared/corpus not found; skipping the corpus synthesis test");
        return;
    };
    let started = Instant::now();
    let (mut total, mut valid, mut uncompilable) = (0usize, 0usize, 0usize);
    let mut failures: Vec<String> = Vec::new();
    let mut exceptions: Vec<String> = Vec::new();
    let mut synth_time = Duration::ZERO;
    for (file, api, store) in docs {
        let swagger = api.version == Version::Swagger2;
        let mut seen = HashSet::new();
        for (base, schema, at) in response_schemas(store, &api.url, &api.doc.value, swagger) {
            if !seen.insert((base.to_string(), schema.to_string())) {
                continue;
            }
            total += 1;
            let t = Instant::now();
            let value = synthesize(schema, base, store);
            synth_time += t.elapsed();
            assert_eq!(
                value,
                synthesize(schema, base, store),
                "not deterministic: {at}"
            );
            match validate_value(schema, base, store, &value, Direction::Response) {
                Ok(v) if v.is_empty() => valid += 1,
                Ok(v) => {
                    let detail = format!(
                        "{file} {at}: {}",
                        v.iter()
                            .take(2)
                            .map(ToString::to_string)
                            .collect::<Vec<_>>()
                            .join("; ")
                    );
                    match known_unsatisfiable(file, &at) {
                        Some(why) => exceptions.push(format!("{file} {at}: {why}")),
                        None => failures.push(detail),
                    }
                }
                Err(e) => {
                    uncompilable += 1;
                    eprintln!("schema does not compile: {file} {at}: {e}");
                }
            }
        }
    }
    eprintln!(
        "corpus synthesis: {total} distinct response schemas, {valid} valid, {} unsatisfiable (listed), {} invalid, {uncompilable} not compilable; synthesis {:?}, total {:?}",
        exceptions.len(),
        failures.len(),
        synth_time,
        started.elapsed()
    );
    for e in &exceptions {
        eprintln!("  unsatisfiable: {e}");
    }
    for f in &failures {
        eprintln!("  INVALID: {f}");
    }
    assert!(
        failures.is_empty(),
        "{} synthesized values do not validate",
        failures.len()
    );
}

/// Operations whose request schemas no value satisfies (listed with the reason in
/// [`UNSATISFIABLE_RESPONSES`] too).
const UNSATISFIABLE_REQUESTS: &[(&str, &str)] = &[(
    "snowflake/openapi/warehouse.yaml",
    "`type: string` with an `enum` of booleans",
)];

#[test]
fn synthesized_requests_pass_the_mocks_own_checks() {
    let Some(docs) = corpus() else {
        eprintln!("note: shared/corpus not found; skipping the corpus request test");
        return;
    };
    let (mut tried, mut clean, mut skipped) = (0, 0, 0);
    let mut failures = Vec::new();
    for (file, api, store) in docs {
        let mock = Mock::new(api.clone(), store.clone(), crate::MockOptions::default());
        for entry in api.operations().iter().take(PER_DESCRIPTION) {
            let view = OpView::build(api, entry, store);
            let Some(req) = build_request(&view, store) else {
                skipped += 1;
                continue;
            };
            tried += 1;
            let _ = mock.handle(req);
            let Some(ex) = mock.log().pop() else { continue };
            let same_op = ex.operation.as_ref().is_some_and(|o| {
                o.path == entry.path && o.method.eq_ignore_ascii_case(&entry.method)
            });
            if !same_op {
                // Routed to a more specific template (a synthesized `{id}` equal to a literal).
                skipped += 1;
                tried -= 1;
                continue;
            }
            if ex.violations.is_empty() {
                clean += 1;
            } else if let Some((_, why)) = UNSATISFIABLE_REQUESTS
                .iter()
                .find(|(f, _)| file.ends_with(f))
            {
                eprintln!(
                    "  unsatisfiable: {} {} {}: {why}",
                    file, entry.method, entry.path
                );
            } else {
                failures.push(format!(
                    "{} {} {}: {}",
                    file,
                    entry.method,
                    entry.path,
                    ex.violations
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("; ")
                ));
            }
        }
    }
    eprintln!(
        "corpus requests: {tried} tried, {clean} without violations, {} with, {skipped} skipped",
        failures.len()
    );
    for f in &failures {
        eprintln!("  {f}");
    }
    assert!(
        failures.is_empty(),
        "{} synthesized requests were reported as violations",
        failures.len()
    );
}

fn build_request(view: &OpView, store: &arazzo_openapi::Store) -> Option<http::Request<Bytes>> {
    let op = &view.op;
    let mut path = op.path.clone();
    let mut query = Vec::new();
    let mut headers = http::HeaderMap::new();
    let mut cookies = Vec::new();
    for (i, p) in op.parameters.iter().enumerate() {
        let node = view.params.get(i).and_then(Option::as_ref);
        if p.location == ParamLocation::QueryString
            || (p.location == ParamLocation::Header && is_ignored_header(&p.name))
        {
            continue;
        }
        let value = match node {
            Some(n) => {
                Synth::new(store, Direction::Request).value_named(&n.url, &n.schema, Some(&p.name))
            }
            None if p.required => Value::String("x".into()),
            None => continue,
        };
        if is_undefined(&value) {
            if p.required {
                return None;
            }
            continue;
        }
        match p.location {
            ParamLocation::Path => {
                let text = serialize::path_value(&p.name, &value, &p.encoding).ok()?;
                path = path.replace(&format!("{{{}}}", p.name), &text);
            }
            ParamLocation::Query => match serialize::query_pairs(&p.name, &value, &p.encoding) {
                Ok(pairs) => query.extend(pairs),
                // Combinations the serializer refuses (deepObject arrays): leave optional ones out.
                Err(_) if !p.required => {}
                Err(_) => return None,
            },
            ParamLocation::Header => {
                let text = serialize::header_value(&p.name, &value, &p.encoding).ok()?;
                headers.insert(
                    http::HeaderName::from_bytes(p.name.as_bytes()).ok()?,
                    text.parse().ok()?,
                );
            }
            ParamLocation::Cookie => {
                cookies.extend(serialize::cookie_pairs(&p.name, &value, &p.encoding).ok()?)
            }
            ParamLocation::QueryString => {}
        }
    }
    if !cookies.is_empty() {
        headers.insert(http::header::COOKIE, cookies.join("; ").parse().ok()?);
    }
    let mut body = Bytes::new();
    if let Some(spec) = &op.request_body {
        let index = spec
            .content
            .iter()
            .position(|m| arazzo_openapi::media::is_json(&m.media_type))
            .unwrap_or(0);
        let no_schema = view.body.get(index).is_some_and(Option::is_none);
        if let Some(media) = spec
            .content
            .get(index)
            .filter(|m| no_schema && arazzo_openapi::media::is_json(&m.media_type))
        {
            headers.insert(http::header::CONTENT_TYPE, media.media_type.parse().ok()?);
            body = Bytes::from_static(b"{}");
        } else if let (Some(media), Some(Some(node))) =
            (spec.content.get(index), view.body.get(index))
        {
            let mut value = Synth::new(store, Direction::Request).value(&node.url, &node.schema);
            let resolved = crate::refs::resolve(store, &node.url, &node.schema).1;
            let opts = BodyOptions {
                schema: Some(resolved),
                encoding: media.encoding.as_ref(),
                ..BodyOptions::default()
            };
            let encoded = serialize::encode_body(&media.media_type, &value, &opts)
                .or_else(|_| {
                    // Combinations the serializer refuses (deepObject arrays) in optional
                    // properties: send the required ones only.
                    let required: Vec<&str> = resolved
                        .get("required")
                        .and_then(Value::as_array)
                        .map(|r| r.iter().filter_map(Value::as_str).collect())
                        .unwrap_or_default();
                    if let Some(m) = value.as_object_mut() {
                        m.retain(|k, _| required.contains(&k.as_str()));
                    }
                    serialize::encode_body(&media.media_type, &value, &opts)
                })
                .ok()?;
            headers.insert(
                http::header::CONTENT_TYPE,
                encoded.content_type.parse().ok()?,
            );
            body = Bytes::from(encoded.bytes);
        }
    }
    let uri = if query.is_empty() {
        path
    } else {
        format!("{path}?{}", query.join("&"))
    };
    let method = http::Method::from_bytes(op.method.as_bytes()).ok()?;
    http::Request::builder()
        .method(method)
        .uri(uri)
        .body(body)
        .ok()
        .map(|mut r| {
            *r.headers_mut() = headers;
            r
        })
}
