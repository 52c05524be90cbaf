//! Source files and positions.
//!
//! Every diagnostic in arazzo-run points at a place in a file. Positions are
//! stored as byte ranges ([`Span`]) into a [`SourceFile`], and turned into
//! 1-based line and column numbers only when they are shown, so that loading a
//! large document does not pay for positions nobody asks for.

use std::fmt;
use std::ops::Range;
use std::sync::Arc;

/// A byte range into a [`SourceFile`]'s text.
///
/// Offsets are `u32` to keep span trees of large OpenAPI documents small;
/// [`crate::load`] refuses inputs larger than 4 GiB.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize)]
pub struct Span {
    /// First byte of the range.
    pub start: u32,
    /// One past the last byte of the range.
    pub end: u32,
}

impl Span {
    /// A span covering `start..end`.
    pub fn new(start: usize, end: usize) -> Span {
        let start = u32::try_from(start).unwrap_or(u32::MAX);
        let end = u32::try_from(end).unwrap_or(u32::MAX).max(start);
        Span { start, end }
    }

    /// An empty span at `offset`.
    pub fn at(offset: usize) -> Span {
        Span::new(offset, offset)
    }

    /// The span as a `usize` range.
    pub fn range(self) -> Range<usize> {
        self.start as usize..self.end as usize
    }

    /// The span moved `by` bytes to the right and shortened to `len` bytes.
    ///
    /// Used to point inside a scalar, e.g. at the offending part of an expression.
    pub fn sub(self, offset: usize, len: usize) -> Span {
        let start = (self.start as usize).saturating_add(offset);
        let start = start.min(self.end as usize);
        Span::new(start, start.saturating_add(len).min(self.end as usize))
    }
}

/// A 1-based line and column (columns count Unicode scalar values, as editors do).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct Position {
    /// 1-based line number.
    pub line: u32,
    /// 1-based column number, counted in characters.
    pub column: u32,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// The text of one loaded file (or URL), with a line index.
#[derive(Debug)]
pub struct SourceFile {
    name: String,
    text: String,
    line_starts: Vec<u32>,
}

impl SourceFile {
    /// Wraps `text` read from `name` (a path or URL, used only for display).
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Arc<SourceFile> {
        let text = text.into();
        // Sized first: a vector grown by doubling holds up to twice the
        // lines of a document of short lines.
        let lines = text.bytes().filter(|&b| b == b'\n').count();
        let mut line_starts = Vec::with_capacity(lines + 1);
        line_starts.push(0u32);
        // `match_indices` skips to each newline a word at a time (a loop
        // over every byte took 2-3 ms of a 2.8 MB description's load from
        // the disk cache).
        line_starts.extend(
            text.match_indices('\n')
                .map(|(i, _)| u32::try_from(i + 1).unwrap_or(u32::MAX)),
        );
        Arc::new(SourceFile {
            name: name.into(),
            text,
            line_starts,
        })
    }

    /// The display name: the path or URL the text came from.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The whole text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The text under `span` (empty if the span is out of range or splits a character).
    pub fn slice(&self, span: Span) -> &str {
        self.text.get(span.range()).unwrap_or("")
    }

    /// Number of lines.
    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// The 0-based line index containing byte `offset`.
    fn line_index(&self, offset: usize) -> usize {
        let offset = u32::try_from(offset).unwrap_or(u32::MAX);
        match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        }
    }

    /// The byte range of the 0-based line `index`, without its line terminator.
    pub fn line_range(&self, index: usize) -> Range<usize> {
        let start = self.line_starts.get(index).copied().unwrap_or(0) as usize;
        let end = self
            .line_starts
            .get(index + 1)
            .map(|&e| e as usize)
            .unwrap_or(self.text.len());
        let mut end = end.min(self.text.len()).max(start);
        let bytes = self.text.as_bytes();
        while end > start && matches!(bytes.get(end - 1), Some(b'\n' | b'\r')) {
            end -= 1;
        }
        start..end
    }

    /// The 1-based line and column of byte `offset`.
    pub fn position(&self, offset: usize) -> Position {
        let offset = offset.min(self.text.len());
        let line = self.line_index(offset);
        let start = self.line_starts.get(line).copied().unwrap_or(0) as usize;
        let column = self
            .text
            .get(start..offset)
            .map(|s| s.chars().count())
            .unwrap_or(offset - start);
        Position {
            line: u32::try_from(line + 1).unwrap_or(u32::MAX),
            column: u32::try_from(column + 1).unwrap_or(u32::MAX),
        }
    }

    /// The byte offset of a 1-based line and a 0-based character column.
    ///
    /// This is how positions reported by the YAML parser (which counts
    /// characters) become byte offsets.
    pub fn offset_of(&self, line: usize, char_col: usize) -> usize {
        let Some(&start) = self.line_starts.get(line.saturating_sub(1)) else {
            return self.text.len();
        };
        let start = start as usize;
        let rest = self.text.get(start..).unwrap_or("");
        match rest.char_indices().nth(char_col) {
            Some((i, _)) => start + i,
            None => self.text.len(),
        }
    }
}

/// A span in a particular file: what a diagnostic points at.
#[derive(Debug, Clone)]
pub struct Location {
    /// The file.
    pub file: Arc<SourceFile>,
    /// The bytes within it.
    pub span: Span,
}

impl Location {
    /// Where the location starts.
    pub fn start(&self) -> Position {
        self.file.position(self.span.start as usize)
    }

    /// Where the location ends.
    pub fn end(&self) -> Position {
        self.file.position(self.span.end as usize)
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file.name(), self.start())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_and_count_characters() {
        let f = SourceFile::new("t.yaml", "a: 1\nbé: x\n");
        assert_eq!(f.position(0), Position { line: 1, column: 1 });
        assert_eq!(f.position(5), Position { line: 2, column: 1 });
        // "bé: " is 5 bytes but 4 characters.
        assert_eq!(f.position(10), Position { line: 2, column: 5 });
        assert_eq!(f.offset_of(2, 4), 10);
        assert_eq!(f.line_range(1), 5..11);
    }

    #[test]
    fn out_of_range_offsets_clamp() {
        let f = SourceFile::new("t", "abc");
        assert_eq!(f.position(100), Position { line: 1, column: 4 });
        assert_eq!(f.offset_of(9, 0), 3);
        assert_eq!(f.slice(Span::new(2, 99)), "");
    }
}
