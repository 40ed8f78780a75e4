//! The node arena and the borrowed view ([`NodeRef`]) the adapters walk.

use std::fmt;

use super::decode::{OffsetMap, ScalarOffsets};
use super::resolve::{is_null_plain, resolve_plain, Resolved};

/// A half-open byte range `start..end` in the file's text.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub const fn new(start: u32, end: u32) -> Self {
        Span { start, end }
    }

    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }

    pub fn len(self) -> u32 {
        self.end.saturating_sub(self.start)
    }

    pub fn is_empty(self) -> bool {
        self.end <= self.start
    }

    /// The smallest span covering both.
    pub fn cover(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }
}

impl fmt::Debug for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.start, self.end)
    }
}

/// Index of a node in its document's arena.
pub type NodeId = u32;

/// How a scalar was written; decides its type (only plain scalars are typed) and how decoded
/// offsets map back to the source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScalarStyle {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    Literal,
    Folded,
}

/// Text a document holds itself, as a range of [`Document::texts`]: no allocation per
/// scalar or tag, and nothing to free node by node.
#[derive(Clone, Copy, Debug)]
pub(crate) struct TextRange {
    start: u32,
    end: u32,
}

impl TextRange {
    /// Appends `text` to `texts` and returns where it landed.
    pub(crate) fn push(texts: &mut String, text: &str) -> TextRange {
        let start = texts.len() as u32;
        texts.push_str(text);
        TextRange {
            start,
            end: texts.len() as u32,
        }
    }

    pub(crate) fn get(self, texts: &str) -> &str {
        texts
            .get(self.start as usize..self.end as usize)
            .unwrap_or("")
    }
}

#[derive(Clone, Copy, Debug)]
pub(crate) enum ScalarText {
    /// The decoded value is exactly the source text at the node's span (the common case).
    Source,
    /// Escapes, folding or block indentation made the value differ from the source.
    Owned(TextRange),
}

/// A collection's children: a run of the document's `items` (a sequence) or `entries` (a
/// mapping), so that a collection allocates nothing of its own.
#[derive(Clone, Copy, Debug)]
pub struct Children {
    start: u32,
    len: u32,
}

impl Children {
    pub(crate) fn new(start: usize, len: usize) -> Self {
        Children {
            start: start as u32,
            len: len as u32,
        }
    }

    fn range(self) -> std::ops::Range<usize> {
        self.start as usize..(self.start + self.len) as usize
    }
}

#[derive(Clone, Copy, Debug)]
pub enum NodeKind {
    Scalar {
        style: ScalarStyle,
        #[doc(hidden)]
        text: ScalarTextHandle,
    },
    Sequence(Children),
    /// Entries in source order; duplicate keys are kept (and reported), lookups take the last.
    Mapping(Children),
}

/// Opaque wrapper so the representation of scalar text stays private to this module.
#[derive(Clone, Copy, Debug)]
pub struct ScalarTextHandle(pub(crate) ScalarText);

#[derive(Clone, Copy, Debug)]
pub struct Node {
    pub kind: NodeKind,
    pub span: Span,
    /// An explicit tag as written (`!!str`, `!foo`), if any, in the document's `texts`.
    pub(crate) tag: Option<TextRange>,
}

/// One YAML document: an arena of nodes and its root. The nodes' children and the text that
/// is not the source's live in arenas of the document too: a document is a few allocations,
/// however many nodes it has.
#[derive(Debug, Default)]
pub struct Document {
    pub(crate) nodes: Vec<Node>,
    /// The items of every sequence, each sequence's a run ([`Children`]).
    pub(crate) items: Vec<NodeId>,
    /// The `(key, value)` entries of every mapping, each mapping's a run ([`Children`]).
    pub(crate) entries: Vec<(NodeId, NodeId)>,
    /// Decoded scalars that differ from their source text, and tags.
    pub(crate) texts: String,
    pub(crate) root: Option<NodeId>,
    /// From the first to the last byte of the document's content.
    pub span: Span,
    /// Index of this document in its file (0-based), counting documents that failed to parse.
    pub index: usize,
    /// Whether an alias (`*name`, also in `<<: *name`) is written in it: without one, no node
    /// is read from two places.
    pub(crate) has_alias: bool,
    /// What the builder saw while it made the nodes, so that checks which need it do not walk
    /// the document again: the deepest node's depth (the root is 1; exact when the document
    /// has no alias and no collection key, see [`NodeRef::depth_up_to`]), ...
    pub(crate) depth: u32,
    /// ... whether a mapping has a collection (a mapping or a list) as a key, ...
    pub(crate) has_collection_key: bool,
    /// ... and whether a plain scalar reads as a number JSON cannot hold
    /// ([`super::json::unrepresentable_number`]).
    pub(crate) has_unrepresentable_number: bool,
}

impl Document {
    /// The decoded text of a scalar node.
    #[inline]
    pub(crate) fn scalar_str<'a>(&'a self, src: &'a str, node: &Node) -> Option<&'a str> {
        match node.kind {
            NodeKind::Scalar { text, .. } => Some(match text.0 {
                ScalarText::Source => src.get(node.span.range()).unwrap_or(""),
                ScalarText::Owned(range) => range.get(&self.texts),
            }),
            _ => None,
        }
    }

    /// The entries of a mapping node; empty for anything else.
    pub(crate) fn entries_of(&self, node: &Node) -> &[(NodeId, NodeId)] {
        match node.kind {
            NodeKind::Mapping(children) => &self.entries[children.range()],
            _ => &[],
        }
    }

    /// The items of a sequence node; empty for anything else.
    pub(crate) fn items_of(&self, node: &Node) -> &[NodeId] {
        match node.kind {
            NodeKind::Sequence(children) => &self.items[children.range()],
            _ => &[],
        }
    }

    pub fn root<'a>(&'a self, src: &'a str) -> Option<NodeRef<'a>> {
        self.root.map(|id| NodeRef { doc: self, src, id })
    }

    /// Whether any node of the document is also read through an alias.
    pub fn has_alias(&self) -> bool {
        self.has_alias
    }

    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// Every node of the document, in creation order (an aliased node appears once).
    pub fn all_nodes<'a>(&'a self, src: &'a str) -> impl Iterator<Item = NodeRef<'a>> + 'a {
        (0..self.nodes.len() as NodeId).map(move |id| NodeRef { doc: self, src, id })
    }
}

/// A comment, `#` included, without the line break.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Comment {
    pub span: Span,
}

impl Comment {
    /// The text after `#`.
    pub fn text<'a>(&self, src: &'a str) -> &'a str {
        src.get(self.span.range())
            .and_then(|s| s.strip_prefix('#'))
            .unwrap_or("")
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    /// Where the parser stopped (a zero- or one-character span).
    pub span: Span,
    pub message: String,
    /// The document the error abandoned.
    pub document: usize,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DuplicateKey {
    pub key: String,
    /// The earlier occurrence, whose value is dropped.
    pub first: Span,
    /// The later occurrence, whose value is kept.
    pub second: Span,
    pub document: usize,
}

/// Everything the YAML layer knows about one file.
#[derive(Debug, Default)]
pub struct YamlFile {
    pub documents: Vec<Document>,
    pub comments: Vec<Comment>,
    pub errors: Vec<SyntaxError>,
    /// Documents abandoned because a limit was exceeded (nesting depth, alias expansion, the
    /// work budget): valid YAML, perhaps, but too costly to read (`input-too-complex`).
    pub too_complex: Vec<SyntaxError>,
    pub duplicate_keys: Vec<DuplicateKey>,
}

impl YamlFile {
    /// Whether a document was abandoned, for a syntax error or an exceeded limit.
    pub fn is_incomplete(&self) -> bool {
        !self.errors.is_empty() || !self.too_complex.is_empty()
    }

    /// ` (document N)` for a message about `error`, or nothing when the file is one document
    /// that never started.
    pub fn document_suffix(&self, error: &SyntaxError) -> String {
        if self.documents.is_empty() && error.document == 0 {
            String::new()
        } else {
            format!(" (document {})", error.document + 1)
        }
    }
}

/// Empty lines a block scalar's value starts with: they come before its span.
pub(crate) fn leading_breaks(style: ScalarStyle, decoded: &str) -> usize {
    match style {
        ScalarStyle::Literal | ScalarStyle::Folded => {
            decoded.len() - decoded.trim_start_matches('\n').len()
        }
        _ => 0,
    }
}

/// A node with the document and source it lives in: the handle adapters walk with.
#[derive(Clone, Copy)]
pub struct NodeRef<'a> {
    doc: &'a Document,
    src: &'a str,
    id: NodeId,
}

impl fmt::Debug for NodeRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NodeRef({:?} {:?})", self.span(), self.raw())
    }
}

impl<'a> NodeRef<'a> {
    fn at(&self, id: NodeId) -> NodeRef<'a> {
        NodeRef {
            doc: self.doc,
            src: self.src,
            id,
        }
    }

    fn node(&self) -> &'a Node {
        &self.doc.nodes[self.id as usize]
    }

    pub fn id(&self) -> NodeId {
        self.id
    }

    pub fn span(&self) -> Span {
        self.node().span
    }

    pub fn src(&self) -> &'a str {
        self.src
    }

    /// The source text of the node, as written.
    pub fn raw(&self) -> &'a str {
        self.src.get(self.span().range()).unwrap_or("")
    }

    pub fn tag(&self) -> Option<&'a str> {
        let texts: &'a str = &self.doc.texts;
        self.node().tag.map(|range| range.get(texts))
    }

    pub fn is_mapping(&self) -> bool {
        matches!(self.node().kind, NodeKind::Mapping(_))
    }

    /// Nesting depth of this node (itself 1), without recursion; counting stops once it
    /// passes `limit`, so a result above `limit` means "too deep".
    pub fn depth_up_to(self, limit: usize) -> usize {
        if !self.doc.has_alias && self.doc.root == Some(self.id) {
            // Without aliases every node hangs from one place, and without collection keys
            // every node is a value, an item or a key as deep as its value: the deepest node
            // the builder made is as deep as the document.
            if !self.doc.has_collection_key {
                return (self.doc.depth as usize).min(limit.saturating_add(1));
            }
            return self.document_depth().min(limit.saturating_add(1));
        }
        let mut max = 0;
        let mut stack = vec![(self, 1usize)];
        while let Some((node, d)) = stack.pop() {
            max = max.max(d);
            if d > limit {
                break;
            }
            if node.is_mapping() {
                stack.extend(node.entries().map(|(_, v)| (v, d + 1)));
            } else if node.is_sequence() {
                stack.extend(node.items().map(|v| (v, d + 1)));
            }
        }
        max
    }

    /// Nesting depth of a document without aliases, from its root: one pass over the arena
    /// in creation order, where a collection comes before its children (no stack of nodes).
    fn document_depth(self) -> usize {
        let nodes = &self.doc.nodes;
        let mut depth = vec![0u32; nodes.len()];
        depth[self.id as usize] = 1;
        let mut max = 1;
        for (id, node) in nodes.iter().enumerate().skip(self.id as usize) {
            let d = depth[id];
            if d == 0 {
                continue;
            }
            max = max.max(d);
            match node.kind {
                NodeKind::Mapping(_) => {
                    for &(_, value) in self.doc.entries_of(node) {
                        depth[value as usize] = d + 1;
                    }
                }
                NodeKind::Sequence(_) => {
                    for &item in self.doc.items_of(node) {
                        depth[item as usize] = d + 1;
                    }
                }
                NodeKind::Scalar { .. } => {}
            }
        }
        max as usize
    }

    /// Whether both nodes belong to one document.
    pub fn same_document(&self, other: &NodeRef<'_>) -> bool {
        std::ptr::eq(self.doc, other.doc)
    }

    /// How many nodes the document this node belongs to holds: node ids are below it.
    pub fn document_len(&self) -> usize {
        self.doc.nodes.len()
    }

    /// Every scalar of the document this node belongs to, with its style and decoded text,
    /// in creation order: one pass over the arena, for checks that can rule a document out
    /// before walking its tree.
    pub fn document_scalars(
        &self,
    ) -> impl Iterator<Item = (NodeRef<'a>, ScalarStyle, &'a str)> + 'a {
        let me = *self;
        let doc: &'a Document = self.doc;
        doc.nodes
            .iter()
            .enumerate()
            .filter_map(move |(id, node)| match node.kind {
                NodeKind::Scalar { style, .. } => Some((
                    me.at(id as NodeId),
                    style,
                    doc.scalar_str(me.src, node).unwrap_or(""),
                )),
                _ => None,
            })
    }

    /// Whether a mapping of the document this node belongs to has a collection as a key, or
    /// a plain scalar of it reads as a number JSON cannot hold: as the builder recorded it,
    /// no walk.
    pub fn document_has_collection_key_or_unrepresentable_number(&self) -> bool {
        self.doc.has_collection_key || self.doc.has_unrepresentable_number
    }

    pub fn is_sequence(&self) -> bool {
        matches!(self.node().kind, NodeKind::Sequence(_))
    }

    pub fn is_scalar(&self) -> bool {
        matches!(self.node().kind, NodeKind::Scalar { .. })
    }

    /// A word for error messages: "a mapping", "a list", "a string", "a number"...
    pub fn describe(&self) -> &'static str {
        match &self.node().kind {
            NodeKind::Mapping(_) => "a mapping",
            NodeKind::Sequence(_) => "a list",
            NodeKind::Scalar { .. } => match self.resolved() {
                Some(Resolved::Null) => "null",
                Some(Resolved::Bool(_)) => "a boolean",
                Some(Resolved::Int(_)) | Some(Resolved::Float(_)) => "a number",
                _ => "a string",
            },
        }
    }

    pub fn style(&self) -> Option<ScalarStyle> {
        match &self.node().kind {
            NodeKind::Scalar { style, .. } => Some(*style),
            _ => None,
        }
    }

    /// The decoded text of a scalar (escapes processed, folding applied); `None` for collections.
    ///
    /// Inlined: every adapter and check asks it of node after node, and a call cost as much
    /// as the look itself.
    #[inline]
    pub fn str(&self) -> Option<&'a str> {
        let doc: &'a Document = self.doc;
        doc.scalar_str(self.src, self.node())
    }

    /// The scalar's value typed the way Kubernetes (go-yaml, YAML 1.1) types it: only plain
    /// scalars are typed; quoted and block scalars are strings.
    pub fn resolved(&self) -> Option<Resolved<'a>> {
        let text = self.str()?;
        match (self.style(), self.tag()) {
            (_, Some(tag)) if tag.ends_with(":str") || tag == "!!str" => Some(Resolved::Str(text)),
            (Some(ScalarStyle::Plain), _) => Some(resolve_plain(text)),
            _ => Some(Resolved::Str(text)),
        }
    }

    /// A scalar that Kubernetes reads as a string, a number or a boolean, as text.
    pub fn scalar_text(&self) -> Option<&'a str> {
        let text = self.str()?;
        (!self.is_null_text(text)).then_some(text)
    }

    pub fn is_null(&self) -> bool {
        self.str().is_some_and(|text| self.is_null_text(text))
    }

    /// Whether this scalar, whose text is `text`, resolves to null: [`NodeRef::resolved`]
    /// without typing the other plain scalars (the adapters ask it of every value they read).
    fn is_null_text(&self, text: &str) -> bool {
        match (self.style(), self.tag()) {
            (_, Some(tag)) if tag.ends_with(":str") || tag == "!!str" => false,
            (Some(ScalarStyle::Plain), _) => is_null_plain(text),
            _ => false,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self.resolved()? {
            Resolved::Bool(b) => Some(b),
            _ => None,
        }
    }

    /// An integer written as a number or, as protojson and IntOrString fields do, as a string.
    pub fn as_int_lenient(&self) -> Option<i64> {
        match self.resolved()? {
            Resolved::Int(i) => Some(i),
            Resolved::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Some(f as i64),
            Resolved::Str(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    pub fn as_f64_lenient(&self) -> Option<f64> {
        match self.resolved()? {
            Resolved::Int(i) => Some(i as f64),
            Resolved::Float(f) => Some(f),
            Resolved::Str(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    /// Entries of a mapping as `(key, value)` in source order (duplicates included).
    pub fn entries(
        &self,
    ) -> impl DoubleEndedIterator<Item = (NodeRef<'a>, NodeRef<'a>)> + ExactSizeIterator + 'a {
        let me = *self;
        let doc: &'a Document = self.doc;
        let slice: &'a [(NodeId, NodeId)] = doc.entries_of(self.node());
        slice.iter().map(move |&(k, v)| (me.at(k), me.at(v)))
    }

    /// Items of a sequence; empty for anything else.
    pub fn items(&self) -> impl DoubleEndedIterator<Item = NodeRef<'a>> + ExactSizeIterator + 'a {
        let me = *self;
        let doc: &'a Document = self.doc;
        let slice: &'a [NodeId] = doc.items_of(self.node());
        slice.iter().map(move |&id| me.at(id))
    }

    pub fn len(&self) -> usize {
        match self.node().kind {
            NodeKind::Sequence(children) | NodeKind::Mapping(children) => children.len as usize,
            NodeKind::Scalar { .. } => 0,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The `(key, value)` entry for `key`: the last one when the key is repeated (as
    /// Kubernetes keeps it), else one inherited through a `<<` merge key.
    pub fn entry(&self, key: &str) -> Option<(NodeRef<'a>, NodeRef<'a>)> {
        if !self.is_mapping() {
            return None;
        }
        let doc: &'a Document = self.doc;
        let entries = doc.entries_of(self.node());
        // One pass from the last entry: the key, else the last plain `<<` seen on the way
        // (a miss is the common case of optional fields; a second pass for the merge key
        // cost as much as the first). A key written as in the source is ruled out by its
        // length before its text is compared.
        let mut merge = None;
        for &(k, v) in entries.iter().rev() {
            let node = &doc.nodes[k as usize];
            let NodeKind::Scalar { style, text } = node.kind else {
                continue;
            };
            let text: &str = match text.0 {
                ScalarText::Source => {
                    let len = node.span.len() as usize;
                    if !key.is_empty() && len != key.len() && len != 2 {
                        continue;
                    }
                    self.src.get(node.span.range()).unwrap_or("")
                }
                ScalarText::Owned(range) => range.get(&doc.texts),
            };
            if text == key {
                return Some((self.at(k), self.at(v)));
            }
            if merge.is_none() && text == "<<" && style == ScalarStyle::Plain {
                merge = Some(v);
            }
        }
        let merge = self.at(merge?);
        if merge.is_mapping() {
            // Merge sources are aliases of earlier, completed nodes, so this cannot loop.
            return merge.entry(key);
        }
        merge.items().find_map(|m| m.entry(key))
    }

    /// The value for `key` in a mapping.
    pub fn get(&self, key: &str) -> Option<NodeRef<'a>> {
        self.entry(key).map(|(_, v)| v)
    }

    /// The value at a path of mapping keys.
    pub fn path(&self, keys: &[&str]) -> Option<NodeRef<'a>> {
        keys.iter().try_fold(*self, |node, key| node.get(key))
    }

    /// Maps a byte offset in the decoded scalar text back to a source byte offset.
    pub fn source_offset(&self, decoded: usize) -> Option<u32> {
        let style = self.style()?;
        match &self.node().kind {
            NodeKind::Scalar {
                text: ScalarTextHandle(ScalarText::Source),
                ..
            } => Some(self.span().start + decoded.min(self.raw().len()) as u32),
            _ => {
                let start = self.span().start as usize;
                let line_start = super::line_start_before(self.src, start);
                OffsetMap::build(
                    self.raw(),
                    style,
                    start as u32,
                    start - line_start,
                    leading_breaks(style, self.str().unwrap_or("")),
                )
                .map(|map| map.source_offset(decoded))
            }
        }
    }

    /// How decoded byte ranges of this scalar land in the file, decided once: for many
    /// ranges of one scalar, where [`NodeRef::source_span`] would rebuild the map for each.
    /// `None` for collections.
    pub fn scalar_offsets(&self) -> Option<ScalarOffsets> {
        let style = self.style()?;
        Some(match &self.node().kind {
            NodeKind::Scalar {
                text: ScalarTextHandle(ScalarText::Source),
                ..
            } => ScalarOffsets::Same,
            _ => {
                let start = self.span().start as usize;
                let line_start = super::line_start_before(self.src, start);
                OffsetMap::build(
                    self.raw(),
                    style,
                    start as u32,
                    start - line_start,
                    leading_breaks(style, self.str().unwrap_or("")),
                )
                .map_or(ScalarOffsets::Whole, ScalarOffsets::Map)
            }
        })
    }

    /// The source span of a decoded byte range of this scalar.
    pub fn source_span(&self, decoded: std::ops::Range<usize>) -> Option<Span> {
        let start = self.source_offset(decoded.start)?;
        let end = self.source_offset(decoded.end)?;
        Some(Span::new(start, end.max(start)))
    }
}

/// A mapping's keys sorted once, for a caller that looks up many keys in one large mapping
/// (KFP's `components`, `executors`, a DAG's `tasks`: one lookup per task made the adapter
/// quadratic in the number of tasks). Answers exactly as [`NodeRef::entry`] does.
pub struct KeyIndex<'a> {
    mapping: NodeRef<'a>,
    /// The scalar keys' text with the entry's position, sorted by text then position; empty
    /// for a mapping small enough to search directly.
    sorted: Vec<(&'a str, u32)>,
    /// Whether a plain `<<` key is among the entries: a key that is not found may be
    /// inherited through it.
    has_merge: bool,
}

/// Mappings up to this many entries are searched directly: sorting them costs more than
/// the lookups it saves.
const KEY_INDEX_MIN: usize = 16;

impl<'a> KeyIndex<'a> {
    pub fn new(mapping: NodeRef<'a>) -> Self {
        let mut index = KeyIndex {
            mapping,
            sorted: Vec::new(),
            has_merge: false,
        };
        if !mapping.is_mapping() || mapping.len() <= KEY_INDEX_MIN {
            return index;
        }
        let doc = mapping.doc;
        let entries = doc.entries_of(mapping.node());
        index.sorted.reserve_exact(entries.len());
        for (at, &(k, _)) in entries.iter().enumerate() {
            let node = &doc.nodes[k as usize];
            let Some(text) = doc.scalar_str(mapping.src, node) else {
                continue;
            };
            if text == "<<"
                && matches!(
                    node.kind,
                    NodeKind::Scalar {
                        style: ScalarStyle::Plain,
                        ..
                    }
                )
            {
                index.has_merge = true;
            }
            index.sorted.push((text, at as u32));
        }
        index.sorted.sort_unstable();
        index
    }

    /// The mapping the index was built for.
    pub fn mapping(&self) -> NodeRef<'a> {
        self.mapping
    }

    /// [`NodeRef::entry`] of the mapping.
    pub fn entry(&self, key: &str) -> Option<(NodeRef<'a>, NodeRef<'a>)> {
        if self.sorted.is_empty() {
            return self.mapping.entry(key);
        }
        // The last entry of the key is the last of its run in (text, position) order.
        let end = self.sorted.partition_point(|&(text, _)| text <= key);
        match end.checked_sub(1).map(|i| self.sorted[i]) {
            Some((text, at)) if text == key => {
                let (k, v) = self.mapping.doc.entries_of(self.mapping.node())[at as usize];
                Some((self.mapping.at(k), self.mapping.at(v)))
            }
            // Not a key of its own: perhaps one inherited through `<<`.
            _ if self.has_merge => self.mapping.entry(key),
            _ => None,
        }
    }

    /// [`NodeRef::get`] of the mapping.
    pub fn get(&self, key: &str) -> Option<NodeRef<'a>> {
        self.entry(key).map(|(_, v)| v)
    }
}
