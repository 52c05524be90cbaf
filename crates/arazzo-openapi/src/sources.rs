//! Loading every source description of an Arazzo document, recursively.
//!
//! URLs resolve against the referring document's base URI (its `$self` in
//! Arazzo 1.1, else where it was loaded from). A missing `type` is sniffed
//! from the content. `arazzo` sources are loaded recursively; each URL is
//! loaded once, so cycles between documents terminate and shared
//! descriptions are shared.

use std::collections::HashMap;
use std::sync::Arc;

use arazzo_model::load::Limits;
use arazzo_model::model::{Document, SourceKind};
use arazzo_model::{Code, Diagnostic, Severity};
use indexmap::IndexMap;
use serde_json::Value;
use url::Url;

use crate::document::{OpenApi, Version};
use crate::fetch::{Fetcher, display_url};
use crate::store::Store;

/// What a source description resolved to.
#[derive(Debug, Clone)]
pub enum SourceTarget {
    /// An OpenAPI description: an index into [`Sources::openapi`].
    OpenApi(usize),
    /// Another Arazzo document: an index into [`Sources::arazzo`].
    Arazzo(usize),
    /// An AsyncAPI description (loaded, not executable).
    AsyncApi(Url),
    /// The source could not be loaded (see the diagnostics).
    Failed,
}

/// An Arazzo document with its resolved sources.
#[derive(Debug, Clone)]
pub struct ArazzoDoc {
    /// Where the document was loaded from.
    pub url: Url,
    /// Its base URI: `$self` (resolved) when present, else `url`.
    pub base: Url,
    /// The document.
    pub doc: Arc<Document>,
    /// Its source descriptions by name.
    pub sources: IndexMap<String, SourceTarget>,
}

/// Options for loading sources.
pub struct LoadOptions<'a> {
    /// How documents are fetched.
    pub fetcher: &'a dyn Fetcher,
    /// Limits for parsing each document.
    pub limits: Limits,
    /// Replacement URLs for source descriptions of the root document, by name
    /// (e.g. a local copy of a description the document names by URL).
    pub source_urls: HashMap<String, Url>,
    /// Parsed documents shared with other loads, if any.
    pub cache: Option<crate::store::DocCache>,
    /// An on-disk cache of parsed documents shared with other processes
    /// (later runs), if any: large descriptions are read from it instead of
    /// parsed, and written to it when they are not there.
    pub disk_cache: Option<crate::DiskCache>,
}

/// Every document reachable from a root Arazzo document.
#[derive(Debug, Default)]
pub struct Sources {
    /// All loaded documents by URL.
    pub store: Store,
    /// Arazzo documents; index 0 is the root.
    pub arazzo: Vec<ArazzoDoc>,
    /// OpenAPI descriptions.
    pub openapi: Vec<Arc<OpenApi>>,
    /// Problems found while loading (including structural findings of nested Arazzo documents).
    pub diagnostics: Vec<Diagnostic>,
    /// The content digest, computed on first use.
    digest: std::sync::OnceLock<String>,
}

impl Sources {
    /// A SHA-256 digest (hex) of every loaded document's text, in a fixed
    /// order: two loads of the same files give the same digest (also from
    /// another folder or machine), and a change to any byte of any document
    /// gives another. Computed once.
    pub fn digest(&self) -> &str {
        self.digest.get_or_init(|| {
            use sha2::{Digest, Sha256};
            let mut h = Sha256::new();
            let mut add = |text: &str| {
                h.update((text.len() as u64).to_le_bytes());
                h.update(text.as_bytes());
            };
            // The root document, then every document loaded for it (nested
            // Arazzo documents are among them).
            if let Some(root) = self.arazzo.first() {
                add(root.doc.source.file.text());
            }
            for (_, doc) in self.store.documents() {
                add(doc.file.text());
            }
            format!("{:x}", h.finalize())
        })
    }

    /// Loads everything `root` (loaded from `url`) refers to.
    pub fn load(root: Arc<Document>, url: Url, opts: &LoadOptions<'_>) -> Sources {
        let mut s = Sources {
            store: match &opts.cache {
                Some(c) => Store::with_cache(c.clone()),
                None => Store::new(),
            },
            ..Sources::default()
        };
        s.store.set_disk_cache(opts.disk_cache.clone());
        let base = base_uri(&root, &url);
        s.arazzo.push(ArazzoDoc {
            url: url.clone(),
            base,
            doc: root,
            sources: IndexMap::new(),
        });
        let mut by_url: HashMap<Url, SourceTarget> = HashMap::new();
        by_url.insert(url, SourceTarget::Arazzo(0));
        let mut next = 0;
        while next < s.arazzo.len() {
            s.load_sources_of(next, opts, &mut by_url);
            next += 1;
        }
        // `dependsOn` cycles through several documents, which no document
        // shows by itself.
        let cycles = {
            let docs: Vec<&Document> = s.arazzo.iter().map(|a| a.doc.as_ref()).collect();
            let resolve = |d: usize, name: &str| match s.arazzo.get(d)?.sources.get(name)? {
                SourceTarget::Arazzo(i) => Some(*i),
                _ => None,
            };
            arazzo_model::validate::cross_document_cycles(&docs, &resolve)
        };
        s.diagnostics.extend(cycles);
        s
    }

    fn load_sources_of(
        &mut self,
        idx: usize,
        opts: &LoadOptions<'_>,
        by_url: &mut HashMap<Url, SourceTarget>,
    ) {
        let Some(entry) = self.arazzo.get(idx).cloned() else {
            return;
        };
        let doc = entry.doc.clone();
        for sd in &doc.source_descriptions {
            let url_loc = doc.field(&sd.path, "url");
            let override_url = (idx == 0).then(|| opts.source_urls.get(&sd.name)).flatten();
            let target_url = match override_url {
                Some(u) => u.clone(),
                None => match self
                    .identity(&sd.url)
                    .or_else(|| entry.base.join(&sd.url).ok())
                {
                    Some(u) => u,
                    None => {
                        self.diagnostics.push(
                            Diagnostic::error(
                                Code::SourceLoad,
                                format!("source `{}`: `{}` is not a valid URL", sd.name, sd.url),
                            )
                            .at(url_loc),
                        );
                        self.set(idx, &sd.name, SourceTarget::Failed);
                        continue;
                    }
                },
            };
            let key = crate::store::strip_fragment(&target_url);
            if let Some(existing) = by_url.get(&key) {
                let t = existing.clone();
                self.check_kind(&doc, sd, &t);
                self.set(idx, &sd.name, t);
                continue;
            }
            let mut diags = Vec::new();
            let loaded = self.store.load_one(
                &key,
                Some(&entry.url),
                opts.fetcher,
                opts.limits,
                &mut diags,
            );
            let Some(loaded) = loaded else {
                for d in diags {
                    // Where a relative URL was looked for; the CLI adds how to
                    // point it elsewhere (`--source`).
                    let hint = (override_url.is_none() && !sd.url.contains("://")).then(|| {
                        format!(
                            "`{}` is resolved against {}",
                            sd.url,
                            display_url(&entry.base)
                        )
                    });
                    let d = if d.location.is_none() {
                        let d = Diagnostic {
                            message: format!(
                                "source `{}` could not be loaded: {}",
                                sd.name, d.message
                            ),
                            ..d
                        }
                        .at(url_loc.clone());
                        match hint {
                            Some(h) => d.hint(h),
                            None => d,
                        }
                    } else {
                        d
                    };
                    self.diagnostics.push(d);
                }
                self.set(idx, &sd.name, SourceTarget::Failed);
                by_url.insert(key, SourceTarget::Failed);
                continue;
            };
            let sniffed = sniff(&loaded.value);
            // When the declared type and the content disagree (an error,
            // reported below), the content decides how the document is read,
            // so one wrong `type` does not cascade into unrelated errors.
            let kind = sniffed.or(sd.kind);
            let target = match kind {
                Some(SourceKind::Arazzo) => {
                    let (nested, mut nd) = arazzo_model::parse::parse((*loaded).clone());
                    match nested {
                        Some(nested) => {
                            nd.extend(arazzo_model::validate::validate(&nested));
                            self.diagnostics.extend(nd);
                            let nested = Arc::new(nested);
                            let base = base_uri(&nested, &key);
                            self.arazzo.push(ArazzoDoc {
                                url: key.clone(),
                                base,
                                doc: nested,
                                sources: IndexMap::new(),
                            });
                            SourceTarget::Arazzo(self.arazzo.len() - 1)
                        }
                        None => {
                            self.diagnostics.extend(nd);
                            SourceTarget::Failed
                        }
                    }
                }
                Some(SourceKind::AsyncApi) => SourceTarget::AsyncApi(key.clone()),
                Some(SourceKind::OpenApi) | None => match Version::detect(&loaded.value) {
                    Some(version) => {
                        // Follow the description's external `$ref`s now, so
                        // that resolution later needs no I/O.
                        let mut rd = Vec::new();
                        self.store.load_tree(
                            &key,
                            Some(&entry.url),
                            opts.fetcher,
                            opts.limits,
                            &mut rd,
                        );
                        self.diagnostics.extend(rd);
                        let api = OpenApi::new(key.clone(), loaded.clone(), version, &self.store);
                        self.openapi.push(Arc::new(api));
                        SourceTarget::OpenApi(self.openapi.len() - 1)
                    }
                    None => {
                        let found = loaded
                            .value
                            .get("openapi")
                            .or_else(|| loaded.value.get("swagger"))
                            .map(|v| v.to_string());
                        self.diagnostics.push(
                            Diagnostic::error(
                                Code::SourceType,
                                match found {
                                    Some(v) => format!(
                                        "source `{}` declares OpenAPI version {v}, which arazzo-run does not read",
                                        sd.name
                                    ),
                                    None => format!(
                                        "source `{}` ({}) is not an OpenAPI, Arazzo or AsyncAPI document",
                                        sd.name,
                                        display_url(&key)
                                    ),
                                },
                            )
                            .at(url_loc.clone())
                            .hint("arazzo-run reads Swagger 2.0 and OpenAPI 3.0, 3.1 and 3.2 descriptions"),
                        );
                        SourceTarget::Failed
                    }
                },
            };
            if sd.kind.is_some() && sniffed.is_some() && sd.kind != sniffed {
                self.diagnostics.push(
                    Diagnostic::error(
                        Code::SourceType,
                        format!(
                            "source `{}` is declared `type: {}` but the document is {}",
                            sd.name,
                            sd.kind.map(SourceKind::as_str).unwrap_or_default(),
                            sniffed.map(SourceKind::as_str).unwrap_or_default()
                        ),
                    )
                    .at(doc.field(&sd.path, "type")),
                );
            }
            by_url.insert(key, target.clone());
            self.set(idx, &sd.name, target);
        }
    }

    /// An already-loaded Arazzo document whose `$self` is `url` (1.1 identity-based referencing).
    fn identity(&self, url: &str) -> Option<Url> {
        let abs = Url::parse(url).ok()?;
        self.arazzo
            .iter()
            .find(|a| a.base == abs)
            .map(|a| a.url.clone())
    }

    fn check_kind(
        &mut self,
        doc: &Document,
        sd: &arazzo_model::model::SourceDescription,
        t: &SourceTarget,
    ) {
        let actual = match t {
            SourceTarget::OpenApi(_) => Some(SourceKind::OpenApi),
            SourceTarget::Arazzo(_) => Some(SourceKind::Arazzo),
            SourceTarget::AsyncApi(_) => Some(SourceKind::AsyncApi),
            SourceTarget::Failed => None,
        };
        if let (Some(declared), Some(actual)) = (sd.kind, actual)
            && declared != actual
        {
            self.diagnostics.push(
                Diagnostic::error(
                    Code::SourceType,
                    format!(
                        "source `{}` is declared `type: {}` but the document is {}",
                        sd.name,
                        declared.as_str(),
                        actual.as_str()
                    ),
                )
                .at(doc.field(&sd.path, "type")),
            );
        }
    }

    fn set(&mut self, idx: usize, name: &str, t: SourceTarget) {
        if let Some(a) = self.arazzo.get_mut(idx) {
            a.sources.insert(name.to_string(), t);
        }
    }

    /// The root document.
    pub fn root(&self) -> Option<&ArazzoDoc> {
        self.arazzo.first()
    }

    /// The OpenAPI description a source of Arazzo document `doc` points at.
    pub fn openapi_source(&self, doc: usize, name: &str) -> Option<&Arc<OpenApi>> {
        match self.arazzo.get(doc)?.sources.get(name)? {
            SourceTarget::OpenApi(i) => self.openapi.get(*i),
            _ => None,
        }
    }

    /// The OpenAPI sources of Arazzo document `doc`, with their names.
    pub fn openapi_sources(&self, doc: usize) -> Vec<(&str, usize)> {
        self.arazzo
            .get(doc)
            .map(|a| {
                a.sources
                    .iter()
                    .filter_map(|(n, t)| match t {
                        SourceTarget::OpenApi(i) => Some((n.as_str(), *i)),
                        _ => None,
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Whether loading produced errors.
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error)
    }
}

/// A document's base URI: `$self` resolved against where it was loaded from.
pub fn base_uri(doc: &Document, retrieved: &Url) -> Url {
    doc.self_uri
        .as_deref()
        .and_then(|s| retrieved.join(s).ok())
        .unwrap_or_else(|| retrieved.clone())
}

/// What kind of document a value is, from its root fields.
pub fn sniff(v: &Value) -> Option<SourceKind> {
    let m = v.as_object()?;
    if m.contains_key("openapi") || m.contains_key("swagger") {
        Some(SourceKind::OpenApi)
    } else if m.contains_key("arazzo") {
        Some(SourceKind::Arazzo)
    } else if m.contains_key("asyncapi") {
        Some(SourceKind::AsyncApi)
    } else {
        None
    }
}

/// Loads a single OpenAPI description (and the documents its `$ref`s name),
/// outside any Arazzo document — for `arazzo-run mock` and for embedders.
pub fn load_description(
    url: &Url,
    fetcher: &dyn Fetcher,
    limits: Limits,
) -> Result<(Arc<OpenApi>, Store, Vec<Diagnostic>), Vec<Diagnostic>> {
    let mut store = Store::new();
    let mut diags = Vec::new();
    let Some(doc) = store.load_tree(url, None, fetcher, limits, &mut diags) else {
        return Err(diags);
    };
    let Some(version) = Version::detect(&doc.value) else {
        diags.push(
            Diagnostic::error(
                Code::SourceType,
                format!(
                    "{} is not an OpenAPI description arazzo-run can read",
                    display_url(url)
                ),
            )
            .hint("arazzo-run reads Swagger 2.0 and OpenAPI 3.0, 3.1 and 3.2 descriptions"),
        );
        return Err(diags);
    };
    let key = crate::store::strip_fragment(url);
    let api = Arc::new(OpenApi::new(key, doc, version, &store));
    Ok((api, store, diags))
}
