//! Loading YAML and JSON into `serde_json::Value`, remembering where every node came from.
//!
//! The loader reads YAML 1.2 (JSON is a subset of it) from the event stream
//! of `saphyr-parser` and builds two things side by side: the plain
//! [`serde_json::Value`] every other part of the engine works with, and a
//! [`SpanTree`] that mirrors it node for node with source spans. Positions
//! therefore never leak into values, and any later stage — validator,
//! resolver, engine — can turn a JSON pointer back into file:line:column.
//!
//! Policies, each chosen for safety on untrusted input (see `docs/semantics.md`):
//! - YAML 1.2 core schema: `yes`, `no`, `on`, `off`, `NO` stay strings.
//! - A mapping key that appears twice is an error, not last-wins.
//! - Anchors and aliases work, but aliases may expand to at most
//!   [`Limits::max_alias_nodes`] nodes, so an "alias bomb" fails fast.
//! - `<<` merge keys (a YAML 1.1 feature many OpenAPI files use) are applied.
//! - Nesting is limited to [`Limits::max_depth`] levels, input size to [`Limits::max_bytes`].
//! - Tags other than the JSON-schema ones (`!!str`, `!!int`, ...) are errors.

use std::collections::HashMap;
use std::sync::Arc;

use saphyr_parser::{Event, Parser, ScalarStyle, ScanError, Tag};
use serde_json::{Map, Number, Value};

use crate::diag::{Code, Diagnostic};
use crate::source::{Location, SourceFile, Span};

/// Bounds that keep hostile documents from exhausting memory or stack.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Maximum nesting depth of mappings and sequences.
    pub max_depth: usize,
    /// Maximum number of nodes that alias expansion may add.
    pub max_alias_nodes: usize,
    /// Maximum input size in bytes.
    pub max_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 512,
            max_alias_nodes: 1_000_000,
            max_bytes: 256 * 1024 * 1024,
        }
    }
}

/// The shape of a value's source positions, parallel to the value itself.
///
/// A mapping's children are in the same order as the keys of the
/// corresponding `serde_json::Map` (the workspace enables `preserve_order`).
#[derive(Debug, Clone, Default)]
pub struct SpanTree {
    /// The span of the whole node.
    pub span: Span,
    kids: Kids,
}

#[derive(Debug, Clone, Default)]
enum Kids {
    #[default]
    Leaf,
    Seq(Vec<SpanTree>),
    Map(Vec<(Span, SpanTree)>),
}

impl SpanTree {
    fn leaf(span: Span) -> SpanTree {
        SpanTree {
            span,
            kids: Kids::Leaf,
        }
    }

    /// The tree of the `i`-th item of a sequence.
    pub fn item(&self, i: usize) -> Option<&SpanTree> {
        match &self.kids {
            Kids::Seq(items) => items.get(i),
            _ => None,
        }
    }

    /// The key span and value tree of the `i`-th entry of a mapping.
    pub fn entry(&self, i: usize) -> Option<(Span, &SpanTree)> {
        match &self.kids {
            Kids::Map(entries) => entries.get(i).map(|(k, v)| (*k, v)),
            _ => None,
        }
    }
}

/// Which part of a mapping entry a diagnostic should point at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// The key (`name:`), e.g. for "unknown field".
    Key,
    /// The value, e.g. for "wrong type".
    Value,
}

/// A loaded document: the text it came from, its value, and where each node is.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The source text.
    pub file: Arc<SourceFile>,
    /// The document as JSON.
    pub value: Value,
    /// Source spans, parallel to `value`.
    pub spans: SpanTree,
}

impl Loaded {
    /// The location of the node at `pointer` (RFC 6901 without the leading `#`),
    /// or of the deepest existing ancestor when the pointer runs off the document.
    pub fn locate(&self, pointer: &str, part: Part) -> Location {
        Location {
            file: self.file.clone(),
            span: locate(&self.value, &self.spans, pointer, part),
        }
    }
}

/// Finds the span of the node at `pointer` in `value`/`spans`.
///
/// Falls back to the deepest existing ancestor, so a diagnostic about a
/// missing field points at the object that lacks it.
pub fn locate(value: &Value, spans: &SpanTree, pointer: &str, part: Part) -> Span {
    let mut v = value;
    let mut t = spans;
    let mut key_span = None;
    if pointer.is_empty() {
        return t.span;
    }
    for raw in pointer.split('/').skip(1) {
        let token = unescape_token(raw);
        let next = match v {
            Value::Object(map) => map
                .iter()
                .enumerate()
                .find(|(_, (k, _))| **k == token)
                .and_then(|(i, (_, cv))| {
                    let (ks, child) = t.entry(i)?;
                    Some((Some(ks), cv, child))
                }),
            Value::Array(items) => token
                .parse::<usize>()
                .ok()
                .and_then(|i| Some((None, items.get(i)?, t.item(i)?))),
            _ => None,
        };
        match next {
            Some((ks, cv, child)) => {
                key_span = ks;
                v = cv;
                t = child;
            }
            None => return t.span,
        }
    }
    match (part, key_span) {
        (Part::Key, Some(k)) => k,
        _ => t.span,
    }
}

/// Decodes `~1` and `~0` in one JSON pointer token.
pub fn unescape_token(token: &str) -> String {
    if token.contains('~') {
        token.replace("~1", "/").replace("~0", "~")
    } else {
        token.to_string()
    }
}

/// Encodes one JSON pointer token (`~` → `~0`, `/` → `~1`).
pub fn escape_token(token: &str) -> String {
    if token.contains(['~', '/']) {
        token.replace('~', "~0").replace('/', "~1")
    } else {
        token.to_string()
    }
}

/// Loads `bytes` read from `name` (a path or URL) with default limits.
pub fn load(name: &str, bytes: &[u8]) -> Result<Loaded, Diagnostic> {
    load_with(name, bytes, Limits::default())
}

/// Loads `bytes` read from `name` with explicit limits.
pub fn load_with(name: &str, bytes: &[u8], limits: Limits) -> Result<Loaded, Diagnostic> {
    let file = decode(name, bytes, limits)?;
    let (value, spans) = Builder::new(&file, limits).run()?;
    Ok(Loaded { file, value, spans })
}

/// Loads an already-decoded source file.
pub fn load_file(file: Arc<SourceFile>, limits: Limits) -> Result<Loaded, Diagnostic> {
    let (value, spans) = Builder::new(&file, limits).run()?;
    Ok(Loaded { file, value, spans })
}

/// Turns bytes into a [`SourceFile`]: checks the size, strips a UTF-8 byte
/// order mark, and rejects text that is not UTF-8 with the position of the
/// first bad byte.
pub fn decode(name: &str, bytes: &[u8], limits: Limits) -> Result<Arc<SourceFile>, Diagnostic> {
    if bytes.len() > limits.max_bytes || bytes.len() > u32::MAX as usize {
        return Err(Diagnostic::error(
            Code::TooLarge,
            format!(
                "{name} is {} bytes, more than the limit of {} bytes",
                bytes.len(),
                limits.max_bytes.min(u32::MAX as usize)
            ),
        ));
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(SourceFile::new(name, text)),
        Err(e) => {
            let good = e.valid_up_to();
            let text = String::from_utf8_lossy(bytes.get(..good).unwrap_or(&[])).into_owned();
            let file = SourceFile::new(name, text);
            let at = good;
            Err(
                Diagnostic::error(Code::NotUtf8, "the file is not UTF-8 text")
                    .at(Location {
                        file,
                        span: Span::at(at),
                    })
                    .label(format!("invalid byte at offset {at}"))
                    .hint("Arazzo and OpenAPI documents must be UTF-8 encoded YAML or JSON"),
            )
        }
    }
}

/// A finished node: its value, spans, and node count (for the alias budget).
#[derive(Clone)]
struct Node {
    value: Value,
    tree: SpanTree,
    count: usize,
    /// The raw text of a scalar, used when the node becomes a mapping key.
    raw: Option<(String, ScalarStyle)>,
}

enum Frame {
    Seq {
        anchor: usize,
        start: usize,
        items: Vec<Value>,
        trees: Vec<SpanTree>,
        count: usize,
    },
    Map {
        anchor: usize,
        start: usize,
        map: Map<String, Value>,
        trees: Vec<(Span, SpanTree)>,
        key: Option<(String, Span)>,
        /// Mappings to merge in (from `<<` keys), in order of precedence.
        merges: Vec<Node>,
        count: usize,
    },
}

struct Builder<'a> {
    file: &'a Arc<SourceFile>,
    limits: Limits,
    ascii: bool,
    stack: Vec<Frame>,
    anchors: HashMap<usize, Node>,
    expanded: usize,
    root: Option<Node>,
    documents: usize,
}

impl<'a> Builder<'a> {
    fn new(file: &'a Arc<SourceFile>, limits: Limits) -> Self {
        Builder {
            file,
            limits,
            ascii: file.text().is_ascii(),
            stack: Vec::new(),
            anchors: HashMap::new(),
            expanded: 0,
            root: None,
            documents: 0,
        }
    }

    fn offset(&self, m: &saphyr_parser::Marker) -> usize {
        if self.ascii {
            m.index().min(self.file.text().len())
        } else {
            self.file.offset_of(m.line(), m.col())
        }
    }

    fn span(&self, s: &saphyr_parser::Span) -> Span {
        Span::new(self.offset(&s.start), self.offset(&s.end))
    }

    fn err(&self, code: Code, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic::error(code, message).at(Location {
            file: self.file.clone(),
            span,
        })
    }

    fn scan_error(&self, e: &ScanError) -> Diagnostic {
        let at = self.offset(e.marker());
        if e.info().contains("recursion limit") {
            return self
                .err(
                    Code::TooDeep,
                    Span::at(at),
                    "the document nests deeper than the parser allows",
                )
                .hint("no Arazzo or OpenAPI document needs this much nesting");
        }
        if e.info().contains("unknown anchor") {
            return self
                .err(
                    Code::UnknownAnchor,
                    Span::at(at),
                    "this alias refers to an anchor that is not defined before it",
                )
                .hint("define the anchor (`&name`) before any alias (`*name`) that uses it");
        }
        self.err(
            Code::Syntax,
            Span::at(at),
            format!("invalid YAML/JSON: {}", e.info()),
        )
        .label(e.info().to_string())
    }

    fn run(mut self) -> Result<(Value, SpanTree), Diagnostic> {
        let mut parser = Parser::new_from_str(self.file.text());
        while let Some(next) = parser.next_event() {
            let (event, span) = next.map_err(|e| self.scan_error(&e))?;
            let span = self.span(&span);
            match event {
                Event::StreamStart | Event::StreamEnd | Event::Nothing => {}
                Event::DocumentStart(_) => {
                    self.documents += 1;
                    if self.documents > 1 {
                        return Err(self
                            .err(
                                Code::MultipleDocuments,
                                span,
                                "the file contains more than one YAML document",
                            )
                            .hint("split the documents into separate files"));
                    }
                }
                Event::DocumentEnd => {}
                Event::Alias(id) => {
                    let Some(node) = self.anchors.get(&id) else {
                        return Err(self.err(
                            Code::UnknownAnchor,
                            span,
                            "this alias refers to an anchor that is not defined before it",
                        ));
                    };
                    self.expanded = self.expanded.saturating_add(node.count);
                    if self.expanded > self.limits.max_alias_nodes {
                        return Err(self
                            .err(
                                Code::AliasBudget,
                                span,
                                format!(
                                    "aliases expand to more than {} nodes",
                                    self.limits.max_alias_nodes
                                ),
                            )
                            .label("expansion budget exceeded here")
                            .hint("this looks like an alias bomb; reduce the use of aliases"));
                    }
                    let mut node = node.clone();
                    // An alias keeps the anchored node's own positions, which is
                    // where a reader can find its content.
                    node.raw = node.raw.map(|(r, _)| (r, ScalarStyle::DoubleQuoted));
                    self.push(node, 0)?;
                }
                Event::Scalar(text, style, anchor, tag) => {
                    let value = self.scalar(&text, style, tag.as_deref(), span)?;
                    let node = Node {
                        value,
                        tree: SpanTree::leaf(span),
                        count: 1,
                        raw: Some((text.into_owned(), style)),
                    };
                    self.push(node, anchor)?;
                }
                Event::SequenceStart(anchor, tag) => {
                    self.check_collection_tag(tag.as_deref(), "seq", span)?;
                    self.open(
                        Frame::Seq {
                            anchor,
                            start: span.start as usize,
                            items: Vec::new(),
                            trees: Vec::new(),
                            count: 1,
                        },
                        span,
                    )?;
                }
                Event::MappingStart(anchor, tag) => {
                    self.check_collection_tag(tag.as_deref(), "map", span)?;
                    self.open(
                        Frame::Map {
                            anchor,
                            start: span.start as usize,
                            map: Map::new(),
                            trees: Vec::new(),
                            key: None,
                            merges: Vec::new(),
                            count: 1,
                        },
                        span,
                    )?;
                }
                Event::SequenceEnd => {
                    let Some(Frame::Seq {
                        anchor,
                        start,
                        items,
                        trees,
                        count,
                    }) = self.stack.pop()
                    else {
                        return Err(self.err(Code::Syntax, span, "unbalanced sequence"));
                    };
                    let node = Node {
                        value: Value::Array(items),
                        tree: SpanTree {
                            span: Span::new(start, span.end as usize),
                            kids: Kids::Seq(trees),
                        },
                        count,
                        raw: None,
                    };
                    self.push(node, anchor)?;
                }
                Event::MappingEnd => {
                    let Some(Frame::Map {
                        anchor,
                        start,
                        mut map,
                        mut trees,
                        merges,
                        mut count,
                        ..
                    }) = self.stack.pop()
                    else {
                        return Err(self.err(Code::Syntax, span, "unbalanced mapping"));
                    };
                    for merge in merges {
                        apply_merge(&mut map, &mut trees, &mut count, merge);
                    }
                    let node = Node {
                        value: Value::Object(map),
                        tree: SpanTree {
                            span: Span::new(start, span.end as usize),
                            kids: Kids::Map(trees),
                        },
                        count,
                        raw: None,
                    };
                    self.push(node, anchor)?;
                }
            }
        }
        match self.root {
            Some(node) => Ok((node.value, node.tree)),
            None => Err(self
                .err(
                    Code::EmptyDocument,
                    Span::at(0),
                    "the file contains no document",
                )
                .hint("an Arazzo document starts with `arazzo: 1.1.0`")),
        }
    }

    fn open(&mut self, frame: Frame, span: Span) -> Result<(), Diagnostic> {
        if self.stack.len() >= self.limits.max_depth {
            return Err(self
                .err(
                    Code::TooDeep,
                    span,
                    format!(
                        "the document nests deeper than {} levels",
                        self.limits.max_depth
                    ),
                )
                .hint("no Arazzo or OpenAPI document needs this much nesting"));
        }
        self.stack.push(frame);
        Ok(())
    }

    fn push(&mut self, node: Node, anchor: usize) -> Result<(), Diagnostic> {
        if anchor != 0 {
            let mut stored = node.clone();
            stored.raw = stored.raw.map(|(r, _)| (r, ScalarStyle::DoubleQuoted));
            self.anchors.insert(anchor, stored);
        }
        let Some(top) = self.stack.last_mut() else {
            self.root = Some(node);
            return Ok(());
        };
        match top {
            Frame::Seq {
                items,
                trees,
                count,
                ..
            } => {
                *count = count.saturating_add(node.count);
                items.push(node.value);
                trees.push(node.tree);
                Ok(())
            }
            Frame::Map { key: None, .. } => {
                let key_span = node.tree.span;
                let key = match (&node.raw, &node.value) {
                    (Some((raw, style)), _) => {
                        if *style == ScalarStyle::Plain && raw == "<<" {
                            // Merge key marker: remember it, the value follows.
                            "<<\u{0}merge".to_string()
                        } else {
                            raw.clone()
                        }
                    }
                    (None, _) => {
                        let span = node.tree.span;
                        return Err(self
                            .err(
                                Code::ComplexKey,
                                span,
                                "mapping keys must be strings, not mappings or sequences",
                            )
                            .hint("Arazzo and OpenAPI use only string keys"));
                    }
                };
                if let Some(Frame::Map { key: k, .. }) = self.stack.last_mut() {
                    *k = Some((key, key_span));
                }
                Ok(())
            }
            Frame::Map {
                map,
                trees,
                key,
                merges,
                count,
                ..
            } => {
                let Some((k, key_span)) = key.take() else {
                    return Ok(());
                };
                if k == "<<\u{0}merge" {
                    match node.value {
                        Value::Object(_) => merges.insert(0, node),
                        Value::Array(ref items) if items.iter().all(Value::is_object) => {
                            // Earlier mappings in the list take precedence.
                            let Kids::Seq(ts) = node.tree.kids else {
                                return Ok(());
                            };
                            let Value::Array(items) = node.value else {
                                return Ok(());
                            };
                            for (v, t) in items.into_iter().zip(ts).rev() {
                                merges.insert(
                                    0,
                                    Node {
                                        value: v,
                                        tree: t,
                                        count: 1,
                                        raw: None,
                                    },
                                );
                            }
                        }
                        _ => {
                            let span = node.tree.span;
                            return Err(self.err(
                                Code::WrongType,
                                span,
                                "a `<<` merge key needs a mapping or a list of mappings",
                            ));
                        }
                    }
                    return Ok(());
                }
                if map.contains_key(&k) {
                    let first = map.keys().position(|x| *x == k).unwrap_or(0);
                    let first_span = trees.get(first).map(|(s, _)| *s).unwrap_or_default();
                    let file = self.file.clone();
                    return Err(Diagnostic::error(
                        Code::DuplicateKey,
                        format!("the key `{k}` appears twice in this mapping"),
                    )
                    .at(Location {
                        file: file.clone(),
                        span: key_span,
                    })
                    .label("duplicate key")
                    .note(
                        "first defined here",
                        Location {
                            file,
                            span: first_span,
                        },
                    )
                    .hint("remove one of them; YAML mappings cannot repeat a key"));
                }
                *count = count.saturating_add(node.count);
                map.insert(k, node.value);
                trees.push((key_span, node.tree));
                Ok(())
            }
        }
    }

    fn check_collection_tag(
        &self,
        tag: Option<&Tag>,
        expected: &str,
        span: Span,
    ) -> Result<(), Diagnostic> {
        match tag {
            None => Ok(()),
            Some(t) if t.is_yaml_core_schema() && t.suffix == expected => Ok(()),
            Some(t) if is_non_specific(t) => Ok(()),
            Some(t) => Err(self
                .err(
                    Code::UnsupportedTag,
                    span,
                    format!("unsupported YAML tag `{t}`"),
                )
                .hint("only the JSON-compatible tags !!map, !!seq, !!str, !!int, !!float, !!bool and !!null are allowed")),
        }
    }

    fn scalar(
        &self,
        text: &str,
        style: ScalarStyle,
        tag: Option<&Tag>,
        span: Span,
    ) -> Result<Value, Diagnostic> {
        let Some(tag) = tag else {
            return if style == ScalarStyle::Plain {
                self.plain(text, span)
            } else {
                Ok(Value::String(text.to_string()))
            };
        };
        if is_non_specific(tag) {
            // The non-specific tag `!` forces a string.
            return Ok(Value::String(text.to_string()));
        }
        if !tag.is_yaml_core_schema() {
            return Err(self
                .err(
                    Code::UnsupportedTag,
                    span,
                    format!("unsupported YAML tag `{tag}`"),
                )
                .hint("only the JSON-compatible tags !!str, !!int, !!float, !!bool and !!null are allowed"));
        }
        let bad = |what: &str| {
            self.err(
                Code::WrongType,
                span,
                format!("`{text}` is not a valid {what}"),
            )
        };
        match tag.suffix.as_str() {
            "str" => Ok(Value::String(text.to_string())),
            "null" => match text {
                "" | "~" | "null" | "Null" | "NULL" => Ok(Value::Null),
                _ => Err(bad("null")),
            },
            "bool" => match text {
                "true" | "True" | "TRUE" => Ok(Value::Bool(true)),
                "false" | "False" | "FALSE" => Ok(Value::Bool(false)),
                _ => Err(bad("boolean")),
            },
            "int" => parse_int(text).ok_or_else(|| bad("integer")),
            "float" => match parse_float(text) {
                Some(Some(n)) => Ok(Value::Number(n)),
                Some(None) => Err(self.unrepresentable(text, span)),
                None => parse_int(text).ok_or_else(|| bad("number")),
            },
            _ => Err(self
                .err(
                    Code::UnsupportedTag,
                    span,
                    format!("unsupported YAML tag `{tag}`"),
                )
                .hint("only the JSON-compatible tags !!str, !!int, !!float, !!bool and !!null are allowed")),
        }
    }

    fn unrepresentable(&self, text: &str, span: Span) -> Diagnostic {
        self.err(
            Code::UnrepresentableValue,
            span,
            format!("`{text}` has no JSON representation"),
        )
        .hint("quote it to make it a string")
    }

    /// Resolves a plain (unquoted) scalar by the YAML 1.2 core schema.
    fn plain(&self, text: &str, span: Span) -> Result<Value, Diagnostic> {
        Ok(match text {
            "" | "~" | "null" | "Null" | "NULL" => Value::Null,
            "true" | "True" | "TRUE" => Value::Bool(true),
            "false" | "False" | "FALSE" => Value::Bool(false),
            _ => {
                let first = text.as_bytes().first().copied().unwrap_or(b'a');
                if !(first.is_ascii_digit() || matches!(first, b'-' | b'+' | b'.')) {
                    return Ok(Value::String(text.to_string()));
                }
                if let Some(n) = parse_int(text) {
                    n
                } else {
                    match parse_float(text) {
                        Some(Some(n)) => Value::Number(n),
                        Some(None) => return Err(self.unrepresentable(text, span)),
                        None => Value::String(text.to_string()),
                    }
                }
            }
        })
    }
}

/// The non-specific tag `!`, which the parser reports as an empty handle
/// with suffix `!`.
fn is_non_specific(tag: &Tag) -> bool {
    (tag.handle.is_empty() && tag.suffix == "!") || (tag.handle == "!" && tag.suffix.is_empty())
}

/// Merges `merge` into `map`: keys already present (explicit, or from an
/// earlier merge) win.
fn apply_merge(
    map: &mut Map<String, Value>,
    trees: &mut Vec<(Span, SpanTree)>,
    count: &mut usize,
    merge: Node,
) {
    let (Value::Object(src), Kids::Map(src_trees)) = (merge.value, merge.tree.kids) else {
        return;
    };
    for ((k, v), (ks, t)) in src.into_iter().zip(src_trees) {
        if !map.contains_key(&k) {
            *count = count.saturating_add(1);
            map.insert(k, v);
            trees.push((ks, t));
        }
    }
}

/// Integers of the YAML 1.2 core schema: decimal, `0o` octal, `0x` hex.
fn parse_int(text: &str) -> Option<Value> {
    let (neg, digits) = match text.as_bytes().first()? {
        b'-' => (true, text.get(1..)?),
        b'+' => (false, text.get(1..)?),
        _ => (false, text),
    };
    let (radix, digits) = if let Some(d) = digits.strip_prefix("0o") {
        (8, d)
    } else if let Some(d) = digits.strip_prefix("0x") {
        (16, d)
    } else {
        (10, digits)
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    if radix != 10 && text.starts_with(['-', '+']) {
        return None;
    }
    match u64::from_str_radix(digits, radix) {
        Ok(u) if !neg => Some(Value::Number(Number::from(u))),
        Ok(u) => {
            if u <= i64::MAX as u64 + 1 {
                let i = (u as i128).wrapping_neg();
                i64::try_from(i)
                    .ok()
                    .map(|i| Value::Number(Number::from(i)))
            } else {
                Number::from_f64(-(u as f64)).map(Value::Number)
            }
        }
        // Beyond 64 bits: keep the magnitude as a float, as JSON parsers do.
        Err(_) => digits
            .parse::<f64>()
            .ok()
            .and_then(|f| Number::from_f64(if neg { -f } else { f }))
            .map(Value::Number),
    }
}

/// Floats of the YAML 1.2 core schema. `Some(None)` means a valid YAML float
/// that JSON cannot represent (infinity, NaN).
fn parse_float(text: &str) -> Option<Option<Number>> {
    let body = text.strip_prefix(['-', '+']).unwrap_or(text);
    if matches!(body, ".inf" | ".Inf" | ".INF") || matches!(text, ".nan" | ".NaN" | ".NAN") {
        return Some(None);
    }
    // [0-9]* ( . [0-9]* )? ( [eE] [-+]? [0-9]+ )?  with at least one digit before the exponent.
    let bytes = body.as_bytes();
    let mut i = 0;
    let mut digits = 0;
    while i < bytes.len() && bytes[i].is_ascii_digit() {
        i += 1;
        digits += 1;
    }
    if i < bytes.len() && bytes[i] == b'.' {
        i += 1;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
            digits += 1;
        }
    }
    if digits == 0 {
        return None;
    }
    if i < bytes.len() && (bytes[i] == b'e' || bytes[i] == b'E') {
        i += 1;
        if i < bytes.len() && (bytes[i] == b'-' || bytes[i] == b'+') {
            i += 1;
        }
        let exp_start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        if i == exp_start {
            return None;
        }
    }
    if i != bytes.len() {
        return None;
    }
    let f: f64 = text.parse().ok()?;
    Some(Number::from_f64(f))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    fn ok(text: &str) -> Loaded {
        match load("t.yaml", text.as_bytes()) {
            Ok(l) => l,
            Err(d) => panic!("{}", d.render(false)),
        }
    }

    fn err(text: &str) -> Diagnostic {
        match load("t.yaml", text.as_bytes()) {
            Ok(l) => panic!("expected an error, got {}", l.value),
            Err(d) => d,
        }
    }

    #[test]
    fn yaml_1_2_core_schema() {
        let l = ok(
            "a: yes\nb: no\nc: on\nd: NO\ne: 017\nf: 0x1F\ng: 1.5e3\nh: ~\ni: True\nj: '1'\nk: -7\nl: .5\n",
        );
        assert_eq!(
            l.value,
            json!({"a":"yes","b":"no","c":"on","d":"NO","e":17,"f":31,"g":1500.0,"h":null,"i":true,"j":"1","k":-7,"l":0.5})
        );
    }

    #[test]
    fn numeric_keys_become_strings() {
        let l = ok("200:\n  description: ok\ntrue: x\n");
        assert_eq!(l.value, json!({"200": {"description": "ok"}, "true": "x"}));
    }

    #[test]
    fn big_integers() {
        let l = ok("a: 18446744073709551615\nb: -9223372036854775808\nc: 99999999999999999999\n");
        assert_eq!(l.value["a"], json!(18446744073709551615u64));
        assert_eq!(l.value["b"], json!(-9223372036854775808i64));
        assert!(l.value["c"].is_f64());
    }

    #[test]
    fn duplicate_keys_are_errors_with_both_positions() {
        let d = err("a: 1\nb: 2\na: 3\n");
        assert_eq!(d.code, Code::DuplicateKey);
        assert_eq!(d.position().unwrap().line, 3);
        assert_eq!(d.notes[0].location.start().line, 1);
    }

    #[test]
    fn json_input_with_positions() {
        let l = ok("{\n  \"a\": [1, {\"b\": \"c\"}]\n}");
        assert_eq!(l.value, json!({"a": [1, {"b": "c"}]}));
        let loc = l.locate("/a/1/b", Part::Value);
        assert_eq!(loc.start().line, 2);
        assert_eq!(loc.start().column, 18);
        let key = l.locate("/a", Part::Key);
        assert_eq!(key.start().column, 3);
    }

    #[test]
    fn locate_falls_back_to_nearest_ancestor() {
        let l = ok("a:\n  b: 1\n");
        let loc = l.locate("/a/missing/x", Part::Value);
        assert_eq!(loc.start().line, 2);
    }

    #[test]
    fn anchors_aliases_and_merge_keys() {
        let l = ok("base: &b {x: 1, y: 2}\nuse: *b\nmerged:\n  <<: *b\n  y: 3\n");
        assert_eq!(l.value["use"], json!({"x":1,"y":2}));
        assert_eq!(l.value["merged"], json!({"y":3,"x":1}));
        // The merged key keeps the anchored node's position.
        assert_eq!(l.locate("/merged/x", Part::Value).start().line, 1);
    }

    #[test]
    fn quoted_merge_key_is_a_plain_key() {
        let l = ok("m:\n  '<<': 1\n");
        assert_eq!(l.value, json!({"m": {"<<": 1}}));
    }

    #[test]
    fn alias_bomb_fails_fast() {
        let mut doc = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        let mut prev = 'a';
        for name in ['b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'] {
            doc.push_str(&format!(
                "{name}: &{name} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"
            ));
            prev = name;
        }
        let start = std::time::Instant::now();
        let d = err(&doc);
        assert_eq!(d.code, Code::AliasBudget);
        assert!(start.elapsed().as_secs() < 5);
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let deep = "[".repeat(10_000) + &"]".repeat(10_000);
        let d = err(&deep);
        assert!(matches!(d.code, Code::TooDeep | Code::Syntax), "{}", d);
        let mut block = String::new();
        for i in 0..2000 {
            block.push_str(&" ".repeat(i));
            block.push_str("a:\n");
        }
        let d = err(&block);
        assert_eq!(d.code, Code::TooDeep);
    }

    #[test]
    fn empty_and_garbage_input() {
        assert_eq!(err("").code, Code::EmptyDocument);
        assert_eq!(err("# only a comment\n").code, Code::EmptyDocument);
        let d = load("bin", &[0xff, 0xfe, 0x00, 0x41]).unwrap_err();
        assert_eq!(d.code, Code::NotUtf8);
        assert_eq!(err("a: [1, 2\n").code, Code::Syntax);
        assert_eq!(err("---\na: 1\n---\nb: 2\n").code, Code::MultipleDocuments);
    }

    #[test]
    fn tags() {
        let l = ok("a: !!str 12\nb: !!int '7'\nc: ! 5\n");
        assert_eq!(l.value, json!({"a":"12","b":7,"c":"5"}));
        assert_eq!(err("a: !custom 1\n").code, Code::UnsupportedTag);
        assert_eq!(err("a: .inf\n").code, Code::UnrepresentableValue);
    }

    #[test]
    fn non_ascii_positions_are_bytes() {
        let l = ok("é: 1\nkey: \"ü\"\nz: 2\n");
        let loc = l.locate("/z", Part::Key);
        assert_eq!(loc.start().line, 3);
        assert_eq!(loc.start().column, 1);
        assert_eq!(l.file.slice(loc.span), "z");
    }

    #[test]
    fn byte_order_mark_is_ignored() {
        let l = load("t", b"\xEF\xBB\xBFa: 1").unwrap();
        assert_eq!(l.value, json!({"a":1}));
    }
}
