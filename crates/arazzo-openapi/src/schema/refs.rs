//! `$ref` lookups behind one small trait, so that synthesis and validation work the same way on
//! OpenAPI schemas (whose references may cross documents in a [`Store`]) and on Arazzo workflow
//! `inputs` schemas (whose references point into the Arazzo document itself).

use crate::Store;
use serde_json::Value;
use url::Url;

/// Follows one reference.
pub trait Refs {
    /// The value `reference` points to, relative to the document at `base`, with the URL of the
    /// document it lives in and a key that identifies the target (for cycle detection).
    fn lookup<'a>(&'a self, base: &Url, reference: &str) -> Option<Target<'a>>;

    /// Where the target of an absolute reference (a [`Target::key`]) is written, as
    /// `file:line:column`, for messages; `None` when that is not known.
    fn locate(&self, _key: &str) -> Option<String> {
        None
    }
}

/// The target of a reference.
pub struct Target<'a> {
    /// The document the value lives in.
    pub url: &'a Url,
    /// The value.
    pub value: &'a Value,
    /// The absolute reference (`document#pointer`): equal keys mean the same schema.
    pub key: String,
}

impl Refs for Store {
    fn lookup<'a>(&'a self, base: &Url, reference: &str) -> Option<Target<'a>> {
        let (url, value) = Store::lookup(self, base, reference).ok()?;
        let key = base
            .join(reference)
            .map(String::from)
            .unwrap_or_else(|_| reference.to_string());
        Some(Target { url, value, key })
    }

    fn locate(&self, key: &str) -> Option<String> {
        let url = Url::parse(key).ok()?;
        let pointer = crate::store::decode_fragment(url.fragment().unwrap_or(""));
        let doc = crate::store::strip_fragment(&url);
        Store::locate(self, &doc, &pointer, arazzo_model::load::Part::Value).map(|l| l.to_string())
    }
}

/// A single document that references point into (an Arazzo document, for workflow inputs).
pub struct OneDoc<'v> {
    /// A placeholder URL the document is known by.
    pub url: Url,
    /// The document.
    pub root: &'v Value,
}

impl Refs for OneDoc<'_> {
    fn lookup<'a>(&'a self, base: &Url, reference: &str) -> Option<Target<'a>> {
        let target = base.join(reference).ok()?;
        let mut doc = target.clone();
        doc.set_fragment(None);
        let mut own = self.url.clone();
        own.set_fragment(None);
        if doc != own {
            return None;
        }
        let fragment = target.fragment().unwrap_or("");
        let pointer = percent_encoding::percent_decode_str(fragment)
            .decode_utf8_lossy()
            .into_owned();
        let value = if pointer.is_empty() {
            self.root
        } else {
            self.root.pointer(&pointer)?
        };
        Some(Target {
            url: &self.url,
            value,
            key: target.to_string(),
        })
    }
}

/// The `$ref` string of a schema object, if it has one.
pub fn ref_of(v: &Value) -> Option<&str> {
    v.as_object()?.get("$ref")?.as_str()
}

/// Follows `$ref` chains (at most 64 hops) to a schema that is not a bare reference. Siblings of
/// a `$ref` are not merged here: callers that care use the synthesizer's flattening.
pub fn resolve<'a>(refs: &'a dyn Refs, base: &'a Url, value: &'a Value) -> (&'a Url, &'a Value) {
    let mut url = base;
    let mut v = value;
    for _ in 0..64 {
        let Some(r) = ref_of(v) else {
            return (url, v);
        };
        match refs.lookup(url, r) {
            Some(t) => {
                url = t.url;
                v = t.value;
            }
            None => return (url, v),
        }
    }
    (url, v)
}
