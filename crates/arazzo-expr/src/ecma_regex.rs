//! ECMAScript regular expressions that cannot hang a run.
//!
//! Arazzo names no regex dialect; in practice it is ECMA-262 (as in OpenAPI and JSON
//! Schema). `regress` implements it exactly but is a backtracker without a step limit:
//! `^(a+)+$` on a long run of `a`s followed by `!` takes seconds, then hours. Response
//! bodies are untrusted, so this module:
//!
//! 1. validates the pattern with `regress` (the ECMAScript syntax authority; Unicode
//!    mode first, then the legacy mode);
//! 2. translates it to the syntax of the linear-time `regex` crate, with ECMAScript
//!    semantics spelled out (ASCII `\d \w \b`, the JavaScript `\s` set, `.` excluding
//!    line terminators, `[^]`, `\cX`, `\uXXXX`…). Matching is then O(pattern × input);
//! 3. only a pattern that needs backtracking (lookaround or backreferences) runs on
//!    `fancy-regex`, with a backtrack-step limit and an input-size cap.
//!
//! "Linear" is O(pattern × input): when the `regex` crate's lazy DFA thrashes it falls
//! back to a PikeVM that does work proportional to the pattern's size for every byte
//! (`(a|b)*a(a|b){20}c` took 0.9 s on 1 MB in an optimized build, 14 s on 16 MB). So
//! when the pattern's automaton size × the input length is over [`LINEAR_WORK_LIMIT`],
//! the search runs on a lazy DFA alone, configured to give up rather than thrash, and
//! giving up is an error.
//!
//! Patterns nested deeper than [`crate::limits::MAX_NESTING`] groups are refused before
//! any parser (`regress` is recursive) sees them.
//!
//! The exact bounds are the constants below and are documented in docs/semantics.md.

use std::fmt::Write as _;

/// Compiled-program size limit for the linear engine (bytes).
pub const LINEAR_SIZE_LIMIT: usize = 2 << 20;
/// Lazy-DFA cache limit for the linear engine (bytes).
pub const LINEAR_DFA_LIMIT: usize = 8 << 20;
/// Longest input (bytes) the linear engine will scan. Larger contexts fail.
pub const LINEAR_MAX_INPUT: usize = 16 << 20;
/// Longest input (bytes) a backtracking pattern (lookaround, backreferences) may scan.
pub const BACKTRACKING_MAX_INPUT: usize = 8 << 10;
/// Backtracking steps allowed per match attempt before the criterion fails.
pub const BACKTRACK_LIMIT: usize = 50_000;
/// The largest automaton size (NFA states) × input length (bytes) a linear-engine search
/// may run with the `regex` crate's full set of engines (whose slowest, the PikeVM, does
/// that much work). Above it the search runs on a lazy DFA that gives up instead of
/// thrashing (its work is then bounded by a few times the input length), and giving up
/// fails the criterion. About half a second of PikeVM work in an optimized build.
pub const LINEAR_WORK_LIMIT: usize = 1 << 24;

/// A compiled ECMAScript pattern, matched as an unanchored search.
#[derive(Debug, Clone)]
pub struct EcmaRegex {
    source: String,
    engine: Engine,
}

#[derive(Debug, Clone)]
enum Engine {
    Linear(Box<Linear>),
    Backtracking(Box<fancy_regex::Regex>),
}

/// The linear engines of one pattern: the `regex` crate (every optimization, PikeVM
/// fallback) and a lazy DFA alone for inputs where the PikeVM could run too long.
#[derive(Debug, Clone)]
struct Linear {
    regex: regex::Regex,
    dfa: regex_automata::hybrid::dfa::DFA,
    /// NFA states: the PikeVM's work per input byte is at most this.
    states: usize,
}

impl Linear {
    fn new(pattern: &str) -> Result<Linear, String> {
        use regex_automata::hybrid::dfa::{Config, DFA};
        use regex_automata::nfa::thompson;
        let regex = regex::RegexBuilder::new(pattern)
            .size_limit(LINEAR_SIZE_LIMIT)
            .dfa_size_limit(LINEAR_DFA_LIMIT)
            .build()
            .map_err(|e| match e {
                regex::Error::CompiledTooBig(limit) => format!(
                    "regular expression is too large (its compiled form exceeds {limit} bytes)"
                ),
                other => format!("unsupported regular expression: {other}"),
            })?;
        let nfa = thompson::NFA::compiler()
            .configure(thompson::Config::new().nfa_size_limit(Some(LINEAR_SIZE_LIMIT)))
            .build(pattern)
            .map_err(|e| format!("unsupported regular expression: {e}"))?;
        let states = nfa.states().len().max(1);
        // Building a DFA state costs up to `states` steps; requiring that many bytes
        // per state built (once the cache has been cleared) keeps the total work a small
        // multiple of the input length.
        let dfa = DFA::builder()
            .configure(
                Config::new()
                    .cache_capacity(LINEAR_DFA_LIMIT)
                    .skip_cache_capacity_check(true)
                    .minimum_cache_clear_count(Some(2))
                    .minimum_bytes_per_state(Some((states / 4).max(10))),
            )
            .build_from_nfa(nfa)
            .map_err(|e| format!("unsupported regular expression: {e}"))?;
        Ok(Linear { regex, dfa, states })
    }

    fn is_match(&self, haystack: &str) -> Result<bool, String> {
        if self.states.saturating_mul(haystack.len()) <= LINEAR_WORK_LIMIT {
            return Ok(self.regex.is_match(haystack));
        }
        let mut cache = self.dfa.create_cache();
        let input = regex_automata::Input::new(haystack).earliest(true);
        match self.dfa.try_search_fwd(&mut cache, &input) {
            Ok(m) => Ok(m.is_some()),
            Err(_) => Err(format!(
                "the pattern is too complex to search {} bytes in bounded time (its automaton \
                 has {} states and the lazy DFA kept running out of room)",
                haystack.len(),
                self.states
            )),
        }
    }
}

impl EcmaRegex {
    /// Compiles an ECMAScript pattern (without flags). The error says why the pattern is
    /// invalid or which feature cannot be supported.
    pub fn new(pattern: &str) -> Result<EcmaRegex, String> {
        crate::limits::check_nesting(pattern, crate::limits::Lang::Regex, "regular expression")
            .map_err(|e| e.message)?;
        if regress::Regex::with_flags(pattern, "u").is_err()
            && let Err(e) = regress::Regex::new(pattern)
        {
            return Err(format!("invalid ECMAScript regular expression: {e}"));
        }
        let mut t = translate(pattern, false)?;
        if t.needs_backtracking {
            // fancy-regex cannot switch Unicode mode inline, so `\b` is spelled out.
            t = translate(pattern, true)?;
        }
        let engine = if t.needs_backtracking {
            let re = fancy_regex::RegexBuilder::new(&t.pattern)
                .backtrack_limit(BACKTRACK_LIMIT)
                .delegate_size_limit(LINEAR_SIZE_LIMIT)
                .delegate_dfa_size_limit(LINEAR_DFA_LIMIT)
                .build()
                .map_err(|e| format!("unsupported regular expression: {e}"))?;
            Engine::Backtracking(Box::new(re))
        } else {
            Engine::Linear(Box::new(Linear::new(&t.pattern)?))
        };
        Ok(EcmaRegex {
            source: pattern.to_owned(),
            engine,
        })
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// True when the pattern needs the bounded backtracking engine.
    pub fn is_backtracking(&self) -> bool {
        matches!(self.engine, Engine::Backtracking(_))
    }

    /// Searches `haystack` (unanchored). Fails, rather than run unbounded, when the input
    /// is over the engine's size cap, the lazy DFA gives up on a large input
    /// ([`LINEAR_WORK_LIMIT`]) or the backtracking budget is exhausted.
    pub fn is_match(&self, haystack: &str) -> Result<bool, String> {
        match &self.engine {
            Engine::Linear(re) => {
                if haystack.len() > LINEAR_MAX_INPUT {
                    return Err(format!(
                        "the value is {} bytes; regex criteria scan at most {LINEAR_MAX_INPUT} bytes",
                        haystack.len()
                    ));
                }
                re.is_match(haystack)
            }
            Engine::Backtracking(re) => {
                if haystack.len() > BACKTRACKING_MAX_INPUT {
                    return Err(format!(
                        "the value is {} bytes; a pattern with lookaround or backreferences scans at most {BACKTRACKING_MAX_INPUT} bytes",
                        haystack.len()
                    ));
                }
                re.is_match(haystack).map_err(|e| match e {
                    fancy_regex::Error::RuntimeError(
                        fancy_regex::RuntimeError::BacktrackLimitExceeded,
                    ) => format!(
                        "the pattern exceeded the backtracking limit of {BACKTRACK_LIMIT} steps (catastrophic backtracking)"
                    ),
                    other => format!("regular expression failed: {other}"),
                })
            }
        }
    }
}

/// The result of translating an ECMAScript pattern.
#[derive(Debug)]
pub(crate) struct Translated {
    pub pattern: String,
    pub needs_backtracking: bool,
}

const JS_SPACE: &str = "\\t\\n\\x0B\\x0C\\r \\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}\\x{202F}\\x{205F}\\x{3000}\\x{FEFF}";
const NEVER: &str = "[^\\x{0}-\\x{10FFFF}]";

/// Translates ECMAScript pattern syntax to `regex`/`fancy-regex` syntax.
pub(crate) fn translate(pattern: &str, fancy: bool) -> Result<Translated, String> {
    let chars: Vec<char> = pattern.chars().collect();
    let names = group_names(&chars);
    let mut t = Translator {
        chars,
        i: 0,
        out: String::with_capacity(pattern.len() * 2),
        needs_backtracking: false,
        group_names: names,
        fancy,
    };
    t.run()?;
    Ok(Translated {
        pattern: t.out,
        needs_backtracking: t.needs_backtracking,
    })
}

/// Capture groups in order of their `(`, with their names (None for unnamed).
fn group_names(chars: &[char]) -> Vec<Option<String>> {
    let mut out = Vec::new();
    let mut i = 0;
    let mut in_class = false;
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 1,
            '[' if !in_class => in_class = true,
            ']' if in_class => in_class = false,
            '(' if !in_class => {
                if chars.get(i + 1) != Some(&'?') {
                    out.push(None);
                } else if chars.get(i + 2) == Some(&'<')
                    && !matches!(chars.get(i + 3), Some('=') | Some('!'))
                {
                    let name: String = chars[i + 3..].iter().take_while(|c| **c != '>').collect();
                    out.push(Some(name));
                }
            }
            _ => {}
        }
        i += 1;
    }
    out
}

struct Translator {
    chars: Vec<char>,
    i: usize,
    out: String,
    needs_backtracking: bool,
    group_names: Vec<Option<String>>,
    /// Emit syntax for fancy-regex (no inline Unicode-mode switches).
    fancy: bool,
}

/// ASCII word boundary (`\b`) and its negation for fancy-regex, spelled with lookaround.
const FANCY_WORD_BOUNDARY: &str =
    "(?:(?<=[0-9A-Za-z_])(?![0-9A-Za-z_])|(?<![0-9A-Za-z_])(?=[0-9A-Za-z_]))";
const FANCY_NOT_WORD_BOUNDARY: &str =
    "(?:(?<=[0-9A-Za-z_])(?=[0-9A-Za-z_])|(?<![0-9A-Za-z_])(?![0-9A-Za-z_]))";

fn lit(out: &mut String, c: char) {
    if c.is_ascii_alphanumeric() {
        out.push(c);
    } else {
        let _ = write!(out, "\\x{{{:X}}}", c as u32);
    }
}

impl Translator {
    fn peek(&self, k: usize) -> Option<char> {
        self.chars.get(self.i + k).copied()
    }

    fn unsupported(&self, what: &str) -> String {
        format!("unsupported regular expression feature: {what}")
    }

    fn run(&mut self) -> Result<(), String> {
        while let Some(c) = self.peek(0) {
            self.i += 1;
            match c {
                '\\' => self.escape()?,
                '[' => self.class()?,
                '(' => self.group()?,
                ')' | '|' | '*' | '+' | '?' | '^' | '$' => self.out.push(c),
                '{' => {
                    if let Some(len) = self.quantifier_len() {
                        let q: String = self.chars[self.i - 1..self.i + len].iter().collect();
                        self.out.push_str(&q);
                        self.i += len;
                    } else {
                        lit(&mut self.out, '{');
                    }
                }
                '.' => self.out.push_str("[^\\n\\r\\x{2028}\\x{2029}]"),
                other => lit(&mut self.out, other),
            }
        }
        Ok(())
    }

    /// After a `{`: the length of `n}`, `n,}` or `n,m}` if it is a quantifier.
    fn quantifier_len(&self) -> Option<usize> {
        let mut k = 0;
        let digits = |k: &mut usize| {
            let s = *k;
            while self.peek(*k).is_some_and(|c| c.is_ascii_digit()) {
                *k += 1;
            }
            *k > s
        };
        if !digits(&mut k) {
            return None;
        }
        if self.peek(k) == Some(',') {
            k += 1;
            digits(&mut k);
        }
        (self.peek(k) == Some('}')).then_some(k + 1)
    }

    fn group(&mut self) -> Result<(), String> {
        if self.peek(0) != Some('?') {
            self.out.push('(');
            return Ok(());
        }
        match (self.peek(1), self.peek(2)) {
            (Some(':'), _) => {
                self.out.push_str("(?:");
                self.i += 2;
            }
            (Some('='), _) | (Some('!'), _) => {
                self.needs_backtracking = true;
                self.out.push_str("(?");
                self.out.push(self.peek(1).unwrap_or('='));
                self.i += 2;
            }
            (Some('<'), Some('=')) | (Some('<'), Some('!')) => {
                self.needs_backtracking = true;
                self.out.push_str("(?<");
                self.out.push(self.peek(2).unwrap_or('='));
                self.i += 3;
            }
            (Some('<'), _) => {
                // Named group: captured by number (names are only used by `\k<…>`).
                let close = self.chars[self.i..]
                    .iter()
                    .position(|c| *c == '>')
                    .ok_or_else(|| self.unsupported("unterminated group name"))?;
                self.i += close + 1;
                self.out.push('(');
            }
            _ => return Err(self.unsupported("group modifiers `(?…)`")),
        }
        Ok(())
    }

    fn escape(&mut self) -> Result<(), String> {
        let Some(c) = self.peek(0) else {
            return Err("a pattern cannot end with `\\`".into());
        };
        self.i += 1;
        match c {
            'd' => self.out.push_str("[0-9]"),
            'D' => self.out.push_str("[^0-9]"),
            'w' => self.out.push_str("[0-9A-Za-z_]"),
            'W' => self.out.push_str("[^0-9A-Za-z_]"),
            's' => {
                let _ = write!(self.out, "[{JS_SPACE}]");
            }
            'S' => {
                let _ = write!(self.out, "[^{JS_SPACE}]");
            }
            'b' if self.fancy => self.out.push_str(FANCY_WORD_BOUNDARY),
            'B' if self.fancy => self.out.push_str(FANCY_NOT_WORD_BOUNDARY),
            'b' => self.out.push_str("(?-u:\\b)"),
            'B' => self.out.push_str("(?-u:\\B)"),
            '1'..='9' => {
                let mut n = c.to_digit(10).unwrap_or(0) as usize;
                while let Some(d) = self.peek(0).and_then(|d| d.to_digit(10)) {
                    n = n * 10 + d as usize;
                    self.i += 1;
                }
                if n > self.group_names.len() {
                    return Err(
                        self.unsupported("octal escapes / backreference to a missing group")
                    );
                }
                self.needs_backtracking = true;
                let _ = write!(self.out, "\\{n}");
            }
            'k' if self.peek(0) == Some('<') => {
                let close = self.chars[self.i..]
                    .iter()
                    .position(|c| *c == '>')
                    .ok_or_else(|| self.unsupported("unterminated `\\k<name>`"))?;
                let name: String = self.chars[self.i + 1..self.i + close].iter().collect();
                self.i += close + 1;
                let idx = self
                    .group_names
                    .iter()
                    .position(|g| g.as_deref() == Some(name.as_str()))
                    .ok_or_else(|| format!("no group named `{name}`"))?;
                self.needs_backtracking = true;
                let _ = write!(self.out, "\\{}", idx + 1);
            }
            'p' | 'P' if self.peek(0) == Some('{') => {
                let close = self.chars[self.i..]
                    .iter()
                    .position(|c| *c == '}')
                    .ok_or_else(|| self.unsupported("unterminated `\\p{…}`"))?;
                let body: String = self.chars[self.i..=self.i + close].iter().collect();
                self.i += close + 1;
                let _ = write!(self.out, "\\{c}{body}");
            }
            _ => {
                let ch = self.char_escape(c)?;
                match ch {
                    Some(ch) => lit(&mut self.out, ch),
                    None => self.out.push_str(NEVER),
                }
            }
        }
        Ok(())
    }

    /// Escapes that denote one character (shared by classes). `None` for a lone
    /// surrogate, which no Rust string contains.
    fn char_escape(&mut self, c: char) -> Result<Option<char>, String> {
        Ok(Some(match c {
            't' => '\t',
            'n' => '\n',
            'v' => '\u{0B}',
            'f' => '\u{0C}',
            'r' => '\r',
            '0' => '\0',
            'c' => match self.peek(0) {
                Some(l) if l.is_ascii_alphabetic() => {
                    self.i += 1;
                    char::from((l as u8) % 32)
                }
                _ => '\\',
            },
            'x' => {
                let h = self.hex(2);
                match h {
                    Some(v) => char::from_u32(v).unwrap_or('\u{FFFD}'),
                    None => 'x',
                }
            }
            'u' => {
                if self.peek(0) == Some('{') {
                    let close = self.chars[self.i..]
                        .iter()
                        .position(|c| *c == '}')
                        .ok_or_else(|| self.unsupported("unterminated `\\u{…}`"))?;
                    let hex: String = self.chars[self.i + 1..self.i + close].iter().collect();
                    self.i += close + 1;
                    let v =
                        u32::from_str_radix(&hex, 16).map_err(|_| self.unsupported("`\\u{…}`"))?;
                    return Ok(char::from_u32(v));
                }
                match self.hex(4) {
                    Some(hi @ 0xD800..=0xDBFF) => {
                        if self.peek(0) == Some('\\') && self.peek(1) == Some('u') {
                            let save = self.i;
                            self.i += 2;
                            if let Some(lo @ 0xDC00..=0xDFFF) = self.hex(4) {
                                let v = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                                return Ok(char::from_u32(v));
                            }
                            self.i = save;
                        }
                        return Ok(None);
                    }
                    Some(v) => return Ok(char::from_u32(v)),
                    None => 'u',
                }
            }
            other => other,
        }))
    }

    fn hex(&mut self, n: usize) -> Option<u32> {
        let s: String = self.chars.get(self.i..self.i + n)?.iter().collect();
        if s.len() != n || !s.chars().all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        self.i += n;
        u32::from_str_radix(&s, 16).ok()
    }

    fn class(&mut self) -> Result<(), String> {
        let negated = self.peek(0) == Some('^');
        if negated {
            self.i += 1;
        }
        if self.peek(0) == Some(']') {
            self.i += 1;
            // `[]` matches nothing, `[^]` matches any character.
            self.out.push_str(if negated {
                "[\\x{0}-\\x{10FFFF}]"
            } else {
                NEVER
            });
            return Ok(());
        }
        let mut body = String::new();
        loop {
            let Some(c) = self.peek(0) else {
                return Err("unterminated character class".into());
            };
            self.i += 1;
            if c == ']' {
                break;
            }
            let start = self.class_atom(c)?;
            // A range `a-b` (not when either end is a class escape such as `\d`).
            if self.peek(0) == Some('-')
                && self.peek(1).is_some_and(|n| n != ']')
                && let ClassAtom::Char(lo) = start
            {
                let save = self.i;
                self.i += 1;
                let n = self.peek(0).unwrap_or(']');
                self.i += 1;
                match self.class_atom(n)? {
                    ClassAtom::Char(hi) => {
                        if hi < lo {
                            return Err("character class range out of order".into());
                        }
                        lit(&mut body, lo);
                        body.push('-');
                        lit(&mut body, hi);
                        continue;
                    }
                    // `[a-\d]`: the `-` is literal (Annex B); re-read it as an atom.
                    _ => self.i = save,
                }
            }
            match start {
                ClassAtom::Char(ch) => lit(&mut body, ch),
                ClassAtom::Set(s) => body.push_str(&s),
                ClassAtom::Nothing => {}
            }
        }
        if body.is_empty() {
            self.out.push_str(if negated {
                "[\\x{0}-\\x{10FFFF}]"
            } else {
                NEVER
            });
        } else {
            let _ = write!(self.out, "[{}{body}]", if negated { "^" } else { "" });
        }
        Ok(())
    }

    fn class_atom(&mut self, c: char) -> Result<ClassAtom, String> {
        if c != '\\' {
            return Ok(ClassAtom::Char(c));
        }
        let Some(e) = self.peek(0) else {
            return Err("a pattern cannot end with `\\`".into());
        };
        self.i += 1;
        Ok(match e {
            'd' => ClassAtom::Set("0-9".into()),
            'D' => ClassAtom::Set("[^0-9]".into()),
            'w' => ClassAtom::Set("0-9A-Za-z_".into()),
            'W' => ClassAtom::Set("[^0-9A-Za-z_]".into()),
            's' => ClassAtom::Set(JS_SPACE.into()),
            'S' => ClassAtom::Set(format!("[^{JS_SPACE}]")),
            'b' => ClassAtom::Char('\u{08}'),
            '-' => ClassAtom::Char('-'),
            'p' | 'P' if self.peek(0) == Some('{') => {
                let close = self.chars[self.i..]
                    .iter()
                    .position(|c| *c == '}')
                    .ok_or_else(|| self.unsupported("unterminated `\\p{…}`"))?;
                let body: String = self.chars[self.i..=self.i + close].iter().collect();
                self.i += close + 1;
                ClassAtom::Set(format!("\\{e}{body}"))
            }
            other => match self.char_escape(other)? {
                Some(ch) => ClassAtom::Char(ch),
                None => ClassAtom::Nothing,
            },
        })
    }
}

enum ClassAtom {
    Char(char),
    Set(String),
    Nothing,
}
