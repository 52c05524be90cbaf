//! The YAML reader: `saphyr-parser`'s event stream, fed to a [`Sink`].
//!
//! saphyr reports positions as character indices; they become byte offsets
//! through a cursor that moves from one position to the next, so converting
//! every position of a document costs time proportional to the document
//! (events arrive almost in order), even on one long non-ASCII line.

use std::sync::Arc;

use saphyr_parser::{Event, Marker, Parser, ScanError};

use super::Limits;
use super::builder::Sink;
use crate::diag::{Code, Diagnostic};
use crate::source::{Location, SourceFile, Span};

/// How deep saphyr nests flow collections (`[`, `{`): it counts them in a
/// `u8` and reports "recursion limit exceeded" past 255.
pub(super) const SAPHYR_FLOW_DEPTH: usize = 255;

/// Character index → byte offset, by a cursor.
struct Offsets<'t> {
    text: &'t str,
    ascii: bool,
    chars: usize,
    bytes: usize,
}

impl<'t> Offsets<'t> {
    fn new(text: &'t str) -> Self {
        Offsets {
            text,
            ascii: text.is_ascii(),
            chars: 0,
            bytes: 0,
        }
    }

    fn of(&mut self, m: &Marker) -> usize {
        let target = m.index();
        if self.ascii {
            return target.min(self.text.len());
        }
        while self.chars < target {
            let Some(c) = self.text.get(self.bytes..).and_then(|s| s.chars().next()) else {
                break;
            };
            self.bytes += c.len_utf8();
            self.chars += 1;
        }
        while self.chars > target {
            let Some(c) = self
                .text
                .get(..self.bytes)
                .and_then(|s| s.chars().next_back())
            else {
                break;
            };
            self.bytes -= c.len_utf8();
            self.chars -= 1;
        }
        self.bytes
    }

    fn span(&mut self, s: &saphyr_parser::Span) -> Span {
        let start = self.of(&s.start);
        let end = self.of(&s.end);
        Span::new(start, end)
    }
}

/// Feeds the events of `file` to `sink`.
pub(super) fn read(
    file: &Arc<SourceFile>,
    limits: Limits,
    sink: &mut dyn Sink,
) -> Result<(), Diagnostic> {
    let mut at = Offsets::new(file.text());
    let mut parser = Parser::new_from_str(file.text());
    while let Some(next) = parser.next_event() {
        let (event, span) = match next {
            Ok(x) => x,
            Err(e) => {
                let offset = at.of(e.marker());
                return Err(scan_error(file, limits, &e, offset));
            }
        };
        let span = at.span(&span);
        match event {
            Event::StreamStart | Event::StreamEnd | Event::Nothing | Event::DocumentEnd => {}
            Event::DocumentStart(_) => sink.document(span)?,
            Event::Alias(id) => sink.alias(id, span)?,
            Event::Scalar(text, style, anchor, tag) => {
                sink.scalar(text, style, anchor, tag.as_deref(), span)?;
            }
            Event::SequenceStart(anchor, tag) => sink.open(false, anchor, tag.as_deref(), span)?,
            Event::MappingStart(anchor, tag) => sink.open(true, anchor, tag.as_deref(), span)?,
            Event::SequenceEnd => sink.close(false, span)?,
            Event::MappingEnd => sink.close(true, span)?,
        }
    }
    Ok(())
}

fn scan_error(file: &Arc<SourceFile>, limits: Limits, e: &ScanError, at: usize) -> Diagnostic {
    let err = |code, message: String| {
        Diagnostic::error(code, message).at(Location {
            file: file.clone(),
            span: Span::at(at),
        })
    };
    if e.info().contains("recursion limit") {
        return err(
            Code::TooDeep,
            format!(
                "the document nests deeper than {} levels",
                limits.max_depth.min(SAPHYR_FLOW_DEPTH)
            ),
        )
        .label("one level too many")
        .hint("no Arazzo or OpenAPI document needs this much nesting");
    }
    if e.info().contains("unknown anchor") {
        return err(
            Code::UnknownAnchor,
            "this alias refers to an anchor that is not defined before it".into(),
        )
        .hint("define the anchor (`&name`) before any alias (`*name`) that uses it");
    }
    err(Code::Syntax, format!("invalid YAML/JSON: {}", e.info())).label(e.info().to_string())
}
