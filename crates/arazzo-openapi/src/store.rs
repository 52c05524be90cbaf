//! Every document loaded during one compilation, keyed by URL, and `$ref`
//! resolution across them.
//!
//! Documents are loaded once and shared: two source descriptions that point
//! at the same file, or two `$ref`s into the same schema file, read it once.
//! External references are followed eagerly when a description is loaded,
//! so that resolution afterwards is a pure lookup with no I/O.

use std::collections::HashMap;
use std::sync::Arc;

use arazzo_model::load::{Limits, Loaded, Part};
use arazzo_model::{Code, Diagnostic, Location};
use serde_json::Value;
use url::Url;

use crate::disk_cache::DiskCache;
use crate::fetch::{Fetcher, display_url};

/// How many `$ref` hops a chain may take before it is considered a cycle.
const MAX_REF_HOPS: usize = 64;

/// All documents of a compilation.
#[derive(Debug, Default, Clone)]
pub struct Store {
    docs: HashMap<Url, Arc<Loaded>>,
    cache: Option<DocCache>,
    disk: Option<DiskCache>,
}

/// Parsed documents shared between compilations, so that running many
/// workflows against the same large description parses it once.
///
/// Cheap to clone (the clones share one map). Documents are cached by URL
/// for the life of the cache: create a new one when files may have changed.
#[derive(Debug, Default, Clone)]
pub struct DocCache(Arc<std::sync::Mutex<HashMap<Url, Arc<Loaded>>>>);

impl DocCache {
    /// An empty cache.
    pub fn new() -> DocCache {
        DocCache::default()
    }

    fn get(&self, url: &Url) -> Option<Arc<Loaded>> {
        self.0.lock().ok()?.get(url).cloned()
    }

    fn put(&self, url: Url, doc: Arc<Loaded>) {
        if let Ok(mut m) = self.0.lock() {
            m.insert(url, doc);
        }
    }
}

/// Why a `$ref` did not resolve.
#[derive(Debug, Clone, thiserror::Error)]
pub enum RefError {
    /// The reference is not a valid URI reference.
    #[error("`{0}` is not a valid reference")]
    Invalid(String),
    /// The referenced document was not loaded (it failed to load earlier).
    #[error("the document of `{0}` could not be loaded")]
    MissingDocument(String),
    /// The JSON pointer does not exist in the target document.
    #[error("`{reference}` does not resolve: there is nothing at `{pointer}` in {document}")]
    NotFound {
        /// The reference as written.
        reference: String,
        /// The pointer part.
        pointer: String,
        /// The document it points into.
        document: String,
    },
    /// The chain of references loops.
    #[error("`{0}` is part of a reference cycle")]
    Cycle(String),
}

/// A value found by following references, with the URL of the document it
/// lives in (needed to resolve references inside it) and its pointer there.
#[derive(Debug, Clone, Copy)]
pub struct Found<'a> {
    /// The value.
    pub value: &'a Value,
    /// The document it lives in.
    pub url: &'a Url,
}

impl Store {
    /// An empty store.
    pub fn new() -> Store {
        Store::default()
    }

    /// Every loaded document with its URL, ordered by URL (so that anything
    /// derived from the list, like [`Sources::digest`](crate::Sources::digest),
    /// does not depend on hash-map order).
    pub fn documents(&self) -> Vec<(&Url, &Arc<Loaded>)> {
        let mut docs: Vec<_> = self.docs.iter().collect();
        docs.sort_by(|a, b| a.0.as_str().cmp(b.0.as_str()));
        docs
    }

    /// An empty store that reads and fills a shared cache.
    pub fn with_cache(cache: DocCache) -> Store {
        Store {
            docs: HashMap::new(),
            cache: Some(cache),
            disk: None,
        }
    }

    /// Makes the store read documents it fetches from `disk` (and write
    /// them to it), instead of parsing each one; `None` turns that off.
    pub fn set_disk_cache(&mut self, disk: Option<DiskCache>) {
        self.disk = disk;
    }

    /// Adds a loaded document under `url`.
    pub fn insert(&mut self, url: Url, doc: Arc<Loaded>) {
        self.docs.insert(strip_fragment(&url), doc);
    }

    /// The document loaded from `url`.
    pub fn get(&self, url: &Url) -> Option<&Arc<Loaded>> {
        self.docs.get(&strip_fragment(url))
    }

    /// The stored key of `url` (so a returned `&Url` outlives the call).
    pub fn key(&self, url: &Url) -> Option<&Url> {
        self.docs
            .get_key_value(&strip_fragment(url))
            .map(|(k, _)| k)
    }

    /// Number of documents.
    pub fn len(&self) -> usize {
        self.docs.len()
    }

    /// Whether the store is empty.
    pub fn is_empty(&self) -> bool {
        self.docs.is_empty()
    }

    /// Loads `url` (if not loaded yet) and every document it references
    /// through `$ref`, recursively. Problems become diagnostics; the
    /// document itself is returned when it loaded.
    pub fn load_tree(
        &mut self,
        url: &Url,
        from: Option<&Url>,
        fetcher: &dyn Fetcher,
        limits: Limits,
        diags: &mut Vec<Diagnostic>,
    ) -> Option<Arc<Loaded>> {
        let root = self.load_one(url, from, fetcher, limits, diags)?;
        let mut pending = vec![(strip_fragment(url), root.clone())];
        while let Some((base, doc)) = pending.pop() {
            for (reference, pointer) in external_refs(&doc.value) {
                let Ok(target) = base.join(&reference) else {
                    diags.push(
                        Diagnostic::warning(
                            Code::UnresolvedRef,
                            format!("`{reference}` is not a valid reference"),
                        )
                        .at(doc.locate(&pointer, Part::Value)),
                    );
                    continue;
                };
                let target = strip_fragment(&target);
                if self.docs.contains_key(&target) {
                    continue;
                }
                let before = diags.len();
                match self.load_one(&target, Some(&base), fetcher, limits, diags) {
                    Some(child) => pending.push((target, child)),
                    None => {
                        // Point the failure at the `$ref` that needed the document.
                        for d in diags.iter_mut().skip(before) {
                            if d.location.is_none() {
                                d.location = Some(doc.locate(&pointer, Part::Value));
                            }
                            d.code = Code::UnresolvedRef;
                            d.message = format!("`{reference}` does not resolve: {}", d.message);
                            d.severity = arazzo_model::Severity::Warning;
                        }
                    }
                }
            }
        }
        Some(root)
    }

    /// Loads one document without following its references.
    pub fn load_one(
        &mut self,
        url: &Url,
        from: Option<&Url>,
        fetcher: &dyn Fetcher,
        limits: Limits,
        diags: &mut Vec<Diagnostic>,
    ) -> Option<Arc<Loaded>> {
        let key = strip_fragment(url);
        if let Some(d) = self.docs.get(&key) {
            return Some(d.clone());
        }
        if let Some(d) = self.cache.as_ref().and_then(|c| c.get(&key)) {
            self.docs.insert(key, d.clone());
            return Some(d);
        }
        let fetched = match fetcher.fetch(&key, from) {
            Ok(f) => f,
            Err(e) => {
                diags.push(Diagnostic::error(Code::SourceLoad, e.to_string()));
                return None;
            }
        };
        let name = display_url(&key);
        let loaded = match &self.disk {
            Some(disk) => disk.load_owned(&name, fetched.bytes, limits),
            None => arazzo_model::load::load_with(&name, &fetched.bytes, limits),
        };
        match loaded {
            Ok(loaded) => {
                let doc = Arc::new(loaded);
                if let Some(c) = &self.cache {
                    c.put(key.clone(), doc.clone());
                }
                self.docs.insert(key, doc.clone());
                Some(doc)
            }
            Err(d) => {
                diags.push(d);
                None
            }
        }
    }

    /// Follows `$ref` chains starting at `value` (which lives in the
    /// document at `base`) until a value that is not a reference.
    pub fn resolve<'a>(&'a self, base: &'a Url, value: &'a Value) -> Result<Found<'a>, RefError> {
        let mut url = base;
        let mut v = value;
        for _ in 0..MAX_REF_HOPS {
            let Some(reference) = ref_of(v) else {
                return Ok(Found { value: v, url });
            };
            let (target_url, target) = self.lookup(url, reference)?;
            url = target_url;
            v = target;
        }
        Err(RefError::Cycle(
            ref_of(value).unwrap_or_default().to_string(),
        ))
    }

    /// Resolves one reference string relative to the document at `base`.
    pub fn lookup<'a>(
        &'a self,
        base: &Url,
        reference: &str,
    ) -> Result<(&'a Url, &'a Value), RefError> {
        let target = base
            .join(reference)
            .map_err(|_| RefError::Invalid(reference.to_string()))?;
        let fragment = target.fragment().unwrap_or("").to_string();
        let doc_url = strip_fragment(&target);
        let (key, doc) = self
            .docs
            .get_key_value(&doc_url)
            .ok_or_else(|| RefError::MissingDocument(reference.to_string()))?;
        let pointer = decode_fragment(&fragment);
        let value = if pointer.is_empty() {
            Some(&doc.value)
        } else {
            doc.value.pointer(&pointer)
        };
        value.map(|v| (key, v)).ok_or_else(|| RefError::NotFound {
            reference: reference.to_string(),
            pointer,
            document: display_url(key),
        })
    }

    /// The location of the node at `pointer` in the document at `url`.
    pub fn locate(&self, url: &Url, pointer: &str, part: Part) -> Option<Location> {
        self.get(url).map(|d| d.locate(pointer, part))
    }
}

/// The `$ref` string of a reference object, if `v` is one.
pub fn ref_of(v: &Value) -> Option<&str> {
    v.as_object()?.get("$ref")?.as_str()
}

/// `url` without its fragment.
pub fn strip_fragment(url: &Url) -> Url {
    let mut u = url.clone();
    u.set_fragment(None);
    u
}

/// A URI fragment as a JSON pointer: percent-decoded (RFC 6901 §6).
pub fn decode_fragment(fragment: &str) -> String {
    percent_encoding::percent_decode_str(fragment)
        .decode_utf8_lossy()
        .into_owned()
}

/// Every `$ref` in `value` that points outside the document, with the JSON
/// pointer of the reference object (for diagnostics).
fn external_refs(value: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut stack: Vec<(&Value, String)> = vec![(value, String::new())];
    while let Some((v, path)) = stack.pop() {
        match v {
            Value::Object(m) => {
                if let Some(Value::String(r)) = m.get("$ref")
                    && !r.starts_with('#')
                {
                    out.push((r.clone(), path.clone()));
                }
                for (k, child) in m {
                    if child.is_object() || child.is_array() {
                        stack.push((
                            child,
                            format!("{path}/{}", arazzo_model::load::escape_token(k)),
                        ));
                    }
                }
            }
            Value::Array(items) => {
                for (i, child) in items.iter().enumerate() {
                    if child.is_object() || child.is_array() {
                        stack.push((child, format!("{path}/{i}")));
                    }
                }
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    fn store_with(docs: &[(&str, Value)]) -> Store {
        let mut s = Store::new();
        for (url, v) in docs {
            let file = arazzo_model::SourceFile::new(*url, v.to_string());
            s.insert(
                Url::parse(url).unwrap(),
                Arc::new(Loaded {
                    file,
                    value: v.clone(),
                    spans: Default::default(),
                }),
            );
        }
        s
    }

    #[test]
    fn follows_local_and_external_chains() {
        let s = store_with(&[
            (
                "file:///a/main.yaml",
                json!({"components": {"schemas": {"A": {"$ref": "#/components/schemas/B"}, "B": {"$ref": "common.yaml#/Pet"}}}}),
            ),
            ("file:///a/common.yaml", json!({"Pet": {"type": "object"}})),
        ]);
        let base = Url::parse("file:///a/main.yaml").unwrap();
        let start = json!({"$ref": "#/components/schemas/A"});
        let found = s.resolve(&base, &start).unwrap();
        assert_eq!(found.value, &json!({"type": "object"}));
        assert_eq!(found.url.as_str(), "file:///a/common.yaml");
    }

    #[test]
    fn cycles_and_misses_are_errors() {
        let s = store_with(&[(
            "file:///x.yaml",
            json!({"a": {"$ref": "#/b"}, "b": {"$ref": "#/a"}, "c~d": {"x": 1}}),
        )]);
        let base = Url::parse("file:///x.yaml").unwrap();
        assert!(matches!(
            s.resolve(&base, &json!({"$ref": "#/a"})),
            Err(RefError::Cycle(_))
        ));
        assert!(matches!(
            s.resolve(&base, &json!({"$ref": "#/nope"})),
            Err(RefError::NotFound { .. })
        ));
        assert!(matches!(
            s.resolve(&base, &json!({"$ref": "other.yaml#/a"})),
            Err(RefError::MissingDocument(_))
        ));
        // Escaped and percent-encoded pointers.
        let escaped = json!({"$ref": "#/c~0d/x"});
        let v = s.resolve(&base, &escaped).unwrap();
        assert_eq!(v.value, &json!(1));
    }
}
