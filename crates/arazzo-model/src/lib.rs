//! Arazzo documents as data: loading, positions, diagnostics, the document
//! model and the validation that needs nothing but the document itself.
//!
//! The typical path is [`load::load`] (bytes → [`load::Loaded`]: a
//! `serde_json::Value` plus source spans), then [`parse::parse`] (→ a typed
//! [`model::Document`] and structural diagnostics), then
//! [`validate::validate`] (referential checks). Diagnostics from every stage
//! share one type, [`diag::Diagnostic`], and point at file:line:column.
//! [`check`] runs all three.
//!
//! ```
//! let text = "arazzo: 1.0.1\ninfo: {title: t, version: '1'}\nsourceDescriptions: []\nworkflows: []\n";
//! let (doc, diagnostics) = arazzo_model::check("doc.yaml", text.as_bytes());
//! assert!(doc.is_some());
//! assert_eq!(diagnostics[0].code, arazzo_model::Code::EmptyList);
//! assert_eq!(diagnostics[0].position().unwrap().line, 3);
//! ```

pub mod diag;
pub mod load;
pub mod model;
pub mod parse;
pub mod source;
pub mod suggest;
pub mod validate;

pub use diag::{Code, Diagnostic, Severity};
pub use load::{Loaded, Part, SpanTree};
pub use model::Document;
pub use source::{Location, Position, SourceFile, Span};

/// Loads, parses and validates a document in one call.
///
/// Returns the document when the input is an Arazzo document (even an
/// invalid one, so callers can still inspect it) and every finding, sorted by
/// position.
pub fn check(name: &str, bytes: &[u8]) -> (Option<Document>, Vec<Diagnostic>) {
    let loaded = match load::load(name, bytes) {
        Ok(l) => l,
        Err(d) => return (None, vec![d]),
    };
    let (doc, mut diags) = parse::parse(loaded);
    if let Some(doc) = &doc {
        diags.extend(validate::validate(doc));
    }
    diag::sort(&mut diags);
    (doc, diags)
}
