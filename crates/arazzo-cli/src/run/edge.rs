//! The output edge of `arazzo-run run`: every byte the command writes — the
//! progress and summary on standard output, the JSON report, the messages
//! on standard error, the `--report`, `--junit` and `--har` files — leaves through a
//! [`Masked`] writer made here, and nowhere else (a test checks that no
//! other file of `run/` opens an output).
//!
//! A [`Masked`] writer holds what is written until it is flushed, then
//! masks it with the run's [`Secrets`] — the set the engine's run fills as
//! it learns secrets (OAuth2 tokens, secret inputs), shared through
//! [`arazzo_engine::Credentials::with_shared_secrets`] — so whatever a
//! message, a report or a future output holds, no secret leaves in any of
//! the encodings masking knows. The engine masks its reports and events
//! too; this pass is the one that cannot be forgotten.
//!
//! Text for a terminal is also made harmless: control characters (C0 but
//! newline and tab, DEL, C1) and bidirectional overrides are written
//! visibly as `\u{1b}`; the only escape sequences that pass are colour
//! (SGR) sequences, and only when colour is on. JSON output gets DEL, C1 and
//! bidirectional overrides as `\u00XX` escapes (C0 are escaped already).

use std::borrow::Cow;
use std::io::{self, IsTerminal, Write};

use arazzo_engine::Secrets;
use serde_json::Value;

/// What besides masking makes text safe where it goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Net {
    /// A terminal (or a log that ends on one): control characters made
    /// visible; colour sequences kept when `color` is on.
    Terminal {
        /// Whether colour (SGR) sequences may pass.
        color: bool,
    },
    /// JSON: DEL, C1 and bidirectional overrides as `\u00XX` escapes; if
    /// masking the text would break its structure, the values are masked
    /// one by one instead.
    Json,
    /// Masking only (the JUnit file, which escapes for XML itself).
    Plain,
}

/// The output edge of one run: the secrets to mask every output with.
#[derive(Debug, Clone, Default)]
pub struct Edge {
    secrets: Secrets,
}

impl Edge {
    /// An edge with no secrets yet.
    pub fn new() -> Edge {
        Edge::default()
    }

    /// The set outputs are masked with; add to it, or share it with the run
    /// (clones share the set).
    pub fn secrets(&self) -> Secrets {
        self.secrets.clone()
    }

    /// `text` masked, for text handed to something that writes it itself
    /// (the spinner).
    pub fn mask(&self, text: &str) -> String {
        self.secrets.mask(text)
    }

    /// Standard output, for people.
    pub fn stdout(&self, color: bool) -> Masked<io::Stdout> {
        self.writer(io::stdout(), Net::Terminal { color })
    }

    /// Standard output, for the JSON report.
    pub fn stdout_json(&self) -> Masked<io::Stdout> {
        self.writer(io::stdout(), Net::Json)
    }

    /// Standard error (colour stripped by `anstream` where it is off).
    pub fn stderr(&self) -> Masked<anstream::Stderr> {
        self.writer(
            anstream::stderr(),
            Net::Terminal {
                color: stderr_color(),
            },
        )
    }

    /// Writes `text` to the file at `path`, masked and made safe per `net`.
    pub fn write_file(&self, path: &str, text: &str, net: Net) -> io::Result<()> {
        let mut w = self.writer(std::fs::File::create(path)?, net);
        w.write_all(text.as_bytes())?;
        w.flush()
    }

    fn writer<W: Write>(&self, inner: W, net: Net) -> Masked<W> {
        Masked {
            inner,
            secrets: self.secrets.clone(),
            net,
            buf: Vec::new(),
        }
    }
}

/// Whether standard output is a terminal.
pub fn stdout_is_terminal() -> bool {
    io::stdout().is_terminal()
}

/// Whether standard error gets colour.
pub fn stderr_color() -> bool {
    crate::output::color_enabled(io::stderr().is_terminal())
}

/// A writer that masks, and makes safe, what it writes when it is flushed
/// (and when it is dropped). Flush after each message: a secret split
/// between two flushes would not be found.
pub struct Masked<W: Write> {
    inner: W,
    secrets: Secrets,
    net: Net,
    buf: Vec<u8>,
}

impl<W: Write> Write for Masked<W> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if !self.buf.is_empty() {
            let bytes = std::mem::take(&mut self.buf);
            let text = String::from_utf8_lossy(&bytes);
            let out = safe(&self.secrets, self.net, &text);
            self.inner.write_all(out.as_bytes())?;
        }
        self.inner.flush()
    }
}

impl<W: Write> Drop for Masked<W> {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

/// `text` masked with `secrets` and made safe for `net`.
fn safe(secrets: &Secrets, net: Net, text: &str) -> String {
    let masked = secrets.mask(text);
    match net {
        Net::Terminal { color } => escape_controls(&masked, true, color).into_owned(),
        Net::Plain => masked,
        Net::Json => {
            let broken = masked != text
                && serde_json::from_str::<serde::de::IgnoredAny>(&masked).is_err()
                && serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok();
            let masked = match serde_json::from_str::<Value>(text) {
                // A secret matched across the structure (its quotes): mask
                // the values one by one, which keeps the structure.
                Ok(v) if broken => {
                    let v = secrets.mask_value(&v);
                    let mut s = serde_json::to_string_pretty(&v).unwrap_or_default();
                    if text.ends_with('\n') {
                        s.push('\n');
                    }
                    s
                }
                _ => masked,
            };
            json_escape_controls(&masked).into_owned()
        }
    }
}

/// A single line of server or document text for a terminal: every control
/// character (newline and tab too) and bidirectional override visible.
pub fn clean_line(s: &str) -> Cow<'_, str> {
    escape_controls(s, false, false)
}

/// A block of server text (a body) for a terminal: like [`clean_line`], but
/// newlines and tabs stay.
pub fn clean_block(s: &str) -> Cow<'_, str> {
    escape_controls(s, true, false)
}

/// Every string in `v` made safe with [`clean_line`], or with
/// [`clean_block`] under a key named in `blocks`.
pub fn clean_value(v: &mut Value, blocks: &[&str]) {
    match v {
        Value::String(s) => {
            if let Cow::Owned(c) = clean_line(s) {
                *s = c;
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|x| clean_value(x, blocks)),
        Value::Object(m) => {
            let keys: Vec<String> = m.keys().cloned().collect();
            for k in keys {
                let clean_key = clean_line(&k).into_owned();
                let Some(mut x) = m.shift_remove(&k) else {
                    continue;
                };
                match &mut x {
                    Value::String(s) if blocks.contains(&k.as_str()) => {
                        if let Cow::Owned(c) = clean_block(s) {
                            *s = c;
                        }
                    }
                    other => clean_value(other, blocks),
                }
                m.insert(clean_key, x);
            }
        }
        _ => {}
    }
}

/// Whether a terminal must not get `c` as it is: control characters (C0,
/// DEL, C1) and the bidirectional formatting characters that reorder what
/// is shown.
fn unsafe_char(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// `s` with unsafe characters written as `\u{…}`; `lines` keeps newlines
/// and tabs, `color` keeps SGR sequences (`ESC [ digits ; … m`).
fn escape_controls(s: &str, lines: bool, color: bool) -> Cow<'_, str> {
    if !s.chars().any(unsafe_char) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    let mut rest = s;
    while let Some(c) = rest.chars().next() {
        if color
            && c == '\x1b'
            && let Some(n) = sgr_len(rest)
        {
            out.push_str(&rest[..n]);
            rest = &rest[n..];
            continue;
        }
        if unsafe_char(c) && !(lines && matches!(c, '\n' | '\t')) {
            out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
        } else {
            out.push(c);
        }
        rest = &rest[c.len_utf8()..];
    }
    Cow::Owned(out)
}

/// The length of the SGR sequence `s` starts with, if it starts with one.
fn sgr_len(s: &str) -> Option<usize> {
    let params = s.strip_prefix("\x1b[")?;
    let n = params
        .find(|c: char| !(c.is_ascii_digit() || c == ';' || c == ':'))
        .filter(|&i| params[i..].starts_with('m'))?;
    Some(2 + n + 1)
}

/// JSON text with DEL, C1 and bidirectional overrides as `\u00XX` escapes:
/// those can only stand inside strings, where the escape means the same.
fn json_escape_controls(s: &str) -> Cow<'_, str> {
    if !s.chars().any(unsafe_char) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        // C0 and whitespace between tokens are JSON's own business.
        if unsafe_char(c) && u32::from(c) >= 0x7f {
            out.push_str(&format!("\\u{:04x}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn edge(secrets: &[&str]) -> Edge {
        let e = Edge::new();
        let mut s = e.secrets();
        secrets.iter().for_each(|x| s.add(x));
        e
    }

    fn through(e: &Edge, net: Net, text: &str) -> String {
        let mut out = Vec::new();
        {
            let mut w = e.writer(&mut out, net);
            w.write_all(text.as_bytes()).unwrap();
        }
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn writers_mask_when_flushed_or_dropped() {
        let e = edge(&["p@ss word"]);
        let mut out = Vec::new();
        {
            let mut w = e.writer(&mut out, Net::Plain);
            write!(w, "a p@ss").unwrap();
            writeln!(w, " word b").unwrap();
            w.flush().unwrap();
            write!(w, "c p%40ss+word").unwrap();
        }
        assert_eq!(String::from_utf8(out).unwrap(), "a **** b\nc ****");
    }

    #[test]
    fn terminals_see_control_characters_visibly_and_only_our_colours() {
        let e = edge(&[]);
        let evil = "a\x1b]0;title\x07b\x1b[2Jc\u{9b}31md\x7fe\rf\u{202e}g\n\th\x1b[1;31mi\x1b[0m";
        assert_eq!(
            through(&e, Net::Terminal { color: false }, evil),
            "a\\u{1b}]0;title\\u{7}b\\u{1b}[2Jc\\u{9b}31md\\u{7f}e\\u{d}f\\u{202e}g\n\th\\u{1b}[1;31mi\\u{1b}[0m"
        );
        let colored = through(&e, Net::Terminal { color: true }, evil);
        assert!(colored.ends_with("h\x1b[1;31mi\x1b[0m"), "{colored}");
        assert!(
            colored.starts_with("a\\u{1b}]0;title\\u{7}b\\u{1b}[2Jc"),
            "{colored}"
        );
        assert_eq!(clean_line("a\nb\tc"), "a\\u{a}b\\u{9}c");
        assert_eq!(clean_block("a\nb\tc\x1b"), "a\nb\tc\\u{1b}");
    }

    #[test]
    fn json_stays_json() {
        let e = edge(&["a\",\"b"]);
        let text = "{\"x\": [\"a\",\"b\"], \"y\": \"a\\\",\\\"b \u{9b}\"}\n";
        let out = through(&e, Net::Json, text);
        let v: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["y"], "**** \u{9b}");
        assert!(out.contains("\\u009b"), "{out}");
        assert!(!out.contains('\u{9b}'));
    }

    #[test]
    fn cleaning_values_keeps_bodies_multiline() {
        let mut v = serde_json::json!({"body": "a\nb\x1b", "id\x1b": ["x\ny"]});
        clean_value(&mut v, &["body"]);
        assert_eq!(
            v,
            serde_json::json!({"body": "a\nb\\u{1b}", "id\\u{1b}": ["x\\u{a}y"]})
        );
    }

    /// Every output of `run/` goes through this file: no other file opens
    /// standard output, standard error or a file to write.
    #[test]
    fn no_other_file_of_run_writes_output() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/run");
        let forbidden = [
            "io::stdout(",
            "io::stderr(",
            "anstream::stdout(",
            "anstream::stderr(",
            "println!",
            "print!(",
            "eprint",
            "dbg!",
            "fs::write",
            "File::create",
            "OpenOptions",
        ];
        let mut checked = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.file_name().is_some_and(|n| n == "edge.rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for f in forbidden {
                assert!(
                    !text.contains(f),
                    "{} uses `{f}`: write through run/edge.rs",
                    path.display()
                );
            }
            checked += 1;
        }
        assert!(checked >= 6, "{checked}");
    }
}
