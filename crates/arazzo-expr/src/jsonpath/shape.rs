//! The shape of an RFC 9535 query: what its work depends on (segments, how many
//! selectors each has, whether they can select many nodes, what filters compute),
//! read from a query `serde_json_path` has already accepted.
//!
//! `serde_json_path` keeps its syntax tree private, so this is a small reader of its
//! own. It recurses once per bracket or parenthesis, which the nesting pre-scan has
//! bounded ([`crate::limits::MAX_NESTING`]). It is lenient where leniency cannot lower
//! a cost (it does not check names or numbers); when it cannot read a query it returns
//! `None` and the caller refuses to run the query rather than guess its cost.

use std::ops::Range;

/// A query: `$` or `@` and its segments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct QueryShape {
    /// `@…` (relative to a filter's current node) rather than `$…`.
    pub relative: bool,
    /// The segments, in order.
    pub segments: Vec<SegShape>,
}

impl QueryShape {
    /// Only child segments with name and index selectors: at most one node, and work
    /// proportional to the number of segments whatever the value.
    pub fn is_singular(&self) -> bool {
        self.segments
            .iter()
            .all(|s| !s.descendant && s.selectors == [Sel::One])
    }
}

/// A segment: `.name`, `[sel, …]`, `..name`, `..[sel, …]`, `.*`, `..*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SegShape {
    /// `..`: applies its selectors to every descendant-or-self of each node.
    pub descendant: bool,
    /// The selectors.
    pub selectors: Vec<Sel>,
    /// Byte range of the segment in the query text.
    pub span: Range<usize>,
}

/// What a selector can select from one node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Sel {
    /// A name or an index: at most one child.
    One,
    /// A wildcard or a slice: every child.
    All,
    /// A filter: every child for which the expression holds, computed once per child.
    Filter(Expr),
}

/// A filter expression, as far as its cost goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Expr {
    /// A string, number, `true`, `false` or `null` (with its length in bytes).
    Literal(u64),
    /// An embedded query.
    Query(QueryShape),
    /// A function call.
    Call {
        /// `match` or `search`: a regular expression compiled on each call.
        regex: bool,
        /// `length`, `count`, `match`, `search` return a scalar; `value` a node.
        scalar: bool,
        /// The arguments.
        args: Vec<Expr>,
    },
    /// `a <op> b`.
    Compare(Box<Expr>, Box<Expr>),
    /// `&&`, `||`, `!`, parentheses: the sum of the parts.
    Logic(Vec<Expr>),
}

/// Reads the shape of a whole query (`$…`). `None` when it cannot.
pub(crate) fn parse(query: &str) -> Option<QueryShape> {
    let mut p = Reader {
        b: query.as_bytes(),
        i: 0,
    };
    let q = p.query()?;
    p.ws();
    (p.i == p.b.len() && !q.relative).then_some(q)
}

struct Reader<'a> {
    b: &'a [u8],
    i: usize,
}

impl Reader<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn peek_at(&self, k: usize) -> Option<u8> {
        self.b.get(self.i + k).copied()
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    fn eat(&mut self, c: u8) -> Option<()> {
        (self.peek() == Some(c)).then(|| self.i += 1)
    }

    fn query(&mut self) -> Option<QueryShape> {
        let relative = match self.peek()? {
            b'$' => false,
            b'@' => true,
            _ => return None,
        };
        self.i += 1;
        let mut segments = Vec::new();
        loop {
            let save = self.i;
            self.ws();
            let start = self.i;
            let (descendant, selectors) = match (self.peek(), self.peek_at(1)) {
                (Some(b'.'), Some(b'.')) => {
                    self.i += 2;
                    (true, self.after_dot(true)?)
                }
                (Some(b'.'), _) => {
                    self.i += 1;
                    (false, self.after_dot(false)?)
                }
                (Some(b'['), _) => (false, self.bracketed()?),
                _ => {
                    self.i = save;
                    break;
                }
            };
            segments.push(SegShape {
                descendant,
                selectors,
                span: start..self.i,
            });
        }
        Some(QueryShape { relative, segments })
    }

    /// After `.` or `..`: `*`, a member name, or (after `..`) a bracketed selection.
    fn after_dot(&mut self, descendant: bool) -> Option<Vec<Sel>> {
        match self.peek()? {
            b'*' => {
                self.i += 1;
                Some(vec![Sel::All])
            }
            b'[' if descendant => self.bracketed(),
            _ => {
                self.name()?;
                Some(vec![Sel::One])
            }
        }
    }

    /// A member name: a letter, `_` or non-ASCII, then those or digits.
    fn name(&mut self) -> Option<()> {
        let first = self.peek()?;
        if !(first.is_ascii_alphabetic() || first == b'_' || first >= 0x80) {
            return None;
        }
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80)
        {
            self.i += 1;
        }
        Some(())
    }

    fn bracketed(&mut self) -> Option<Vec<Sel>> {
        self.eat(b'[')?;
        let mut out = Vec::new();
        loop {
            self.ws();
            out.push(self.selector()?);
            self.ws();
            match self.peek()? {
                b',' => self.i += 1,
                b']' => {
                    self.i += 1;
                    return Some(out);
                }
                _ => return None,
            }
        }
    }

    fn selector(&mut self) -> Option<Sel> {
        match self.peek()? {
            b'\'' | b'"' => {
                self.string()?;
                Some(Sel::One)
            }
            b'*' => {
                self.i += 1;
                Some(Sel::All)
            }
            b'?' => {
                self.i += 1;
                self.ws();
                Some(Sel::Filter(self.logical()?))
            }
            _ => {
                // An index (`-1`) or a slice (`1:`, `::-1`, `0 : 5 : 2`).
                let start = self.i;
                while matches!(
                    self.peek(),
                    Some(b'0'..=b'9' | b'-' | b':' | b' ' | b'\t' | b'\n' | b'\r')
                ) {
                    self.i += 1;
                }
                let text = &self.b[start..self.i];
                if !text.iter().any(|c| c.is_ascii_digit() || *c == b':') {
                    return None;
                }
                Some(if text.contains(&b':') {
                    Sel::All
                } else {
                    Sel::One
                })
            }
        }
    }

    /// A quoted string; returns its length in bytes (quotes included).
    fn string(&mut self) -> Option<u64> {
        let start = self.i;
        let q = self.peek()?;
        self.i += 1;
        loop {
            match self.peek()? {
                b'\\' => self.i += 2,
                c if c == q => {
                    self.i += 1;
                    return u64::try_from(self.i - start).ok();
                }
                _ => self.i += 1,
            }
        }
    }

    fn logical(&mut self) -> Option<Expr> {
        self.chain(b'|', Self::and)
    }

    fn and(&mut self) -> Option<Expr> {
        self.chain(b'&', Self::basic)
    }

    /// `part (op part)*` for `||` (`c` = `|`) or `&&` (`c` = `&`), read in a loop.
    fn chain(&mut self, c: u8, part: fn(&mut Self) -> Option<Expr>) -> Option<Expr> {
        let mut parts = vec![part(self)?];
        loop {
            let save = self.i;
            self.ws();
            if self.peek() == Some(c) && self.peek_at(1) == Some(c) {
                self.i += 2;
                self.ws();
                parts.push(part(self)?);
            } else {
                self.i = save;
                break;
            }
        }
        Some(if parts.len() == 1 {
            parts.pop()?
        } else {
            Expr::Logic(parts)
        })
    }

    fn basic(&mut self) -> Option<Expr> {
        let not = self.peek() == Some(b'!') && self.peek_at(1) != Some(b'=');
        if not {
            self.i += 1;
            self.ws();
        }
        let e = if self.peek() == Some(b'(') {
            self.i += 1;
            self.ws();
            let e = self.logical()?;
            self.ws();
            self.eat(b')')?;
            Expr::Logic(vec![e])
        } else {
            let left = self.comparable()?;
            let save = self.i;
            self.ws();
            match self.compare_op() {
                Some(len) => {
                    self.i += len;
                    self.ws();
                    let right = self.comparable()?;
                    Expr::Compare(Box::new(left), Box::new(right))
                }
                None => {
                    self.i = save;
                    left
                }
            }
        };
        Some(if not { Expr::Logic(vec![e]) } else { e })
    }

    fn compare_op(&self) -> Option<usize> {
        match (self.peek()?, self.peek_at(1)) {
            (b'=' | b'!' | b'<' | b'>', Some(b'=')) => Some(2),
            (b'<' | b'>', _) => Some(1),
            _ => None,
        }
    }

    fn comparable(&mut self) -> Option<Expr> {
        match self.peek()? {
            b'$' | b'@' => self.query().map(Expr::Query),
            b'\'' | b'"' => self.string().map(Expr::Literal),
            b'-' | b'0'..=b'9' => {
                let start = self.i;
                while matches!(
                    self.peek(),
                    Some(b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E')
                ) {
                    self.i += 1;
                }
                u64::try_from(self.i - start).ok().map(Expr::Literal)
            }
            b'a'..=b'z' => {
                let start = self.i;
                while matches!(self.peek(), Some(b'a'..=b'z' | b'0'..=b'9' | b'_')) {
                    self.i += 1;
                }
                let name = &self.b[start..self.i];
                let save = self.i;
                self.ws();
                if self.peek() != Some(b'(') {
                    self.i = save;
                    return matches!(name, b"true" | b"false" | b"null")
                        .then_some(Expr::Literal(4));
                }
                self.i += 1;
                let mut args = Vec::new();
                self.ws();
                if self.eat(b')').is_none() {
                    loop {
                        args.push(self.logical()?);
                        self.ws();
                        match self.peek()? {
                            b',' => {
                                self.i += 1;
                                self.ws();
                            }
                            b')' => {
                                self.i += 1;
                                break;
                            }
                            _ => return None,
                        }
                    }
                }
                Some(Expr::Call {
                    regex: matches!(name, b"match" | b"search"),
                    scalar: name != b"value",
                    args,
                })
            }
            _ => None,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn segs(q: &str) -> Vec<(bool, Vec<Sel>)> {
        parse(q)
            .unwrap_or_else(|| panic!("cannot read {q}"))
            .segments
            .into_iter()
            .map(|s| (s.descendant, s.selectors))
            .collect()
    }

    #[test]
    fn segments_and_selectors() {
        assert_eq!(segs("$"), vec![]);
        assert_eq!(
            segs("$.a['b'][0]"),
            vec![
                (false, vec![Sel::One]),
                (false, vec![Sel::One]),
                (false, vec![Sel::One])
            ]
        );
        assert_eq!(
            segs("$..* [1:2, 'x',*]"),
            vec![
                (true, vec![Sel::All]),
                (false, vec![Sel::All, Sel::One, Sel::All])
            ]
        );
        assert_eq!(
            segs("$..[0]..a"),
            vec![(true, vec![Sel::One]), (true, vec![Sel::One])]
        );
    }

    #[test]
    fn filters() {
        let q = parse("$[?@.a == 'x' && (count(@.*) > 1 || !match(@.b, '[a-z]+'))]").unwrap();
        let Sel::Filter(Expr::Logic(parts)) = &q.segments[0].selectors[0] else {
            panic!("{q:?}");
        };
        assert_eq!(parts.len(), 2);
        assert!(parse("$[?value(@..x) == $.y]").is_some());
        assert!(parse("$[?@.a==-1.5e3]").is_some());
        assert!(parse("$[?@]").is_some());
        assert!(parse("$[?length(@) >= 2 && @.x != null]").is_some());
    }

    #[test]
    fn not_a_query() {
        assert_eq!(parse("@.a"), None);
        assert_eq!(parse("$.a =="), None);
        assert_eq!(parse("$[?]"), None);
    }
}
