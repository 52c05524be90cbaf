//! What the readers (`yaml.rs`, `flow.rs`) feed: a [`Sink`] of parse events.
//! Two sinks: [`Counter`] counts the children of every collection in a first
//! pass, and [`Builder`] builds the value and its [`SpanTree`] in the second,
//! with every vector, map and span block allocated at its final size.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

use saphyr_parser::{ScalarStyle, Tag};
use serde_json::{Map, Value};

use super::Limits;
use super::spans::{Node as Rec, SpanTree};
use crate::diag::{Code, Diagnostic};
use crate::source::{Location, SourceFile, Span};

/// Parse events, as both readers produce them.
pub(super) trait Sink {
    /// A scalar; `anchor` is 0 when it has none.
    fn scalar(
        &mut self,
        text: Cow<'_, str>,
        style: ScalarStyle,
        anchor: usize,
        tag: Option<&Tag>,
        span: Span,
    ) -> Result<(), Diagnostic>;
    /// An alias of the node anchored as `id`.
    fn alias(&mut self, id: usize, span: Span) -> Result<(), Diagnostic>;
    /// A mapping (`map`) or sequence begins at `span`.
    fn open(
        &mut self,
        map: bool,
        anchor: usize,
        tag: Option<&Tag>,
        span: Span,
    ) -> Result<(), Diagnostic>;
    /// The innermost open collection ends at `span`.
    fn close(&mut self, map: bool, span: Span) -> Result<(), Diagnostic>;
    /// A YAML document begins.
    fn document(&mut self, _span: Span) -> Result<(), Diagnostic> {
        Ok(())
    }
}

/// The first pass: how many children (entries, for mappings) each
/// collection has, in the order the collections open, and how many nodes.
pub(super) struct Counter {
    pub(super) caps: Vec<u32>,
    open: Vec<(usize, bool)>,
    pub(super) nodes: usize,
    max_depth: usize,
}

impl Counter {
    pub(super) fn new(limits: Limits) -> Counter {
        Counter {
            caps: Vec::new(),
            open: Vec::new(),
            nodes: 0,
            max_depth: limits.max_depth,
        }
    }

    /// Counts a child of the innermost collection, and a node of the span
    /// arena unless it is a mapping key (keys are spans of their values).
    fn child(&mut self) {
        let key = match self.open.last() {
            Some(&(i, map)) => match self.caps.get_mut(i) {
                Some(c) => {
                    let key = map && *c % 2 == 0;
                    *c = c.saturating_add(1);
                    key
                }
                None => false,
            },
            None => false,
        };
        if !key {
            self.nodes = self.nodes.saturating_add(1);
        }
    }
}

impl Sink for Counter {
    fn scalar(
        &mut self,
        _: Cow<'_, str>,
        _: ScalarStyle,
        _: usize,
        _: Option<&Tag>,
        _: Span,
    ) -> Result<(), Diagnostic> {
        self.child();
        Ok(())
    }

    fn alias(&mut self, _: usize, _: Span) -> Result<(), Diagnostic> {
        self.child();
        Ok(())
    }

    fn open(&mut self, map: bool, _: usize, _: Option<&Tag>, _: Span) -> Result<(), Diagnostic> {
        if self.open.len() >= self.max_depth {
            // The second pass reports it, with its position.
            return Err(Diagnostic::error(Code::TooDeep, "too deep"));
        }
        self.child();
        self.caps.push(0);
        self.open.push((self.caps.len() - 1, map));
        Ok(())
    }

    fn close(&mut self, _: bool, _: Span) -> Result<(), Diagnostic> {
        if let Some((i, map)) = self.open.pop()
            && map
            && let Some(c) = self.caps.get_mut(i)
        {
            // Keys and values were both counted.
            *c = c.div_ceil(2);
        }
        Ok(())
    }
}

/// A finished node: its value, its span record, and node count (for the alias budget).
#[derive(Clone)]
struct Node {
    value: Value,
    rec: Rec,
    count: usize,
    /// The raw text of a scalar that is a mapping key or anchored (an alias
    /// may be a key).
    raw: Option<(String, ScalarStyle)>,
}

/// The children of an open collection: where their block is in the arena.
struct Block {
    first: u32,
    len: u32,
    cap: u32,
}

enum Frame {
    Seq {
        anchor: usize,
        start: u32,
        items: Vec<Value>,
        block: Block,
        count: usize,
    },
    Map {
        anchor: usize,
        start: u32,
        map: Map<String, Value>,
        block: Block,
        key: Option<(String, Span)>,
        /// Mappings to merge in (from `<<` keys), in order of precedence.
        merges: Vec<Node>,
        count: usize,
    },
}

/// The key a plain `<<` becomes until its value arrives.
const MERGE: &str = "<<\u{0}merge";

/// The second pass: the value and its spans.
pub(super) struct Builder<'a> {
    file: &'a Arc<SourceFile>,
    limits: Limits,
    stack: Vec<Frame>,
    anchors: HashMap<usize, Node>,
    expanded: usize,
    root: Option<Node>,
    documents: usize,
    tree: SpanTree,
    caps: Vec<u32>,
    opened: usize,
}

impl<'a> Builder<'a> {
    /// A builder; `counts` is the first pass (children per collection and
    /// nodes), or empty vectors grow as needed.
    pub(super) fn new(file: &'a Arc<SourceFile>, limits: Limits, counts: Counter) -> Self {
        Builder {
            file,
            limits,
            stack: Vec::new(),
            anchors: HashMap::new(),
            expanded: 0,
            root: None,
            documents: 0,
            tree: SpanTree::with_capacity(counts.nodes),
            caps: counts.caps,
            opened: 0,
        }
    }

    pub(super) fn err(&self, code: Code, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic::error(code, message).at(Location {
            file: self.file.clone(),
            span,
        })
    }

    /// The diagnostic for nesting deeper than the limit, at `span`.
    pub(super) fn too_deep(&self, span: Span) -> Diagnostic {
        too_deep(self.file, self.limits, span)
    }

    /// The value and spans once every event was fed.
    pub(super) fn finish(mut self) -> Result<(Value, SpanTree), Diagnostic> {
        match self.root.take() {
            Some(node) => {
                self.tree.seal(node.rec);
                Ok((node.value, self.tree))
            }
            None => Err(self
                .err(
                    Code::EmptyDocument,
                    Span::at(0),
                    "the file contains no document",
                )
                .hint("an Arazzo document starts with `arazzo: 1.1.0`")),
        }
    }

    /// A slot for the next child of `block`, moving the block when it is full.
    fn slot(tree: &mut SpanTree, block: &mut Block) -> u32 {
        if block.len >= block.cap {
            let cap = block.cap.saturating_mul(2).max(4);
            block.first = tree.grow(block.first, block.len, cap as usize);
            block.cap = cap;
        }
        let at = block.first.saturating_add(block.len);
        block.len = block.len.saturating_add(1);
        at
    }

    fn push(&mut self, node: Node, anchor: usize) -> Result<(), Diagnostic> {
        if anchor != 0 {
            let mut stored = node.clone();
            // An alias used as a key is never a merge key.
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
                block,
                count,
                ..
            } => {
                *count = count.saturating_add(node.count);
                items.push(node.value);
                let at = Self::slot(&mut self.tree, block);
                self.tree.set(at, node.rec);
                Ok(())
            }
            Frame::Map {
                key: key @ None, ..
            } => match node.raw {
                Some((raw, style)) => {
                    let raw = if style == ScalarStyle::Plain && raw == "<<" {
                        // Merge key marker: remember it, the value follows.
                        MERGE.to_string()
                    } else {
                        raw
                    };
                    *key = Some((raw, node.rec.span));
                    Ok(())
                }
                None => Err(self
                    .err(
                        Code::ComplexKey,
                        node.rec.span,
                        "mapping keys must be strings, not mappings or sequences",
                    )
                    .hint("Arazzo and OpenAPI use only string keys")),
            },
            Frame::Map {
                map,
                block,
                key,
                count,
                ..
            } => {
                let Some((k, key_span)) = key.take() else {
                    return Ok(());
                };
                if k == MERGE {
                    return self.merge_value(node);
                }
                if map.contains_key(&k) {
                    let first = map.keys().position(|x| *x == k).unwrap_or(0);
                    let first = u32::try_from(first).unwrap_or(u32::MAX);
                    let first_span = self.tree.get(block.first.saturating_add(first)).key;
                    return Err(duplicate_key(self.file, &k, key_span, first_span));
                }
                *count = count.saturating_add(node.count);
                map.insert(k, node.value);
                let at = Self::slot(&mut self.tree, block);
                self.tree.set(
                    at,
                    Rec {
                        key: key_span,
                        ..node.rec
                    },
                );
                Ok(())
            }
        }
    }

    /// The value of a `<<` key: a mapping or a list of mappings to merge in.
    fn merge_value(&mut self, node: Node) -> Result<(), Diagnostic> {
        let items = match node.value {
            Value::Object(_) => vec![node],
            Value::Array(items) if items.iter().all(Value::is_object) => {
                let recs = self.tree.children(node.rec).to_vec();
                items
                    .into_iter()
                    .zip(recs)
                    .map(|(value, rec)| Node {
                        value,
                        rec,
                        count: 1,
                        raw: None,
                    })
                    .collect()
            }
            _ => {
                return Err(self.err(
                    Code::WrongType,
                    node.rec.span,
                    "a `<<` merge key needs a mapping or a list of mappings",
                ));
            }
        };
        if let Some(Frame::Map { merges, .. }) = self.stack.last_mut() {
            // Earlier mappings in the list take precedence, and so does
            // a later `<<` over an earlier one.
            for (i, m) in items.into_iter().enumerate() {
                merges.insert(i, m);
            }
        }
        Ok(())
    }

    /// The capacity the first pass counted for the next collection.
    fn next_cap(&mut self) -> u32 {
        let cap = self.caps.get(self.opened).copied().unwrap_or(0);
        self.opened = self.opened.saturating_add(1);
        cap
    }
}

impl Sink for Builder<'_> {
    fn document(&mut self, span: Span) -> Result<(), Diagnostic> {
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
        Ok(())
    }

    fn scalar(
        &mut self,
        text: Cow<'_, str>,
        style: ScalarStyle,
        anchor: usize,
        tag: Option<&Tag>,
        span: Span,
    ) -> Result<(), Diagnostic> {
        let value = self.scalar_value(&text, style, tag, span)?;
        let is_key = matches!(self.stack.last(), Some(Frame::Map { key: None, .. }));
        // A copy at its exact size: saphyr's own strings carry spare capacity.
        let raw = (is_key || anchor != 0).then(|| (text.as_ref().to_owned(), style));
        let node = Node {
            value,
            rec: Rec::leaf(span),
            count: 1,
            raw,
        };
        self.push(node, anchor)
    }

    fn alias(&mut self, id: usize, span: Span) -> Result<(), Diagnostic> {
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
        // An alias keeps the anchored node's own positions, which is where a
        // reader can find its content.
        let node = node.clone();
        self.push(node, 0)
    }

    fn open(
        &mut self,
        map: bool,
        anchor: usize,
        tag: Option<&Tag>,
        span: Span,
    ) -> Result<(), Diagnostic> {
        self.check_collection_tag(tag, if map { "map" } else { "seq" }, span)?;
        if self.stack.len() >= self.limits.max_depth {
            return Err(self.too_deep(span));
        }
        let cap = self.next_cap();
        let block = Block {
            first: self.tree.reserve(cap as usize),
            len: 0,
            cap,
        };
        let frame = if map {
            Frame::Map {
                anchor,
                start: span.start,
                map: Map::with_capacity(cap as usize),
                block,
                key: None,
                merges: Vec::new(),
                count: 1,
            }
        } else {
            Frame::Seq {
                anchor,
                start: span.start,
                items: Vec::with_capacity(cap as usize),
                block,
                count: 1,
            }
        };
        self.stack.push(frame);
        Ok(())
    }

    fn close(&mut self, map: bool, span: Span) -> Result<(), Diagnostic> {
        let (node, anchor) = match (self.stack.pop(), map) {
            (
                Some(Frame::Seq {
                    anchor,
                    start,
                    items,
                    block,
                    count,
                }),
                false,
            ) => (
                Node {
                    value: Value::Array(items),
                    rec: Rec {
                        span: Span::new(start as usize, span.end as usize),
                        key: Span::default(),
                        first: block.first,
                        len: block.len,
                    },
                    count,
                    raw: None,
                },
                anchor,
            ),
            (
                Some(Frame::Map {
                    anchor,
                    start,
                    mut map,
                    mut block,
                    merges,
                    mut count,
                    ..
                }),
                true,
            ) => {
                for merge in merges {
                    let Value::Object(src) = merge.value else {
                        continue;
                    };
                    let recs = self.tree.children(merge.rec).to_vec();
                    for ((k, v), rec) in src.into_iter().zip(recs) {
                        if !map.contains_key(&k) {
                            count = count.saturating_add(1);
                            map.insert(k, v);
                            let at = Self::slot(&mut self.tree, &mut block);
                            self.tree.set(at, rec);
                        }
                    }
                }
                (
                    Node {
                        value: Value::Object(map),
                        rec: Rec {
                            span: Span::new(start as usize, span.end as usize),
                            key: Span::default(),
                            first: block.first,
                            len: block.len,
                        },
                        count,
                        raw: None,
                    },
                    anchor,
                )
            }
            _ => {
                let what = if map { "mapping" } else { "sequence" };
                return Err(self.err(Code::Syntax, span, format!("unbalanced {what}")));
            }
        };
        self.push(node, anchor)
    }
}

/// The diagnostic for nesting deeper than `limits.max_depth`, at `span`.
pub(super) fn too_deep(file: &Arc<SourceFile>, limits: Limits, span: Span) -> Diagnostic {
    Diagnostic::error(
        Code::TooDeep,
        format!("the document nests deeper than {} levels", limits.max_depth),
    )
    .at(Location {
        file: file.clone(),
        span,
    })
    .label("one level too many")
    .hint("no Arazzo or OpenAPI document needs this much nesting")
}

/// The diagnostic for a key that appears twice in a mapping.
pub(super) fn duplicate_key(
    file: &Arc<SourceFile>,
    key: &str,
    at: Span,
    first: Span,
) -> Diagnostic {
    Diagnostic::error(
        Code::DuplicateKey,
        format!("the key `{key}` appears twice in this mapping"),
    )
    .at(Location {
        file: file.clone(),
        span: at,
    })
    .label("duplicate key")
    .note(
        "first defined here",
        Location {
            file: file.clone(),
            span: first,
        },
    )
    .hint("remove one of them; YAML mappings cannot repeat a key")
}
