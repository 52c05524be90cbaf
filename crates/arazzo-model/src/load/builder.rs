//! The YAML event handler that builds a value and its [`SpanTree`] side by side.

use std::collections::HashMap;
use std::sync::Arc;

use saphyr_parser::{Event, Parser, ScalarStyle, ScanError};
use serde_json::{Map, Value};

use super::{Kids, Limits, SpanTree};
use crate::diag::{Code, Diagnostic};
use crate::source::{Location, SourceFile, Span};

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

pub(super) struct Builder<'a> {
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
    pub(super) fn new(file: &'a Arc<SourceFile>, limits: Limits) -> Self {
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

    pub(super) fn err(&self, code: Code, span: Span, message: impl Into<String>) -> Diagnostic {
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

    pub(super) fn run(mut self) -> Result<(Value, SpanTree), Diagnostic> {
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
