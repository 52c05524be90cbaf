//! Parse and evaluation errors.
//!
//! Parse errors carry a byte span into the string that was parsed so that the validator
//! can translate them to a document's file:line:column and the CLI can draw a caret.
//! Evaluation errors are typed so that the engine can tell an absent value (an optional
//! input that was not supplied) from a genuine failure.

use std::fmt;
use std::ops::Range;

/// What kind of parse failure happened.
///
/// Most parse errors are [`ParseErrorKind::Syntax`]. [`ParseErrorKind::TooDeep`] and
/// [`ParseErrorKind::TooLong`] are the bounds of [`crate::limits`]: the text may be valid,
/// but parsing or evaluating it could exhaust the stack or run for a very long time, so
/// it is refused before any recursive parser sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// The text does not follow the grammar.
    #[default]
    Syntax,
    /// The text nests brackets, parentheses or operators deeper than the limit
    /// ([`crate::limits::MAX_NESTING`], or [`crate::limits::MAX_XPATH_NESTING`] for XPath).
    TooDeep,
    /// The text is longer, or has more operators, than its language allows
    /// ([`crate::limits::MAX_XPATH_LENGTH`], [`crate::limits::MAX_XPATH_OPERATORS`]).
    TooLong,
    /// The text uses a construct whose work has no bound that depends on the data it
    /// runs on, so it is refused (an XPath range, inline function, or a second `for` or
    /// `!`; see [`crate::limits::MAX_XPATH_RANGE`]).
    Unbounded,
}

/// A syntax error in a runtime expression, template or condition, or a text over one of
/// the bounds of [`crate::limits`] (see [`ParseError::kind`]).
///
/// `span` is a byte range into the parsed string. It is never empty unless the error is
/// at the end of the input, where it is `len..len`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// What is wrong, phrased as what was expected (for example
    /// "expected an input name (letters, digits, `.`, `-`, `_`)").
    pub message: String,
    /// Byte offsets of the offending text in the parsed string.
    pub span: Range<usize>,
    /// An optional suggestion shown under the caret (for example "conditions are not
    /// templates: remove the braces").
    pub hint: Option<String>,
    kind: ParseErrorKind,
}

impl ParseError {
    /// Creates a syntax error; used by the parsers and by callers that re-anchor errors.
    pub fn new(message: impl Into<String>, span: Range<usize>) -> Self {
        ParseError {
            message: message.into(),
            span,
            hint: None,
            kind: ParseErrorKind::Syntax,
        }
    }

    /// Creates an error of a given kind (a limit rather than a syntax error).
    pub fn with_kind(kind: ParseErrorKind, message: impl Into<String>, span: Range<usize>) -> Self {
        ParseError {
            kind,
            ..ParseError::new(message, span)
        }
    }

    /// What kind of failure this is: a syntax error, or text over a limit.
    pub fn kind(&self) -> ParseErrorKind {
        self.kind
    }

    /// Adds a hint, so that a common mistake gets a concrete suggestion.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Shifts the span by `offset` bytes, for an error found in a substring (an embedded
    /// expression, or a string value inside a larger document).
    pub fn offset(mut self, offset: usize) -> Self {
        self.span = self.span.start + offset..self.span.end + offset;
        self
    }

    /// The 1-based line and 1-based column (in characters) where the error starts, so
    /// that callers can report a position inside a multi-line string.
    pub fn line_col(&self, input: &str) -> (usize, usize) {
        let start = floor_char_boundary(input, self.span.start);
        let before = &input[..start];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let col = input[line_start..start].chars().count() + 1;
        (line, col)
    }

    /// Renders the error like rustc: the message, the offending line of `input`, and a
    /// caret/underline under the span. `input` must be the string that was parsed.
    ///
    /// ```
    /// let err = arazzo_expr::parse_expression("$inputs.").unwrap_err();
    /// let text = err.render("$inputs.");
    /// assert!(text.contains("$inputs."));
    /// assert!(text.contains("        ^"));
    /// ```
    pub fn render(&self, input: &str) -> String {
        let start = floor_char_boundary(input, self.span.start);
        let end = floor_char_boundary(input, self.span.end.max(start));
        let (line_no, _) = self.line_col(input);
        let line_start = input[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = input[start..].find('\n').map_or(input.len(), |i| start + i);
        // A long line (a condition of thousands of characters) is shown as a window
        // around the span, cut with `…`.
        let shown_start = input[line_start..start]
            .char_indices()
            .rev()
            .nth(RENDER_CONTEXT - 1)
            .map_or(line_start, |(i, _)| line_start + i);
        let underline_end = input[start..end.min(line_end)]
            .char_indices()
            .nth(RENDER_UNDERLINE)
            .map_or(end.min(line_end), |(i, _)| start + i);
        let shown_end = input[underline_end..line_end]
            .char_indices()
            .nth(RENDER_CONTEXT)
            .map_or(line_end, |(i, _)| underline_end + i);
        let before = if shown_start > line_start { "…" } else { "" };
        let after = if shown_end < line_end { "…" } else { "" };
        let line = &input[shown_start..shown_end];
        let pad = before.chars().count()
            + input[shown_start..start]
                .chars()
                .map(display_width)
                .sum::<usize>();
        let width = input[start..underline_end]
            .chars()
            .map(display_width)
            .sum::<usize>()
            .max(1);
        let gutter = line_no.to_string().len();
        let blank = " ".repeat(gutter);
        let mut out = String::new();
        out.push_str("error: ");
        out.push_str(&self.message);
        out.push('\n');
        out.push_str(&format!("{blank} |\n"));
        out.push_str(&format!("{line_no} | {before}{}{after}\n", visible(line)));
        out.push_str(&format!(
            "{blank} | {}{}",
            " ".repeat(pad),
            "^".repeat(width)
        ));
        if let Some(hint) = &self.hint {
            out.push('\n');
            out.push_str(&format!("{blank} = help: {hint}"));
        }
        out
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} (at byte {}..{})",
            self.message, self.span.start, self.span.end
        )?;
        if let Some(hint) = &self.hint {
            write!(f, "; help: {hint}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ParseError {}

/// Characters shown before and after the span when a line is too long to show whole.
const RENDER_CONTEXT: usize = 40;
/// The longest underline drawn (characters); a longer span is underlined this far.
const RENDER_UNDERLINE: usize = 80;

/// Tabs and control characters are shown as one column wide so that carets line up.
fn display_width(_c: char) -> usize {
    1
}

/// Replaces tabs and control characters in a rendered line so that the caret stays aligned.
fn visible(line: &str) -> String {
    line.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// The largest char boundary not after `i` (spans from pest are always on boundaries,
/// but a caller may shift them).
pub(crate) fn floor_char_boundary(s: &str, i: usize) -> usize {
    let mut i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// What kind of evaluation failure happened.
///
/// The engine needs to distinguish [`EvalErrorKind::Absent`] (the value does not exist:
/// an optional input that was not supplied, a header that was not sent) from the rest,
/// because an absent value leaves a field out of a request instead of failing the step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EvalErrorKind {
    /// The root of the expression does not exist in the context.
    Absent,
    /// A JSON pointer or property path did not resolve inside an existing value.
    Pointer,
    /// An embedded expression of a template failed (absence included: a template cannot
    /// leave a hole).
    Template,
    /// A selector (JSONPath, XPath, JSON Pointer) failed or selected nothing.
    Selector,
    /// A value had the wrong type for the operation (for example XPath on a JSON object).
    Type,
    /// Evaluation was refused or stopped because it would exceed one of the work bounds
    /// of [`crate::limits`] (a JSONPath query over too large a value, a regex over too
    /// long a text, a backtracking budget).
    Limit,
}

/// A failure to evaluate an expression, template, value or selector.
///
/// The message names the expression and the reason, e.g. "input `petId` was not
/// supplied" or "$response.body#/data/0/id: no element 0 in an empty array".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvalError {
    kind: EvalErrorKind,
    message: String,
    span: Option<Range<usize>>,
}

impl EvalError {
    /// Creates an error of the given kind.
    pub fn new(kind: EvalErrorKind, message: impl Into<String>) -> Self {
        EvalError {
            kind,
            message: message.into(),
            span: None,
        }
    }

    /// Attaches the byte span of the failing expression inside a template or value.
    pub fn with_span(mut self, span: Range<usize>) -> Self {
        self.span = Some(span);
        self
    }

    /// The kind of failure.
    pub fn kind(&self) -> EvalErrorKind {
        self.kind
    }

    /// True when the root value does not exist (an input that was not supplied, a step
    /// output that was never set, a header that was not sent). Callers use it to leave a
    /// field out instead of failing.
    pub fn is_absent(&self) -> bool {
        self.kind == EvalErrorKind::Absent
    }

    /// The human-readable reason.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// For errors inside templates: the byte span of the embedded expression that failed.
    pub fn span(&self) -> Option<Range<usize>> {
        self.span.clone()
    }
}

impl fmt::Display for EvalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for EvalError {}
