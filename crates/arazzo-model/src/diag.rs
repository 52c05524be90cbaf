//! Diagnostics: what went wrong, where, and what to do about it.
//!
//! Every problem that input can cause — a YAML syntax error, a missing field,
//! an unknown step, an unresolvable operation — becomes a [`Diagnostic`] with a
//! stable [`Code`], a [`Severity`], a message, a location and, where it helps,
//! a hint. Diagnostics render like rustc's (the source line with a caret under
//! the problem) or as JSON for machines.

use std::fmt;

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
use serde::Serialize;

use crate::source::{Location, Position};

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing; the document still works as written.
    Warning,
    /// The document is invalid: it cannot be run as written.
    Error,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        })
    }
}

macro_rules! codes {
    ($( $(#[$doc:meta])* $variant:ident = $name:literal, )*) => {
        /// A stable identifier for a kind of finding.
        ///
        /// Codes never change meaning once released; `docs/diagnostics.md`
        /// lists each with an example.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code {
            $( $(#[$doc])* $variant, )*
        }

        impl Code {
            /// Every code, in declaration order.
            pub const ALL: &'static [Code] = &[ $( Code::$variant, )* ];

            /// The code's stable kebab-case name, as shown to users.
            pub fn as_str(self) -> &'static str {
                match self { $( Code::$variant => $name, )* }
            }

            /// Looks a code up by its name.
            pub fn from_name(name: &str) -> Option<Code> {
                match name { $( $name => Some(Code::$variant), )* _ => None }
            }
        }
    };
}

codes! {
    // --- Loading ---------------------------------------------------------
    /// The file could not be read.
    Io = "io",
    /// The bytes are not valid UTF-8 text.
    NotUtf8 = "not-utf8",
    /// The text is not well-formed YAML or JSON.
    Syntax = "syntax",
    /// The file contains no document.
    EmptyDocument = "empty-document",
    /// The file contains more than one YAML document.
    MultipleDocuments = "multiple-documents",
    /// A mapping has the same key twice.
    DuplicateKey = "duplicate-key",
    /// A mapping key is not a scalar.
    ComplexKey = "complex-key",
    /// An alias refers to an anchor that is not (yet) defined.
    UnknownAnchor = "unknown-anchor",
    /// Aliases expand to more nodes than the loader allows (an "alias bomb").
    AliasBudget = "alias-budget",
    /// The document nests deeper than the loader allows.
    TooDeep = "too-deep",
    /// The document is larger than the loader allows.
    TooLarge = "too-large",
    /// A YAML tag outside the JSON schema (`!!str`, `!!int`, ...).
    UnsupportedTag = "unsupported-tag",
    /// A YAML value that JSON cannot represent (`.inf`, `.nan`).
    UnrepresentableValue = "unrepresentable-value",

    // --- Structure ---------------------------------------------------------
    /// The top level is not an object, or is not an Arazzo document.
    NotArazzo = "not-arazzo",
    /// The `arazzo` version is not one this engine implements.
    UnsupportedVersion = "unsupported-version",
    /// A required field is missing.
    MissingField = "missing-field",
    /// A field has the wrong JSON type.
    WrongType = "wrong-type",
    /// A field the specification does not define (and not an `x-` extension).
    UnknownField = "unknown-field",
    /// A value outside the allowed set (an enum, a bound).
    InvalidValue = "invalid-value",
    /// A name or key that does not match the pattern the specification requires.
    InvalidName = "invalid-name",
    /// A list that must not be empty is empty.
    EmptyList = "empty-list",
    /// A field only valid in a later Arazzo version.
    VersionMismatch = "version-mismatch",
    /// A step names none, or more than one, of operationId, operationPath and workflowId.
    StepTarget = "step-target",
    /// An operation-step parameter without `in`.
    ParameterIn = "parameter-in",
    /// A criterion with `type` but no `context`.
    CriterionContext = "criterion-context",
    /// A goto or retry action whose stepId/workflowId fields are missing or both present.
    ActionTarget = "action-target",
    /// A field that has no effect where it is written (e.g. `retryLimit` on a goto).
    IneffectiveField = "ineffective-field",
    /// A workflow `inputs` schema that no object can satisfy (`type: string`):
    /// inputs are an object of named values, so every run fails its input check.
    InputsNotObject = "inputs-not-object",
    /// Two workflows with the same workflowId.
    DuplicateWorkflowId = "duplicate-workflow-id",
    /// Two steps of a workflow with the same stepId.
    DuplicateStepId = "duplicate-step-id",
    /// Two source descriptions with the same name.
    DuplicateSourceName = "duplicate-source-name",
    /// Two parameters with the same name and location in one list.
    DuplicateParameter = "duplicate-parameter",
    /// Two actions with the same name in one list.
    DuplicateAction = "duplicate-action",

    // --- References ---------------------------------------------------------
    /// A goto, retry, dependsOn or step names a step that does not exist.
    UnknownStep = "unknown-step",
    /// A goto, retry, dependsOn or step names a workflow that does not exist.
    UnknownWorkflow = "unknown-workflow",
    /// An expression names a source description that does not exist.
    UnknownSource = "unknown-source",
    /// A `$components.*` reference or `$ref` names a component that does not exist.
    UnknownComponent = "unknown-component",
    /// A Reusable Object points at the wrong kind of component.
    ComponentKind = "component-kind",
    /// Workflows depend on each other in a cycle.
    DependencyCycle = "dependency-cycle",
    /// `$inputs.x` where the workflow declares no input `x`.
    UnknownInput = "unknown-input",
    /// `$steps.x.outputs.y` where step `x` declares no output `y`.
    UnknownOutput = "unknown-output",
    /// A step reads outputs of a step that may not have run yet.
    ForwardReference = "forward-reference",
    /// An expression that is used where the specification does not give it meaning.
    ExpressionScope = "expression-scope",

    // --- Expressions ---------------------------------------------------------
    /// A runtime expression, template or condition that does not parse.
    ExpressionSyntax = "expression-syntax",
    /// A regex, JSONPath, XPath or selector that does not compile.
    CriterionSyntax = "criterion-syntax",

    // --- Sources and operations ---------------------------------------------
    /// A source description that could not be loaded.
    SourceLoad = "source-load",
    /// A source description that is not a document of its declared type.
    SourceType = "source-type",
    /// An operationId or operationPath that does not resolve.
    UnresolvedOperation = "unresolved-operation",
    /// A bare operationId that several source descriptions define.
    AmbiguousOperation = "ambiguous-operation",
    /// A step parameter its operation does not declare.
    UnknownParameter = "unknown-parameter",
    /// A required operation parameter the step does not supply.
    MissingParameter = "missing-parameter",
    /// A `$ref` that does not resolve.
    UnresolvedRef = "unresolved-ref",
    /// Something in an OpenAPI description the engine cannot use.
    InvalidOpenApi = "invalid-openapi",
    /// A feature arazzo-run does not execute (AsyncAPI channel steps).
    Unsupported = "unsupported",

    // --- Static analysis of control flow -------------------------------------
    /// A success path that reaches a step whose inputs cannot exist.
    UnguardedFallthrough = "unguarded-fallthrough",
    /// A goto that targets the step that runs next anyway.
    RedundantGoto = "redundant-goto",
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// A secondary location that explains the primary one ("first defined here").
#[derive(Debug, Clone)]
pub struct Note {
    /// What this location shows.
    pub message: String,
    /// Where.
    pub location: Location,
}

/// One finding about a document.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    /// What kind of finding this is.
    pub code: Code,
    /// How bad it is.
    pub severity: Severity,
    /// One sentence describing the problem.
    pub message: String,
    /// Where the problem is, when it has a place.
    pub location: Option<Location>,
    /// A short label shown under the caret.
    pub label: Option<String>,
    /// What to do about it.
    pub hint: Option<String>,
    /// Related locations.
    pub notes: Vec<Note>,
}

impl Diagnostic {
    /// A new error.
    pub fn error(code: Code, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            severity: Severity::Error,
            message: message.into(),
            location: None,
            label: None,
            hint: None,
            notes: Vec::new(),
        }
    }

    /// A new warning.
    pub fn warning(code: Code, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, message)
        }
    }

    /// Sets the location.
    pub fn at(mut self, location: Location) -> Diagnostic {
        self.location = Some(location);
        self
    }

    /// Sets the location if there is one.
    pub fn at_opt(mut self, location: Option<Location>) -> Diagnostic {
        if location.is_some() {
            self.location = location;
        }
        self
    }

    /// Sets the label shown under the caret.
    pub fn label(mut self, label: impl Into<String>) -> Diagnostic {
        self.label = Some(label.into());
        self
    }

    /// Sets the hint.
    pub fn hint(mut self, hint: impl Into<String>) -> Diagnostic {
        self.hint = Some(hint.into());
        self
    }

    /// Adds a related location.
    pub fn note(mut self, message: impl Into<String>, location: Location) -> Diagnostic {
        self.notes.push(Note {
            message: message.into(),
            location,
        });
        self
    }

    /// Is this an error (as opposed to a warning)?
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// Where the diagnostic starts, if it has a location.
    pub fn position(&self) -> Option<Position> {
        self.location.as_ref().map(Location::start)
    }

    /// Renders the diagnostic like rustc: the message, the file:line:column,
    /// the offending source line with a caret under the problem, and the hint.
    ///
    /// `color` selects ANSI styling.
    pub fn render(&self, color: bool) -> String {
        let renderer = if color {
            Renderer::styled()
        } else {
            Renderer::plain()
        };
        let level = match self.severity {
            Severity::Error => Level::ERROR,
            Severity::Warning => Level::WARNING,
        };
        let title = level
            .primary_title(self.message.as_str())
            .id(self.code.as_str());
        let primary = self
            .location
            .as_ref()
            .map(|l| excerpt(l, self.label.as_deref()));
        let first = match &primary {
            Some(ex) => title.element(ex.snippet(AnnotationKind::Primary)),
            None => Group::with_title(title),
        };
        let mut groups: Vec<Group<'_>> = vec![first];
        let notes: Vec<(String, Excerpt)> = self
            .notes
            .iter()
            .map(|n| (n.message.clone(), excerpt(&n.location, None)))
            .collect();
        for (msg, ex) in &notes {
            groups.push(
                Level::NOTE
                    .secondary_title(msg.as_str())
                    .element(ex.snippet(AnnotationKind::Context)),
            );
        }
        if let Some(hint) = &self.hint {
            groups.push(Group::with_title(
                Level::HELP.secondary_title(hint.as_str()),
            ));
        }
        renderer.render(&groups).to_string()
    }

    /// The diagnostic as a JSON object: `{code, severity, message, file, line,
    /// column, endLine, endColumn, hint, notes}`.
    pub fn to_json(&self) -> serde_json::Value {
        let mut obj = serde_json::Map::new();
        obj.insert("code".into(), self.code.as_str().into());
        obj.insert("severity".into(), self.severity.to_string().into());
        obj.insert("message".into(), self.message.clone().into());
        if let Some(loc) = &self.location {
            let (start, end) = (loc.start(), loc.end());
            obj.insert("file".into(), loc.file.name().into());
            obj.insert("line".into(), start.line.into());
            obj.insert("column".into(), start.column.into());
            obj.insert("endLine".into(), end.line.into());
            obj.insert("endColumn".into(), end.column.into());
        } else {
            obj.insert("file".into(), serde_json::Value::Null);
            obj.insert("line".into(), serde_json::Value::Null);
            obj.insert("column".into(), serde_json::Value::Null);
        }
        if let Some(label) = &self.label {
            obj.insert("label".into(), label.clone().into());
        }
        obj.insert(
            "hint".into(),
            self.hint
                .clone()
                .map_or(serde_json::Value::Null, Into::into),
        );
        let notes: Vec<serde_json::Value> = self
            .notes
            .iter()
            .map(|n| {
                let p = n.location.start();
                serde_json::json!({
                    "message": n.message,
                    "file": n.location.file.name(),
                    "line": p.line,
                    "column": p.column,
                })
            })
            .collect();
        obj.insert("notes".into(), notes.into());
        serde_json::Value::Object(obj)
    }
}

/// Renders a failure found while running, like a diagnostic: `error[id]:
/// message`, the file:line:column, and the source line at `location` with a
/// caret and `label` under it. Run-time failures have no diagnostic code;
/// `id` names their kind (`step-failed`, …).
pub fn render_failure(
    id: &str,
    message: &str,
    location: &Location,
    label: Option<&str>,
    color: bool,
) -> String {
    let renderer = if color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    let ex = excerpt(location, label);
    let group = Level::ERROR
        .primary_title(message)
        .id(id)
        .element(ex.snippet(AnnotationKind::Primary));
    renderer.render(&[group]).to_string()
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.location {
            Some(loc) => write!(
                f,
                "{}: {}[{}]: {}",
                loc, self.severity, self.code, self.message
            ),
            None => write!(f, "{}[{}]: {}", self.severity, self.code, self.message),
        }
    }
}

impl std::error::Error for Diagnostic {}

/// The few source lines around a location, cut out of the file so that
/// rendering a diagnostic in a 3 MB document costs only those lines.
struct Excerpt {
    text: String,
    path: String,
    line_start: usize,
    span: std::ops::Range<usize>,
    label: Option<String>,
}

impl Excerpt {
    fn snippet(&self, kind: AnnotationKind) -> Snippet<'_, annotate_snippets::Annotation<'_>> {
        let mut ann = kind.span(self.span.clone());
        if let Some(label) = &self.label {
            ann = ann.label(label.as_str());
        }
        Snippet::source(self.text.as_str())
            .line_start(self.line_start)
            .path(self.path.as_str())
            .annotation(ann)
    }
}

/// At most this many lines of a multi-line span are shown.
const MAX_EXCERPT_LINES: usize = 6;

fn excerpt(loc: &Location, label: Option<&str>) -> Excerpt {
    let file = &loc.file;
    let start = loc.start();
    let first = start.line.saturating_sub(1) as usize;
    let last_line = loc.end().line.saturating_sub(1) as usize;
    let last = last_line.clamp(first, first + MAX_EXCERPT_LINES - 1);
    let begin = file.line_range(first).start;
    let end = file.line_range(last).end;
    let text = file.text().get(begin..end).unwrap_or("").to_string();
    let span_start = (loc.span.start as usize).clamp(begin, end) - begin;
    let mut span_end = (loc.span.end as usize).clamp(begin, end) - begin;
    if span_end <= span_start {
        // Point at one character (or the end of the line) rather than nothing.
        span_end = text
            .get(span_start..)
            .and_then(|rest| rest.chars().next())
            .map_or(span_start, |c| span_start + c.len_utf8());
    }
    // Trailing whitespace inside a block scalar's span is noise.
    let trimmed_end = text
        .get(span_start..span_end)
        .map_or(span_end, |s| span_start + s.trim_end().len());
    if trimmed_end > span_start {
        span_end = trimmed_end;
    }
    Excerpt {
        text,
        path: file.name().to_string(),
        line_start: first + 1,
        span: span_start..span_end,
        label: label.map(str::to_string),
    }
}

/// Counts errors and warnings in a list of diagnostics.
pub fn count(diagnostics: &[Diagnostic]) -> (usize, usize) {
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    (errors, diagnostics.len() - errors)
}

/// Sorts diagnostics by file and position, so output is stable and reads top-down.
pub fn sort(diagnostics: &mut [Diagnostic]) {
    diagnostics.sort_by(|a, b| {
        let ka = a
            .location
            .as_ref()
            .map(|l| (l.file.name().to_string(), l.span.start));
        let kb = b
            .location
            .as_ref()
            .map(|l| (l.file.name().to_string(), l.span.start));
        ka.cmp(&kb).then(b.severity.cmp(&a.severity))
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{SourceFile, Span};

    #[test]
    fn renders_caret_under_the_span() {
        let file = SourceFile::new("doc.yaml", "arazzo: 1.0.1\ninfo: 3\n");
        let d = Diagnostic::error(Code::WrongType, "`info` must be an object")
            .at(Location {
                file,
                span: Span::new(20, 21),
            })
            .label("found a number")
            .hint("write `info:` followed by `title` and `version`");
        let out = d.render(false);
        assert!(
            out.contains("error[wrong-type]: `info` must be an object"),
            "{out}"
        );
        assert!(out.contains("doc.yaml:2:7"), "{out}");
        assert!(out.contains("info: 3"), "{out}");
        assert!(out.contains("^ found a number"), "{out}");
        assert!(out.contains("help: write `info:`"), "{out}");
        let json = d.to_json();
        assert_eq!(json["line"], 2);
        assert_eq!(json["column"], 7);
        assert_eq!(json["code"], "wrong-type");
    }

    #[test]
    fn code_names_round_trip_and_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for &c in Code::ALL {
            assert!(seen.insert(c.as_str()), "duplicate code {}", c);
            assert_eq!(Code::from_name(c.as_str()), Some(c));
        }
    }
}
