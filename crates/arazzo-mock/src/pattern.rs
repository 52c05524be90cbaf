//! Strings that match a schema's `pattern`.
//!
//! `pattern` is an ECMAScript regular expression. It is translated to the `regex` crate's
//! syntax by `jsonschema-regex` (the translation the `jsonschema` validator itself uses, so a
//! string built here is judged by the same rules it is validated with), parsed into a
//! `regex-syntax` HIR, and walked: literals are copied, each class gives a readable character
//! (lower-case letters, then digits, then upper-case letters), repetitions are written a few
//! times. Every candidate is checked against the compiled pattern before it is returned, so a
//! pattern this walk gets wrong (word boundaries, say) yields no string rather than a wrong one.
//!
//! Patterns with leading lookaheads (`^(?=.*[A-Z])(?=.*\d).{8,}$`) are split into their parts;
//! a witness of each lookahead is put in front of a string for the main part. Other lookarounds
//! and backreferences are not supported (no string is produced).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use regex_syntax::hir::{Class, Hir, HirKind};

/// Characters tried for a class, in order of preference: readable first.
const PREFERRED: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-_.:/@+ ";

/// Longest string the walk writes: nested repetitions multiply, and a pattern such as
/// `(a{1000}){1000}` must not exhaust memory.
const MAX_OUTPUT: usize = 8 * 1024;

/// Most compiled patterns kept; the cache is cleared when it grows past this (a long-running
/// mock server sees only the patterns of its descriptions, so this is a safety net).
const CACHE_LIMIT: usize = 20_000;

/// A pattern ready to generate from and to test.
struct Compiled {
    /// What to generate from (the whole pattern, or its main part after the lookaheads).
    main: Hir,
    /// Leading lookaheads, each as a pattern to write a witness of.
    lookaheads: Vec<Hir>,
    /// Every one must match for a string to match the pattern. These are `fancy-regex`
    /// programs, as in the `jsonschema` validator, so both agree on what matches.
    checks: Vec<fancy_regex::Regex>,
}

fn cache() -> &'static Mutex<HashMap<String, Option<Arc<Compiled>>>> {
    static CACHE: OnceLock<Mutex<HashMap<String, Option<Arc<Compiled>>>>> = OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(HashMap::new()))
}

fn compiled(pattern: &str) -> Option<Arc<Compiled>> {
    if let Ok(map) = cache().lock()
        && let Some(c) = map.get(pattern)
    {
        return c.clone();
    }
    let c = compile(pattern).map(Arc::new);
    if let Ok(mut map) = cache().lock() {
        if map.len() >= CACHE_LIMIT {
            map.clear();
        }
        map.insert(pattern.to_string(), c.clone());
    }
    c
}

fn translate(pattern: &str) -> Option<(Hir, fancy_regex::Regex)> {
    let rust = jsonschema_regex::to_rust_regex(pattern).ok()?;
    let check = fancy_regex::RegexBuilder::new(&rust)
        .backtrack_limit(100_000)
        .build()
        .ok()?;
    // `fancy-regex` reads `{8, 20}` (with a space) as literal text, as ECMAScript does;
    // `regex-syntax` would read a repetition. Escape it for the walk.
    let walkable = literal_braces(&rust);
    let hir = regex_syntax::ParserBuilder::new()
        .build()
        .parse(&walkable)
        .ok()?;
    Some((hir, check))
}

/// Escapes `{` where it does not start a well-formed repetition (`{n}`, `{n,}`, `{n,m}`), and
/// `}` where it does not end one.
fn literal_braces(p: &str) -> String {
    let chars: Vec<char> = p.chars().collect();
    let mut out = String::with_capacity(p.len());
    let mut i = 0;
    let mut in_class = false;
    let mut in_repetition = false;
    while let Some(&c) = chars.get(i) {
        i += 1;
        if c == '\\' {
            out.push(c);
            if let Some(&n) = chars.get(i) {
                out.push(n);
                i += 1;
                // `\p{L}`, `\x{41}`, `\u{1F600}`: the braces belong to the escape.
                if matches!(n, 'p' | 'P' | 'x' | 'u') && chars.get(i) == Some(&'{') {
                    while let Some(&b) = chars.get(i) {
                        out.push(b);
                        i += 1;
                        if b == '}' {
                            break;
                        }
                    }
                }
            }
            continue;
        }
        match c {
            '[' => in_class = true,
            ']' => in_class = false,
            '{' if !in_class => {
                let body: String = chars[i..].iter().take_while(|c| **c != '}').collect();
                let closed = chars.get(i + body.chars().count()) == Some(&'}');
                let (a, b) = body.split_once(',').unwrap_or((body.as_str(), ""));
                let digits = |t: &str| t.bytes().all(|x| x.is_ascii_digit());
                if closed && !a.is_empty() && digits(a) && digits(b) {
                    in_repetition = true;
                } else {
                    out.push_str("\\{");
                    continue;
                }
            }
            '}' if !in_class => {
                if !in_repetition {
                    out.push_str("\\}");
                    continue;
                }
                in_repetition = false;
            }
            _ => {}
        }
        out.push(c);
    }
    out
}

fn compile(pattern: &str) -> Option<Compiled> {
    if let Some((hir, re)) = translate(pattern) {
        return Some(Compiled {
            main: hir,
            lookaheads: Vec::new(),
            checks: vec![re],
        });
    }
    let parts = jsonschema_regex::split_leading_lookaheads(pattern)?;
    let mut hirs = Vec::new();
    let mut checks = Vec::new();
    for p in &parts {
        let (h, r) = translate(p)?;
        hirs.push(h);
        checks.push(r);
    }
    let main = hirs.pop()?;
    Some(Compiled {
        main,
        lookaheads: hirs,
        checks,
    })
}

/// Whether `text` matches `pattern` (an unanchored search, as JSON Schema defines it); `None`
/// when the pattern cannot be compiled here.
pub(crate) fn matches(pattern: &str, text: &str) -> Option<bool> {
    let c = compiled(pattern)?;
    Some(c.checks.iter().all(|r| r.is_match(text).unwrap_or(false)))
}

/// A string that matches `pattern` and has between `min_len` and `max_len` characters.
/// `variant` picks different characters and branches, for `uniqueItems` arrays.
pub(crate) fn generate(
    pattern: &str,
    min_len: usize,
    max_len: Option<usize>,
    variant: usize,
) -> Option<String> {
    let c = compiled(pattern)?;
    let fits = |s: &str| {
        let n = s.chars().count();
        n >= min_len
            && max_len.is_none_or(|m| n <= m)
            && c.checks.iter().all(|r| r.is_match(s).unwrap_or(false))
    };
    let prefix: String = c
        .lookaheads
        .iter()
        .filter_map(|h| walk(h, Plan::minimal(variant)))
        .collect();
    for minimal in [false, true] {
        let plan = if minimal {
            Plan::minimal(variant)
        } else {
            Plan::natural(variant)
        };
        let Some(base) = walk(&c.main, plan) else {
            continue;
        };
        let mut candidates = vec![base.clone()];
        if !prefix.is_empty() {
            candidates.push(format!("{prefix}{base}"));
        }
        for cand in &candidates {
            if fits(cand) {
                return Some(cand.clone());
            }
        }
        // Too short: write more repetitions, a few times over, until it is long enough.
        let len = base.chars().count();
        if len < min_len {
            let mut extra = min_len - len;
            for _ in 0..4 {
                let Some(longer) = walk(&c.main, Plan { extra, ..plan }) else {
                    break;
                };
                for cand in [format!("{prefix}{longer}"), longer.clone()] {
                    if fits(&cand) {
                        return Some(cand);
                    }
                }
                let got = longer.chars().count();
                if got >= min_len {
                    break;
                }
                extra += min_len - got;
            }
            // An unanchored pattern matches inside a longer string: pad after, then before.
            let pad: String = "a".repeat(min_len - len);
            for cand in [format!("{base}{pad}"), format!("{pad}{base}")] {
                if fits(&cand) {
                    return Some(cand);
                }
            }
        }
    }
    None
}

/// How to write repetitions.
#[derive(Debug, Clone, Copy)]
struct Plan {
    /// Write every repetition its minimum number of times.
    minimal: bool,
    /// Characters to add to the first repetitions that can grow.
    extra: usize,
    /// Shifts character and branch choices.
    variant: usize,
}

impl Plan {
    fn natural(variant: usize) -> Plan {
        Plan {
            minimal: false,
            extra: 0,
            variant,
        }
    }
    fn minimal(variant: usize) -> Plan {
        Plan {
            minimal: true,
            extra: 0,
            variant,
        }
    }
}

struct Walker {
    plan: Plan,
    extra: usize,
    picks: usize,
    out: String,
}

fn walk(hir: &Hir, plan: Plan) -> Option<String> {
    let mut w = Walker {
        plan,
        extra: plan.extra,
        picks: 0,
        out: String::new(),
    };
    w.write(hir).then_some(w.out)
}

impl Walker {
    fn write(&mut self, hir: &Hir) -> bool {
        if self.out.len() > MAX_OUTPUT {
            return false;
        }
        match hir.kind() {
            HirKind::Empty | HirKind::Look(_) => true,
            HirKind::Literal(lit) => match std::str::from_utf8(&lit.0) {
                Ok(s) => {
                    self.out.push_str(s);
                    true
                }
                Err(_) => false,
            },
            HirKind::Class(class) => match pick(class, self.picks + self.plan.variant) {
                Some(c) => {
                    self.picks += 1;
                    self.out.push(c);
                    true
                }
                None => false,
            },
            HirKind::Repetition(rep) => {
                let max = rep.max.unwrap_or(u32::MAX);
                let single = is_single_char(&rep.sub);
                let mut count = if self.plan.minimal || max <= 1 {
                    rep.min
                } else if single {
                    rep.min.max(max.min(8))
                } else {
                    rep.min.max(max.min(1))
                };
                if self.extra > 0 && count < max {
                    let add = u32::try_from(self.extra)
                        .unwrap_or(u32::MAX)
                        .min(max - count)
                        .min(4096);
                    count += add;
                    self.extra -= add as usize;
                }
                if count > 4096 {
                    return false;
                }
                (0..count).all(|_| self.write(&rep.sub))
            }
            HirKind::Capture(cap) => self.write(&cap.sub),
            HirKind::Concat(parts) => parts.iter().all(|p| self.write(p)),
            HirKind::Alternation(branches) => {
                let start = self.out.len();
                let n = branches.len();
                (0..n).any(|i| {
                    self.out.truncate(start);
                    branches
                        .get((i + self.plan.variant) % n.max(1))
                        .is_some_and(|b| self.write(b))
                })
            }
        }
    }
}

fn is_single_char(hir: &Hir) -> bool {
    match hir.kind() {
        HirKind::Class(_) => true,
        HirKind::Literal(l) => std::str::from_utf8(&l.0).is_ok_and(|s| s.chars().count() == 1),
        HirKind::Capture(c) => is_single_char(&c.sub),
        _ => false,
    }
}

/// The `n`-th readable character of a class (cycling), else its first printable character.
fn pick(class: &Class, n: usize) -> Option<char> {
    let ranges: Vec<(char, char)> = match class {
        Class::Unicode(u) => u.ranges().iter().map(|r| (r.start(), r.end())).collect(),
        Class::Bytes(b) => b
            .ranges()
            .iter()
            .filter(|r| r.start().is_ascii())
            .map(|r| (char::from(r.start()), char::from(r.end().min(0x7f))))
            .collect(),
    };
    let contains = |c: char| ranges.iter().any(|&(a, b)| a <= c && c <= b);
    let preferred: Vec<char> = PREFERRED.chars().filter(|&c| contains(c)).collect();
    if !preferred.is_empty() {
        return preferred.get(n % preferred.len()).copied();
    }
    // No readable character: the first printable one, else the first at all.
    for &(a, b) in &ranges {
        let mut c = a;
        loop {
            if !c.is_control() && !c.is_whitespace() {
                return Some(c);
            }
            if c >= b {
                break;
            }
            match char::from_u32(c as u32 + 1) {
                Some(next) if (c as u32) - (a as u32) < 256 => c = next,
                _ => break,
            }
        }
    }
    ranges.first().map(|&(a, _)| a)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn check(pattern: &str, min: usize, max: Option<usize>) -> String {
        let s = generate(pattern, min, max, 0).unwrap_or_else(|| panic!("no string for {pattern}"));
        assert_eq!(matches(pattern, &s), Some(true), "{s:?} vs {pattern}");
        let n = s.chars().count();
        assert!(n >= min && max.is_none_or(|m| n <= m), "{s:?} length");
        s
    }

    #[test]
    fn prefix_pattern() {
        let s = check("^apn_[a-zA-Z0-9]+$", 0, None);
        assert!(s.starts_with("apn_"), "{s}");
        assert!(s.len() > 4);
    }

    #[test]
    fn common_patterns() {
        for p in [
            r"^\d{3}-\d{2}-\d{4}$",
            r"^[A-Z]{2}$",
            r"^(cat|dog)$",
            r"^#?[0-9a-fA-F]{6}$",
            r"^\S+@\S+\.\S+$",
            r"^https?://",
            r"^[a-z0-9]+(?:-[a-z0-9]+)*$",
            r"\bword\b",
            r"^\p{L}+$",
            r"^[^\s]+$",
            r"^\u00e9t\u00e9$",
            r"^\/v1\/.*$",
            r"^(?=.*[A-Z])(?=.*\d).{8,}$",
            r"^[\w.-]+$",
            r"^\+[0-9]{8,20}$",
        ] {
            check(p, 0, None);
        }
    }

    #[test]
    fn lengths_are_respected() {
        check("^[a-z]+$", 20, Some(25));
        check("^[a-z]*$", 0, Some(3));
        check("[0-9]", 10, Some(10));
        check("^x[a-z]{2,}y$", 12, None);
    }

    #[test]
    fn malformed_repetitions_are_literal() {
        // ECMAScript (and the validator) read `{8, 20}` as text, not a repetition.
        let s = check(r"^\+[0-9]{8, 20}", 0, None);
        assert!(s.starts_with("+0{8, 20}"), "{s}");
    }

    #[test]
    fn variants_differ() {
        let a = generate("^[a-z]{3}$", 0, None, 0).unwrap();
        let b = generate("^[a-z]{3}$", 0, None, 1).unwrap();
        assert_ne!(a, b);
        assert_eq!(generate("^(cat|dog)$", 0, None, 1).as_deref(), Some("dog"));
    }

    #[test]
    fn unsupported_patterns_give_nothing() {
        assert_eq!(generate(r"^(a)\1$", 0, None, 0), None);
        assert_eq!(generate("[", 0, None, 0), None);
        assert_eq!(matches("[", "x"), None);
    }

    #[test]
    fn deterministic() {
        let a: Vec<_> = (0..3)
            .map(|_| generate(r"^[A-Z][a-z]+-\d{4}$", 0, None, 0))
            .collect();
        assert!(a.windows(2).all(|w| w[0] == w[1]));
    }
}
