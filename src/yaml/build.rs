//! Builds [`YamlFile`] from granit-parser events, iteratively (no recursion, so no input can
//! overflow a 2 MiB rayon or LSP worker stack).

use std::borrow::Cow;
use std::collections::HashMap;

use granit_parser::{ErrorKind, Event, Parser, ScalarStyle as GranitStyle, ScanError};

use crate::limits;

use super::tree::{
    Children, Comment, Document, DuplicateKey, Node, NodeId, NodeKind, ScalarStyle, ScalarText,
    ScalarTextHandle, Span, SyntaxError, TextRange, YamlFile,
};

/// Bounds that keep hostile input from costing unbounded time or memory.
#[derive(Clone, Debug)]
pub struct ParseLimits {
    /// Nodes that aliases may add when the document is read as expanded (a "billion laughs"
    /// document expands exponentially; real pipelines stay far below this).
    pub max_alias_expansion: u64,
    /// Collections nested deeper than this abandon the document (an `input-too-complex`
    /// finding). The builder is iterative, so this bounds memory, not the stack.
    pub max_nesting_depth: usize,
}

impl Default for ParseLimits {
    fn default() -> Self {
        ParseLimits {
            max_alias_expansion: limits::DEFAULT_MAX_ALIAS_EXPANSION,
            max_nesting_depth: limits::DEFAULT_MAX_NESTING_DEPTH,
        }
    }
}

/// Mappings up to this many entries look for repeated keys without a hash map.
const SMALL_MAPPING: usize = 8;

struct Frame {
    id: NodeId,
    /// Where this collection's children start in [`DocBuilder::pending`].
    first_child: usize,
    anchor: usize,
}

/// Source bytes a node takes, about, in the pipelines we read: a file's first document has
/// its arena sized once from the file's length, not doubled node by node (later documents
/// grow theirs: sizing each from the bytes left would reserve the rest of the file again and
/// again).
const BYTES_PER_NODE: usize = 32;

#[derive(Default)]
struct DocBuilder {
    doc: Document,
    /// Expanded size of each node (aliases count their target in full).
    sizes: Vec<u64>,
    stack: Vec<Frame>,
    /// Anchor id -> node, and whether the node is complete (an alias to an open node loops).
    anchors: HashMap<usize, (NodeId, bool)>,
    expanded: u64,
    duplicates: Vec<DuplicateKey>,
    /// The children of every open collection, innermost last: a collection's are copied
    /// into the document's arena once, at their final size, when it ends.
    pending: Vec<NodeId>,
}

enum Abort {
    Scan(ScanError),
    Limit(Span, String),
    /// A limit of [`ParseLimits`] was exceeded: the document is abandoned.
    TooComplex(Span, String),
    /// The file's work budget ([`limits::Meter`]) is spent: the rest of the file is not read.
    Budget(Span),
}

fn span_of(span: &granit_parser::Span) -> Span {
    match span.byte_range() {
        Some(r) => Span::new(r.start as u32, r.end as u32),
        None => Span::default(),
    }
}

fn style_of(style: GranitStyle) -> ScalarStyle {
    match style {
        GranitStyle::Plain => ScalarStyle::Plain,
        GranitStyle::SingleQuoted => ScalarStyle::SingleQuoted,
        GranitStyle::DoubleQuoted => ScalarStyle::DoubleQuoted,
        GranitStyle::Literal => ScalarStyle::Literal,
        GranitStyle::Folded => ScalarStyle::Folded,
    }
}

impl DocBuilder {
    /// A builder for a document of `expected_nodes` nodes, about.
    fn new(index: usize, span: Span, expected_nodes: usize) -> Self {
        let mut builder = DocBuilder::default();
        builder.doc.nodes.reserve(expected_nodes);
        builder.sizes.reserve(expected_nodes);
        // Most nodes are a key or a value; few are items. A collection's open children and
        // the open collections rarely pass a few dozen.
        builder.doc.entries.reserve(expected_nodes / 2);
        builder.doc.items.reserve(expected_nodes / 8);
        builder.pending.reserve(expected_nodes.min(64));
        builder.stack.reserve(expected_nodes.min(16));
        // Block scalars (scripts) are most of a pipeline's text that differs from its source.
        builder
            .doc
            .texts
            .reserve(expected_nodes * BYTES_PER_NODE / 4);
        builder.doc.index = index;
        builder.doc.span = span;
        builder
    }

    fn push_node(&mut self, kind: NodeKind, span: Span, tag: Option<&str>) -> NodeId {
        let tag = tag.map(|tag| TextRange::push(&mut self.doc.texts, tag));
        let id = self.doc.nodes.len() as NodeId;
        self.doc.nodes.push(Node { kind, span, tag });
        self.sizes.push(1);
        id
    }

    /// Attaches a finished node to its parent (or makes it the root).
    fn attach(&mut self, id: NodeId) {
        match self.stack.last_mut() {
            Some(_) => self.pending.push(id),
            None => {
                if self.doc.root.is_none() {
                    self.doc.root = Some(id);
                    self.doc.depth = self.doc.depth.max(1);
                }
            }
        }
    }

    fn register_anchor(&mut self, anchor: usize, id: NodeId, complete: bool) {
        if anchor != 0 {
            self.anchors.insert(anchor, (id, complete));
        }
    }

    fn scalar(
        &mut self,
        src: &str,
        value: Cow<'_, str>,
        style: GranitStyle,
        anchor: usize,
        tag: Option<&str>,
        span: Span,
    ) {
        // A borrowed value at the span's own bytes is the source without comparing them (its
        // address says where it starts); an owned one is compared byte by byte (equal bytes
        // of UTF-8 text start and end at character boundaries).
        let same_as_source = match &value {
            Cow::Borrowed(v)
                if (v.as_ptr() as usize).wrapping_sub(src.as_ptr() as usize)
                    == span.start as usize
                    && v.len() == span.len() as usize =>
            {
                true
            }
            _ => src.as_bytes().get(span.range()) == Some(value.as_bytes()),
        };
        let empty = value.is_empty();
        // Only a plain scalar that starts like a number can resolve to a float (a `!!str` tag
        // makes any scalar a string).
        if value
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.'))
            && style == GranitStyle::Plain
            && !self.doc.has_unrepresentable_number
            && !tag.is_some_and(|tag| tag.ends_with(":str") || tag == "!!str")
            && super::json::unrepresentable_plain_number(&value).is_some()
        {
            self.doc.has_unrepresentable_number = true;
        }
        let text = if same_as_source {
            ScalarText::Source
        } else {
            ScalarText::Owned(TextRange::push(&mut self.doc.texts, &value))
        };
        // An empty plain scalar (`key:`) has no extent of its own.
        let span = if empty && style == GranitStyle::Plain {
            Span::new(span.start, span.start)
        } else {
            span
        };
        let id = self.push_node(
            NodeKind::Scalar {
                style: style_of(style),
                text: ScalarTextHandle(text),
            },
            span,
            tag,
        );
        self.register_anchor(anchor, id, true);
        self.attach(id);
    }

    fn start_collection(&mut self, mapping: bool, anchor: usize, tag: Option<&str>, span: Span) {
        let none = Children::new(0, 0);
        let kind = if mapping {
            NodeKind::Mapping(none)
        } else {
            NodeKind::Sequence(none)
        };
        let id = self.push_node(kind, span, tag);
        self.register_anchor(anchor, id, false);
        self.stack.push(Frame {
            id,
            first_child: self.pending.len(),
            anchor,
        });
    }

    fn end_collection(&mut self, src: &str, end: Span, flow: bool) {
        let Some(frame) = self.stack.pop() else {
            return;
        };
        let children = &self.pending[frame.first_child..];
        // The collection is one deeper than those still open, its children one more (the
        // deepest end decides the document's depth).
        let depth = self.stack.len() as u32 + 1 + u32::from(!children.is_empty());
        self.doc.depth = self.doc.depth.max(depth);
        if matches!(self.doc.nodes[frame.id as usize].kind, NodeKind::Mapping(_)) {
            let nodes = &self.doc.nodes;
            self.doc.has_collection_key |= children
                .chunks_exact(2)
                .any(|pair| !matches!(nodes[pair[0] as usize].kind, NodeKind::Scalar { .. }));
        }
        let size: u64 = 1 + children
            .iter()
            .map(|&c| self.sizes[c as usize])
            .sum::<u64>();
        self.sizes[frame.id as usize] = size;
        let last_end = children
            .iter()
            .map(|&c| self.doc.nodes[c as usize].span.end)
            .max();
        let doc = &mut self.doc;
        let node = &mut doc.nodes[frame.id as usize];
        node.span.end = if flow {
            end.end.max(node.span.start)
        } else {
            last_end.unwrap_or(node.span.start).max(node.span.start)
        };
        match &mut node.kind {
            NodeKind::Mapping(run) => {
                let start = doc.entries.len();
                doc.entries
                    .extend(children.chunks_exact(2).map(|pair| (pair[0], pair[1])));
                *run = Children::new(start, doc.entries.len() - start);
            }
            NodeKind::Sequence(run) => {
                let start = doc.items.len();
                doc.items.extend_from_slice(children);
                *run = Children::new(start, children.len());
            }
            NodeKind::Scalar { .. } => {}
        }
        self.pending.truncate(frame.first_child);
        if frame.anchor != 0 {
            self.anchors.insert(frame.anchor, (frame.id, true));
        }
        self.find_duplicates(src, frame.id);
        self.attach(frame.id);
    }

    /// Records every key that repeats an earlier key of the same mapping (scalar keys only).
    fn find_duplicates(&mut self, src: &str, id: NodeId) {
        let doc = &self.doc;
        let entries = doc.entries_of(&doc.nodes[id as usize]);
        if entries.len() < 2 {
            return;
        }
        let key_of = |k: NodeId| doc.scalar_str(src, &doc.nodes[k as usize]);
        // A mapping of a few keys is searched directly: hashing every key of every small
        // mapping cost more than comparing them.
        if entries.len() <= SMALL_MAPPING {
            for (i, &(k, _)) in entries.iter().enumerate() {
                let Some(key) = key_of(k) else {
                    continue;
                };
                let first = entries[..i]
                    .iter()
                    .find(|&&(earlier, _)| key_of(earlier) == Some(key));
                if let Some(&(first, _)) = first {
                    self.duplicates.push(DuplicateKey {
                        key: key.to_string(),
                        first: doc.nodes[first as usize].span,
                        second: doc.nodes[k as usize].span,
                        document: doc.index,
                    });
                }
            }
            return;
        }
        let mut first_at: HashMap<&str, Span> = HashMap::with_capacity(entries.len());
        for &(k, _) in entries.iter() {
            let Some(key) = key_of(k) else {
                continue;
            };
            let node = &doc.nodes[k as usize];
            match first_at.get(key) {
                Some(&first) => self.duplicates.push(DuplicateKey {
                    key: key.to_string(),
                    first,
                    second: node.span,
                    document: doc.index,
                }),
                None => {
                    first_at.insert(key, node.span);
                }
            }
        }
    }

    /// Flow and block collections together may not nest deeper than the limit.
    fn check_depth(&self, span: Span, limits: &super::ParseLimits) -> Result<(), Abort> {
        let depth = limits.max_nesting_depth.min(limits::MAX_NESTING_DEPTH_CAP);
        if self.stack.len() >= depth {
            return Err(Abort::TooComplex(span, too_deep(depth)));
        }
        Ok(())
    }

    fn alias(
        &mut self,
        anchor: usize,
        span: Span,
        limits: &super::ParseLimits,
    ) -> Result<(), Abort> {
        let Some(&(target, complete)) = self.anchors.get(&anchor) else {
            return Err(Abort::Limit(span, "alias to an unknown anchor".into()));
        };
        if !complete {
            return Err(Abort::Limit(
                span,
                "alias refers to a node that contains it (a recursive alias)".into(),
            ));
        }
        self.doc.has_alias = true;
        self.expanded += self.sizes[target as usize];
        if self.expanded > limits.max_alias_expansion {
            return Err(Abort::TooComplex(
                span,
                format!(
                    "aliases expand to more than {} nodes (an alias bomb?); the document is not read (limit: --max-alias-expansion)",
                    limits.max_alias_expansion
                ),
            ));
        }
        self.attach(target);
        Ok(())
    }
}

/// Parses `src` into documents. Never panics; syntax errors are recorded and parsing resumes
/// at the next `---`.
/// YAML 1.2 allows a byte order mark at the start of every document, so before a later
/// document's `---`; granit-parser takes one only at the start of the stream or after `...`.
/// Such a BOM and the marker after it are read as the marker and three spaces, which keeps
/// every byte offset (a BOM is three bytes).
fn bom_before_document_start(src: &str) -> std::borrow::Cow<'_, str> {
    const BOM_MARKER: &str = "\u{FEFF}---";
    // A BOM starts with 0xEF, which few texts hold: one byte search rules most out, where a
    // search for the marker read every file at several instructions a byte.
    if !holds_byte(src.as_bytes(), BOM_MARKER.as_bytes()[0]) {
        return std::borrow::Cow::Borrowed(src);
    }
    let at_document_start = |i: usize| {
        i > 0
            && matches!(src.as_bytes()[i - 1], b'\n' | b'\r')
            && src[i + BOM_MARKER.len()..]
                .bytes()
                .next()
                .is_none_or(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
    };
    if !src
        .match_indices(BOM_MARKER)
        .any(|(i, _)| at_document_start(i))
    {
        return std::borrow::Cow::Borrowed(src);
    }
    let mut out = String::with_capacity(src.len());
    let mut copied = 0;
    for (i, _) in src.match_indices(BOM_MARKER) {
        if at_document_start(i) {
            out.push_str(&src[copied..i]);
            out.push_str("---   ");
            copied = i + BOM_MARKER.len();
        }
    }
    out.push_str(&src[copied..]);
    std::borrow::Cow::Owned(out)
}

/// Whether `bytes` holds `byte`: 32 bytes at a time without an early exit, which the compiler
/// turns into vector compares (`<[u8]>::contains` read a word at a time, at most of an
/// instruction a byte of every file).
fn holds_byte(bytes: &[u8], byte: u8) -> bool {
    let mut chunks = bytes.chunks_exact(32);
    for chunk in &mut chunks {
        if chunk.iter().fold(false, |seen, &b| seen | (b == byte)) {
            return true;
        }
    }
    chunks.remainder().contains(&byte)
}

pub fn parse(src: &str, limits: &ParseLimits) -> YamlFile {
    let src = &*bom_before_document_start(src);
    let mut file = YamlFile::default();
    // granit-parser counts flow and block nesting apart; the builder bounds their sum.
    let depth = limits.max_nesting_depth.min(limits::MAX_NESTING_DEPTH_CAP);
    let options = granit_parser::options! {
        flow_nesting_limit: depth,
        block_nesting_limit: depth,
    };
    let mut parser = Parser::new_from_str_with_options(src, options);
    let mut builder: Option<DocBuilder> = None;
    let mut doc_index = 0usize;
    loop {
        let step = match parser.next() {
            None => break,
            Some(Ok((event, span))) => handle_event(
                src,
                &mut file,
                &mut builder,
                &mut doc_index,
                event,
                &span,
                limits,
            ),
            Some(Err(e)) => Err(Abort::Scan(e)),
        };
        let Err(abort) = step else { continue };
        let document = builder.take().map_or(doc_index, |b| b.doc.index);
        let (span, message, too_complex, stop) = match abort {
            Abort::Scan(e) if matches!(e.kind(), ErrorKind::RecursionLimitExceeded) => (
                marker_span(src, &e),
                too_deep(depth),
                true,
                false,
            ),
            Abort::Scan(e) => (marker_span(src, &e), e.kind().to_string(), false, false),
            Abort::Limit(span, message) => (span, message, false, false),
            Abort::TooComplex(span, message) => (span, message, true, false),
            Abort::Budget(span) => (
                span,
                "the file's work budget is spent here; the rest of the file is not read (limit: --file-time-budget)".to_string(),
                true,
                true,
            ),
        };
        let error = SyntaxError {
            span,
            message,
            document,
        };
        if too_complex {
            file.too_complex.push(error);
        } else {
            file.errors.push(error);
        }
        if stop {
            break;
        }
        doc_index = document + 1;
        match parser.proceed_next_document() {
            Ok(true) => continue,
            _ => break,
        }
    }
    file
}

fn too_deep(depth: usize) -> String {
    format!("collections are nested more than {depth} levels deep; the document is not read (limit: --max-nesting-depth)")
}

fn marker_span(src: &str, e: &ScanError) -> Span {
    let marker = e.marker();
    let at = marker.byte_offset().unwrap_or_else(|| {
        // Fall back to the character index.
        src.char_indices()
            .nth(marker.index())
            .map_or(src.len(), |(i, _)| i)
    });
    let at = at.min(src.len());
    let end = src[at..].chars().next().map_or(at, |c| at + c.len_utf8());
    Span::new(at as u32, end as u32)
}

fn handle_event(
    src: &str,
    file: &mut YamlFile,
    builder: &mut Option<DocBuilder>,
    doc_index: &mut usize,
    event: Event<'_>,
    span: &granit_parser::Span,
    limits: &ParseLimits,
) -> Result<(), Abort> {
    let sp = span_of(span);
    if !limits::charge(1, sp) {
        return Err(Abort::Budget(sp));
    }
    // A tag is rare: written out as text, then copied into the document's arena.
    let tag_of = |tag: Option<Cow<'_, granit_parser::Tag>>| tag.map(|t| t.to_string());
    match event {
        Event::StreamStart | Event::StreamEnd | Event::Anchor(..) => {}
        Event::DocumentStart(..) => {
            let expected_nodes = if file.documents.is_empty() {
                src.len() / BYTES_PER_NODE
            } else {
                0
            };
            *builder = Some(DocBuilder::new(*doc_index, sp, expected_nodes));
        }
        Event::DocumentEnd => {
            if let Some(mut b) = builder.take() {
                if let Some(root) = b.doc.root {
                    b.doc.span = b.doc.nodes[root as usize].span;
                }
                // The first of many documents was sized for the whole file.
                if b.doc.nodes.capacity() > 2 * b.doc.nodes.len() + BYTES_PER_NODE {
                    b.doc.nodes.shrink_to_fit();
                }
                file.duplicate_keys.append(&mut b.duplicates);
                file.documents.push(b.doc);
            }
            *doc_index += 1;
        }
        Event::Comment(..) => file.comments.push(Comment { span: sp }),
        Event::Scalar(value, style, anchor, tag) => {
            if let Some(b) = builder {
                b.scalar(src, value, style, anchor, tag_of(tag).as_deref(), sp);
            }
        }
        Event::SequenceStart(_, anchor, tag) => {
            if let Some(b) = builder {
                b.check_depth(sp, limits)?;
                b.start_collection(false, anchor, tag_of(tag).as_deref(), sp);
            }
        }
        Event::MappingStart(_, anchor, tag) => {
            if let Some(b) = builder {
                b.check_depth(sp, limits)?;
                b.start_collection(true, anchor, tag_of(tag).as_deref(), sp);
            }
        }
        Event::SequenceEnd | Event::MappingEnd => {
            if let Some(b) = builder {
                let flow = matches!(src.as_bytes().get(sp.range()), Some(b"]" | b"}"));
                b.end_collection(src, sp, flow);
            }
        }
        Event::Alias(anchor) => {
            if let Some(b) = builder {
                b.alias(anchor, sp, limits)?;
            }
        }
        Event::UnresolvedAlias(_) => {
            return Err(Abort::Limit(sp, "alias to an unknown anchor".into()));
        }
        // The event enum is non-exhaustive: anything newer is presentation metadata.
        _ => {}
    }
    Ok(())
}
