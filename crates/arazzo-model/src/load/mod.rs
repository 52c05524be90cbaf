//! Loading YAML and JSON into `serde_json::Value`, remembering where every node came from.
//!
//! The loader reads YAML 1.2 (JSON is a subset of it) from the event stream
//! of `saphyr-parser` and builds two things side by side: the plain
//! [`serde_json::Value`] every other part of the engine works with, and a
//! [`SpanTree`] that mirrors it node for node with source spans. Positions
//! therefore never leak into values, and any later stage — validator,
//! resolver, engine — can turn a JSON pointer back into file:line:column.
//!
//! Policies, each chosen for safety on untrusted input (see `docs/semantics.md`):
//! - YAML 1.2 core schema: `yes`, `no`, `on`, `off`, `NO` stay strings.
//! - A mapping key that appears twice is an error, not last-wins.
//! - Anchors and aliases work, but aliases may expand to at most
//!   [`Limits::max_alias_nodes`] nodes, so an "alias bomb" fails fast.
//! - `<<` merge keys (a YAML 1.1 feature many OpenAPI files use) are applied.
//! - Nesting is limited to [`Limits::max_depth`] levels, input size to [`Limits::max_bytes`].
//! - Tags other than the JSON-schema ones (`!!str`, `!!int`, ...) are errors.

use std::sync::Arc;

use serde_json::Value;

use crate::diag::{Code, Diagnostic};
use crate::source::{Location, SourceFile, Span};

mod builder;
mod pointer;
mod scalar;
#[cfg(test)]
mod tests;

use builder::Builder;
pub use pointer::{escape_token, locate, unescape_token};

/// Bounds that keep hostile documents from exhausting memory or stack.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Maximum nesting depth of mappings and sequences.
    pub max_depth: usize,
    /// Maximum number of nodes that alias expansion may add.
    pub max_alias_nodes: usize,
    /// Maximum input size in bytes.
    pub max_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 512,
            max_alias_nodes: 1_000_000,
            max_bytes: 256 * 1024 * 1024,
        }
    }
}

/// The shape of a value's source positions, parallel to the value itself.
///
/// A mapping's children are in the same order as the keys of the
/// corresponding `serde_json::Map` (the workspace enables `preserve_order`).
#[derive(Debug, Clone, Default)]
pub struct SpanTree {
    /// The span of the whole node.
    pub span: Span,
    kids: Kids,
}

#[derive(Debug, Clone, Default)]
enum Kids {
    #[default]
    Leaf,
    Seq(Vec<SpanTree>),
    Map(Vec<(Span, SpanTree)>),
}

impl SpanTree {
    fn leaf(span: Span) -> SpanTree {
        SpanTree {
            span,
            kids: Kids::Leaf,
        }
    }

    /// The tree of the `i`-th item of a sequence.
    pub fn item(&self, i: usize) -> Option<&SpanTree> {
        match &self.kids {
            Kids::Seq(items) => items.get(i),
            _ => None,
        }
    }

    /// The key span and value tree of the `i`-th entry of a mapping.
    pub fn entry(&self, i: usize) -> Option<(Span, &SpanTree)> {
        match &self.kids {
            Kids::Map(entries) => entries.get(i).map(|(k, v)| (*k, v)),
            _ => None,
        }
    }
}

/// Which part of a mapping entry a diagnostic should point at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// The key (`name:`), e.g. for "unknown field".
    Key,
    /// The value, e.g. for "wrong type".
    Value,
}

/// A loaded document: the text it came from, its value, and where each node is.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The source text.
    pub file: Arc<SourceFile>,
    /// The document as JSON.
    pub value: Value,
    /// Source spans, parallel to `value`.
    pub spans: SpanTree,
}

impl Loaded {
    /// The location of the node at `pointer` (RFC 6901 without the leading `#`),
    /// or of the deepest existing ancestor when the pointer runs off the document.
    pub fn locate(&self, pointer: &str, part: Part) -> Location {
        Location {
            file: self.file.clone(),
            span: locate(&self.value, &self.spans, pointer, part),
        }
    }
}

/// Loads `bytes` read from `name` (a path or URL) with default limits.
pub fn load(name: &str, bytes: &[u8]) -> Result<Loaded, Diagnostic> {
    load_with(name, bytes, Limits::default())
}

/// Loads `bytes` read from `name` with explicit limits.
pub fn load_with(name: &str, bytes: &[u8], limits: Limits) -> Result<Loaded, Diagnostic> {
    let file = decode(name, bytes, limits)?;
    let (value, spans) = Builder::new(&file, limits).run()?;
    Ok(Loaded { file, value, spans })
}

/// Loads an already-decoded source file.
pub fn load_file(file: Arc<SourceFile>, limits: Limits) -> Result<Loaded, Diagnostic> {
    let (value, spans) = Builder::new(&file, limits).run()?;
    Ok(Loaded { file, value, spans })
}

/// Turns bytes into a [`SourceFile`]: checks the size, strips a UTF-8 byte
/// order mark, and rejects text that is not UTF-8 with the position of the
/// first bad byte.
pub fn decode(name: &str, bytes: &[u8], limits: Limits) -> Result<Arc<SourceFile>, Diagnostic> {
    if bytes.len() > limits.max_bytes || bytes.len() > u32::MAX as usize {
        return Err(Diagnostic::error(
            Code::TooLarge,
            format!(
                "{name} is {} bytes, more than the limit of {} bytes",
                bytes.len(),
                limits.max_bytes.min(u32::MAX as usize)
            ),
        ));
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(SourceFile::new(name, text)),
        Err(e) => {
            let good = e.valid_up_to();
            let text = String::from_utf8_lossy(bytes.get(..good).unwrap_or(&[])).into_owned();
            let file = SourceFile::new(name, text);
            let at = good;
            Err(
                Diagnostic::error(Code::NotUtf8, "the file is not UTF-8 text")
                    .at(Location {
                        file,
                        span: Span::at(at),
                    })
                    .label(format!("invalid byte at offset {at}"))
                    .hint("Arazzo and OpenAPI documents must be UTF-8 encoded YAML or JSON"),
            )
        }
    }
}
