//! Bounds on the work one expression can cause, so that a hostile document or response
//! cannot crash or hang the process that evaluates it.
//!
//! Every parser and evaluator in this crate that recurses (the pest grammar of
//! conditions, `serde_json_path`, `regress`, `fancy-regex`, `xee-xpath`, and the
//! condition evaluator itself) uses one native stack frame or more per nesting level, so
//! a condition of 1,150 nested parentheses used to overflow the stack. The nesting of
//! every expression is therefore measured by a linear scan *before* any recursive parser
//! sees the text, and refused above [`MAX_NESTING`] with a [`ParseError`] of kind
//! [`ParseErrorKind::TooDeep`] whose span is the opening bracket that went over the
//! limit (so a validator reports the document's file:line:column).
//!
//! The work bounds of evaluation are per primitive:
//!
//! * regular expressions: [`crate::LINEAR_MAX_INPUT`], [`crate::LINEAR_WORK_LIMIT`],
//!   [`crate::BACKTRACKING_MAX_INPUT`] and [`crate::BACKTRACK_LIMIT`] (in `ecma_regex`);
//! * JSONPath: [`JSONPATH_WORK_LIMIT`];
//! * XPath: [`MAX_XPATH_NESTING`], [`MAX_XPATH_OPERATORS`], [`MAX_XPATH_LENGTH`],
//!   [`MAX_XPATH_RANGE`], [`MAX_XPATH_INPUT`], [`MAX_XML_DEPTH`] and
//!   [`XPATH_TIME_LIMIT`] (`xee` has no budget of its own).
//!
//! A bound that is hit is an error, never a silent `false`: a criterion fails with an
//! evaluation error ([`crate::Verdict::error`]) that names the limit, a selector fails
//! with [`crate::EvalErrorKind::Limit`].

use crate::error::{ParseError, ParseErrorKind};

/// The deepest nesting allowed in any expression: parentheses, brackets and braces in
/// conditions, regular expressions and JSONPath queries, and the height of a condition's
/// tree (each `!`, comparison and `&&`/`||` operand adds a level).
///
/// The pest parser of conditions uses about 8 KiB of stack per parenthesis in an
/// optimized build and about 70 KiB in an unoptimized one, so 64 levels parse in 0.6 MiB
/// (4.5 MiB unoptimized): within a 2 MiB tokio worker's stack, and an 8 MiB main
/// thread's even in a debug build. No condition, pattern or query a person writes comes
/// near it.
pub const MAX_NESTING: usize = 64;

/// The deepest nesting of parentheses, brackets, braces and comments allowed in an XPath
/// expression.
///
/// Lower than [`MAX_NESTING`] because `xee-xpath`'s parser backtracks: its parse time
/// roughly doubles with each nesting level (20 levels took 18 s in an optimized build,
/// 25 levels over two minutes), and a query is parsed again at each evaluation. At 10
/// levels the worst query we found (ten `and`s per level) parses in about 0.2 s in an
/// optimized build; real criteria (`count(//a[b[@c = 'x']]) > 0`) use three or four.
pub const MAX_XPATH_NESTING: usize = 10;

/// The most operators an XPath expression may have: operator characters (`/ + - * = !
/// < > | , : ?`), opening brackets and operator keywords (`and`, `or`, `div`, `to`, `if`,
/// `for`, `return`, …).
///
/// `xee-xpath` builds and compiles a tree with a level per operator and recurses over it
/// (a chain of 5,000 `+` overflowed an 8 MiB stack; a path of 1,000 steps took seconds).
/// 128 operators need at most about 0.4 MiB of stack in an optimized build (0.7 MiB
/// unoptimized); a long SOAP-style path such as
/// `/*[local-name()='Envelope']/*[local-name()='Body']/*[local-name()='Result'] = 'OK'`
/// has about 30.
pub const MAX_XPATH_OPERATORS: usize = 128;

/// The longest XPath expression allowed, in bytes (names and string literals are cheap,
/// but not free: every evaluation parses the query again).
pub const MAX_XPATH_LENGTH: usize = 4096;

/// The largest XML text (bytes) an XPath criterion or selector is evaluated against.
pub const MAX_XPATH_INPUT: usize = 8 << 20;

/// The longest an XPath evaluation may take (wall-clock time).
///
/// `xee` has no work budget and cannot be interrupted, so an XPath criterion or selector
/// is evaluated on a worker thread, and one that has not finished after this long fails
/// with a limit error. Real criteria take milliseconds; this bounds a query whose cost
/// grows with the size of the XML (`//*[. = //*]` over a large response). Constructs
/// whose cost does not depend on the XML are refused before they run
/// ([`MAX_XPATH_RANGE`]).
pub const XPATH_TIME_LIMIT: std::time::Duration = std::time::Duration::from_secs(2);

/// How many XPath evaluations abandoned at [`XPATH_TIME_LIMIT`] may still be running.
///
/// A thread cannot be stopped from outside, so an abandoned evaluation runs until it
/// ends by itself; while this many do, a new XPath evaluation fails at once with a limit
/// error, so that stragglers cannot take more than this many cores.
pub const MAX_XPATH_STRAGGLERS: usize = 1;

/// The longest XPath range (`a to b`) allowed, and then only between two integer
/// literals: `sum(1 to 100000000)` took 2 GB and a minute. For the same reason inline
/// functions (which can recurse) and more than one sequence multiplier (a `for`
/// expression, a `!` step) in one query are refused, with a
/// [`ParseErrorKind::Unbounded`] error at the construct.
pub const MAX_XPATH_RANGE: usize = 1_000;

/// The deepest element nesting of an XML text an XPath criterion or selector is
/// evaluated against. `xee`'s document order sorting costs time proportional to the
/// depth for every node, so a 100,000-deep document made `count(//a)` run for minutes.
pub const MAX_XML_DEPTH: usize = 256;

/// The work budget of one JSONPath evaluation, in units of about 10 ns of
/// `serde_json_path`'s time in an optimized build: a node visited or compared, or a
/// filter term evaluated, is one unit; an entry of a node list 16 (so the budget also
/// bounds memory: at most about six million entries); a `match`/`search` call 25,000
/// (`serde_json_path` compiles the regex at every call).
///
/// `serde_json_path` has no budget of its own, and RFC 9535 keeps duplicates, so a short
/// query can ask for exponential work (`$..*..*..*`, `$[*,*][*,*]…`, a filter with
/// thousands of terms over a large array: 2,000 terms over 200,000 items took 24 s). A
/// query is run segment by segment, and before each segment runs on a node an upper
/// bound of its work there (from the node's actual size and the query's shape) is
/// charged to this budget; when the budget would be exceeded the evaluation fails
/// instead of running. The budget is about a second of work.
pub const JSONPATH_WORK_LIMIT: u64 = 100_000_000;

/// The languages whose nesting is measured; each has its own quoting rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lang {
    /// A `simple` condition: `'…'` (with `''`) and `"…"` (with `\` escapes).
    Condition,
    /// An ECMAScript pattern: `\` escapes, `[…]` classes, groups.
    Regex,
    /// RFC 9535 JSONPath: `'…'` and `"…"` with `\` escapes.
    JsonPath,
    /// XPath 3.1: `'…'` and `"…"` (doubled quotes), nested `(: … :)` comments.
    XPath,
}

impl Lang {
    fn limit(self) -> usize {
        match self {
            Lang::XPath => MAX_XPATH_NESTING,
            _ => MAX_NESTING,
        }
    }
}

/// The result of a nesting scan: the deepest level and where the limit was first passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Nesting {
    /// The deepest nesting level reached.
    pub max: usize,
    /// Byte offset of the opening bracket that first went over the limit.
    pub first_over: Option<usize>,
}

/// Measures the nesting of `text` in a linear scan, without recursion.
///
/// Brackets inside string literals (and, in XPath, comments) do not count; a closing
/// bracket of any kind closes one level. The count can only be too high, never too low,
/// for text the language's parser accepts up to that point.
pub(crate) fn nesting(text: &str, lang: Lang) -> Nesting {
    let limit = lang.limit();
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut out = Nesting {
        max: 0,
        first_over: None,
    };
    let open = |depth: &mut usize, at: usize, out: &mut Nesting| {
        *depth += 1;
        if *depth > out.max {
            out.max = *depth;
        }
        if *depth > limit && out.first_over.is_none() {
            out.first_over = Some(at);
        }
    };
    let mut i = 0;
    // XPath comments nest; inside them nothing but `(:` and `:)` counts.
    let mut comment = 0usize;
    while i < bytes.len() {
        let b = bytes[i];
        if comment > 0 {
            if b == b'(' && bytes.get(i + 1) == Some(&b':') {
                comment += 1;
                open(&mut depth, i, &mut out);
                i += 2;
            } else if b == b':' && bytes.get(i + 1) == Some(&b')') {
                comment -= 1;
                depth = depth.saturating_sub(1);
                i += 2;
            } else {
                i += 1;
            }
            continue;
        }
        match (lang, b) {
            (Lang::Regex, b'\\') => i += 2,
            (Lang::Regex, b'[') => {
                // A class: its first `]` closes it (`[]` is the empty class).
                i += 1;
                while i < bytes.len() && bytes[i] != b']' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            (Lang::Regex, b'(') => {
                open(&mut depth, i, &mut out);
                i += 1;
            }
            (Lang::Regex, b')') => {
                depth = depth.saturating_sub(1);
                i += 1;
            }
            (Lang::Regex, _) => i += 1,
            (_, b'\'' | b'"') => {
                let escapes =
                    matches!(lang, Lang::JsonPath) || (lang == Lang::Condition && b == b'"');
                i += 1;
                while i < bytes.len() && bytes[i] != b {
                    i += if escapes && bytes[i] == b'\\' { 2 } else { 1 };
                }
                // XPath and condition `''` doubling is two strings back to back.
                i += 1;
            }
            (Lang::XPath, b'(') if bytes.get(i + 1) == Some(&b':') => {
                comment = 1;
                open(&mut depth, i, &mut out);
                i += 2;
            }
            (_, b'(' | b'[' | b'{') => {
                open(&mut depth, i, &mut out);
                i += 1;
            }
            (_, b')' | b']' | b'}') => {
                depth = depth.saturating_sub(1);
                i += 1;
            }
            _ => i += 1,
        }
    }
    out
}

/// Refuses `text` when it nests deeper than its language allows. `what` names it in the
/// message ("condition", "JSONPath query", …).
pub(crate) fn check_nesting(text: &str, lang: Lang, what: &str) -> Result<(), ParseError> {
    let n = nesting(text, lang);
    match n.first_over {
        None => Ok(()),
        Some(at) => {
            let limit = lang.limit();
            let end = at + if text[at..].starts_with("(:") { 2 } else { 1 };
            Err(ParseError::with_kind(
                ParseErrorKind::TooDeep,
                format!(
                    "the {what} is nested {} levels deep; the limit is {limit}",
                    n.max
                ),
                at..end,
            )
            .with_hint(
                "arazzo-run refuses deeper nesting so that no expression can exhaust the stack",
            ))
        }
    }
}

/// XPath keywords that are operators: each adds a level to `xee`'s tree.
const XPATH_KEYWORDS: &[&str] = &[
    "and",
    "or",
    "div",
    "idiv",
    "mod",
    "to",
    "eq",
    "ne",
    "lt",
    "le",
    "gt",
    "ge",
    "is",
    "union",
    "intersect",
    "except",
    "instance",
    "treat",
    "castable",
    "cast",
    "if",
    "then",
    "else",
    "for",
    "let",
    "some",
    "every",
    "return",
    "satisfies",
    "in",
    "of",
    "as",
];

/// Counts the operators of an XPath expression ([`MAX_XPATH_OPERATORS`]) outside string
/// literals and comments; with the byte offset of the first one over the limit.
fn xpath_operators(text: &str) -> (usize, Option<usize>) {
    let b = text.as_bytes();
    let (mut count, mut first_over, mut i, mut comment) = (0usize, None, 0usize, 0usize);
    let mut add = |at: usize, count: &mut usize| {
        *count += 1;
        if *count > MAX_XPATH_OPERATORS && first_over.is_none() {
            first_over = Some(at);
        }
    };
    while i < b.len() {
        let c = b[i];
        if comment > 0 {
            match (c, b.get(i + 1)) {
                (b'(', Some(b':')) => (comment, i) = (comment + 1, i + 2),
                (b':', Some(b')')) => (comment, i) = (comment - 1, i + 2),
                _ => i += 1,
            }
            continue;
        }
        match c {
            b'\'' | b'"' => {
                i += 1;
                while i < b.len() && b[i] != c {
                    i += 1;
                }
                i += 1;
            }
            b'(' if b.get(i + 1) == Some(&b':') => (comment, i) = (1, i + 2),
            b'/' | b'+' | b'-' | b'*' | b'=' | b'!' | b'<' | b'>' | b'|' | b',' | b':' | b'?'
            | b'(' | b'[' | b'{' => {
                add(i, &mut count);
                i += 1;
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let start = i;
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                    i += 1;
                }
                if XPATH_KEYWORDS.contains(&&text[start..i]) {
                    add(start, &mut count);
                }
            }
            _ => i += 1,
        }
    }
    (count, first_over)
}

/// Refuses an XPath expression over [`MAX_XPATH_LENGTH`] bytes,
/// [`MAX_XPATH_OPERATORS`] operators or [`MAX_XPATH_NESTING`] levels.
pub(crate) fn check_xpath(query: &str) -> Result<(), ParseError> {
    if query.len() > MAX_XPATH_LENGTH {
        let mut end = MAX_XPATH_LENGTH;
        while !query.is_char_boundary(end) {
            end -= 1;
        }
        return Err(ParseError::with_kind(
            ParseErrorKind::TooLong,
            format!(
                "the XPath expression is {} bytes long; the limit is {MAX_XPATH_LENGTH}",
                query.len()
            ),
            end..query.len(),
        ));
    }
    check_nesting(query, Lang::XPath, "XPath expression")?;
    if let (count, Some(at)) = xpath_operators(query) {
        let end = at + query[at..].chars().next().map_or(1, char::len_utf8);
        return Err(ParseError::with_kind(
            ParseErrorKind::TooLong,
            format!(
                "the XPath expression has {count} operators; the limit is {MAX_XPATH_OPERATORS}"
            ),
            at..end,
        )
        .with_hint("split it into several criteria"));
    }
    Ok(())
}

/// The deepest element nesting of an XML text, measured without parsing it (and
/// without recursion). Comments, CDATA sections, processing instructions and
/// declarations are skipped; quoted attribute values are skipped so that a `/>` inside
/// one does not count as the end of an empty element. The count can only be too high for
/// well-formed XML.
pub(crate) fn xml_depth(xml: &str) -> usize {
    let b = xml.as_bytes();
    let (mut depth, mut max, mut i) = (0usize, 0usize, 0usize);
    let skip_to = |from: usize, end: &[u8]| -> usize {
        b[from..]
            .windows(end.len())
            .position(|w| w == end)
            .map_or(b.len(), |p| from + p + end.len())
    };
    while i < b.len() {
        if b[i] != b'<' {
            i += 1;
            continue;
        }
        let rest = &b[i..];
        if rest.starts_with(b"<!--") {
            i = skip_to(i + 4, b"-->");
        } else if rest.starts_with(b"<![CDATA[") {
            i = skip_to(i + 9, b"]]>");
        } else if rest.starts_with(b"<?") {
            i = skip_to(i + 2, b"?>");
        } else if rest.starts_with(b"<!") {
            // A declaration (DOCTYPE, possibly with an internal subset in brackets).
            let mut j = i + 2;
            let mut brackets = 0usize;
            while j < b.len() {
                match b[j] {
                    b'[' => brackets += 1,
                    b']' => brackets = brackets.saturating_sub(1),
                    b'>' if brackets == 0 => break,
                    _ => {}
                }
                j += 1;
            }
            i = j + 1;
        } else if rest.starts_with(b"</") {
            depth = depth.saturating_sub(1);
            i = skip_to(i + 2, b">");
        } else {
            // A start tag: find its end, honouring quoted attribute values.
            let mut j = i + 1;
            let mut quote = None;
            while j < b.len() {
                match (quote, b[j]) {
                    (Some(q), c) if c == q => quote = None,
                    (Some(_), _) => {}
                    (None, c @ (b'"' | b'\'')) => quote = Some(c),
                    (None, b'>') => break,
                    _ => {}
                }
                j += 1;
            }
            let empty = j > 0 && j < b.len() && b[j - 1] == b'/';
            if !empty {
                depth += 1;
                max = max.max(depth);
            }
            i = j + 1;
        }
    }
    max
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn strings_and_comments_do_not_count() {
        assert_eq!(nesting("('((((' == $a)", Lang::Condition).max, 1);
        assert_eq!(nesting(r#"("a\"((" == $a)"#, Lang::Condition).max, 1);
        assert_eq!(nesting(r"\((a[(((])", Lang::Regex).max, 1);
        assert_eq!(nesting(r"[]((", Lang::Regex).max, 2);
        assert_eq!(nesting(r#"$[?@.a == '\'((']"#, Lang::JsonPath).max, 1);
        assert_eq!(nesting("(: it's :) ((1))", Lang::XPath).max, 2);
        assert_eq!(nesting("(: (: x :) :) 'a''(' ", Lang::XPath).max, 2);
    }

    #[test]
    fn closers_in_strings_cannot_hide_openers() {
        let text = format!("{}')))))' {}", "(".repeat(100), "(".repeat(100));
        assert_eq!(nesting(&text, Lang::Condition).max, 200);
        let q = format!("{}\")))))\" {}", "(".repeat(10), "(".repeat(10));
        assert_eq!(nesting(&q, Lang::XPath).max, 20);
    }

    #[test]
    fn the_error_points_at_the_first_level_over_the_limit() {
        let text = format!("{}true{}", "(".repeat(200), ")".repeat(200));
        let e = check_nesting(&text, Lang::Condition, "condition").unwrap_err();
        assert_eq!(e.kind(), ParseErrorKind::TooDeep);
        assert_eq!(e.span, MAX_NESTING..MAX_NESTING + 1);
        assert!(
            e.message.contains("200 levels deep; the limit is 64"),
            "{e}"
        );
    }

    #[test]
    fn xpath_operators_outside_strings_and_comments() {
        assert_eq!(xpath_operators("/order/@status = 'a/b/c' and 1").0, 4);
        assert_eq!(xpath_operators("(: a/b/c :) a or b").0, 1);
        let long = vec!["1"; 200].join("+");
        let (n, at) = xpath_operators(&long);
        assert_eq!((n, at), (199, Some(2 * MAX_XPATH_OPERATORS + 1)));
        assert_eq!(
            check_xpath(&long).unwrap_err().kind(),
            ParseErrorKind::TooLong
        );
    }

    #[test]
    fn xml_depth_skips_what_is_not_an_element() {
        assert_eq!(xml_depth("<a><b/><c x='/>'><d></d></c></a>"), 3);
        assert_eq!(xml_depth("<!-- </a></a> --><a><![CDATA[</a>]]></a>"), 1);
        assert_eq!(
            xml_depth("<?xml version='1.0'?><!DOCTYPE a [<!ELEMENT a ANY>]><a/>"),
            0
        );
        let deep = format!("{}{}", "<a>".repeat(300), "</a>".repeat(300));
        assert_eq!(xml_depth(&deep), 300);
    }
}
