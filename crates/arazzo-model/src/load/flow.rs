//! The reader of documents whose top level is a flow collection (`[` or
//! `{`): all of JSON, and the JSON-like part of flow-style YAML.
//!
//! saphyr buffers every token of a flow collection until the collection
//! ends (it keeps a possible implicit key open across the whole collection),
//! which cost about a hundred times the size of a large JSON file in tokens
//! before the first event, and it nests flow collections at most 255 deep.
//! This reader streams events with no lookahead, in time and memory
//! proportional to the text, and nests as deep as [`super::Limits::max_depth`].
//!
//! It reads: JSON; plain (unquoted) scalars on one line; single-quoted
//! scalars on one line; double-quoted scalars on one line with every YAML
//! escape, and with JSON's surrogate pairs (`"\ud83d\ude00"`); comments;
//! trailing commas. Anything else — anchors, aliases, tags, explicit keys,
//! single-pair mappings in sequences, keys without values, scalars over
//! several lines — stops it with [`Stop::Unsupported`], and the loader reads
//! the document with saphyr instead when it is small (see
//! [`super::FLOW_FALLBACK_BYTES`]). A scalar reads the same either way: both
//! resolve plain scalars by the YAML 1.2 core schema.

use std::borrow::Cow;
use std::sync::Arc;

use saphyr_parser::ScalarStyle;

use super::builder::Sink;
use crate::diag::{Code, Diagnostic};
use crate::source::{Location, SourceFile, Span};

/// Why the reader stopped.
pub(super) enum Stop {
    /// YAML this reader does not handle, at byte `at`.
    Unsupported { at: usize, what: &'static str },
    /// Text that is neither JSON nor flow YAML, at byte `at`.
    Syntax { at: usize, message: &'static str },
    /// The sink refused an event (a duplicate key, too deep): final.
    Sink(Diagnostic),
}

impl From<Diagnostic> for Stop {
    fn from(d: Diagnostic) -> Self {
        Stop::Sink(d)
    }
}

impl Stop {
    /// The diagnostic for a document too large to hand to saphyr.
    pub(super) fn diagnostic(self, file: &Arc<SourceFile>, fallback: usize) -> Diagnostic {
        let at = |at: usize| Location {
            file: file.clone(),
            span: Span::at(at),
        };
        match self {
            Stop::Sink(d) => d,
            Stop::Syntax { at: a, message } => {
                Diagnostic::error(Code::Syntax, format!("invalid YAML/JSON: {message}"))
                    .at(at(a))
                    .label(message)
            }
            Stop::Unsupported { at: a, what } => Diagnostic::error(
                Code::TooLarge,
                format!(
                    "{what} is read only in flow-style documents of at most {} KiB, and this one is larger",
                    fallback / 1024
                ),
            )
            .at(at(a))
            .label(what)
            .hint(
                "large documents whose top level is `[` or `{` are read as JSON-like flow YAML; \
                 write this one as JSON or as block-style YAML",
            ),
        }
    }
}

/// Whether the first thing in `text` (after blank and comment lines) opens
/// a flow collection.
pub(super) fn starts_flow(text: &str) -> bool {
    for line in text.lines() {
        let t = line.trim_start_matches([' ', '\t']);
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        return t.starts_with(['[', '{']);
    }
    false
}

/// Where the reader is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Want {
    /// A node.
    Value,
    /// A mapping key.
    Key,
    /// What follows a node: `,`, a closing bracket, or the end.
    After,
}

/// Feeds the events of `text` to `sink`.
pub(super) fn read(text: &str, sink: &mut dyn Sink) -> Result<(), Stop> {
    let mut r = Reader {
        text,
        b: text.as_bytes(),
        pos: 0,
    };
    r.run(sink)
}

struct Reader<'t> {
    text: &'t str,
    b: &'t [u8],
    pos: usize,
}

/// The longest implicit key YAML allows, in characters (here: bytes, which
/// is stricter, so a longer key goes to saphyr).
const MAX_KEY: usize = 1024;

fn is_flow(b: u8) -> bool {
    matches!(b, b',' | b'[' | b']' | b'{' | b'}')
}

fn is_blank(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

impl<'t> Reader<'t> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    fn peek_at(&self, i: usize) -> Option<u8> {
        self.b.get(self.pos + i).copied()
    }

    fn unsupported<T>(&self, what: &'static str) -> Result<T, Stop> {
        Err(Stop::Unsupported { at: self.pos, what })
    }

    fn syntax<T>(&self, message: &'static str) -> Result<T, Stop> {
        Err(Stop::Syntax {
            at: self.pos,
            message,
        })
    }

    /// Skips blanks, line breaks and comments. Document markers at the start
    /// of a line are not flow content.
    fn skip_ws(&mut self) -> Result<(), Stop> {
        while let Some(b) = self.peek() {
            match b {
                b' ' | b'\t' => self.pos += 1,
                b'\n' | b'\r' => {
                    self.pos += 1;
                    let rest = self.b.get(self.pos..).unwrap_or(&[]);
                    if (rest.starts_with(b"---") || rest.starts_with(b"..."))
                        && rest.get(3).is_none_or(|&c| is_blank(c))
                    {
                        return self.unsupported("a document marker");
                    }
                }
                b'#' if self.pos == 0 || self.b.get(self.pos - 1).is_some_and(|&c| is_blank(c)) => {
                    while let Some(c) = self.peek() {
                        if c == b'\n' || c == b'\r' {
                            break;
                        }
                        self.pos += 1;
                    }
                }
                _ => break,
            }
        }
        Ok(())
    }

    /// Skips blanks on this line only.
    fn skip_inline(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
    }

    fn run(&mut self, sink: &mut dyn Sink) -> Result<(), Stop> {
        let mut stack: Vec<bool> = Vec::new();
        let mut want = Want::Value;
        self.skip_ws()?;
        loop {
            match want {
                Want::Value | Want::Key => {
                    let Some(b) = self.peek() else {
                        return self.syntax("the document ends inside a collection");
                    };
                    if b == b'[' || b == b'{' {
                        if want == Want::Key {
                            return self.unsupported("a mapping or sequence as a key");
                        }
                        let map = b == b'{';
                        sink.open(map, 0, None, Span::new(self.pos, self.pos + 1))?;
                        stack.push(map);
                        self.pos += 1;
                        self.skip_ws()?;
                        let close = if map { b'}' } else { b']' };
                        if self.peek() == Some(close) {
                            self.close(sink, &mut stack)?;
                            want = Want::After;
                        } else {
                            want = if map { Want::Key } else { Want::Value };
                        }
                        continue;
                    }
                    let key = want == Want::Key;
                    let (text, style, span) = self.scalar()?;
                    if key && span.range().len() > MAX_KEY {
                        return Err(Stop::Unsupported {
                            at: span.start as usize,
                            what: "an implicit key longer than 1024 characters",
                        });
                    }
                    sink.scalar(text, style, 0, None, span)?;
                    if key {
                        self.skip_inline();
                        match self.peek() {
                            Some(b':') => self.pos += 1,
                            Some(b',' | b'}') => return self.unsupported("a key without a value"),
                            Some(b'\n' | b'\r' | b'#') | None => {
                                return self.unsupported("a key whose `:` is on another line");
                            }
                            Some(_) => return self.syntax("expected `:` after a key"),
                        }
                        self.skip_ws()?;
                        if matches!(self.peek(), Some(b',' | b'}')) {
                            return self.unsupported("a key without a value");
                        }
                        want = Want::Value;
                    } else {
                        want = Want::After;
                    }
                }
                Want::After => {
                    self.skip_ws()?;
                    let Some(&map) = stack.last() else {
                        if self.pos < self.b.len() {
                            return self.unsupported("content after the top-level collection");
                        }
                        return Ok(());
                    };
                    let close = if map { b'}' } else { b']' };
                    match self.peek() {
                        Some(b',') => {
                            self.pos += 1;
                            self.skip_ws()?;
                            if self.peek() == Some(close) {
                                // A trailing comma, which YAML allows.
                                self.close(sink, &mut stack)?;
                            } else if self.peek() == Some(b',') {
                                return self.syntax("an empty entry between two commas");
                            } else {
                                want = if map { Want::Key } else { Want::Value };
                            }
                        }
                        Some(c) if c == close => self.close(sink, &mut stack)?,
                        Some(b':') if !map => {
                            return self.unsupported("a single-pair mapping in a sequence");
                        }
                        None => return self.syntax("the document ends inside a collection"),
                        Some(_) if map => return self.syntax("expected `,` or `}`"),
                        Some(_) => return self.syntax("expected `,` or `]`"),
                    }
                }
            }
        }
    }

    /// Closes the innermost collection at the bracket under the cursor.
    fn close(&mut self, sink: &mut dyn Sink, stack: &mut Vec<bool>) -> Result<(), Stop> {
        let map = stack.pop().unwrap_or(false);
        sink.close(map, Span::new(self.pos, self.pos + 1))?;
        self.pos += 1;
        Ok(())
    }

    fn scalar(&mut self) -> Result<(Cow<'t, str>, ScalarStyle, Span), Stop> {
        let start = self.pos;
        let (text, style) = match self.peek() {
            Some(b'"') => (self.double_quoted()?, ScalarStyle::DoubleQuoted),
            Some(b'\'') => (self.single_quoted()?, ScalarStyle::SingleQuoted),
            _ => (self.plain()?, ScalarStyle::Plain),
        };
        Ok((text, style, Span::new(start, self.pos)))
    }

    fn plain(&mut self) -> Result<Cow<'t, str>, Stop> {
        let Some(first) = self.peek() else {
            return self.syntax("the document ends inside a collection");
        };
        let next_safe = self.peek_at(1).is_some_and(|c| !is_blank(c) && !is_flow(c));
        match first {
            b'-' | b'?' | b':' if next_safe => {}
            b'?' => return self.unsupported("an explicit key (`?`)"),
            b'&' => return self.unsupported("an anchor (`&`)"),
            b'*' => return self.unsupported("an alias (`*`)"),
            b'!' => return self.unsupported("a tag (`!`)"),
            b'|' | b'>' => return self.unsupported("a block scalar in a flow collection"),
            b',' | b']' | b'}' => return self.unsupported("an empty node"),
            b'-' | b':' | b'#' | b'%' | b'@' | b'`' => {
                return self.syntax("a plain scalar cannot start with this character");
            }
            _ => {}
        }
        let start = self.pos;
        let mut i = self.pos;
        let mut end = self.pos;
        while let Some(&c) = self.b.get(i) {
            match c {
                b',' | b'[' | b']' | b'{' | b'}' | b'\n' | b'\r' => break,
                b':' if self.b.get(i + 1).is_none_or(|&n| is_blank(n) || is_flow(n)) => {
                    break;
                }
                b'#' if i
                    .checked_sub(1)
                    .and_then(|j| self.b.get(j))
                    .is_some_and(|&p| p == b' ' || p == b'\t') =>
                {
                    break;
                }
                b' ' | b'\t' => i += 1,
                0 => {
                    self.pos = i;
                    return self.unsupported("a NUL character");
                }
                0xEF if self.b.get(i..i + 3) == Some("\u{FEFF}".as_bytes()) => {
                    self.pos = i;
                    return self.unsupported("a byte order mark inside the document");
                }
                _ => {
                    i += 1;
                    end = i;
                }
            }
        }
        self.pos = end;
        // A plain scalar may continue on the next line (folded into one):
        // that is saphyr's to read.
        if matches!(self.b.get(i), Some(b'\n' | b'\r')) {
            let save = self.pos;
            self.pos = i;
            self.skip_ws()?;
            let continues = self
                .peek()
                .is_some_and(|c| !matches!(c, b',' | b']' | b'}' | b':'));
            if continues {
                return self.unsupported("a plain scalar over several lines");
            }
            self.pos = save;
        }
        Ok(Cow::Borrowed(self.text.get(start..end).unwrap_or("")))
    }

    fn single_quoted(&mut self) -> Result<Cow<'t, str>, Stop> {
        self.pos += 1;
        let start = self.pos;
        let mut owned: Option<String> = None;
        let mut run = start;
        loop {
            match self.peek() {
                None => return self.syntax("a quoted scalar is not closed"),
                Some(b'\n' | b'\r') => {
                    return self.unsupported("a quoted scalar over several lines");
                }
                Some(0) => return self.unsupported("a NUL character"),
                Some(b'\'') if self.peek_at(1) == Some(b'\'') => {
                    let s = owned.get_or_insert_with(String::new);
                    s.push_str(self.text.get(run..self.pos + 1).unwrap_or(""));
                    self.pos += 2;
                    run = self.pos;
                }
                Some(b'\'') => {
                    let last = self.text.get(run..self.pos).unwrap_or("");
                    self.pos += 1;
                    return Ok(match owned {
                        Some(mut s) => {
                            s.push_str(last);
                            Cow::Owned(s)
                        }
                        None => Cow::Borrowed(last),
                    });
                }
                Some(_) => self.pos += 1,
            }
        }
    }

    fn hex(&mut self, digits: usize) -> Result<u32, Stop> {
        let Some(h) = self
            .text
            .get(self.pos..self.pos + digits)
            .and_then(|h| u32::from_str_radix(h, 16).ok())
            .filter(|_| {
                self.b
                    .get(self.pos..self.pos + digits)
                    .is_some_and(|d| d.iter().all(u8::is_ascii_hexdigit))
            })
        else {
            return self.syntax("an escape needs hexadecimal digits");
        };
        self.pos += digits;
        Ok(h)
    }

    fn double_quoted(&mut self) -> Result<Cow<'t, str>, Stop> {
        self.pos += 1;
        let start = self.pos;
        let mut owned: Option<String> = None;
        let mut run = start;
        loop {
            match self.peek() {
                None => return self.syntax("a quoted scalar is not closed"),
                Some(b'\n' | b'\r') => {
                    return self.unsupported("a quoted scalar over several lines");
                }
                Some(0) => return self.unsupported("a NUL character"),
                Some(b'"') => {
                    let last = self.text.get(run..self.pos).unwrap_or("");
                    self.pos += 1;
                    return Ok(match owned {
                        Some(mut s) => {
                            s.push_str(last);
                            Cow::Owned(s)
                        }
                        None => Cow::Borrowed(last),
                    });
                }
                Some(b'\\') => {
                    let s = owned.get_or_insert_with(String::new);
                    s.push_str(self.text.get(run..self.pos).unwrap_or(""));
                    let esc = self.peek_at(1);
                    self.pos += 2;
                    let c = match esc {
                        Some(b'0') => '\0',
                        Some(b'a') => '\x07',
                        Some(b'b') => '\x08',
                        Some(b't' | b'\t') => '\t',
                        Some(b'n') => '\n',
                        Some(b'v') => '\x0b',
                        Some(b'f') => '\x0c',
                        Some(b'r') => '\r',
                        Some(b'e') => '\x1b',
                        Some(b' ') => ' ',
                        Some(b'"') => '"',
                        Some(b'/') => '/',
                        Some(b'\\') => '\\',
                        Some(b'N') => '\u{85}',
                        Some(b'_') => '\u{a0}',
                        Some(b'L') => '\u{2028}',
                        Some(b'P') => '\u{2029}',
                        Some(b'x') => self.code_point(2)?,
                        Some(b'u') => self.code_point(4)?,
                        Some(b'U') => self.code_point(8)?,
                        Some(b'\n' | b'\r') => {
                            return self.unsupported("a quoted scalar over several lines");
                        }
                        _ => {
                            self.pos -= 2;
                            return self.syntax("an unknown escape in a double-quoted scalar");
                        }
                    };
                    if let Some(s) = owned.as_mut() {
                        s.push(c);
                    }
                    run = self.pos;
                }
                Some(_) => self.pos += 1,
            }
        }
    }

    /// The character of a `\x`, `\u` or `\U` escape (the cursor after the
    /// letter); a `\u` high surrogate takes the `\u` low surrogate after it,
    /// as in JSON.
    fn code_point(&mut self, digits: usize) -> Result<char, Stop> {
        let at = self.pos;
        let code = self.hex(digits)?;
        if digits == 4 && (0xD800..0xDC00).contains(&code) {
            if self.peek() == Some(b'\\') && self.peek_at(1) == Some(b'u') {
                self.pos += 2;
                let low = self.hex(4)?;
                if (0xDC00..0xE000).contains(&low) {
                    let c = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
                    if let Some(c) = char::from_u32(c) {
                        return Ok(c);
                    }
                }
            }
            self.pos = at;
            return self.syntax("a \\u escape of a high surrogate without its low surrogate");
        }
        match char::from_u32(code) {
            Some(c) => Ok(c),
            None => {
                self.pos = at;
                self.syntax("an escape of something that is not a Unicode character")
            }
        }
    }
}
