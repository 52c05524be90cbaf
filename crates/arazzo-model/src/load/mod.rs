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
//!
//! Memory is proportional to the document. Two readers produce the same
//! events: a document whose top level is `[` or `{` (every JSON document) is
//! read by this crate's own streaming reader (`flow.rs`), anything else by
//! saphyr (`yaml.rs`), which would buffer a whole flow collection's tokens
//! before its first event. Each document is read twice: the first pass
//! counts the children of every collection, so the second allocates every
//! array, object and span block at its final size. Spans live in one flat
//! arena ([`SpanTree`]), 24 bytes a node. A flow-style document that uses
//! YAML the streaming reader does not handle (anchors, tags, scalars over
//! several lines, ...) is read by saphyr when it is at most
//! [`FLOW_FALLBACK_BYTES`], and refused (`too-large`, at the construct)
//! when it is larger.

use std::sync::Arc;

use serde_json::Value;

use crate::diag::{Code, Diagnostic};
use crate::source::{Location, SourceFile, Span};

mod builder;
pub mod cache;
mod flow;
mod pointer;
mod scalar;
mod spans;
#[cfg(test)]
mod tests;
mod yaml;

use builder::{Builder, Counter};
pub use pointer::{escape_token, locate, unescape_token};
pub use spans::{SpanNode, SpanTree};

/// The largest document arazzo-run reads, from any source (a file, standard
/// input, an `--inputs` file, a fetched description): 64 MiB. Larger
/// documents are refused with `too-large`, before they are parsed.
pub const MAX_DOCUMENT_BYTES: usize = 64 * 1024 * 1024;

/// The deepest nesting of mappings and sequences: 255 levels, in block
/// YAML, flow YAML and JSON alike. saphyr, the YAML parser, cannot nest flow
/// collections deeper, so a larger [`Limits::max_depth`] applies to block
/// nesting only.
pub const MAX_DEPTH: usize = 255;

/// The largest flow-style document (top level `[` or `{`) that may use YAML
/// beyond what the streaming reader handles: 1 MiB. Such documents are read
/// by saphyr, whose memory is about a hundred times the size of a flow
/// collection, so larger ones are refused rather than read.
pub const FLOW_FALLBACK_BYTES: usize = 1024 * 1024;

/// Bounds that keep hostile documents from exhausting memory or stack.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Maximum nesting depth of mappings and sequences (default [`MAX_DEPTH`]).
    pub max_depth: usize,
    /// Maximum number of nodes that alias expansion may add (default 1,000,000).
    pub max_alias_nodes: usize,
    /// Maximum input size in bytes (default [`MAX_DOCUMENT_BYTES`]).
    pub max_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: MAX_DEPTH,
            max_alias_nodes: 1_000_000,
            max_bytes: MAX_DOCUMENT_BYTES,
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
    load_file(file, limits)
}

/// Loads an already-decoded source file.
pub fn load_file(file: Arc<SourceFile>, limits: Limits) -> Result<Loaded, Diagnostic> {
    let (value, spans) = build(&file, limits)?;
    Ok(Loaded { file, value, spans })
}

/// Reads `file` into a value and its spans: with the streaming flow reader
/// when the top level is a flow collection, else (or when that reader meets
/// YAML it does not handle, in a small document) with saphyr.
fn build(file: &Arc<SourceFile>, limits: Limits) -> Result<(Value, SpanTree), Diagnostic> {
    let text = file.text();
    if flow::starts_flow(text) {
        let mut counter = Counter::new(limits);
        let first = flow::read(text, &mut counter);
        let second = match first {
            // A sink error (too deep) is reported by the second pass, with its place.
            Ok(()) | Err(flow::Stop::Sink(_)) => {
                let mut builder = Builder::new(file, limits, counter);
                flow::read(text, &mut builder).map(|()| builder)
            }
            Err(stop) => Err(stop),
        };
        match second {
            Ok(builder) => return builder.finish(),
            Err(flow::Stop::Sink(d)) => return Err(d),
            Err(stop) if text.len() > FLOW_FALLBACK_BYTES => {
                return Err(stop.diagnostic(file, FLOW_FALLBACK_BYTES));
            }
            Err(_) => {}
        }
    }
    let mut counter = Counter::new(limits);
    // Errors are reported by the second pass, with their place.
    let _ = yaml::read(file, limits, &mut counter);
    let mut builder = Builder::new(file, limits, counter);
    yaml::read(file, limits, &mut builder)?;
    builder.finish()
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

/// [`decode`] of bytes the caller is done with: the text is the bytes
/// themselves, not a copy (a 2.8 MB description read from the disk cache
/// spends less time here than it would copying).
pub fn decode_owned(
    name: &str,
    mut bytes: Vec<u8>,
    limits: Limits,
) -> Result<Arc<SourceFile>, Diagnostic> {
    if bytes.len() > limits.max_bytes || bytes.len() > u32::MAX as usize {
        return decode(name, &bytes, limits);
    }
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        bytes.drain(..3);
    }
    match String::from_utf8(bytes) {
        Ok(text) => Ok(SourceFile::new(name, text)),
        // The error, with its place, as `decode` reports it.
        Err(e) => decode(name, e.as_bytes(), limits),
    }
}
