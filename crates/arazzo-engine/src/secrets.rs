//! Masking secrets: credentials, fetched tokens, and inputs whose schema
//! says `format: password` or `writeOnly: true` never appear in events,
//! reports, logs or anything an embedder prints with [`Secrets::mask`] —
//! they are replaced by `****`.
//!
//! A secret is found **by value, in every encoding a request, a response or
//! a report may carry it in**, character by character. Each character of a
//! secret may appear
//!
//! - as itself;
//! - percent-encoded (its UTF-8 bytes as `%XX`, hex in either case, also
//!   encoded twice as `%25XX`), so every percent-encoding set — and any mix
//!   of encoded and plain characters — is covered; a space also as `+`
//!   (HTML forms);
//! - JSON-escaped: `\uXXXX` (hex in either case, surrogate pairs above the
//!   BMP) or the short escapes `\"`, `\\`, `\/`, `\b`, `\f`, `\n`, `\r`,
//!   `\t`, with the backslash itself escaped again any number of times (a
//!   JSON text quoted in a JSON string);
//! - as an XML character reference (`&#233;`, `&#xE9;`) or entity (`&quot;`,
//!   `&amp;`, `&lt;`, `&gt;`, `&apos;`).
//!
//! Besides, the base64 encodings (standard and URL-safe, with or without
//! padding, `+`, `/` and `=` also percent-encoded, and at the three
//! alignments a secret can have inside a longer base64 text) of every secret of at most [`MAX_BASE64_LEN`] bytes and of
//! HTTP Basic's `user:password` pairs are secrets too, as is the pair itself.
//!
//! A secret cut short — a prefix of [`MIN_LEN`] characters or more
//! immediately before the `…` with which reports and events mark a cut
//! text — is masked too, so truncating a body or a quoted value cannot
//! reveal the first part of a secret.
//!
//! Matching uses the [`regex`] crate (finite automata, no backtracking:
//! linear in the text). One pass of a [`RegexSet`] of the texts' first
//! [`MIN_LEN`] characters tells which texts may be present; only their full
//! patterns then run, longest text first. A full pattern is compiled once,
//! the first time its head is seen, and kept by every holder of the set, so
//! adding a secret costs only the small set's rebuild. Secrets shorter than
//! [`MIN_LEN`] characters are masked only where a whole value equals them
//! (in any of their encodings).
//!
//! [`Secrets`] is a handle: clones share one set, so what a run learns (a
//! token, a secret input) is masked by every holder of the set — the
//! command line masks every byte it writes with the set its run fills.

use std::borrow::Cow;
use std::sync::{Arc, OnceLock, PoisonError, RwLock};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use memchr::memmem;
use regex::{Regex, RegexBuilder, RegexSet, RegexSetBuilder};
use serde_json::Value;

/// What replaces a secret.
pub const MASK: &str = "****";

/// Secrets shorter than this many characters are masked only where a whole
/// value equals them: masking `a` inside every message would destroy the
/// messages and reveal, by the holes, what the secret is. Output that is
/// not a single value (the command line's output) has no such whole values,
/// so secrets that short are not masked there.
pub const MIN_LEN: usize = 4;

/// Secrets longer than this many bytes are not looked for in base64:
/// tokens of kilobytes (JWTs) would make the pattern large and no request
/// carries them base64-encoded.
pub const MAX_BASE64_LEN: usize = 512;

/// The shortest base64 fragment looked for inside a longer base64 text: a
/// shorter one would mask unrelated base64 by chance.
const MIN_BASE64_FRAGMENT: usize = 8;

/// The mark with which reports and events end a cut text.
const CUT: char = '…';

/// The secrets of one run (or of everything that shares the set).
#[derive(Clone, Default)]
pub struct Secrets {
    set: Arc<RwLock<Set>>,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.snapshot().texts.len();
        write!(f, "Secrets({n} forms held)")
    }
}

/// The current texts. A new snapshot replaces the old one when a text is
/// added, so masking works without holding a lock.
#[derive(Default)]
struct Set {
    snapshot: Arc<Snapshot>,
}

/// The texts to find, longest first, and the set of their first characters.
#[derive(Default)]
struct Snapshot {
    texts: Vec<Arc<Text>>,
    /// One pattern per text: its first [`MIN_LEN`] characters in every
    /// encoding (a short text's whole pattern, anchored). One pass over a
    /// text tells which texts may be in it; only their full patterns run,
    /// and a full pattern is compiled only once its head has been seen.
    /// `None` when it could not be built: then every full pattern runs.
    heads: OnceLock<Option<RegexSet>>,
    /// Whether a secret (or a derived form) holds a space, which a plain
    /// text may carry as `+`: then [`Snapshot::mask_plain`] leaves every
    /// text to the patterns.
    spaced: bool,
}

impl Snapshot {
    fn heads(&self) -> Option<&RegexSet> {
        self.heads
            .get_or_init(|| {
                RegexSetBuilder::new(self.texts.iter().map(|t| t.head_pattern()))
                    .size_limit(256 << 20)
                    .dfa_size_limit(16 << 20)
                    .build()
                    .ok()
            })
            .as_ref()
    }

    /// `text` masked with every text, longest first.
    ///
    /// A text's full pattern — every encoding, a cut form — is a large
    /// automaton whose construction cost most of a short run's time, while
    /// a secret nearly always appears, if at all, as itself. So occurrences
    /// of the text as written are replaced first, and the full pattern is
    /// built and run only where the text's head (its first [`MIN_LEN`]
    /// characters in every encoding, which every match of the full pattern
    /// begins with) is still present after that.
    fn mask(&self, text: &str) -> String {
        self.mask_cow(text).into_owned()
    }

    /// [`Snapshot::mask`], borrowing `text` back when nothing in it is a
    /// secret (the usual case: no copy).
    fn mask_cow<'t>(&self, text: &'t str) -> Cow<'t, str> {
        if self.texts.is_empty() {
            return Cow::Borrowed(text);
        }
        if let Some(masked) = self.mask_plain(text) {
            return masked;
        }
        let Some(set) = self.heads() else {
            return Cow::Owned(self.mask_slowly(text));
        };
        let candidates = set.matches(text);
        if !candidates.matched_any() {
            return Cow::Borrowed(text);
        }
        let mut out = Cow::Borrowed(text);
        for i in candidates.iter() {
            let Some(t) = self.texts.get(i) else { continue };
            if !t.long {
                // A short text's head pattern is its whole pattern, anchored:
                // the set has matched the whole value.
                return Cow::Owned(MASK.to_string());
            }
            if let Some(replaced) = t.replace_literally(&out) {
                out = Cow::Owned(replaced);
                if !set.matches(&out).matched(i) {
                    continue;
                }
            }
            if let Some(masked) = t.matcher().replace(&out) {
                out = Cow::Owned(masked);
            }
        }
        out
    }

    /// `text` masked without any automaton, when `text` is *plain*: it holds
    /// no `%`, `\\`, `&` or `…`, the bytes every encoded or cut form of a
    /// character needs except three — `+` for a space, and `-` and `_` for
    /// base64's `+` and `/` in the URL-safe alphabet. In a plain text a
    /// secret can only appear as itself, and a base64 form as itself in
    /// either alphabet, which is what this finds, with the patterns' rules
    /// (leftmost first, longest text first; a whole base64 encoding with its
    /// last character and padding when present). Most texts are plain (JSON
    /// bodies, URLs, headers without escapes), and building the automata is
    /// most of what masking costs a short run.
    ///
    /// `None` when `text` is not plain, or when a secret holds a space
    /// (which a plain text may carry as `+`): the patterns decide.
    fn mask_plain<'t>(&self, text: &'t str) -> Option<Cow<'t, str>> {
        if text.contains(['%', '\\', '&', CUT]) {
            return None;
        }
        if self.spaced {
            return None;
        }
        // A short text is masked only as the whole value.
        for t in self.texts.iter().filter(|t| !t.long) {
            let whole = match t.kind {
                Kind::Secret | Kind::Derived => t.text == text,
                Kind::Base64 | Kind::Base64Fragment => {
                    t.base64_end(&url_safe_as_standard(text), 0) == Some(text.len())
                }
            };
            if whole {
                return Some(Cow::Owned(MASK.to_string()));
            }
        }
        let mut out = Cow::Borrowed(text);
        for t in self
            .texts
            .iter()
            .filter(|t| t.long && t.finder.needle().len() <= text.len())
        {
            let replaced = match t.kind {
                Kind::Secret | Kind::Derived => t.replace_literally(&out),
                Kind::Base64 | Kind::Base64Fragment => t.replace_base64(&out),
            };
            if let Some(r) = replaced {
                out = Cow::Owned(r);
            }
        }
        Some(out)
    }

    /// [`Snapshot::mask`] without the head set (which could not be built):
    /// every full pattern runs.
    fn mask_slowly(&self, text: &str) -> String {
        let mut out = Cow::Borrowed(text);
        for t in &self.texts {
            if !t.long {
                if t.matcher().is_whole(text) {
                    return MASK.to_string();
                }
            } else if let Some(masked) = t.matcher().replace(&out) {
                out = Cow::Owned(masked);
            }
        }
        out.into_owned()
    }

    /// Masks `v` where it stands: only the strings that hold a secret are
    /// replaced, nothing else is copied.
    fn mask_in_place(&self, v: &mut Value) {
        match v {
            Value::String(s) => {
                if let Cow::Owned(masked) = self.mask_cow(s)
                    && masked != *s
                {
                    *s = masked;
                }
            }
            Value::Number(n) => {
                let text = n.to_string();
                if let Cow::Owned(masked) = self.mask_cow(&text)
                    && masked != text
                {
                    *v = Value::String(masked);
                }
            }
            Value::Array(a) => a.iter_mut().for_each(|x| self.mask_in_place(x)),
            Value::Object(m) => {
                m.values_mut().for_each(|x| self.mask_in_place(x));
                if m.keys()
                    .any(|k| matches!(self.mask_cow(k), Cow::Owned(masked) if masked != *k))
                {
                    *m = std::mem::take(m)
                        .into_iter()
                        .map(|(k, x)| (self.mask(&k), x))
                        .collect();
                }
            }
            _ => {}
        }
    }
}

/// One text to find in every encoding, with its matcher once built.
struct Text {
    text: String,
    kind: Kind,
    matcher: OnceLock<Matcher>,
    /// Whether it is masked inside longer text (at least [`MIN_LEN`]
    /// characters; else only as a whole value).
    long: bool,
    /// Finds what a plain text must contain: the text itself, or for a
    /// whole base64 encoding the characters made only of its bits.
    finder: memmem::Finder<'static>,
}

/// What a text is, which decides its pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A secret itself: found in every encoding, and cut short before `…`.
    Secret,
    /// A form derived from one (a `user:password` pair): every encoding.
    Derived,
    /// A whole base64 encoding (standard or URL-safe): its last character
    /// may differ or be missing, and padding may follow.
    Base64,
    /// A base64 fragment at another alignment, found inside longer base64.
    Base64Fragment,
}

impl Text {
    fn new(text: String, kind: Kind) -> Text {
        let needle = match kind {
            Kind::Base64 => text.get(..base64_core_len(&text)).unwrap_or(&text),
            _ => text.as_str(),
        };
        let finder = memmem::Finder::new(needle.as_bytes()).into_owned();
        Text {
            long: text.chars().count() >= MIN_LEN,
            text,
            kind,
            matcher: OnceLock::new(),
            finder,
        }
    }

    /// `text` with the occurrences of the text as written replaced, as its
    /// full pattern would replace them (a whole base64 encoding with the
    /// padding after it), or `None` when there is none.
    fn replace_literally(&self, text: &str) -> Option<String> {
        if text.len() < self.text.len() {
            return None;
        }
        let find = |hay: &str| match self.kind {
            Kind::Base64 => hay.find(self.text.as_str()),
            _ => self.finder.find(hay.as_bytes()),
        };
        let first = find(text)?;
        let mut out = String::with_capacity(text.len());
        out.push_str(text.get(..first)?);
        let mut rest = text.get(first..)?;
        while let Some(at) = find(rest) {
            out.push_str(rest.get(..at)?);
            out.push_str(MASK);
            rest = rest.get(at + self.text.len()..)?;
            if self.kind == Kind::Base64 {
                for _ in 0..2 {
                    let pad = ["=", "%3d", "%3D"]
                        .into_iter()
                        .find(|p| rest.starts_with(p));
                    match pad {
                        Some(p) => rest = rest.get(p.len()..)?,
                        None => break,
                    }
                }
            }
        }
        out.push_str(rest);
        Some(out)
    }

    /// Where a match of a base64 text starting at `at` of `norm` (a plain
    /// text in the standard alphabet, see [`url_safe_as_standard`]) ends, by
    /// its pattern: the characters made only of the text's bits, then its
    /// last character and up to two `=` when they follow (a whole encoding);
    /// the fragment itself (a fragment).
    fn base64_end(&self, norm: &str, at: usize) -> Option<usize> {
        let core = self.finder.needle().len();
        let (core_text, last) = self.text.split_at(core);
        let rest = norm.get(at..)?;
        if !rest.starts_with(core_text) {
            return None;
        }
        let mut end = at + core;
        if self.kind != Kind::Base64 {
            return Some(end);
        }
        let after = norm.get(end..).unwrap_or("");
        if last.is_empty() || after.starts_with(last) {
            end += last.len();
            let pads = norm
                .get(end..)
                .unwrap_or("")
                .bytes()
                .take(2)
                .take_while(|&b| b == b'=')
                .count();
            end += pads;
        }
        Some(end)
    }

    /// `text` (plain) with every match of a base64 text replaced, leftmost
    /// first, or `None` when there is none.
    fn replace_base64(&self, text: &str) -> Option<String> {
        let needle = self.finder.needle();
        if needle.is_empty() || text.len() < needle.len() {
            return None;
        }
        let norm = url_safe_as_standard(text);
        let mut out = String::new();
        let mut done = 0;
        let mut from = 0;
        while let Some(found) = norm
            .as_bytes()
            .get(from..)
            .and_then(|r| self.finder.find(r))
        {
            let at = from + found;
            let end = self.base64_end(&norm, at)?;
            out.push_str(text.get(done..at)?);
            out.push_str(MASK);
            done = end;
            from = end;
        }
        if done == 0 && out.is_empty() {
            return None;
        }
        out.push_str(text.get(done..)?);
        Some(out)
    }

    fn matcher(&self) -> &Matcher {
        self.matcher.get_or_init(|| Matcher::build(self))
    }

    /// The pattern of its first [`MIN_LEN`] characters (of a short text:
    /// all of it, as a whole value).
    fn head_pattern(&self) -> String {
        if !self.long {
            return format!("^(?:{})$", self.pattern());
        }
        let head = self.text.chars().take(MIN_LEN);
        match self.kind {
            Kind::Secret | Kind::Derived => {
                format!("(?-u:{})", head.map(char_pattern).collect::<String>())
            }
            // The last character of a whole encoding may differ.
            Kind::Base64 => head
                .take(base64_core_len(&self.text))
                .map(base64_char)
                .collect(),
            Kind::Base64Fragment => head.map(base64_char).collect(),
        }
    }

    /// The pattern matching the text in every encoding.
    fn pattern(&self) -> String {
        match self.kind {
            Kind::Secret | Kind::Derived => {
                format!(
                    "(?-u:{})",
                    self.text.chars().map(char_pattern).collect::<String>()
                )
            }
            Kind::Base64 => {
                // The characters made only of the text's bits, then the last
                // one (whose low bits depend on what follows), then padding.
                let (core, last) = self.text.split_at(base64_core_len(&self.text));
                let core: String = core.chars().map(base64_char).collect();
                let last: String = last.chars().map(base64_char).collect();
                if last.is_empty() {
                    format!("{core}(?:=|%3[dD]){{0,2}}")
                } else {
                    format!("{core}(?:{last}(?:=|%3[dD]){{0,2}})?")
                }
            }
            Kind::Base64Fragment => self.text.chars().map(base64_char).collect(),
        }
    }
}

impl Secrets {
    /// An empty set.
    pub fn new() -> Secrets {
        Secrets::default()
    }

    fn snapshot(&self) -> Arc<Snapshot> {
        self.set
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .snapshot
            .clone()
    }

    /// A set of its own that starts with what this one holds now: later
    /// additions to either are not seen by the other, while the patterns
    /// already compiled are shared (a run forks its credentials' set rather
    /// than compiling the same patterns again).
    pub fn fork(&self) -> Secrets {
        Secrets {
            set: Arc::new(RwLock::new(Set {
                snapshot: self.snapshot(),
            })),
        }
    }

    /// Whether the set holds no secret.
    pub fn is_empty(&self) -> bool {
        self.snapshot().texts.is_empty()
    }

    /// Adds a secret, with its base64 forms. Takes `&mut self` though the set
    /// is shared, so that code filling a set shows it.
    pub fn add(&mut self, secret: &str) {
        if secret.is_empty() {
            return;
        }
        let mut texts = vec![(secret.to_string(), Kind::Secret)];
        texts.extend(base64_forms(secret.as_bytes()));
        self.insert(texts);
    }

    /// Adds HTTP Basic credentials: the password, the `user:password` pair
    /// and the pair's base64 forms — also of the pair with both parts
    /// form-encoded first, as OAuth2 `client_secret_basic` sends it.
    pub fn add_basic(&mut self, user: &str, password: &str) {
        self.add(password);
        let form = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
        let mut texts = Vec::new();
        for pair in [
            format!("{user}:{password}"),
            format!("{}:{}", form(user), form(password)),
        ] {
            texts.extend(base64_forms(pair.as_bytes()));
            texts.push((pair, Kind::Derived));
        }
        self.insert(texts);
    }

    fn insert(&mut self, texts: Vec<(String, Kind)>) {
        let mut set = self.set.write().unwrap_or_else(PoisonError::into_inner);
        let old = &set.snapshot.texts;
        let mut list: Vec<Arc<Text>> = old.clone();
        let before = list.len();
        for (text, kind) in texts {
            match list.iter().position(|t| t.text == text) {
                // A secret that was only a derived form becomes a secret.
                Some(i) if kind == Kind::Secret && list[i].kind != Kind::Secret => {
                    list[i] = Arc::new(Text::new(text, kind));
                }
                Some(_) => {}
                None => list.push(Arc::new(Text::new(text, kind))),
            }
        }
        if list.len() != before || list.iter().zip(old).any(|(a, b)| !Arc::ptr_eq(a, b)) {
            // Longest first: where two secrets start at the same place, the
            // one that contains the other is masked whole.
            list.sort_by_key(|t| std::cmp::Reverse(t.text.chars().count()));
            let spaced = list
                .iter()
                .any(|t| matches!(t.kind, Kind::Secret | Kind::Derived) && t.text.contains(' '));
            set.snapshot = Arc::new(Snapshot {
                texts: list,
                heads: OnceLock::new(),
                spaced,
            });
        }
    }

    /// Adds every string (and number) inside `v`.
    pub fn add_value(&mut self, v: &Value) {
        match v {
            Value::String(s) => self.add(s),
            Value::Number(n) => self.add(&n.to_string()),
            Value::Array(a) => a.iter().for_each(|x| self.add_value(x)),
            Value::Object(m) => m.values().for_each(|x| self.add_value(x)),
            _ => {}
        }
    }

    /// `text` with every secret, in every encoding, replaced by `****`.
    pub fn mask(&self, text: &str) -> String {
        self.snapshot().mask(text)
    }

    /// `v` with every secret inside every string (and object key) replaced;
    /// a number that is a secret becomes the string `****`.
    pub fn mask_value(&self, v: &Value) -> Value {
        self.mask_owned(v.clone())
    }

    /// [`Secrets::mask_value`] of a value the caller gives away: masked where
    /// it stands, so that only what holds a secret is copied.
    pub fn mask_owned(&self, mut v: Value) -> Value {
        let snapshot = self.snapshot();
        if !snapshot.texts.is_empty() {
            snapshot.mask_in_place(&mut v);
        }
        v
    }

    /// Headers with secrets masked; credential-bearing headers are masked
    /// whole except for their scheme word (`Bearer ****`).
    pub fn mask_headers(&self, headers: &[(String, String)]) -> Vec<(String, String)> {
        let snapshot = self.snapshot();
        headers
            .iter()
            .map(|(n, v)| {
                let lower = n.to_ascii_lowercase();
                let masked = if matches!(lower.as_str(), "authorization" | "proxy-authorization") {
                    match v.split_once(' ') {
                        Some((scheme, _)) => format!("{} {MASK}", snapshot.mask(scheme)),
                        None => MASK.to_string(),
                    }
                } else {
                    snapshot.mask(v)
                };
                (snapshot.mask(n), masked)
            })
            .collect()
    }
}

/// Of an unpadded base64 text, how many characters hold only bits of the
/// encoded bytes (the last one may also hold padding bits).
fn base64_core_len(text: &str) -> usize {
    let bytes = text.len() * 3 / 4;
    (bytes * 4 / 3).min(text.len())
}

/// The base64 forms of `bytes` worth looking for: the whole encoding, and
/// the fragments that do not depend on the neighbouring bytes at the other
/// alignments inside a longer base64 text. Written in the standard
/// alphabet; their patterns match the URL-safe one too.
fn base64_forms(bytes: &[u8]) -> Vec<(String, Kind)> {
    let mut out = Vec::new();
    if bytes.len() > MAX_BASE64_LEN {
        return out;
    }
    out.push((STANDARD_NO_PAD.encode(bytes), Kind::Base64));
    for shift in 1..3usize {
        let mut shifted = vec![0u8; shift];
        shifted.extend_from_slice(bytes);
        let enc = STANDARD_NO_PAD.encode(&shifted);
        // Characters made only of the text's bits.
        let start = (8 * shift).div_ceil(6);
        let end = 8 * shifted.len() / 6;
        if let Some(core) = enc.get(start..end)
            && core.len() >= MIN_BASE64_FRAGMENT
        {
            out.push((core.to_string(), Kind::Base64Fragment));
        }
    }
    out
}

/// The compiled pattern of one text.
enum Matcher {
    /// Finds the text anywhere (long texts) or as a whole value (short ones).
    Regex(Regex),
    /// When the pattern could not be built (too large): the text and its
    /// commonest encodings, replaced literally. Never nothing.
    Literals(Vec<String>),
}

impl Matcher {
    fn build(text: &Text) -> Matcher {
        let pattern = if !text.long {
            format!("^(?:{})$", text.pattern())
        } else if text.kind == Kind::Secret {
            format!("{}|{}", text.pattern(), cut_pattern(&text.text))
        } else {
            text.pattern()
        };
        let built = RegexBuilder::new(&pattern)
            .size_limit(256 << 20)
            .dfa_size_limit(16 << 20)
            .build();
        match built {
            Ok(re) => Matcher::Regex(re),
            Err(_) => Matcher::Literals(literal_forms(&text.text)),
        }
    }

    /// Whether all of `text` is the (short) secret.
    fn is_whole(&self, text: &str) -> bool {
        match self {
            Matcher::Regex(re) => re.is_match(text),
            Matcher::Literals(l) => l.iter().any(|l| l == text),
        }
    }

    /// `text` masked, or `None` when it does not hold the text.
    fn replace(&self, text: &str) -> Option<String> {
        match self {
            Matcher::Regex(re) => match re.replace_all(text, |c: &regex::Captures<'_>| {
                if c[0].ends_with(CUT) {
                    format!("{MASK}{CUT}")
                } else {
                    MASK.to_string()
                }
            }) {
                Cow::Owned(s) => Some(s),
                Cow::Borrowed(_) => None,
            },
            Matcher::Literals(l) => {
                let mut out = Cow::Borrowed(text);
                for form in l {
                    if out.contains(form.as_str()) {
                        out = Cow::Owned(out.replace(form.as_str(), MASK));
                    }
                }
                match out {
                    Cow::Owned(s) => Some(s),
                    Cow::Borrowed(_) => None,
                }
            }
        }
    }
}

/// The literal fallback: the text raw, percent-encoded (every
/// non-alphanumeric byte), form-encoded and JSON-escaped, longest first.
fn literal_forms(text: &str) -> Vec<String> {
    let json = serde_json::to_string(text).unwrap_or_default();
    let json = json
        .strip_prefix('"')
        .and_then(|j| j.strip_suffix('"'))
        .unwrap_or_default()
        .to_string();
    let mut out: Vec<String> = Vec::new();
    for form in [
        text.to_string(),
        percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string(),
        url::form_urlencoded::byte_serialize(text.as_bytes()).collect(),
        json,
    ] {
        if !form.is_empty() && !out.contains(&form) {
            out.push(form);
        }
    }
    out.sort_by_key(|s| std::cmp::Reverse(s.len()));
    out
}

/// The pattern matching a secret cut short: its first [`MIN_LEN`]
/// characters, then any of its characters, then perhaps the start of a cut
/// escape (`%2`, `\u00`, `&#x`) or a cut character, then `…`.
fn cut_pattern(text: &str) -> String {
    let head: String = text.chars().take(MIN_LEN).map(char_pattern).collect();
    let mut chars: Vec<char> = text.chars().skip(MIN_LEN).collect();
    chars.sort_unstable();
    chars.dedup();
    let tail = if chars.is_empty() {
        String::new()
    } else {
        let alts: Vec<String> = chars.into_iter().map(char_pattern).collect();
        format!("(?:{})*", alts.join("|"))
    };
    // A text cut inside a character ends in U+FFFD (a lossy decoding).
    format!("(?-u:{head}{tail}(?:[\\\\%&#0-9A-Fa-fxXuU]{{0,7}}))\u{FFFD}?{CUT}")
}

/// A backslash as JSON writes it, escaped any number of times.
const BACKSLASHES: &str = r"\\+";

/// The pattern matching one character in every encoding.
fn char_pattern(c: char) -> String {
    let mut buf = [0u8; 4];
    let utf8 = c.encode_utf8(&mut buf);
    let mut alts = vec![regex::escape(utf8)];
    alts.push(
        utf8.bytes()
            .map(|b| format!("%(?:25)?{}", hex(u32::from(b), 2)))
            .collect(),
    );
    if c == ' ' {
        alts.push(r"\+".into());
    }
    let cp = u32::from(c);
    if cp <= 0xFFFF {
        alts.push(format!("{BACKSLASHES}u{}", hex(cp, 4)));
    } else {
        let v = cp - 0x1_0000;
        let (hi, lo) = (0xD800 + (v >> 10), 0xDC00 + (v & 0x3FF));
        alts.push(format!(
            "{BACKSLASHES}u{}{BACKSLASHES}u{}",
            hex(hi, 4),
            hex(lo, 4)
        ));
    }
    let short = match c {
        '"' => Some("\""),
        '\\' => Some(""),
        '/' => Some("/"),
        '\u{8}' => Some("b"),
        '\u{c}' => Some("f"),
        '\n' => Some("n"),
        '\r' => Some("r"),
        '\t' => Some("t"),
        _ => None,
    };
    if let Some(s) = short {
        alts.push(format!("{BACKSLASHES}{}", regex::escape(s)));
    }
    alts.push(format!("&#0*{cp};"));
    alts.push(format!("&#[xX]0*{};", hex(cp, 1)));
    let entity = match c {
        '"' => Some("quot"),
        '&' => Some("amp"),
        '<' => Some("lt"),
        '>' => Some("gt"),
        '\'' => Some("apos"),
        _ => None,
    };
    if let Some(e) = entity {
        alts.push(format!("&{e};"));
    }
    format!("(?:{})", alts.join("|"))
}

/// `text` with the URL-safe base64 alphabet's `-` and `_` read as the
/// standard one's `+` and `/` (byte for byte, so offsets stay the same).
fn url_safe_as_standard(text: &str) -> Cow<'_, str> {
    if !text.contains(['-', '_']) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars()
            .map(|c| match c {
                '-' => '+',
                '_' => '/',
                c => c,
            })
            .collect(),
    )
}

/// The pattern matching one character of standard base64 as either
/// alphabet writes it, plain, percent-encoded or JSON-escaped.
fn base64_char(c: char) -> String {
    match c {
        '+' => r"(?:[+\-]|%2[bB])".into(),
        '/' => r"(?:[/_]|%2[fF]|\\/)".into(),
        c => regex::escape(c.encode_utf8(&mut [0u8; 4])),
    }
}

/// `n` in hex, at least `width` digits, each letter matching either case.
fn hex(n: u32, width: usize) -> String {
    format!("{n:0width$x}")
        .chars()
        .map(|d| {
            if d.is_ascii_alphabetic() {
                format!("[{d}{}]", d.to_ascii_uppercase())
            } else {
                d.to_string()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    fn secrets(values: &[&str]) -> Secrets {
        let mut s = Secrets::new();
        values.iter().for_each(|v| s.add(v));
        s
    }

    #[test]
    fn masks_everywhere() {
        let s = secrets(&["s3cr3t-key", "a b/c"]);
        assert_eq!(s.mask("key=s3cr3t-key&x=1"), "key=****&x=1");
        assert_eq!(s.mask("q=a%20b%2Fc"), "q=****");
        assert_eq!(
            s.mask_value(&json!({"k": ["x s3cr3t-key y"]})),
            json!({"k": ["x **** y"]})
        );
        let h = s.mask_headers(&[
            ("Authorization".into(), "Bearer abc".into()),
            ("X".into(), "s3cr3t-key".into()),
        ]);
        assert_eq!(h[0].1, "Bearer ****");
        assert_eq!(h[1].1, "****");
    }

    #[test]
    fn a_secret_written_as_itself_needs_no_pattern_an_encoded_one_does() {
        let s = secrets(&["tok_0123456789abcdef", "other-secret-value"]);
        let built = |s: &Secrets| {
            s.snapshot()
                .texts
                .iter()
                .filter(|t| t.matcher.get().is_some())
                .count()
        };
        assert_eq!(
            s.mask("{\"token\":\"tok_0123456789abcdef\"}"),
            "{\"token\":\"****\"}"
        );
        assert_eq!(s.mask("nothing here"), "nothing here");
        assert_eq!(built(&s), 0, "only literal occurrences: no automaton built");
        // Both forms in one text: the literal one replaced, then the encoded
        // one found by the full pattern.
        assert_eq!(
            s.mask("a=tok_0123456789abcdef&b=tok%5F0123456789abcdef"),
            "a=****&b=****"
        );
        assert_eq!(built(&s), 1);
        // A whole base64 encoding takes its padding with it.
        let b = secrets(&["user:pa55word"]);
        let enc = base64::engine::general_purpose::STANDARD.encode("user:pa55word");
        assert!(enc.ends_with('='), "{enc}");
        assert_eq!(b.mask(&format!("Basic {enc}")), format!("Basic {MASK}"));
        assert_eq!(b.mask(&format!("x={enc}&y")), format!("x={MASK}&y"));
    }

    /// In a plain text, masking without automata gives what the patterns
    /// give (every text's full pattern, longest first): secrets and their
    /// base64 forms in both alphabets, with and without padding, cut at the
    /// end, glued to each other and to other base64 characters.
    #[test]
    fn plain_texts_are_masked_as_the_patterns_mask_them() {
        use base64::engine::general_purpose::{STANDARD, URL_SAFE, URL_SAFE_NO_PAD};
        let alphabet: Vec<char> = "ab9+/-_=:.Z0".chars().collect();
        // A small deterministic generator: the cases are the same every run.
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        let mut checked = 0;
        for _ in 0..500 {
            let word = |len: usize, next: &mut dyn FnMut(usize) -> usize| {
                (0..len)
                    .map(|_| alphabet[next(alphabet.len())])
                    .collect::<String>()
            };
            let l1 = 1 + next(14);
            let l2 = 1 + next(9);
            let a = word(l1, &mut next);
            let b = word(l2, &mut next);
            let mut s = Secrets::new();
            s.add(&a);
            if next(2) == 0 {
                s.add_basic(&b, &a);
            } else {
                s.add(&b);
            }
            let forms = [
                a.clone(),
                b.clone(),
                STANDARD.encode(&a),
                STANDARD_NO_PAD.encode(&a),
                URL_SAFE.encode(&a),
                URL_SAFE_NO_PAD.encode(format!("{b}:{a}")),
                STANDARD.encode(format!("xy{a}")),
                STANDARD.encode(format!("{b}:{a}")),
            ];
            let mut text = String::new();
            for _ in 0..1 + next(5) {
                match next(3) {
                    0 => text.push_str(&forms[next(forms.len())]),
                    1 => {
                        let f = &forms[next(forms.len())];
                        let cut = next(f.len() + 1);
                        text.push_str(f.get(..cut).unwrap_or(f));
                    }
                    _ => text.push_str(&word(next(6), &mut next)),
                }
            }
            let snapshot = s.snapshot();
            let Some(fast) = snapshot.mask_plain(&text) else {
                continue;
            };
            assert_eq!(
                fast,
                snapshot.mask_slowly(&text),
                "secrets {a:?}, {b:?} in {text:?}"
            );
            checked += 1;
        }
        assert!(checked > 300, "only {checked} plain cases");
    }

    #[test]
    fn masking_in_place_gives_what_masking_a_copy_gives() {
        let s = secrets(&["s3cr3t-key", "123456", "ab"]);
        let v = json!({
            "s3cr3t-key": {"n": 123456, "list": ["x s3cr3t-key y", "ab", "abc", 7]},
            "plain": "nothing",
            "enc": "a%20s3cr3t%2Dkey"
        });
        let masked = s.mask_value(&v);
        assert_eq!(s.mask_owned(v.clone()), masked);
        assert_eq!(masked["****"]["n"], json!("****"), "{masked}");
        assert_eq!(masked["****"]["list"][1], json!("****"));
        assert_eq!(masked["plain"], json!("nothing"));
        assert_eq!(Secrets::new().mask_owned(v.clone()), v);
    }

    #[test]
    fn short_secrets_only_mask_whole_values() {
        let s = secrets(&["ab"]);
        assert_eq!(s.mask("abc"), "abc");
        assert_eq!(s.mask("ab"), "****");
        assert_eq!(s.mask("%61%62"), "****");
    }

    /// Percent-encodings with `_-.~` left plain (RFC 3986, WHATWG URLs) or
    /// encoded, hex in either case, `+` or `%20` for a space: the old
    /// masking knew only the NON_ALPHANUMERIC set in upper case.
    #[test]
    fn percent_and_form_encodings_in_any_mix() {
        let secret = "sk-live_abc.def= p@ss~word#1";
        let s = secrets(&[secret]);
        for encoded in [
            "sk-live_abc.def%3D%20p%40ss~word%231",
            "sk-live_abc.def%3d+p%40ss%7Eword%231",
            "sk%2Dlive%5Fabc%2Edef%3D%20p%40ss%7Eword%231",
            "%73k-live_abc.def=%20p@ss~word#1",
            "sk-live_abc.def%253D%2520p%2540ss~word%25231",
        ] {
            assert_eq!(
                s.mask(&format!("u?k={encoded}&x=1")),
                "u?k=****&x=1",
                "{encoded}"
            );
        }
        let form: String = url::form_urlencoded::byte_serialize(secret.as_bytes()).collect();
        assert_eq!(s.mask(&format!("a=1&k={form}")), "a=1&k=****");
    }

    /// JSON escapes, short and `\uXXXX`, and escaped twice (a JSON text in a
    /// JSON string): the old masking looked only for the raw text.
    #[test]
    fn json_escapes() {
        let secret = "p\"a\\s/s\té€😀x";
        let s = secrets(&[secret]);
        let once = serde_json::to_string(secret).unwrap();
        let twice = serde_json::to_string(&once).unwrap();
        assert_eq!(s.mask(&format!("{{\"k\":{once}}}")), "{\"k\":\"****\"}");
        assert_eq!(s.mask(&twice), "\"\\\"****\\\"\"");
        let ascii = "p\\\"a\\\\s\\/s\\t\\u00E9\\u20ac\\ud83d\\uDE00x";
        assert_eq!(s.mask(ascii), "****");
        assert_eq!(s.mask("p&quot;a\\s/s\t&#233;&#x20AC;😀x"), "****");
    }

    #[test]
    fn base64_forms_alone_in_basic_pairs_and_inside_longer_base64() {
        use base64::engine::general_purpose::{STANDARD, URL_SAFE};
        let mut s = secrets(&["p@ss wörd+/?"]);
        s.add_basic("user", "hunter2-x");
        let alone = STANDARD.encode("p@ss wörd+/?");
        assert_eq!(s.mask(&format!("x {alone} y")), "x **** y");
        assert!(s.mask(&URL_SAFE.encode("p@ss wörd+/?")).starts_with(MASK));
        let basic = STANDARD.encode("user:hunter2-x");
        assert_eq!(s.mask(&format!("Basic {basic}")), "Basic ****");
        for pad in ["", "a", "ab"] {
            let inner = STANDARD.encode(format!("{pad}p@ss wörd+/?, and more"));
            assert!(s.mask(&inner).contains(MASK), "{pad}: {inner}");
        }
        assert_eq!(s.mask("user:hunter2-x"), "****");
    }

    /// Base64 in a URL: `+`, `/` and `=` percent-encoded, or the URL-safe
    /// alphabet; only the head of each text is searched for first, so a
    /// secret whose head is absent costs no full pattern.
    #[test]
    fn base64_in_urls_and_heads_first() {
        use base64::engine::general_purpose::{STANDARD, URL_SAFE};
        let secret = ">>>???-secret-bits";
        let s = secrets(&[secret]);
        let std = STANDARD.encode(secret);
        assert!(std.contains('+') && std.contains('/'), "{std}");
        let encoded = std
            .replace('+', "%2B")
            .replace('/', "%2f")
            .replace('=', "%3D");
        assert_eq!(s.mask(&format!("?t={encoded}&x")), "?t=****&x");
        assert_eq!(
            s.mask(&format!("?t={}&x", URL_SAFE.encode(secret))),
            "?t=****&x"
        );
        let fresh = secrets(&[secret]);
        let _ = fresh.mask("nothing to see, but % and \\ and & and Pj4");
        let set = fresh.snapshot();
        assert_eq!(
            set.texts
                .iter()
                .filter(|t| t.matcher.get().is_some())
                .count(),
            0
        );
    }

    #[test]
    fn cut_secrets_are_masked_before_the_cut_mark() {
        let s = secrets(&["abcdefghijkl"]);
        assert_eq!(
            s.mask("body: {\"t\":\"abcdefg… (90 bytes)"),
            "body: {\"t\":\"****… (90 bytes)"
        );
        assert_eq!(s.mask("x abcdef%4… y"), "x ****… y");
        let s = secrets(&["abcdé€fgh"]);
        assert_eq!(
            s.mask("abcd\u{e9}\u{fffd}… (12 bytes in all)"),
            "****… (12 bytes in all)"
        );
        // Not a cut: left alone.
        assert_eq!(s.mask("abcdefg"), "abcdefg");
    }

    #[test]
    fn longer_secrets_win_and_sets_are_shared() {
        let s = secrets(&["abcd"]);
        let mut shared = s.clone();
        shared.add("abcdefgh");
        assert_eq!(s.mask("abcdefgh abcd"), "**** ****");
        assert_eq!(format!("{s:?}"), format!("{shared:?}"));
        assert!(!format!("{s:?}").contains("abcd"));
    }

    #[test]
    fn numbers_and_keys() {
        let s = secrets(&["123456"]);
        assert_eq!(
            s.mask_value(&json!({"123456": 123456, "n": 7})),
            json!({"****": "****", "n": 7})
        );
    }
}
