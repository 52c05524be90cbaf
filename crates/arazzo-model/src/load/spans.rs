//! Source spans of a loaded value, in one flat arena.
//!
//! A tree of boxes (a `Vec` per collection) cost a loaded document more than
//! its value: every node paid for its own allocation and for the slack of
//! growing vectors. Here every node is one 24-byte record in one vector, and
//! the children of a collection are one contiguous block of it, reserved
//! when the collection opens (the loader counts children in a first pass, so
//! blocks are the right size).

use crate::source::Span;

/// A node: its span, the span of its key in the parent mapping, and its
/// children's block.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Node {
    pub(super) span: Span,
    /// The key of this node in its parent mapping (empty for sequence items).
    pub(super) key: Span,
    /// Index of the first child in the arena.
    pub(super) first: u32,
    /// Number of children (0 for a scalar).
    pub(super) len: u32,
}

impl Node {
    pub(super) fn leaf(span: Span) -> Node {
        Node {
            span,
            ..Node::default()
        }
    }
}

/// The source positions of a value, parallel to the value itself.
///
/// A mapping's children are in the same order as the keys of the
/// corresponding `serde_json::Map` (the workspace enables `preserve_order`).
/// An alias shares the children of its anchor, so its positions are where the
/// anchored content is written. The default tree knows no positions: every
/// lookup in it answers the empty span at offset 0.
#[derive(Debug, Clone, Default)]
pub struct SpanTree {
    nodes: Vec<Node>,
    root: Node,
}

/// One node of a [`SpanTree`]: a cheap handle to walk the tree with.
#[derive(Debug, Clone, Copy)]
pub struct SpanNode<'a> {
    tree: &'a SpanTree,
    node: Node,
}

impl SpanTree {
    /// An empty arena with room for `nodes` nodes besides the root.
    pub(super) fn with_capacity(nodes: usize) -> SpanTree {
        SpanTree {
            nodes: Vec::with_capacity(nodes),
            root: Node::default(),
        }
    }

    /// Reserves a block of `n` children; returns the index of its first.
    pub(super) fn reserve(&mut self, n: usize) -> u32 {
        let first = self.nodes.len();
        self.nodes.resize(first.saturating_add(n), Node::default());
        u32::try_from(first).unwrap_or(u32::MAX)
    }

    /// Moves the block `first..first + len` to the end of the arena with room
    /// for `cap` children; returns its new start. The old block is left
    /// unused (this only happens when a mapping gains entries from `<<`
    /// merges, or when children were not counted).
    pub(super) fn grow(&mut self, first: u32, len: u32, cap: usize) -> u32 {
        let new = self.nodes.len();
        let old = first as usize..(first as usize).saturating_add(len as usize);
        if old.end <= new {
            self.nodes.extend_from_within(old);
        }
        self.nodes.resize(new.saturating_add(cap), Node::default());
        u32::try_from(new).unwrap_or(u32::MAX)
    }

    /// Sets the child at arena index `at`.
    pub(super) fn set(&mut self, at: u32, node: Node) {
        if let Some(n) = self.nodes.get_mut(at as usize) {
            *n = node;
        }
    }

    /// The child at arena index `at`.
    pub(super) fn get(&self, at: u32) -> Node {
        self.nodes.get(at as usize).copied().unwrap_or_default()
    }

    /// The children of `node`.
    pub(super) fn children(&self, node: Node) -> &[Node] {
        let start = node.first as usize;
        self.nodes
            .get(start..start.saturating_add(node.len as usize))
            .unwrap_or(&[])
    }

    /// Makes `root` the root, and gives back unused capacity when there is
    /// much of it (shrinking copies the arena).
    pub(super) fn seal(&mut self, root: Node) {
        self.root = root;
        if self.nodes.capacity() - self.nodes.len() > self.nodes.len() / 4 {
            self.nodes.shrink_to_fit();
        }
    }

    /// The root node.
    pub fn root(&self) -> SpanNode<'_> {
        SpanNode {
            tree: self,
            node: self.root,
        }
    }

    /// The span of the whole document.
    pub fn span(&self) -> Span {
        self.root.span
    }

    /// How many records the arena holds besides the root (an alias shares
    /// its anchor's children).
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether the arena holds no records besides the root.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }
}

impl<'a> SpanNode<'a> {
    /// The span of this node.
    pub fn span(self) -> Span {
        self.node.span
    }

    /// The `i`-th item of a sequence.
    pub fn item(self, i: usize) -> Option<SpanNode<'a>> {
        self.entry(i).map(|(_, n)| n)
    }

    /// The key span and value node of the `i`-th entry of a mapping.
    pub fn entry(self, i: usize) -> Option<(Span, SpanNode<'a>)> {
        let node = *self.tree.children(self.node).get(i)?;
        Some((
            node.key,
            SpanNode {
                tree: self.tree,
                node,
            },
        ))
    }
}

/// The arena as it is, for the cache encoding (`cache.rs`).
impl SpanTree {
    /// Every record besides the root, in arena order.
    pub(super) fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    /// The root record.
    pub(super) fn root_node(&self) -> Node {
        self.root
    }

    /// A tree of `nodes` under `root`, as [`SpanTree::nodes`] and
    /// [`SpanTree::root_node`] gave them.
    pub(super) fn from_parts(nodes: Vec<Node>, root: Node) -> SpanTree {
        SpanTree { nodes, root }
    }
}
