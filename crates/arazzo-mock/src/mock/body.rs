//! Response bodies: the documented example or a synthesized value (cached per response and
//! media type), moved along its `enum`s on repeated requests, and with the values the workflow
//! expects set in it.

use std::sync::Arc;

use arazzo_expr::expect::{Expectation, Place};
use bytes::Bytes;
use http::Method;
use serde_json::{Value, json};

use super::{BodyKey, Mock, Prepared};
use crate::expect;
use crate::respond;
use crate::synth::{Direction, Synth};
use crate::view::{Node, OpView};

/// Distinct requests remembered for counting repeats; past this the count starts over.
const MAX_REMEMBERED: usize = 10_000;

impl Prepared {
    /// The same response with another body value (encoded alike) and notes.
    fn with(&self, value: Value, notes: Vec<String>) -> Arc<Prepared> {
        Arc::new(Prepared {
            bytes: Bytes::from(respond::encode(&value, &self.content_type)),
            content_type: self.content_type.clone(),
            value,
            notes,
        })
    }
}

/// The schema node of response `ri`, media type `mi`, with its validator cache
/// key; `None` when that media type has no schema.
fn response_schema(view: &OpView, ri: usize, mi: usize) -> Option<(&Node, String)> {
    let node = view.responses.get(ri)?.get(mi)?.as_ref()?;
    let media = view.op.responses.get(ri)?.content.get(mi)?;
    let key = format!("{}:response:{}:{}", view.op.pointer, ri, media.media_type);
    Some((node, key))
}

impl Mock {
    pub(super) fn prepare_body(
        &self,
        op: usize,
        view: &OpView,
        ri: usize,
        mi: usize,
        example: Option<&str>,
    ) -> Arc<Prepared> {
        let key = BodyKey {
            op,
            response: ri,
            media: mi,
            example: example.map(str::to_string),
        };
        if let Ok(m) = self.bodies.lock()
            && let Some(p) = m.get(&key)
        {
            return p.clone();
        }
        let mut notes = Vec::new();
        let media = view.op.responses.get(ri).and_then(|r| r.content.get(mi));
        let node = view
            .responses
            .get(ri)
            .and_then(|l| l.get(mi))
            .and_then(Option::as_ref);
        let (content_type, value) = match media {
            None => ("application/json".to_string(), json!({})),
            Some(m) => {
                let ct = respond::concrete_type(&m.media_type);
                let key = format!("{}:response:{}:{}", view.op.pointer, ri, m.media_type);
                let value = self.body_value(&key, m, node, example, &mut notes);
                (ct, value)
            }
        };
        let prepared = Arc::new(Prepared {
            bytes: Bytes::from(respond::encode(&value, &content_type)),
            content_type,
            value,
            notes,
        });
        // Only names the description documents are remembered: a client naming a new example
        // in every request must not grow the cache.
        let documented = example
            .is_none_or(|name| media.is_some_and(|m| m.examples.iter().any(|(n, _)| n == name)));
        if documented && let Ok(mut m) = self.bodies.lock() {
            m.insert(key, prepared.clone());
        }
        prepared
    }

    /// How many identical requests (method, path, query and body) came before this one.
    pub(super) fn turn(&self, method: &Method, uri: &http::Uri, body: &Bytes) -> usize {
        use std::hash::{Hash, Hasher};
        let mut h = std::hash::DefaultHasher::new();
        method.as_str().hash(&mut h);
        uri.path().hash(&mut h);
        uri.query().hash(&mut h);
        body.hash(&mut h);
        let key = h.finish();
        let Ok(mut seen) = self.repeats.lock() else {
            return 0;
        };
        // A bound on the memory a client sending endless distinct requests can take.
        if seen.len() >= MAX_REMEMBERED && !seen.contains_key(&key) {
            seen.clear();
        }
        let n = seen.entry(key).or_insert(0);
        let turn = *n;
        *n += 1;
        turn
    }

    /// The body of the `turn`-th repeat of a request: the first answer with every enumerated
    /// value advanced `turn` places, when that still matches the schema.
    pub(super) fn advance(
        &self,
        view: &OpView,
        ri: usize,
        mi: usize,
        first: Arc<Prepared>,
        turn: usize,
    ) -> Arc<Prepared> {
        let Some((node, key)) = response_schema(view, ri, mi) else {
            return first;
        };
        let value = Synth::new(self.store.as_ref(), Direction::Response).advance(
            &node.url,
            &node.schema,
            &first.value,
            turn,
        );
        if value == first.value {
            return first;
        }
        let valid = self
            .validator(&key, node, Direction::Response)
            .map_or(true, |c| c.is_valid(&value));
        if !valid {
            return first;
        }
        first.with(value, first.notes.clone())
    }

    /// The body with each value the workflow expects set in it, one by one, each kept
    /// only if the body still matches the response schema.
    pub(super) fn meet(
        &self,
        view: &OpView,
        ri: usize,
        mi: usize,
        first: Arc<Prepared>,
        expected: &[Expectation],
    ) -> Arc<Prepared> {
        let validator = response_schema(view, ri, mi)
            .and_then(|(node, key)| self.validator(&key, node, Direction::Response).ok());
        let mut value = first.value.clone();
        let mut notes = first.notes.clone();
        for e in expected {
            let at = match &e.place {
                Place::Header(_) => continue,
                Place::Body(t) => pointer_text(t),
                Place::Filter { pointer, member } => {
                    format!(
                        "{} (filtered on {})",
                        pointer_text(pointer),
                        pointer_text(member)
                    )
                }
            };
            let mut candidate = value.clone();
            if !expect::set(&mut candidate, e) {
                notes.push(format!(
                    "the workflow expects {} at {at}, which the response body has no place for",
                    super::quote(&e.value)
                ));
                continue;
            }
            if validator.as_ref().is_some_and(|v| !v.is_valid(&candidate)) {
                notes.push(format!(
                    "the workflow expects {} at {at}, which the response schema does not allow; it was not set",
                    super::quote(&e.value)
                ));
                continue;
            }
            value = candidate;
        }
        if value == first.value && notes.len() == first.notes.len() {
            return first;
        }
        first.with(value, notes)
    }

    fn body_value(
        &self,
        key: &str,
        media: &arazzo_openapi::operation::MediaSpec,
        node: Option<&Node>,
        example: Option<&str>,
        notes: &mut Vec<String>,
    ) -> Value {
        if let Some(name) = example {
            if let Some((_, v)) = media.examples.iter().find(|(n, _)| n == name) {
                return v.clone();
            }
            let names: Vec<&str> = media.examples.iter().map(|(n, _)| n.as_str()).collect();
            notes.push(format!(
                "Prefer: example={name} names no example of {} (documented: {})",
                media.media_type,
                if names.is_empty() {
                    "none".to_string()
                } else {
                    names.join(", ")
                }
            ));
        }
        let documented = media
            .example
            .iter()
            .map(|v| ("example".to_string(), v))
            .chain(
                media
                    .examples
                    .iter()
                    .map(|(n, v)| (format!("example `{n}`"), v)),
            );
        let valid = |v: &Value| match node {
            None => true,
            Some(n) => self
                .validator(key, n, Direction::Response)
                .map_or(true, |c| c.is_valid(v)),
        };
        let mut rejected = Vec::new();
        for (label, v) in documented {
            if valid(v) {
                return v.clone();
            }
            rejected.push((label, v));
        }
        let synthesized = match node {
            Some(n) => {
                Synth::new(self.store.as_ref(), Direction::Response).value(&n.url, &n.schema)
            }
            None if arazzo_openapi::media::is_json(&media.media_type) => json!({}),
            None => Value::String(String::new()),
        };
        // An example that is incomplete (a required property left out) still says what its
        // values look like: laid over the synthesized body, it is used if the result is valid.
        for (label, v) in &rejected {
            if v.is_object() {
                let merged = overlay(&synthesized, v);
                if valid(&merged) {
                    notes.push(format!(
                        "the documented {label} of {} does not match its schema; its values were laid over a synthesized body",
                        media.media_type
                    ));
                    return merged;
                }
            }
        }
        for (label, _) in rejected {
            notes.push(format!(
                "the documented {label} of {} does not match its schema; it was not used",
                media.media_type
            ));
        }
        synthesized
    }
}

/// `top` laid over `base`: objects are merged key by key, anything else is `top`.
fn overlay(base: &Value, top: &Value) -> Value {
    match (base, top) {
        (Value::Object(b), Value::Object(t)) => {
            let mut out = b.clone();
            for (k, v) in t {
                let merged = match b.get(k) {
                    Some(bv) => overlay(bv, v),
                    None => v.clone(),
                };
                out.insert(k.clone(), merged);
            }
            Value::Object(out)
        }
        _ => top.clone(),
    }
}
/// Tokens as a JSON pointer, for notes.
fn pointer_text(tokens: &[String]) -> String {
    if tokens.is_empty() {
        return "the whole body".to_string();
    }
    arazzo_expr::expect::pointer(tokens)
}
